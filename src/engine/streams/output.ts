import type { Readable } from 'node:stream';
import { errorFromCause } from '../errors.js';
import { demuxFrames, frames, type Demuxed, type Frame } from './demux.js';

/** Which call produced an output, for the errors its stream may raise. */
export interface OutputSource {
  method: string;
  path: string;
  /** The engine's address, named in timeout and connection errors. */
  address?: string;
}

/**
 * A container's or exec's output (logs, attach, exec start). Whether it is framed is decided by
 * the container's `Tty`, never guessed from the bytes or from Content-Type: API 1.41 labels both
 * kinds `application/vnd.docker.raw-stream`.
 */
export class Output implements AsyncIterable<Frame> {
  constructor(readonly body: Readable, readonly tty: boolean, private readonly what: OutputSource) {}

  /**
   * Frames in arrival order; with a TTY every chunk is a stdout frame. Every way of reading goes
   * through here, so a stream failure (idle timeout, abort, reset) is always an EngineError.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<Frame> {
    try {
      if (this.tty) {
        for await (const chunk of this.body) yield { stream: 'stdout', payload: chunk as Buffer };
      } else {
        yield* frames(this.body);
      }
    } catch (err) {
      throw errorFromCause(this.what.method, this.what.path, err, this.what.address ?? '');
    }
  }

  /** Two streams, stdout and stderr; with a TTY everything is stdout. */
  split(): Demuxed {
    return demuxFrames(this);
  }

  /** The whole output as bytes per stream: binary output must not go through a text decoder. */
  async bytes(): Promise<{ stdout: Buffer; stderr: Buffer }> {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    for await (const frame of this) (frame.stream === 'stderr' ? err : out).push(frame.payload);
    return { stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
  }

  /** The whole output as text: for short commands. */
  async text(): Promise<{ stdout: string; stderr: string }> {
    const { stdout, stderr } = await this.bytes();
    return { stdout: stdout.toString('utf8'), stderr: stderr.toString('utf8') };
  }

  /** Stops reading and releases the connection. */
  close(): void {
    this.body.destroy();
  }
}
