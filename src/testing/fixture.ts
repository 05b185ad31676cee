import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { PodlingError } from '../errors.js';
import { parseJson, stringifyJson } from './json.js';

/**
 * The fixture file: one scenario's exchanges as readable JSON. Our own format, so every object is
 * strict: a hand edit with a typo fails loudly at load time instead of replaying something else.
 */

const StreamName = z.enum(['stdin', 'stdout', 'stderr']);

const Frame = z.union([
  z.strictObject({ stream: StreamName, text: z.string() }),
  z.strictObject({ stream: StreamName, base64: z.string() }),
]);

const TarEntry = z.strictObject({ name: z.string(), type: z.string(), size: z.number().int().nonnegative() });

// The shapes a run of bytes can take; each reproduces its bytes exactly (see body.ts).
const pieceShapes = {
  json: { json: z.json(), end: z.string().optional(), escapeHtml: z.literal(true).optional() },
  frames: { frames: z.array(Frame) },
  tar: { tar: z.string(), entries: z.array(TarEntry) },
  text: { text: z.string() },
  base64: { base64: z.string() },
};

export const Piece = z.union([
  z.strictObject(pieceShapes.json),
  z.strictObject(pieceShapes.frames),
  z.strictObject(pieceShapes.tar),
  z.strictObject(pieceShapes.text),
  z.strictObject(pieceShapes.base64),
]);

/**
 * A large request body that is not JSON, kept as its length and SHA-256: replay still compares it
 * byte for byte, through the digest. Older fixtures kept only the length and must be re-recorded;
 * the digest is optional, then refined, because inside a union only a refinement's message
 * survives, and this one says what to do.
 */
const OmittedBody = z.strictObject({
  omitted: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  entries: z.array(TarEntry).optional(),
}).refine((body) => body.sha256 !== undefined, 'an omitted body needs its sha256, or replay cannot compare it: re-record (`make record`)');

/** A chunked stream of JSON documents, one per chunk, each followed by `end`. */
const JsonChunks = z.strictObject({ json: z.array(z.json()), end: z.string(), escapeHtml: z.literal(true).optional() });

const Side = z.enum(['client', 'engine']);

export const UpgradeEvent = z.union([
  z.strictObject({ from: Side, end: z.literal(true) }),
  z.strictObject({ from: Side, ...pieceShapes.frames }),
  z.strictObject({ from: Side, ...pieceShapes.text }),
  z.strictObject({ from: Side, ...pieceShapes.base64 }),
]);

const Headers = z.record(z.string(), z.union([z.string(), z.array(z.string())]));

const Request = z.strictObject({
  method: z.string(),
  path: z.string(),
  query: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
  headers: Headers.optional(),
  body: z.union([Piece, OmittedBody]).optional(),
});

const Response = z.strictObject({
  status: z.number().int(),
  /** Only when it differs from the standard phrase (the engine's 101 says "UPGRADED"). */
  reason: z.string().optional(),
  framing: z.enum(['none', 'length', 'chunked', 'close', 'upgrade']),
  headers: Headers,
  body: Piece.optional(),
  chunks: z.union([JsonChunks, z.array(Piece)]).optional(),
  /** The client stopped reading before the body ended; replay leaves the stream open likewise. */
  incomplete: z.literal(true).optional(),
});

export const FixtureExchange = z.strictObject({
  request: Request,
  response: Response.optional(),
  upgrade: z.array(UpgradeEvent).optional(),
});

export const Fixture = z.strictObject({
  podling: z.literal(1),
  /** The recording's start time, as replayed: every timestamp was shifted by the same amount. */
  epoch: z.iso.datetime(),
  /** What each `now()` call returned while recording, in seconds after `epoch`. */
  clock: z.array(z.number().int()),
  exchanges: z.array(FixtureExchange),
});

export type Piece = z.infer<typeof Piece>;
export type OmittedBody = z.infer<typeof OmittedBody>;
export type JsonChunks = z.infer<typeof JsonChunks>;
export type Frame = z.infer<typeof Frame>;
export type TarEntry = z.infer<typeof TarEntry>;
export type FixtureUpgradeEvent = z.infer<typeof UpgradeEvent>;
export type FixtureExchange = z.infer<typeof FixtureExchange>;
export type Fixture = z.infer<typeof Fixture>;

/** A fixture that is missing or not one: of kind `invalid`, as any input that cannot be used. */
export class FixtureError extends PodlingError<'invalid'> {
  override readonly name = 'FixtureError';
  constructor(message: string) {
    super('invalid', message);
  }
}

export function parseFixture(value: unknown, source = 'fixture'): Fixture {
  const parsed = Fixture.safeParse(value);
  if (!parsed.success) throw new FixtureError(`${source} is not a valid fixture:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** `missing` says how to make the fixture; this project's own tests are recorded by `make record`. */
export async function loadFixture(path: string, missing = 'run `make record`'): Promise<Fixture> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new FixtureError(`no fixture at ${path}: ${missing}`);
    throw err;
  }
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (err) {
    throw new FixtureError(`${path} is not JSON: ${(err as Error).message}`);
  }
  return parseFixture(value, path);
}

/** Two-space JSON with a final newline, so re-recording a scenario gives a reviewable diff. */
export async function saveFixture(path: string, fixture: Fixture): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, stringifyJson(fixture, 2) + '\n');
}
