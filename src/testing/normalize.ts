import { isTar, utf8Text } from './body.js';
import type { Exchange } from './exchange.js';
import { header, type HeaderList } from './http1.js';
import { parseJson, stringifyJson } from './json.js';
import { redactSensitive } from './sensitive.js';

/**
 * What makes a recording stable and safe to commit: secrets are redacted, ids are replaced by
 * deterministic fakes, and timestamps are shifted so the recording starts at a fixed epoch.
 * Replacements keep the byte length of what they replace, so multiplexed frame headers and
 * Content-Length stay right even inside bodies we do not parse.
 */

export const REDACTED = '<redacted>';
export const EPOCH = Date.UTC(2026, 0, 1) / 1000;

const SECRET_HEADERS = new Set(['x-registry-auth', 'x-registry-config', 'authorization', 'proxy-authorization', 'cookie']);
/**
 * Registry credentials, and a swarm's keys: a join token (`POST /swarm/join`) lets any engine that
 * has it join the swarm, the unlock key opens a locked manager's state, a signing CA key signs
 * node certificates (`swarm init`/`update`).
 */
export const SECRET_FIELDS = new Set(['password', 'auth', 'identitytoken', 'registrytoken', 'jointoken', 'unlockkey', 'signingcakey']);
/** Objects whose every string is secret: `GET /swarm`'s JoinTokens `{ Worker, Manager }` (shape kept: clients parse it). */
const SECRET_OBJECTS = new Set(['jointokens']);

export function redactHeaders(headers: HeaderList): HeaderList {
  return headers.map(([name, value]) => [name, SECRET_HEADERS.has(name.toLowerCase()) ? REDACTED : value]);
}

/** Secret fields at any depth; empty values stay, so "no token" remains visible. */
export function redactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactValue);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [
    key,
    SECRET_FIELDS.has(key.toLowerCase()) && field !== '' && field !== null ? REDACTED
      : SECRET_OBJECTS.has(key.toLowerCase()) && field !== null && typeof field === 'object' ? redactStrings(field)
        : redactValue(field),
  ]));
}

function redactStrings(value: unknown): unknown {
  if (typeof value === 'string') return value === '' ? value : REDACTED;
  if (Array.isArray(value)) return value.map(redactStrings);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, redactStrings(field)]));
}

/** The same body with secret JSON fields redacted; untouched (same Buffer) when nothing was secret. */
export function redactJsonBody(data: Buffer): Buffer {
  const text = utf8Text(data);
  if (!text || !/^\s*[[{]/.test(text)) return data;
  let value: unknown;
  try {
    value = parseJson(text);
  } catch {
    return data;
  }
  const redacted = stringifyJson(redactValue(value));
  if (redacted === stringifyJson(value)) return data;
  return Buffer.from(redacted + (/\s*$/.exec(text)?.[0] ?? ''), 'utf8');
}

export function redactExchange(marked: Exchange): Exchange {
  const exchange = redactSensitive(marked); // a Secret's values, when the client marked the exchange
  const { request, response } = exchange;
  return {
    ...exchange,
    request: { ...request, headers: redactHeaders(request.headers), body: redactJsonBody(request.body) },
    ...(response && { response: { ...response, pieces: response.pieces.map(redactJsonBody) } }),
  };
}

type Where = 'target' | 'request-header' | 'request-body' | 'response-header' | 'response-body' | 'client-data' | 'engine-data';
type Rewrite = (text: string, where: Where, headerName?: string) => string;

// Bytes go through latin1 so any byte maps to one char and back: a same-length text edit is a
// same-length byte edit, whatever the encoding of the body.
function rewriteBytes(data: Buffer, where: Where, rewrite: Rewrite): Buffer {
  return Buffer.from(rewrite(data.toString('latin1'), where), 'latin1');
}

/**
 * The file contents of a tar archive, rewritten in place: headers (with their checksums) are left
 * as they are, and a same-length edit of a file's content keeps the archive valid byte for byte.
 * Only `known` ids are replaced there: ids the engine itself gave out elsewhere in the recording
 * (a client that writes a container's own id into a file it uploads, as the pod agent writes its
 * probe results, and reads back); any other hex in a file is the test's own content.
 */
function rewriteTarContents(data: Buffer, known: Rewrite): Buffer {
  const out = Buffer.from(data);
  for (let at = 0; at + 512 <= out.length;) {
    const header = out.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break; // the end-of-archive blocks
    const size = parseInt(header.toString('latin1', 124, 136).replace(/\0.*$/, '').trim() || '0', 8);
    const start = at + 512;
    const content = out.subarray(start, Math.min(start + size, out.length));
    const rewritten = Buffer.from(known(content.toString('latin1'), 'request-body'), 'latin1');
    if (rewritten.length === content.length) rewritten.copy(out, start);
    at = start + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** `data` cut at the same lengths as `like` (a same-length rewrite keeps the chunk boundaries). */
function resplit(data: Buffer, like: Buffer[]): Buffer[] {
  let at = 0;
  return like.map((piece) => data.subarray(at, (at += piece.length)));
}

/**
 * Applies `rewrite` to every text of an exchange. Tar archives keep their headers (they carry
 * checksums); in an uploaded archive's file contents, only ids the engine gave out are replaced
 * (see rewriteTarContents), with `known` when given.
 */
function rewriteExchange(exchange: Exchange, rewrite: Rewrite, known?: Rewrite): Exchange {
  const { request, response, upgrade } = exchange;
  const headers = (list: HeaderList, where: Where): HeaderList => list.map(([name, value]) => [name, rewrite(value, where, name)]);
  const requestTar = isTar(request.body, header(request.headers, 'content-type'));
  const responseTar = response && isTar(Buffer.concat(response.pieces), header(response.headers, 'content-type'));
  return {
    request: {
      method: request.method,
      target: rewrite(request.target, 'target'),
      headers: headers(request.headers, 'request-header'),
      body: requestTar ? (known ? rewriteTarContents(request.body, known) : request.body) : rewriteBytes(request.body, 'request-body', rewrite),
    },
    ...(response && {
      response: {
        ...response,
        headers: headers(response.headers, 'response-header'),
        pieces: responseTar ? (known ? resplit(rewriteTarContents(Buffer.concat(response.pieces), known), response.pieces) : response.pieces) : response.pieces.map((piece) => rewriteBytes(piece, 'response-body', rewrite)),
      },
    }),
    ...(upgrade && {
      upgrade: upgrade.map((event) => 'data' in event
        ? { from: event.from, data: rewriteBytes(event.data, event.from === 'client' ? 'client-data' : 'engine-data', rewrite) }
        : event),
    }),
  };
}

// An id may follow a percent-escape (`%22` in a URL-encoded filter), whose digits are hex too.
const START = '(?:(?<![0-9a-f])|(?<=%[0-9A-F]{2}))';
const ID = new RegExp(`${START}[0-9a-f]{64}(?![0-9a-f])`, 'g');

/** The n-th fake id: its 12-char short form is unique too, and it is plainly not a real digest. */
export function fakeId(n: number): string {
  return n.toString(16).padStart(12, '0').repeat(6).slice(0, 64);
}

/** Replaces every 64-hex id (bare or in a `sha256:` digest), and standalone short forms of them. */
function idRewrite(exchanges: Exchange[]): Rewrite {
  const fakes = new Map<string, string>();
  const collect: Rewrite = (text) => {
    for (const [id] of text.matchAll(ID)) if (!fakes.has(id)) fakes.set(id, fakeId(fakes.size + 1));
    return text;
  };
  for (const exchange of exchanges) rewriteExchange(exchange, collect);
  if (!fakes.size) return (text) => text;
  const shorts = new Map([...fakes].map(([id, fake]) => [id.slice(0, 12), fake.slice(0, 12)]));
  const SHORT = new RegExp(`${START}(?:${[...shorts.keys()].join('|')})(?![0-9a-f])`, 'g');
  return (text) => text.replace(ID, (id) => fakes.get(id) ?? id).replace(SHORT, (short) => shorts.get(short) ?? short);
}

const RFC3339 = /\b(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})/g;
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * Shifts an RFC 3339 time by whole seconds, keeping its zone and its fraction digits as written,
 * hence its length. Zero times (Go's 0001-01-01T00:00:00Z for "never") keep their meaning.
 */
export function shiftRfc3339(text: string, offset: number): string {
  return text.replace(RFC3339, (match, y, mo, d, h, mi, s, fraction = '', zone: string) => {
    if (Number(y) < 1900) return match;
    // The zone offset is fixed, so shifting the wall time as if it were UTC is the same shift.
    const local = new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s) + offset * 1000);
    if (local.getUTCFullYear() > 9999) return match;
    return `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T`
      + `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${fraction}${zone}`;
  });
}

/** Unix-time fields of event and list answers (`time`, `timeNano`, `Created`). */
function shiftUnixFields(text: string, offset: number): string {
  return text.replace(/"(time|timeNano|Created)":(\d+)/g, (match, field: string, digits: string) => {
    if (digits === '0') return match;
    const shifted = field === 'timeNano' ? BigInt(digits) + BigInt(offset) * 1_000_000_000n : BigInt(digits) + BigInt(offset);
    return `"${field}":${shifted}`;
  });
}

/** `since`/`until` query values: unix seconds (with optional fraction) or RFC 3339. */
function shiftQueryTimes(target: string, offset: number): string {
  return target.replace(/([?&](?:since|until)=)([^&]*)/g, (match, key: string, raw: string) => {
    const number = /^(\d+)(\.\d+)?$/.exec(raw);
    if (number) return number[1] === '0' ? match : `${key}${BigInt(number[1]!) + BigInt(offset)}${number[2] ?? ''}`;
    return `${key}${encodeURIComponent(shiftRfc3339(decodeURIComponent(raw), offset))}`;
  });
}

function timeRewrite(offset: number): Rewrite {
  return (text, where, name) => {
    if (where === 'target') return shiftQueryTimes(text, offset);
    if (where === 'response-body' || where === 'engine-data') return shiftUnixFields(shiftRfc3339(text, offset), offset);
    if (where !== 'response-header') return text;
    const lower = name?.toLowerCase();
    if (lower === 'date') {
      const ms = Date.parse(text);
      return Number.isNaN(ms) ? text : new Date(ms + offset * 1000).toUTCString();
    }
    // The archive stat header is base64 JSON with an mtime; same-length edits keep it valid base64.
    if (lower === 'x-docker-container-path-stat') {
      return Buffer.from(shiftRfc3339(Buffer.from(text, 'base64').toString('latin1'), offset), 'latin1').toString('base64');
    }
    return text;
  };
}

export interface NormalizeOptions {
  /** Seconds added to every timestamp: the recording's start maps to EPOCH. */
  offset: number;
}

export function normalizeExchanges(exchanges: Exchange[], options: NormalizeOptions): Exchange[] {
  const redacted = exchanges.map(redactExchange);
  const ids = idRewrite(redacted);
  const times = timeRewrite(options.offset);
  return redacted.map((exchange) => rewriteExchange(exchange, (text, where, name) => times(ids(text, where, name), where, name), ids));
}
