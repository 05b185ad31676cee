import { setTimeout as sleep } from 'node:timers/promises';
import type { Exec } from '../../engine/exec.js';
import type { Output } from '../../engine/streams/output.js';
import type { ExecAction } from '../../pod/probe-spec.js';
import { failure, oneLine, SUCCESS, type ProbeOutcome } from './outcome.js';

/** What an exec probe needs of the engine: a narrow slice, so tests can stand in for it. */
export interface ExecProbeEngine {
  exec: Pick<Exec, 'create' | 'start' | 'inspect'>;
}

/** The kubelet keeps at most 10 KiB of an exec probe's output; the rest is read and dropped. */
export const EXEC_OUTPUT_CAP = 10 * 1024;
/** How much of the output a failure's reason quotes. */
export const EXEC_REASON_OUTPUT = 80;
const EXIT_POLL_MS = 50;
/**
 * A command the runtime could not start exits with the runtime's message as its output: 126 and
 * `OCI runtime exec failed: exec failed: unable to start container process: exec: "x": executable
 * file not found in $PATH: unknown` on dockerd 20.10; 127 and `Error: runc: exec failed: unable to
 * start container process: exec: "x": ...` on Podman 4.3. Its first 80 characters would be the
 * boilerplate, so that goes and the part naming the command is quoted.
 */
const RUNTIME_PREFIX = /^(OCI runtime exec failed: |Error: (runc|crun): )(exec failed: )?(unable to start container process: )?/;

/**
 * Runs the probe's command in the container through the engine's exec API (create, start without
 * a TTY, read stdout and stderr, inspect): exit code 0 is a success, any other a failure whose
 * reason quotes the start of the output.
 *
 * The deadline is the caller's, through `signal` (run.ts). The Engine API has no way to kill an
 * exec, so on a timeout the command keeps running in the container until it ends by itself: all
 * we can do, and do, is destroy our end of its output stream so no socket is left behind. Engine
 * errors (container gone, engine down, an abort) are thrown: they say nothing about the container's
 * health, and the kubelet records no result for a probe that errored.
 */
export async function execProbe(engine: ExecProbeEngine, container: string, action: ExecAction, signal: AbortSignal): Promise<ProbeOutcome> {
  const { Id } = await engine.exec.create(container, { Cmd: action.command, AttachStdout: true, AttachStderr: true, Tty: false }, { signal });
  const output = await engine.exec.start(Id, { signal, tty: false });
  // Destroyed by us on the deadline, not left to whoever reads it: the command may never end.
  const onAbort = () => output.close();
  signal.addEventListener('abort', onAbort, { once: true });
  let text: string;
  try {
    if (signal.aborted) onAbort();
    text = await firstBytes(output, EXEC_OUTPUT_CAP);
  } finally {
    signal.removeEventListener('abort', onAbort);
    output.close();
  }
  const exitCode = await exitCodeOf(engine, Id, signal);
  if (exitCode === 0) return SUCCESS;
  const quoted = oneLine(text.replace(RUNTIME_PREFIX, ''), EXEC_REASON_OUTPUT);
  return failure(`exec exited ${exitCode}${quoted ? `: ${quoted}` : ''}`);
}

/** stdout and stderr in arrival order, the first `cap` bytes kept; reads to the end. */
async function firstBytes(output: Output, cap: number): Promise<string> {
  const kept: Buffer[] = [];
  let size = 0;
  for await (const { payload } of output) {
    if (size < cap) kept.push(payload.subarray(0, cap - size));
    size += payload.length;
  }
  return Buffer.concat(kept).toString('utf8');
}

/**
 * The output ends when the process's stdout and stderr close, which can be a moment before the
 * engine records the exit (or long before, when the command left them closed and kept running):
 * ask again until it has exited, within the deadline.
 */
async function exitCodeOf(engine: ExecProbeEngine, id: string, signal: AbortSignal): Promise<number> {
  for (;;) {
    const inspect = await engine.exec.inspect(id, { signal });
    if (!inspect.Running && inspect.ExitCode !== null) return inspect.ExitCode;
    await sleep(EXIT_POLL_MS, undefined, { signal });
  }
}
