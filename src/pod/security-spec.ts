import { z } from 'zod';
import { tableShape } from './fields.js';

/**
 * The security contexts of a pod and of its containers, checked strictly. What they become on the
 * engine is in security.ts; checks across the pod (a container's runAsNonRoot against the pod's
 * runAsUser, sysctls against hostNetwork) are in `checkPodSecurity`, called from spec.ts.
 */

/**
 * Linux capabilities as Kubernetes names them: without the `CAP_` prefix (the runtime adds it),
 * up to CHECKPOINT_RESTORE (Linux 5.9, the newest the engines here know).
 */
export const CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
] as const;

/** A capability name, upper-cased as the runtimes do (containerd upper-cases Kubernetes' names too). */
const Capability = z.string().transform((name, ctx) => {
  const upper = name.toUpperCase();
  if (upper === 'ALL' || (CAPABILITIES as readonly string[]).includes(upper)) return upper;
  const bare = upper.replace(/^CAP_/, '');
  const hint = bare !== upper && (CAPABILITIES as readonly string[]).includes(bare)
    ? ` (Kubernetes names capabilities without the CAP_ prefix: "${bare}")`
    : ' (a Linux capability without the CAP_ prefix, e.g. NET_ADMIN, or ALL)';
  ctx.addIssue({ code: 'custom', message: `unknown capability "${name}"${hint}` });
  return z.NEVER;
});

export const Capabilities = z.strictObject({ add: z.array(Capability).optional(), drop: z.array(Capability).optional() });

const PROFILE_TYPES = ['RuntimeDefault', 'Unconfined', 'Localhost'] as const;

/** Kubernetes' rule: a Localhost profile names one, relative and inside the profile root; the others name none. */
function profileSchema(what: 'seccomp' | 'AppArmor') {
  return z.strictObject({
    type: z.enum(PROFILE_TYPES, { error: `must be one of ${PROFILE_TYPES.join(', ')}` }),
    localhostProfile: z.string().min(1).optional(),
  }).superRefine((profile, ctx) => {
    const path = ['localhostProfile'];
    if (profile.type !== 'Localhost') {
      if (profile.localhostProfile !== undefined) ctx.addIssue({ code: 'custom', path, message: `only a Localhost ${what} profile names one` });
      return;
    }
    if (profile.localhostProfile === undefined) ctx.addIssue({ code: 'custom', path, message: `a Localhost ${what} profile needs localhostProfile` });
    else if (what === 'seccomp' && (profile.localhostProfile.startsWith('/') || profile.localhostProfile.split('/').includes('..'))) {
      ctx.addIssue({ code: 'custom', path, message: 'must be a path relative to the seccomp profile root, without \'..\'' });
    }
  });
}
export const SeccompProfile = profileSchema('seccomp');
export type SeccompProfile = z.infer<typeof SeccompProfile>;
export const AppArmorProfile = profileSchema('AppArmor');
export type AppArmorProfile = z.infer<typeof AppArmorProfile>;

/** A Linux user or group id, as Kubernetes bounds them. */
const Id = z.number().int('must be a whole number').min(0, 'must not be negative').max(2147483647, 'must be at most 2147483647');

/** What the pod's and a container's contexts share; the container's wins (securityContextFor). */
const sharedShape = {
  runAsUser: Id.optional(),
  runAsGroup: Id.optional(),
  runAsNonRoot: z.boolean().optional(),
  seccompProfile: SeccompProfile.optional(),
  appArmorProfile: AppArmorProfile.optional(),
};

const UNMASKED = 'an unmasked /proc needs a user namespace of the pod\'s own (hostUsers: false), which a Docker engine cannot give one container (its user namespaces are per daemon)';

export const SecurityContext = z.strictObject({
  ...sharedShape,
  readOnlyRootFilesystem: z.boolean().optional(),
  privileged: z.boolean().optional(),
  allowPrivilegeEscalation: z.boolean().optional(),
  capabilities: Capabilities.optional(),
  procMount: z.literal('Default', { error: `must be "Default": ${UNMASKED}` }).optional(),
  ...tableShape('SecurityContext'),
}).superRefine((sc, ctx) => {
  // Kubernetes' own validation: without privilege escalation, nothing may grant it.
  if (sc.allowPrivilegeEscalation !== false) return;
  if (sc.privileged) ctx.addIssue({ code: 'custom', path: ['allowPrivilegeEscalation'], message: 'cannot be false for a privileged container' });
  if (sc.capabilities?.add?.includes('SYS_ADMIN')) ctx.addIssue({ code: 'custom', path: ['allowPrivilegeEscalation'], message: 'cannot be false when capabilities.add has SYS_ADMIN' });
});
export type SecurityContext = z.infer<typeof SecurityContext>;

/**
 * The namespaced sysctls Docker lets one container set: the network namespace's (`net.*`) and the
 * IPC namespace's. Anything else is the host's, shared by every container, which no pod may change.
 */
const IPC_SYSCTLS = ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'];
export const sysctlNamespace = (name: string): 'net' | 'ipc' | undefined =>
  name.startsWith('net.') ? 'net' : IPC_SYSCTLS.includes(name) || name.startsWith('fs.mqueue.') ? 'ipc' : undefined;

const SYSCTL_NAME = /^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/;
export const Sysctl = z.strictObject({
  name: z.string().regex(SYSCTL_NAME, 'must be a sysctl name such as net.ipv4.ip_local_port_range').refine((name) => sysctlNamespace(name.replace(/\//g, '.')) !== undefined, {
    message: 'not a sysctl of the pod\'s own namespaces: a pod may set only net.*, kernel.shm*, kernel.msg*, kernel.sem and fs.mqueue.* (the rest are the host\'s, shared by every container)',
  }),
  value: z.string(),
});
export type Sysctl = z.infer<typeof Sysctl>;

const STRICT_GROUPS = 'Docker always adds the groups the image\'s /etc/group gives the user: only "Merge" can be honoured';

export const PodSecurityContext = z.strictObject({
  ...sharedShape,
  fsGroup: Id.optional(),
  // Volumes are new with the pod, so "change when the root does not match" and "always" are one.
  fsGroupChangePolicy: z.enum(['Always', 'OnRootMismatch']).optional(),
  supplementalGroups: z.array(Id).optional(),
  supplementalGroupsPolicy: z.literal('Merge', { error: `must be "Merge": ${STRICT_GROUPS}` }).optional(),
  sysctls: z.array(Sysctl).optional(),
  ...tableShape('PodSecurityContext'),
});
export type PodSecurityContext = z.infer<typeof PodSecurityContext>;

/** The pod's fields of this module (process namespaces, user namespace, security context), for PodSpec to spread in. */
export const podSecurityShape = {
  shareProcessNamespace: z.boolean().optional(),
  hostPID: z.boolean().optional(),
  hostIPC: z.boolean().optional(),
  hostUsers: z.literal(true, { error: 'false is not supported: Docker\'s user namespaces are set per daemon (userns-remap), not per pod' }).optional(),
  securityContext: PodSecurityContext.optional(),
};

interface SecurityFields {
  hostNetwork?: boolean | undefined; hostIPC?: boolean | undefined; hostPID?: boolean | undefined; shareProcessNamespace?: boolean | undefined;
  securityContext?: PodSecurityContext | undefined;
  initContainers?: { securityContext?: SecurityContext | undefined }[] | undefined;
  containers: { securityContext?: SecurityContext | undefined }[];
}

/** In the pod spec's refinement: what only the whole pod shows. */
export function checkPodSecurity(spec: SecurityFields, ctx: z.RefinementCtx) {
  if (spec.shareProcessNamespace && spec.hostPID) ctx.addIssue({ code: 'custom', path: ['shareProcessNamespace'], message: 'cannot be set with hostPID: the pod shares the host\'s process namespace already' });
  spec.securityContext?.sysctls?.forEach((s, i) => {
    const ns = sysctlNamespace(s.name.replace(/\//g, '.'));
    const host = ns === 'net' ? spec.hostNetwork && 'hostNetwork' : ns === 'ipc' ? spec.hostIPC && 'hostIPC' : undefined;
    if (host) ctx.addIssue({ code: 'custom', path: ['securityContext', 'sysctls', i, 'name'], message: `cannot be set in a ${host} pod: it would change the host's own ${s.name}` });
  });
  for (const list of ['initContainers', 'containers'] as const) {
    spec[list]?.forEach((c, i) => {
      const user = c.securityContext?.runAsUser ?? spec.securityContext?.runAsUser;
      const nonRoot = c.securityContext?.runAsNonRoot ?? spec.securityContext?.runAsNonRoot;
      // The kubelet finds this when it starts the container; it needs no engine to see, so it is a spec error here.
      if (nonRoot && user === 0) ctx.addIssue({ code: 'custom', path: [list, i, 'securityContext', 'runAsNonRoot'], message: 'the container must run as non-root, but its runAsUser is 0 (root)' });
    });
  }
}
