import type { Engine } from '../engine/index.js';
import { isNotFound } from '../engine/errors.js';
import { readPods } from './read.js';
import { matches, type Requirement } from './selector.js';
import type { Pod } from './spec.js';
import { isIsolated } from './spec.js';

interface ServiceLike { name: string; selector: Record<string, string> }

const requirementsOf = (s: ServiceLike): Requirement[] => Object.entries(s.selector).map(([key, value]) => ({ key, op: '=', value }));

/** A pod's DNS names on the cluster network: its own name and every service that selects it. */
export function aliasesFor(pod: Pod, services: ServiceLike[]): string[] {
  return [pod.metadata.name, ...services.filter((s) => matches(requirementsOf(s), pod.metadata.labels)).map((s) => s.name)];
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
export async function syncAliases(engine: Engine, cluster: string, services: ServiceLike[]): Promise<void> {
  const pods = await readPods(engine);
  await Promise.all(pods.map(async (record) => {
    const infra = record.infra;
    if (!infra || !record.spec || isIsolated(record.spec) || infra.State !== 'running') return;
    if (!infra.NetworkSettings?.Networks?.[cluster]) return;
    try {
      const detail = await engine.containers.inspect(infra.Id);
      const endpoint = detail.NetworkSettings.Networks?.[cluster];
      if (!endpoint?.IPAddress) return;
      const want = aliasesFor(record.spec, services);
      // The engine adds the short container id to the aliases it reports; it is not ours to manage.
      const have = (endpoint.Aliases ?? []).filter((a) => a !== detail.Id.slice(0, 12));
      if (sameSet(want, have)) return;
      await engine.networks.disconnect(cluster, infra.Id, { force: true });
      await engine.networks.connect(cluster, infra.Id, { Aliases: want, IPAMConfig: { IPv4Address: endpoint.IPAddress } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }));
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

