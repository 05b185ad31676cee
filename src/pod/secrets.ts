import type { Engine } from '../engine/index.js';
import { parseSecret, secretValues, type Secret, type SecretInput } from './config-spec.js';
import type { Scope } from './configmaps.js';
import { DEFAULT_NAMESPACE } from './labels.js';
import type { PodRuntime } from './runtime.js';
import { clearForReplace, listStored, readStored, readValues, removeObject, storeObject, type StoredObject } from './store.js';

/**
 * Secrets, kept in the engine (store.ts): their values only in the holder's volume, never in a
 * label, a log line or an error message. `get` and `list` show key names and sizes; the values
 * (base64 `data`, as Kubernetes prints them) only when asked with `reveal`.
 */
export interface SecretObject {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string>; creationTimestamp?: string };
  type: string;
  /** Only when asked (`reveal`): base64 values by key. */
  data?: Record<string, string>;
  immutable?: boolean;
}

/** A Secret as shown without its values: the key names, each with its size in bytes. */
export type SecretSummary = SecretObject & { keys: Record<string, number> };

type Signal = { signal?: AbortSignal };
export type SecretRead = Scope & { reveal?: boolean };

export async function createSecret(runtime: PodRuntime, input: SecretInput, options: Signal = {}): Promise<SecretSummary> {
  const secret = parseSecret(input);
  await store(runtime, secret, options);
  return getSecret(runtime.engine, secret.metadata.name, { namespace: secret.metadata.namespace, ...options }) as Promise<SecretSummary>;
}

function store(runtime: PodRuntime, secret: Secret, options: Signal): Promise<void> {
  const values = secretValues(secret);
  const { name, namespace, labels, annotations } = secret.metadata;
  return storeObject(runtime, 'secret', { name, namespace, labels, annotations, type: secret.type, immutable: secret.immutable, keys: [...values.keys()],
    sizes: Object.fromEntries([...values].map(([k, v]) => [k, v.length])) }, values, options);
}

/** Without `reveal`, key names and sizes; with it, the values too (base64 `data`). */
export async function getSecret(engine: Engine, name: string, options: SecretRead = {}): Promise<SecretSummary | SecretObject> {
  const stored = await readStored(engine, 'secret', name, options.namespace ?? DEFAULT_NAMESPACE, options);
  return toObject(stored, options.reveal ? await readValues(engine, 'secret', stored.meta, options) : undefined);
}

export async function listSecrets(engine: Engine, options: SecretRead = {}): Promise<Array<SecretSummary | SecretObject>> {
  const stored = await listStored(engine, 'secret', options);
  return Promise.all(stored.map(async (s) => toObject(s, options.reveal ? await readValues(engine, 'secret', s.meta, options) : undefined)));
}

export function deleteSecret(engine: Engine, name: string, options: Scope = {}): Promise<void> {
  return removeObject(engine, 'secret', name, options.namespace ?? DEFAULT_NAMESPACE, options);
}

/** As replaceConfigMap: refused when immutable, else removed and stored again. */
export async function replaceSecret(runtime: PodRuntime, input: SecretInput, options: Signal = {}): Promise<SecretSummary> {
  const secret = parseSecret(input);
  await clearForReplace(runtime.engine, 'secret', secret.metadata.name, secret.metadata.namespace, options);
  return createSecret(runtime, secret, options);
}

/** With `values` (asked for), the Kubernetes object; without, the summary (no value was read). */
function toObject({ meta, created }: StoredObject, values?: Map<string, Buffer>): SecretSummary | SecretObject {
  const object: SecretObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: meta.name, namespace: meta.namespace, labels: meta.labels, annotations: meta.annotations, creationTimestamp: created },
    type: meta.type ?? 'Opaque',
    ...(meta.immutable !== undefined && { immutable: meta.immutable }),
  };
  if (values) return { ...object, data: Object.fromEntries(meta.keys.map((k) => [k, values.get(k)?.toString('base64') ?? ''])) };
  return { ...object, keys: Object.fromEntries(meta.keys.map((k) => [k, meta.sizes?.[k] ?? 0])) };
}
