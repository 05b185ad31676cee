import { REDACTED, SECRET_FIELDS } from './normalize.js';

/**
 * Where two runs of bytes part, told in one line a failing test can show: the offset, both
 * lengths, and a short escaped excerpt of each side there. The excerpts come from request bodies
 * and stdin, so they are kept short and any secret-looking JSON field in them is masked.
 */

/** The first offset at which `a` and `b` differ; undefined when they are equal. */
function firstDifference(a: Buffer, b: Buffer): number | undefined {
  const shorter = Math.min(a.length, b.length);
  const at = a.subarray(0, shorter).findIndex((byte, i) => byte !== b[i]);
  if (at >= 0) return at;
  return a.length === b.length ? undefined : shorter;
}

// Before and after the first differing byte: enough to recognise the place, too little to dump a body.
const BEFORE = 12;
const AFTER = 20;

const SECRET_VALUE = new RegExp(`"(?:${[...SECRET_FIELDS].join('|')})"\\s*:\\s*"((?:[^"\\\\]|\\\\.)*)`, 'gi');

/**
 * Secret values overwritten with `*`, at the same length so offsets still hold. Redaction has
 * already run on a body that parses as JSON; this covers one that does not (a truncated body),
 * whose password would otherwise be printed as it is.
 */
function maskSecrets(data: Buffer): Buffer {
  const text = data.toString('latin1');
  const masked = text.replace(SECRET_VALUE, (match, value: string) =>
    value === REDACTED ? match : match.slice(0, match.length - value.length) + '*'.repeat(value.length));
  return masked === text ? data : Buffer.from(masked, 'latin1');
}

function escapeByte(byte: number): string {
  if (byte === 0x0a) return '\\n';
  if (byte === 0x0d) return '\\r';
  if (byte === 0x09) return '\\t';
  if (byte === 0x22 || byte === 0x5c) return `\\${String.fromCharCode(byte)}`;
  if (byte >= 0x20 && byte < 0x7f) return String.fromCharCode(byte);
  return `\\x${byte.toString(16).padStart(2, '0')}`;
}

/** The bytes around `at`, quoted and escaped (bodies may be binary); `…` marks what is cut off. */
function excerpt(data: Buffer, at: number): string {
  const start = Math.max(0, at - BEFORE);
  const end = Math.min(data.length, at + AFTER);
  const shown = [...maskSecrets(data).subarray(start, end)].map(escapeByte).join('');
  return `${start > 0 ? '…' : ''}"${shown}"${end < data.length ? '…' : ''}`;
}

/** "differs at byte N: expected …, got … (M bytes recorded, K sent)", or undefined when equal. */
export function describeDifference(expected: Buffer, got: Buffer): string | undefined {
  const at = firstDifference(expected, got);
  if (at === undefined) return undefined;
  const lengths = expected.length === got.length ? `${got.length} bytes each` : `${expected.length} bytes recorded, ${got.length} sent`;
  return `differs at byte ${at}: expected ${excerpt(expected, at)}, got ${excerpt(got, at)} (${lengths})`;
}
