import { isDeepStrictEqual } from 'node:util';
import { digestOf, utf8Text } from './body.js';
import { splitTarget } from './codec.js';
import { describeDifference } from './difference.js';
import type { BodyDigest } from './exchange.js';
import { parseJson, stringifyJson } from './json.js';
import type { HeaderList } from './http1.js';
import { header } from './http1.js';
import { redactJsonBody } from './normalize.js';
import { isSensitive, redactSensitiveBody } from './sensitive.js';

/**
 * Which recording answers a request: same method, same path once the `/vX.Y` prefix is gone (the
 * negotiated version is not what a test is about), same query in any order, and the same body
 * byte for byte: JSON, tar uploads, text and binary alike.
 *
 * JSON is compared as bytes too, key order and whitespace included. The recorder keeps a JSON
 * body as a value only when re-serialising it gives back the exact bytes sent, so the recorded
 * bytes are known exactly. The client's JSON.stringify follows the insertion order of its keys,
 * so its bytes are the same on every run; a change of key order is a change of the client's
 * output, which the miss reports as such ("the same JSON value") and re-recording accepts.
 */
export interface RequestKey {
  method: string;
  path: string;
  /** Canonical: keys sorted, percent-encoded. */
  query: string;
  /** The body as the recorder keeps it (secret JSON fields redacted), or its digest when large. */
  body: Buffer | BodyDigest;
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * Redaction is the one step of the recorder's normalisation a live body needs: the ids a client
 * sends on replay are the fakes the replay answered with, so they already match the recording.
 */
export function requestKey(method: string, target: string, body: Buffer | BodyDigest, headers: HeaderList = []): RequestKey {
  const { path, query } = splitTarget(target);
  // A request marked as carrying a Secret's values was recorded redacted (sensitive.ts): so is the live one.
  if (Buffer.isBuffer(body) && isSensitive(headers)) body = redactSensitiveBody(body, header(headers, 'content-type'));
  const pairs = [...query].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    method,
    path: decodePath(path.replace(/^\/v\d+\.\d+(?=\/)/, '')),
    query: new URLSearchParams(pairs).toString(),
    body: Buffer.isBuffer(body) ? redactJsonBody(body) : body,
  };
}

const digest = (body: Buffer | BodyDigest): BodyDigest => (Buffer.isBuffer(body) ? digestOf(body) : body);

function sameBody(a: Buffer | BodyDigest, b: Buffer | BodyDigest): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  const [x, y] = [digest(a), digest(b)];
  return x.length === y.length && x.sha256 === y.sha256;
}

/** Everything but the body: a request that differs only there is worth a precise message. */
function sameTarget(a: RequestKey, b: RequestKey): boolean {
  return a.method === b.method && a.path === b.path && a.query === b.query;
}

export function sameRequest(a: RequestKey, b: RequestKey): boolean {
  return sameTarget(a, b) && sameBody(a.body, b.body);
}

/** The body as JSON, when it is JSON (already redacted); undefined otherwise. */
function jsonValue(body: Buffer | BodyDigest): unknown {
  const text = Buffer.isBuffer(body) ? utf8Text(body) : undefined;
  if (!text || !/^\s*[[{]/.test(text)) return undefined;
  try {
    return parseJson(text);
  } catch {
    return undefined;
  }
}

const MAX_BODY_SHOWN = 400;

const describeDigest = (body: BodyDigest) => `${body.length} bytes, sha256 ${body.sha256.slice(0, 12)}…`;

/** A JSON body is shown (it is redacted); any other only by size, as it may be binary or large. */
function describeBody(body: Buffer | BodyDigest): string | undefined {
  if (!body.length) return undefined;
  if (!Buffer.isBuffer(body)) return describeDigest(body);
  const json = jsonValue(body);
  if (json === undefined) return `${body.length} bytes`;
  const text = stringifyJson(json);
  return text.length > MAX_BODY_SHOWN ? `${text.slice(0, MAX_BODY_SHOWN)}…` : text;
}

export function describeRequest(key: RequestKey): string {
  const line = `${key.method} ${key.path}${key.query ? `?${decodeURIComponent(key.query.replace(/\+/g, ' '))}` : ''}`;
  const body = describeBody(key.body);
  return body === undefined ? line : `${line}\n    body: ${body}`;
}

/** Levenshtein distance, on capped strings: it only ranks candidates for a message. */
export function editDistance(a: string, b: string, cap = 400): number {
  const s = a.slice(0, cap);
  const t = b.slice(0, cap);
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= t.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[t.length]!;
}

/** The recording most like `key`: same method and path first, then the smallest edit distance. */
export function nearestRequest(key: RequestKey, candidates: RequestKey[]): RequestKey | undefined {
  const samePath = candidates.filter((c) => c.method === key.method && c.path === key.path);
  const pool = samePath.length ? samePath : candidates;
  const wanted = describeRequest(key);
  let best: RequestKey | undefined;
  let bestDistance = Infinity;
  for (const candidate of pool) {
    const distance = editDistance(wanted, describeRequest(candidate));
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

/** "same request, body differs at byte N: …" against the recording that would have answered it. */
function bodyMismatch(recorded: RequestKey, key: RequestKey): string {
  if (!Buffer.isBuffer(recorded.body) || !Buffer.isBuffer(key.body)) {
    return `same request, body differs from the recorded digest: ${describeDigest(digest(recorded.body))} recorded, ${describeDigest(digest(key.body))} sent`;
  }
  const line = `same request, body ${describeDifference(recorded.body, key.body)}`;
  const json = jsonValue(recorded.body);
  const sameValue = json !== undefined && isDeepStrictEqual(json, jsonValue(key.body));
  return sameValue ? `${line}\n  (the same JSON value: only key order or whitespace changed)` : line;
}

/** The message a test fails with when a request has no recording left to answer it. */
export function missMessage(key: RequestKey, recorded: Array<{ key: RequestKey; used: boolean }>, rerecord = '`make record`'): string {
  const lines = [`no recording for\n    ${describeRequest(key)}`];
  const same = recorded.filter((r) => sameRequest(r.key, key));
  const targets = recorded.filter((r) => sameTarget(r.key, key));
  // A recording left unused with another body is the one the request was meant to take.
  const meant = targets.find((r) => !r.used) ?? (same.length ? undefined : targets[0]);
  if (meant) {
    lines.push(`  ${bodyMismatch(meant.key, key)}`);
  } else if (same.length) {
    lines.push(`  all ${same.length} recording(s) of this request were already used: the test now makes it more often`);
  } else {
    const near = nearestRequest(key, recorded.map((r) => r.key));
    lines.push(near ? `  nearest recording:\n    ${describeRequest(near)}` : '  the fixture has no recordings at all');
  }
  lines.push(`  (if the test changed on purpose, re-record it: ${rerecord})`);
  return lines.join('\n');
}
