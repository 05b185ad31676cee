import { Engine, type EngineOptions } from '../engine/index.js';
import { saveFixture } from './fixture.js';
import { defaultUpstream, engineAt, startRecorder, type Upstream } from './recorder.js';
import { startReplayer } from './replayer.js';

/**
 * One test's engine: real (live), real behind the recorder (record), or the fixture (replay).
 * The same test body runs in every mode; only where its Engine points changes.
 */

export const MODES = ['replay', 'record', 'live'] as const;
export type Mode = (typeof MODES)[number];

export function modeFromEnv(env: NodeJS.ProcessEnv = process.env, variable = 'PODLING_TEST_MODE'): Mode {
  const value = env[variable] || 'replay';
  if (!(MODES as readonly string[]).includes(value)) throw new Error(`${variable}=${value}: expected one of ${MODES.join(', ')}`);
  return value as Mode;
}

export interface SessionOptions {
  /** `replay` by default: a test never needs a daemon unless asked to. */
  mode?: Mode;
  /** The fixture file: written in record mode, read in replay mode, unused live. */
  fixture: string;
  /** The real engine for record and live modes; DOCKER_HOST or /var/run/docker.sock by default. */
  upstream?: Upstream;
  /** Engine options other than where it connects. */
  engine?: Omit<EngineOptions, 'socketPath' | 'host' | 'tls'>;
}

export interface SessionContext {
  mode: Mode;
  /**
   * Unix seconds: the real time live and while recording, the recorded (shifted) values when
   * replaying, so `since`/`until` queries built from it match the recording.
   */
  now(): number;
}

/** A replay that did not go as recorded: requests nothing answered, or recordings nothing used. */
export class ReplayMismatchError extends Error {
  override readonly name = 'ReplayMismatchError';
  constructor(
    readonly fixture: string,
    readonly misses: readonly string[],
    readonly unused: readonly string[],
    cause?: unknown,
  ) {
    const parts = [`replay of ${fixture} does not match what the test did:`];
    for (const miss of misses) parts.push(indent(miss));
    if (unused.length) parts.push(`  recordings the test never used:\n${unused.map((u) => indent(u, 4)).join('\n')}`);
    // The client's error for a 599 only repeats a miss listed above.
    const failure = cause instanceof Error ? cause.message.split('\n')[0] : cause === undefined ? undefined : String(cause);
    if (failure !== undefined && !failure.includes('podling replay:')) parts.push(`  the test itself failed with: ${failure}`);
    super(parts.join('\n'), cause === undefined ? undefined : { cause });
  }
}

function indent(text: string, by = 2): string {
  return text.split('\n').map((line) => ' '.repeat(by) + line).join('\n');
}

const realNow = () => Math.floor(Date.now() / 1000);

// Record and replay always negotiate the version from /_ping: a DOCKER_API_VERSION set in one run
// and not the other would otherwise change which requests the fixture holds.
function sessionEnv(): NodeJS.ProcessEnv {
  const { DOCKER_API_VERSION: _ignored, ...env } = process.env;
  return env;
}

/** Closes gracefully, but a stream the test left open must not hang the end of the test. */
async function shutdown(engine: Engine): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => { timer = setTimeout(resolve, 1000); });
  await Promise.race([engine.close().catch(() => {}), grace]);
  clearTimeout(timer);
  await engine.transport.client.destroy().catch(() => {});
}

export async function withEngine<T>(options: SessionOptions, fn: (engine: Engine, ctx: SessionContext) => Promise<T>): Promise<T> {
  const mode = options.mode ?? 'replay';
  if (mode === 'live') {
    const engine = new Engine({ ...options.engine, ...(options.upstream && engineAt(options.upstream)) });
    try {
      return await fn(engine, { mode, now: realNow });
    } finally {
      await shutdown(engine);
    }
  }
  return mode === 'record' ? record(options, fn) : replay(options, fn);
}

async function record<T>(options: SessionOptions, fn: (engine: Engine, ctx: SessionContext) => Promise<T>): Promise<T> {
  const recorder = await startRecorder({ upstream: options.upstream ?? defaultUpstream() });
  const engine = new Engine({ ...options.engine, socketPath: recorder.socketPath }, sessionEnv());
  let result: T;
  try {
    result = await fn(engine, { mode: 'record', now: () => recorder.now() });
  } catch (err) {
    // A failed run is not a recording worth keeping: the old fixture stays.
    await shutdown(engine);
    await recorder.stop().catch(() => {});
    throw err;
  }
  await shutdown(engine);
  await saveFixture(options.fixture, await recorder.stop());
  return result;
}

async function replay<T>(options: SessionOptions, fn: (engine: Engine, ctx: SessionContext) => Promise<T>): Promise<T> {
  const replayer = await startReplayer(options.fixture);
  const engine = new Engine({ ...options.engine, socketPath: replayer.socketPath }, sessionEnv());
  let result: T | undefined;
  let failure: { error: unknown } | undefined;
  try {
    result = await fn(engine, { mode: 'replay', now: () => replayer.now() });
  } catch (error) {
    failure = { error };
  }
  await shutdown(engine);
  await replayer.close();
  // A miss usually explains the failure (the client got a 599), so it leads the report.
  if (replayer.misses.length) throw new ReplayMismatchError(options.fixture, replayer.misses, [], failure?.error);
  if (failure) throw failure.error;
  const unused = replayer.unused();
  if (unused.length) throw new ReplayMismatchError(options.fixture, [], unused);
  return result as T;
}
