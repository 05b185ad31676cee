import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { findOrCreateClusterNetwork, localHostRoutes, type RouteSource } from '../../src/pod/cluster.js';
import { PodError } from '../../src/pod/errors.js';
import { CANDIDATE_SUBNETS, engineIsLocal, freeCandidates, overlapping, parseCidr, parseRouteTable } from '../../src/pod/subnets.js';
import { mode, scenario, unit } from '../support/scenario.js';
import { sentDuring } from '../support/sent.js';

// The cluster network's subnet never overlaps a route of the engine's host or a network of the
// engine (issue 11: the newer engine silently made a second 10.211.0.0/16 beside the main one's).
const subnets = suite('pod/subnets');

unit(subnets, 'CIDRs: parsed to a base and a prefix; IPv6 and malformed ones are not ranges', () => {
  assert.equal(parseCidr('10.211.0.0/16'), { base: 10 * 2 ** 24 + 211 * 2 ** 16, bits: 16 });
  assert.equal(parseCidr('10.211.7.9/16'), parseCidr('10.211.0.0/16'), 'host bits are dropped');
  for (const bad of ['fd00::/64', '10.0.0.0', '10.0.0.0/33', '300.1.1.1/8', 'x']) assert.is(parseCidr(bad), undefined, bad);
});

unit(subnets, 'overlap: either range inside the other, or none', () => {
  const taken = [
    { cidr: '10.211.4.0/24', owner: 'inside' },
    { cidr: '10.0.0.0/8', owner: 'around' },
    { cidr: '10.212.0.0/16', owner: 'beside' },
    { cidr: 'fd00::/64', owner: 'v6' },
  ];
  assert.equal(overlapping('10.211.0.0/16', taken).map((t) => t.owner), ['inside', 'around']);
  assert.equal(overlapping('172.20.0.0/16', taken), []);
  assert.equal(overlapping('10.211.255.0/24', [{ cidr: '10.211.0.0/17', owner: 'low half' }]), []);
});

unit(subnets, 'candidates: 10.211.0.0/16 first, then upwards, each one overlapping something passed over', () => {
  assert.is(CANDIDATE_SUBNETS[0], '10.211.0.0/16');
  assert.equal(freeCandidates([]).slice(0, 2), ['10.211.0.0/16', '10.212.0.0/16']);
  const taken = [{ cidr: '10.211.0.0/16', owner: 'main engine' }, { cidr: '10.212.3.0/24', owner: 'a bridge' }];
  assert.is(freeCandidates(taken)[0], '10.213.0.0/16');
  assert.equal(freeCandidates([{ cidr: '10.0.0.0/8', owner: 'vpn' }]), []);
});

unit(subnets, '/proc/net/route: destinations with their interfaces; the default route left out, unreachable ones kept', () => {
  const table = [
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
    'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
    'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
    'podling-newer0\t0000C60A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
    '*\t0000C80A\t00000000\t0201\t0\t0\t0\t0000FFFF\t0\t0\t0',
    '',
  ].join('\n');
  assert.equal(parseRouteTable(table), [
    { cidr: '192.0.2.0/24', owner: 'a route of this host via eth0' },
    { cidr: '10.198.0.0/24', owner: 'a route of this host via podling-newer0' },
    { cidr: '10.200.0.0/16', owner: 'an unreachable route of this host' },
  ]);
  assert.equal(parseRouteTable('garbage\nnot a route'), []);
});

unit(subnets, 'host routes are the engine\'s only when the engine runs on this machine', () => {
  for (const local of ['/var/run/docker.sock', '127.0.0.1:2375', 'localhost:2376', '[::1]:2375']) assert.ok(engineIsLocal(local), local);
  for (const remote of ['10.0.0.5:2376', 'docker.example:2376', 'ssh://root@127.0.0.1:2222']) assert.not.ok(engineIsLocal(remote), remote);
});

const routes = (...cidrs: string[]): RouteSource => () => Promise.resolve(cidrs.map((cidr) => ({ cidr, owner: `a route of this host via test-${cidr}` })));

scenario(subnets, 'a given subnet that overlaps a route of the host is refused, naming the route, and no network is created', async ({ engine, name }) => {
  const cluster = { name: name('cluster'), subnet: '10.225.0.0/16' };
  let error: unknown;
  const sent = await sentDuring(async () => {
    error = await findOrCreateClusterNetwork(engine, cluster, routes('10.225.8.0/24')).catch((err: unknown) => err);
  });
  assert.instance(error, PodError);
  assert.is((error as PodError).kind, 'invalid');
  assert.match((error as Error).message, `cluster network ${cluster.name}: subnet 10.225.0.0/16 overlaps 10.225.8.0/24 (a route of this host via test-10.225.8.0/24)`);
  assert.equal(sent.filter((r) => r.method !== 'GET'), [], 'only looks (version, existing network); no create');
});

scenario(subnets, 'a given subnet that overlaps a network of the engine is refused, naming that network', async ({ engine, name, track }) => {
  const holder = track.network(name('holder'));
  await engine.networks.create({ Name: holder, IPAM: { Config: [{ Subnet: '10.226.1.0/24' }] } });
  const cluster = { name: name('cluster'), subnet: '10.226.0.0/16' };
  const error = await findOrCreateClusterNetwork(engine, cluster, routes()).catch((err: unknown) => err);
  assert.instance(error, PodError);
  assert.match((error as Error).message, `subnet 10.226.0.0/16 overlaps 10.226.1.0/24 (the engine's network ${holder})`);
  const left = await engine.networks.list({ filters: { name: [cluster.name] } });
  assert.equal(left.map((n) => n.Name), [], 'nothing half-made');
});

scenario(subnets, 'no subnet given: candidates overlapping a host route are skipped, one the engine has taken is passed over, the next free one is used', async ({ engine, name, track }) => {
  // Host routes cover 10.211-10.226; the engine holds 10.227.0.0/16: the cluster gets 10.228.0.0/16.
  const holder = track.network(name('holder'));
  await engine.networks.create({ Name: holder, IPAM: { Config: [{ Subnet: '10.227.0.0/16' }] } });
  const cluster = { name: track.network(name('cluster')) };
  const hosts = routes(...Array.from({ length: 16 }, (_, i) => `10.${211 + i}.0.0/16`));
  const sent = await sentDuring(async () => { assert.is(await findOrCreateClusterNetwork(engine, cluster, hosts), cluster.name); });
  const subnetsTried = sent.filter((r) => r.method === 'POST').map((r) => (JSON.parse(r.body) as { IPAM: { Config: Array<{ Subnet: string }> } }).IPAM.Config[0]!.Subnet);
  assert.equal(subnetsTried, ['10.227.0.0/16', '10.228.0.0/16']);
  const made = await engine.networks.inspect(cluster.name);
  assert.equal(made.IPAM?.Config?.map((c) => c.Subnet), ['10.228.0.0/16']);
  // Found, not made, the second time: nothing is created.
  const again = await sentDuring(async () => { await findOrCreateClusterNetwork(engine, cluster, hosts); });
  assert.equal(again.filter((r) => r.method !== 'GET'), []);
});

// This machine's real routes: what a user gets by default. The newer test engine's bridge
// (podling-newer0, 10.198.0.0/24, scripts/newer-engine.sh) is a route of this host that is no
// network of the main engine: the overlap the issue found. Live only: a replay runs on whatever
// machine, whose routes are not the recording's.
if (mode === 'live') {
  scenario(subnets, 'by default the routes of this machine count: a subnet over another engine\'s bridge is refused', async ({ engine, name }) => {
    assert.ok(engineIsLocal(engine.address));
    const bridge = (await localHostRoutes(engine)).find((r) => r.owner.endsWith('via podling-newer0'));
    assert.ok(bridge, 'scripts/newer-engine.sh made podling-newer0');
    const error = await findOrCreateClusterNetwork(engine, { name: name('cluster'), subnet: '10.198.0.0/16' }).catch((err: unknown) => err);
    assert.instance(error, PodError);
    assert.match((error as Error).message, 'overlaps 10.198.0.0/24 (a route of this host via podling-newer0)');
  });
}

subnets.run();
