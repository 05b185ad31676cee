import { posix } from 'node:path';
import { z } from 'zod';
import { tableShape } from './fields.js';
import { parseMemory, quantity } from './quantity.js';
import { otherVolumeSources } from './volume-sources.js';

/**
 * Volumes and their mounts, as far as Podling supports them (see fields.ts). The volume's name
 * and the checks across containers (a mount naming no volume) are in spec.ts.
 */

/** A path as the mount table sees it: "/data/", "//data" and "/x/../data" are all "/data". */
const place = (path: string) => posix.normalize(path).replace(/\/+/g, '/').replace(/(.)\/$/, '$1');

/** `mountPath`'s problem, if any: the engine takes an absolute path and splits its mount syntax on ':'. */
function mountPathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'must be an absolute path';
  if (path.includes(':')) return 'must not contain \':\'';
  if (place(path) === '/') return 'cannot mount over the container\'s root';
  return undefined;
}

/** `subPath`'s problem, if any: it must stay inside the volume. */
function subPathProblem(path: string): string | undefined {
  if (path.startsWith('/')) return 'must be a relative path';
  if (path.split('/').includes('..')) return 'must not contain a \'..\' component';
  return undefined;
}

const problemCheck = (problem: (value: string) => string | undefined) => (value: string, ctx: z.RefinementCtx) => {
  const message = problem(value);
  if (message) ctx.addIssue({ code: 'custom', message });
};

export const VolumeMount = z.strictObject({
  name: z.string(),
  mountPath: z.string().superRefine(problemCheck(mountPathProblem)),
  readOnly: z.boolean().default(false),
  subPath: z.string().superRefine(problemCheck(subPathProblem)).optional(),
  ...tableShape('VolumeMount'),
});
export type VolumeMount = z.infer<typeof VolumeMount>;

export const EmptyDir = z.strictObject({
  medium: z.enum(['', 'Memory'], { error: 'must be "" (the engine\'s disk) or "Memory" (a tmpfs)' }).default(''),
  sizeLimit: quantity(parseMemory).optional(),
});
export type EmptyDir = z.infer<typeof EmptyDir>;

/**
 * A volume's sources, for spec.ts to add the name and the table's other sources (fields.ts) to:
 * as in Kubernetes, no source means an emptyDir (spec.ts fills it in).
 */
export const volumeSources = { emptyDir: EmptyDir.optional(), ...otherVolumeSources };

/** An emptyDir's size limit in bytes, if it has one. */
export function sizeLimitBytes(emptyDir: EmptyDir | undefined): number | undefined {
  const bytes = emptyDir?.sizeLimit === undefined ? undefined : parseMemory(emptyDir.sizeLimit);
  return typeof bytes === 'number' ? bytes : undefined; // a bad one never gets past the schema
}

/** In a container's refinement: two mounts at one place, which the engine would refuse. */
export function checkMountPaths(mounts: VolumeMount[], ctx: z.RefinementCtx) {
  const seen = new Map<string, number>();
  mounts.forEach((mount, j) => {
    const path = place(mount.mountPath);
    const first = seen.get(path);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['volumeMounts', j, 'mountPath'], message: `"${mount.mountPath}" is already mounted by volumeMounts.${first}` });
    else seen.set(path, j);
  });
}
