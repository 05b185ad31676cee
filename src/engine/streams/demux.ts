import { PassThrough, Readable } from 'node:stream';

/** One frame of the engine's multiplexed stream (containers without a TTY). */
export interface Frame {
  stream: 'stdin' | 'stdout' | 'stderr';
  payload: Buffer;
}

const STREAMS = ['stdin', 'stdout', 'stderr'] as const;
const HEADER = 8;

/**
 * Splits the multiplexed stream into frames: an 8-byte header (byte 0 = stream, bytes 4..7 =
 * big-endian length) then the payload. Headers and payloads may straddle chunks; payloads that sit
 * whole inside one chunk are handed out as views, not copies, which keeps demux near raw speed.
 */
export async function* frames(body: AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<Frame> {
  let head = Buffer.alloc(0);
  let stream: Frame['stream'] = 'stdout';
  let need = 0; // payload bytes still owed to the current frame
  let parts: Buffer[] = [];
  for await (const raw of body) {
    let chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    while (chunk.length > 0) {
      if (need === 0) {
        if (head.length + chunk.length < HEADER) { head = Buffer.concat([head, chunk]); break; }
        const take = HEADER - head.length;
        const header = head.length ? Buffer.concat([head, chunk.subarray(0, take)]) : chunk.subarray(0, HEADER);
        chunk = chunk.subarray(take);
        head = Buffer.alloc(0);
        const type = header[0]!;
        if (type > 2 || header[1] !== 0 || header[2] !== 0 || header[3] !== 0) {
          throw new Error(`not a multiplexed stream (header ${header.toString('hex')}): is the container's Tty set?`);
        }
        stream = STREAMS[type]!;
        need = header.readUInt32BE(4);
        if (need === 0) continue;
      }
      const piece = chunk.subarray(0, need);
      chunk = chunk.subarray(piece.length);
      need -= piece.length;
      if (need > 0) { parts.push(piece); continue; }
      const payload = parts.length ? Buffer.concat([...parts, piece]) : piece;
      parts = [];
      yield { stream, payload };
    }
  }
  if (need > 0 || head.length > 0) throw new Error('multiplexed stream ended inside a frame');
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
