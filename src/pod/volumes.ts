import type { Engine, EngineFlavour } from '../engine/index.js';
import type { Mount } from '../engine/container-spec.js';
import { LABEL, namespaceLabel, qualifiedName, volumeName } from './labels.js';
import { namespaceOf, sizeLimitBytes, type Container, type InitContainer, type Pod, type Volume } from './spec.js';

/**
 * A pod's volumes on the engine.
 * - emptyDir: one labelled engine volume per pod and volume, shared by every init and app
 *   container that mounts it, kept across container restarts and sandbox recreation (it is the
 *   pod's, not a container's), removed with the pod. `medium: Memory` is a tmpfs of the local
 *   driver, sized by sizeLimit; the engine mounts such a tmpfs only while some container uses it,
 *   so the infra container mounts every one too, or its data would vanish between an init
 *   container and the apps. A disk emptyDir's sizeLimit is not enforced: the local driver has no
 *   quota on overlay2 (the kubelet enforces it by evicting the pod; Podling says so in the README).
 * - configMap, secret, downwardAPI, projected (file volumes): a tmpfs per pod and volume, held by
 *   the infra like a Memory emptyDir and filled through the archive API once it runs
 *   (volume-files.ts), mounted read-only into the containers, as Kubernetes mounts them. A
 *   Secret's files are never on disk, in an image layer or in a label.
 * - hostPath: a bind of the host's path (checked in host-paths.ts).
 * - persistentVolumeClaim: a labelled named volume per namespace and claim, made on first use and
 *   never removed with a pod: it outlives them, as a claim does.
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

/** Where the infra container holds each tmpfs volume mounted. */
export const INFRA_HOLD = '/podling/volumes';

export const FILE_SOURCES = ['configMap', 'secret', 'downwardAPI', 'projected'] as const;
export const isFileVolume = (v: Volume) => FILE_SOURCES.some((source) => v[source] !== undefined);
/** Volumes that are the pod's own engine volumes (removed with it): emptyDirs and file volumes. */
export const isPodVolume = (v: Volume) => v.emptyDir !== undefined || isFileVolume(v);
/** Held mounted by the infra: a tmpfs keeps its content only while some container mounts it. */
const isHeld = (v: Volume) => v.emptyDir?.medium === 'Memory' || isFileVolume(v);

export const claimVolumeName = (claim: string, namespace: string) => `podling-pvc-${qualifiedName(claim, namespace)}`;

/**
 * A tmpfs's size as a mount option. Podman's local driver takes `size=` for itself, as a disk quota
 * (refused where the filesystem has no project quota) and never passes it to the mount; tmpfs's
 * `nr_blocks` (pages) is the same limit under a name Podman passes on. 4 KiB pages, as on the hosts
 * Podling runs on; dockerd keeps the kubelet's `size=`.
 */
export function tmpfsSize(bytes: number, flavour: EngineFlavour): string {
  return flavour === 'podman' ? `nr_blocks=${Math.ceil(bytes / PAGE_SIZE)}` : `size=${bytes}`;
}
const PAGE_SIZE = 4096;

export function volumeSpecOf(pod: Pod, podId: string, volume: Volume, creator: string, flavour: EngineFlavour = 'docker') {
  const bytes = sizeLimitBytes(volume.emptyDir);
  const file = isFileVolume(volume);
  const tmpfs = file || volume.emptyDir?.medium === 'Memory';
  // A file volume's files carry their own modes; its root is read by any user, as Kubernetes' is.
  const options = file ? 'mode=0755' : [...(bytes === undefined ? [] : [tmpfsSize(bytes, flavour)]), ...tmpfsOwnership(pod)].join(',');
  return {
    Name: volumeName(podId, volume.name),
    Driver: 'local',
    ...(tmpfs ? { DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: options } } : {}),
    Labels: {
      [LABEL.managed]: 'true', [LABEL.podId]: podId, [LABEL.podName]: pod.metadata.name, ...namespaceLabel(namespaceOf(pod)),
      [LABEL.type]: file ? FILE_SOURCES.find((s) => volume[s] !== undefined)! : 'emptyDir', [LABEL.volume]: volume.name, [LABEL.creator]: creator,
    },
  };
}

function claimSpecOf(claim: string, namespace: string) {
  return {
    Name: claimVolumeName(claim, namespace), Driver: 'local',
    Labels: { [LABEL.managed]: 'true', [LABEL.type]: 'persistentVolumeClaim', [LABEL.namespace]: namespace, [LABEL.claim]: claim },
  };
}

/**
 * Makes the named volumes (the pod's own and its claims') and returns where each lives on the
 * engine's host (for subPath mounts). Creating a volume that exists returns it unchanged, so a
 * repeat is harmless.
 */
export async function makeVolumes(engine: Engine, pod: Pod, podId: string, names: string[], creator: string, signal?: AbortSignal): Promise<Map<string, string>> {
  const volumes = (pod.spec.volumes ?? []).filter((v) => names.includes(v.name) && (isPodVolume(v) || v.persistentVolumeClaim));
  const flavour = volumes.some((v) => sizeLimitBytes(v.emptyDir) !== undefined) ? await engine.flavour() : 'docker';
  const made = await Promise.all(volumes.map((v) => engine.volumes.create(v.persistentVolumeClaim
    ? claimSpecOf(v.persistentVolumeClaim.claimName, namespaceOf(pod))
    : volumeSpecOf(pod, podId, v, creator, flavour), { signal })));
  return new Map(made.map((v, i) => [volumes[i]!.name, v.Mountpoint]));
}

/** The claims the pod mounts: made on first use, every time containers start (a create of one that exists is harmless). */
export const claimVolumes = (pod: Pod): string[] => (pod.spec.volumes ?? []).filter((v) => v.persistentVolumeClaim).map((v) => v.name);

/**
 * Whether the container mounts a file of a configMap, secret, downwardAPI or projected volume by
 * subPath: it is made once the infra has filled the volume. The bind's source is a file inside
 * the volume; dockerd looks at a bind's source when the container starts, Podman already when it
 * is created ("statfs …/_data/app.conf: no such file or directory" when the create came first).
 */
export function mountsFilledFile(container: Container | InitContainer, pod: Pod): boolean {
  const files = new Set((pod.spec.volumes ?? []).filter(isFileVolume).map((v) => v.name));
  return (container.volumeMounts ?? []).some((m) => m.subPath !== undefined && files.has(m.name));
}

/** The volumes these containers mount with a subPath: their host paths are needed for the bind. */
export function subPathVolumes(containers: Array<Container | InitContainer>, pod?: Pod): string[] {
  const hostPaths = new Set((pod?.spec.volumes ?? []).filter((v) => v.hostPath).map((v) => v.name));
  return [...new Set(containers.flatMap((c) => (c.volumeMounts ?? []).filter((m) => m.subPath !== undefined && !hostPaths.has(m.name)).map((m) => m.name)))];
}

/**
 * A container's mounts. A mount of the whole volume is a volume mount (a hostPath a bind); a
 * subPath is a bind of the directory inside the volume's host path (the engine makes it when
 * missing), which every API version takes (the volume mount's own Subpath option needs API 1.45).
 */
export function mountsOf(container: Container | InitContainer, podId: string, mountpoints: Map<string, string>, pod?: Pod): { Mounts?: Mount[]; Binds?: string[] } {
  const mounts = container.volumeMounts ?? [];
  if (!mounts.length) return {};
  const Mounts: Mount[] = [];
  const Binds: string[] = [];
  const volumes = new Map((pod?.spec.volumes ?? []).map((v) => [v.name, v]));
  for (const m of mounts) {
    const volume = volumes.get(m.name);
    // Kubernetes mounts file volumes read-only whatever the mount says; a claim may be read-only itself.
    const readOnly = m.readOnly || (volume !== undefined && isFileVolume(volume)) || volume?.persistentVolumeClaim?.readOnly === true;
    if (volume?.hostPath) {
      Binds.push(`${volume.hostPath.path}${m.subPath ? `/${m.subPath}` : ''}:${m.mountPath}${readOnly ? ':ro' : ''}`);
      continue;
    }
    if (m.subPath === undefined) {
      const claim = volume?.persistentVolumeClaim;
      const source = claim ? claimVolumeName(claim.claimName, pod ? namespaceOf(pod) : 'default') : volumeName(podId, m.name);
      Mounts.push({ Type: 'volume', Source: source, Target: m.mountPath, ReadOnly: readOnly });
      continue;
    }
    const root = mountpoints.get(m.name);
    if (!root) throw new Error(`volume ${m.name}: its host path is not known for subPath ${m.subPath}`);
    Binds.push(`${root}/${m.subPath}:${m.mountPath}${readOnly ? ':ro' : ''}`);
  }
  return { ...(Mounts.length ? { Mounts } : {}), ...(Binds.length ? { Binds } : {}) };
}

/** The infra holds every tmpfs volume (Memory emptyDirs, file volumes) mounted for the pod's lifetime (see above). */
export function infraMounts(pod: Pod, podId: string): Mount[] | undefined {
  const held = (pod.spec.volumes ?? []).filter(isHeld);
  return held.length ? held.map((v) => ({ Type: 'volume', Source: volumeName(podId, v.name), Target: `${INFRA_HOLD}/${v.name}` })) : undefined;
}
