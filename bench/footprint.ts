/** What `npm install podling` puts on a user's disk: packages, size, install scripts, native builds. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface Footprint { packages: number; names: string[]; bytes: number; installScripts: string[]; nativeBuilds: string[] }

function dirSize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += dirSize(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

/** Production dependencies of the package at `root`, as npm resolved them (optional ones included). */
export function footprint(root: string): Footprint {
  const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const dirs = [...new Set(out.split('\n').filter((line) => line.includes('node_modules')))];
  const names: string[] = [];
  const installScripts: string[] = [];
  const nativeBuilds: string[] = [];
  let bytes = 0;
  for (const dir of dirs) {
    if (!existsSync(join(dir, 'package.json'))) continue;
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; scripts?: Record<string, string>; gypfile?: boolean };
    names.push(pkg.name);
    bytes += dirSize(dir);
    if (['preinstall', 'install', 'postinstall'].some((s) => pkg.scripts?.[s])) installScripts.push(pkg.name);
    if (pkg.gypfile || existsSync(join(dir, 'binding.gyp'))) nativeBuilds.push(pkg.name);
  }
  return { packages: names.length, names: names.sort(), bytes, installScripts, nativeBuilds };
}
