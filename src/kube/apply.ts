import { createHash } from 'node:crypto';
import type { Pods } from '../pod/index.js';
import { PodError } from '../pod/errors.js';
import { DEFAULT_NAMESPACE } from '../pod/labels.js';
import { parseService, type ServiceSpec } from '../pod/services.js';
import type { Pod } from '../pod/spec.js';
import { configMapValues, secretValues } from '../pod/config-spec.js';
import { referencedObjects } from '../pod/env-sources.js';
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
export interface ApplyAction { manifest: Manifest; verb: ApplyVerb; why?: string; /** A pod's: what its last-applied annotation gets. */ digest?: string }

/** What the engine holds, as far as apply compares it. */
export interface Current {
  /** Pods by `namespace/name`, with the digest they were applied with (none: not made by apply). */
  pods: Map<string, { applied?: string }>;
  services: Map<string, ServiceSpec>;
  /** The ConfigMaps and Secrets the manifests name, as `comparableData` makes them (values included: apply only reads them). */
  configMaps?: Map<string, string>;
  secrets?: Map<string, string>;
}

/** What decides whether a ConfigMap or Secret changed: its metadata, type, immutability, and every value, as bytes. */
export function comparableData(object: { labels?: Record<string, string> | undefined; annotations?: Record<string, string> | undefined; type?: string | undefined; immutable?: boolean | undefined; values: Map<string, Buffer>; binaryKeys?: string[] }): string {
  return canonical({
    labels: object.labels, annotations: object.annotations, type: object.type, immutable: object.immutable ?? false,
    values: Object.fromEntries([...object.values].map(([k, v]) => [k, v.toString('base64')])), binaryKeys: [...object.binaryKeys ?? []].sort(),
  });
}

const desiredData = (m: Manifest): string | undefined => {
  if (m.kind === 'ConfigMap') {
    const cm = m.configMap;
    return comparableData({ labels: cm.metadata.labels, annotations: cm.metadata.annotations, immutable: cm.immutable, values: new Map(configMapValues(cm)), binaryKeys: Object.keys(cm.binaryData ?? {}) });
  }
  if (m.kind === 'Secret') {
    const s = m.secret;
    return comparableData({ labels: s.metadata.labels, annotations: s.metadata.annotations, type: s.type, immutable: s.immutable, values: secretValues(s) });
  }
  return undefined;
};

/**
 * What a pod reads from the same apply: each ConfigMap and Secret it names, as a digest of its
 * contents (a digest, so no Secret value goes into the pod's annotation).
 */
function inputsOf(pod: Pod, namespace: string, desired: Manifest[]): string[] {
  const { configMaps, secrets } = referencedObjects(pod);
  return desired.flatMap((m) => {
    const wanted = (m.kind === 'ConfigMap' && configMaps.has(m.name)) || (m.kind === 'Secret' && secrets.has(m.name));
    if (!wanted || m.namespace !== namespace) return [];
    return [`${m.kind}/${m.name}:${createHash('sha256').update(desiredData(m)!).digest('hex')}`];
  }).sort();
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
    if (m.kind === 'ConfigMap' || m.kind === 'Secret') {
      const have = (m.kind === 'ConfigMap' ? current.configMaps : current.secrets)?.get(key(m.namespace, m.name));
      if (have === undefined) return { manifest: m, verb: 'created' };
      return have === desiredData(m) ? { manifest: m, verb: 'unchanged' } : { manifest: m, verb: 'replaced', why: `the ${m.kind}'s contents changed` };
    }
    if (m.kind === 'Service') {
      const have = current.services.get(key(m.namespace, m.name));
      if (!have) return { manifest: m, verb: 'created' };
      return comparable(have) === comparable(parseService(m.service)) ? { manifest: m, verb: 'unchanged' } : { manifest: m, verb: 'replaced', why: 'the service changed' };
    }
    const have = current.pods.get(key(m.namespace, m.name));
    if (!have) return { manifest: m, verb: 'created', digest: appliedDigest(m.pod, inputsOf(m.pod, m.namespace, desired)) };
    const digest = appliedDigest(m.pod, inputsOf(m.pod, m.namespace, desired));
    return have.applied === digest ? { manifest: m, verb: 'unchanged' } : { manifest: m, verb: 'replaced', why: 'the spec or what it reads changed', digest };
  });
}

/**
 * What apply compares: two list calls (pods and services) whatever the number of objects, and a
 * read of each ConfigMap and Secret the manifests name (their values are compared whole).
 */
export async function observeForApply(pods: Pods, desired: Manifest[] = [], signal?: AbortSignal): Promise<Current> {
  const [specs, services, data] = await Promise.all([
    pods.specs({ signal }),
    pods.serviceSpecs({ signal }),
    Promise.all(desired.filter((m) => m.kind === 'ConfigMap' || m.kind === 'Secret').map(async (m) => [m, await storedData(pods, m, signal)] as const)),
  ]);
  const current: Current = { pods: new Map(), services: new Map(), configMaps: new Map(), secrets: new Map() };
  for (const [m, stored] of data) if (stored !== undefined) (m.kind === 'ConfigMap' ? current.configMaps : current.secrets)!.set(key(m.namespace, m.name), stored);
  for (const p of specs) current.pods.set(key(p.namespace, p.name), { applied: lastApplied(p.spec) });
  for (const s of services) current.services.set(key(s.namespace ?? 'default', s.name), s);
  return current;
}

async function storedData(pods: Pods, m: Manifest, signal?: AbortSignal): Promise<string | undefined> {
  const scope = { namespace: m.namespace, signal };
  try {
    if (m.kind === 'ConfigMap') {
      const cm = await pods.getConfigMap(m.name, scope);
      const values = new Map([...Object.entries(cm.data ?? {}).map(([k, v]): [string, Buffer] => [k, Buffer.from(v, 'utf8')]), ...Object.entries(cm.binaryData ?? {}).map(([k, v]): [string, Buffer] => [k, Buffer.from(v, 'base64')])]);
      return comparableData({ labels: cm.metadata.labels, annotations: cm.metadata.annotations, immutable: cm.immutable, values, binaryKeys: Object.keys(cm.binaryData ?? {}) });
    }
    const secret = await pods.getSecret(m.name, { ...scope, reveal: true });
    const values = new Map(Object.entries(secret.data ?? {}).map(([k, v]): [string, Buffer] => [k, Buffer.from(v, 'base64')]));
    return comparableData({ labels: secret.metadata.labels, annotations: secret.metadata.annotations, type: secret.type, immutable: secret.immutable, values });
  } catch (err) {
    if (err instanceof PodError && err.kind === 'not-found') return undefined;
    throw err;
  }
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
 * Carries out a plan: ConfigMaps and Secrets, then services one by one (their aliases are synced
 * as each is made), then the pods at once (the runtime caps how many run together). A replaced
 * pod is deleted, with its own grace period, before its new spec is created.
 */
export async function executeApply(pods: Pods, actions: ApplyAction[], options: ApplyOptions = {}): Promise<void> {
  const { signal } = options;
  for (const action of actions) {
    const m = action.manifest;
    if (action.verb === 'unchanged') continue;
    if (m.kind === 'ConfigMap') await (action.verb === 'created' ? pods.createConfigMap(m.configMap, { signal }) : pods.replaceConfigMap(m.configMap, { signal }));
    else if (m.kind === 'Secret') await (action.verb === 'created' ? pods.createSecret(m.secret, { signal }) : pods.replaceSecret(m.secret, { signal }));
    else continue;
    options.onDone?.(action);
  }
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
    const annotations = { ...m.pod.metadata.annotations, [ANNOTATION_LAST_APPLIED]: action.digest ?? appliedDigest(m.pod) };
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
    const scope = { namespace: m.namespace, signal: options.signal };
    let deleted: Promise<void>;
    if (m.kind === 'Service') deleted = pods.deleteService(m.name, scope);
    else if (m.kind === 'ConfigMap') deleted = pods.deleteConfigMap(m.name, scope);
    else if (m.kind === 'Secret') deleted = pods.deleteSecret(m.name, scope);
    else continue;
    const found = await deleted.then(() => true, gone);
    options.onDone?.(m, found);
  }
}
