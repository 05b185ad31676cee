import { randomBytes } from 'node:crypto';
import type { Engine } from '../engine/index.js';
import { isConflict } from '../engine/errors.js';
import type { ProgressMessage } from '../engine/streams/progress.js';
import { isPodlingError } from '../errors.js';
import { PodError, PodFailedError, detailOf, throwIfAborted } from './errors.js';
import { executeActions, ignoreMissing, type ExecuteOptions, type Made } from './execute.js';
import { LABEL, infraName } from './labels.js';
import { observePod } from './observe.js';
import { networkModeOf } from './pod-network.js';
import { readPods } from './read.js';
import { planPod } from './plan.js';
import type { PodRuntime } from './runtime.js';
import { isSidecar, podKey, type Pod } from './spec.js';
import { checkReferences, readPodSources } from './env-sources.js';
import { checkHostPaths } from './host-paths.js';
import { checkPlacement } from './placement.js';
import { readPullCredentials } from './pull-credentials.js';
import { forceRemoveContainer } from './container-remove.js';

export interface CreateOptions {
  /** The pod id; random by default. Recorded tests pass a fixed one so fixtures replay. */
  id?: string;
  /** The runtime's creator by default (`host:pid` of this process); see LABEL.creator. */
  creator?: string;
  /** Called with every pull progress message, per image. */
  onProgress?: (image: string, message: ProgressMessage) => void;
  infraImage?: string;
  /** Made by an agent, which supervises it: no engine restart policy on its containers. */
  supervised?: boolean;
  /**
   * The node a cluster's placement chose (src/nodes/): the pod's nodeName and nodeSelector were
   * matched against the swarm's nodes there, so this engine's own name and labels are not asked.
   */
  placed?: string;
  signal?: AbortSignal;
}

export interface CreatedPod {
  id: string;
  infraId: string;
  appIds: Record<string, string>;
  /** The init containers' ids, by name (their newest attempts). */
  initIds?: Record<string, string>;
  network?: string;
}

export const newPodId = () => randomBytes(5).toString('hex');

/**
 * Runs a pod once: the plan against an empty observation (a sandbox, every container at attempt
 * 0), carried out by the executor, and on any failure everything already made is removed and the
 * pod reported Failed. The agent uses the same plan and executor but never rolls back.
 *
 * A process killed between the infra's create and the network's answer can leave that network
 * to appear after it died: `prune` removes it then or on its next run.
 */
export async function createPod(runtime: PodRuntime, pod: Pod, options: CreateOptions = {}): Promise<CreatedPod> {
  const id = options.id ?? newPodId();
  const creator = options.creator ?? runtime.creator;
  const name = pod.metadata.name;
  throwIfAborted(options.signal, `pod ${name}`);
  // Every ConfigMap, Secret and key the pod names is read and checked before anything is made:
  // a missing one is one CreateContainerConfigError, with no engine write.
  checkHostPaths(pod, runtime.engine.address.startsWith('/'));
  if (options.placed === undefined) await checkPlacement(runtime, pod, options);
  const [sources, pullCredentials] = await Promise.all([readPodSources(runtime.engine, pod, options), readPullCredentials(runtime.engine, pod, options)]);
  checkReferences(pod, id, sources);
  const observed = { id, name, attempts: [], volumes: [] };
  const actions = planPod({ pod, observed, now: Date.now() });
  const made: Made = { apps: [] };
  const execute = { ...options, podId: id, creator, sources, pullCredentials, podNetwork: networkModeOf(pod, runtime.podNetwork) };
  try {
    const first = await executeActions(runtime, pod, observed, actions, execute, made);
    // The apps started after the init containers get the services this first run read (one read per create).
    const started = actions.initializing ? { ...first.started, ...await initialize(runtime, pod, id, { ...execute, services: first.services }, made) } : first.started;
    const inits = new Set((pod.spec.initContainers ?? []).map((c) => c.name));
    const pick = (init: boolean) => Object.fromEntries(Object.entries(started).filter(([n]) => inits.has(n) === init));
    return { id, infraId: first.infraId!, appIds: pick(false), initIds: pick(true), network: made.network };
  } catch (err) {
    runtime.forget();
    await rollback(runtime.engine, made);
    // Asked to stop: what was made is gone, and the caller hears its own abort, not a pod failure.
    if (options.signal?.aborted) throw isPodlingError(err, 'aborted') ? err : new PodError('aborted', `pod ${name}: create aborted`, { cause: err });
    const failed = err instanceof PodFailedError ? err : new PodFailedError(name, 'ContainerCreateError', detailOf(err), { cause: err });
    // The infra's name is the pod's lock: a conflict on it means a pod of that name exists. dockerd
    // quotes the name as "/NAME", Podman as "NAME".
    const infra = infraName(podKey(pod));
    if (failed.cause && isConflict(failed.cause) && (failed.detail.includes(`"/${infra}"`) || failed.detail.includes(`"${infra}"`))) {
      throw new PodFailedError(name, 'AlreadyExists', `a pod named "${name}" already exists`, { cause: failed.cause });
    }
    throw failed;
  }
}

/**
 * The init containers, one at a time: each is waited for, then the plan says what is next (the
 * next init container, a sidecar, or the apps), exactly as the agent would go on. Without an agent
 * nothing retries, so a failed init container fails the create; with one, it backs off instead.
 * Returns the ids of every container it started (init containers and apps), by name.
 */
async function initialize(runtime: PodRuntime, pod: Pod, id: string, execute: ExecuteOptions, made: Made): Promise<Record<string, string>> {
  const { engine } = runtime;
  const all: Record<string, string> = {};
  for (;;) {
    const [record] = await readPods(engine, { labels: [`${LABEL.podId}=${id}`], signal: execute.signal });
    if (!record) throw new PodFailedError(pod.metadata.name, 'InitContainerError', 'the pod vanished while its init containers ran');
    const observed = await observePod(engine, record, execute);
    const running = observed.attempts.find((a) => a.state === 'running' && isInit(pod, a.name) && !isSidecarNamed(pod, a.name));
    if (running) {
      await (await engine.containers.wait(running.id, { condition: 'not-running', signal: execute.signal })).exited;
      continue;
    }
    const failed = observed.attempts.find((a) => isInit(pod, a.name) && a.state === 'exited' && a.exitCode !== 0);
    if (failed) {
      const tail = await (await engine.containers.logs(failed.id, { tail: 3, tty: pod.spec.initContainers?.find((c) => c.name === failed.name)?.tty === true, signal: execute.signal })).text().catch(() => ({ stdout: '', stderr: '' }));
      const said = `${tail.stderr}${tail.stdout}`.trim().split('\n').at(-1) ?? '';
      throw new PodFailedError(pod.metadata.name, 'InitContainerError', `init container ${failed.name} exited ${failed.exitCode}${said ? `: ${said.slice(0, 200)}` : ''}`);
    }
    const actions = planPod({ pod, observed, now: Date.now() });
    const { started } = await executeActions(runtime, pod, observed, actions, execute, made);
    Object.assign(all, started);
    if (!actions.initializing) return all;
  }
}

const isInit = (pod: Pod, name: string) => (pod.spec.initContainers ?? []).some((c) => c.name === name);
const isSidecarNamed = (pod: Pod, name: string) => (pod.spec.initContainers ?? []).some((c) => c.name === name && isSidecar(c));

/** Removes what a failed create made: apps before the infra (Podman insists), then the network and volumes. */
async function rollback(engine: Engine, made: Made): Promise<void> {
  const remove = (id: string) => forceRemoveContainer(engine, id).catch(ignoreMissing);
  await Promise.all(made.apps.map(remove));
  if (made.infra) await remove(made.infra);
  await Promise.all([
    made.network && engine.networks.remove(made.network).catch(ignoreMissing),
    ...(made.volumes ?? []).map((v) => engine.volumes.remove(v, { force: true }).catch(ignoreMissing)),
  ]);
}
