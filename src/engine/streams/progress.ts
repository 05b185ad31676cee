import type { Readable } from 'node:stream';
import { z } from 'zod';
import { checkAnswer, type Answer } from '../answer.js';
import { EngineError, errorFromCause } from '../errors.js';
import { jsonLines } from './json-lines.js';

/** One message of a pull, push or import stream. */
export const ProgressMessage = z.object({
  id: z.string().optional(),
  status: z.string().optional(),
  progress: z.string().optional(),
  progressDetail: z.object({ current: z.number().optional(), total: z.number().optional() }).optional(),
  error: z.string().optional(),
  errorDetail: z.object({ code: z.number().optional(), message: z.string().optional() }).optional(),
  aux: z.unknown().optional(),
  /** What a load (and a build) says in words: `Loaded image: NAME`. */
  stream: z.string().optional(),
});
export type ProgressMessage = Answer<typeof ProgressMessage>;

/** The call a progress stream answers, for its errors. */
export interface ProgressSource {
  method: string;
  path: string;
  /** The engine's address, for transport failures' messages. */
  address?: string;
  /** The caller's signal: once it fired, a failure is an abort whatever the reason it carries. */
  signal?: AbortSignal;
}

/**
 * A pull/push/import in flight: iterate it for progress, await `done` for the outcome. The engine
 * answers 200 before it knows whether the operation will work, so a failure can arrive INSIDE the
 * stream as `{"error": ...}`; that message rejects `done` (and ends the iteration with the same
 * error) instead of passing for progress. `done` settles even when nobody iterates.
 */
export class Progress<R = void> implements AsyncIterable<ProgressMessage> {
  readonly done: Promise<R>;
  private readonly queue: ProgressMessage[] = [];
  private failure: unknown;
  private finished = false;
  // A set, not one slot: two loops waiting at once must both wake, or one hangs forever.
  private readonly waiters = new Set<() => void>();

  constructor(response: Promise<Readable>, what: ProgressSource, finish: (messages: ProgressMessage[]) => R) {
    this.done = this.consume(response, what, finish);
    this.done.catch(() => {}); // reported through `done` and iteration, never as unhandled
  }

  private async consume(response: Promise<Readable>, what: ProgressSource, finish: (messages: ProgressMessage[]) => R): Promise<R> {
    const seen: ProgressMessage[] = [];
    try {
      const body = await response;
      try {
        for await (const value of jsonLines(body)) {
          const message = checkAnswer(ProgressMessage, value, what);
          const failure = inBandError(message, what);
          if (failure) throw failure;
          seen.push(message);
          this.push(message);
        }
      } catch (err) {
        body.destroy();
        throw failureOf(err, what);
      }
      return finish(seen);
    } catch (err) {
      this.failure = err;
      throw err;
    } finally {
      this.finished = true;
      this.wakeAll();
    }
  }

  private push(message: ProgressMessage): void {
    this.queue.push(message);
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ProgressMessage> {
    for (;;) {
      const next = this.queue.shift();
      if (next) { yield next; continue; }
      if (this.finished) {
        if (this.failure) throw this.failure;
        return;
      }
      await new Promise<void>((resolve) => { this.waiters.add(resolve); });
    }
  }
}

/** `{"error": ...}` (or an errorDetail with a message) is the operation failing, not progress. */
function inBandError(message: ProgressMessage, what: ProgressSource): EngineError | undefined {
  const text = message.error ?? message.errorDetail?.message;
  if (text === undefined) return undefined;
  return new EngineError(`${what.method} ${what.path}: ${text}`, { kind: 'stream', method: what.method, path: what.path, daemonMessage: text });
}

function failureOf(err: unknown, what: ProgressSource): EngineError {
  if (err instanceof EngineError) return err;
  // undici ends the body with the signal's reason, which may be any value the caller chose.
  if (what.signal?.aborted) return new EngineError(`${what.method} ${what.path}: aborted`, { kind: 'aborted', method: what.method, path: what.path, cause: what.signal.reason });
  return errorFromCause(what.method, what.path, err, what.address ?? '(unknown address)');
}
