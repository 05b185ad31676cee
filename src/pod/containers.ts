import { createHash } from 'node:crypto';
import type { ContainerSpec } from '../engine/container-spec.js';
import type { EngineFlavour } from '../engine/index.js';
import { backoffLabels, type Backoff } from './backoff.js';
import { dnsSettings } from './dns.js';
import { withServiceLinks } from './service-links.js';
import { LABEL, namespaceLabel, podNetworkName, type Role } from './labels.js';
import { containerBudget } from './pod-resources.js';
import { cpuShares } from './quantity.js';
import { appHostSecurity, appProcess, infraNamespaces, type ContainerConfig } from './security.js';
import type { PodNetworkMode } from './pod-network.js';
import { namespaceOf, type Container, type InitContainer, type Pod } from './spec.js';
import type { ResolvedContainer } from './env.js';
import { messageBind, messagesInfraMount } from './termination.js';
import { infraMounts, mountsOf } from './volumes.js';

/** Turns a pod into the engine's container specs: one infra container and one per app container. */

/**
 * The engine's own restart policy, for pods no agent supervises: without one a pod is no worse off
 * than Docker alone makes it (it comes back after a dockerd restart). An agent switches these off
 * on the containers it takes over and makes its own with none, so the two never both restart one.
 */
export const ENGINE_RESTART: Record<Pod['spec']['restartPolicy'], 'unless-stopped' | 'on-failure' | 'no'> = {
  Always: 'unless-stopped', OnFailure: 'on-failure', Never: 'no',
};

/** Which attempt a container is, and whether an agent supervises it (see ENGINE_RESTART). */
export interface AttemptInfo {
  attempt: number;
  supervised?: boolean;
}

/**
 * The engine's restart policy for a container: none under an agent; an init container that runs
 * to completion never gets one (the engine would run it again after a dockerd restart), a
 * sidecar runs as long as the pod, as an app under Always does.
 */
export function enginePolicy(pod: Pod, container: Container | InitContainer, run: { supervised?: boolean; init?: boolean }): 'unless-stopped' | 'on-failure' | 'no' {
  if (run.supervised) return 'no';
  if (run.init) return container.restartPolicy === 'Always' ? 'unless-stopped' : 'no';
  return ENGINE_RESTART[pod.spec.restartPolicy];
}

/** A container spec's identity: when it changes, the running container is not the one wanted. */
export function containerHash(container: Container): string {
  return createHash('sha256').update(JSON.stringify(container)).digest('hex').slice(0, 16);
}

export function podLabels(pod: Pod, podId: string, role: Role, creator: string, network?: PodNetworkMode): Record<string, string> {
  return {
    [LABEL.managed]: 'true',
    [LABEL.podId]: podId,
    [LABEL.podName]: pod.metadata.name,
    ...namespaceLabel(namespaceOf(pod)),
    [LABEL.role]: role,
    [LABEL.type]: role === 'infra' ? 'pod-infra' : 'pod-app',
    [LABEL.creator]: creator,
    ...(network ? { [LABEL.network]: network } : {}),
  };
}

/**
 * The infra container holds the pod's namespaces. Everything that belongs to the namespace rather
 * than to one process goes here: hostname, published ports (the engine refuses them on containers
 * that join another's network), and `IpcMode: shareable` (20.10's default is private, which apps
 * could not join).
 */
export interface InfraNetworks {
  /**
   * The cluster network, with the pod's DNS names on it; absent for isolated pods. When present
   * the infra is created on it, and the pod's own network, in `own` mode, is connected once that
   * exists (see execute.ts); otherwise the infra is created on the pod's own network.
   */
  cluster?: { name: string; aliases: string[] };
  /** The pod network mode, kept as a label (pod-network.ts); the networks themselves are decided by the caller. */
  mode?: PodNetworkMode;
}

export function infraSpec(pod: Pod, podId: string, image: string, creator: string, networks: InfraNetworks = {}, sandbox: AttemptInfo = { attempt: 0 }): ContainerSpec {
  const labels = { ...podLabels(pod, podId, 'infra', creator, networks.mode), [LABEL.spec]: JSON.stringify(pod), [LABEL.attempt]: String(sandbox.attempt) };
  const RestartPolicy = { Name: sandbox.supervised ? 'no' as const : 'unless-stopped' as const };
  // Apps share the infra's /etc/hosts and resolv.conf (they join its network namespace), so the
  // pod's resolver and host aliases are set here once.
  const { Hostname, Domainname, ...resolver } = dnsSettings(pod, namespaceOf(pod));
  if (pod.spec.hostNetwork) {
    // The host's namespace: no hostname of our own and no port mapping (ports are the host's).
    return { Image: image, Labels: labels, HostConfig: { NetworkMode: 'host', IpcMode: 'shareable', RestartPolicy, Mounts: sandboxMounts(pod, podId), ...resolver, ...infraNamespaces(pod) } };
  }
  const ports = pod.spec.containers.flatMap((c) => c.ports ?? []);
  const [network, aliases] = networks.cluster ? [networks.cluster.name, networks.cluster.aliases] : [podNetworkName(podId), podNetworkAliases(pod)];
  return {
    Image: image,
    Hostname,
    Domainname,
    Labels: labels,
    ExposedPorts: Object.fromEntries(ports.map((p) => [`${p.containerPort}/${p.protocol.toLowerCase()}`, {}])),
    HostConfig: {
      NetworkMode: network,
      IpcMode: 'shareable',
      RestartPolicy,
      Mounts: sandboxMounts(pod, podId),
      PortBindings: portBindings(pod),
      ...resolver,
      ...infraNamespaces(pod),
    },
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: aliases } } },
  };
}

/** What the infra holds mounted: Memory emptyDirs, and the volume of termination message files. */
function sandboxMounts(pod: Pod, podId: string) {
  const mounts = [...infraMounts(pod, podId) ?? [], ...messagesInfraMount(pod, podId)];
  return mounts.length ? mounts : undefined;
}

/** The pod's names on its own network. */
export function podNetworkAliases(pod: Pod): string[] {
  return [pod.metadata.name];
}

function portBindings(pod: Pod): Record<string, { HostIp?: string; HostPort?: string }[]> {
  const bindings: Record<string, { HostIp?: string; HostPort?: string }[]> = {};
  for (const port of pod.spec.containers.flatMap((c) => c.ports ?? [])) {
    if (port.hostPort === undefined) continue;
    const key = `${port.containerPort}/${port.protocol.toLowerCase()}`;
    (bindings[key] ??= []).push({ HostIp: port.hostIP ?? '', HostPort: String(port.hostPort) });
  }
  return bindings;
}

export interface AppAttempt extends AttemptInfo {
  sandboxAttempt: number;
  backoff?: Backoff;
  /** An init container (role `init`): it runs before the apps. */
  init?: boolean;
  /** Host paths of the pod's volumes, for subPath mounts (see volumes.ts). */
  mountpoints?: Map<string, string>;
  /** The environment, command and args with valueFrom, envFrom and `$(VAR)` resolved (env.ts). */
  resolved?: ResolvedContainer;
  /** What the spec needed looked up (the image's user, seccomp profiles): see container-config.ts. */
  config?: ContainerConfig;
  /** The service link variables of the pod's namespace (service-links.ts); the container's own win. */
  serviceLinks?: Map<string, string>;
  /** The pod network mode, kept as a label on every container so a sandbox remade after its infra went keeps it. */
  network?: PodNetworkMode;
  /** The engine, where its answers differ (below, and security.ts's groups). */
  flavour?: EngineFlavour;
}

/** The container's own variables (resolved, when they needed it), then the service links it does not define. */
function environment(container: Container | InitContainer, run: AppAttempt): string[] | undefined {
  const own: [string, string][] = run.resolved && (container.env || container.envFrom) ? run.resolved.env : (container.env ?? []).map((e) => [e.name, e.value]);
  const env = withServiceLinks(own, run.serviceLinks ?? new Map());
  // No variables, no field: a pod without env or services sends what it always sent.
  return env.length || container.env || container.envFrom ? env.map(([name, value]) => `${name}=${value}`) : undefined;
}

/**
 * An app container joins the infra's network and IPC namespaces: localhost and one IP for all. It
 * carries the pod spec too, so a pod whose infra was removed can still be rebuilt from the engine.
 */
export function appSpec(pod: Pod, podId: string, container: Container | InitContainer, infraId: string, creator: string, run: AppAttempt = { attempt: 0, sandboxAttempt: 0 }): ContainerSpec {
  const { cpuLimit, memoryLimit: memory, cpuRequest, memoryRequest } = containerBudget(pod.spec, container);
  return {
    Image: container.image,
    Entrypoint: run.resolved?.command ?? container.command,
    Cmd: run.resolved?.args ?? container.args,
    Env: environment(container, run),
    WorkingDir: container.workingDir,
    ...appProcess(pod, container, run.config),
    // docker-init (Init below) passes the stop signal on to the container's process.
    StopSignal: container.lifecycle?.stopSignal,
    Labels: {
      ...podLabels(pod, podId, run.init ? 'init' : 'app', creator, run.network),
      [LABEL.container]: container.name,
      [LABEL.spec]: JSON.stringify(pod),
      [LABEL.attempt]: String(run.attempt),
      [LABEL.sandboxAttempt]: String(run.sandboxAttempt),
      [LABEL.specHash]: containerHash(container),
      ...backoffLabels(run.backoff, LABEL),
    },
    HostConfig: {
      NetworkMode: `container:${infraId}`,
      IpcMode: `container:${infraId}`,
      // Podman gives a container that joins another's network its own hostname (its id), where
      // dockerd copies the infra's: there the app joins the infra's UTS namespace too. dockerd
      // refuses this mode ("invalid UTS mode"), so only Podman gets it.
      ...(run.flavour === 'podman' ? { UTSMode: `container:${infraId}` } : {}),
      RestartPolicy: { Name: enginePolicy(pod, container, run) },
      ...containerMounts(container, podId, run, pod),
      // docker-init as PID 1 forwards SIGTERM and reaps zombies: a plain process as PID 1 (httpd,
      // sh, sleep) ignores SIGTERM, so every delete would wait out the whole grace period.
      Init: true,
      NanoCpus: cpuLimit,
      CpuShares: cpuRequest === undefined ? undefined : cpuShares(cpuRequest),
      Memory: memory,
      // No swap beyond the limit, as on a kubelet: a limit that swap can stretch is no limit.
      MemorySwap: memory,
      // A soft limit the kernel reclaims down to under memory pressure: the nearest a single
      // engine has to a scheduler's guarantee.
      MemoryReservation: memoryRequest,
      ...appHostSecurity(pod, container, infraId, run.config, run.flavour),
    },
  };
}


/** The container's volume mounts, and the bind of its termination message file (termination.ts). */
function containerMounts(container: Container | InitContainer, podId: string, run: AppAttempt, pod: Pod) {
  const mounts = mountsOf(container, podId, run.mountpoints ?? new Map(), pod);
  const message = messageBind(container, run.attempt, run.mountpoints ?? new Map());
  return message ? { ...mounts, Binds: [...mounts.Binds ?? [], message] } : mounts;
}
