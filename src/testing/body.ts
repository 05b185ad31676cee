import { createHash } from 'node:crypto';
import tar from 'tar-stream';
import type { BodyDigest } from './exchange.js';
import type { Frame, JsonChunks, Piece, TarEntry } from './fixture.js';
import { parseJson, stringifyJson } from './json.js';

/**
 * Turns bytes into the most readable fixture form that still reproduces them exactly, and back.
 * Every readable form is checked by re-encoding before it is chosen; when none fits, the bytes
 * are kept as text or base64. Replays are byte-exact, so a client's parser is tested for real.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const STREAMS = ['stdin', 'stdout', 'stderr'] as const;

export function utf8Text(data: Buffer): string | undefined {
  try {
    return utf8.decode(data);
  } catch {
    return undefined;
  }
}

function textOrBase64(data: Buffer): { text: string } | { base64: string } {
  const text = utf8Text(data);
  return text === undefined ? { base64: data.toString('base64') } : { text };
}

export function digestOf(data: Buffer): BodyDigest {
  return { length: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}

/** Go's encoding/json escapes these by default, and the engine is written in Go. */
function escapeHtml(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

interface JsonCandidate {
  value: unknown;
  end: string;
  plain: boolean;
  html: boolean;
}

/** A JSON object or array followed only by whitespace, if some serialisation gives the same bytes. */
function asJson(data: Buffer): JsonCandidate | undefined {
  const text = utf8Text(data);
  if (!text || (text[0] !== '{' && text[0] !== '[')) return undefined;
  let cut = text.length;
  while (cut > 0 && ' \t\r\n'.includes(text[cut - 1]!)) cut--;
  const core = text.slice(0, cut);
  let value: unknown;
  try {
    value = parseJson(core);
  } catch {
    return undefined;
  }
  const plainText = stringifyJson(value);
  const plain = plainText === core;
  const html = escapeHtml(plainText) === core;
  return plain || html ? { value, end: text.slice(cut), plain, html } : undefined;
}

function jsonPiece(c: JsonCandidate): Piece {
  return { json: c.value as never, ...(c.end ? { end: c.end } : {}), ...(c.plain ? {} : { escapeHtml: true as const }) };
}

/** Docker's multiplexed stream: 8-byte headers (stream, 0, 0, 0, big-endian length), then payload. */
export function asFrames(data: Buffer): Frame[] | undefined {
  const frames: Frame[] = [];
  let at = 0;
  while (at < data.length) {
    if (data.length - at < 8) return undefined;
    const stream = STREAMS[data[at]!];
    if (!stream || data[at + 1] || data[at + 2] || data[at + 3]) return undefined;
    const end = at + 8 + data.readUInt32BE(at + 4);
    if (end > data.length) return undefined;
    frames.push({ stream, ...textOrBase64(data.subarray(at + 8, end)) });
    at = end;
  }
  return frames.length ? frames : undefined;
}

export function isTar(data: Buffer, contentType = ''): boolean {
  return contentType.includes('x-tar') || (data.length >= 512 && data.toString('latin1', 257, 262) === 'ustar');
}

/** The entries of a tar archive, for a reader of the fixture; undefined when it is not one (gzip). */
export async function listTar(data: Buffer): Promise<TarEntry[] | undefined> {
  const extract = tar.extract();
  const entries: TarEntry[] = [];
  extract.end(data);
  try {
    for await (const entry of extract) {
      entries.push({ name: entry.header.name, type: entry.header.type ?? 'file', size: entry.header.size ?? 0 });
      entry.resume();
    }
  } catch {
    return undefined;
  }
  return entries;
}

/** The readable form of one run of bytes: a whole body, one chunk, or one upgrade event's data. */
export async function encodePiece(data: Buffer, contentType = ''): Promise<Piece> {
  if (isTar(data, contentType)) {
    const entries = await listTar(data);
    if (entries) return { tar: data.toString('base64'), entries };
  }
  const json = asJson(data);
  if (json) return jsonPiece(json);
  const frames = asFrames(data);
  if (frames) return { frames };
  return textOrBase64(data);
}

/** Upgrade events are raw streams: frames, text or base64 only. */
export function encodeStreamPiece(data: Buffer): { frames: Frame[] } | { text: string } | { base64: string } {
  const frames = asFrames(data);
  return frames ? { frames } : textOrBase64(data);
}

/** A chunked body: a plain list of JSON documents when every chunk is one, else one piece per chunk. */
export async function encodeChunks(chunks: Buffer[]): Promise<JsonChunks | Piece[]> {
  const docs = chunks.map(asJson);
  const end = docs[0]?.end;
  if (end !== undefined && docs.every((d) => d?.end === end)) {
    const all = docs as JsonCandidate[];
    if (all.every((d) => d.plain)) return { json: all.map((d) => d.value as never), end };
    if (all.every((d) => d.html)) return { json: all.map((d) => d.value as never), end, escapeHtml: true };
  }
  return Promise.all(chunks.map((chunk) => encodePiece(chunk)));
}

function jsonBytes(value: unknown, end = '', html = false): Buffer {
  const text = stringifyJson(value);
  return Buffer.from((html ? escapeHtml(text) : text) + end, 'utf8');
}

function textBytes(piece: { text: string } | { base64: string }): Buffer {
  return 'text' in piece ? Buffer.from(piece.text, 'utf8') : Buffer.from(piece.base64, 'base64');
}

// Lengths are recomputed from the payload, so an edited or normalised payload stays well framed.
function frameBytes(frame: Frame): Buffer {
  const payload = textBytes(frame);
  const head = Buffer.alloc(8);
  head[0] = STREAMS.indexOf(frame.stream);
  head.writeUInt32BE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

export function decodePiece(piece: Piece | { frames: Frame[] } | { text: string } | { base64: string }): Buffer {
  if ('json' in piece) return jsonBytes(piece.json, piece.end, piece.escapeHtml);
  if ('frames' in piece) return Buffer.concat(piece.frames.map(frameBytes));
  if ('tar' in piece) return Buffer.from(piece.tar, 'base64');
  return textBytes(piece);
}

export function decodeChunks(chunks: JsonChunks | Piece[]): Buffer[] {
  if (Array.isArray(chunks)) return chunks.map(decodePiece);
  return chunks.json.map((doc) => jsonBytes(doc, chunks.end, chunks.escapeHtml));
}
