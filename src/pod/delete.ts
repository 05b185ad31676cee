import type { Engine } from '../engine/index.js';
import { ignoreMissing } from './create.js';
import { podNetworkName } from './labels.js';
import type { PodRecord } from './read.js';

export interface DeleteOptions {
  /** Seconds between SIGTERM and SIGKILL, as Kubernetes' terminationGracePeriodSeconds (30). */
  gracePeriod?: number;
  /** No grace at all: kill and remove. */
  force?: boolean;
}

/**
 * Stops every container at once (the pod's grace period runs in parallel, not once per
 * container), removes app containers before the infra (Podman's compatible API refuses the other
 * order), then the pod network. Anything already gone is skipped, so a second delete, or a delete
 * after a crash midway, finishes the job.
 */
export async function deletePod(engine: Engine, pod: PodRecord, options: DeleteOptions = {}): Promise<void> {
  const grace = options.force ? 0 : options.gracePeriod ?? 30;
  const containers = [...pod.apps, ...(pod.infra ? [pod.infra] : [])];
  if (grace > 0) {
    await Promise.all(containers.filter((c) => c.State === 'running' || c.State === 'restarting').map((c) => engine.containers.stop(c.Id, { grace }).catch(ignoreMissing)));
  }
  const remove = (id: string) => engine.containers.remove(id, { force: true, volumes: true }).catch(ignoreMissing);
  await Promise.all(pod.apps.map((c) => remove(c.Id)));
  if (pod.infra) await remove(pod.infra.Id);
  await engine.networks.remove(podNetworkName(pod.id)).catch(ignoreMissing);
}
