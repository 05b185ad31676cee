import type { CallOptions } from '../engine/transport.js';
import type { Engine } from '../engine/index.js';
import { isEngineError } from '../engine/errors.js';
import type { NetworkSpec } from '../engine/networks.js';

/**
 * Podman picks and checks a subnet by listing the host's interfaces and then reading each one's
 * addresses; a bridge removed in between (another pod's network going, another engine's) fails the
 * whole create with Go's "route ip+net: no such network interface" (500). Nothing was made, and
 * the next try lists again: a bounded retry, never for any other error.
 */
export const isInterfaceRace = (err: unknown): boolean =>
  isEngineError(err, 'server') && /no such network interface/.test(err.daemonMessage ?? '');

export const NETWORK_CREATE_TRIES = 3;

/** POST /networks/create, tried again (at most NETWORK_CREATE_TRIES in all) while the engine races as above. */
export async function createNetwork(engine: Engine, spec: NetworkSpec, options: CallOptions = {}): Promise<{ Id: string }> {
  for (let tries = 1; ; tries++) {
    try {
      return await engine.networks.create(spec, options);
    } catch (err) {
      if (tries >= NETWORK_CREATE_TRIES || !isInterfaceRace(err)) throw err;
    }
  }
}
