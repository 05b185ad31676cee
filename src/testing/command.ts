import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { Engine } from '../engine/index.js';
import { PodlingError } from '../errors.js';
import { loadFixture, saveFixture, type Fixture } from './fixture.js';
import { defaultUpstream, describeUpstream, engineAt, startRecorder, type Upstream } from './recorder.js';
import { startReplayer } from './replayer.js';

/**
 * Any Docker client, in any language, under record or replay: the command runs with DOCKER_HOST
 * pointing at the recorder's or the replayer's socket, no TLS settings, and its environment
 * otherwise untouched, so the docker CLI, docker-py, dockerode or curl all find it the way they
 * find an engine.
 */

/** The command could not be started: 127 when it was not found, 126 when it could not be run, as in a shell. */
export class CommandError extends PodlingError<'command'> {
  override readonly name = 'CommandError';
  constructor(message: string, readonly exitCode: number, options?: { cause?: unknown }) {
    super('command', message, options);
  }
}

export interface CommandOptions {
  /** The command's environment, DOCKER_HOST aside; this process's by default. */
  env?: NodeJS.ProcessEnv;
}

function startFailure(program: string, err: NodeJS.ErrnoException): CommandError {
  if (err.code === 'ENOENT') return new CommandError(`cannot run ${program}: not found`, 127, { cause: err });
  return new CommandError(`cannot run ${program}: ${err.code ?? err.message}`, 126, { cause: err });
}

/** Runs `argv` to its end, its stdio this process's; resolves to its exit status as a shell gives it. */
export function runCommand(argv: readonly string[], socketPath: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [program, ...args] = argv;
  if (!program) return Promise.reject(new PodlingError('usage', 'no command to run'));
  return new Promise((resolve, reject) => {
    // TLS settings describe the connection to the engine DOCKER_HOST named; its stand-in is a plain
    // socket (the docker CLI would look for certificates and fail).
    const { DOCKER_TLS_VERIFY: _verify, DOCKER_CERT_PATH: _certs, DOCKER_TLS: _tls, ...kept } = env;
    const child = spawn(program, args, { stdio: 'inherit', env: { ...kept, DOCKER_HOST: `unix://${socketPath}` } });
    // A terminal's Ctrl-C reaches the whole foreground group, the command included: this process
    // only has to outlive the command to write or check the fixture. A signal sent to this
    // process alone is passed on.
    const ignore = () => {};
    const pass = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', ignore);
    process.on('SIGTERM', pass);
    process.on('SIGHUP', pass);
    const settle = () => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', pass);
      process.off('SIGHUP', pass);
    };
    child.once('error', (err) => { settle(); reject(startFailure(program, err)); });
    child.once('exit', (code, signal) => {
      settle();
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}

/** Fails before anything runs when no engine answers there: the command would only see resets. */
async function ensureAnswers(upstream: Upstream): Promise<void> {
  const engine = new Engine(engineAt(upstream), {});
  try {
    await engine.system.ping({ timeout: 10_000 });
  } catch (err) {
    throw new PodlingError('unavailable', `no engine answers at ${describeUpstream(upstream)} (--upstream names another): ${(err as Error).message}`, { cause: err });
  } finally {
    await engine.close().catch(() => {});
  }
}

export interface RecordCommandOptions extends CommandOptions {
  /** The real engine; DOCKER_HOST (of `env`) or /var/run/docker.sock by default. */
  upstream?: Upstream;
}

export interface RecordCommandResult {
  exitCode: number;
  fixture: Fixture;
}

/**
 * Runs `argv` through the recorder and writes the fixture when it ends, whatever its exit code (a
 * session that ends on an expected failure is worth keeping). Ids and times stay as the engine
 * sent them, so the command sees on replay exactly what it saw now; secrets are redacted.
 */
export async function recordCommand(fixturePath: string, argv: readonly string[], options: RecordCommandOptions = {}): Promise<RecordCommandResult> {
  const env = options.env ?? process.env;
  const upstream = options.upstream ?? defaultUpstream(env);
  await ensureAnswers(upstream);
  const recorder = await startRecorder({ upstream, normalize: false });
  let exitCode: number;
  try {
    exitCode = await runCommand(argv, recorder.socketPath, env);
  } catch (err) {
    await recorder.stop().catch(() => {}); // nothing ran: the fixture already there stays
    throw err;
  }
  const fixture = await recorder.stop();
  await saveFixture(fixturePath, fixture);
  return { exitCode, fixture };
}

export interface ReplayCommandResult {
  exitCode: number;
  /** Each request no recording answered, with the nearest recording (the client got a 599). */
  misses: readonly string[];
  /** Each recording no request used. */
  unused: string[];
}

/** Serves the fixture to `argv` until it ends; the caller decides what misses and leftovers mean. */
export async function replayCommand(fixturePath: string, argv: readonly string[], options: CommandOptions = {}): Promise<ReplayCommandResult> {
  const rerecord = `\`podling record ${fixturePath} -- COMMAND\``;
  const fixture = await loadFixture(fixturePath, `record one with ${rerecord}`);
  const replayer = await startReplayer(fixture, { rerecord });
  let exitCode: number;
  try {
    exitCode = await runCommand(argv, replayer.socketPath, options.env);
  } finally {
    await replayer.close();
  }
  return { exitCode, misses: replayer.misses, unused: replayer.unused() };
}
