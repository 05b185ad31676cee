import { isDeepStrictEqual } from 'node:util';
import { utf8Text } from './body.js';
import { splitTarget } from './codec.js';
import { parseJson, stringifyJson } from './json.js';
import { redactValue } from './normalize.js';

/**
 * Which recording answers a request: same method, same path once the `/vX.Y` prefix is gone (the
 * negotiated version is not what a test is about), same query in any order, and the same JSON
 * body by value. Other bodies (tar streams, stdin) are not compared.
 */
export interface RequestKey {
  method: string;
  path: string;
  /** Canonical: keys sorted, percent-encoded. */
  query: string;
  /** The JSON body, secrets redacted; undefined when there is none or it is not JSON. */
  body: unknown;
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function jsonBody(body: Buffer): unknown {
  const text = utf8Text(body);
  if (!text || !/^\s*[[{]/.test(text)) return undefined;
  try {
    return redactValue(parseJson(text));
  } catch {
    return undefined;
  }
}

export function requestKey(method: string, target: string, body: Buffer): RequestKey {
  const { path, query } = splitTarget(target);
  const pairs = [...query].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    method,
    path: decodePath(path.replace(/^\/v\d+\.\d+(?=\/)/, '')),
    query: new URLSearchParams(pairs).toString(),
    body: jsonBody(body),
  };
}

export function sameRequest(a: RequestKey, b: RequestKey): boolean {
  return a.method === b.method && a.path === b.path && a.query === b.query && isDeepStrictEqual(a.body, b.body);
}

const MAX_BODY_SHOWN = 400;

export function describeRequest(key: RequestKey): string {
  const line = `${key.method} ${key.path}${key.query ? `?${decodeURIComponent(key.query.replace(/\+/g, ' '))}` : ''}`;
  if (key.body === undefined) return line;
  const body = stringifyJson(key.body);
  return `${line}\n    body: ${body.length > MAX_BODY_SHOWN ? `${body.slice(0, MAX_BODY_SHOWN)}…` : body}`;
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

/** The message a test fails with when a request has no recording left to answer it. */
export function missMessage(key: RequestKey, recorded: Array<{ key: RequestKey; used: boolean }>): string {
  const lines = [`no recording for\n    ${describeRequest(key)}`];
  const same = recorded.filter((r) => sameRequest(r.key, key));
  if (same.length) {
    lines.push(`  all ${same.length} recording(s) of this request were already used: the test now makes it more often`);
  } else {
    const near = nearestRequest(key, recorded.map((r) => r.key));
    lines.push(near ? `  nearest recording:\n    ${describeRequest(near)}` : '  the fixture has no recordings at all');
  }
  lines.push('  (if the test changed on purpose, re-record it: `make record`)');
  return lines.join('\n');
}
