import { createHash } from 'node:crypto';
import type { ConfigMapObject } from '../pod/configmaps.js';
import { referencedObjects } from '../pod/env-sources.js';
import type { Pods } from '../pod/index.js';
import type { SecretObject } from '../pod/secrets.js';
import { namespaceOf, type Pod } from '../pod/spec.js';
import type { ClusterNode } from './node.js';

/**
 * ConfigMaps and Secrets live on every node's engine, since a pod reads them from its own node.
 * A node that did not answer while one was written, replaced or deleted holds no copy, or an old
 * one, when it is back; a pod placed there would then fail, or run on old values. So before a pod
 * is made on a node, each object it names is brought there from the newest copy the other nodes
 * hold (a replace makes the object anew, so the newest copy is the last write). A copy the other
 * nodes lack is kept: "deleted elsewhere" and "written only here" look the same, and losing a
 * user's only copy is worse than keeping a stale one.
 */

/** One node's copy of an object: when it was made (ms since the epoch) and what it holds. */
export interface Copy { created: number; digest: string }

export type CopyDecision = { keep: true } | { write: number };

/** What the target node should do, given its copy and the others' (undefined: that node has none). */
export function decideCopy(target: Copy | undefined, others: Array<Copy | undefined>): CopyDecision {
  let newest = -1;
  others.forEach((copy, i) => {
    if (copy && (newest < 0 || copy.created > others[newest]!.created)) newest = i;
  });
  if (newest < 0) return { keep: true };
  const source = others[newest]!;
  if (target && (target.digest === source.digest || target.created >= source.created)) return { keep: true };
  return { write: newest };
}

export type Stored = ConfigMapObject | SecretObject;

/** What decides equality: the values, the type and immutability, the labels and annotations. */
function digestOf(object: Stored): string {
  const { metadata, ...rest } = object;
  return createHash('sha256').update(JSON.stringify(canonical({ labels: metadata.labels ?? {}, annotations: metadata.annotations ?? {}, ...rest }))).digest('hex');
}

const canonical = (value: unknown): unknown => (Array.isArray(value) ? value.map(canonical)
  : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, canonical(v)]))
    : value);

export interface Kind<T extends Stored> {
  read(pods: Pods, name: string, namespace: string, signal: AbortSignal): Promise<T>;
  remove(pods: Pods, name: string, namespace: string, signal?: AbortSignal): Promise<void>;
  write(pods: Pods, object: T, signal?: AbortSignal): Promise<unknown>;
}

const CONFIG_MAP: Kind<ConfigMapObject> = {
  read: (pods, name, namespace, signal) => pods.getConfigMap(name, { namespace, signal }),
  remove: (pods, name, namespace, signal) => pods.deleteConfigMap(name, { namespace, signal }),
  write: (pods, { metadata: { creationTimestamp: _, ...metadata }, ...rest }, signal) => pods.createConfigMap({ ...rest, metadata }, { signal }),
};

const SECRET: Kind<SecretObject> = {
  read: (pods, name, namespace, signal) => pods.getSecret(name, { namespace, reveal: true, signal }) as Promise<SecretObject>,
  remove: (pods, name, namespace, signal) => pods.deleteSecret(name, { namespace, signal }),
  write: (pods, { metadata: { creationTimestamp: _, ...metadata }, ...rest }, signal) => pods.createSecret({ ...rest, metadata }, { signal }),
};

/** A read of one node's copy: undefined when that node has none; an unreachable node throws. */
export type ReadCopies = <T extends Stored>(kind: Kind<T>, name: string, namespace: string) => Promise<Array<{ node: ClusterNode; copy?: T; error?: string }>>;

/**
 * Brings the pod's ConfigMaps and Secrets (env, envFrom, volumes, imagePullSecrets) on `node` in
 * line with the other nodes' newest copies, all of them at once (each is its own object). A node
 * that did not answer counts as having no say.
 */
export async function alignCopies(pod: Pod, node: ClusterNode, target: Pods, readCopies: ReadCopies, signal?: AbortSignal): Promise<void> {
  const { configMaps, secrets } = referencedObjects(pod);
  for (const ref of pod.spec.imagePullSecrets ?? []) secrets.add(ref.name);
  const namespace = namespaceOf(pod);
  const align = async <T extends Stored>(kind: Kind<T>, name: string) => {
    const answers = await readCopies(kind, name, namespace);
    const mine = answers.find((a) => a.node.name === node.name);
    if (!mine || mine.error !== undefined) return; // the target itself did not answer: the create will say so
    const others = answers.filter((a) => a.node.name !== node.name && a.error === undefined);
    const copy = (object?: T) => object && { created: Date.parse(object.metadata.creationTimestamp ?? '') || 0, digest: digestOf(object) };
    const decision = decideCopy(copy(mine.copy), others.map((a) => copy(a.copy)));
    if ('keep' in decision) return;
    if (mine.copy) await kind.remove(target, name, namespace, signal);
    await kind.write(target, others[decision.write]!.copy!, signal);
  };
  await Promise.all([...[...configMaps].map((name) => align(CONFIG_MAP, name)), ...[...secrets].map((name) => align(SECRET, name))]);
}
