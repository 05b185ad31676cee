import type { Engine } from '../engine/index.js';
import { isConflict, isNotFound } from '../engine/errors.js';
import { createNetwork } from './network-create.js';
import type { ProgressMessage } from '../engine/streams/progress.js';
import { aliasesFor } from './aliases.js';
import { appSpec, infraSpec, podNetworkAliases } from './containers.js';
import { containerConfigs } from './container-config.js';
import { PodFailedError, detailOf, type PodFailureReason } from './errors.js';
import { graceFor } from './grace.js';
import { writeHooksInProgress } from './hook-progress.js';
import { anyPostStart, lazyAddress, runPostStart, stopContainer, type HookFailure } from './hooks.js';
import { ensureImages } from './images.js';
import { readPullCredentials } from './pull-credentials.js';
import type { PullCredential } from './pull-secrets.js';
import { LABEL, appName, infraName, namespaceLabel, podNetworkName, volumeName } from './labels.js';
import type { ObservedPod } from './observe.js';
import { modeLabel, sandboxNetworks, type PodNetworkMode, type SandboxNetworks } from './pod-network.js';
import type { PodActions, StartAction } from './plan.js';
import type { PodRuntime } from './runtime.js';
import type { ContainerConfig } from './security.js';
import { readServices, type ServiceSpec } from './services.js';
import { serviceLinks as linksOf } from './service-links.js';
import { isIsolated, namespaceOf, podKey, type Container, type InitContainer, type Pod } from './spec.js';
import { makeMessageFiles, messageFile, messagesVolumeSpec, MESSAGES_MOUNTPOINT, needsMessageFile, podNeedsMessageFiles } from './termination.js';
import { claimVolumes, isFileVolume, makeVolumes, mountsFilledFile, subPathVolumes } from './volumes.js';
import { fillVolumes } from './volume-files.js';
import { checkHostPaths, createHostFiles } from './host-paths.js';
import { needsResolving, resolveContainer, type PodSources } from './env.js';
import { needsAddress, podFacts, readPodSources, referencedObjects } from './env-sources.js';

/**
 * Carries a plan (plan.ts) out, in the kubelet's fixed order: take restarts over from the engine,
 * kill, remake the sandbox, start containers, remove old attempts. It decides nothing; on the
 * first failure it stops, and the caller either rolls back (a one-shot create) or lets the next
 * sync look again (the agent).
 */
export interface ExecuteOptions {
  podId: string;
  /** Host paths of the pod's volumes (filled in by the executor itself). */
  mountpoints?: Map<string, string>;
  /** The pod's own network, known to exist already (a remade sandbox). */
  network?: string;
  /**
   * The pod network mode of a pod being made (createPod decides it); a pod already on the engine
   * keeps the one its containers record (ObservedPod.podNetwork).
   */
  podNetwork?: PodNetworkMode;
  /** `host:pid` of this process; see LABEL.creator. */
  creator: string;
  /** An agent supervises: new containers get no engine restart policy. */
  supervised?: boolean;
  infraImage?: string;
  /** Seconds a killed container gets (preStop included) when the pod sets no terminationGracePeriodSeconds. */
  grace?: number;
  /** A preStop hook that failed or ran out of time (the kubelet's FailedPreStopHook event). */
  onHookFailure?: (failure: HookFailure) => void;
  onProgress?: (image: string, message: ProgressMessage) => void;
  signal?: AbortSignal;
  /** The ConfigMaps' and Secrets' values the pod names, when already read (a create reads them first). */
  sources?: PodSources;
  /**
   * The services, as read for this sync: the pod's cluster aliases and its containers' service
   * link variables come from one read. Read by the executor itself unless given (a one-shot create
   * hands the first run's read to the runs that start its apps after the init containers).
   */
  services?: ServiceSpec[];
  /** The pod's imagePullSecrets, when already read (a create reads them first); a sync reads them when it pulls. */
  pullCredentials?: PullCredential[];
  /** What each starting container's spec needed looked up (filled in by the executor itself). */
  configs?: Map<string, ContainerConfig>;
}

/** Everything made so far, so a one-shot create can take it back (the agent never does). */
export interface Made { network?: string; infra?: string; apps: string[]; volumes?: string[] }

export interface Executed {
  infraId?: string;
  /** The services this run read (or was given). */
  services?: ServiceSpec[];
  /** Container name → id of every container this run started. */
  started: Record<string, string>;
}

export async function executeActions(runtime: PodRuntime, pod: Pod, observed: ObservedPod, actions: PodActions, options: ExecuteOptions, made: Made = { apps: [] }): Promise<Executed> {
  const { engine } = runtime;
  const call = { signal: options.signal };
  // Podman cannot update a container (the agent says so when it starts: agent.ts): no 404s to swallow.
  const updates = actions.takeOver.length > 0 && await engine.flavour() !== 'podman';
  if (updates) await Promise.all(actions.takeOver.map((id) => engine.containers.update(id, { RestartPolicy: { Name: 'no' } }, call).catch(ignoreMissing)));
  const old = actions.sandbox ? observed.sandbox : undefined;
  const podIP = lazyAddress(engine, pod, options.podId, observed.sandbox?.id, options.signal);
  const kill = (k: PodActions['kill'][number]) => {
    const container = containerNamed(pod, k.name);
    const grace = graceFor({ pod, fallback: options.grace, probe: k.probe, container });
    // One no longer in the spec has no hook to run: only its stop.
    if (!container) return engine.containers.stop(k.id, { grace, ...call });
    return stopContainer(engine, { id: k.id, container, podIP }, { grace, signal: options.signal, onHookFailure: options.onHookFailure });
  };
  await Promise.all([
    ...actions.kill.map((k) => kill(k).catch(ignoreMissing)),
    // The infra's name is the pod's lock, so the old one goes before the new one is made (alongside
    // the kills: the apps hold their namespace themselves until they stop).
    old && engine.containers.remove(old.id, { force: true, ...call }).catch(ignoreMissing),
  ]);
  let started: Record<string, string>;
  let infraId = observed.sandbox?.id;
  const [mountpoints, services] = await Promise.all([
    step(pod.metadata.name, 'VolumeCreateError', () => ensureVolumes(engine, pod, actions, options, made)),
    step(pod.metadata.name, 'CreateContainerConfigError', () => servicesFor(engine, pod, actions, options)),
  ]);
  const podNetwork = options.podNetwork ?? observed.podNetwork ?? 'own';
  options = { ...options, podNetwork, mountpoints, services, sources: await sourcesFor(engine, pod, actions, options) };
  if (actions.sandbox) {
    // A remade sandbox finds the pod's own network still there when the old infra was on it.
    const network = old && podNetworkName(options.podId) in old.networks ? podNetworkName(options.podId) : undefined;
    ({ infraId, started } = await startInNewSandbox(runtime, pod, actions, { ...options, network }, made));
  } else {
    if (actions.start.length && !infraId) throw new Error(`pod ${pod.metadata.name}: no sandbox to start containers in`);
    started = await startContainers(runtime, pod, actions.start, infraId!, observed.sandbox?.attempt ?? 0, options, made);
  }
  await Promise.all(actions.remove.map((id) => engine.containers.remove(id, { force: true, ...call }).catch(ignoreMissing)));
  return { infraId, started, services };
}

/**
 * A new sandbox, with its containers. Independent work overlaps: images are pulled while the
 * networks are made; a pod on the cluster network has its infra created and started there while
 * its own network, in `own` mode, is made (a network create takes about a third of an infra's
 * start), and that network is connected before any app starts; app containers are created while
 * the infra starts.
 * Every step begun is waited for before a failure is reported, so nothing is still being made
 * while a rollback looks (a network made after it looked would leak).
 */
async function startInNewSandbox(runtime: PodRuntime, pod: Pod, actions: PodActions, options: ExecuteOptions, made: Made): Promise<{ infraId: string; started: Record<string, string> }> {
  const { engine } = runtime;
  const name = pod.metadata.name;
  const sandbox = actions.sandbox!;
  const call = { signal: options.signal };
  const begun: Promise<unknown>[] = [];
  const begin = <T>(reason: PodFailureReason, fn: () => Promise<T>): Promise<T> => {
    const promise = step(name, reason, fn);
    promise.catch(() => {}); // awaited below, or by the caller's rollback
    begun.push(promise);
    return promise;
  };
  try {
    const infraImage = begin('InfraImageError', () => runtime.ensureInfraImage(options.infraImage));
    const images = begin('ImagePullError', async () => ensureImages(engine, pod, names(actions.start), await withPullCredentials(engine, pod, options)));
    const configs = begin('CreateContainerConfigError', async () => { await images; return containerConfigs(engine, pod, names(actions.start), options.signal); });
    const joins = sandboxNetworks(pod, options.podNetwork ?? 'own');
    const network = begin('NetworkCreateError', async () => {
      if (joins.own) made.network = options.network ?? await ensureNetwork(engine, pod, options);
    });
    const cluster = await begin('NetworkCreateError', () => joinCluster(runtime, pod, joins, options.services ?? []));
    // Without the cluster network the infra is created on the pod's own network, so that comes first.
    if (!cluster) await network;
    // Not before the images are there: a pod whose image cannot be had makes no container at all.
    const infra = await begin('ContainerCreateError', async () => {
      const [image] = await Promise.all([infraImage, images, configs]);
      const spec = infraSpec(pod, options.podId, image, options.creator, { cluster, mode: modeLabel(pod, options.podNetwork ?? 'own') }, { attempt: sandbox.attempt, supervised: options.supervised });
      return engine.containers.create(spec, { name: infraName(podKey(pod)), ...call });
    });
    made.infra = infra.Id;
    const infraReady = begin('ContainerStartError', async () => {
      await engine.containers.start(infra.Id, call);
      // The file volumes' tmpfs lives while the infra holds it: filled now, before any app starts.
      if ((pod.spec.volumes ?? []).some(isFileVolume)) await step(name, 'CreateContainerConfigError', () => fillPodVolumes(runtime, pod, infra.Id, options));
      if (!cluster) return;
      // Awaited before `made.network` is read: a network create slower than the infra's start
      // would otherwise leave the pod off its own network (a race the recorded fixtures caught).
      await network;
      if (!made.network) return;
      await engine.networks.connect(made.network, infra.Id, { Aliases: podNetworkAliases(pod) }, call);
    });
    const files = begin('ContainerCreateError', () => makeMessageFiles(engine, infra.Id, messageFilesFor(pod, actions.start), options.signal));
    const withConfigs = { ...options, configs: await configs };
    // A container that reads the pod's address (status.podIP) is made once the infra runs and has
    // one; one that binds a file of a file volume, once the infra has filled it (mountsFilledFile).
    const created = await settled(actions.start.map((s) => begin('ContainerCreateError', async () => {
      const container = containerNamed(pod, s.name)!;
      if (needsAddress(container) || mountsFilledFile(container, pod)) await infraReady;
      return createApp(engine, pod, s, infra.Id, sandbox.attempt, withConfigs, made);
    })));
    await Promise.all([infraReady, files]);
    await begin('ContainerStartError', () => startAll(engine, pod, created, infra.Id, options));
    return { infraId: infra.Id, started: Object.fromEntries(created) };
  } finally {
    await Promise.allSettled(begun);
  }
}

/** Containers into a sandbox that is already running: each created (unless it was) and started. */
async function startContainers(runtime: PodRuntime, pod: Pod, start: StartAction[], infraId: string, sandboxAttempt: number, options: ExecuteOptions, made: Made): Promise<Record<string, string>> {
  if (!start.length) return {};
  const { engine } = runtime;
  const name = pod.metadata.name;
  const fresh = names(start.filter((s) => !s.existing));
  await step(name, 'ImagePullError', async () => ensureImages(engine, pod, fresh, await withPullCredentials(engine, pod, options)));
  const configs = await step(name, 'CreateContainerConfigError', () => containerConfigs(engine, pod, fresh, options.signal));
  const created = await settled(start.map((s) => step(name, 'ContainerCreateError', async () => (
    s.existing ? [s.name, s.existing] as const : createApp(engine, pod, s, infraId, sandboxAttempt, { ...options, configs }, made)
  ))));
  await step(name, 'ContainerCreateError', () => makeMessageFiles(engine, infraId, messageFilesFor(pod, start), options.signal));
  await step(name, 'ContainerStartError', () => startAll(engine, pod, created, infraId, options));
  return Object.fromEntries(created);
}

/**
 * Starts created containers. Without postStart hooks all at once; with any, one after another in
 * spec order, each after the one before has started and its hook has ended, as the kubelet starts
 * them (a proxy's postStart that waits until it is ready holds the app back: a pattern people rely
 * on). A hook that fails kills its container (preStop, then the stop) and fails the run, with
 * FailedPostStartHook: a one-shot create rolls back, an agent's next sync restarts it under the
 * restart policy and back-off.
 */
async function startAll(engine: Engine, pod: Pod, created: (readonly [string, string])[], infraId: string, options: ExecuteOptions): Promise<void> {
  const name = pod.metadata.name;
  const call = { signal: options.signal };
  if (!anyPostStart(created.map(([c]) => containerNamed(pod, c)))) {
    await settled(created.map(([, id]) => step(name, 'ContainerStartError', () => engine.containers.start(id, call))));
    return;
  }
  const podIP = lazyAddress(engine, pod, options.podId, infraId, options.signal);
  for (const [c, id] of created) {
    const container = containerNamed(pod, c)!;
    const hooked = container.lifecycle?.postStart !== undefined;
    // Said before the start, so no reader ever sees the container running before its hook ended.
    if (hooked) await step(name, 'ContainerStartError', () => writeHooksInProgress(engine, infraId, { [id]: options.creator }, options.signal));
    await step(name, 'ContainerStartError', () => engine.containers.start(id, call));
    const outcome = await runPostStart(engine, { id, container, podIP }, options.signal);
    if (!outcome.ok) {
      const grace = graceFor({ pod, fallback: options.grace, container });
      await stopContainer(engine, { id, container, podIP }, { grace, signal: options.signal, onHookFailure: options.onHookFailure }).catch(ignoreMissing);
    }
    if (hooked) await step(name, 'ContainerStartError', () => writeHooksInProgress(engine, infraId, {}, options.signal));
    if (!outcome.ok) throw new PodFailedError(name, 'FailedPostStartHook', `container ${c}: postStart hook failed: ${outcome.reason}`);
  }
}

const containerNamed = (pod: Pod, name: string): Container | InitContainer | undefined =>
  (pod.spec.initContainers ?? []).find((c) => c.name === name) ?? pod.spec.containers.find((c) => c.name === name);

async function createApp(engine: Engine, pod: Pod, s: StartAction, infraId: string, sandboxAttempt: number, options: ExecuteOptions, made: Made): Promise<readonly [string, string]> {
  const init = (pod.spec.initContainers ?? []).find((c) => c.name === s.name);
  const container = init ?? pod.spec.containers.find((c) => c.name === s.name)!;
  const serviceLinks = wantsLinks(pod) ? linksOf(options.services ?? [], namespaceOf(pod)) : undefined;
  const resolved = needsResolving(container)
    ? resolveContainer(pod, container, await podFacts(engine, pod, options.podId, infraId, [container], options), options.sources ?? { configMaps: new Map(), secrets: new Map() }, serviceLinks)
    : undefined;
  const spec = appSpec(pod, options.podId, container, infraId, options.creator, {
    attempt: s.attempt, sandboxAttempt, backoff: s.backoff, supervised: options.supervised, init: init !== undefined, mountpoints: options.mountpoints, resolved,
    config: options.configs?.get(s.name), serviceLinks, network: modeLabel(pod, options.podNetwork ?? 'own'),
    flavour: await engine.flavour(),
  });
  // A Secret's value in the environment: the create is marked so a fixture recorder never keeps it.
  const { Id } = await engine.containers.create(spec, { name: appName(podKey(pod), s.name, s.attempt), signal: options.signal, sensitive: resolved?.secret });
  made.apps.push(Id);
  return [s.name, Id] as const;
}

const names = (start: StartAction[]) => new Set(start.map((s) => s.name));

/** The options with the pod's pull credentials, read now unless the caller read them (none for a pod without imagePullSecrets). */
async function withPullCredentials(engine: Engine, pod: Pod, options: ExecuteOptions): Promise<ExecuteOptions> {
  return options.pullCredentials || !pod.spec.imagePullSecrets?.length ? options : { ...options, pullCredentials: await readPullCredentials(engine, pod, options) };
}

/** The values of the objects the pod names, read once per sync (unless the caller read them) when containers start. */
async function sourcesFor(engine: Engine, pod: Pod, actions: PodActions, options: ExecuteOptions): Promise<PodSources | undefined> {
  if (options.sources || !actions.start.length) return options.sources;
  const { configMaps, secrets } = referencedObjects(pod);
  if (!configMaps.size && !secrets.size) return undefined;
  return step(pod.metadata.name, 'CreateContainerConfigError', () => readPodSources(engine, pod, options));
}

/**
 * The volumes the plan asks for, and the host paths of those mounted with a subPath by the
 * containers starting now (a create of an existing volume returns it: no harm in asking again).
 */
async function ensureVolumes(engine: Engine, pod: Pod, actions: PodActions, options: ExecuteOptions, made: Made): Promise<Map<string, string>> {
  const starting = names(actions.start);
  const containers = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].filter((c) => starting.has(c.name));
  if (containers.length) createHostFiles(checkHostPaths(pod, engine.address.startsWith('/')));
  const wanted = [...new Set([...actions.volumes, ...subPathVolumes(containers, pod), ...(containers.length ? claimVolumes(pod) : [])])];
  // The volume of termination message files: for a new sandbox (whose infra mounts it) or a container starting.
  const messages = podNeedsMessageFiles(pod) && (actions.sandbox !== undefined || containers.some(needsMessageFile));
  if (!wanted.length && !messages) return new Map();
  const [mountpoints, messagesVolume] = await Promise.all([
    wanted.length ? makeVolumes(engine, pod, options.podId, wanted, options.creator, options.signal) : new Map<string, string>(),
    messages ? engine.volumes.create(messagesVolumeSpec(pod, options.podId, options.creator), { signal: options.signal }) : undefined,
  ]);
  made.volumes = [...(made.volumes ?? []), ...actions.volumes.map((v) => volumeName(options.podId, v)), ...messagesVolume ? [messagesVolume.Name] : []];
  if (messagesVolume) mountpoints.set(MESSAGES_MOUNTPOINT, messagesVolume.Mountpoint);
  return mountpoints;
}

/** The empty termination message files of the attempts about to start (termination.ts), made through the infra. */
function messageFilesFor(pod: Pod, start: StartAction[]): string[] {
  return start.flatMap((s) => {
    const container = containerNamed(pod, s.name);
    return container && needsMessageFile(container) ? [messageFile(s.name, s.attempt)] : [];
  });
}

async function fillPodVolumes(runtime: PodRuntime, pod: Pod, infraId: string, options: ExecuteOptions): Promise<void> {
  const sources = options.sources ?? { configMaps: new Map(), secrets: new Map() };
  const facts = await podFacts(runtime.engine, pod, options.podId, infraId, 'volumes', options);
  await fillVolumes(runtime.engine, pod, infraId, facts, sources, options.signal);
}

/** The cluster network and the pod's names on it: its own, and those of the services selecting it. */
async function joinCluster(runtime: PodRuntime, pod: Pod, joins: SandboxNetworks, services: ServiceSpec[]): Promise<{ name: string; aliases: string[] } | undefined> {
  if (!joins.cluster) return undefined;
  return { name: await runtime.ensureClusterNetwork(), aliases: aliasesFor(pod, services) };
}

const joinsCluster = (pod: Pod) => !pod.spec.hostNetwork && !isIsolated(pod);
const wantsLinks = (pod: Pod) => pod.spec.enableServiceLinks !== false;

/**
 * The services, read once for this run when it needs them: a new sandbox on the cluster network
 * (its aliases), or containers starting in a pod with service links (their variables). Not per
 * container: every container this run starts sees the same list.
 */
async function servicesFor(engine: Engine, pod: Pod, actions: PodActions, options: ExecuteOptions): Promise<ServiceSpec[] | undefined> {
  if (options.services) return options.services;
  const needed = (actions.sandbox !== undefined && joinsCluster(pod)) || (actions.start.length > 0 && wantsLinks(pod));
  return needed ? readServices(engine, { signal: options.signal }) : undefined;
}

/** The pod's own network; a remade sandbox finds it still there (the conflict says so). */
async function ensureNetwork(engine: Engine, pod: Pod, options: ExecuteOptions): Promise<string | undefined> {
  const network = podNetworkName(options.podId);
  try {
    await createNetwork(engine, {
      Name: network,
      Driver: 'bridge',
      Labels: {
        [LABEL.managed]: 'true', [LABEL.podId]: options.podId, [LABEL.podName]: pod.metadata.name, ...namespaceLabel(namespaceOf(pod)),
        [LABEL.type]: 'pod-network', [LABEL.creator]: options.creator,
      },
    }, { signal: options.signal });
  } catch (err) {
    if (!isConflict(err)) throw err;
  }
  return network;
}

async function step<T>(pod: string, reason: PodFailureReason, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof PodFailedError ? err : new PodFailedError(pod, reason, detailOf(err), { cause: err });
  }
}

/**
 * Promise.all that waits for every promise before reporting the first failure, so nothing is
 * still being created while the rollback runs.
 */
async function settled<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failure = results.find((r) => r.status === 'rejected');
  if (failure) throw (failure as PromiseRejectedResult).reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

export function ignoreMissing(err: unknown): void {
  if (!isNotFound(err)) throw err;
}
