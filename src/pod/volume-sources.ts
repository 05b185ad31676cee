import { posix } from 'node:path';
import { z } from 'zod';
import { tableShape } from './fields.js';
import { fieldSelector, ResourceFieldSelector, VOLUME_FIELD_PATHS } from './env-spec.js';

/**
 * The volume sources beyond emptyDir, as Kubernetes shapes them: hostPath, the file volumes
 * (configMap, secret, downwardAPI, projected of those three) and persistentVolumeClaim. How each
 * maps onto the engine is in volumes.ts and volume-files.ts.
 */

/** File modes are permission bits, as in Kubernetes (0 to 0777; YAML's 0644 is octal, JSON's 420 decimal). */
const Mode = z.number().int().min(0, 'a mode is 0 to 0777 (511)').max(0o777, 'a mode is 0 to 0777 (511)');

/** A file's path inside its volume: relative, with no '..' element (Kubernetes' validateLocalNonReservedPath). */
const FilePath = z.string().min(1, 'must not be empty').superRefine((path, ctx) => {
  if (path.startsWith('/')) ctx.addIssue({ code: 'custom', message: 'must be a relative path' });
  else if (path.split('/').includes('..')) ctx.addIssue({ code: 'custom', message: 'must not contain a \'..\' element' });
  else if (path.startsWith('..')) ctx.addIssue({ code: 'custom', message: 'must not start with \'..\'' });
});

const KeyToPath = z.strictObject({ key: z.string().min(1), path: FilePath, mode: Mode.optional() });
export type KeyToPath = z.infer<typeof KeyToPath>;

const objectName = z.string().min(1, 'must name the object');

export const ConfigMapVolumeSource = z.strictObject({ name: objectName, items: z.array(KeyToPath).optional(), defaultMode: Mode.optional(), optional: z.boolean().optional() });
export const SecretVolumeSource = z.strictObject({ secretName: objectName, items: z.array(KeyToPath).optional(), defaultMode: Mode.optional(), optional: z.boolean().optional() });

const DownwardAPIVolumeFile = z.strictObject({
  path: FilePath,
  fieldRef: fieldSelector(VOLUME_FIELD_PATHS).optional(),
  resourceFieldRef: ResourceFieldSelector.optional(),
  mode: Mode.optional(),
}).superRefine((file, ctx) => {
  if (Boolean(file.fieldRef) === Boolean(file.resourceFieldRef)) ctx.addIssue({ code: 'custom', message: 'needs exactly one of fieldRef and resourceFieldRef' });
  if (file.resourceFieldRef && !file.resourceFieldRef.containerName) {
    ctx.addIssue({ code: 'custom', path: ['resourceFieldRef', 'containerName'], message: 'a downwardAPI volume file needs the containerName whose resources it reads' });
  }
});
export type DownwardAPIVolumeFile = z.infer<typeof DownwardAPIVolumeFile>;

export const DownwardAPIVolumeSource = z.strictObject({ items: z.array(DownwardAPIVolumeFile).optional(), defaultMode: Mode.optional() });

const ConfigMapProjection = z.strictObject({ name: objectName, items: z.array(KeyToPath).optional(), optional: z.boolean().optional() });
const SecretProjection = ConfigMapProjection;

export const VolumeProjection = z.strictObject({
  configMap: ConfigMapProjection.optional(),
  secret: SecretProjection.optional(),
  downwardAPI: z.strictObject({ items: z.array(DownwardAPIVolumeFile).optional() }).optional(),
  ...tableShape('VolumeProjection'),
}).superRefine((projection, ctx) => {
  const given = Object.values(projection).filter((v) => v !== undefined).length;
  if (given !== 1) ctx.addIssue({ code: 'custom', message: `a projection needs exactly one source, has ${given}` });
});
export type VolumeProjection = z.infer<typeof VolumeProjection>;

export const ProjectedVolumeSource = z.strictObject({ sources: z.array(VolumeProjection).default([]), defaultMode: Mode.optional() });

export const HOST_PATH_TYPES = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'] as const;

export const HostPathVolumeSource = z.strictObject({
  path: z.string().superRefine((path, ctx) => {
    if (!path.startsWith('/')) ctx.addIssue({ code: 'custom', message: 'must be an absolute path' });
    else if (path.includes(':')) ctx.addIssue({ code: 'custom', message: 'must not contain \':\' (the engine splits its bind syntax on it)' });
    else if (posix.normalize(path).split('/').includes('..')) ctx.addIssue({ code: 'custom', message: 'must not contain a \'..\' element' });
  }),
  type: z.enum(HOST_PATH_TYPES, { error: `must be one of ${HOST_PATH_TYPES.filter(Boolean).join(', ')} (or "" for no check)` }).default(''),
});
export type HostPathVolumeSource = z.infer<typeof HostPathVolumeSource>;

/** A claim's name is a DNS label here (Kubernetes allows a subdomain): its volume is named `NAME.NAMESPACE` (labels.ts). */
export const PersistentVolumeClaimVolumeSource = z.strictObject({
  claimName: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'claimName must be a DNS label').max(63),
  readOnly: z.boolean().optional(),
});

/** The sources spec.ts adds to a volume, besides emptyDir. */
export const otherVolumeSources = {
  hostPath: HostPathVolumeSource.optional(),
  configMap: ConfigMapVolumeSource.optional(),
  secret: SecretVolumeSource.optional(),
  downwardAPI: DownwardAPIVolumeSource.optional(),
  projected: ProjectedVolumeSource.optional(),
  persistentVolumeClaim: PersistentVolumeClaimVolumeSource.optional(),
};
export const SOURCES = ['emptyDir', ...Object.keys(otherVolumeSources)] as const;
