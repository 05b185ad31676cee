import { Readable } from 'node:stream';
import type tarStream from 'tar-stream';

// Loaded on first use: tar-stream and its streamx stack cost about 17 ms of every CLI start, and
// only image builds and archive copies need them.
let loading: Promise<typeof tarStream> | undefined;
const loadTar = () => (loading ??= import('tar-stream').then((m) => m.default));

export interface TarEntry {
  name: string;
  content?: string | Buffer;
  type?: 'file' | 'directory' | 'symlink';
  linkname?: string;
  mode?: number;
  /** Fixed by default so that archives (and recorded fixtures) are reproducible. */
  mtime?: Date;
}

const EPOCH = new Date(0);
// What `mkdir`, `touch` and `ln -s` give under the usual umask; a symlink's own bits are unused.
const DEFAULT_MODE = { file: 0o644, directory: 0o755, symlink: 0o777 } as const;

/** Packs entries into a tar stream for archive put and image import. */
export function pack(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): Readable {
  return Readable.from(packed(entries), { objectMode: false });
}

async function* packed(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): AsyncGenerator<Buffer> {
  const archive = (await loadTar()).pack();
  (async () => {
    for await (const entry of entries) {
      const type = entry.type ?? 'file';
      const header = { name: entry.name, type, linkname: entry.linkname, mode: entry.mode ?? DEFAULT_MODE[type], mtime: entry.mtime ?? EPOCH };
      await new Promise<void>((resolve, reject) => {
        const done = (err?: Error | null) => (err ? reject(err) : resolve());
        if (type === 'file') archive.entry(header, Buffer.from(entry.content ?? ''), done);
        else archive.entry(header, done);
      });
    }
    archive.finalize();
  })().catch((err) => archive.destroy(err));
  // tar-stream's packer is a streamx stream, not a Node one: wrapped (see pack), callers get every
  // Node Readable method (toArray, pipeline) and errors still end the stream.
  yield* archive as AsyncIterable<Buffer>;
}

export interface ExtractedEntry {
  name: string;
  type: string;
  size: number;
  /** Permission bits only, as `pack` takes them: the file type is in `type`. */
  mode: number;
  mtime: Date;
  content: Buffer;
  linkname?: string;
}

/** Reads a whole tar stream into memory: archives fetched from containers are small files. */
export async function unpack(source: AsyncIterable<Uint8Array> | Readable): Promise<ExtractedEntry[]> {
  const extract = (await loadTar()).extract();
  const entries: ExtractedEntry[] = [];
  const feeding = (async () => {
    for await (const chunk of source) {
      if (!extract.write(chunk)) await new Promise<void>((resolve) => extract.once('drain', () => resolve()));
    }
    extract.end(undefined as never);
  })();
  feeding.catch((err) => extract.destroy(err));
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    const h = entry.header;
    // The engine's archives carry the type bits in the mode field too (0o40755 for a directory).
    entries.push({
      name: h.name, type: h.type ?? 'file', size: h.size ?? 0, mode: (h.mode ?? 0) & 0o7777, mtime: h.mtime ?? EPOCH,
      content: Buffer.concat(chunks), linkname: h.linkname ?? undefined,
    });
  }
  await feeding;
  return entries;
}
