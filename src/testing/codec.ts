import { STATUS_CODES } from 'node:http';
import { decodeChunks, decodePiece, digestOf, encodeChunks, encodePiece, encodeStreamPiece, isTar, listTar } from './body.js';
import type { Exchange, UpgradeEvent } from './exchange.js';
import type { Fixture, FixtureExchange, FixtureUpgradeEvent } from './fixture.js';
import { header, type HeaderList } from './http1.js';
import { EPOCH } from './normalize.js';

/** Between exchanges as bytes and their fixture form. decode(encode(x)) gives x's bytes back. */

// Hop-by-hop headers say nothing about the call; dropping them keeps request records short.
const NOISE = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);
/** Above this, a request body that is not JSON is kept as its digest: still matched, never replayed. */
const REQUEST_BODY_CAP = 64 * 1024;

type HeaderObject = Record<string, string | string[]>;

function headerObject(headers: HeaderList): HeaderObject {
  const object: HeaderObject = {};
  for (const [name, value] of headers) {
    const seen = object[name];
    object[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return object;
}

function headerList(object: HeaderObject = {}): HeaderList {
  return Object.entries(object).flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v): [string, string] => [name, v]));
}

export function splitTarget(target: string): { path: string; query: URLSearchParams } {
  const at = target.indexOf('?');
  return at < 0
    ? { path: target, query: new URLSearchParams() }
    : { path: target.slice(0, at), query: new URLSearchParams(target.slice(at + 1)) };
}

/** The query as an object with sorted keys; a repeated key becomes a list. */
export function queryObject(query: URLSearchParams): Record<string, string | string[]> | undefined {
  const keys = [...new Set(query.keys())].sort();
  if (!keys.length) return undefined;
  return Object.fromEntries(keys.map((key) => {
    const values = query.getAll(key);
    return [key, values.length === 1 ? values[0]! : values];
  }));
}

async function encodeRequestBody(request: Exchange['request']): Promise<FixtureExchange['request']['body']> {
  if (!request.body.length) return undefined;
  const contentType = header(request.headers, 'content-type');
  const piece = await encodePiece(request.body, contentType);
  if (request.body.length <= REQUEST_BODY_CAP || 'json' in piece) return piece;
  const entries = isTar(request.body, contentType) ? await listTar(request.body) : undefined;
  return { omitted: request.body.length, sha256: digestOf(request.body).sha256, ...(entries && { entries }) };
}

async function encodeResponse(response: NonNullable<Exchange['response']>): Promise<NonNullable<FixtureExchange['response']>> {
  const { status, reason, framing, headers, pieces } = response;
  const encoded: NonNullable<FixtureExchange['response']> = {
    status,
    ...(reason !== (STATUS_CODES[status] ?? '') && { reason }),
    framing,
    headers: headerObject(headers),
  };
  if (framing === 'chunked') {
    if (pieces.length) encoded.chunks = await encodeChunks(pieces);
  } else {
    const body = Buffer.concat(pieces);
    if (body.length) encoded.body = await encodePiece(body, header(headers, 'content-type'));
  }
  if (!response.complete) encoded.incomplete = true;
  return encoded;
}

/** Consecutive reads from one side are one event: TCP read sizes are noise, and frames may straddle them. */
function encodeUpgrade(events: UpgradeEvent[]): FixtureUpgradeEvent[] {
  const merged: UpgradeEvent[] = [];
  for (const event of events) {
    const last = merged.at(-1);
    if (last && 'data' in last && 'data' in event && last.from === event.from) {
      merged[merged.length - 1] = { from: last.from, data: Buffer.concat([last.data, event.data]) };
    } else {
      merged.push(event);
    }
  }
  return merged.map((event) => ('data' in event ? { from: event.from, ...encodeStreamPiece(event.data) } : event));
}

export async function encodeExchange(exchange: Exchange): Promise<FixtureExchange> {
  const { request, response, upgrade } = exchange;
  const { path, query } = splitTarget(request.target);
  const headers = request.headers.filter(([name]) => !NOISE.has(name.toLowerCase()));
  const body = await encodeRequestBody(request);
  const queryFields = queryObject(query);
  return {
    request: {
      method: request.method,
      path,
      ...(queryFields && { query: queryFields }),
      ...(headers.length && { headers: headerObject(headers) }),
      ...(body && { body }),
    },
    ...(response && { response: await encodeResponse(response) }),
    ...(upgrade && { upgrade: encodeUpgrade(upgrade) }),
  };
}

function decodeRequestBody(body: FixtureExchange['request']['body']): Pick<Exchange['request'], 'body' | 'digest'> {
  if (!body) return { body: Buffer.alloc(0) };
  // A fixture built in code skips parseFixture's check: without a digest, nothing can match.
  if ('omitted' in body) return { body: Buffer.alloc(0), digest: { length: body.omitted, sha256: body.sha256 ?? '' } };
  return { body: decodePiece(body) };
}

export function decodeExchange(exchange: FixtureExchange): Exchange {
  const { request, response, upgrade } = exchange;
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(request.query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) query.append(key, v);
  }
  const search = query.toString();
  return {
    request: {
      method: request.method,
      target: search ? `${request.path}?${search}` : request.path,
      headers: headerList(request.headers),
      ...decodeRequestBody(request.body),
    },
    ...(response && {
      response: {
        status: response.status,
        reason: response.reason ?? STATUS_CODES[response.status] ?? '',
        headers: headerList(response.headers),
        framing: response.framing,
        pieces: response.chunks ? decodeChunks(response.chunks) : response.body ? [decodePiece(response.body)] : [],
        complete: !response.incomplete,
      },
    }),
    ...(upgrade && {
      upgrade: upgrade.map((event): UpgradeEvent => ('end' in event ? event : { from: event.from, data: decodePiece(event) })),
    }),
  };
}

export async function encodeFixture(exchanges: Exchange[], clock: number[] = [], epoch = new Date(EPOCH * 1000).toISOString()): Promise<Fixture> {
  const encoded: FixtureExchange[] = [];
  for (const exchange of exchanges) encoded.push(await encodeExchange(exchange));
  return { podling: 1, epoch, clock, exchanges: encoded };
}
