/**
 * Every object Podling makes carries these labels: they are the pod's only state (no database, no
 * state file), so any process can read pods back, and prune can find what a killed process left.
 */
export const LABEL = {
  managed: 'podling.io/managed',
  podId: 'podling.io/pod-id',
  podName: 'podling.io/pod-name',
  type: 'podling.io/type',
  role: 'podling.io/role',
  container: 'podling.io/container-name',
  /** The whole pod spec as JSON, on the infra container: labels and annotations round-trip exactly. */
  spec: 'podling.io/pod-spec',
  /** `host:pid` of the process that created the pod: prune tells a half-made pod from one in progress. */
  creator: 'podling.io/creator',
  /** On a service's holder container: its name, and its spec as JSON. */
  service: 'podling.io/service-name',
  serviceSpec: 'podling.io/service-spec',
} as const;

export const ANNOTATION_POD_IP = 'podling.io/pod-ip';

export type Role = 'infra' | 'app';

export function managedFilter(extra: string[] = []): { label: string[] } {
  return { label: [`${LABEL.managed}=true`, ...extra] };
}

export const podNetworkName = (podId: string) => `pod-${podId}`;
/** The infra container's name doubles as the lock that keeps pod names unique on an engine. */
export const infraName = (pod: string) => `podling_${pod}`;
export const appName = (pod: string, container: string) => `podling_${pod}_${container}`;
