import { execFile } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isEngineError } from '../../src/engine/errors.js';
import type { Engine } from '../../src/engine/index.js';
import { eventually } from '../support/agent.js';
import { engineFailure } from '../support/assertions.js';
import { bedScenario, inNode, parseNodesEnv, type BedContext, type BedNode } from '../support/nodes.js';
import { unit } from '../support/scenario.js';

// The multi-node test bed itself (scripts/nodes.sh, docs/test-bed.md), checked through Podling's
// client: three engines, one swarm, an attachable overlay that carries standalone containers from
// node to node, and no way out of the namespaces. Live-only: it needs the bed's own engines
// (`make nodes`), not the main engine fixtures are recorded on; without the bed it is skipped
// saying so (a failure under PODLING_REQUIRE_ENGINE=1). Every request to a node or pod address
// starts inside a node's namespace (inNode) or a container (exec), never in the host's.
const bed = suite('nodes/bed');

const IMAGE = 'podling-test/busybox:latest';
const LABELS = { 'podling.io/managed': 'true', 'podling.io/test': 'true' };

/** The host's answer for a route to `address`: the lookup sends nothing. */
function hostRoute(address: string): Promise<{ ok: boolean; text: string }> {
  return new Promise((resolve) => {
    execFile('ip', ['route', 'get', address], { encoding: 'utf8' }, (err, stdout, stderr) => resolve({ ok: !err, text: `${stdout}${stderr}`.trim() }));
  });
}

// ------------------------------------------------------------------ nodes.env (no engine)

const ENV = [
  '# Written by scripts/nodes.sh',
  'PODLING_NODES=node1,node2',
  'PODLING_NODES_MANAGER=node1',
  'PODLING_NODES_UNDERLAY=198.51.100.0/24',
  'PODLING_NODES_ADDRESS_POOL=10.200.0.0/16',
  'PODLING_NODE1_ENGINE=unix:///run/podling-nodes/node1/docker.sock',
  'PODLING_NODE1_ADDRESS=198.51.100.11',
  'PODLING_NODE1_NETNS=podling-node1',
  'PODLING_NODE2_ENGINE=unix:///run/podling-nodes/node2/docker.sock',
  'PODLING_NODE2_ADDRESS=198.51.100.12',
  'PODLING_NODE2_NETNS=podling-node2',
].join('\n');

unit(bed, 'nodes.env gives every node its engine, underlay address and namespace, and names the manager', () => {
  const parsed = parseNodesEnv(ENV);
  assert.equal(parsed.nodes.map((n) => [n.name, n.engine, n.address, n.netns]), [
    ['node1', 'unix:///run/podling-nodes/node1/docker.sock', '198.51.100.11', 'podling-node1'],
    ['node2', 'unix:///run/podling-nodes/node2/docker.sock', '198.51.100.12', 'podling-node2'],
  ]);
  assert.is(parsed.manager, parsed.nodes[0]);
  assert.is(parsed.underlay, '198.51.100.0/24');
  assert.is(parsed.addressPool, '10.200.0.0/16');
});

unit(bed, 'a nodes.env missing a node\'s field or naming a manager that is not a node is refused, naming what is wrong', () => {
  for (const [text, message] of [
    [ENV.replace(/^PODLING_NODE2_NETNS=.*$/m, ''), 'PODLING_NODE2_NETNS is missing'],
    [ENV.replace('PODLING_NODES_MANAGER=node1', 'PODLING_NODES_MANAGER=node9'), 'the manager node9 is not one of PODLING_NODES (node1, node2)'],
    ['', 'PODLING_NODES is missing'],
  ] as const) {
    assert.throws(() => parseNodesEnv(text), (err: Error) => err.message.includes(message), message);
  }
});

// ------------------------------------------------------------------ the bed (live)

bedScenario(bed, 'every node answers on its own socket as an engine of its own, named after the node', async ({ bed: b, engine }) => {
  assert.ok(b.nodes.length >= 3, `at least three nodes, got ${b.nodes.length}`);
  const infos = await Promise.all(b.nodes.map((n) => engine(n).system.info()));
  assert.equal(infos.map((i) => i.Name), b.nodes.map((n) => n.name));
  assert.is(new Set(infos.map((i) => i.ID)).size, b.nodes.length, 'one daemon per node, not one answering on several sockets');
  for (const node of b.nodes) {
    // The images pods need were loaded into every node (scripts/nodes-bed.ts).
    await engine(node).images.inspect(IMAGE);
    await engine(node).images.inspect('podling/infra:1');
  }
});

bedScenario(bed, 'the nodes are one swarm: the manager lists every node Ready at its underlay address, each worker in it', async ({ bed: b, engine }) => {
  const swarm = await engine(b.manager).swarm.inspect();
  const listed = await engine(b.manager).nodes.list();
  assert.is(listed.length, b.nodes.length);
  for (const node of b.nodes) {
    const entry = listed.find((n) => n.Description?.Hostname === node.name);
    assert.ok(entry, `${node.name} is listed`);
    assert.is(entry.Status.State, 'ready', `${node.name} is Ready`);
    assert.is(entry.Status.Addr, node.address);
    assert.is(entry.Spec.Role, node === b.manager ? 'manager' : 'worker');
    const info = (await engine(node).system.info()).Swarm;
    assert.is(info?.LocalNodeState, 'active');
    assert.is(info?.NodeID, entry.ID);
  }
  // Only a manager's /info names the cluster.
  const managerInfo = (await engine(b.manager).system.info()).Swarm as { Cluster?: { ID?: string } } | undefined;
  assert.is(managerInfo?.Cluster?.ID, swarm.ID);
});

bedScenario(bed, 'the underlay joins the nodes inside their namespaces, and the host namespace has no route to it, to the swarm pool or to a node\'s local networks', async ({ bed: b, engine }) => {
  const [, second, third] = b.nodes as [BedNode, BedNode, BedNode];
  const ping = await inNode(second, ['busybox', 'ping', '-c', '1', '-W', '2', third.address]);
  assert.is(ping.code, 0, `${second.name} -> ${third.address}: ${ping.stdout}${ping.stderr}`);
  // A node's local networks come from its own pool (room for 256, not dockerd's default ~30).
  const gwbridge = await engine(second).networks.inspect('docker_gwbridge');
  const local = gwbridge.IPAM?.Config?.[0]?.Gateway ?? '';
  assert.match(local, /^10\.201\.\d+\.\d+$/, JSON.stringify(gwbridge.IPAM));
  // The host's default route leads off the machine: a node or pod address must fail here at once.
  const pool = b.addressPool.replace(/\.0\/\d+$/, '.2');
  for (const address of [third.address, pool, local]) {
    const route = await hostRoute(address);
    assert.not.ok(route.ok, `the host has a route to ${address}: ${route.text}`);
    assert.match(route.text, /unreachable|No route to host/);
  }
});

bedScenario(bed, 'an attachable overlay made on the manager carries a container on node 2 to one on node 3 by IP and by alias, and all of it goes with the teardown', async (ctx) => {
  const { bed: b, engine, name } = ctx;
  const [manager, client, server] = [b.manager, b.nodes[1]!, b.nodes[2]!];
  const network = name('overlay');
  const alias = name('web');
  // Registered first, so it runs last: after every removal, nothing of this test is on any node.
  ctx.defer(() => nothingLeft(b.nodes, engine, name('')), 'nothing left on any node');

  await engine(manager).networks.create({ Name: network, Driver: 'overlay', Attachable: true, Labels: LABELS });
  ctx.defer(() => removeOverlay(engine(manager), network), `remove overlay ${network}`);
  // A worker does not list the overlay until a container of its own attaches: never pre-check it there.
  await engineFailure(engine(client).networks.inspect(network), 'not-found');

  const serverId = await run(ctx, server, name('server'), network, [alias],
    ['sh', '-c', `mkdir -p /www && echo hello from ${server.name} > /www/index.html && exec httpd -f -p 8080 -h /www`]);
  const clientId = await run(ctx, client, name('client'), network, [], ['sleep', '300']);
  assert.is((await engine(client).networks.inspect(network)).Name, network, 'listed on the worker once a container attached');

  const serverIp = (await engine(server).containers.inspect(serverId)).NetworkSettings?.Networks?.[network]?.IPAddress as string | undefined;
  assert.ok(serverIp?.startsWith(b.addressPool.split('.').slice(0, 2).join('.') + '.'), `the server's overlay address ${serverIp} is from the swarm's pool ${b.addressPool}`);
  for (const target of [serverIp!, alias]) {
    // httpd may still be starting: the first fetch may be refused.
    const got = await eventually(`${client.name} fetching http://${target}:8080/`, () => engine(client).exec.run(clientId, ['busybox', 'timeout', '5', 'wget', '-q', '-O', '-', `http://${target}:8080/`]), (r) => r.exitCode === 0, 15_000, 300);
    assert.is(got.stdout.trim(), `hello from ${server.name}`, `by ${target === alias ? 'alias' : 'IP'}`);
  }
});

bed.run();

// ------------------------------------------------------------------ helpers

/** A started busybox container on `network` with `aliases`, removed by the teardown. */
async function run(ctx: BedContext, node: BedNode, name: string, network: string, aliases: string[], cmd: string[]): Promise<string> {
  const engine = ctx.engine(node);
  const { Id } = await engine.containers.create({
    Image: IMAGE, Cmd: cmd, Labels: LABELS,
    HostConfig: { NetworkMode: network },
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: aliases } } },
  }, { name });
  ctx.track(node).container(Id);
  await engine.containers.start(Id);
  return Id;
}

/**
 * The manager refuses to remove an overlay while the swarm still counts a worker's endpoint on it,
 * which it may do for a moment after the worker's container went.
 */
async function removeOverlay(manager: Engine, network: string): Promise<void> {
  await eventually(`removing overlay ${network}`, () => manager.networks.remove(network).then(() => 'removed', (err: unknown) => {
    if (isEngineError(err, 'not-found')) return 'removed';
    if (isEngineError(err, 'conflict') || isEngineError(err, 'server')) return (err as Error).message;
    throw err;
  }), (outcome) => outcome === 'removed', 15_000, 300);
}

/** No container or network named with `prefix` on any node (a worker drops the overlay ~1 s after its last container). */
async function nothingLeft(nodes: BedNode[], engine: (node: BedNode) => Engine, prefix: string): Promise<void> {
  await eventually(`nothing named ${prefix}* on any node`, async () => (await Promise.all(nodes.map(async (node) => {
    const containers = await engine(node).containers.list({ all: true, filters: { name: [prefix] } });
    const networks = await engine(node).networks.list({ filters: { name: [prefix] } });
    return [...containers.map((c) => `${node.name}: container ${c.Names?.[0]}`), ...networks.map((n) => `${node.name}: network ${n.Name}`)];
  }))).flat(), (left) => left.length === 0, 10_000, 300);
}
