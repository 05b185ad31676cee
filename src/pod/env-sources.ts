import type { Engine } from '../engine/index.js';
import { isNotFound } from '../engine/errors.js';
import { PodError } from './errors.js';
import { resolveContainer, type ObjectValues, type PodFacts, type PodSources, type ResolvedContainer } from './env.js';
import { namespaceOf } from './spec.js';
import { volumeContent, volumeReferences } from './volume-files.js';
import { isFileVolume } from './volumes.js';
import { hostAddress, podAddress } from './read.js';
import type { Container, InitContainer, Pod } from './spec.js';
import { readStored, readValues, type StoredKind } from './store.js';

/**
 * What a pod's environment and volumes need from the engine, read before anything is made (so a
 * missing ConfigMap, Secret or key fails the create with nothing written) and again for every
 * container the agent starts later (a restarted container sees the object as it is then, as on a
 * kubelet). Only what the pod uses is read: a pod without references costs no call.
 */
type AnyContainer = Container | InitContainer;
type Signal = { signal?: AbortSignal };

/** The pod's namespace: the ConfigMaps and Secrets it names are looked up there. */
export const podNamespace = (pod: Pod): string => namespaceOf(pod);

const allContainers = (pod: Pod): AnyContainer[] => [...pod.spec.initContainers ?? [], ...pod.spec.containers];

/** Every ConfigMap and Secret the pod names, in its env, envFrom and volumes. */
export function referencedObjects(pod: Pod): { configMaps: Set<string>; secrets: Set<string> } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const c of allContainers(pod)) {
    for (const from of c.envFrom ?? []) {
      if (from.configMapRef) configMaps.add(from.configMapRef.name);
      if (from.secretRef) secrets.add(from.secretRef.name);
    }
    for (const v of c.env ?? []) {
      if (v.valueFrom?.configMapKeyRef) configMaps.add(v.valueFrom.configMapKeyRef.name);
      if (v.valueFrom?.secretKeyRef) secrets.add(v.valueFrom.secretKeyRef.name);
    }
  }
  for (const [kind, name] of volumeReferences(pod)) (kind === 'configmap' ? configMaps : secrets).add(name);
  return { configMaps, secrets };
}


async function valuesOf(engine: Engine, kind: StoredKind, name: string, namespace: string, options: Signal): Promise<ObjectValues> {
  try {
    const stored = await readStored(engine, kind, name, namespace, options);
    return await readValues(engine, kind, stored.meta, options);
  } catch (err) {
    // readStored answers a missing object as the pod layer's not-found (the store's own message):
    // undefined here, so an optional reference is skipped and a required one fails as env.ts says.
    if (isNotFound(err) || (err instanceof PodError && err.kind === 'not-found')) return undefined;
    throw err;
  }
}

/** The values of every object the pod names; a missing one is undefined (optional references allow it). */
export async function readPodSources(engine: Engine, pod: Pod, options: Signal = {}): Promise<PodSources> {
  const { configMaps, secrets } = referencedObjects(pod);
  const namespace = podNamespace(pod);
  const read = (kind: StoredKind, names: Set<string>) => Promise.all([...names].map(async (n) => [n, await valuesOf(engine, kind, n, namespace, options)] as const));
  const [cms, ss] = await Promise.all([read('configmap', configMaps), read('secret', secrets)]);
  return { configMaps: new Map(cms), secrets: new Map(ss) };
}

const STATUS_PATHS = new Set(['status.podIP', 'status.podIPs']);

/** Whether a container reads the pod's address, known only once the infra runs. */
export const needsAddress = (c: AnyContainer) => (c.env ?? []).some((v) => STATUS_PATHS.has(v.valueFrom?.fieldRef?.fieldPath ?? ''));

/** Whether a container reads what only the engine's host knows: its name, or its capacity (a limit not set). */
const needsNode = (c: AnyContainer) => (c.env ?? []).some((v) => v.valueFrom?.fieldRef?.fieldPath === 'spec.nodeName' || v.valueFrom?.resourceFieldRef !== undefined);
/** Whether a downwardAPI file of the pod reads a resource (whose default is the node's capacity). */
const volumesNeedNode = (pod: Pod) => (pod.spec.volumes ?? []).some((v) => [...v.downwardAPI?.items ?? [], ...(v.projected?.sources ?? []).flatMap((p) => p.downwardAPI?.items ?? [])]
  .some((item) => item.resourceFieldRef));

/**
 * The downward API's facts for these containers, asking the engine only for what they read: the
 * infra's address (one inspect) and the engine's name and capacity (one info).
 */
export async function podFacts(engine: Engine, pod: Pod, podId: string, infraId: string | undefined, reader: AnyContainer[] | 'volumes', options: Signal = {}): Promise<PodFacts> {
  const forVolumes = reader === 'volumes';
  const containers = forVolumes ? [] : reader;
  const spec = pod.spec as { nodeName?: string | undefined; serviceAccountName?: string; serviceAccount?: string };
  const [infra, info] = await Promise.all([
    infraId && containers.some(needsAddress) ? engine.containers.inspect(infraId, options) : undefined,
    containers.some(needsNode) || (forVolumes && volumesNeedNode(pod)) ? engine.system.info(options) : undefined,
  ]);
  const podIP = infra ? podAddress(infra.NetworkSettings.Networks, podId, pod) : undefined;
  const host = hostAddress();
  return {
    name: pod.metadata.name,
    namespace: podNamespace(pod),
    uid: podId,
    labels: pod.metadata.labels ?? {},
    annotations: pod.metadata.annotations ?? {},
    nodeName: spec.nodeName ?? info?.Name ?? '',
    serviceAccountName: spec.serviceAccountName ?? spec.serviceAccount ?? 'default',
    podIPs: podIP ? [podIP] : [],
    hostIPs: host ? [host] : [],
    allocatable: { cpu: (info?.NCPU ?? 1) * 1e9, memory: info?.MemTotal ?? 0 },
  };
}

/** Facts that need no engine: for checking a pod's references before anything is made. */
const offlineFacts = (pod: Pod, podId: string): PodFacts => ({
  name: pod.metadata.name, namespace: podNamespace(pod), uid: podId, labels: {}, annotations: {}, nodeName: '', serviceAccountName: '',
  podIPs: [], hostIPs: [], allocatable: { cpu: 1e9, memory: 1 },
});

/** Throws the one CreateContainerConfigError a container's or volume's missing reference gives, before any write. */
export function checkReferences(pod: Pod, podId: string, sources: PodSources): void {
  for (const c of allContainers(pod)) resolveContainer(pod, c, offlineFacts(pod, podId), sources);
  for (const v of (pod.spec.volumes ?? []).filter(isFileVolume)) volumeContent(pod, v, offlineFacts(pod, podId), sources);
}

export type { ResolvedContainer };
