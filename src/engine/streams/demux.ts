import { PassThrough, Readable } from 'node:stream';

/** One frame of the engine's multiplexed stream (containers without a TTY). */
export interface Frame {
  stream: 'stdin' | 'stdout' | 'stderr';
  payload: Buffer;
}

const STREAMS = ['stdin', 'stdout', 'stderr'] as const;
const HEADER = 8;

/**
 * Splits the multiplexed stream into frames, exactly as the engine sent them: an 8-byte header
 * (byte 0 = stream, bytes 4..7 = big-endian length) then the payload. Headers and payloads may
 * straddle chunks. The decoding is synchronous per chunk, so a chunk costs one await, not one per
 * frame (an async generator's yield per frame made reading logs markedly slower than raw bytes).
 */
export function frames(body: AsyncIterable<Buffer | Uint8Array>): AsyncIterable<Frame> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<Frame> {
      const source = body[Symbol.asyncIterator]();
      const parser = new FrameParser();
      let ready: Frame[] = [];
      let at = 0;
      return {
        async next() {
          while (at >= ready.length) {
            const chunk = await source.next();
            if (chunk.done) {
              parser.end();
              return { done: true, value: undefined };
            }
            ready = parser.push(chunk.value);
            at = 0;
          }
          return { done: false, value: ready[at++]! };
        },
        async return() {
          await source.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/** The frame decoder proper, one chunk at a time; synchronous, so a chunk costs one await. */
class FrameParser {
  private head = Buffer.alloc(0);
  private stream: Frame['stream'] = 'stdout';
  private need = 0; // payload bytes still owed to the current frame
  private parts: Buffer[] = [];

  /** The frames this chunk completes; payloads inside one chunk are views, not copies. */
  push(raw: Buffer | Uint8Array): Frame[] {
    let chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    const out: Frame[] = [];
    while (chunk.length > 0) {
      if (this.need === 0) {
        if (this.head.length + chunk.length < HEADER) { this.head = Buffer.concat([this.head, chunk]); break; }
        const take = HEADER - this.head.length;
        const header = this.head.length ? Buffer.concat([this.head, chunk.subarray(0, take)]) : chunk.subarray(0, HEADER);
        chunk = chunk.subarray(take);
        this.head = Buffer.alloc(0);
        this.startFrame(header);
        if (this.need === 0) continue;
      }
      const piece = chunk.subarray(0, this.need);
      chunk = chunk.subarray(piece.length);
      this.need -= piece.length;
      if (this.need > 0) { this.parts.push(piece); continue; }
      out.push({ stream: this.stream, payload: this.parts.length ? Buffer.concat([...this.parts, piece]) : piece });
      this.parts = [];
    }
    return out;
  }

  private startFrame(header: Buffer): void {
    const type = header[0]!;
    if (type > 2 || header[1] !== 0 || header[2] !== 0 || header[3] !== 0) {
      throw new Error(`not a multiplexed stream (header ${header.toString('hex')}): is the container's Tty set?`);
    }
    this.stream = STREAMS[type]!;
    this.need = header.readUInt32BE(4);
  }

  end(): void {
    if (this.need > 0 || this.head.length > 0) throw new Error('multiplexed stream ended inside a frame');
  }
}

export interface Demuxed {
  stdout: Readable;
  stderr: Readable;
  /** Resolves when the source ended and both outputs were ended; rejects on a source error. */
  done: Promise<void>;
}

/** Demultiplexes into two readable streams, honouring backpressure from the slower reader. */
export function demux(body: AsyncIterable<Buffer | Uint8Array>): Demuxed {
  return demuxFrames(frames(body));
}

/** The same, from frames already split (a TTY's output re-labelled, or errors already mapped). */
export function demuxFrames(source: AsyncIterable<Frame>): Demuxed {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const done = (async () => {
    try {
      for await (const frame of source) {
        const target = frame.stream === 'stderr' ? stderr : stdout;
        if (!target.write(frame.payload)) await onceDrained(target);
      }
      stdout.end();
      stderr.end();
    } catch (err) {
      stdout.destroy(err as Error);
      stderr.destroy(err as Error);
      throw err;
    }
  })();
  done.catch(() => {}); // surfaced through the streams too; never an unhandled rejection
  return { stdout, stderr, done };
}

function onceDrained(stream: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const finish = () => { stream.off('drain', finish); stream.off('close', finish); resolve(); };
    stream.on('drain', finish);
    stream.on('close', finish);
  });
}

/** Reads a whole stream into strings per output: for short commands and tests. */
export async function collect(body: AsyncIterable<Buffer | Uint8Array>, tty: boolean): Promise<{ stdout: string; stderr: string }> {
  if (tty) {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk));
    return { stdout: Buffer.concat(chunks).toString('utf8'), stderr: '' };
  }
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  for await (const frame of frames(body)) (frame.stream === 'stderr' ? err : out).push(frame.payload);
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
