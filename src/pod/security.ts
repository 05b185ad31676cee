import type { ContainerSpec, HostConfig } from '../engine/container-spec.js';
import type { AppArmorProfile, PodSecurityContext, SeccompProfile, SecurityContext } from './security-spec.js';
import type { EngineFlavour } from '../engine/index.js';
import type { Container, InitContainer, Pod } from './spec.js';

/**
 * What the security contexts and the process namespaces of a pod become on the engine: pure
 * functions from the spec (and what was looked up for it, ContainerConfig) to container-spec
 * fields, spread into the infra's and the apps' specs by containers.ts.
 */

/** What a container's spec needs from outside the spec, looked up before it is made (container-config.ts). */
export interface ContainerConfig {
  /** The image's configured user (`Config.User`, "" for root), when the spec needs it. */
  imageUser?: string;
  /** A Localhost seccomp profile's JSON: the Engine API takes the profile itself, not a path. */
  seccompProfile?: string;
}

/** The fields the pod's context gives every container and a container's own context overrides. */
export type EffectiveSecurity = SecurityContext & Pick<PodSecurityContext, 'fsGroup' | 'supplementalGroups'>;

/** A container's context over the pod's, field by field, as Kubernetes merges them. */
export function effectiveSecurity(pod: Pod, container: Container | InitContainer): EffectiveSecurity {
  const { runAsUser, runAsGroup, runAsNonRoot, seccompProfile, appArmorProfile, fsGroup, supplementalGroups } = pod.spec.securityContext ?? {};
  const merged: EffectiveSecurity = { runAsUser, runAsGroup, runAsNonRoot, seccompProfile, appArmorProfile, fsGroup, supplementalGroups };
  for (const [field, value] of Object.entries(container.securityContext ?? {})) if (value !== undefined) (merged as Record<string, unknown>)[field] = value;
  return Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)) as EffectiveSecurity;
}

/** Whether the container's user can only be decided with the image's own user in hand. */
export const needsImageUser = (sc: EffectiveSecurity) => sc.runAsUser === undefined && (sc.runAsNonRoot === true || sc.runAsGroup !== undefined);

/** The user part of an image's `User` ("name", "uid", "uid:gid"); root when it names none. */
const imageUserPart = (imageUser: string) => imageUser.split(':')[0] || '0';

/**
 * The engine's `User`: runAsUser, with runAsGroup as the group; a runAsGroup alone keeps the
 * image's user (the kubelet fills runAsUser from the image the same way).
 */
export function userOf(sc: EffectiveSecurity, imageUser: string | undefined): string | undefined {
  if (sc.runAsUser !== undefined) return sc.runAsGroup === undefined ? String(sc.runAsUser) : `${sc.runAsUser}:${sc.runAsGroup}`;
  if (sc.runAsGroup === undefined) return undefined;
  if (imageUser === undefined) throw new Error('runAsGroup without runAsUser needs the image\'s user, which was not looked up');
  return `${imageUserPart(imageUser)}:${sc.runAsGroup}`;
}

/**
 * The kubelet's runAsNonRoot check against the image's user: root, or a user name (which only the
 * image's /etc/passwd could turn into a uid), cannot be verified as non-root.
 */
export function nonRootProblem(sc: EffectiveSecurity, imageUser: string): string | undefined {
  if (!sc.runAsNonRoot || sc.runAsUser !== undefined) return undefined;
  const user = imageUserPart(imageUser);
  if (!/^\d+$/.test(user)) return `container has runAsNonRoot and image has non-numeric user (${user}), cannot verify user is non-root`;
  if (Number(user) === 0) return 'container has runAsNonRoot and image will run as root';
  return undefined;
}

/** The app container's own process fields: its user and its terminal and stdin. */
export function appProcess(pod: Pod, container: Container | InitContainer, config: ContainerConfig = {}): Pick<ContainerSpec, 'User' | 'Tty' | 'OpenStdin' | 'StdinOnce'> {
  const fields: Pick<ContainerSpec, 'User' | 'Tty' | 'OpenStdin' | 'StdinOnce'> = {};
  const user = userOf(effectiveSecurity(pod, container), config.imageUser);
  if (user !== undefined) fields.User = user;
  if (container.tty) fields.Tty = true;
  if (container.stdin) fields.OpenStdin = true;
  if (container.stdinOnce) fields.StdinOnce = true;
  return fields;
}

type AppHostFields = Pick<HostConfig, 'Privileged' | 'ReadonlyRootfs' | 'CapAdd' | 'CapDrop' | 'SecurityOpt' | 'GroupAdd' | 'PidMode'>;

/** The app container's HostConfig fields: privileges, capabilities, profiles, groups and PID namespace. */
export function appHostSecurity(pod: Pod, container: Container | InitContainer, infraId: string, config: ContainerConfig = {}, flavour: EngineFlavour = 'docker'): AppHostFields {
  const sc = effectiveSecurity(pod, container);
  const fields: AppHostFields = {};
  if (sc.privileged) fields.Privileged = true;
  if (sc.readOnlyRootFilesystem) fields.ReadonlyRootfs = true;
  if (sc.capabilities?.add?.length) fields.CapAdd = sc.capabilities.add;
  if (sc.capabilities?.drop?.length) fields.CapDrop = sc.capabilities.drop;
  const options = securityOptions(sc, config);
  if (options.length) fields.SecurityOpt = options;
  // dockerd (as containerd for a kubelet) lists the primary group among the supplementary ones;
  // Podman does not, so there it is added where groups are added at all.
  const primary = flavour === 'podman' && sc.runAsGroup !== undefined ? [sc.runAsGroup] : [];
  const extra = [...(sc.fsGroup === undefined ? [] : [sc.fsGroup]), ...(sc.supplementalGroups ?? [])];
  const groups = [...new Set(extra.length ? [...extra, ...primary] : [])];
  if (groups.length) fields.GroupAdd = groups.map(String);
  const pid = appPidMode(pod, infraId);
  if (pid) fields.PidMode = pid;
  return fields;
}

/** Docker's `--security-opt` values: no-new-privileges, then the seccomp and AppArmor profiles. */
export function securityOptions(sc: EffectiveSecurity, config: ContainerConfig = {}): string[] {
  return [
    // Kubernetes' allowPrivilegeEscalation: false is the kernel's no_new_privs, which is Docker's option.
    ...(sc.allowPrivilegeEscalation === false ? ['no-new-privileges'] : []),
    ...seccompOption(sc.seccompProfile, config),
    ...appArmorOption(sc.appArmorProfile),
  ];
}

/**
 * RuntimeDefault (and no profile at all) is Docker's default profile, so it needs no option. A
 * Localhost profile is sent as its JSON, as the docker CLI sends a `--security-opt seccomp=FILE`.
 */
function seccompOption(profile: SeccompProfile | undefined, config: ContainerConfig): string[] {
  if (profile?.type === 'Unconfined') return ['seccomp=unconfined'];
  if (profile?.type !== 'Localhost') return [];
  if (config.seccompProfile === undefined) throw new Error(`seccomp profile ${profile.localhostProfile}: its content was not read`);
  return [`seccomp=${config.seccompProfile}`];
}

/** A Localhost AppArmor profile is one the engine's host has loaded, named as loaded. */
function appArmorOption(profile: AppArmorProfile | undefined): string[] {
  if (profile?.type === 'Unconfined') return ['apparmor=unconfined'];
  if (profile?.type === 'Localhost') return [`apparmor=${profile.localhostProfile}`];
  return [];
}

/**
 * hostPID: the host's process namespace; shareProcessNamespace: the infra's, so every container
 * sees every other's processes (the infra's catatonit is PID 1, as the pause process is).
 */
function appPidMode(pod: Pod, infraId: string): string | undefined {
  if (pod.spec.hostPID) return 'host';
  if (pod.spec.shareProcessNamespace) return `container:${infraId}`;
  return undefined;
}

/**
 * The infra's namespace fields: the apps join its IPC namespace, so hostIPC makes that the host's;
 * sysctls belong to the pod's network and IPC namespaces, which the infra holds.
 */
export function infraNamespaces(pod: Pod): Pick<HostConfig, 'IpcMode' | 'PidMode' | 'Sysctls'> {
  const fields: Pick<HostConfig, 'IpcMode' | 'PidMode' | 'Sysctls'> = {};
  if (pod.spec.hostIPC) fields.IpcMode = 'host';
  if (pod.spec.hostPID) fields.PidMode = 'host';
  const sysctls = pod.spec.securityContext?.sysctls ?? [];
  // Kubernetes also takes "/" as the separator; Docker only ".".
  if (sysctls.length) fields.Sysctls = Object.fromEntries(sysctls.map((s) => [s.name.replace(/\//g, '.'), s.value]));
  return fields;
}
