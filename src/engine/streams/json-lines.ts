import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';

/**
 * Decodes the engine's progress and event streams: one JSON object per line (`\r\n` for pull,
 * build and import; `\n` for events). Lines are split on the decoded text, not on chunks, because
 * a chunk may carry half an object or several; and the bytes go through one StringDecoder, because
 * a chunk may also end inside a multi-byte character (a label value, a path in an error).
 */
export async function* jsonLines(body: Readable | AsyncIterable<Buffer | string>): AsyncGenerator<unknown> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  for await (const chunk of body) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line) yield parseLine(line);
    }
  }
  const rest = (pending + decoder.end()).trim();
  if (rest) yield parseLine(rest);
}

/** JSON.parse, with the offending line in the message: "Unexpected token" alone says nothing. */
function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new SyntaxError(`the engine sent a line that is not JSON: ${JSON.stringify(line.length > 200 ? `${line.slice(0, 200)}…` : line)}`);
  }
}
