/**
 * Every object Podling makes carries these labels: they are the pod's only state (no database, no
 * state file), so any process can read pods back, and prune can find what a killed process left.
 */
export const LABEL = {
  managed: 'podling.io/managed',
  podId: 'podling.io/pod-id',
  podName: 'podling.io/pod-name',
  /** The Kubernetes namespace of a pod, service, ConfigMap or Secret (absent on objects made before namespaces: `default`). */
  namespace: 'podling.io/namespace',
  type: 'podling.io/type',
  role: 'podling.io/role',
  container: 'podling.io/container-name',
  /** The whole pod spec as JSON, on the infra container: labels and annotations round-trip exactly. */
  spec: 'podling.io/pod-spec',
  /**
   * `host:pid` of the process that made the object (a pod's containers, networks and volumes; a
   * service; a ConfigMap or Secret): prune tells a half-made pod from one in progress by it.
   */
  creator: 'podling.io/creator',
  /**
   * A container's identity across restarts, as the kubelet keeps it: every attempt is a new
   * container (so the previous one's logs and exit stay readable), numbered from 0; the sandbox
   * (infra) is numbered the same way, and each app names the sandbox attempt it joined.
   */
  attempt: 'podling.io/attempt',
  sandboxAttempt: 'podling.io/sandbox-attempt',
  /** A hash of the container's spec: a changed spec means the running container is not the wanted one. */
  specHash: 'podling.io/spec-hash',
  /**
   * The restart back-off in force when this attempt was started (seconds) and the finish time it
   * was measured from (ms): kept on the container, so an agent that restarts loses none of it.
   */
  backoff: 'podling.io/backoff',
  backoffSince: 'podling.io/backoff-since',
  /** On an emptyDir volume: its name in the pod spec. */
  volume: 'podling.io/volume-name',
  /** On a service's holder container: its name, and its spec as JSON. */
  service: 'podling.io/service-name',
  serviceSpec: 'podling.io/service-spec',
  /** On a ConfigMap's or Secret's holder container: its metadata, type and key names as JSON (never a value). */
  object: 'podling.io/object',
  /** On a persistentVolumeClaim's volume: the claim's name (the namespace is LABEL.namespace). */
  claim: 'podling.io/claim-name',
  /** On a cluster-mode pod's containers: `cluster` (pod-network.ts), kept for its sandbox's remakes and its delete; absent: its own network. */
  network: 'podling.io/network',
} as const;

export const ANNOTATION_POD_IP = 'podling.io/pod-ip';

export type Role = 'infra' | 'app' | 'init';

export function managedFilter(extra: string[] = []): { label: string[] } {
  return { label: [`${LABEL.managed}=true`, ...extra] };
}

export const DEFAULT_NAMESPACE = 'default';

/**
 * An object's name on the engine, unique across namespaces: `NAME` in `default` (so names made
 * before namespaces stay valid), `NAME.NAMESPACE` elsewhere, the same form as its DNS name. Both
 * parts are DNS labels, which have no '.', so the form is never ambiguous.
 */
export const qualifiedName = (name: string, namespace = DEFAULT_NAMESPACE) => (namespace === DEFAULT_NAMESPACE ? name : `${name}.${namespace}`);

/** A qualified name's parts: `web.staging` is pod `web` in `staging`, `web` is `web` in default. */
export function splitQualified(key: string): { name: string; namespace: string } {
  const dot = key.indexOf('.');
  return dot < 0 ? { name: key, namespace: DEFAULT_NAMESPACE } : { name: key.slice(0, dot), namespace: key.slice(dot + 1) };
}

/** An object's namespace from its labels: objects in `default` carry none (so those made before namespaces are in it). */
export function namespaceFrom(labels: Record<string, unknown> | null | undefined): string {
  const namespace = labels?.[LABEL.namespace];
  return typeof namespace === 'string' ? namespace : DEFAULT_NAMESPACE;
}

/** The namespace label, for objects outside `default` only (see namespaceFrom). */
export const namespaceLabel = (namespace: string): Record<string, string> => (namespace === DEFAULT_NAMESPACE ? {} : { [LABEL.namespace]: namespace });

export const podNetworkName = (podId: string) => `pod-${podId}`;
/** An emptyDir of a pod: one engine volume per pod and volume name, removed with the pod. */
export const volumeName = (podId: string, volume: string) => `podling-${podId}-${volume}`;
/** The infra container's name doubles as the lock that keeps pod names unique on an engine. */
export const infraName = (pod: string) => `podling_${pod}`;
/**
 * A delete renames the infra first: the mark that tells an agent not to bring the pod back while
 * it goes (the kubelet has deletionTimestamp). A double underscore: no app container's name has one.
 */
export const deletingName = (pod: string) => `podling_${pod}__deleting`;
export const isDeletingName = (name: string | undefined) => name !== undefined && name.endsWith('__deleting');
/**
 * One name per attempt: a second agent (or one restarted mid-sync) that tries to make the same
 * attempt gets a conflict instead of a duplicate. Attempt 0 keeps the plain name.
 */
export const appName = (pod: string, container: string, attempt = 0) => `podling_${pod}_${container}${attempt ? `_${attempt}` : ''}`;
