import type { SwarmNode } from '../engine/swarm.js';

/**
 * A node: a Docker engine that is a member of one swarm. The swarm is the source of truth (no file
 * or database of ours): its node list says who the nodes are and whether they are up, and each
 * node's own swarm labels carry what Podling needs, chiefly the address of that node's Engine API.
 */

/** The swarm node label holding the node's Engine API address (`unix://`, `tcp://`, `ssh://`). */
export const ENGINE_LABEL = 'podling.io/engine';
/** Pods a node takes at most unless its label says otherwise: the kubelet's default `maxPods`. */
export const MAX_PODS_LABEL = 'podling.io/max-pods';
export const DEFAULT_MAX_PODS = 110;

export interface ClusterNode {
  /** The node's name: its swarm spec name if one was given, else its hostname (as `docker node ls` shows). */
  name: string;
  id: string;
  /** The swarm's `Version.Index`, which an update must quote. */
  version: number;
  role: 'manager' | 'worker';
  /** The swarm's view: `ready`, `down`, `unknown`, `disconnected`. */
  state: string;
  availability: 'active' | 'pause' | 'drain';
  /** Where Podling reaches this node's engine; unset until `podling node add`. */
  engine?: string | undefined;
  /** What nodeSelector matches: the swarm labels (Podling's own left out) and the well-known ones. */
  labels: Record<string, string>;
  /** Nano-CPUs and bytes the node has. */
  cpus: number;
  memory: number;
  maxPods: number;
  message?: string | undefined;
}

export function nodeFromSwarm(node: SwarmNode): ClusterNode {
  const name = (node.Spec.Name || node.Description?.Hostname || node.ID).toLowerCase();
  const own = node.Spec.Labels ?? {};
  const labels: Record<string, string> = { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' };
  for (const [key, value] of Object.entries(own)) if (!key.startsWith('podling.io/')) labels[key] = value;
  const maxPods = Number(own[MAX_PODS_LABEL]);
  return {
    name,
    id: node.ID,
    version: node.Version.Index,
    role: node.Spec.Role === 'manager' ? 'manager' : 'worker',
    state: node.Status.State,
    availability: (['active', 'pause', 'drain'] as const).find((a) => a === node.Spec.Availability) ?? 'active',
    engine: own[ENGINE_LABEL],
    labels,
    cpus: node.Description?.Resources?.NanoCPUs ?? 0,
    memory: node.Description?.Resources?.MemoryBytes ?? 0,
    maxPods: Number.isInteger(maxPods) && maxPods > 0 ? maxPods : DEFAULT_MAX_PODS,
    message: node.Status.Message || undefined,
  };
}
