import type { z } from 'zod';
import { EngineError } from './errors.js';

/**
 * Ids and names are checked before any request is built. Encoding alone is not enough: the daemon's
 * router decodes and cleans the path, so `..%2F..%2Fx` would still walk up. A name that fails
 * these rules can never name a real object, so refusing it early loses nothing.
 */
const OBJECT_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const HEX_ID = /^[a-f0-9]{12,64}$/;
// The distribution reference grammar (docker/distribution reference/regexp.go), without the
// registry-specific extras we do not need.
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const DOMAIN = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?';
const IMAGE_REFERENCE = new RegExp(
  `^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);
const IMAGE_ID = /^(?:sha256:)?[a-f0-9]{12,64}$/;

export type ObjectKind = 'container' | 'network' | 'volume' | 'exec' | 'image' | 'node' | 'config';

export function checkRef(kind: ObjectKind, value: unknown): string {
  const ok = typeof value === 'string' && value.length <= 255 && (
    kind === 'exec' ? HEX_ID.test(value)
      : kind === 'image' ? IMAGE_ID.test(value) || (IMAGE_REFERENCE.test(value) && firstSegmentOk(value))
        : OBJECT_NAME.test(value) && !value.includes('..')
  );
  if (!ok) {
    throw new EngineError(`invalid ${kind} name or id: ${JSON.stringify(value)}`, { kind: 'invalid-argument' });
  }
  return value;
}

/** A first segment is a registry only with a `.` or `:` or as `localhost`; else it is lower-case. */
function firstSegmentOk(reference: string): boolean {
  const slash = reference.indexOf('/');
  if (slash < 0) return true;
  const first = reference.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' || new RegExp(`^${COMPONENT}$`).test(first);
}

/**
 * Builds a request path from literal parts and checked references, encoding every reference. A
 * leading `/` (how the engine lists container names) is dropped: encoded it becomes an empty path
 * segment, which the daemon's router "cleans" with a 301 instead of an answer.
 */
export function pathOf(strings: TemplateStringsArray, ...refs: string[]): string {
  let out = strings[0] ?? '';
  refs.forEach((ref, i) => { out += encodeURIComponent(ref.replace(/^\//, '')) + (strings[i + 1] ?? ''); });
  return out;
}

/**
 * What a caller hands us, checked against its strict schema before any request is built. A
 * mistake is an EngineError like any other (kind invalid-argument) that names each bad field.
 */
export function checkInput<S extends z.ZodType>(what: string, schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new EngineError(`invalid ${what}: ${problemsOf(parsed.error)}`, { kind: 'invalid-argument', cause: parsed.error });
}

/** zod's issues on one line, each as `path.to.field: what is wrong`. */
export function problemsOf(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.map(String).join('.') : '(top level)'}: ${issue.message}`).join('; ');
}

/** Splits `name:tag` / `name@digest` the way the engine's pull endpoint wants them. */
export function splitImageReference(reference: string): { name: string; tag: string } {
  const at = reference.indexOf('@');
  if (at >= 0) return { name: reference.slice(0, at), tag: reference.slice(at + 1) };
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  if (colon > slash) return { name: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  return { name: reference, tag: 'latest' };
}
