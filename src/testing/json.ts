/**
 * JSON that keeps integers beyond 2^53 exact. The engine's events carry `timeNano` (19 digits),
 * which JSON.parse would round: the body would no longer reproduce and would fall back to an
 * escaped text blob. Such integers travel as sentinel strings in memory and are written back as
 * plain numbers, in bodies and in fixture files alike.
 */

const SENTINEL_JSON = /"\\u0000bigint:(-?\d+)"/g;

/** Wraps unsafe integer literals (outside strings) as sentinel strings before JSON.parse. */
function protectBigInts(text: string): string {
  let out = '';
  let copied = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (c !== '-' && (c < '0' || c > '9')) continue;
    const number = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 64))?.[0] ?? c;
    if (!/[.eE]/.test(number) && !Number.isSafeInteger(Number(number))) {
      out += `${text.slice(copied, i)}"\\u0000bigint:${number}"`;
      copied = i + number.length;
    }
    i += number.length - 1;
  }
  return copied ? out + text.slice(copied) : text;
}

export function parseJson(text: string): unknown {
  return JSON.parse(protectBigInts(text));
}

export function stringifyJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(SENTINEL_JSON, '$1');
}
