import { z } from 'zod';
import { PodError } from './errors.js';
import { DEFAULT_NAMESPACE } from './labels.js';
import { tableShape } from './fields.js';
import { Annotations, dnsLabel, dropServerSet, Labels, problems, serverSet } from './spec.js';

/**
 * ConfigMap and Secret manifests, checked strictly and with Kubernetes' own rules for keys (see
 * IsConfigMapKey in k8s.io/apimachinery): what the API server would refuse is refused here, before
 * any engine request. Names are DNS labels, stricter than Kubernetes' subdomains: an object's name
 * on the engine is `NAME.NAMESPACE` (labels.ts qualifiedName), which a name with a '.' would make
 * ambiguous.
 */

const KEY = /^[-._a-zA-Z0-9]+$/;
/** Kubernetes' limit on all of an object's values together (the API server's 1 MiB). */
const MAX_TOTAL_BYTES = 1024 * 1024;

/** Why `key` is not a valid ConfigMap or Secret key, or undefined when it is. */
export function keyProblem(key: string): string | undefined {
  if (key.length > 253) return 'must be at most 253 characters';
  if (!KEY.test(key)) return 'must consist of alphanumeric characters, \'-\', \'_\' or \'.\'';
  if (key === '.' || key === '..' || key.startsWith('..')) return 'must not be \'.\' or \'..\', nor start with \'..\'';
  return undefined;
}

/** Standard base64 with padding, as the API server decodes a Secret's `data` and a ConfigMap's `binaryData`. */
export function isBase64(text: string): boolean {
  return text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text);
}

const keyed = <T extends z.ZodType>(value: T) => z.record(z.string(), value).superRefine((record, ctx) => {
  for (const key of Object.keys(record)) {
    const problem = keyProblem(key);
    if (problem) ctx.addIssue({ code: 'custom', path: [key], message: `invalid key "${key}": ${problem}` });
  }
});

const base64Values = keyed(z.string()).superRefine((record, ctx) => {
  for (const [key, value] of Object.entries(record)) {
    if (!isBase64(value)) ctx.addIssue({ code: 'custom', path: [key], message: `the value of key "${key}" is not valid base64` });
  }
});

const ObjectMeta = z.strictObject({
  name: dnsLabel('name'),
  namespace: dnsLabel('namespace').default(DEFAULT_NAMESPACE),
  labels: Labels.optional(),
  annotations: Annotations.optional(),
  ...serverSet,
  ...tableShape('ObjectMeta'),
}).transform(dropServerSet);

const checkSize = (bytes: number, ctx: z.RefinementCtx) => {
  if (bytes > MAX_TOTAL_BYTES) ctx.addIssue({ code: 'custom', message: `the values add up to ${bytes} bytes, above Kubernetes' limit of ${MAX_TOTAL_BYTES}` });
};

export const ConfigMap = z.strictObject({
  apiVersion: z.literal('v1').optional(),
  kind: z.literal('ConfigMap').optional(),
  metadata: ObjectMeta,
  data: keyed(z.string()).optional(),
  binaryData: base64Values.optional(),
  immutable: z.boolean().optional(),
}).superRefine((cm, ctx) => {
  for (const key of Object.keys(cm.binaryData ?? {})) {
    if (cm.data && key in cm.data) ctx.addIssue({ code: 'custom', path: ['binaryData', key], message: `key "${key}" is in both data and binaryData` });
  }
  checkSize(configMapValues(cm).reduce((sum, [, v]) => sum + v.length, 0), ctx);
});
export type ConfigMap = z.infer<typeof ConfigMap>;
export type ConfigMapInput = z.input<typeof ConfigMap>;

/** The kinds of Secret whose keys Kubernetes checks; any other type is free-form, as there. */
const REQUIRED_KEYS: Record<string, string[]> = {
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

export const Secret = z.strictObject({
  apiVersion: z.literal('v1').optional(),
  kind: z.literal('Secret').optional(),
  metadata: ObjectMeta,
  type: z.string().min(1).default('Opaque'),
  data: base64Values.optional(),
  /** Write-only, as in Kubernetes: merged into data (winning over a key of the same name). */
  stringData: keyed(z.string()).optional(),
  immutable: z.boolean().optional(),
}).superRefine((secret, ctx) => {
  const values = secretValues(secret);
  for (const key of REQUIRED_KEYS[secret.type] ?? []) {
    if (!values.has(key)) ctx.addIssue({ code: 'custom', path: ['data'], message: `a Secret of type ${secret.type} needs the key "${key}"` });
  }
  const docker = values.get('.dockerconfigjson');
  if (secret.type === 'kubernetes.io/dockerconfigjson' && docker) {
    try {
      JSON.parse(docker.toString('utf8'));
    } catch {
      ctx.addIssue({ code: 'custom', path: ['data', '.dockerconfigjson'], message: 'the value of key ".dockerconfigjson" is not JSON' });
    }
  }
  checkSize([...values.values()].reduce((sum, v) => sum + v.length, 0), ctx);
});
export type Secret = z.infer<typeof Secret>;
export type SecretInput = z.input<typeof Secret>;

/** A ConfigMap's values as files hold them: data as UTF-8, binaryData decoded. */
export function configMapValues(cm: Pick<ConfigMap, 'data' | 'binaryData'>): Array<[string, Buffer]> {
  return [
    ...Object.entries(cm.data ?? {}).map(([k, v]): [string, Buffer] => [k, Buffer.from(v, 'utf8')]),
    ...Object.entries(cm.binaryData ?? {}).map(([k, v]): [string, Buffer] => [k, Buffer.from(v, 'base64')]),
  ];
}

/** A Secret's values, decoded: stringData wins over data for a key in both, as in Kubernetes. */
export function secretValues(secret: Pick<Secret, 'data' | 'stringData'>): Map<string, Buffer> {
  return new Map([
    ...Object.entries(secret.data ?? {}).map(([k, v]): [string, Buffer] => [k, Buffer.from(v, 'base64')]),
    ...Object.entries(secret.stringData ?? {}).map(([k, v]): [string, Buffer] => [k, Buffer.from(v, 'utf8')]),
  ]);
}

/** A bad ConfigMap or Secret: one line per problem, each naming its field; nothing was sent. */
export class ConfigSpecError extends PodError {
  override readonly name = 'ConfigSpecError';
  constructor(kind: 'ConfigMap' | 'Secret', readonly problems: string[]) {
    super('invalid', `invalid ${kind}: ${problems.join('; ')}`);
  }
}

export function parseConfigMap(value: unknown): ConfigMap {
  const result = ConfigMap.safeParse(value);
  if (result.success) return result.data;
  throw new ConfigSpecError('ConfigMap', problems(result.error.issues));
}

/** Never echoes a value: the problems name keys only. */
export function parseSecret(value: unknown): Secret {
  const result = Secret.safeParse(value);
  if (result.success) return result.data;
  throw new ConfigSpecError('Secret', problems(result.error.issues));
}
