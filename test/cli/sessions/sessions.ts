import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBundle, ROOT, type CliResult } from '../../support/cli.js';

/**
 * The client sessions `podling record` and `podling replay` are tested with (and the docker CLI
 * one benchmarked with), and how to run podling around them in a stable environment.
 */

export const NEWER_ENGINE = process.env.PODLING_NEWER_ENGINE || 'unix:///run/podling-newer/docker.sock';
/** What every session labels its objects with, so a test can remove whatever one left. */
export const SESSION_LABEL = 'podling-test-rr=1';
export const SESSION_FIXTURES = fileURLToPath(new URL('../../../fixtures/cli/record-replay/', import.meta.url));

export interface Session {
  name: string;
  command: string[];
  /** The client's version, or undefined when it is not installed here. */
  client(): string | undefined;
}

function versionOf(program: string, args: string[]): string | undefined {
  try {
    return execFileSync(program, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]!.trim();
  } catch {
    return undefined;
  }
}

const DOCKERODE = join(ROOT, 'bench/node_modules/dockerode/package.json');

export const SESSIONS: Session[] = [
  { name: 'docker-cli', command: ['sh', 'test/cli/sessions/docker-cli.sh'], client: () => versionOf('docker', ['--version']) },
  {
    name: 'dockerode', command: [process.execPath, 'test/cli/sessions/dockerode.mjs'],
    client: () => (existsSync(DOCKERODE) ? `dockerode ${JSON.parse(readFileSync(DOCKERODE, 'utf8')).version}` : undefined),
  },
  { name: 'curl', command: ['sh', 'test/cli/sessions/curl.sh'], client: () => versionOf('curl', ['--version']) },
];

/** What a stored session printed while it was recorded, beside its fixture. */
export interface StoredOutput extends Omit<CliResult, 'signal'> { client: string }

export const fixtureOf = (session: string) => join(SESSION_FIXTURES, `${session}.json`);
export const outputOf = (session: string) => join(SESSION_FIXTURES, `${session}.output.json`);

export function storedOutput(session: string): StoredOutput | undefined {
  return existsSync(outputOf(session)) ? JSON.parse(readFileSync(outputOf(session), 'utf8')) : undefined;
}

/**
 * The same environment for a record and any later replay: nothing inherited that changes what a
 * client sends or prints (DOCKER_API_VERSION, a user's ~/.docker/config.json, the time zone).
 */
export function sessionEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  mkdirSync(join(home, '.docker'), { recursive: true });
  return { PATH: process.env.PATH, HOME: home, DOCKER_CONFIG: join(home, '.docker'), TZ: 'UTC', LANG: 'C', DOCKER_CLI_HINTS: 'false', ...extra };
}

/** `podling ARGS...` as a child process with exactly `env`; its command's output is captured with its own. */
export async function podling(args: string[], env: NodeJS.ProcessEnv, stdin = ''): Promise<CliResult> {
  await ensureBundle();
  const child = spawn(process.execPath, ['bin/podling.js', ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => { stdout += data.toString('utf8'); });
  child.stderr.on('data', (data: Buffer) => { stderr += data.toString('utf8'); });
  child.stdin.end(stdin);
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs `body` with a fresh temporary directory, removed afterwards (a login's config.json included). */
export async function inTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'podling-rr-'));
  try {
    return await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
