import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dnsSettings, podNames, serviceNames, type DnsFields } from '../../src/pod/dns.js';
import { parsePod } from '../../src/pod/index.js';

// A pod's names and resolver, as decided from its spec alone (no engine).
const dns = suite('pod/dns');

const pod = (spec: Partial<DnsFields['spec']> = {}, name = 'web'): DnsFields => ({ metadata: { name }, spec });
const CLUSTER_SEARCH = (ns: string) => [`${ns}.svc.cluster.local`, 'svc.cluster.local', 'cluster.local'];

const CASES: Array<[string, DnsFields, string, ReturnType<typeof dnsSettings>]> = [
  ['ClusterFirst (the default): the namespace\'s search list, ndots:1, the pod name as hostname', pod(), 'shop',
    { DnsSearch: CLUSTER_SEARCH('shop'), DnsOptions: ['ndots:1'], Hostname: 'web' }],
  ['dnsConfig adds nameservers and searches, and its options override by name', pod({ dnsConfig: { nameservers: ['10.0.0.10'], searches: ['corp.example', 'svc.cluster.local'], options: [{ name: 'ndots', value: '3' }, { name: 'edns0' }] } }), 'default',
    { Dns: ['10.0.0.10'], DnsSearch: [...CLUSTER_SEARCH('default'), 'corp.example'], DnsOptions: ['ndots:3', 'edns0'], Hostname: 'web' }],
  ['Default: the engine\'s resolver, no cluster search list', pod({ dnsPolicy: 'Default' }), 'shop', { Hostname: 'web' }],
  ['None: dnsConfig alone', pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['10.0.0.10'], searches: ['a.example'] } }), 'shop',
    { Dns: ['10.0.0.10'], DnsSearch: ['a.example'], Hostname: 'web' }],
  ['hostNetwork under ClusterFirst gets Default, and no hostname of its own', pod({ hostNetwork: true }), 'shop', {}],
  ['ClusterFirstWithHostNet on an ordinary pod is ClusterFirst', pod({ dnsPolicy: 'ClusterFirstWithHostNet' }), 'shop',
    { DnsSearch: CLUSTER_SEARCH('shop'), DnsOptions: ['ndots:1'], Hostname: 'web' }],
  ['hostAliases become one /etc/hosts entry per hostname', pod({ dnsPolicy: 'Default', hostAliases: [{ ip: '10.1.2.3', hostnames: ['a', 'b.example'] }, { ip: '::1', hostnames: ['c'] }] }), 'shop',
    { ExtraHosts: ['a:10.1.2.3', 'b.example:10.1.2.3', 'c:::1'], Hostname: 'web' }],
  ['hostname and subdomain: the domain is SUBDOMAIN.NAMESPACE.svc.cluster.local', pod({ dnsPolicy: 'Default', hostname: 'box', subdomain: 'grp' }), 'shop',
    { Hostname: 'box', Domainname: 'grp.shop.svc.cluster.local' }],
  ['setHostnameAsFQDN puts the whole name in the hostname', pod({ dnsPolicy: 'Default', subdomain: 'grp', setHostnameAsFQDN: true }), 'shop',
    { Hostname: 'web.grp.shop.svc.cluster.local' }],
];

for (const [what, input, namespace, want] of CASES) {
  dns(what, () => assert.equal(dnsSettings(input, namespace), want));
}

dns('a service answers as NAME.NAMESPACE, .svc and .svc.cluster.local', () => {
  assert.equal(serviceNames('api', 'shop'), ['api.shop', 'api.shop.svc', 'api.shop.svc.cluster.local']);
});

dns('a pod answers by its name in its namespace, and as HOSTNAME.SUBDOMAIN when it has a subdomain', () => {
  assert.equal(podNames(pod(), 'shop'), ['web.shop', 'web.shop.svc.cluster.local']);
  assert.equal(podNames(pod({ hostname: 'box', subdomain: 'grp' }), 'shop'), ['web.shop', 'web.shop.svc.cluster.local', 'box.grp.shop', 'box.grp.shop.svc.cluster.local']);
});

const BAD: Array<[string, Record<string, unknown>, string]> = [
  ['dnsPolicy None without a nameserver', { dnsPolicy: 'None' }, 'spec.dnsConfig.nameservers: dnsPolicy None needs at least one nameserver in dnsConfig'],
  ['ClusterFirstWithHostNet on a hostNetwork pod', { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }, 'spec.dnsPolicy: ClusterFirstWithHostNet is not supported: the engine answers cluster names only on its own networks, which a hostNetwork pod is not on'],
  ['an unknown dnsPolicy', { dnsPolicy: 'Cluster' }, 'spec.dnsPolicy: must be one of ClusterFirst, ClusterFirstWithHostNet, Default, None'],
  ['four nameservers', { dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4'] } }, 'spec.dnsConfig.nameservers: at most 3 nameservers (the resolver reads no more)'],
  ['a host alias with no IP address', { hostAliases: [{ ip: 'localhost', hostnames: ['x'] }] }, 'spec.hostAliases.0.ip: must be an IPv4 or IPv6 address'],
  ['a subdomain that is no DNS label', { subdomain: 'Grp_1' }, 'spec.subdomain: subdomain must be a DNS label'],
  ['a subdomain on a hostNetwork pod', { hostNetwork: true, subdomain: 'grp' }, 'spec.subdomain: a hostNetwork pod uses the host\'s hostname'],
];

for (const [what, spec, problem] of BAD) {
  dns(`${what} is one problem naming the field`, () => {
    try {
      parsePod({ metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'x:1' }], ...spec } });
      assert.unreachable('accepted');
    } catch (err) {
      assert.equal((err as { problems?: string[] }).problems, [problem]);
    }
  });
}

dns('a namespace that is no DNS label is refused', () => {
  try {
    parsePod({ metadata: { name: 'p', namespace: 'Shop_1' }, spec: { containers: [{ name: 'a', image: 'x:1' }] } });
    assert.unreachable('accepted');
  } catch (err) {
    assert.match((err as { problems: string[] }).problems[0]!, /^metadata\.namespace: namespace must be a DNS label/);
  }
});

dns.run();
