import { z } from 'zod';
import { checkInput } from './names.js';

/** Engine list filters: `{ label: ['a=b'], status: 'running' }`, sent as `{"label":["a=b"],...}`. */
export const Filters = z.record(z.string(), z.union([z.string(), z.array(z.string()), z.boolean()], {
  error: 'expected a string, a list of strings or a boolean',
}));
export type Filters = z.infer<typeof Filters>;

export function encodeFilters(filters: Filters | undefined): Record<string, string[]> | undefined {
  if (!filters) return undefined;
  const out: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(checkInput('filters', Filters, filters))) {
    out[key] = Array.isArray(value) ? value : [String(value)];
  }
  return Object.keys(out).length ? out : undefined;
}
