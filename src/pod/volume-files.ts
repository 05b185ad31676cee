import { posix } from 'node:path';
import type { Engine } from '../engine/index.js';
import { pack, type TarEntry } from '../engine/streams/tar.js';
import { fieldValue, resourceValue, type ObjectValues, type PodFacts, type PodSources } from './env.js';
import { PodFailedError } from './errors.js';
import type { Pod, Volume } from './spec.js';
import type { DownwardAPIVolumeFile, KeyToPath } from './volume-sources.js';
import { INFRA_HOLD, isFileVolume } from './volumes.js';

/**
 * The files of a pod's configMap, secret, downwardAPI and projected volumes, as the kubelet
 * writes them: every key as a file named by the key, or only the `items` asked for at their
 * paths; each with its own mode, else the volume's defaultMode, else 0644. A missing object or
 * key fails the volume unless it is optional. Deciding is pure; `fillVolumes` writes them into the
 * infra's hold of the volume's tmpfs, one archive upload per volume. Kubernetes writes through a
 * `..data` symlink so that updates are atomic; Podling writes once per sandbox, plain files.
 */
export interface VolumeFile { path: string; content: Buffer; mode: number }
export interface VolumeContent { files: VolumeFile[]; secret: boolean }

const DEFAULT_MODE = 0o644;

const failure = (pod: Pod, volume: string, detail: string) => new PodFailedError(pod.metadata.name, 'CreateContainerConfigError', `volume ${volume}: ${detail}`);

interface KeyedSource { what: 'ConfigMap' | 'Secret'; name: string; items?: KeyToPath[]; optional?: boolean }

function keyedFiles(pod: Pod, volume: string, source: KeyedSource, values: ObjectValues, mode: number): VolumeFile[] {
  if (values === undefined) {
    if (source.optional) return [];
    throw failure(pod, volume, `${source.what} "${source.name}" not found`);
  }
  if (!source.items) return [...values].map(([key, content]) => ({ path: key, content, mode }));
  return source.items.flatMap((item) => {
    const content = values.get(item.key);
    if (content !== undefined) return [{ path: item.path, content, mode: item.mode ?? mode }];
    if (source.optional) return [];
    throw failure(pod, volume, `key "${item.key}" not found in ${source.what} "${source.name}"`);
  });
}

function downwardFiles(pod: Pod, items: DownwardAPIVolumeFile[] | undefined, facts: PodFacts, mode: number): VolumeFile[] {
  const containers = [...pod.spec.initContainers ?? [], ...pod.spec.containers];
  return (items ?? []).map((item) => {
    let value = '';
    if (item.fieldRef) value = fieldValue(item.fieldRef, facts);
    else if (item.resourceFieldRef) {
      const container = containers.find((c) => c.name === item.resourceFieldRef!.containerName);
      if (!container) throw failure(pod, item.path, `resourceFieldRef names container "${item.resourceFieldRef.containerName}", which the pod has not`);
      value = resourceValue(item.resourceFieldRef, container, facts);
    }
    return { path: item.path, content: Buffer.from(value), mode: item.mode ?? mode };
  });
}

export function volumeContent(pod: Pod, volume: Volume, facts: PodFacts, sources: PodSources): VolumeContent {
  const { name } = volume;
  if (volume.configMap) {
    const { configMap: cm } = volume;
    return { files: keyedFiles(pod, name, { what: 'ConfigMap', ...cm }, sources.configMaps.get(cm.name), cm.defaultMode ?? DEFAULT_MODE), secret: false };
  }
  if (volume.secret) {
    const { secret: s } = volume;
    return { files: keyedFiles(pod, name, { what: 'Secret', name: s.secretName, items: s.items, optional: s.optional }, sources.secrets.get(s.secretName), s.defaultMode ?? DEFAULT_MODE), secret: true };
  }
  if (volume.downwardAPI) return { files: downwardFiles(pod, volume.downwardAPI.items, facts, volume.downwardAPI.defaultMode ?? DEFAULT_MODE), secret: false };
  const mode = volume.projected?.defaultMode ?? DEFAULT_MODE;
  let secret = false;
  const files = (volume.projected?.sources ?? []).flatMap((p) => {
    if (p.configMap) return keyedFiles(pod, name, { what: 'ConfigMap', ...p.configMap }, sources.configMaps.get(p.configMap.name), mode);
    if (p.secret) {
      secret = true;
      return keyedFiles(pod, name, { what: 'Secret', ...p.secret }, sources.secrets.get(p.secret.name), mode);
    }
    return downwardFiles(pod, p.downwardAPI?.items, facts, mode);
  });
  return { files, secret };
}

/** The objects a pod's file volumes name, for env-sources.ts to read with the env's. */
export function volumeReferences(pod: Pod): Array<['configmap' | 'secret', string]> {
  return (pod.spec.volumes ?? []).flatMap((v): Array<['configmap' | 'secret', string]> => [
    ...(v.configMap ? [['configmap', v.configMap.name] as ['configmap', string]] : []),
    ...(v.secret ? [['secret', v.secret.secretName] as ['secret', string]] : []),
    ...(v.projected?.sources ?? []).flatMap((p): Array<['configmap' | 'secret', string]> => [
      ...(p.configMap ? [['configmap', p.configMap.name] as ['configmap', string]] : []),
      ...(p.secret ? [['secret', p.secret.name] as ['secret', string]] : []),
    ]),
  ]);
}

/** Entries for the archive: the files, with a directory entry for each parent (items may nest). */
export function archiveEntries(files: VolumeFile[]): TarEntry[] {
  const dirs = new Set<string>();
  for (const f of files) for (let d = posix.dirname(f.path); d !== '.'; d = posix.dirname(d)) dirs.add(d);
  return [
    ...[...dirs].sort().map((d): TarEntry => ({ name: d, type: 'directory', mode: 0o755 })),
    ...files.map((f): TarEntry => ({ name: f.path, content: f.content, mode: f.mode })),
  ];
}

/** Writes every file volume's files into the infra's hold of its tmpfs; a Secret's upload is marked sensitive. */
export async function fillVolumes(engine: Engine, pod: Pod, infraId: string, facts: PodFacts, sources: PodSources, signal?: AbortSignal): Promise<void> {
  await Promise.all((pod.spec.volumes ?? []).filter(isFileVolume).map(async (volume) => {
    const { files, secret } = volumeContent(pod, volume, facts, sources);
    if (!files.length) return;
    await engine.containers.putArchive(infraId, `${INFRA_HOLD}/${volume.name}`, pack(archiveEntries(files)), { signal, sensitive: secret });
  }));
}
