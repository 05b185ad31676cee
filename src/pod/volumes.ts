import type { Engine } from '../engine/index.js';
import type { Mount } from '../engine/container-spec.js';
import { LABEL, namespaceLabel, volumeName } from './labels.js';
import { namespaceOf, sizeLimitBytes, type Container, type InitContainer, type Pod, type Volume } from './spec.js';

/**
 * emptyDir volumes: one labelled engine volume per pod and volume, shared by every init and app
 * container that mounts it, kept across container restarts and sandbox recreation (it is the
 * pod's, not a container's), removed with the pod. `medium: Memory` is a tmpfs of the local
 * driver, sized by sizeLimit; the engine mounts such a tmpfs only while some container uses it, so
 * the infra container mounts every one too, or its data would vanish between an init container
 * and the apps. A disk emptyDir's sizeLimit is not enforced: the local driver has no quota on
 * overlay2 (the kubelet enforces it by evicting the pod; Podling says so in the README).
 */

/**
 * A Memory emptyDir's owner and mode: with an fsGroup, the group owns it and passes itself on to
 * what is made inside (setgid), as the kubelet's volume ownership gives it; a disk emptyDir has
 * no such mount option, so it keeps the engine's ownership.
 */
function tmpfsOwnership(pod: Pod): string[] {
  const group = pod.spec.securityContext?.fsGroup;
  return group === undefined ? ['mode=1777'] : [`gid=${group}`, 'mode=3777'];
}

/** Where the infra container holds each Memory emptyDir mounted. */
const INFRA_HOLD = '/podling/volumes';

export function volumeSpecOf(pod: Pod, podId: string, volume: Volume, creator: string) {
  const bytes = sizeLimitBytes(volume.emptyDir);
  const tmpfs = volume.emptyDir.medium === 'Memory';
  return {
    Name: volumeName(podId, volume.name),
    Driver: 'local',
    ...(tmpfs ? { DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: [...(bytes === undefined ? [] : [`size=${bytes}`]), ...tmpfsOwnership(pod)].join(',') } } : {}),
    Labels: {
      [LABEL.managed]: 'true', [LABEL.podId]: podId, [LABEL.podName]: pod.metadata.name, ...namespaceLabel(namespaceOf(pod)),
      [LABEL.type]: 'emptyDir', [LABEL.volume]: volume.name, [LABEL.creator]: creator,
    },
  };
}

/**
 * Makes the named volumes and returns where each lives on the engine's host (for subPath
 * mounts). Creating a volume that exists returns it unchanged, so a repeat is harmless.
 */
export async function makeVolumes(engine: Engine, pod: Pod, podId: string, names: string[], creator: string, signal?: AbortSignal): Promise<Map<string, string>> {
  const volumes = (pod.spec.volumes ?? []).filter((v) => names.includes(v.name));
  const made = await Promise.all(volumes.map((v) => engine.volumes.create(volumeSpecOf(pod, podId, v, creator), { signal })));
  return new Map(made.map((v, i) => [volumes[i]!.name, v.Mountpoint]));
}

/** The volumes these containers mount with a subPath: their host paths are needed for the bind. */
export function subPathVolumes(containers: Array<Container | InitContainer>): string[] {
  return [...new Set(containers.flatMap((c) => (c.volumeMounts ?? []).filter((m) => m.subPath !== undefined).map((m) => m.name)))];
}

/**
 * A container's mounts. A mount of the whole volume is a volume mount; a subPath is a bind of the
 * directory inside the volume's host path (the engine makes it when missing), which every API
 * version takes (the volume mount's own Subpath option needs API 1.45).
 */
export function mountsOf(container: Container | InitContainer, podId: string, mountpoints: Map<string, string>): { Mounts?: Mount[]; Binds?: string[] } {
  const mounts = container.volumeMounts ?? [];
  if (!mounts.length) return {};
  const Mounts: Mount[] = [];
  const Binds: string[] = [];
  for (const m of mounts) {
    if (m.subPath === undefined) {
      Mounts.push({ Type: 'volume', Source: volumeName(podId, m.name), Target: m.mountPath, ReadOnly: m.readOnly });
      continue;
    }
    const root = mountpoints.get(m.name);
    if (!root) throw new Error(`volume ${m.name}: its host path is not known for subPath ${m.subPath}`);
    Binds.push(`${root}/${m.subPath}:${m.mountPath}${m.readOnly ? ':ro' : ''}`);
  }
  return { ...(Mounts.length ? { Mounts } : {}), ...(Binds.length ? { Binds } : {}) };
}

/** The infra holds every Memory emptyDir mounted for the pod's lifetime (see above). */
export function infraMounts(pod: Pod, podId: string): Mount[] | undefined {
  const memory = (pod.spec.volumes ?? []).filter((v) => v.emptyDir.medium === 'Memory');
  return memory.length ? memory.map((v) => ({ Type: 'volume', Source: volumeName(podId, v.name), Target: `${INFRA_HOLD}/${v.name}` })) : undefined;
}
