import type { CallOptions } from '../engine/transport.js';
import type { Engine } from '../engine/index.js';
import { isEngineError } from '../engine/errors.js';

/**
 * Podman's forced remove of a running container kills it first; a container that stops by itself
 * in between (its process exiting, a restart policy's cycle) fails the whole remove with "cannot
 * remove container … as it could not be stopped: sending SIGKILL …: container state improper:
 * stopped" (500). The container is still there, now stopped, and the next forced remove takes it:
 * a bounded retry, never for any other error. (Seen in `pod delete --force` of a pod whose busybox
 * app exits at once and is restarted by the engine.)
 */
export const isStopRace = (err: unknown): boolean =>
  // Kind-blind: Podling reads Podman's cause (a container in the wrong state) as a conflict.
  isEngineError(err) && err.status === 500 && /could not be stopped: .*state improper/.test(err.daemonMessage ?? '');

export const CONTAINER_REMOVE_TRIES = 3;

/** DELETE /containers/{id}?force=true&v=true, tried again (at most CONTAINER_REMOVE_TRIES in all) while the engine races as above. */
export async function forceRemoveContainer(engine: Engine, id: string, options: CallOptions = {}): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      return await engine.containers.remove(id, { force: true, volumes: true, ...options });
    } catch (err) {
      if (tries >= CONTAINER_REMOVE_TRIES || !isStopRace(err)) throw err;
    }
  }
}
