import { createHash } from 'node:crypto';
import type { Engine } from '../engine/index.js';
import { isConflict } from '../engine/errors.js';
import { PodError } from '../pod/errors.js';
import { LABEL } from '../pod/labels.js';
import { namespaceOf, type Pod } from '../pod/spec.js';

/**
 * Which node holds which pod, kept in the swarm: a config per pod (a small document the managers
 * replicate), carrying the node's name and the pod's spec. A node's own engine keeps the pod's
 * real state; this record is what survives that engine going away, so `pod list` can still name
 * the pods of a node that does not answer (Unknown), `node drain --force` can make them again
 * elsewhere, and a node that comes back can tell that a pod it still holds has moved. Its name is
 * derived from the pod's namespace and name, so the swarm itself refuses a second pod of the same
 * name on another node.
 */

export const RECORD_TYPE = 'pod-record';
export const NODE_LABEL = 'podling.io/node';

export interface PodPlacement {
  id: string;
  name: string;
  namespace: string;
  node: string;
  pod: Pod;
}

/** `podling-pod.<hash>`: swarm names are at most 64 characters, pod names and namespaces 63 each. */
export function recordName(name: string, namespace: string): string {
  return `podling-pod.${createHash('sha256').update(`${namespace}/${name}`).digest('hex').slice(0, 40)}`;
}

/** Records the pod on its node before it is made there; a pod of that name anywhere in the swarm is a conflict. */
export async function writeRecord(manager: Engine, pod: Pod, node: string, options: { signal?: AbortSignal } = {}): Promise<string> {
  const namespace = namespaceOf(pod);
  try {
    return await manager.configs.create({
      Name: recordName(pod.metadata.name, namespace),
      Labels: { [LABEL.managed]: 'true', [LABEL.type]: RECORD_TYPE, [LABEL.podName]: pod.metadata.name, [LABEL.namespace]: namespace, [NODE_LABEL]: node },
      Data: Buffer.from(JSON.stringify({ node, pod })).toString('base64'),
    }, options);
  } catch (err) {
    if (!isConflict(err)) throw err;
    const [held] = await readRecords(manager, { name: pod.metadata.name, namespace }, options);
    throw new PodError('already-exists', `pod "${pod.metadata.name}" already exists${held ? ` on node ${held.node}` : ''} (pod names are unique across the cluster)`, { cause: err });
  }
}

export async function readRecords(manager: Engine, filter: { node?: string; name?: string; namespace?: string } = {}, options: { signal?: AbortSignal } = {}): Promise<PodPlacement[]> {
  const label = [`${LABEL.type}=${RECORD_TYPE}`];
  if (filter.node) label.push(`${NODE_LABEL}=${filter.node}`);
  if (filter.name) label.push(`${LABEL.podName}=${filter.name}`);
  if (filter.namespace) label.push(`${LABEL.namespace}=${filter.namespace}`);
  const configs = await manager.configs.list({ filters: { label }, ...options });
  return configs.flatMap((c) => {
    try {
      const data = JSON.parse(Buffer.from(c.Spec.Data ?? '', 'base64').toString('utf8')) as { node: string; pod: Pod };
      return [{ id: c.ID, name: data.pod.metadata.name, namespace: namespaceOf(data.pod), node: data.node, pod: data.pod }];
    } catch {
      return []; // not ours to read: a config someone else labelled so
    }
  });
}

export async function removeRecord(manager: Engine, record: { id: string }, options: { signal?: AbortSignal } = {}): Promise<void> {
  await manager.configs.remove(record.id, options).catch((err: unknown) => {
    if ((err as { kind?: string }).kind !== 'not-found') throw err;
  });
}
