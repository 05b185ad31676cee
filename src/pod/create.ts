import { randomBytes } from 'node:crypto';
import type { Engine } from '../engine/index.js';
import { isConflict } from '../engine/errors.js';
import type { ProgressMessage } from '../engine/streams/progress.js';
import { PodFailedError, detailOf } from './errors.js';
import { executeActions, ignoreMissing, type Made } from './execute.js';
import { creatorTag } from './creator.js';
import { infraName } from './labels.js';
import { planPod } from './plan.js';
import type { PodRuntime } from './runtime.js';
import type { Pod } from './spec.js';

export interface CreateOptions {
  /** The pod id; random by default. Recorded tests pass a fixed one so fixtures replay. */
  id?: string;
  /** `host:pid` of this process by default; see LABEL.creator. */
  creator?: string;
  /** Called with every pull progress message, per image. */
  onProgress?: (image: string, message: ProgressMessage) => void;
  infraImage?: string;
  /** Made by an agent, which supervises it: no engine restart policy on its containers. */
  supervised?: boolean;
  signal?: AbortSignal;
}

export interface CreatedPod {
  id: string;
  infraId: string;
  appIds: Record<string, string>;
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
  const creator = options.creator ?? creatorTag();
  const name = pod.metadata.name;
  const actions = planPod({ pod, observed: { id, name, attempts: [] }, now: Date.now() });
  const made: Made = { apps: [] };
  try {
    const { infraId, started } = await executeActions(runtime, pod, { id, name, attempts: [] }, actions, { ...options, podId: id, creator }, made);
    return { id, infraId: infraId!, appIds: started, network: made.network };
  } catch (err) {
    runtime.forget();
    await rollback(runtime.engine, made);
    const failed = err instanceof PodFailedError ? err : new PodFailedError(name, 'ContainerCreateError', detailOf(err), { cause: err });
    // The infra's name is the pod's lock: a conflict on it means a pod of that name exists.
    if (failed.cause && isConflict(failed.cause) && failed.detail.includes(`/${infraName(name)}`)) {
      throw new PodFailedError(name, 'AlreadyExists', `a pod named "${name}" already exists`, { cause: failed.cause });
    }
    throw failed;
  }
}

/** Removes what a failed create made: apps before the infra (Podman insists), then the network. */
async function rollback(engine: Engine, made: Made): Promise<void> {
  const remove = (id: string) => engine.containers.remove(id, { force: true, volumes: true }).catch(ignoreMissing);
  await Promise.all(made.apps.map(remove));
  if (made.infra) await remove(made.infra);
  if (made.network) await engine.networks.remove(made.network).catch(ignoreMissing);
}
