import { z } from 'zod';
import { FIELDS, objectNotices, tableShape, type FieldRule } from '../pod/fields.js';
import { objectMeta } from '../pod/spec.js';
import { ServicePortSpec, type ServiceInput } from '../pod/services.js';

/**
 * A Kubernetes Service manifest, checked against the field table (fields.ts) like a Pod: what
 * Podling's services do is in ServiceSpec (pod/services.ts); this is the manifest's shape and how
 * it becomes one.
 */
const NONE = 'only "None" (or leaving it out): every Podling service is headless, its name answers with its pods\' IPs';

const ServicePort = z.strictObject({ ...ServicePortSpec.shape, ...tableShape('ServicePort') });

export const ServiceManifest = z.strictObject({
  apiVersion: z.literal('v1', { error: 'a Service is apiVersion "v1"' }),
  kind: z.literal('Service'),
  metadata: objectMeta('service'),
  spec: z.strictObject({
    selector: z.record(z.string(), z.string(), { error: 'a service needs a selector: Podling keeps no hand-made endpoints' }),
    ports: z.array(ServicePort),
    type: z.literal('ClusterIP', { error: 'not supported: only ClusterIP; publish a pod\'s port with hostPort instead of a NodePort or LoadBalancer' }).optional(),
    clusterIP: z.literal('None', { error: NONE }).optional(),
    clusterIPs: z.array(z.literal('None', { error: NONE })).max(1, NONE).optional(),
    publishNotReadyAddresses: z.boolean().optional(),
    ...tableShape('ServiceSpec'),
  }),
  status: z.unknown().optional(),
});
export type ServiceManifest = z.infer<typeof ServiceManifest>;

/**
 * `service get -o yaml|json` prints the service's endpoints beside its spec (Podling computes them
 * when read; Kubernetes keeps them in an Endpoints object of their own). Like server-set metadata
 * and status, they are output, accepted and dropped on input, so what `get` prints applies again
 * unchanged. They stay at the top level, where `get -o json` has always had them; they are no
 * field of a Kubernetes Service, so ServiceManifest itself (the table's fields exactly) never
 * sees them, and `kube generate` leaves them out.
 */
export function withoutEndpoints(object: Record<string, unknown>): Record<string, unknown> {
  const { endpoints: _endpoints, ...service } = object;
  return service;
}

const NOTICE_SPEC_FIELDS = Object.entries(FIELDS.ServiceSpec as Record<string, FieldRule>).filter(([, r]) => r.group === 'notice').map(([f]) => f);

/** The service a manifest describes; notice fields and an explicit headless clusterIP are kept so it round-trips. */
export function serviceFromManifest(manifest: ServiceManifest): ServiceInput {
  const { spec, metadata } = manifest;
  const extra = Object.fromEntries(Object.entries(spec).filter(([field, value]) => value !== undefined && (NOTICE_SPEC_FIELDS.includes(field) || ['type', 'clusterIP', 'clusterIPs'].includes(field))));
  return {
    name: metadata.name,
    ...(metadata.namespace ? { namespace: metadata.namespace } : {}),
    ...(metadata.labels ? { labels: metadata.labels } : {}),
    ...(metadata.annotations ? { annotations: metadata.annotations } : {}),
    selector: spec.selector,
    ports: spec.ports.map(({ name, port, targetPort, protocol, appProtocol }) => ({ name, port, targetPort, protocol, appProtocol })),
    ...(spec.publishNotReadyAddresses !== undefined ? { publishNotReadyAddresses: spec.publishNotReadyAddresses } : {}),
    ...(Object.keys(extra).length ? { extra } : {}),
  };
}

/** One line per notice field the service sets (as podNotices does for pods). */
export function serviceNotices(manifest: ServiceManifest): string[] {
  return objectNotices(manifest, 'ServiceSpec');
}
