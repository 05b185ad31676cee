import type { Engine } from '../engine/index.js';

/**
 * A container on a swarm overlay also has a leg on its node's `docker_gwbridge` (its way out), and
 * that leg is the only one of its addresses the node itself routes to: the overlay's addresses
 * answer only inside the overlay. So a node's agent probes its pods there, from the node, and
 * nothing crosses to another node or leaves it. Undefined when the container has no such leg
 * (not on an overlay, or the engine is in no swarm).
 */
export async function gatewayAddress(engine: Engine, containerId: string, options: { signal?: AbortSignal } = {}): Promise<string | undefined> {
  const bridge = await engine.networks.inspect('docker_gwbridge', options).catch(() => undefined);
  const leg = bridge?.Containers?.[containerId];
  return leg?.IPv4Address?.replace(/\/\d+$/, '') || undefined;
}
