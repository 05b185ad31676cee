import { createHash } from 'node:crypto';
import type { Pods } from '../pod/index.js';
import { PodError } from '../pod/errors.js';
import { DEFAULT_NAMESPACE, LABEL, managedFilter, namespaceFrom } from '../pod/labels.js';
import { parseService, readServices, type ServiceSpec } from '../pod/services.js';
import type { Pod } from '../pod/spec.js';
import { KINDS, type Manifest } from './manifest.js';

/**
 * `podling apply`, kubectl's meaning: create what is missing, replace what changed, leave the
 * rest alone, in dependency order. A pure plan (desired manifests + what the engine holds →
 * actions) and the executor that carries it out.
 *
 * A pod made by apply carries `podling.io/last-applied`, a digest of what was applied (the pod's
 * spec, and the ConfigMaps and Secrets of the same apply that it reads, so a changed ConfigMap
 * reaches a re-applied pod). It is an annotation, as kubectl's last-applied-configuration is: it
 * lives in the pod spec the engine keeps, so an agent that remakes the pod's sandbox keeps it too.
 */
export const ANNOTATION_LAST_APPLIED = 'podling.io/last-applied';

export type ApplyVerb = 'created' | 'replaced' | 'unchanged';
export interface ApplyAction { manifest: Manifest; verb: ApplyVerb; why?: string }

/** What the engine holds, as far as apply compares it. */
export interface Current {
  /** Pods by `namespace/name`, with the digest they were applied with (none: not made by apply). */
  pods: Map<string, { applied?: string }>;
  services: Map<string, ServiceSpec>;
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

/** The digest apply compares: the pod as parsed (its own annotation left out) and the inputs it reads from the same apply. */
export function appliedDigest(pod: Pod, inputs: string[] = []): string {
  const { [ANNOTATION_LAST_APPLIED]: _previous, ...annotations } = pod.metadata.annotations ?? {};
  const metadata = { ...pod.metadata, annotations: Object.keys(annotations).length ? annotations : undefined };
  return createHash('sha256').update(canonical({ ...pod, metadata })).update(canonical(inputs)).digest('hex').slice(0, 16);
}

/** JSON with every object's keys sorted and undefined left out: equal objects, equal text, whatever order they were built in. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v ?? null)).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A service compared as stored: parsed the same way on both sides, its creation time left out, and
 * what is left out meaning the same as its default written out (no namespace is `default`, no
 * targetPort is the port), as `service get` prints them: so a service made with `service create`
 * and applied again from its `get -o yaml` is unchanged.
 */
function comparable(s: ServiceSpec & { created?: string }): string {
  const { created: _created, ...stored } = s;
  const spec = parseService(stored);
  return canonical({ ...spec, namespace: spec.namespace ?? DEFAULT_NAMESPACE, ports: spec.ports.map((p) => ({ ...p, targetPort: p.targetPort ?? p.port })) });
}

/**
 * The actions, in the order they must run: namespaces (nothing to make), then services, then pods,
 * as kubectl orders kinds. A pod that exists but was not made by apply is refused before anything
 * is done: apply would otherwise replace a pod its owner made by hand.
 */
export function planApply(desired: Manifest[], current: Current): ApplyAction[] {
  const collisions = desired.filter((m) => m.kind === 'Pod' && current.pods.has(key(m.namespace, m.name)) && current.pods.get(key(m.namespace, m.name))!.applied === undefined);
  if (collisions.length) {
    throw new PodError('already-exists', collisions.map((m) => `pod "${m.name}" in namespace "${m.namespace}" exists and was not made by apply: delete it first, or apply under another name`).join('; '));
  }
  const ordered = [...desired].sort((a, b) => KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind));
  return ordered.map((m): ApplyAction => {
    if (m.kind === 'Namespace') return { manifest: m, verb: 'unchanged' };
    if (m.kind === 'Service') {
      const have = current.services.get(key(m.namespace, m.name));
      if (!have) return { manifest: m, verb: 'created' };
      return comparable(have) === comparable(parseService(m.service)) ? { manifest: m, verb: 'unchanged' } : { manifest: m, verb: 'replaced', why: 'the service changed' };
    }
    const have = current.pods.get(key(m.namespace, m.name));
    if (!have) return { manifest: m, verb: 'created' };
    return have.applied === appliedDigest(m.pod) ? { manifest: m, verb: 'unchanged' } : { manifest: m, verb: 'replaced', why: 'the spec changed' };
  });
}

/** What apply compares, from two list calls (pods and services), whatever the number of objects. */
export async function observeForApply(pods: Pods, signal?: AbortSignal): Promise<Current> {
  const [containers, services] = await Promise.all([
    pods.engine.containers.list({ all: true, filters: managedFilter([`${LABEL.role}=infra`]), signal }),
    readServices(pods.engine, { signal }),
  ]);
  const current: Current = { pods: new Map(), services: new Map() };
  for (const c of containers) {
    const labels = c.Labels ?? {};
    const name = labels[LABEL.podName];
    if (!name) continue;
    current.pods.set(key(namespaceFrom(labels), name), { applied: lastApplied(labels[LABEL.spec]) });
  }
  for (const s of services) current.services.set(key(s.namespace ?? 'default', s.name), s);
  return current;
}

function lastApplied(specJson: string | undefined): string | undefined {
  try {
    const value = (JSON.parse(specJson ?? '') as { metadata?: { annotations?: Record<string, string> } }).metadata?.annotations?.[ANNOTATION_LAST_APPLIED];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

export interface ApplyOptions {
  signal?: AbortSignal;
  /** Called as each object is done, in the plan's order within its kind. */
  onDone?: (action: ApplyAction) => void;
}

/**
 * Carries out a plan: services one by one (their aliases are synced as each is made), then the
 * pods at once (the runtime caps how many run together). A replaced pod is deleted, with its own
 * grace period, before its new spec is created.
 */
export async function executeApply(pods: Pods, actions: ApplyAction[], options: ApplyOptions = {}): Promise<void> {
  const { signal } = options;
  for (const action of actions) {
    const m = action.manifest;
    if (m.kind !== 'Service' || action.verb === 'unchanged') continue;
    if (action.verb === 'replaced') await pods.deleteService(m.name, { namespace: m.namespace, signal });
    await pods.createService(m.service, { signal });
    options.onDone?.(action);
  }
  const podActions = actions.filter((a) => a.manifest.kind === 'Pod' && a.verb !== 'unchanged');
  await Promise.all(podActions.map(async (action) => {
    const m = action.manifest as Extract<Manifest, { kind: 'Pod' }>;
    if (action.verb === 'replaced') await pods.delete(m.name, { namespace: m.namespace, signal });
    const annotations = { ...m.pod.metadata.annotations, [ANNOTATION_LAST_APPLIED]: appliedDigest(m.pod) };
    await pods.create({ ...m.pod, metadata: { ...m.pod.metadata, annotations } }, { signal });
    options.onDone?.(action);
  }));
  for (const action of actions) if (action.verb === 'unchanged') options.onDone?.(action);
}

/** `podling delete -f`: every object of the manifests that exists, pods before the services that select them. */
export async function deleteManifests(pods: Pods, manifests: Manifest[], options: { signal?: AbortSignal; gracePeriod?: number; force?: boolean; onDone?: (m: Manifest, found: boolean) => void } = {}): Promise<void> {
  const ordered = [...manifests].sort((a, b) => KINDS.indexOf(b.kind) - KINDS.indexOf(a.kind));
  const gone = (err: unknown) => { if (err instanceof PodError && err.kind === 'not-found') return false; throw err; };
  await Promise.all(ordered.filter((m) => m.kind === 'Pod').map(async (m) => {
    const found = await pods.delete(m.name, { namespace: m.namespace, signal: options.signal, gracePeriod: options.gracePeriod, force: options.force }).then(() => true, gone);
    options.onDone?.(m, found);
  }));
  for (const m of ordered) {
    if (m.kind !== 'Service') continue;
    const found = await pods.deleteService(m.name, { namespace: m.namespace, signal: options.signal }).then(() => true, gone);
    options.onDone?.(m, found);
  }
}
