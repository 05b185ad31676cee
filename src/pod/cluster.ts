import type { Engine } from '../engine/index.js';
import { isNotFound } from '../engine/errors.js';
import { LABEL } from './labels.js';

/**
 * The cluster network: one user-defined bridge that every (non-isolated) pod's infra container
 * joins with the pod's name as a DNS alias. Separate per-pod bridges are isolated from each other
 * by the engine's iptables rules, so this shared network is what lets pods reach each other, and
 * Docker's embedded DNS on it is what resolves pod and service names.
 *
 * It has an explicit subnet because keeping a pod's address while changing its aliases (services
 * come and go) means reconnecting with a fixed IPv4Address, which the engine allows only on
 * networks with a user-configured subnet.
 */
export interface ClusterNetwork { name: string; subnet: string }

export function clusterNetworkFrom(env: NodeJS.ProcessEnv = process.env, given: Partial<ClusterNetwork> = {}): ClusterNetwork {
  return {
    name: given.name ?? env.PODLING_CLUSTER_NETWORK ?? 'podling-cluster',
    subnet: given.subnet ?? env.PODLING_CLUSTER_SUBNET ?? '10.211.0.0/16',
  };
}

async function exists(engine: Engine, name: string): Promise<boolean> {
  try {
    await engine.networks.inspect(name);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** Creates the cluster network unless it exists; race-safe across processes. PodRuntime caches the answer. */
export async function findOrCreateClusterNetwork(engine: Engine, cluster: ClusterNetwork): Promise<string> {
  if (await exists(engine, cluster.name)) return cluster.name;
  try {
    await engine.networks.create({
      Name: cluster.name,
      Driver: 'bridge',
      IPAM: { Config: [{ Subnet: cluster.subnet }] },
      Labels: { [LABEL.managed]: 'true', [LABEL.type]: 'cluster-network' },
    });
  } catch (err) {
    // Another process won the race: the engine answers a conflict on the name, or, when the
    // subnet is checked first, "Pool overlaps". Either way the network is there now.
    if (!(await exists(engine, cluster.name))) throw err;
  }
  return cluster.name;
}
