import type { EndpointSettings } from '../engine/container-spec.js';
import type { Engine, EngineFlavour } from '../engine/index.js';
import { isNotFound } from '../engine/errors.js';
import { podNames, serviceNames } from './dns.js';
import { DEFAULT_NAMESPACE, LABEL } from './labels.js';
import { isReady, readPods, summarize, type PodRecord } from './read.js';
import { hasGatingProbes, readProbeStatus } from './readiness.js';
import { matches, type Requirement } from './selector.js';
import type { Pod } from './spec.js';
import { isIsolated, namespaceOf } from './spec.js';

interface ServiceLike { name: string; namespace?: string | undefined; selector: Record<string, string>; publishNotReadyAddresses?: boolean | undefined }

const requirementsOf = (s: ServiceLike): Requirement[] => Object.entries(s.selector).map(([key, value]) => ({ key, op: '=', value }));

/**
 * A pod's DNS names on the cluster network: its own names (see dns.ts), and those of every service
 * of its namespace that selects it while the pod is ready (a pod whose readiness is probed starts
 * unready: only its own names).
 */
export function aliasesFor(pod: Pod, services: ServiceLike[], ready = !hasGatingProbes(pod)): string[] {
  const namespace = namespaceOf(pod);
  const selecting = services.filter((s) => (ready || s.publishNotReadyAddresses) && (s.namespace ?? DEFAULT_NAMESPACE) === namespace && matches(requirementsOf(s), pod.metadata.labels));
  return [...podNames(pod, namespace), ...selecting.flatMap((s) => serviceNames(s.name, namespace))];
}

/**
 * Brings every pod's cluster-network aliases in line with the services. The engine sets aliases
 * only when a container connects, so a pod whose names change is disconnected and reconnected
 * with the same IPv4 address: its address, and its other connections, stay as they were.
 *
 * Only pods the list shows on this cluster network are inspected (the list's endpoints carry no
 * aliases): pods on another cluster, isolated or elsewhere are not ours to touch, and a pod that
 * goes away meanwhile (another process deleting it) is skipped, not a failure of the sync.
 */
export async function syncAliases(engine: Engine, cluster: string, services: ServiceLike[], options: { podId?: string; signal?: AbortSignal } = {}): Promise<void> {
  const pods = await readPods(engine, { labels: options.podId ? [`${LABEL.podId}=${options.podId}`] : [], signal: options.signal });
  await Promise.all(pods.map(async (record) => {
    const infra = record.infra;
    if (!infra || !record.spec || isIsolated(record.spec) || infra.State !== 'running') return;
    if (!infra.NetworkSettings?.Networks?.[cluster]) return;
    try {
      const detail = await engine.containers.inspect(infra.Id);
      const endpoint = detail.NetworkSettings.Networks?.[cluster];
      if (!endpoint?.IPAddress) return;
      const want = aliasesFor(record.spec, services, await readyForServices(engine, record, options.signal));
      // The engine adds the short container id and the hostname to the aliases it reports; they
      // are not ours to manage (and comparing with them would reconnect the pod on every sync).
      const added = new Set([detail.Id.slice(0, 12), detail.Config.Hostname]);
      const have = (endpoint.Aliases ?? []).filter((a) => !added.has(a));
      if (sameSet(want, have)) return;
      const settings = reconnectSettings(want, endpoint, await engine.flavour());
      await engine.networks.disconnect(cluster, infra.Id, { force: true });
      await engine.networks.connect(cluster, infra.Id, settings);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }));
}

/**
 * What the pod reconnects with: its new aliases, and its address as it was. On Podman also its MAC
 * address as it was: netavark draws a new random one at every connect, and the other pods' ARP
 * caches keep the old one (still REACHABLE after 25 s of retries, measured with `ip neigh`), so
 * nothing reached the pod by address after a reconnect. dockerd derives the MAC from the address,
 * so the same address is the same MAC there, and before API 1.44 it ignores the field anyway.
 */
export function reconnectSettings(aliases: string[], endpoint: { IPAddress?: string | undefined; MacAddress?: string | undefined }, flavour: EngineFlavour): EndpointSettings {
  return {
    Aliases: aliases,
    IPAMConfig: { IPv4Address: endpoint.IPAddress },
    ...(flavour === 'podman' && endpoint.MacAddress ? { MacAddress: endpoint.MacAddress } : {}),
  };
}

/** Ready as service endpoints take it: a pod whose readiness is probed by what the agent found. */
async function readyForServices(engine: Engine, record: PodRecord, signal?: AbortSignal): Promise<boolean> {
  if (!record.spec || !hasGatingProbes(record.spec) || !record.infra) return true;
  return isReady(summarize(record, await readProbeStatus(engine, record.infra.Id, signal)));
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

