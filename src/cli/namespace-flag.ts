import { UsageError } from './usage.js';

/** kubectl's `-n NAMESPACE` and `-A` (every namespace), for the commands that take them. */
export const NAMESPACE_OPTION = { namespace: { type: 'string', short: 'n' } } as const;
export const ALL_NAMESPACES_OPTION = { 'all-namespaces': { type: 'boolean', short: 'A' } } as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The namespace asked for, checked before any engine call; undefined when none was given. */
export function namespaceFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length > 63 || !DNS_LABEL.test(value)) throw new UsageError(`-n ${value}: a namespace is a DNS label (lower-case letters, digits and '-', at most 63)`);
  return value;
}

/** `-n` and `-A` together name two scopes: refused, as kubectl does not guess either. */
export function listScope(values: { namespace?: string | undefined; 'all-namespaces'?: boolean | undefined }): { namespace?: string; allNamespaces?: boolean } {
  const namespace = namespaceFlag(values.namespace);
  if (values['all-namespaces'] && namespace !== undefined) throw new UsageError('-n and -A (--all-namespaces) cannot be used together');
  return values['all-namespaces'] ? { allNamespaces: true } : namespace === undefined ? {} : { namespace };
}
