import type { Readable } from 'node:stream';
import { z } from 'zod';
import { EngineError, errorFromCause } from '../errors.js';
import { jsonLines } from './json-lines.js';

/** One message of a pull, push or import stream. */
export const ProgressMessage = z.looseObject({
  id: z.string().optional(),
  status: z.string().optional(),
  progress: z.string().optional(),
  progressDetail: z.looseObject({ current: z.number().optional(), total: z.number().optional() }).optional(),
  error: z.string().optional(),
  errorDetail: z.looseObject({ code: z.number().optional(), message: z.string().optional() }).optional(),
  aux: z.unknown().optional(),
});
export type ProgressMessage = z.infer<typeof ProgressMessage>;

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
  private wake: (() => void) | undefined;

  constructor(response: Promise<Readable>, what: { method: string; path: string }, finish: (messages: ProgressMessage[]) => R) {
    const seen: ProgressMessage[] = [];
    this.done = (async () => {
      try {
        const body = await response;
        try {
          for await (const value of jsonLines(body)) {
            const message = ProgressMessage.parse(value);
            if (message.error !== undefined || message.errorDetail?.message !== undefined) {
              const text = message.error ?? message.errorDetail?.message ?? 'unknown error';
              throw new EngineError(`${what.method} ${what.path}: ${text}`, { kind: 'stream', ...what, daemonMessage: text });
            }
            seen.push(message);
            this.push(message);
          }
        } catch (err) {
          body.destroy();
          throw err instanceof EngineError ? err : errorFromCause(what.method, what.path, err, '');
        }
        return finish(seen);
      } catch (err) {
        this.failure = err;
        throw err;
      } finally {
        this.finished = true;
        this.wake?.();
      }
    })();
    this.done.catch(() => {}); // reported through `done` and iteration, never as unhandled
  }

  private push(message: ProgressMessage): void {
    this.queue.push(message);
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ProgressMessage> {
    for (;;) {
      const next = this.queue.shift();
      if (next) { yield next; continue; }
      if (this.finished) {
        if (this.failure) throw this.failure;
        return;
      }
      await new Promise<void>((resolve) => { this.wake = resolve; });
      this.wake = undefined;
    }
  }
}
