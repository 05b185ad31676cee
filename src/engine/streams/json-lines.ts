import type { Readable } from 'node:stream';

/**
 * Decodes the engine's progress and event streams: one JSON object per line (`\r\n` for pull,
 * build and import; `\n` for events). Lines are split on bytes, not on chunks, because a chunk may
 * carry half an object or several.
 */
export async function* jsonLines(body: Readable | AsyncIterable<Buffer>): AsyncGenerator<unknown> {
  let pending = '';
  for await (const chunk of body) {
    pending += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line) yield JSON.parse(line);
    }
  }
  const rest = pending.trim();
  if (rest) yield JSON.parse(rest);
}
