import type { ContainerSummary } from '../engine/containers.js';
import type { Engine } from '../engine/index.js';
import { ignoreMissing } from './execute.js';
import { LABEL, deletingName, podNetworkName, qualifiedName } from './labels.js';
import { readPods, type PodRecord } from './read.js';

export interface DeleteOptions {
  /** Seconds between SIGTERM and SIGKILL, as Kubernetes' terminationGracePeriodSeconds (30). */
  gracePeriod?: number;
  /** No grace at all: kill and remove. */
  force?: boolean;
  signal?: AbortSignal;
}

/**
 * Stops every container at once (the pod's grace period runs in parallel, not once per
 * container) and removes each app container as soon as it has stopped, apps before the infra
 * (Podman's compatible API refuses the other order). The pod network goes as soon as the infra has
 * stopped, alongside the infra's removal: Docker refuses to remove a network only while a running
 * container is attached. Where the engine still refuses (Podman while the stopped infra exists),
 * it is removed again once the infra is gone. Anything already gone is skipped, so a second delete,
 * or a delete after a crash midway, finishes the job.
 */
export async function deletePod(engine: Engine, pod: PodRecord, options: DeleteOptions = {}): Promise<void> {
  // Marked first, so an agent watching the pod's containers die does not bring it back.
  const call = { signal: options.signal };
  if (pod.infra && !pod.deleting) await engine.containers.rename(pod.infra.Id, deletingName(qualifiedName(pod.name, pod.namespace)), call).catch(ignoreMissing);
  await removeAll(engine, pod, options);
  // An agent's sync already under way when the mark went on may have made a container since the
  // pod was read: one more look by the pod's id takes it too.
  const [late] = await readPods(engine, { labels: [`podling.io/pod-id=${pod.id}`], ...call });
  if (late) await removeAll(engine, late, { force: true, ...call });
  // emptyDir volumes go with the pod, once no container of it holds them. Only a pod whose spec
  // names volumes has any: the others pay no extra call.
  if (pod.spec?.spec.volumes?.length) {
    const volumes = await engine.volumes.list({ filters: { label: [`podling.io/pod-id=${pod.id}`] }, ...call });
    await Promise.all(volumes.map((v) => engine.volumes.remove(v.Name, { force: true, ...call }).catch(ignoreMissing)));
  }
}

async function removeAll(engine: Engine, pod: PodRecord, options: DeleteOptions): Promise<void> {
  const grace = options.force ? 0 : options.gracePeriod ?? 30;
  const call = { signal: options.signal };
  /** Stops a running container within the grace; false when it is left running (no grace: force-removed). */
  const stop = async (c: ContainerSummary): Promise<boolean> => {
    if (c.State !== 'running' && c.State !== 'restarting') return true;
    if (grace === 0) return false;
    await engine.containers.stop(c.Id, { grace, ...call }).catch(ignoreMissing);
    return true;
  };
  const remove = (id: string) => engine.containers.remove(id, { force: true, volumes: true, ...call }).catch(ignoreMissing);
  const removeNetwork = () => engine.networks.remove(podNetworkName(pod.id), call).catch(ignoreMissing);
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
  await allSettled([
    apps,
    (async () => {
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
