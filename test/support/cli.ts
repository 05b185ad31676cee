import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The `podling` command as a child process, run from source (no build needed). */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = 'src/cli/run.ts';

export interface CliResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Starts `podling ARGS...`; the caller owns the process. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs `podling ARGS...` to its end (killed after `timeout` ms) and returns what it printed. */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<CliResult> {
  const child = startCli(args, options.env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (data: Buffer) => { stdout += data.toString('utf8'); });
  child.stderr!.on('data', (data: Buffer) => { stderr += data.toString('utf8'); });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 60_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * `main(argv)` in this process, with console.log and console.error captured: the same code the
 * `podling` binary runs, without a node start-up per case (each costs about a second of CPU).
 */
export async function runMain(args: string[]): Promise<CliResult> {
  const { main } = await import('../../src/cli/main.js');
  const out: string[] = [];
  const err: string[] = [];
  const saved = { log: console.log, error: console.error };
  console.log = (...parts: unknown[]) => { out.push(`${parts.join(' ')}\n`); };
  console.error = (...parts: unknown[]) => { err.push(`${parts.join(' ')}\n`); };
  try {
    const code = await main(args);
    return { code, signal: null, stdout: out.join(''), stderr: err.join('') };
  } finally {
    Object.assign(console, saved);
  }
}
