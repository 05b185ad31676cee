import { containerBudget } from '../pod/pod-resources.js';
import { isSidecar, type Pod } from '../pod/spec.js';
import type { ClusterNode } from './node.js';

/**
 * Choosing a pod's node, as the scheduler's filter and score steps do it, in one pure function:
 * nodes the pod cannot run on are filtered out, each with the reason (kubectl describe's
 * "0/3 nodes are available: …"), and of the rest the one with the most free capacity is chosen
 * (the scheduler's LeastAllocated score: the mean of the free CPU and memory fractions left after
 * the pod). A pod that fits nowhere is refused, never left pending: there is no scheduler loop to
 * try again later.
 */

/** Nano-CPUs and bytes. */
export interface Requests { cpu: number; memory: number }

/**
 * A pod's requests as the scheduler counts them: its app containers and sidecars together, or its
 * largest plain init container if that asks for more (init containers run one at a time, first).
 */
export function podRequests(pod: Pod): Requests {
  const of = (c: Parameters<typeof containerBudget>[1]) => {
    const b = containerBudget(pod.spec, c);
    return { cpu: b.cpuRequest ?? 0, memory: b.memoryRequest ?? 0 };
  };
  const inits = pod.spec.initContainers ?? [];
  const running = [...pod.spec.containers, ...inits.filter(isSidecar)].map(of);
  const sum = running.reduce((a, r) => ({ cpu: a.cpu + r.cpu, memory: a.memory + r.memory }), { cpu: 0, memory: 0 });
  const initMax = inits.filter((c) => !isSidecar(c)).map(of).reduce((a, r) => ({ cpu: Math.max(a.cpu, r.cpu), memory: Math.max(a.memory, r.memory) }), { cpu: 0, memory: 0 });
  return { cpu: Math.max(sum.cpu, initMax.cpu), memory: Math.max(sum.memory, initMax.memory) };
}

/** A node as placement sees it: what it has, what its pods already take, and whether it answers. */
export interface NodeLoad {
  node: ClusterNode;
  pods: number;
  requested: Requests;
  /** Why its engine could not be asked (then its load is unknown and it takes nothing). */
  unreachable?: string | undefined;
}

export interface Refusal { node: string; reason: string }
export type Placement = { node: string } | { refused: Refusal[] };

const cpuText = (nano: number) => `${Math.round(nano / 1e6)}m`;
const memText = (bytes: number) => `${Math.round(bytes / 2 ** 20)}Mi`;

/** Why `pod` cannot go to this node, or undefined when it can. */
export function unfit(pod: Pod, wants: Requests, load: NodeLoad): string | undefined {
  const { node } = load;
  const { nodeName, nodeSelector = {} } = pod.spec;
  if (nodeName !== undefined && nodeName !== node.name) return `not the node spec.nodeName names (${nodeName})`;
  if (!node.engine) return 'no engine address (podling node add NAME ADDRESS)';
  if (node.state !== 'ready') return `node is ${node.state}${node.message ? `: ${node.message}` : ''}`;
  if (node.availability !== 'active') return `node availability is ${node.availability}`;
  if (load.unreachable) return `engine unreachable: ${load.unreachable}`;
  const unmet = Object.entries(nodeSelector).filter(([key, value]) => node.labels[key] !== value);
  if (unmet.length) return `node labels do not match nodeSelector ${unmet.map(([k, v]) => `${k}=${v}`).join(', ')}`;
  if (load.pods + 1 > node.maxPods) return `too many pods (${load.pods} of ${node.maxPods})`;
  if (wants.cpu > 0 && load.requested.cpu + wants.cpu > node.cpus) return `insufficient cpu (requests ${cpuText(wants.cpu)}, ${cpuText(Math.max(0, node.cpus - load.requested.cpu))} of ${cpuText(node.cpus)} free)`;
  if (wants.memory > 0 && load.requested.memory + wants.memory > node.memory) return `insufficient memory (requests ${memText(wants.memory)}, ${memText(Math.max(0, node.memory - load.requested.memory))} of ${memText(node.memory)} free)`;
  return undefined;
}

/** The free share of the node left after the pod: higher is better. */
function score(wants: Requests, load: NodeLoad): number {
  const free = (has: number, used: number) => (has > 0 ? (has - used) / has : 0);
  return (free(load.node.cpus, load.requested.cpu + wants.cpu) + free(load.node.memory, load.requested.memory + wants.memory)) / 2;
}

export function place(pod: Pod, loads: readonly NodeLoad[]): Placement {
  const wants = podRequests(pod);
  const refused: Refusal[] = [];
  const fits: NodeLoad[] = [];
  for (const load of loads) {
    const reason = unfit(pod, wants, load);
    if (reason) refused.push({ node: load.node.name, reason });
    else fits.push(load);
  }
  if (!fits.length) return { refused: refused.sort((a, b) => a.node.localeCompare(b.node)) };
  // Ties (equal nodes, or no requests at all) go to the node with fewer pods, then by name, so
  // pods spread and the choice is the same on every run.
  fits.sort((a, b) => score(wants, b) - score(wants, a) || a.pods - b.pods || a.node.name.localeCompare(b.node.name));
  return { node: fits[0]!.node.name };
}

/** kubectl's words for a pod that fits nowhere. */
export function refusalText(refused: readonly Refusal[]): string {
  return `0/${refused.length} nodes are available: ${refused.map((r) => `${r.node}: ${r.reason}`).join('; ')}`;
}
