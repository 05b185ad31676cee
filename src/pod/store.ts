import type { Engine } from '../engine/index.js';
import { isConflict, isNotFound } from '../engine/errors.js';
import { pack, unpack } from '../engine/streams/tar.js';
import { PodError, throwIfAborted } from './errors.js';
import { DEFAULT_NAMESPACE, LABEL, managedFilter, qualifiedName } from './labels.js';
import type { PodRuntime } from './runtime.js';

/**
 * Where ConfigMaps and Secrets are kept: in the engine, like everything of Podling's. Each object
 * is a created, never started holder container (`podling_configmap_NAME[.NAMESPACE]`: the engine's
 * unique names make create atomic, as for services) whose labels say what the object is (its
 * metadata, type and key names, never a value: every list and inspect shows labels), and a
 * labelled named volume mounted in it, which holds one file per key. Values go in and out through
 * the archive API, which works on a created container with its volumes mounted, so no process
 * ever runs and nothing lands in an image layer. A Secret's transfers are marked sensitive, so
 * the fixture recorder never writes its values.
 */
export type StoredKind = 'configmap' | 'secret';

/** What the holder's label keeps: everything but the values. */
export interface StoredMeta {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** A Secret's type. */
  type?: string;
  immutable?: boolean;
  /** Key names; a ConfigMap's binaryData keys are listed apart from its data keys. */
  keys: string[];
  binaryKeys?: string[];
  /** A Secret's value sizes by key, as `kubectl describe` shows them: no value needs reading for that. */
  sizes?: Record<string, number>;
}

export interface StoredObject { meta: StoredMeta; created: string }

const DATA = '/data';
export const holderName = (kind: StoredKind, name: string, namespace = DEFAULT_NAMESPACE) => `podling_${kind}_${qualifiedName(name, namespace)}`;
const storeVolume = (kind: StoredKind, name: string, namespace: string) => `podling-${kind}-${qualifiedName(name, namespace)}`;
const KIND_WORD: Record<StoredKind, string> = { configmap: 'ConfigMap', secret: 'Secret' };

type Signal = { signal?: AbortSignal };

const objectLabels = (kind: StoredKind, meta: StoredMeta, creator: string) => ({
  [LABEL.managed]: 'true', [LABEL.type]: kind, [LABEL.namespace]: meta.namespace, [LABEL.object]: JSON.stringify(meta), [LABEL.creator]: creator,
});

/**
 * Creates the object: volume, holder, values. A name taken is `already-exists`, and nothing of the
 * existing object is touched; a failure after the holder was made takes both back.
 */
export async function storeObject(runtime: PodRuntime, kind: StoredKind, meta: StoredMeta, values: Iterable<[string, Buffer]>, options: Signal = {}): Promise<void> {
  const { engine } = runtime;
  const call = { signal: options.signal };
  throwIfAborted(options.signal, `${KIND_WORD[kind]} ${meta.name}`);
  const image = await runtime.ensureInfraImage();
  const volume = storeVolume(kind, meta.name, meta.namespace);
  // Creating a volume that exists returns it: the existing object's volume is not harmed (the
  // holder's conflict below stops us before any write), and stale files of a killed create are
  // never read (reads take only the keys the label names).
  await engine.volumes.create({ Name: volume, Driver: 'local', Labels: { [LABEL.managed]: 'true', [LABEL.type]: kind, [LABEL.namespace]: meta.namespace, [LABEL.creator]: runtime.creator } }, call);
  let holder: string;
  try {
    ({ Id: holder } = await engine.containers.create({
      Image: image,
      Labels: objectLabels(kind, meta, runtime.creator),
      HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'volume', Source: volume, Target: DATA }] },
    }, { name: holderName(kind, meta.name, meta.namespace), ...call }));
  } catch (err) {
    if (isConflict(err)) throw new PodError('already-exists', `${KIND_WORD[kind]} "${meta.name}" already exists in namespace "${meta.namespace}"`);
    throw err;
  }
  try {
    const entries = [...values].map(([key, content]) => ({ name: key, content, mode: 0o600 }));
    await engine.containers.putArchive(holder, DATA, pack(entries), { ...call, sensitive: kind === 'secret' });
  } catch (err) {
    await removeObject(engine, kind, meta.name, meta.namespace).catch(() => {});
    throw err;
  }
}

/** Every object of a kind (in one namespace, or all), from one list call: no values. */
export async function listStored(engine: Engine, kind: StoredKind, options: Signal & { namespace?: string } = {}): Promise<StoredObject[]> {
  const extra = [`${LABEL.type}=${kind}`, ...(options.namespace ? [`${LABEL.namespace}=${options.namespace}`] : [])];
  const holders = await engine.containers.list({ all: true, filters: managedFilter(extra), signal: options.signal });
  return holders.flatMap((c) => {
    try {
      return [{ meta: JSON.parse(c.Labels?.[LABEL.object] ?? '') as StoredMeta, created: new Date(c.Created * 1000).toISOString() }];
    } catch {
      return []; // a hand-made container with our labels: not an object we can read
    }
  }).sort((a, b) => a.meta.namespace.localeCompare(b.meta.namespace) || a.meta.name.localeCompare(b.meta.name));
}

/** One object's metadata (one inspect); `not-found` when there is none. */
export async function readStored(engine: Engine, kind: StoredKind, name: string, namespace = DEFAULT_NAMESPACE, options: Signal = {}): Promise<StoredObject> {
  try {
    const holder = await engine.containers.inspect(holderName(kind, name, namespace), options);
    return { meta: JSON.parse(holder.Config.Labels?.[LABEL.object] ?? '') as StoredMeta, created: holder.Created };
  } catch (err) {
    if (isNotFound(err)) throw notFound(kind, name, namespace);
    throw err;
  }
}

/** One object's values, by key: one archive read of the holder's volume. */
export async function readValues(engine: Engine, kind: StoredKind, stored: StoredMeta, options: Signal = {}): Promise<Map<string, Buffer>> {
  const keys = new Set([...stored.keys, ...stored.binaryKeys ?? []]);
  if (!keys.size) return new Map();
  try {
    const { tar } = await engine.containers.getArchive(holderName(kind, stored.name, stored.namespace), `${DATA}/.`, { signal: options.signal, sensitive: kind === 'secret' });
    const entries = await unpack(tar);
    return new Map(entries.flatMap((e) => {
      const key = e.name.replace(/^(\.\/|data\/)/, '').replace(/^\.\//, '');
      return e.type === 'file' && keys.has(key) ? [[key, e.content] as [string, Buffer]] : [];
    }));
  } catch (err) {
    if (isNotFound(err)) throw notFound(kind, stored.name, stored.namespace);
    throw err;
  }
}

/**
 * Clears an existing object for a replace: refused when it is immutable, as Kubernetes refuses
 * it. The engine cannot relabel a container, so a replace removes the object and the caller
 * stores it again: a reader in between sees it missing (pods keep what they were given).
 */
export async function clearForReplace(engine: Engine, kind: StoredKind, name: string, namespace: string, options: Signal = {}): Promise<void> {
  const stored = await readStored(engine, kind, name, namespace, options);
  if (stored.meta.immutable) throw new PodError('invalid', `${KIND_WORD[kind]} "${name}" in namespace "${namespace}" is immutable: delete it and create it again`);
  await removeObject(engine, kind, name, namespace, options);
}

/** Holder first (a volume in use cannot be removed), then the volume. */
export async function removeObject(engine: Engine, kind: StoredKind, name: string, namespace = DEFAULT_NAMESPACE, options: Signal = {}): Promise<void> {
  try {
    await engine.containers.remove(holderName(kind, name, namespace), { force: true, ...options });
  } catch (err) {
    if (isNotFound(err)) throw notFound(kind, name, namespace);
    throw err;
  }
  await engine.volumes.remove(storeVolume(kind, name, namespace), { force: true, ...options }).catch((err: unknown) => { if (!isNotFound(err)) throw err; });
}

export function notFound(kind: StoredKind, name: string, namespace: string): PodError {
  return new PodError('not-found', `${KIND_WORD[kind]} "${name}" not found in namespace "${namespace}"`);
}
