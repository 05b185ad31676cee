import type { Readable } from 'node:stream';
import { errorFromCause } from '../errors.js';
import { collect, demux, frames, type Demuxed, type Frame } from './demux.js';

/**
 * A container's or exec's output (logs, attach, exec start). Whether it is framed is decided by
 * the container's `Tty`, never guessed from the bytes or from Content-Type: API 1.41 labels both
 * kinds `application/vnd.docker.raw-stream`.
 */
export class Output implements AsyncIterable<Frame> {
  constructor(readonly body: Readable, readonly tty: boolean, private readonly what: { method: string; path: string }) {}

  /** Frames in arrival order; with a TTY every chunk is a stdout frame. */
  async *[Symbol.asyncIterator](): AsyncIterator<Frame> {
    try {
      if (this.tty) {
        for await (const chunk of this.body) yield { stream: 'stdout', payload: chunk as Buffer };
      } else {
        yield* frames(this.body);
      }
    } catch (err) {
      throw errorFromCause(this.what.method, this.what.path, err, '');
    }
  }

  /** Two streams, stdout and stderr; with a TTY everything is stdout. */
  split(): Demuxed {
    return demux(this.tty ? ttyFrames(this.body) : this.body);
  }

  /** The whole output as text: for short commands. */
  text(): Promise<{ stdout: string; stderr: string }> {
    return collect(this.body, this.tty).catch((err) => { throw errorFromCause(this.what.method, this.what.path, err, ''); });
  }

  /** Stops reading and releases the connection. */
  close(): void {
    this.body.destroy();
  }
}

/** Re-frames raw TTY bytes as stdout so `split()` has one code path. */
async function* ttyFrames(body: Readable): AsyncGenerator<Buffer> {
  for await (const chunk of body) {
    const payload = chunk as Buffer;
    const header = Buffer.alloc(8);
    header[0] = 1;
    header.writeUInt32BE(payload.length, 4);
    yield header;
    yield payload;
  }
}
