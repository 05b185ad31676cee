import { isTar, utf8Text } from './body.js';
import type { Exchange } from './exchange.js';
import { header, type HeaderList } from './http1.js';
import { parseJson, stringifyJson } from './json.js';
import { SENSITIVE_HEADER } from '../engine/transport.js';

/**
 * Secrets never reach a fixture. The client marks every request whose body or answer carries a
 * Secret's values with this header (the engine ignores it; see CallOptions.sensitive), and the
 * recorder keeps such an exchange only in a redacted form:
 * - a tar archive keeps its entries (names, modes, sizes) but every file's content is `*`s of the
 *   same length (the archive stays valid byte for byte, its checksums are in the headers);
 * - a JSON body keeps its shape, but every `Env` entry becomes `NAME=<redacted>` and every word of
 *   a command (`Cmd`, `Entrypoint`, `Args`, `Path`), which `$(VAR)` may have filled from a secret,
 *   becomes `<redacted>`.
 * Replay redacts a marked live request the same way before matching it, so a replayed client that
 * sends what it read from a redacted answer (stars) matches the recording too. What a test reads
 * back from such an answer is stars in replay: a test that checks a secret's value does it live, or
 * compares a digest computed inside the container.
 */
export { SENSITIVE_HEADER } from '../engine/transport.js';

export const REDACTED_VALUE = '<redacted>';
const COMMAND_FIELDS = new Set(['Cmd', 'Entrypoint', 'Args', 'Path']);

export const isSensitive = (headers: HeaderList) => header(headers, SENSITIVE_HEADER) !== undefined;

function redactJson(value: unknown, field?: string): unknown {
  if (Array.isArray(value)) {
    if (field === 'Env') return value.map((entry) => (typeof entry === 'string' ? `${entry.split('=')[0]}=${REDACTED_VALUE}` : entry));
    if (field && COMMAND_FIELDS.has(field)) return value.map(() => REDACTED_VALUE);
    return value.map((item) => redactJson(item));
  }
  if (typeof value === 'string' && field && COMMAND_FIELDS.has(field)) return REDACTED_VALUE;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, redactJson(inner, key)]));
}

/**
 * Every file's content in a tar archive as `*`s of the same length; headers untouched. A file that
 * is a JSON object or array (a docker config of an imagePullSecret, say) stays valid JSON of the
 * same length, so code that parses it in replay still can: its keys are kept, every string value
 * becomes `*`s and every digit `1`.
 */
function starTarContents(data: Buffer): Buffer {
  const out = Buffer.from(data);
  for (let at = 0; at + 512 <= out.length;) {
    const head = out.subarray(at, at + 512);
    if (head.every((b) => b === 0)) break;
    const size = parseInt(head.toString('latin1', 124, 136).replace(/\0.*$/, '').trim() || '0', 8);
    const start = at + 512;
    const content = out.subarray(start, Math.min(start + size, out.length));
    if (!starJsonValues(content)) content.fill(0x2a);
    at = start + Math.ceil(size / 512) * 512;
  }
  return out;
}

const [QUOTE, BACKSLASH, COLON, STAR, ONE] = [0x22, 0x5c, 0x3a, 0x2a, 0x31];
const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/** Stars a JSON object's or array's values in place (see starTarContents); false, untouched, when it is no such JSON. */
function starJsonValues(content: Buffer): boolean {
  const text = content.toString('utf8');
  if (!/^\s*[[{]/.test(text)) return false;
  try {
    JSON.parse(text);
  } catch {
    return false;
  }
  for (let i = 0; i < content.length; i++) {
    const b = content[i]!;
    if (isDigit(b)) content[i] = ONE;
    if (b !== QUOTE) continue;
    let end = i + 1;
    while (content[end] !== QUOTE) end += content[end] === BACKSLASH ? 2 : 1;
    let next = end + 1;
    while (next < content.length && isSpace(content[next]!)) next++;
    // A key is followed by a colon: kept. A value's every byte (escapes and UTF-8 alike) is a star.
    if (content[next] !== COLON) content.fill(STAR, i + 1, end);
    i = end;
  }
  return true;
}

/** A marked body in its redacted form; anything that is neither tar nor JSON is starred whole. */
export function redactSensitiveBody(data: Buffer, contentType = ''): Buffer {
  if (!data.length) return data;
  if (isTar(data, contentType)) return starTarContents(data);
  const text = utf8Text(data);
  if (text && /^\s*[[{]/.test(text)) {
    try {
      return Buffer.from(stringifyJson(redactJson(parseJson(text.trim()))) + (/\s*$/.exec(text)?.[0] ?? ''), 'utf8');
    } catch {
      // not JSON after all: starred below
    }
  }
  return Buffer.alloc(data.length, 0x2a);
}

/** A recorded exchange with the values of a marked request and its answer redacted. */
export function redactSensitive(exchange: Exchange): Exchange {
  const { request, response } = exchange;
  if (!isSensitive(request.headers)) return exchange;
  return {
    ...exchange,
    request: { ...request, body: redactSensitiveBody(request.body, header(request.headers, 'content-type')) },
    ...(response && { response: { ...response, pieces: redactPieces(response, header(response.headers, 'content-type')) } }),
  };
}

/**
 * A chunked answer is redacted chunk by chunk (a stream of JSON documents); any other body as a
 * whole, since it arrived in pieces of no meaning. A tar keeps its piece boundaries (same length).
 */
function redactPieces(response: NonNullable<Exchange['response']>, contentType = ''): Buffer[] {
  const { pieces, framing } = response;
  const whole = Buffer.concat(pieces);
  if (isTar(whole, contentType)) {
    const starred = starTarContents(whole);
    let at = 0;
    return pieces.map((piece) => starred.subarray(at, (at += piece.length)));
  }
  if (framing === 'chunked') return pieces.map((piece) => redactSensitiveBody(piece, contentType));
  return whole.length ? [redactSensitiveBody(whole, contentType)] : pieces;
}
