import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bundleCli } from '../../scripts/bundle-cli.js';
import type { Pods } from '../../src/pod/index.js';

/**
 * The `podling` command as a child process: bin/podling.js and the bundle it runs, as installed.
 * The bundle is rebuilt from the sources once per test process (esbuild takes well under a second),
 * so tests never run a stale build.
 */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = 'bin/podling.js';
let bundled: Promise<void> | undefined;

/** Builds dist/cli/podling.js from the current sources, once per process. */
export function ensureBundle(): Promise<void> {
  return (bundled ??= bundleCli());
}

export interface CliResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Starts `podling ARGS...`; the caller owns the process. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [ENTRY, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs `podling ARGS...` to its end (killed after `timeout` ms) and returns what it printed. */
export async function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<CliResult> {
  await ensureBundle();
  const child = startCli(args, options.env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (data: Buffer) => { stdout += data.toString('utf8'); });
  child.stderr!.on('data', (data: Buffer) => { stderr += data.toString('utf8'); });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 60_000);
  return new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** What `fn` printed through console.log and console.error, with the exit code it returned. */
async function capturing(fn: () => Promise<number>): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { log: console.log, error: console.error };
  console.log = (...parts: unknown[]) => { out.push(`${parts.join(' ')}\n`); };
  console.error = (...parts: unknown[]) => { err.push(`${parts.join(' ')}\n`); };
  try {
    const code = await fn();
    return { code, signal: null, stdout: out.join(''), stderr: err.join('') };
  } finally {
    Object.assign(console, saved);
  }
}

/**
 * `main(argv)` in this process, with console.log and console.error captured: the same code the
 * `podling` binary runs, without a node start-up per case (each costs about a second of CPU).
 */
export async function runMain(args: string[]): Promise<CliResult> {
  const { main } = await import('../../src/cli/main.js');
  return capturing(() => main(args));
}

/**
 * One command's function (src/cli/*) in this process, on the scenario's own Pods: its engine
 * traffic goes through the scenario's engine, so it is recorded and replayed like the rest.
 * Errors are thrown, not printed: main() is what turns them into a line and an exit code.
 */
export function runCommand(command: (pods: Pods, argv: string[]) => Promise<number>, pods: Pods, args: string[]): Promise<CliResult> {
  return capturing(() => command(pods, args));
}
