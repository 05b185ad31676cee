import { z } from 'zod';
import { EngineError } from './errors.js';
import { problemsOf } from './names.js';

/**
 * The engine's answers are checked, not copied. An answer schema is a plain (stripping) zod
 * object listing the fields Podling reads, so their presence and types are checked; the caller
 * gets the engine's own object back, every unlisted field still in it. zod's loose objects copy
 * every unlisted key into a new object instead, and on a container inspect (some 150 keys) that
 * copy cost as much as the rest of a call on a local socket.
 */

/** The listed fields with their checked types, everything else the engine sent as `unknown`. */
export type Loose<T> =
  T extends readonly (infer U)[] ? Loose<U>[]
  : T extends object ? { [K in keyof T]: Loose<T[K]> } & { [key: string]: unknown }
  : T;

/** What a call answered with `schema` resolves to. */
export type Answer<S extends z.ZodType> = Loose<z.infer<S>>;

/** Where an answer came from, for the error when it is not what the API promises. */
export interface AnswerSource { method: string; path: string; status?: number }

/** Returns `value` itself when it has what `schema` lists; a `protocol` EngineError otherwise. */
export function checkAnswer<S extends z.ZodType>(schema: S, value: unknown, from: AnswerSource): Answer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new EngineError(`${from.method} ${from.path}: unexpected answer from the engine: ${problemsOf(result.error)}`, {
      kind: 'protocol', method: from.method, path: from.path, status: from.status, cause: result.error,
    });
  }
  return value as Answer<S>;
}

/**
 * A map of strings in an answer (labels, attributes), checked in one pass. zod's record runs a
 * key schema and a value schema per entry, and a container list carries a few hundred labels.
 */
export const StringMap = z.custom<Record<string, string>>(isStringMap, { error: 'expected a map of strings' });

function isStringMap(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const key in value) if (typeof (value as Record<string, unknown>)[key] !== 'string') return false;
  return true;
}
