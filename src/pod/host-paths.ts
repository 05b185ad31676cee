import { statSync, writeFileSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { PodError } from './errors.js';
import type { Pod } from './spec.js';
import type { HostPathVolumeSource } from './volume-sources.js';

/**
 * hostPath's `type` checks, as the kubelet makes them on its node: here against this machine's
 * filesystem, which is the engine's when the engine listens on a local Unix socket. An engine
 * reached over TCP is another machine whose paths Podling cannot see: a type other than "" is
 * refused there rather than left unchecked (type "" mounts the path as the engine finds it; the
 * engine makes a missing path a directory, as the kubelet does).
 */
type Kind = 'directory' | 'file' | 'socket' | 'character device' | 'block device';

const WANTED: Record<Exclude<HostPathVolumeSource['type'], ''>, { kind: Kind; create?: boolean }> = {
  DirectoryOrCreate: { kind: 'directory', create: true },
  Directory: { kind: 'directory' },
  FileOrCreate: { kind: 'file', create: true },
  File: { kind: 'file' },
  Socket: { kind: 'socket' },
  CharDevice: { kind: 'character device' },
  BlockDevice: { kind: 'block device' },
};

function kindOf(stats: Stats): Kind | 'something else' {
  if (stats.isDirectory()) return 'directory';
  if (stats.isFile()) return 'file';
  if (stats.isSocket()) return 'socket';
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isBlockDevice()) return 'block device';
  return 'something else';
}

const statOf = (path: string): Stats | undefined => {
  try {
    return statSync(path); // follows symlinks, as the kubelet's checks do
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
};

/** What must be made before the pod's containers (a FileOrCreate file that is missing), or the one problem. */
export interface HostPathPlan { createFiles: string[] }

/** Checks every hostPath of the pod; throws one `invalid` error naming the volume, before anything is sent. */
export function checkHostPaths(pod: Pod, engineIsLocal: boolean): HostPathPlan {
  const createFiles: string[] = [];
  for (const volume of pod.spec.volumes ?? []) {
    const source = volume.hostPath;
    if (!source?.type) continue;
    const problem = (detail: string) => new PodError('invalid', `pod ${pod.metadata.name}: volume ${volume.name}: hostPath "${source.path}" ${detail}`);
    if (!engineIsLocal) throw problem(`has type ${source.type}, which is checked on the engine's host: this engine is not on this machine (use type "" to mount it unchecked)`);
    const wanted = WANTED[source.type];
    const stats = statOf(source.path);
    if (!stats) {
      if (!wanted.create) throw problem(`does not exist (type ${source.type})`);
      if (wanted.kind === 'file') {
        if (!statOf(dirname(source.path))?.isDirectory()) throw problem(`cannot be created: its directory does not exist (type ${source.type})`);
        createFiles.push(source.path);
      }
      continue; // a missing directory is made by the engine's bind, with mode 0755 as the kubelet makes it
    }
    const found = kindOf(stats);
    if (found !== wanted.kind) throw problem(`is a ${found}, not a ${wanted.kind} (type ${source.type})`);
  }
  return { createFiles };
}

/** The empty files FileOrCreate asks for, mode 0644, as the kubelet makes them; one made meanwhile is kept. */
export function createHostFiles(plan: HostPathPlan): void {
  for (const path of plan.createFiles) writeFileSync(path, '', { flag: 'a', mode: 0o644 });
}
