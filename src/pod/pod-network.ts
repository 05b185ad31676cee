import { PodError } from './errors.js';
import { LABEL } from './labels.js';
import type { Pod } from './spec.js';

/**
 * How a pod's one network namespace is connected (its infra container's networks):
 * - `cluster`: on the cluster network only. The pod's one address is its cluster address, which
 *   also carries its egress and its published ports (the cluster network is a user-defined bridge,
 *   so the engine NATs and publishes there as on any other).
 * - `own`: the seed's way: on the cluster network and on a bridge of its own, `pod-<id>`. The
 *   engine gives every bridge its own iptables chains and rules, so each pod adds to what every
 *   later network create, container start and teardown walks (README, "Pod networks").
 *
 * An isolated pod is on no cluster network, so its own bridge is the only network it has: it is
 * always `own`, and asking for `cluster` with it is refused. A hostNetwork pod has the host's
 * network, so naming a mode for it is refused too (it would silently mean nothing).
 */
export type PodNetworkMode = 'own' | 'cluster';
export const POD_NETWORK_MODES: readonly PodNetworkMode[] = ['own', 'cluster'];
/** The pod-level choice, in a manifest's annotations: `podling.io/network: own|cluster`. */
export const ANNOTATION_NETWORK = 'podling.io/network';
/** See the README's "Pod networks" for the figures this default was chosen from. */
export const DEFAULT_POD_NETWORK: PodNetworkMode = 'cluster';

const isMode = (value: unknown): value is PodNetworkMode => (POD_NETWORK_MODES as readonly unknown[]).includes(value);

/** Why a pod's network annotation cannot be honoured, or undefined when it can (or there is none). */
export function networkAnnotationProblem(annotations: Record<string, string> | undefined, pod: { isolated: boolean; hostNetwork: boolean }): string | undefined {
  const value = annotations?.[ANNOTATION_NETWORK];
  if (value === undefined) return undefined;
  if (!isMode(value)) return `"${value}" is not a pod network mode: use ${POD_NETWORK_MODES.join(' or ')}`;
  if (pod.hostNetwork) return 'a hostNetwork pod uses the host\'s network: no pod network mode applies';
  if (value === 'cluster' && pod.isolated) return 'an isolated pod joins no cluster network, so its own network is the only one it has: use "own" or leave it out';
  return undefined;
}

/** The runtime's default mode: the one given, else PODLING_POD_NETWORK, else DEFAULT_POD_NETWORK. */
export function podNetworkFrom(env: NodeJS.ProcessEnv = process.env, given?: string): PodNetworkMode {
  const [value, from] = given !== undefined ? [given, 'the pod network default'] : [env.PODLING_POD_NETWORK, 'PODLING_POD_NETWORK'];
  if (value === undefined || value === '') return DEFAULT_POD_NETWORK;
  if (!isMode(value)) throw new PodError('invalid', `${from} "${value}": use ${POD_NETWORK_MODES.join(' or ')}`);
  return value;
}

const isolated = (pod: Pod) => pod.metadata.annotations?.['podling.io/isolated'] === 'true';

/** The mode a new pod is made in: its annotation, else `own` when isolated (see above), else the runtime's default. */
export function networkModeOf(pod: Pod, fallback: PodNetworkMode): PodNetworkMode {
  const asked = pod.metadata.annotations?.[ANNOTATION_NETWORK];
  if (isMode(asked)) return asked;
  return isolated(pod) ? 'own' : fallback;
}

/** Which networks a pod's infra joins. */
export interface SandboxNetworks { cluster: boolean; own: boolean }

export function sandboxNetworks(pod: Pod, mode: PodNetworkMode): SandboxNetworks {
  if (pod.spec.hostNetwork) return { cluster: false, own: false };
  if (isolated(pod)) return { cluster: false, own: true };
  return { cluster: true, own: mode === 'own' };
}

/**
 * The label that keeps a pod's mode on its containers: only `cluster` is written. A pod without
 * it has its own network (or none: hostNetwork), as every pod made before modes existed has, so
 * those pods, isolated ones and `own` ones are made with exactly the requests they always were.
 */
export function modeLabel(pod: Pod, mode: PodNetworkMode): PodNetworkMode | undefined {
  const joins = sandboxNetworks(pod, mode);
  return joins.cluster && !joins.own ? 'cluster' : undefined;
}

/**
 * The mode a pod on the engine was made in, from its containers' labels (any of them: a remade
 * sandbox must keep the mode when the old infra is gone). A pod whose containers carry no label
 * was made before modes existed, when every pod had its own network.
 */
export function recordedMode(labels: Array<Record<string, string> | null | undefined>): PodNetworkMode {
  const found = labels.map((l) => l?.[LABEL.network]).find(isMode);
  return found ?? 'own';
}
