import { z } from 'zod';
import { checkInput } from './names.js';

/** Engine list filters: `{ label: ['a=b'], status: 'running' }`, sent as `{"label":["a=b"],...}`. */
export const Filters = z.record(z.string(), z.union([z.string(), z.array(z.string()), z.boolean()], {
  error: 'expected a string, a list of strings or a boolean',
}));
export type Filters = z.infer<typeof Filters>;

export function encodeFilters(filters: Filters | undefined): Record<string, string[]> | undefined {
  if (!filters) return undefined;
  // Checked by hand on the way through: zod runs only to word the error. Its record-of-union check
  // cost more than the rest of a list call's own work (measured on a warm local socket).
  if (!plainObject(filters)) return encodeFilters(checkInput('filters', Filters, filters));
  const out: Record<string, string[]> = {};
  for (const key of Object.keys(filters)) {
    const value = filters[key];
    if (typeof value === 'string') out[key] = [value];
    else if (typeof value === 'boolean') out[key] = [String(value)];
    else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) out[key] = value;
    else checkInput('filters', Filters, filters);
  }
  return Object.keys(out).length ? out : undefined;
}

function plainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
