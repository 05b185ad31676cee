import type { ContainerSummary } from '../engine/containers.js';
import type { Engine } from '../engine/index.js';
import { isNotFound } from '../engine/errors.js';
import { PodNotFoundError } from './errors.js';
import { ANNOTATION_POD_IP, LABEL, managedFilter, podNetworkName } from './labels.js';
import { Pod } from './spec.js';
import { containerStatus, phaseOf, viewFromInspect, viewFromSummary, type ContainerStatus, type ContainerView, type Phase } from './status.js';

/** A pod as found on the engine: its containers grouped by the pod-id label. */
export interface PodRecord {
  id: string;
  name: string;
  infra?: ContainerSummary;
  apps: ContainerSummary[];
  /** The spec stored on the infra container; absent when the infra is gone. */
  spec?: Pod;
}

/** Kubernetes-shaped, as `pod get -o json` prints it. */
export interface PodObject {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: { name: string; uid: string; labels?: Record<string, string>; annotations: Record<string, string>; creationTimestamp?: string };
  spec: Pod['spec'] | { containers: { name: string; image: string }[] };
  status: { phase: Phase; reason?: string; podIP?: string; podIPs?: { ip: string }[]; startTime?: string; containerStatuses: ContainerStatus[] };
}

export async function readPods(engine: Engine, options: { signal?: AbortSignal } = {}): Promise<PodRecord[]> {
  const containers = await engine.containers.list({ all: true, filters: managedFilter([LABEL.podId]), signal: options.signal });
  const pods = new Map<string, PodRecord>();
  for (const c of containers) {
    const labels = c.Labels ?? {};
    const id = labels[LABEL.podId]!;
    const record = pods.get(id) ?? { id, name: labels[LABEL.podName] ?? id, apps: [] };
    if (labels[LABEL.role] === 'infra') {
      record.infra = c;
      record.spec = parseStoredSpec(labels[LABEL.spec]);
    } else {
      record.apps.push(c);
    }
    pods.set(id, record);
  }
  return [...pods.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

function parseStoredSpec(json: string | undefined): Pod | undefined {
  if (!json) return undefined;
  try {
    return Pod.parse(JSON.parse(json));
  } catch {
    return undefined; // a label someone edited by hand: the pod still lists, without its spec
  }
}

/** A pod by name or id; names win, as in `kubectl`. */
export async function findPod(engine: Engine, ref: string, options: { signal?: AbortSignal } = {}): Promise<PodRecord> {
  const pods = await readPods(engine, options);
  const found = pods.find((p) => p.name === ref) ?? pods.find((p) => p.id === ref);
  if (!found) throw new PodNotFoundError(ref);
  return found;
}

const containerName = (c: ContainerSummary) => c.Labels?.[LABEL.container] ?? c.Names[0]?.replace(/^\//, '') ?? c.Id;

/** The pod object from list summaries alone: one engine call for any number of pods. */
export function summarize(record: PodRecord): PodObject {
  const infra = record.infra && viewFromSummary('infra', record.infra);
  const apps = record.apps.map((c) => viewFromSummary(containerName(c), c));
  return toObject(record, infra, apps, record.infra?.NetworkSettings?.Networks?.[podNetworkName(record.id)]?.IPAddress);
}

/** The pod object from inspects: exact start/finish times, OOM kills and restart counts. */
export async function describe(engine: Engine, record: PodRecord, options: { signal?: AbortSignal } = {}): Promise<PodObject> {
  const inspect = (id: string) => engine.containers.inspect(id, options).catch((err) => { if (isNotFound(err)) return undefined; throw err; });
  const [infraDetail, ...appDetails] = await Promise.all([record.infra ? inspect(record.infra.Id) : undefined, ...record.apps.map((c) => inspect(c.Id))]);
  const infra = infraDetail && viewFromInspect('infra', infraDetail);
  const apps: ContainerView[] = [];
  record.apps.forEach((c, i) => { const d = appDetails[i]; if (d) apps.push(viewFromInspect(containerName(c), d)); });
  const ip = infraDetail?.NetworkSettings.Networks?.[podNetworkName(record.id)]?.IPAddress;
  return toObject(record, infra, apps, ip);
}

function toObject(record: PodRecord, infra: ContainerView | undefined, apps: ContainerView[], ip: string | undefined): PodObject {
  const order = record.spec?.spec.containers.map((c) => c.name) ?? [];
  apps.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  const { phase, reason } = phaseOf(infra, apps, order.length);
  const podIP = ip || undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: record.name,
      uid: record.id,
      labels: record.spec?.metadata.labels,
      annotations: { ...record.spec?.metadata.annotations, ...(podIP ? { [ANNOTATION_POD_IP]: podIP } : {}) },
      creationTimestamp: record.infra ? new Date(record.infra.Created * 1000).toISOString() : undefined,
    },
    spec: record.spec?.spec ?? { containers: apps.map((a) => ({ name: a.name, image: a.image })) },
    status: {
      phase, reason, podIP, podIPs: podIP ? [{ ip: podIP }] : undefined,
      startTime: infra?.startedAt, containerStatuses: apps.map(containerStatus),
    },
  };
}
