import { networkInterfaces } from 'node:os';
import type { ContainerInspect, ContainerSummary } from '../engine/containers.js';
import type { Engine } from '../engine/index.js';
import { isNotFound } from '../engine/errors.js';
import { PodNotFoundError } from './errors.js';
import { ANNOTATION_POD_IP, DEFAULT_NAMESPACE, LABEL, isDeletingName, managedFilter, namespaceFrom, podNetworkName } from './labels.js';
import { namespaceOf, Pod } from './spec.js';
import { leaseHolder, type LeaseHolder } from './lease.js';
import { hasGatingProbes, probeFlags, readProbeStatus, type ProbeStatus } from './readiness.js';
import { attemptFrom, sandboxFrom } from './observe.js';
import { planPod } from './plan.js';
import { podCarriesSecret } from './env.js';
import { declaresMessage, readMessage } from './termination.js';
import { hasPostStart, readHooksInProgress, stillHooking } from './hook-progress.js';
import { containerStatus, phaseOf, viewFromInspect, viewFromSummary, type ContainerStatus, type ContainerView, type Phase, type Waiting } from './status.js';
import { activeSince, deadlineOf, phaseAfterDeadline } from './deadline.js';

/** A pod as found on the engine: its containers grouped by the pod-id label. */
export interface PodRecord {
  id: string;
  name: string;
  namespace: string;
  infra?: ContainerSummary;
  apps: ContainerSummary[];
  /** The spec stored on the infra container (or, when that is gone, on an app). */
  spec?: Pod;
  /** A delete has begun (its infra carries the mark, see deletingName): no agent brings it back. */
  deleting?: boolean;
}

/** Kubernetes-shaped, as `pod get -o json` prints it. */
export interface PodObject {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: { name: string; namespace: string; uid: string; labels?: Record<string, string>; annotations: Record<string, string>; creationTimestamp?: string };
  spec: Pod['spec'] | { containers: { name: string; image: string }[] };
  status: {
    phase: Phase; reason?: string; podIP?: string; podIPs?: { ip: string }[]; startTime?: string;
    /** From an exact read (`get`): whether an agent supervises the pod (`podling.io/Supervised`). */
    conditions?: PodCondition[];
    initContainerStatuses?: ContainerStatus[];
    containerStatuses: ContainerStatus[];
  };
}

export interface PodCondition { type: string; status: 'True' | 'False'; reason?: string; message?: string }

/**
 * Pods as their containers' labels describe them; `labels` narrows the list at the engine, and
 * `namespace` after it (pods in `default` carry no namespace label, see namespaceFrom).
 */
export async function readPods(engine: Engine, options: { signal?: AbortSignal; labels?: string[]; namespace?: string } = {}): Promise<PodRecord[]> {
  const containers = await engine.containers.list({ all: true, filters: managedFilter([LABEL.podId, ...(options.labels ?? [])]), signal: options.signal });
  const pods = new Map<string, PodRecord>();
  for (const c of containers) {
    const labels = c.Labels ?? {};
    const id = labels[LABEL.podId]!;
    if (options.namespace !== undefined && namespaceFrom(labels) !== options.namespace) continue;
    const record = pods.get(id) ?? { id, name: labels[LABEL.podName] ?? id, namespace: namespaceFrom(labels), apps: [] };
    if (labels[LABEL.role] === 'infra') {
      record.infra = c;
      record.spec = parseStoredSpec(labels[LABEL.spec]);
      record.deleting = c.Names.some(isDeletingName);
    } else {
      record.apps.push(c);
      // Apps carry the spec too: a pod whose infra was removed can still be read and rebuilt.
      record.spec ??= parseStoredSpec(labels[LABEL.spec]);
    }
    pods.set(id, record);
  }
  return [...pods.values()].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

function parseStoredSpec(json: string | undefined): Pod | undefined {
  if (!json) return undefined;
  try {
    return Pod.parse(JSON.parse(json));
  } catch {
    return undefined; // a label someone edited by hand: the pod still lists, without its spec
  }
}

/**
 * A pod by name in a namespace (`default` unless given), or by id in any; names win, as in
 * `kubectl`.
 */
export async function findPod(engine: Engine, ref: string, options: { signal?: AbortSignal; namespace?: string } = {}): Promise<PodRecord> {
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  // The engine filters by label, so the cost does not grow with the number of pods on it.
  const [byName, byId] = await Promise.all([
    readPods(engine, { signal: options.signal, labels: [`${LABEL.podName}=${ref}`], namespace }),
    readPods(engine, { signal: options.signal, labels: [`${LABEL.podId}=${ref}`] }),
  ]);
  const found = byName[0] ?? byId[0];
  if (!found) throw new PodNotFoundError(ref, namespace);
  return found;
}

const containerName = (c: ContainerSummary) => c.Labels?.[LABEL.container] ?? c.Names[0]?.replace(/^\//, '') ?? c.Id;

/** The pod object from list summaries alone: one engine call for any number of pods. */
export function summarize(record: PodRecord, probes?: ProbeStatus): PodObject {
  const infra = record.infra && viewFromSummary('infra', record.infra);
  const apps = record.apps.map((c) => viewFromSummary(containerName(c), c));
  return toObject(record, infra, apps, podAddress(record.infra?.NetworkSettings?.Networks, record.id, record.spec), record.infra && new Date(record.infra.Created * 1000).toISOString(), new Map(), probes);
}

/**
 * Pods from list summaries, with the probe results the agent keeps in the engine read for the
 * pods whose readiness depends on them (one archive read each; pods without such probes cost
 * nothing more).
 */
export async function summarizeAll(engine: Engine, records: PodRecord[], options: { signal?: AbortSignal } = {}): Promise<PodObject[]> {
  return Promise.all(records.map(async (r) => summarize(r, await probeStatusOf(engine, r, r.infra?.Id, options))));
}

function probeStatusOf(engine: Engine, record: PodRecord, infraId: string | undefined, options: { signal?: AbortSignal }): Promise<ProbeStatus | undefined> {
  if (!infraId || !record.spec || !hasGatingProbes(record.spec)) return Promise.resolve(undefined);
  return readProbeStatus(engine, infraId, options.signal);
}

/** The pod object from inspects: exact start/finish times, OOM kills and restart counts. */
export function describe(engine: Engine, record: PodRecord, options: { signal?: AbortSignal } = {}): Promise<PodObject> {
  return inspectPod(engine, record, record.infra?.Id, record.apps.map((c) => ({ name: containerName(c), id: c.Id })), options);
}

/** The same for a pod just created, from the ids its create returned: no list call. */
export function describeCreated(engine: Engine, pod: Pod, made: { id: string; infraId: string; appIds: Record<string, string>; initIds?: Record<string, string> }, options: { signal?: AbortSignal } = {}): Promise<PodObject> {
  const record: PodRecord = { id: made.id, name: pod.metadata.name, namespace: namespaceOf(pod), apps: [], spec: pod };
  const containers = { ...made.initIds, ...made.appIds };
  return inspectPod(engine, record, made.infraId, Object.entries(containers).map(([name, id]) => ({ name, id })), options);
}

async function inspectPod(engine: Engine, record: PodRecord, infraId: string | undefined, apps: { name: string; id: string }[], options: { signal?: AbortSignal }): Promise<PodObject> {
  const [supervisor, probes, infraDetail, ...appDetails] = await Promise.all([
    leaseHolder(engine, options),
    probeStatusOf(engine, record, infraId, options),
    infraId ? inspectOrNone(engine, infraId, options) : undefined,
    // A Secret's value may be in the apps' environment: marked, so a fixture recorder never keeps it.
    ...apps.map((a) => inspectOrNone(engine, a.id, { ...options, sensitive: podCarriesSecret(record.spec) })),
  ]);
  const infra = infraDetail && viewFromInspect('infra', infraDetail);
  const found = apps.flatMap((a, i) => { const d = appDetails[i]; return d ? [{ name: a.name, detail: d }] : []; });
  const views = await withHooks(engine, record.spec, infraId, await withMessages(engine, record.spec, infraId, found.map((a) => viewFromInspect(a.name, a.detail)), options), options);
  const ip = podAddress(infraDetail?.NetworkSettings.Networks, record.id, record.spec);
  // A list summary's Created is whole seconds: cut the inspect's the same way, so every read agrees.
  const created = infraDetail && new Date(Math.floor(Date.parse(infraDetail.Created) / 1000) * 1000).toISOString();
  const object = toObject(record, infra, views, ip, created, waitingOf(record, infraDetail, found.map((a) => a.detail)), probes);
  object.status.conditions = [...readinessConditions(object), supervised(supervisor)];
  return object;
}

/**
 * A running container whose postStart hook has not ended is still being created, as the kubelet
 * shows it (hook-progress.ts): one archive read, for pods with such hooks and a running container.
 */
async function withHooks(engine: Engine, spec: Pod | undefined, infraId: string | undefined, views: ContainerView[], options: { signal?: AbortSignal }): Promise<ContainerView[]> {
  if (!spec || !infraId || !hasPostStart(spec) || !views.some((v) => v.state === 'running')) return views;
  const hooking = stillHooking(await readHooksInProgress(engine, infraId, options.signal));
  return views.map((v) => (v.state === 'running' && hooking.has(v.id) ? { ...v, state: 'created' } : v));
}

/** Stopped containers' termination messages, for those that declared one (an archive read each). */
function withMessages(engine: Engine, spec: Pod | undefined, infraId: string | undefined, views: ContainerView[], options: { signal?: AbortSignal }): Promise<ContainerView[]> {
  const specs = [...spec?.spec.initContainers ?? [], ...spec?.spec.containers ?? []];
  return Promise.all(views.map(async (v) => {
    const container = specs.find((c) => c.name === v.name);
    if (!container || !declaresMessage(container) || (v.state !== 'exited' && v.state !== 'dead')) return v;
    const message = await readMessage(engine, { ...v, infraId }, container, options.signal);
    return message === undefined ? v : { ...v, message };
  }));
}

/** Kubernetes' Initialized, ContainersReady and Ready, from the statuses just made. */
function readinessConditions(pod: PodObject): PodCondition[] {
  const initialized = !pod.status.reason?.startsWith('Init:');
  const notReady = pod.status.containerStatuses.filter((c) => !c.ready).map((c) => c.name);
  const ready = initialized && pod.status.phase === 'Running' && pod.status.containerStatuses.length > 0 && !notReady.length;
  const why = notReady.length ? { reason: 'ContainersNotReady', message: `containers with unready status: [${notReady.join(' ')}]` } : {};
  return [
    { type: 'Initialized', status: initialized ? 'True' : 'False', ...(initialized ? {} : { reason: 'ContainersNotInitialized' }) },
    { type: 'ContainersReady', status: ready ? 'True' : 'False', ...(ready ? {} : why) },
    { type: 'Ready', status: ready ? 'True' : 'False', ...(ready ? {} : why) },
  ];
}

/** Whether the pod counts as ready (every container ready): what service endpoints and DNS take. */
export const isReady = (pod: PodObject) => pod.status.phase === 'Running' && pod.status.containerStatuses.length > 0 && pod.status.containerStatuses.every((c) => c.ready);

/** Whether an agent holds the engine's lease: without one, only the engine's own restart policies act. */
function supervised(holder: LeaseHolder | undefined): PodCondition {
  if (holder?.alive) return { type: 'podling.io/Supervised', status: 'True', reason: 'AgentRunning', message: `podling agent ${holder.holder} supervises this pod` };
  return {
    type: 'podling.io/Supervised', status: 'False', reason: holder ? 'AgentGone' : 'NoAgent',
    message: 'no podling agent supervises this pod: only the engine\'s own restart policies act (no back-off, no sandbox recreation); run `podling agent`',
  };
}

/**
 * Containers the restart back-off holds, as the plan (the agent's own decision) sees them now:
 * `pod get` from any process shows CrashLoopBackOff exactly when the agent is waiting.
 */
function waitingOf(record: PodRecord, infra: ContainerInspect | undefined, apps: ContainerInspect[]): Map<string, Waiting> {
  if (!record.spec) return new Map();
  const observed = { id: record.id, name: record.name, sandbox: infra && sandboxFrom(infra), attempts: apps.map(attemptFrom) };
  const { waiting } = planPod({ pod: record.spec, observed, now: Date.now() });
  return new Map(waiting.map((w) => [w.name, { reason: w.reason, message: `back-off ${w.delay / 1000}s restarting failed container ${w.name}` }]));
}

function inspectOrNone(engine: Engine, id: string, options: { signal?: AbortSignal; sensitive?: boolean }) {
  return engine.containers.inspect(id, options).catch((err) => { if (isNotFound(err)) return undefined; throw err; });
}

/**
 * The address other pods use to reach the pod: its cluster-network address when it joined one
 * (isolated pods did not), else its own network's; a hostNetwork pod has the host's.
 */
export function podAddress(networks: Record<string, { IPAddress?: string }> | null | undefined, podId: string, spec: Pod | undefined): string | undefined {
  if (spec?.spec.hostNetwork) return hostAddress();
  return addressOn(Object.fromEntries(Object.entries(networks ?? {}).map(([name, e]) => [name, e.IPAddress])), podId);
}

/** Of a pod's networks and its address on each: the cluster network's when it has one, else its own network's. */
export function addressOn(networks: Record<string, string | undefined>, podId: string): string | undefined {
  const own = podNetworkName(podId);
  return Object.entries(networks).find(([name, ip]) => name !== own && ip)?.[1] || networks[own] || undefined;
}

/** This machine's first external IPv4 address, skipping the engine's own bridges. */
export function hostAddress(): string | undefined {
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    if (/^(docker|br-|veth)/.test(name)) continue;
    const v4 = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (v4) return v4.address;
  }
  return '127.0.0.1';
}

function toObject(record: PodRecord, infra: ContainerView | undefined, views: ContainerView[], ip: string | undefined, creationTimestamp: string | undefined, waiting: Map<string, Waiting>, probes?: ProbeStatus): PodObject {
  const initSpecs = record.spec?.spec.initContainers ?? [];
  const order = [...initSpecs, ...record.spec?.spec.containers ?? []].map((c) => c.name);
  // Newest attempt first within each container, then containers in the spec's order.
  views.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name) || (b.attempt ?? 0) - (a.attempt ?? 0));
  const newest = views.filter((v, i) => views.findIndex((w) => w.name === v.name) === i);
  const initNames = new Set(initSpecs.map((c) => c.name));
  const apps = newest.filter((v) => !initNames.has(v.name) && !v.init);
  const inits = newest.filter((v) => initNames.has(v.name) || v.init);
  const previous = (v: ContainerView) => views.find((w) => w.name === v.name && (w.attempt ?? 0) < (v.attempt ?? 0));
  const specs = [...initSpecs, ...record.spec?.spec.containers ?? []];
  const flags = (v: ContainerView) => probeFlags(specs.find((c) => c.name === v.name), v.id, v.state === 'running', probes);
  const status = (v: ContainerView) => containerStatus(v, previous(v), waiting.get(v.name), flags(v));
  const policy = record.spec?.spec.restartPolicy;
  const expected = (record.spec?.spec.containers ?? []).length;
  const init = initProgress(initSpecs, inits, apps.length > 0, waiting, policy);
  const seen = init ?? phaseOf(infra, apps, expected, policy);
  const deadline = deadlineOf(record.spec?.spec.activeDeadlineSeconds, activeSince([infra, ...views].map((v) => (v?.startedAt ? Date.parse(v.startedAt) : undefined))));
  const { phase, reason } = phaseAfterDeadline(seen, deadline, Date.now(), newest.some((v) => v.state === 'running'));
  const podIP = ip || undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: record.name,
      namespace: record.namespace,
      uid: record.id,
      labels: record.spec?.metadata.labels,
      annotations: { ...record.spec?.metadata.annotations, ...(podIP ? { [ANNOTATION_POD_IP]: podIP } : {}) },
      creationTimestamp,
    },
    spec: record.spec?.spec ?? { containers: apps.map((a) => ({ name: a.name, image: a.image })) },
    status: {
      phase, reason, podIP, podIPs: podIP ? [{ ip: podIP }] : undefined,
      startTime: infra?.startedAt,
      ...(initSpecs.length ? { initContainerStatuses: inits.map(status) } : {}),
      containerStatuses: apps.map(status),
    },
  };
}

/**
 * While init containers run, the pod is Pending with kubectl's `Init:N/M` (N done of M), or
 * `Init:Error` / `Init:CrashLoopBackOff` when one failed; a failed one under Never fails the pod.
 * Undefined once the apps exist (the pod is initialized).
 */
function initProgress(specs: { name: string; restartPolicy?: string }[], views: ContainerView[], appsExist: boolean, waiting: Map<string, Waiting>, policy: string | undefined): { phase: Phase; reason: string } | undefined {
  if (!specs.length || appsExist) return undefined;
  let done = 0;
  for (const spec of specs) {
    const v = views.find((w) => w.name === spec.name);
    const sidecar = spec.restartPolicy === 'Always';
    if (v && ((sidecar && v.state === 'running') || (!sidecar && v.state === 'exited' && v.exitCode === 0))) {
      done++;
      continue;
    }
    if (v && v.state === 'exited' && v.exitCode !== 0) {
      if (policy === 'Never' && !sidecar) return { phase: 'Failed', reason: 'Init:Error' };
      return { phase: 'Pending', reason: waiting.has(spec.name) ? 'Init:CrashLoopBackOff' : 'Init:Error' };
    }
    break;
  }
  return { phase: 'Pending', reason: `Init:${done}/${specs.length}` };
}
