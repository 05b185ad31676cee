import type { ConfigMapObject } from '../pod/configmaps.js';
import type { PodObject } from '../pod/read.js';
import type { SecretObject } from '../pod/secrets.js';
import type { ServiceObject } from '../pod/services.js';

/**
 * Kubernetes manifests out (`podling kube generate`): an object as Podling reads it back becomes
 * one that `kubectl apply` accepts. Only what a user writes is kept: kind, apiVersion, metadata
 * (name, namespace, labels, annotations) and the spec; never status, nor what a server sets (uid,
 * creationTimestamp), nor Podling's own output beside the spec (a service's endpoints), which
 * Kubernetes' field validation would refuse as unknown fields.
 *
 * The spec is Podling's stored spec: the user's fields, with the defaults Podling filled in
 * written out (probe timings, protocol TCP, restartPolicy …). Those are Kubernetes' own defaults,
 * so the manifest means the same on a cluster.
 */
export interface GenerateOptions {
  /** Keep labels and annotations under `podling.io/` (the pod's address, apply's digest, isolation …). */
  keepPodling?: boolean;
}

export interface ObjectMeta { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> }
export interface GeneratedPod { apiVersion: 'v1'; kind: 'Pod'; metadata: ObjectMeta; spec: PodObject['spec'] }
export interface GeneratedService { apiVersion: 'v1'; kind: 'Service'; metadata: ObjectMeta; spec: ServiceObject['spec'] }
export interface GeneratedConfigMap { apiVersion: 'v1'; kind: 'ConfigMap'; metadata: ObjectMeta; data?: Record<string, string>; binaryData?: Record<string, string>; immutable?: boolean }
export interface GeneratedSecret { apiVersion: 'v1'; kind: 'Secret'; metadata: ObjectMeta; type: string; data: Record<string, string>; immutable?: boolean }
export type Generated = GeneratedPod | GeneratedService | GeneratedConfigMap | GeneratedSecret;

/** Podling's own keys: they mean something to Podling only, and a cluster's objects should not carry them. */
export const isPodlingKey = (key: string) => key.startsWith('podling.io/');

function kept(record: Record<string, string> | undefined, options: GenerateOptions): Record<string, string> | undefined {
  const entries = Object.entries(record ?? {}).filter(([key]) => options.keepPodling || !isPodlingKey(key));
  return entries.length ? Object.fromEntries(entries) : undefined;
}

function metadataOf(meta: ObjectMeta, options: GenerateOptions): ObjectMeta {
  const labels = kept(meta.labels, options);
  const annotations = kept(meta.annotations, options);
  return { name: meta.name, namespace: meta.namespace, ...(labels && { labels }), ...(annotations && { annotations }) };
}

/**
 * The value without its `undefined` fields, at any depth: the stored spec keeps optional fields
 * as undefined, which YAML leaves out anyway but a schema check of the object would see.
 */
export function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutUndefined) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, withoutUndefined(v)])) as T;
}

export function podManifest(pod: PodObject, options: GenerateOptions = {}): GeneratedPod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: metadataOf(pod.metadata, options), spec: withoutUndefined(pod.spec) };
}

/** A service's endpoints are computed from its pods when read: no field of a Service, so left out. */
export function serviceManifest(service: ServiceObject, options: GenerateOptions = {}): GeneratedService {
  return { apiVersion: 'v1', kind: 'Service', metadata: metadataOf(service.metadata, options), spec: withoutUndefined(service.spec) };
}

export function configMapManifest(cm: ConfigMapObject, options: GenerateOptions = {}): GeneratedConfigMap {
  return withoutUndefined({
    apiVersion: 'v1', kind: 'ConfigMap', metadata: metadataOf(cm.metadata, options),
    data: cm.data, binaryData: cm.binaryData, immutable: cm.immutable,
  });
}

/**
 * A Secret with its values (base64 `data`, as Kubernetes keeps them): it takes a Secret read with
 * its values, which the command does only for a Secret named on its command line.
 */
export function secretManifest(secret: SecretObject & { data: Record<string, string> }, options: GenerateOptions = {}): GeneratedSecret {
  return withoutUndefined({
    apiVersion: 'v1', kind: 'Secret', metadata: metadataOf(secret.metadata, options),
    type: secret.type, data: secret.data, immutable: secret.immutable,
  });
}
