import type { Engine } from '../engine/index.js';
import { isEngineError } from '../engine/errors.js';
import { isNotSwarmManager } from '../engine/swarm.js';
import { PodError } from '../pod/errors.js';
import { ENGINE_LABEL, nodeFromSwarm, type ClusterNode } from './node.js';

/**
 * The node registry is the swarm itself: the node list comes from a manager, and a node's Engine
 * API address is a label on that node, set and cleared with the swarm's own versioned update.
 */

/** The swarm's nodes, through a manager. An engine in no swarm, or a worker, cannot list them. */
export async function listNodes(manager: Engine, options: { signal?: AbortSignal } = {}): Promise<ClusterNode[]> {
  try {
    const nodes = await manager.nodes.list(options);
    return nodes.map(nodeFromSwarm).sort((a, b) => a.name.localeCompare(b.name));
  } catch (err) {
    if (isNotSwarmManager(err)) throw new PodError('invalid', `the engine at ${manager.address} is not a swarm manager, so it cannot list nodes: ${(err as Error).message}`, { cause: err });
    throw err;
  }
}

export async function findNode(manager: Engine, name: string, options: { signal?: AbortSignal } = {}): Promise<ClusterNode> {
  const nodes = await listNodes(manager, options);
  const found = nodes.find((n) => n.name === name.toLowerCase() || n.id === name);
  if (!found) throw new PodError('not-found', `node "${name}" not found (the swarm has ${nodes.map((n) => n.name).join(', ') || 'no nodes'})`);
  return found;
}

/** Re-writes a node's spec with `change` applied, at the version it was read at (see setNodeLabel). */
async function updateNode(manager: Engine, name: string, change: (spec: { Labels: Record<string, string>; Availability: 'active' | 'pause' | 'drain' }) => void, options: { signal?: AbortSignal }): Promise<ClusterNode> {
  for (let attempt = 0; ; attempt++) {
    const node = await findNode(manager, name, options);
    const current = await manager.nodes.inspect(node.id, options);
    const spec = {
      Labels: { ...(current.Spec.Labels ?? {}) },
      Availability: (['active', 'pause', 'drain'] as const).find((a) => a === current.Spec.Availability) ?? 'active',
    };
    change(spec);
    try {
      await manager.nodes.update(current.ID, current.Version.Index, {
        ...(current.Spec.Name ? { Name: current.Spec.Name } : {}),
        Labels: spec.Labels,
        Role: current.Spec.Role === 'manager' ? 'manager' : 'worker',
        Availability: spec.Availability,
      }, options);
      return findNode(manager, name, options);
    } catch (err) {
      // "update out of sequence": someone else updated the node between our read and write.
      if (attempt < 3 && isEngineError(err) && /out of sequence/i.test(err.message)) continue;
      throw err;
    }
  }
}

export function setNodeAvailability(manager: Engine, name: string, availability: 'active' | 'pause' | 'drain', options: { signal?: AbortSignal } = {}): Promise<ClusterNode> {
  return updateNode(manager, name, (spec) => { spec.Availability = availability; }, options);
}

/**
 * Sets (or with `undefined`, clears) one of a node's swarm labels. The swarm replaces a node's
 * whole spec and only at the version it was read at: a concurrent change fails the update, which
 * is then read and tried again, so neither change is lost.
 */
export function setNodeLabel(manager: Engine, name: string, key: string, value: string | undefined, options: { signal?: AbortSignal } = {}): Promise<ClusterNode> {
  return updateNode(manager, name, (spec) => {
    if (value === undefined) delete spec.Labels[key];
    else spec.Labels[key] = value;
  }, options);
}

/** `podling node add`: the engine at `address` must be that swarm node, or nothing is written. */
export async function addNode(manager: Engine, name: string, address: string, connect: (address: string) => Engine, options: { signal?: AbortSignal } = {}): Promise<ClusterNode> {
  const node = await findNode(manager, name, options);
  const engine = connect(address);
  try {
    const info = await engine.system.info(options).catch((err: unknown) => {
      throw new PodError('invalid', `node ${node.name}: no engine answers at ${address}: ${(err as Error).message}`, { cause: err });
    });
    if (info.Swarm?.NodeID !== node.id) {
      const is = info.Swarm?.NodeID ? `swarm node ${info.Swarm.NodeID}` : 'in no swarm';
      throw new PodError('invalid', `node ${node.name}: the engine at ${address} is ${is}, not node ${node.name} (${node.id}); nothing was changed`);
    }
  } finally {
    await engine.close();
  }
  return setNodeLabel(manager, node.name, ENGINE_LABEL, address, options);
}

/** `podling node remove`: Podling stops using the node; it stays in the swarm. */
export function removeNode(manager: Engine, name: string, options: { signal?: AbortSignal } = {}): Promise<ClusterNode> {
  return setNodeLabel(manager, name, ENGINE_LABEL, undefined, options);
}
