/**
 * Footprint and start-up (issue case 6).
 *
 * Install: what `npm install` puts on a user's disk, Podling against dockerode, each installed
 * with `--omit=dev` into a temporary directory of its own from the npm registry: Podling as the
 * tarball `npm pack` makes of this checkout, dockerode at the version bench/package.json pins.
 * Counted: every package under node_modules (nested ones too, the package itself included), the
 * bytes of their files, packages that declare install scripts (preinstall, install, postinstall,
 * or a binding.gyp, for which npm runs node-gyp), and native code (binding.gyp, gypfile, or .node
 * files). Installs run with --ignore-scripts: the scripts are counted, never run.
 *
 * Cold start: `node bin/podling.js pod list` (the bundled CLI, as installed, against the engine)
 * against `node -e ''` and `docker ps`, alternating, each a fresh process, median of COLD_ROUNDS.
 * A diagnostic in the same rounds runs the unbundled compiled modules (dist/cli/run.js) with V8's
 * default tiers: what the command cost before it was bundled and run with Liftoff only. Then
 * where the time goes: in fresh processes, how long importing each production dependency and the
 * CLI's module graph takes, how many modules the CLI loads per package, and the command itself
 * once everything is loaded.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { dockerodeVersion } from './dockerode.js';
import { DOCKER_HOST, ROOT, dockerEnv } from './lib.js';
import { baseline, type Row } from './report.js';
import { summarize, type Sample } from './stats.js';

const run = promisify(execFile);
const COLD_ROUNDS = Number(process.env.PODLING_BENCH_COLD_ROUNDS ?? 11);
const IMPORT_ROUNDS = Number(process.env.PODLING_BENCH_IMPORT_ROUNDS ?? 5);

export interface Installed {
  what: string;
  packages: number;
  names: string[];
  bytes: number;
  installScripts: string[];
  nativeBuilds: string[];
  installMs: number;
}

function dirSize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += dirSize(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

function hasNodeFiles(dir: string): boolean {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory() ? hasNodeFiles(path) : entry.name.endsWith('.node')) return true;
  }
  return false;
}

/** Every package directory under a node_modules tree, nested ones included. */
function packageDirs(nodeModules: string): string[] {
  if (!existsSync(nodeModules)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const path = join(nodeModules, entry.name);
    const dirs = entry.name.startsWith('@') ? readdirSync(path, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(path, e.name)) : [path];
    for (const dir of dirs) {
      if (existsSync(join(dir, 'package.json'))) out.push(dir);
      out.push(...packageDirs(join(dir, 'node_modules')));
    }
  }
  return out;
}

async function installInto(what: string, spec: string): Promise<Installed> {
  const dir = mkdtempSync(join(tmpdir(), 'podling-bench-install-'));
  try {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'footprint-probe', private: true }));
    const start = process.hrtime.bigint();
    await run('npm', ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', spec], { cwd: dir, env: { ...process.env, npm_config_loglevel: 'error' } });
    const installMs = Number(process.hrtime.bigint() - start) / 1e6;
    const names: string[] = [];
    const installScripts: string[] = [];
    const nativeBuilds: string[] = [];
    let bytes = 0;
    for (const pkgDir of packageDirs(join(dir, 'node_modules'))) {
      const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { name: string; version: string; scripts?: Record<string, string>; gypfile?: boolean };
      const id = `${pkg.name}@${pkg.version}`;
      names.push(id);
      bytes += dirSize(pkgDir) - (existsSync(join(pkgDir, 'node_modules')) ? dirSize(join(pkgDir, 'node_modules')) : 0);
      const gyp = existsSync(join(pkgDir, 'binding.gyp'));
      const scripts = ['preinstall', 'install', 'postinstall'].filter((s) => pkg.scripts?.[s]);
      if (scripts.length || gyp) installScripts.push(`${id} (${scripts.map((s) => `${s}: ${pkg.scripts![s]}`).join('; ') || 'binding.gyp: node-gyp rebuild'})`);
      if (gyp || pkg.gypfile || hasNodeFiles(pkgDir)) nativeBuilds.push(id);
    }
    return { what, packages: names.length, names: names.sort(), bytes, installScripts, nativeBuilds, installMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function installs(log: (line: string) => void = () => {}): Promise<{ podling: Installed; dockerode: Installed }> {
  const packDir = mkdtempSync(join(tmpdir(), 'podling-bench-pack-'));
  try {
    // npm pack runs `prepare` (the build) and packs what `files` names: what npm publish would ship.
    const { stdout } = await run('npm', ['pack', '--pack-destination', packDir, '--json'], { cwd: ROOT, env: { ...process.env, npm_config_loglevel: 'error' }, maxBuffer: 16 * 1024 * 1024 });
    const tarball = join(packDir, (JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string }>)[0]!.filename);
    const podling = await installInto('podling (npm pack of this checkout)', tarball);
    log(`install podling: ${podling.packages} packages, ${(podling.bytes / 1048576).toFixed(2)} MB`);
    const version = dockerodeVersion();
    const dockerode = await installInto(`dockerode ${version}`, `dockerode@${version}`);
    log(`install dockerode: ${dockerode.packages} packages, ${(dockerode.bytes / 1048576).toFixed(2)} MB`);
    return { podling, dockerode };
  } finally {
    rmSync(packDir, { recursive: true, force: true });
  }
}

/** Wall time of one fresh process, from spawn to exit; it must exit 0. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d; });
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      code === 0 ? resolve(ms) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.trim()}`));
    });
  });
}

export interface ColdStart {
  podling: Sample; node: Sample; docker: Sample;
  /** Diagnostics from the same rounds: `--help` (every module loaded, no engine call) and `pod list` from the unbundled modules. */
  help: Sample; unbundled: Sample;
  breakdown: Array<{ what: string; ms: Sample }>; modules: Record<string, number>;
}

/** One fresh process that imports `what` and prints how long the import took, measured inside. */
const importProbe = (what: string) => `const t = process.hrtime.bigint(); await import(${JSON.stringify(what)}); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;

async function probe(code: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, env });
  return Number(stdout.trim().split('\n').at(-1));
}

export async function coldStart(log: (line: string) => void = () => {}): Promise<ColdStart> {
  const env = { ...process.env, DOCKER_HOST };
  const candidates: Record<'podling' | 'node' | 'docker' | 'help' | 'unbundled', () => Promise<number>> = {
    podling: () => timed(process.execPath, ['bin/podling.js', 'pod', 'list'], env),
    node: () => timed(process.execPath, ['-e', '']),
    docker: () => timed('docker', ['ps'], dockerEnv()),
    // Every module `pod list` loads, no engine call: the rest of `pod list` is its requests and exit.
    help: () => timed(process.execPath, ['bin/podling.js', '--help'], env),
    // The same command from tsc's output, one file per module, with V8 optimising undici's
    // WebAssembly parser on background threads that the process waits for at exit.
    unbundled: () => timed(process.execPath, ['dist/cli/run.js', 'pod', 'list'], env),
  };
  for (const fn of Object.values(candidates)) await fn(); // page cache
  const samples: Record<keyof typeof candidates, number[]> = { podling: [], node: [], docker: [], help: [], unbundled: [] };
  const names = Object.keys(candidates) as Array<keyof typeof candidates>;
  for (let round = 0; round < COLD_ROUNDS; round++) {
    for (const name of names.map((_, i) => names[(i + round) % names.length]!)) samples[name].push(await candidates[name]());
  }
  const dist = (p: string) => pathToFileURL(join(ROOT, 'dist', p)).href;
  const probes: Array<[string, string]> = [
    ['import undici (its index)', importProbe('undici')],
    ['require undici\'s Pool and request API (what Podling loads)', `import { createRequire } from 'node:module'; const require = createRequire(${JSON.stringify(pathToFileURL(join(ROOT, 'package.json')).href)}); const t = process.hrtime.bigint(); require('undici/lib/dispatcher/pool.js'); require('undici/lib/api/index.js'); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`],
    ['import zod', importProbe('zod')],
    ['import yaml', importProbe('yaml')],
    ['import tar-stream', importProbe('tar-stream')],
    ['import dist/engine (the client alone)', importProbe(dist('engine/index.js'))],
    ['import dist/cli/main.js (everything `pod list` loads, unbundled)', importProbe(dist('cli/main.js'))],
    ['`pod list` itself, modules already loaded (2 round trips + printing; not the wait at exit)',
      `const { main } = await import(${JSON.stringify(dist('cli/main.js'))}); const w = process.stdout.write.bind(process.stdout); let t; process.stdout.write = () => true; t = process.hrtime.bigint(); await main(['pod', 'list']); const ms = Number(process.hrtime.bigint() - t) / 1e6; process.stdout.write = w; w('\\n' + ms);`],
  ];
  const breakdown: ColdStart['breakdown'] = [];
  for (const [what, code] of probes) {
    const values: number[] = [];
    for (let i = 0; i < IMPORT_ROUNDS; i++) values.push(await probe(code, env));
    breakdown.push({ what, ms: summarize(values) });
    log(`cold start: ${what}: ${summarize(values).median.toFixed(1)} ms`);
  }
  // Modules the CLI loads, per package: an ESM resolve hook counts every import; CJS from require.cache.
  const hook = `import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent('export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.startsWith("file:")) process.stderr.write("ESM " + r.url + "\\\\n"); return r; }'));`;
  // The bundle runs the CLI when imported: given --help it prints the help, which is discarded.
  const counter = `import { createRequire } from 'node:module'; process.argv = [process.argv[0], 'podling', '--help']; await import(${JSON.stringify(dist('cli/podling.js'))}); const require = createRequire(${JSON.stringify(pathToFileURL(join(ROOT, 'package.json')).href)}); for (const f of Object.keys(require.cache)) process.stderr.write('CJS ' + f + '\\n');`;
  const modules: Record<string, number> = {};
  const hookFile = join(mkdtempSync(join(tmpdir(), 'podling-bench-hook-')), 'hook.mjs');
  writeFileSync(hookFile, hook);
  try {
    const { stderr } = await run(process.execPath, ['--import', pathToFileURL(hookFile).href, '--input-type=module', '-e', counter], { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 });
    const seen = new Set<string>();
    for (const line of stderr.split('\n')) {
      const m = /^(ESM|CJS) (.+)$/.exec(line);
      if (!m) continue;
      const path = m[2]!.replace(/^file:\/\//, '');
      if (seen.has(path)) continue;
      seen.add(path);
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1] ?? (path.includes('/dist/') ? 'podling dist/' : 'other');
      modules[pkg] = (modules[pkg] ?? 0) + 1;
    }
  } finally {
    rmSync(join(hookFile, '..'), { recursive: true, force: true });
  }
  return { podling: summarize(samples.podling), node: summarize(samples.node), docker: summarize(samples.docker), help: summarize(samples.help), unbundled: summarize(samples.unbundled), breakdown, modules };
}

export function footprintRows(inst: { podling: Installed; dockerode: Installed }, cold: ColdStart): Row[] {
  const section = 'Footprint and start-up';
  const one = (n: number) => ({ min: n, median: n, max: n, runs: 1 });
  const p = inst.podling;
  const d = inst.dockerode;
  const installMet = p.packages <= 15 && p.installScripts.length === 0 && p.nativeBuilds.length === 0;
  return [
    {
      section, case: 'production install: packages (the package itself included)', unit: 'packages', podling: one(p.packages),
      baselines: [baseline(d.what, one(p.packages), one(d.packages))],
      target: { text: '≤ 15 packages, no install scripts, no native builds', met: installMet, evidence: `${p.packages} packages, ${p.installScripts.length} with install scripts, ${p.nativeBuilds.length} with native code (dockerode: ${d.packages}, ${d.installScripts.length}, ${d.nativeBuilds.length})` },
    },
    { section, case: 'production install: size on disk', unit: 'MB', podling: one(p.bytes / 1048576), baselines: [baseline(d.what, one(p.bytes / 1048576), one(d.bytes / 1048576))] },
    { section, case: 'production install: packages with install scripts', unit: 'packages', podling: one(p.installScripts.length), baselines: [{ name: d.what, sample: one(d.installScripts.length), ratio: NaN }] },
    { section, case: 'production install: packages with native code', unit: 'packages', podling: one(p.nativeBuilds.length), baselines: [{ name: d.what, sample: one(d.nativeBuilds.length), ratio: NaN }] },
    {
      section, case: 'cold start: `node bin/podling.js pod list` (fresh process, against the engine)', unit: 'ms', podling: cold.podling,
      baselines: [baseline('node -e \'\'', cold.podling, cold.node), baseline('docker ps', cold.podling, cold.docker)],
      target: { text: '≤ 200 ms median', met: cold.podling.median <= 200, evidence: `median ${cold.podling.median.toFixed(0)} ms (node -e '' ${cold.node.median.toFixed(0)} ms, docker ps ${cold.docker.median.toFixed(0)} ms, same rounds); \`podling --help\` (every module loaded, no engine call) ${cold.help.median.toFixed(0)} ms; the same \`pod list\` from the unbundled modules with V8's default tiers ${cold.unbundled.median.toFixed(0)} ms` },
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  (async () => {
    const inst = await installs(console.log);
    console.log(JSON.stringify(inst, null, 1));
    const cold = await coldStart(console.log);
    console.log(JSON.stringify(cold, null, 1));
  })().catch((err) => { console.error(err); process.exit(1); });
}
