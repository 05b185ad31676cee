import type { SystemInfo } from '../engine/system.js';
import { PodFailedError } from './errors.js';
import type { PodRuntime } from './runtime.js';
import type { Pod } from './spec.js';

/**
 * `nodeName` and `nodeSelector` on one engine: the engine is the only node, so a pod either fits
 * it or can never run. Kubernetes leaves such a pod Pending for ever (a nodeName of no node) or
 * has the kubelet reject it (reason NodeAffinity); with no scheduler to wait for, Podling refuses
 * it at once, before anything is made, naming what the engine has. The multi-engine issue gives
 * both fields their full meaning (choosing among engines).
 */

export interface Node { name: string; labels: Record<string, string> }

// The kernel's machine names as Go (and so the kubelet's kubernetes.io/arch label) spells them.
const GO_ARCH: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64', armv7l: 'arm', armv6l: 'arm', i386: '386', i686: '386' };

/**
 * The engine as a node: its name as the kubelet registers a host's (lower-cased), and its labels:
 * the well-known ones every kubelet sets (hostname, os, arch, with their old beta names, so the
 * common `kubernetes.io/os: linux` selector fits), then the daemon's own `--label key=value`s,
 * which an administrator set and so win.
 */
export function engineNode(info: Pick<SystemInfo, 'Name' | 'OSType' | 'Architecture' | 'Labels'>): Node {
  const name = (info.Name ?? '').toLowerCase();
  const os = info.OSType ?? 'linux';
  const arch = GO_ARCH[info.Architecture ?? ''] ?? info.Architecture ?? '';
  const labels: Record<string, string> = {
    'kubernetes.io/hostname': name, 'kubernetes.io/os': os, 'kubernetes.io/arch': arch, 'beta.kubernetes.io/os': os, 'beta.kubernetes.io/arch': arch,
  };
  for (const label of info.Labels ?? []) {
    const eq = label.indexOf('=');
    // A daemon label without `=` has no value to match; Docker itself keeps it as a key alone.
    if (eq < 0) labels[label] = '';
    else labels[label.slice(0, eq)] = label.slice(eq + 1);
  }
  return { name, labels };
}

const needsNode = (pod: Pod) => pod.spec.nodeName !== undefined || Object.keys(pod.spec.nodeSelector ?? {}).length > 0;

/** Why the pod cannot run on this node, or undefined when it can. */
export function placementProblem(pod: Pod, node: Node): string | undefined {
  const { nodeName, nodeSelector = {} } = pod.spec;
  if (nodeName !== undefined && nodeName !== node.name) return `spec.nodeName "${nodeName}" is not this engine, which is node "${node.name}"`;
  const unmet = Object.entries(nodeSelector).filter(([key, value]) => node.labels[key] !== value);
  if (!unmet.length) return undefined;
  const has = Object.entries(node.labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(', ');
  return `spec.nodeSelector ${unmet.map(([k, v]) => `${k}=${v}`).join(', ')} does not match this engine (node "${node.name}", labels ${has})`;
}

/** Refuses a pod that cannot run on this engine, before anything is made; asks the engine only when the pod names a node. */
export async function checkPlacement(runtime: PodRuntime, pod: Pod, options: { signal?: AbortSignal } = {}): Promise<void> {
  if (!needsNode(pod)) return;
  const problem = placementProblem(pod, engineNode(await runtime.engineInfo(options)));
  if (problem) throw new PodFailedError(pod.metadata.name, 'NodeAffinity', problem);
}
