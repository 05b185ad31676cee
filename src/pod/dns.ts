import { z } from 'zod';

/**
 * A pod's names and resolver, as a kubelet with cluster DNS makes them, on Docker's embedded DNS.
 * Docker resolves a container's network aliases and nothing else, so every name Kubernetes' DNS
 * would answer is an alias on the cluster network, and the resolver's search list turns a short
 * name into one of them: `web` inside namespace `shop` is tried as `web.shop.svc.cluster.local`.
 */
export const CLUSTER_DOMAIN = 'cluster.local';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const ip = z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' });

export const HostAlias = z.strictObject({
  ip,
  hostnames: z.array(z.string().regex(DNS_SUBDOMAIN, 'must be a DNS name')).min(1, 'needs at least one hostname'),
});

// Kubernetes' limits: the resolver reads at most 3 nameservers, and the search list is capped.
export const PodDNSConfig = z.strictObject({
  nameservers: z.array(ip).max(3, 'at most 3 nameservers (the resolver reads no more)').optional(),
  searches: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\.?$/, 'must be a DNS name')).max(32, 'at most 32 search domains').optional(),
  options: z.array(z.strictObject({ name: z.string().min(1, 'an option needs a name').regex(/^[^\s:]+$/, 'must not contain spaces or \':\''), value: z.string().optional() })).optional(),
});
export type PodDNSConfig = z.infer<typeof PodDNSConfig>;

export const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'] as const;
export type DNSPolicy = (typeof DNS_POLICIES)[number];

/** The pod fields this module reads. */
export interface DnsFields {
  metadata: { name: string };
  spec: {
    hostname?: string | undefined; subdomain?: string | undefined; setHostnameAsFQDN?: boolean | undefined;
    hostNetwork?: boolean | undefined; dnsPolicy?: DNSPolicy | undefined; dnsConfig?: PodDNSConfig | undefined;
    hostAliases?: { ip: string; hostnames: string[] }[] | undefined;
  };
}

/** Checks across the DNS fields, with Kubernetes' messages' meaning. */
export function checkDns(spec: DnsFields['spec'], ctx: z.RefinementCtx) {
  if (spec.dnsPolicy === 'None' && !spec.dnsConfig?.nameservers?.length) {
    ctx.addIssue({ code: 'custom', path: ['dnsConfig', 'nameservers'], message: 'dnsPolicy None needs at least one nameserver in dnsConfig' });
  }
  if (spec.hostNetwork && spec.dnsPolicy === 'ClusterFirstWithHostNet') {
    ctx.addIssue({ code: 'custom', path: ['dnsPolicy'], message: 'ClusterFirstWithHostNet is not supported: the engine answers cluster names only on its own networks, which a hostNetwork pod is not on' });
  }
  if (spec.subdomain !== undefined && !DNS_LABEL.test(spec.subdomain)) {
    ctx.addIssue({ code: 'custom', path: ['subdomain'], message: 'subdomain must be a DNS label' });
  }
  if (spec.hostNetwork && (spec.subdomain || spec.setHostnameAsFQDN)) {
    ctx.addIssue({ code: 'custom', path: [spec.subdomain ? 'subdomain' : 'setHostnameAsFQDN'], message: 'a hostNetwork pod uses the host\'s hostname' });
  }
}

/** `NAME.NAMESPACE.svc.cluster.local` and the shorter forms that reach it from any namespace. */
export function serviceNames(name: string, namespace: string): string[] {
  return [`${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.${CLUSTER_DOMAIN}`];
}

/**
 * A pod's names on the cluster network: its own name in its namespace (Podling's addition: pods
 * reach each other by name), and `HOSTNAME.SUBDOMAIN.NAMESPACE.svc.cluster.local` when it has a
 * subdomain, as Kubernetes gives it under a headless service of that name.
 */
export function podNames(pod: DnsFields, namespace: string): string[] {
  const names = [`${pod.metadata.name}.${namespace}`, `${pod.metadata.name}.${namespace}.svc.${CLUSTER_DOMAIN}`];
  if (pod.spec.subdomain) {
    const host = pod.spec.hostname ?? pod.metadata.name;
    names.push(`${host}.${pod.spec.subdomain}.${namespace}`, `${host}.${pod.spec.subdomain}.${namespace}.svc.${CLUSTER_DOMAIN}`);
  }
  return names;
}

/** The container-spec fields of the pod's UTS and resolver, for its infra (apps share its hosts and resolv.conf). */
export interface DnsSettings {
  Hostname?: string;
  Domainname?: string;
  Dns?: string[];
  DnsSearch?: string[];
  DnsOptions?: string[];
  ExtraHosts?: string[];
}

/**
 * The kubelet's resolv.conf for each dnsPolicy: ClusterFirst searches the namespace's service
 * domain first; Default is the node's resolver (here: the engine's own); None is dnsConfig alone.
 * dnsConfig's searches are appended and its options override by name. A hostNetwork pod under
 * ClusterFirst gets Default, as in Kubernetes.
 *
 * ClusterFirst sets ndots:1 where the kubelet sets ndots:5. Cluster DNS answers a miss inside
 * cluster.local at once; Docker's DNS forwards every name it has no alias for to the host's
 * resolvers, so with ndots:5 `web.shop` would first be asked as `web.shop.<ns>.svc.cluster.local`
 * outside the machine (and wait out that query's timeout). With ndots:1 a short name (`web`)
 * still goes through the search list, and a dotted one (`web.shop`, `web.shop.svc.cluster.local`)
 * is asked as written, which is an alias.
 */
export function dnsSettings(pod: DnsFields, namespace: string): DnsSettings {
  const { spec } = pod;
  const policy = spec.dnsPolicy ?? 'ClusterFirst';
  const cluster = (policy === 'ClusterFirst' && !spec.hostNetwork) || policy === 'ClusterFirstWithHostNet';
  const search = cluster ? [`${namespace}.svc.${CLUSTER_DOMAIN}`, `svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN] : [];
  const options = new Map<string, string | undefined>(cluster ? [['ndots', '1']] : []);
  for (const s of spec.dnsConfig?.searches ?? []) if (!search.includes(s)) search.push(s);
  for (const o of spec.dnsConfig?.options ?? []) options.set(o.name, o.value);
  const settings: DnsSettings = {};
  if (spec.dnsConfig?.nameservers?.length) settings.Dns = spec.dnsConfig.nameservers;
  if (search.length) settings.DnsSearch = search;
  if (options.size) settings.DnsOptions = [...options].map(([name, value]) => (value === undefined ? name : `${name}:${value}`));
  if (spec.hostAliases?.length) settings.ExtraHosts = spec.hostAliases.flatMap((a) => a.hostnames.map((h) => `${h}:${a.ip}`));
  if (spec.hostNetwork) return settings;
  const host = spec.hostname ?? pod.metadata.name;
  const domain = spec.subdomain ? `${spec.subdomain}.${namespace}.svc.${CLUSTER_DOMAIN}` : undefined;
  if (spec.setHostnameAsFQDN && domain) return { ...settings, Hostname: `${host}.${domain}` };
  return { ...settings, Hostname: host, ...(domain ? { Domainname: domain } : {}) };
}
