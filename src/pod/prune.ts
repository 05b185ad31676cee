import type { Engine } from '../engine/index.js';
import { ignoreMissing } from './execute.js';
import { deletePod } from './delete.js';
import { creatorAlive } from './creator.js';
import { LABEL, managedFilter } from './labels.js';
import { HOLDER_LABEL } from './lease.js';
import { readPods, type PodRecord } from './read.js';

export interface PruneReport { pods: string[]; containers: string[]; networks: string[]; volumes: string[] }

/**
 * Removes what no live pod owns: pod networks without an infra container, app containers whose
 * infra is gone, and pods left half-made by a create that was killed (its creator process is dead
 * and the pod never got all its containers running). With `all`, every managed object goes.
 * Objects without the `podling.io/managed` label are never touched.
 */
export async function prune(engine: Engine, options: { all?: boolean; signal?: AbortSignal } = {}): Promise<PruneReport> {
  const report: PruneReport = { pods: [], containers: [], networks: [], volumes: [] };
  const call = { signal: options.signal };
  const pods = await readPods(engine, call);
  const doomed = pods.filter((p) => options.all || !p.infra || halfMade(p) || p.deleting);
  await Promise.all(doomed.map(async (p) => {
    await deletePod(engine, p, { force: true, ...call });
    report.pods.push(p.name);
  }));
  const kept = new Set(pods.filter((p) => !doomed.includes(p)).map((p) => p.id));
  // What is left: managed objects that belong to no kept pod (a network made before the process died).
  const [containers, networks] = await Promise.all([
    engine.containers.list({ all: true, filters: managedFilter(), ...call }),
    engine.networks.list({ filters: managedFilter(), ...call }),
  ]);
  // Without --all only objects that name a pod are candidates: anything else managed is not ours to judge.
  const orphan = (labels: Record<string, string> | null | undefined) => {
    const podId = labels?.[LABEL.podId];
    return options.all || (podId !== undefined && !kept.has(podId));
  };
  // A running agent's lease is not an orphan even under --all: removing it would let a second agent in.
  const liveLease = (labels: Record<string, string> | null | undefined) => labels?.[LABEL.type] === 'agent-lease' && creatorAlive(labels[HOLDER_LABEL]);
  await Promise.all(containers.filter((c) => orphan(c.Labels) && ownedByNoLiveCreate(c.Labels) && !liveLease(c.Labels)).map(async (c) => {
    await engine.containers.remove(c.Id, { force: true, volumes: true }).catch(ignoreMissing);
    report.containers.push(c.Names[0]?.replace(/^\//, '') ?? c.Id);
  }));
  await Promise.all(networks.filter((n) => orphan(n.Labels) && (options.all || n.Labels?.[LABEL.type] === 'pod-network') && ownedByNoLiveCreate(n.Labels)).map(async (n) => {
    // By name: Podman 4.3 removes a network given by id even while containers use it (docs/engine-behaviour.md).
    await engine.networks.remove(n.Name).catch(ignoreMissing);
    report.networks.push(n.Name);
  }));
  {
    // A pod's emptyDir volumes are orphans once no kept pod owns them; --all takes every managed one.
    const volumes = (await engine.volumes.list({ filters: managedFilter(), ...call })).filter((v) => orphan(v.Labels) && ownedByNoLiveCreate(v.Labels));
    await Promise.all(volumes.map(async (v) => {
      await engine.volumes.remove(v.Name, { force: true }).catch(ignoreMissing);
      report.volumes.push(v.Name);
    }));
  }
  return report;
}

/**
 * A pod whose creator is gone before it finished: its infra never started, it has fewer containers
 * than its spec, or an app container was never started (a container leaves `created` on its first
 * start and never returns to it, so only an unfinished create leaves one there).
 */
function halfMade(pod: PodRecord): boolean {
  const incomplete = pod.infra?.State === 'created' || pod.apps.some((c) => c.State === 'created')
    || (pod.spec !== undefined && pod.apps.length < pod.spec.spec.containers.length);
  return incomplete && !creatorAlive(pod.infra?.Labels?.[LABEL.creator]);
}

/** Objects whose `pod create` is still running on this host are not orphans yet. */
function ownedByNoLiveCreate(labels: Record<string, string> | null | undefined): boolean {
  return !creatorAlive(labels?.[LABEL.creator]);
}
