import type { Engine } from '../engine/index.js';
import { isEngineError, isNotFound } from '../engine/errors.js';
import { createNetwork } from './network-create.js';
import { PodError } from './errors.js';
import { LABEL } from './labels.js';
import { CANDIDATE_SUBNETS, describeTaken, engineIsLocal, freeCandidates, hostRoutes, overlapping, type TakenRange } from './subnets.js';

/**
 * The cluster network: one user-defined bridge that every (non-isolated) pod's infra container
 * joins with the pod's name as a DNS alias. Separate per-pod bridges are isolated from each other
 * by the engine's iptables rules, so this shared network is what lets pods reach each other, and
 * Docker's embedded DNS on it is what resolves pod and service names.
 *
 * It has an explicit subnet because keeping a pod's address while changing its aliases (services
 * come and go) means reconnecting with a fixed IPv4Address, which the engine allows only on
 * networks with a user-configured subnet. Without a subnet given, the first /16 from 10.211.0.0/16
 * upwards that overlaps neither a route of the engine's host (when that host is this machine) nor
 * one of the engine's networks is taken (subnets.ts says why both).
 */
export interface ClusterNetwork {
  name: string;
  subnet?: string | undefined;
  /**
   * Made elsewhere and used by name only: the swarm's overlay, created on a manager. A worker does
   * not list an overlay until a local container is attached to it, yet creating and starting a
   * container that names it works, so it is never looked up from here.
   */
  external?: boolean | undefined;
}

export function clusterNetworkFrom(env: NodeJS.ProcessEnv = process.env, given: Partial<ClusterNetwork> = {}): ClusterNetwork {
  const subnet = given.subnet ?? env.PODLING_CLUSTER_SUBNET;
  return { name: given.name ?? env.PODLING_CLUSTER_NETWORK ?? 'podling-cluster', ...(subnet ? { subnet } : {}), ...(given.external ? { external: true } : {}) };
}

/** The ranges a new cluster subnet must stay clear of, besides the engine's own networks. */
export type RouteSource = (engine: Engine) => Promise<TakenRange[]>;

/**
 * This machine's routes, when the engine runs on this machine. `PODLING_HOST_ROUTES=ignore` says
 * the engine only looks local: a recorded engine replayed through a socket here (the test
 * harness's replay tier sets it) had another machine's routes.
 */
export const localHostRoutes: RouteSource = (engine) => (engineIsLocal(engine.address) && process.env.PODLING_HOST_ROUTES !== 'ignore' ? hostRoutes() : Promise.resolve([]));

async function exists(engine: Engine, name: string): Promise<boolean> {
  try {
    await engine.networks.inspect(name);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** The engine refused the subnet because one of its networks has an overlapping one. */
function isPoolOverlap(err: unknown): boolean {
  // dockerd: "Pool overlaps with other one on this address space"; Podman: "subnet … is already used".
  return isEngineError(err) && /overlap|already used/i.test(err.message);
}

/** The engine's networks whose subnets overlap `subnet`: named only on the error path. */
async function overlappingNetworks(engine: Engine, subnet: string): Promise<TakenRange[]> {
  const networks = await engine.networks.list().catch(() => []);
  const taken = networks.flatMap((n) => (n.IPAM?.Config ?? []).flatMap((c) => (c.Subnet ? [{ cidr: c.Subnet, owner: `the engine's network ${n.Name}` }] : [])));
  return overlapping(subnet, taken);
}

/**
 * Creates the cluster network unless it exists; race-safe across processes. PodRuntime caches the
 * answer. A subnet the caller gave that overlaps something is refused with what it overlaps; with
 * none given, candidates are tried in order and one the engine finds taken is passed over.
 */
export async function findOrCreateClusterNetwork(engine: Engine, cluster: ClusterNetwork, routes: RouteSource = localHostRoutes): Promise<string> {
  if (cluster.external) return cluster.name;
  if (await exists(engine, cluster.name)) return cluster.name;
  const taken = await routes(engine);
  const create = async (subnet: string): Promise<boolean> => {
    try {
      await createNetwork(engine, {
        Name: cluster.name,
        Driver: 'bridge',
        IPAM: { Config: [{ Subnet: subnet }] },
        Labels: { [LABEL.managed]: 'true', [LABEL.type]: 'cluster-network' },
      });
      return true;
    } catch (err) {
      // Another process won the race: the engine answers a conflict on the name, or, when the
      // subnet is checked first, "Pool overlaps". Either way the network is there now.
      if (await exists(engine, cluster.name)) return true;
      if (isPoolOverlap(err)) return false;
      throw err;
    }
  };
  if (cluster.subnet) {
    const clash = overlapping(cluster.subnet, taken);
    if (clash.length) throw new PodError('invalid', `cluster network ${cluster.name}: subnet ${cluster.subnet} overlaps ${describeTaken(clash)}; give another (PODLING_CLUSTER_SUBNET) or leave it unset to have a free one chosen`);
    if (await create(cluster.subnet)) return cluster.name;
    const networks = await overlappingNetworks(engine, cluster.subnet);
    throw new PodError('invalid', `cluster network ${cluster.name}: subnet ${cluster.subnet} overlaps ${networks.length ? describeTaken(networks) : 'a network of the engine'}; give another (PODLING_CLUSTER_SUBNET) or leave it unset to have a free one chosen`);
  }
  for (const candidate of freeCandidates(taken)) {
    if (await create(candidate)) return cluster.name;
  }
  throw new PodError('invalid', `cluster network ${cluster.name}: no free subnet among ${CANDIDATE_SUBNETS[0]} to ${CANDIDATE_SUBNETS.at(-1)} (each overlaps a route of the host or a network of the engine); give one with PODLING_CLUSTER_SUBNET`);
}

/**
 * The cluster network of a swarm: one attachable overlay, made on a manager, that standalone
 * containers on every node join. Its addresses come from the swarm's own pool (overlays are not
 * routed on any host, so no host route can clash); the swarm refuses a second one by name.
 */
export async function findOrCreateOverlay(manager: Engine, name: string, options: { signal?: AbortSignal } = {}): Promise<string> {
  if (await exists(manager, name)) return name;
  try {
    await manager.networks.create({
      Name: name,
      Driver: 'overlay',
      Attachable: true,
      Labels: { [LABEL.managed]: 'true', [LABEL.type]: 'cluster-network' },
    }, options);
  } catch (err) {
    if (!(await exists(manager, name))) throw err;
  }
  return name;
}
