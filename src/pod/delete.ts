import type { ContainerSummary } from '../engine/containers.js';
import type { Engine } from '../engine/index.js';
import { isEngineError } from '../engine/errors.js';
import { forceRemoveContainer } from './container-remove.js';
import { ignoreMissing } from './execute.js';
import { graceFor } from './grace.js';
import { hookAddress, stopContainer, type HookFailure } from './hooks.js';
import { LABEL, deletingName, podNetworkName, qualifiedName } from './labels.js';
import { recordedMode } from './pod-network.js';
import { podNeedsMessageFiles } from './termination.js';
import { readPods, type PodRecord } from './read.js';

export interface DeleteOptions {
  /**
   * Seconds for preStop hooks and the stop before SIGKILL: overrides the pod's
   * terminationGracePeriodSeconds (itself 30 by default), as kubectl's --grace-period does.
   */
  gracePeriod?: number;
  /** A preStop hook that failed or ran out of time; the delete goes on. */
  onHookFailure?: (failure: HookFailure) => void;
  /** No grace at all: kill and remove. */
  force?: boolean;
  signal?: AbortSignal;
}

/**
 * Stops every container at once (the pod's grace period runs in parallel, not once per
 * container) and removes each app container as soon as it has stopped, apps before the infra
 * (Podman's compatible API refuses the other order). The pod's own network (`own` mode) goes as soon as the infra has
 * stopped, alongside the infra's removal: Docker refuses to remove a network only while a running
 * container is attached. Where the engine still refuses (Podman while the stopped infra exists),
 * it is removed again once the infra is gone. Anything already gone is skipped, so a second delete,
 * or a delete after a crash midway, finishes the job.
 */
export async function deletePod(engine: Engine, pod: PodRecord, options: DeleteOptions = {}): Promise<void> {
  // Marked first, so an agent watching the pod's containers die does not bring it back.
  const call = { signal: options.signal };
  if (pod.infra && !pod.deleting) await markDeleting(engine, pod, call);
  await removeAll(engine, pod, options);
  // An agent's sync already under way when the mark went on may have made a container since the
  // pod was read: one more look by the pod's id takes it too.
  const [late] = await readPods(engine, { labels: [`podling.io/pod-id=${pod.id}`], ...call });
  if (late) await removeAll(engine, late, { force: true, ...call });
  // emptyDir volumes (and the termination message files) go with the pod, once no container of it
  // holds them. Only a pod whose spec has any pays the extra call.
  if (pod.spec?.spec.volumes?.length || (pod.spec && podNeedsMessageFiles(pod.spec))) {
    const volumes = await engine.volumes.list({ filters: { label: [`podling.io/pod-id=${pod.id}`] }, ...call });
    await Promise.all(volumes.map((v) => engine.volumes.remove(v.Name, { force: true, ...call }).catch(ignoreMissing)));
  }
}

/**
 * Renames the infra to its `__deleting` name. dockerd 20.10 cannot rename a container attached to
 * a swarm overlay ("Could not add service state for endpoint … already exists": the overlay's
 * service record is keyed by the old name), so there the infra first leaves every network but its
 * pod's own (its names should stop answering first anyway; its own network keeps its address for
 * preStop hooks), and is renamed then. A `cluster`-mode pod has no network of its own, so on an
 * overlay its preStop hooks run with no network (exec hooks are unaffected; httpGet ones fail).
 */
async function markDeleting(engine: Engine, pod: PodRecord, call: { signal?: AbortSignal | undefined }): Promise<void> {
  const infra = pod.infra!;
  const rename = () => engine.containers.rename(infra.Id, deletingName(qualifiedName(pod.name, pod.namespace)), call);
  try {
    await rename();
  } catch (err) {
    if (!isEngineError(err) || !/service state for endpoint/i.test(err.message)) return ignoreMissing(err);
    const others = Object.keys(infra.NetworkSettings?.Networks ?? {}).filter((n) => n !== podNetworkName(pod.id));
    await Promise.all(others.map((n) => engine.networks.disconnect(n, infra.Id, { force: true, ...call }).catch(ignoreMissing)));
    await rename().catch(ignoreMissing);
  }
}

async function removeAll(engine: Engine, pod: PodRecord, options: DeleteOptions): Promise<void> {
  const spec = pod.spec;
  const grace = options.force ? 0 : spec ? graceFor({ pod: spec, override: options.gracePeriod }) : options.gracePeriod ?? 30;
  const call = { signal: options.signal };
  // One grace period for the whole pod, from now: sidecars stopped after the apps get what is left.
  const since = Date.now();
  const podIP = async () => spec && hookAddress(spec, pod.id, pod.infra?.NetworkSettings?.Networks);
  /** Stops a running container within the grace (its preStop first); false when it is left running (no grace: force-removed). */
  const stop = async (c: ContainerSummary): Promise<boolean> => {
    if (c.State !== 'running' && c.State !== 'restarting') return true;
    if (grace === 0) return false;
    const container = [...spec?.spec.initContainers ?? [], ...spec?.spec.containers ?? []].find((s) => s.name === c.Labels?.[LABEL.container]);
    const done = container
      ? stopContainer(engine, { id: c.Id, container, podIP }, { grace, since, signal: options.signal, onHookFailure: options.onHookFailure })
      : engine.containers.stop(c.Id, { grace, ...call });
    await done.catch(ignoreMissing);
    return true;
  };
  const remove = (id: string) => forceRemoveContainer(engine, id, call).catch(ignoreMissing);
  // A pod made in `cluster` mode has no network of its own: no call for one.
  const own = recordedMode([pod.infra?.Labels, ...pod.apps.map((c) => c.Labels)]) === 'own';
  const removeNetwork = async () => { if (own) await engine.networks.remove(podNetworkName(pod.id), call).catch(ignoreMissing); };
  // Sidecars (init containers that run on) stop after the apps, as Kubernetes stops them: an app's
  // last requests may still go through its proxy or log shipper.
  const isSidecar = (c: ContainerSummary) => c.Labels?.[LABEL.role] === 'init';
  const main = allSettled(pod.apps.filter((c) => !isSidecar(c)).map(async (c) => { await stop(c); await remove(c.Id); }));
  const apps = allSettled([main, ...pod.apps.filter(isSidecar).map(async (c) => {
    await main.catch(() => {});
    await stop(c);
    await remove(c.Id);
  })]);
  const infra = pod.infra;
  if (!infra) {
    await apps;
    await removeNetwork();
    return;
  }
  // With preStop hooks the sandbox outlives the apps, as the kubelet stops it last: a hook (or the
  // shutdown it starts) still has the pod's network. Without, it goes at once, with its network.
  const hooked = [...spec?.spec.initContainers ?? [], ...spec?.spec.containers ?? []].some((c) => c.lifecycle?.preStop);
  await allSettled([
    apps,
    (async () => {
      if (hooked && grace > 0) await apps.catch(() => {});
      const stopped = await stop(infra);
      const early = stopped ? removeNetwork().then(() => true, () => false) : Promise.resolve(false);
      await apps;
      await remove(infra.Id);
      if (!await early) await removeNetwork();
    })(),
  ]);
}

/** Promise.all that lets every operation finish before reporting the first failure. */
async function allSettled(promises: Promise<unknown>[]): Promise<void> {
  const failure = (await Promise.allSettled(promises)).find((r) => r.status === 'rejected');
  if (failure) throw (failure as PromiseRejectedResult).reason;
}
