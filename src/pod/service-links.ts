import type { ServiceSpec } from './services.js';
import { DEFAULT_NAMESPACE } from './labels.js';

/**
 * The environment a kubelet gives every container for each service of the pod's namespace
 * (pkg/kubelet/envvars): `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT` (the first port) and
 * `<NAME>_SERVICE_PORT_<PORTNAME>`, then Docker's old link variables `<NAME>_PORT=tcp://host:port`
 * and, per port, `<NAME>_PORT_<port>_<PROTO>` with `_PROTO`, `_PORT` and `_ADDR`. Names are the
 * service's upper-cased with '-' as '_', as envvars.go makes them.
 *
 * Two differences, both because Podling's services have no virtual IP (every one is headless, its
 * name answering with its pods' addresses; Kubernetes gives headless services no variables at all):
 * - the host is the service's DNS name `NAME.NAMESPACE.svc.cluster.local`, which every pod
 *   resolves, where Kubernetes puts the cluster IP;
 * - the port is the one a client can connect to at that name: the numeric `targetPort` (with no
 *   proxy in between, `port` is never listened on), or `port` when the target is a container
 *   port's name (which each pod may map to another number).
 * Pure: the services were read once for the sync (execute.ts).
 */
export const envName = (service: string) => service.toUpperCase().replace(/-/g, '_');

export const serviceHost = (service: ServiceSpec) => `${service.name}.${service.namespace ?? DEFAULT_NAMESPACE}.svc.cluster.local`;

const reachablePort = (port: ServiceSpec['ports'][number]) => (typeof port.targetPort === 'number' ? port.targetPort : port.port);

/** The variables of one service, in envvars.go's order. */
export function serviceVariables(service: ServiceSpec): [string, string][] {
  const prefix = envName(service.name);
  const host = serviceHost(service);
  const [first] = service.ports;
  if (!first) return [];
  const vars: [string, string][] = [[`${prefix}_SERVICE_HOST`, host], [`${prefix}_SERVICE_PORT`, String(reachablePort(first))]];
  for (const port of service.ports) if (port.name) vars.push([`${prefix}_SERVICE_PORT_${envName(port.name)}`, String(reachablePort(port))]);
  service.ports.forEach((port, i) => {
    const number = reachablePort(port);
    const proto = port.protocol.toLowerCase();
    const url = `${proto}://${host}:${number}`;
    if (i === 0) vars.push([`${prefix}_PORT`, url]);
    const portPrefix = `${prefix}_PORT_${number}_${port.protocol}`;
    vars.push([portPrefix, url], [`${portPrefix}_PROTO`, proto], [`${portPrefix}_PORT`, String(number)], [`${portPrefix}_ADDR`, host]);
  });
  return vars;
}

/** Every service of the namespace, by name; a later variable of the same name replaces an earlier one. */
export function serviceLinks(services: ServiceSpec[], namespace: string): Map<string, string> {
  const links = new Map<string, string>();
  const mine = services.filter((s) => (s.namespace ?? DEFAULT_NAMESPACE) === namespace).sort((a, b) => a.name.localeCompare(b.name));
  for (const service of mine) for (const [name, value] of serviceVariables(service)) links.set(name, value);
  return links;
}

/**
 * The container's own variables first, then each service variable it does not define itself:
 * the user's environment wins, as in the kubelet's makeEnvironmentVariables.
 */
export function withServiceLinks(own: [string, string][], links: Map<string, string>): [string, string][] {
  const defined = new Set(own.map(([name]) => name));
  return [...own, ...[...links].filter(([name]) => !defined.has(name))];
}
