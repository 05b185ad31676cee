import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../../src/engine/index.js';
import { Cluster } from '../../src/nodes/cluster.js';
import { ClusterPods } from '../../src/nodes/cluster-pods.js';
import { ENGINE_LABEL } from '../../src/nodes/node.js';
import { addNode, listNodes, removeNode, setNodeLabel } from '../../src/nodes/registry.js';
import { PodError, PodFailedError } from '../../src/pod/errors.js';
import type { PodInput } from '../../src/pod/index.js';
// The image the bed loads into every node (scripts/nodes-bed.ts): no registry is reachable from a node.
const IMAGE = 'podling-test/busybox:latest';
import { AGENT_LABEL, eventually, startAgent } from '../support/agent.js';
import { bedScenario, inNode, type BedContext } from '../support/nodes.js';

// Pods across the swarm's nodes (issue 12), live on the multi-node bed: node registry in the
// swarm's own labels, placement, pod to pod across nodes by IP and by name, a service answering
// from pods on several nodes.
const cluster = suite('nodes/cluster');

const connect = (address: string) => new Engine({ host: address });

/** Every node of the bed registered with its engine address; the labels are taken off again afterwards. */
async function registered(ctx: BedContext): Promise<Cluster> {
  const manager = ctx.engine(ctx.bed.manager);
  for (const node of ctx.bed.nodes) {
    await addNode(manager, node.name, node.engine, connect);
    ctx.defer(() => removeNode(manager, node.name), `${node.name}'s engine label`);
  }
  const network = ctx.name('net');
  const c = new Cluster(manager, { network, connect });
  ctx.defer(() => c.close(), 'cluster connections');
  ctx.defer(() => manager.networks.remove(network).catch(() => {}), `overlay ${network}`);
  return c;
}

const web = (name: string, extra: Record<string, unknown> = {}, labels: Record<string, string> = {}): PodInput => ({
  metadata: { name, labels },
  spec: { ...extra, containers: [{ name: 'web', image: IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', `echo ${name} > /tmp/i; exec httpd -f -p 80 -h /tmp`] }] },
} as PodInput);

const client = (name: string, nodeName: string): PodInput => ({
  metadata: { name }, spec: { nodeName, containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'Never', command: ['sleep', '3600'] }] },
} as PodInput);

bedScenario(cluster, 'node add keeps the engine address in the swarm\'s node label, checked against the engine; node remove takes it off', async (ctx) => {
  const manager = ctx.engine(ctx.bed.manager);
  const [n1, n2] = ctx.bed.nodes as [typeof ctx.bed.nodes[0], typeof ctx.bed.nodes[0]];
  ctx.defer(() => removeNode(manager, n2.name), 'label');
  const added = await addNode(manager, n2.name, n2.engine, connect);
  assert.is(added.engine, n2.engine);
  assert.is((await manager.nodes.inspect(added.id)).Spec.Labels?.[ENGINE_LABEL], n2.engine, 'in the swarm itself');
  // Node 1's engine is not node 2: refused, and nothing written.
  const before = (await manager.nodes.inspect(added.id)).Version.Index;
  const wrong = await addNode(manager, n2.name, n1.engine, connect).catch((e: unknown) => e);
  assert.instance(wrong, PodError);
  assert.match((wrong as Error).message, `the engine at ${n1.engine} is swarm node`);
  assert.is((await manager.nodes.inspect(added.id)).Version.Index, before, 'no update');
  const missing = await addNode(manager, 'node9', n1.engine, connect).catch((e: unknown) => e);
  assert.match((missing as Error).message, 'node "node9" not found');
  // Another label set meanwhile survives (updates are versioned, the spec kept whole).
  await setNodeLabel(manager, n2.name, 'disk', 'ssd');
  ctx.defer(() => setNodeLabel(manager, n2.name, 'disk', undefined), 'disk label');
  assert.is((await listNodes(manager)).find((n) => n.name === n2.name)?.labels.disk, 'ssd');
  assert.is((await removeNode(manager, n2.name)).engine, undefined);
  assert.is((await listNodes(manager)).find((n) => n.name === n2.name)?.labels.disk, 'ssd');
  // A worker cannot list nodes: the error says so.
  const worker = await listNodes(ctx.engine(n2)).catch((e: unknown) => e);
  assert.match((worker as Error).message, 'is not a swarm manager');
});

bedScenario(cluster, 'pods on three nodes; node 2 reaches node 3\'s pod by IP and by name; a service spans nodes', async (ctx) => {
  const c = await registered(ctx);
  const names = ['x-web3', 'x-web1', 'x-client2'];
  for (const n of names) ctx.defer(() => c.delete(n, { force: true }).catch(() => {}), n);
  ctx.defer(() => c.deleteService('x-svc'), 'service');
  const w3 = await c.create(web('x-web3', { nodeName: 'node3' }, { app: 'x-web' }));
  const w1 = await c.create({ ...web('x-web1', { nodeName: 'node1' }, { app: 'x-web' }) });
  const cl = await c.create(client('x-client2', 'node2'));
  assert.equal([w3.node, w1.node, cl.node], ['node3', 'node1', 'node2']);
  assert.ok(ctx.bed.addressPool.startsWith('10.200.'));
  const inPool = (ip?: string) => ip?.startsWith('10.200.') === true;
  assert.ok(inPool(w3.pod.status.podIP) && inPool(w1.pod.status.podIP), 'pod IPs on the overlay, from the swarm pool');
  await c.createService({ name: 'x-svc', selector: { app: 'x-web' }, port: 80 });
  const node2 = (await c.nodes()).find((n) => n.name === 'node2')!;
  const engine2 = c.engineOf(node2);
  const id = cl.pod.status.containerStatuses[0]!.containerID.replace('docker://', '');
  const fetch = async (url: string) => (await engine2.exec.run(id, ['busybox', 'timeout', '5', 'wget', '-q', '-O', '-', url])).stdout.trim();
  assert.is(await fetch(`http://${w3.pod.status.podIP}/i`), 'x-web3', 'by IP across nodes');
  // A remote pod's name reaches node 2 by the overlay's gossip (tens to hundreds of ms; longer when
  // node 2 has just joined the overlay): asked until it answers, 30 s at most.
  let byName = '';
  for (const end = Date.now() + 30_000; byName !== 'x-web3' && Date.now() < end;) byName = await fetch('http://x-web3/i');
  assert.is(byName, 'x-web3', 'by name across nodes');
  // The overlay's DNS learns a remote alias by gossip: keep asking until both have answered (30 s at most).
  const seen = new Set<string>();
  for (const end = Date.now() + 30_000; seen.size < 2 && Date.now() < end;) seen.add(await fetch('http://x-svc/i'));
  assert.equal([...seen].sort(), ['x-web1', 'x-web3'], 'the service answers from both nodes\' pods');
  // service get through the swarm: each node sees its own pods; the endpoints are both nodes' together.
  const unreachable: string[] = [];
  const spread = new ClusterPods(ctx.engine(ctx.bed.manager), (n) => unreachable.push(n.name), c);
  const svc = await spread.getService('x-svc');
  assert.equal(svc.endpoints, [`${w1.pod.status.podIP}:80`, `${w3.pod.status.podIP}:80`].sort());
  assert.equal((await spread.listServices()).find((s) => s.metadata.name === 'x-svc')?.endpoints, svc.endpoints);
  assert.equal(unreachable, [], 'a node without the pods is an answer, not an unreachable node');
  // The fan-out list: every node answers, each pod under its node.
  const listed = Object.fromEntries((await c.list()).map((a) => [a.node.name, (a.value ?? []).map((p) => p.metadata.name).filter((n) => names.includes(n))]));
  assert.equal(listed, { node1: ['x-web1'], node2: ['x-client2'], node3: ['x-web3'] });
  // Nothing addressed from the host: the bed's namespaces carry it (docs/test-bed.md).
  const fromNode = await inNode(ctx.bed.nodes[1]!, ['true']);
  assert.is(fromNode.code, 0);
});

bedScenario(cluster, 'nodeSelector matches swarm node labels; a pod that fits nowhere is refused with every node\'s reason and nothing is made', async (ctx) => {
  const c = await registered(ctx);
  const manager = ctx.engine(ctx.bed.manager);
  await setNodeLabel(manager, 'node3', 'x-disk', 'ssd');
  ctx.defer(() => setNodeLabel(manager, 'node3', 'x-disk', undefined), 'label');
  ctx.defer(() => c.delete('x-sel', { force: true }).catch(() => {}), 'x-sel');
  const placed = await c.create(web('x-sel', { nodeSelector: { 'x-disk': 'ssd' } }));
  assert.is(placed.node, 'node3');
  const err = await c.create(web('x-nowhere', { nodeSelector: { 'x-disk': 'nvme' } })).catch((e: unknown) => e);
  assert.instance(err, PodFailedError);
  assert.is((err as PodFailedError).reason, 'Unschedulable');
  assert.match((err as Error).message, '0/3 nodes are available: node1: node labels do not match nodeSelector x-disk=nvme; node2: node labels do not match nodeSelector x-disk=nvme; node3: node labels do not match nodeSelector x-disk=nvme');
  const huge = { metadata: { name: 'x-huge' }, spec: { containers: [{ name: 'web', image: IMAGE, imagePullPolicy: 'Never', resources: { requests: { memory: '1000Gi' } } }] } } as PodInput;
  const big = await c.create(huge).catch((e: unknown) => e);
  assert.match((big as Error).message, /node1: insufficient memory \(requests 1024000Mi/);
  const left = await c.list();
  assert.equal(left.flatMap((a) => (a.value ?? []).map((p) => p.metadata.name)).filter((n) => n === 'x-nowhere' || n === 'x-huge'), []);
});

bedScenario(cluster, 'readiness: node 3\'s agent takes its pod out of the service name, as a client on node 2 resolves it; back in when ready again', async (ctx) => {
  const c = await registered(ctx);
  const tag = 'x-ready';
  const labels = { app: 'x-rdy', [AGENT_LABEL]: tag };
  for (const n of ['x-rdy3', 'x-rdy1', 'x-rcl2']) ctx.defer(() => c.delete(n, { force: true }).catch(() => {}), n);
  ctx.defer(() => c.deleteService('x-rdy'), 'service');
  const probed = web('x-rdy3', { nodeName: 'node3' }, labels) as { spec: { containers: Array<Record<string, unknown>> } };
  probed.spec.containers[0]!.readinessProbe = { exec: { command: ['cat', '/tmp/i'] }, periodSeconds: 1, failureThreshold: 1 };
  const w3 = await c.create(probed as PodInput);
  const w1 = await c.create(web('x-rdy1', { nodeName: 'node1' }, { app: 'x-rdy' }));
  const cl = await c.create(client('x-rcl2', 'node2'));
  await c.createService({ name: 'x-rdy', selector: { app: 'x-rdy' }, port: 80 });
  // Node 3's agent (in this process: exec probes need no route to the pod).
  const nodes = await c.nodes();
  const agent = startAgent(c.engineOf(nodes.find((n) => n.name === 'node3')!), tag, { name: ctx.name('net'), external: true } as never);
  ctx.defer(() => agent.stop(), 'agent');
  const engine2 = c.engineOf(nodes.find((n) => n.name === 'node2')!);
  const id = cl.pod.status.containerStatuses[0]!.containerID.replace('docker://', '');
  const resolve = async () => {
    const r = await engine2.exec.run(id, ['busybox', 'nslookup', 'x-rdy.default.svc.cluster.local']);
    return [...r.stdout.matchAll(/^Address: (\d+\.\d+\.\d+\.\d+)$/gm)].map((m) => m[1]!).sort();
  };
  const both = [w1.pod.status.podIP!, w3.pod.status.podIP!].sort();
  await eventually('both pods in the name', resolve, (ips) => JSON.stringify(ips) === JSON.stringify(both));
  const id3 = w3.pod.status.containerStatuses[0]!.containerID.replace('docker://', '');
  const engine3 = c.engineOf(nodes.find((n) => n.name === 'node3')!);
  await engine3.exec.run(id3, ['rm', '/tmp/i']);
  await eventually('node 3\'s pod out of the name', resolve, (ips) => JSON.stringify(ips) === JSON.stringify([w1.pod.status.podIP]));
  await engine3.exec.run(id3, ['sh', '-c', 'echo x-rdy3 > /tmp/i']);
  await eventually('back in', resolve, (ips) => JSON.stringify(ips) === JSON.stringify(both));
});

cluster.run();
