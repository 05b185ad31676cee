import type { Engine } from '../engine/index.js';
import { configMapValues, parseConfigMap, type ConfigMap, type ConfigMapInput } from './config-spec.js';
import { DEFAULT_NAMESPACE } from './labels.js';
import type { PodRuntime } from './runtime.js';
import { clearForReplace, listStored, readStored, readValues, removeObject, storeObject, type StoredMeta, type StoredObject } from './store.js';

/** ConfigMaps, kept in the engine (store.ts). Values are not secret: `get` and `list` show them. */
export interface ConfigMapObject {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string>; creationTimestamp?: string };
  data?: Record<string, string>;
  /** Base64, as in Kubernetes. */
  binaryData?: Record<string, string>;
  immutable?: boolean;
}

type Signal = { signal?: AbortSignal };
export type Scope = Signal & { namespace?: string };

const metaOf = (cm: ConfigMap): StoredMeta => ({
  name: cm.metadata.name, namespace: cm.metadata.namespace, labels: cm.metadata.labels, annotations: cm.metadata.annotations,
  immutable: cm.immutable, keys: Object.keys(cm.data ?? {}), binaryKeys: Object.keys(cm.binaryData ?? {}),
});

/** Validates (no engine call when bad), then stores; `already-exists` when the name is taken in its namespace. */
export async function createConfigMap(runtime: PodRuntime, input: ConfigMapInput, options: Signal = {}): Promise<ConfigMapObject> {
  const cm = parseConfigMap(input);
  await storeObject(runtime, 'configmap', metaOf(cm), configMapValues(cm), options);
  return getConfigMap(runtime.engine, cm.metadata.name, { namespace: cm.metadata.namespace, ...options });
}

export async function getConfigMap(engine: Engine, name: string, options: Scope = {}): Promise<ConfigMapObject> {
  const stored = await readStored(engine, 'configmap', name, options.namespace ?? DEFAULT_NAMESPACE, options);
  return toObject(stored, await readValues(engine, 'configmap', stored.meta, options));
}

/** Every ConfigMap of a namespace (of all namespaces when none is given), each with its values. */
export async function listConfigMaps(engine: Engine, options: Scope = {}): Promise<ConfigMapObject[]> {
  const stored = await listStored(engine, 'configmap', options);
  return Promise.all(stored.map(async (s) => toObject(s, await readValues(engine, 'configmap', s.meta, options))));
}

export function deleteConfigMap(engine: Engine, name: string, options: Scope = {}): Promise<void> {
  return removeObject(engine, 'configmap', name, options.namespace ?? DEFAULT_NAMESPACE, options);
}

/**
 * Replaces an existing ConfigMap's contents: validated first (nothing sent when bad), refused
 * when immutable (see clearForReplace). Running pods keep what they were given: Podling does not
 * update a running pod's files or environment.
 */
export async function replaceConfigMap(runtime: PodRuntime, input: ConfigMapInput, options: Signal = {}): Promise<ConfigMapObject> {
  const cm = parseConfigMap(input);
  await clearForReplace(runtime.engine, 'configmap', cm.metadata.name, cm.metadata.namespace, options);
  return createConfigMap(runtime, cm, options);
}

function toObject({ meta, created }: StoredObject, values: Map<string, Buffer>): ConfigMapObject {
  const pick = (keys: string[] | undefined, encoding: 'utf8' | 'base64') =>
    (keys?.length ? Object.fromEntries(keys.map((k) => [k, values.get(k)?.toString(encoding) ?? ''])) : undefined);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: meta.name, namespace: meta.namespace, labels: meta.labels, annotations: meta.annotations, creationTimestamp: created },
    ...(meta.keys.length && { data: pick(meta.keys, 'utf8') }),
    ...(meta.binaryKeys?.length && { binaryData: pick(meta.binaryKeys, 'base64') }),
    ...(meta.immutable !== undefined && { immutable: meta.immutable }),
  };
}
