import { z } from 'zod';
import { tableShape } from './fields.js';
import { parseCpu, parseMemory } from './quantity.js';

/**
 * Where an environment variable's value comes from (`env[].valueFrom`), what `envFrom` imports,
 * and the downward API's selectors shared with downwardAPI volumes: Kubernetes' shapes, checked
 * strictly, with the fieldPaths and resources the kubelet supports.
 */

/** The fieldPaths an env var may name (`metadata.labels['k']` and `metadata.annotations['k']` apart). */
export const ENV_FIELD_PATHS = [
  'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName',
  'status.podIP', 'status.podIPs', 'status.hostIP', 'status.hostIPs',
] as const;
/** A downwardAPI volume file may name only metadata (the whole labels and annotations too). */
export const VOLUME_FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'metadata.labels', 'metadata.annotations'] as const;

const SUBSCRIPTED = /^metadata\.(labels|annotations)\['([^']+)'\]$/;

/** `metadata.labels['app']` → ['labels', 'app']. */
export const subscripted = (path: string): ['labels' | 'annotations', string] | undefined => {
  const match = SUBSCRIPTED.exec(path);
  return match ? [match[1] as 'labels' | 'annotations', match[2]!] : undefined;
};

export const fieldSelector = (paths: readonly string[]) => z.strictObject({
  apiVersion: z.literal('v1').optional(),
  fieldPath: z.string().refine((p) => paths.includes(p) || subscripted(p) !== undefined, {
    error: `must be one of ${paths.join(', ')}, metadata.labels['KEY'] or metadata.annotations['KEY']`,
  }),
});
export type ObjectFieldSelector = z.infer<ReturnType<typeof fieldSelector>>;

const RESOURCES = ['limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory'] as const;
/** The divisors Kubernetes allows, per resource. */
const CPU_DIVISORS = ['1m', '1'];
const MEMORY_DIVISORS = ['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'];

/** In env, containerName defaults to the container itself; a downwardAPI volume file must name one (checked there). */
export const ResourceFieldSelector = z.strictObject({
  containerName: z.string().optional(),
  resource: z.enum(RESOURCES, { error: `must be one of ${RESOURCES.join(', ')} (ephemeral storage and huge pages have no Docker limit to read)` }),
  divisor: z.union([z.string(), z.number()]).optional(),
}).superRefine((r, ctx) => {
  if (r.divisor === undefined) return;
  const allowed = r.resource.endsWith('cpu') ? CPU_DIVISORS : MEMORY_DIVISORS;
  const parse = r.resource.endsWith('cpu') ? parseCpu : parseMemory;
  const value = parse(r.divisor);
  if (typeof value === 'string' || !allowed.some((d) => parse(d) === value)) {
    ctx.addIssue({ code: 'custom', path: ['divisor'], message: `a divisor of ${r.resource} must be one of ${allowed.join(', ')}` });
  }
});
export type ResourceFieldSelector = z.infer<typeof ResourceFieldSelector>;

const objectName = z.string().min(1, 'must name the object');
const KeySelector = z.strictObject({ name: objectName, key: z.string().min(1), optional: z.boolean().optional() });
export type KeySelector = z.infer<typeof KeySelector>;

/** Exactly one source, as the API server requires (counting any field given, so a refused one is said once). */
const oneSource = (what: string) => (value: object, ctx: z.RefinementCtx) => {
  const given = Object.values(value).filter((v) => v !== undefined).length;
  if (given !== 1) ctx.addIssue({ code: 'custom', message: `${what} needs exactly one source, has ${given}` });
};

export const EnvVarSource = z.strictObject({
  fieldRef: fieldSelector(ENV_FIELD_PATHS).optional(),
  resourceFieldRef: ResourceFieldSelector.optional(),
  configMapKeyRef: KeySelector.optional(),
  secretKeyRef: KeySelector.optional(),
  ...tableShape('EnvVarSource'),
}).superRefine(oneSource('valueFrom'));
export type EnvVarSource = z.infer<typeof EnvVarSource>;

const EnvRef = z.strictObject({ name: objectName, optional: z.boolean().optional() });

export const EnvFromSource = z.strictObject({
  prefix: z.string().optional(),
  configMapRef: EnvRef.optional(),
  secretRef: EnvRef.optional(),
}).superRefine((source, ctx) => {
  const given = [source.configMapRef, source.secretRef].filter(Boolean).length;
  if (given !== 1) ctx.addIssue({ code: 'custom', message: `envFrom needs exactly one of configMapRef and secretRef, has ${given}` });
});
export type EnvFromSource = z.infer<typeof EnvFromSource>;
