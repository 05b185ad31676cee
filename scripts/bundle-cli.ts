// Bundles the `podling` command into one file, dist/cli/podling.js, which bin/podling.js runs.
//
// Why: a cold `podling pod list` spent about 45 ms of its start resolving, reading and linking
// some 170 files (our modules and zod's); one file saves that. The library itself (dist/index.js)
// stays unbundled. undici is loaded at run time through createRequire (see
// src/engine/connections.ts), and yaml and tar-stream are imported lazily, so all three stay in
// node_modules and are not copied into the bundle.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Builds the bundle to `outfile` (relative to the repository root). */
export async function bundleCli(outfile = 'dist/cli/podling.js'): Promise<void> {
  await build({
    absWorkingDir: ROOT,
    entryPoints: ['src/cli/run.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['undici', 'yaml', 'tar-stream'],
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundleCli(process.argv[2]);
