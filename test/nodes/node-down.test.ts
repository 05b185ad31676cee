import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Agent } from '../../src/agent/agent.js';
import { Engine } from '../../src/engine/index.js';
import { Cluster } from '../../src/nodes/cluster.js';
import { ClusterPods } from '../../src/nodes/cluster-pods.js';
import { readRecords } from '../../src/nodes/records.js';
import { addNode, removeNode, setNodeAvailability } from '../../src/nodes/registry.js';
import { PodError } from '../../src/pod/errors.js';
import { Pods, type PodInput } from '../../src/pod/index.js';
import { bedScenario } from '../support/nodes.js';
import { ROOT } from '../support/cli.js';

// A node's dockerd stopped (issue 12): pod list still answers and marks that node's pods
// Unknown, naming the node; node drain refuses without --force and moves them with it; the node
// back, its agent removes its own copy of the moved pod, so nothing is duplicated.
const down = suite('nodes/node-down');
const run = promisify(execFile);
const IMAGE = 'podling-test/busybox:latest';

const nodesScript = (...args: string[]) => run('bash', ['scripts/nodes.sh', ...args], { cwd: ROOT, timeout: 90_000 });

const mover: PodInput = {
  metadata: { name: 'x-mover', labels: { app: 'x-mover' } },
  spec: { containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'Never', command: ['sleep', '3600'] }] },
} as PodInput;

bedScenario(down, 'a node stopped: its pods Unknown, drain --force moves them, the node back removes its copy', async (ctx) => {
  const manager = ctx.engine(ctx.bed.manager);
  const connect = (address: string) => new Engine({ host: address });
  for (const node of ctx.bed.nodes) {
    await addNode(manager, node.name, node.engine, connect);
    ctx.defer(() => removeNode(manager, node.name), `${node.name}'s label`);
    ctx.defer(() => setNodeAvailability(manager, node.name, 'active'), `${node.name} active`);
  }
  const network = ctx.name('net');
  const cluster = new Cluster(manager, { network, connect, nodeTimeout: 3000 });
  ctx.defer(() => cluster.close(), 'connections');
  ctx.defer(() => manager.networks.remove(network).catch(() => {}), 'overlay');
  ctx.defer(async () => { for (const a of await cluster.list()) if (a.value?.some((p) => p.metadata.name === 'x-mover')) await cluster.podsOn(a.node).delete('x-mover', { force: true }).catch(() => {}); }, 'x-mover copies');
  ctx.defer(async () => { for (const r of await readRecords(manager, { name: 'x-mover' })) await manager.configs.remove(r.id).catch(() => {}); }, 'record');

  // Node 3 holds the pod: the manager is paused for new pods meanwhile, node 2 too.
  await setNodeAvailability(manager, 'node1', 'pause');
  await setNodeAvailability(manager, 'node2', 'pause');
  const made = await cluster.create(mover);
  assert.is(made.node, 'node3');
  await setNodeAvailability(manager, 'node2', 'active');

  // A second pod of the same name on another node is refused by the swarm itself.
  const twin = await cluster.create({ ...mover, spec: { ...mover.spec, nodeName: 'node2' } } as PodInput).catch((e: unknown) => e);
  assert.instance(twin, PodError);
  assert.match((twin as Error).message, 'pod "x-mover" already exists on node node3');

  ctx.defer(() => nodesScript('start-node', '3'), 'node3 back');
  await nodesScript('stop-node', '3');
  const listed = await cluster.list();
  const n3 = listed.find((a) => a.node.name === 'node3')!;
  assert.ok(n3.error, 'node3 is reported as not answering');
  assert.equal(n3.value?.map((p) => [p.metadata.name, p.status.phase, p.status.reason]), [['x-mover', 'Unknown', 'NodeLost']]);
  assert.ok(listed.filter((a) => a.node.name !== 'node3').every((a) => !a.error), 'the other nodes answer');

  const refused = await cluster.drain('node3').catch((e: unknown) => e);
  assert.match((refused as Error).message, 'node node3 does not answer: its 1 pod(s) may still run there; node drain --force');
  const moved = await cluster.drain('node3', { force: true });
  assert.equal(moved, [{ pod: 'x-mover', namespace: 'default', to: 'node2' }]);
  assert.equal((await readRecords(manager, { name: 'x-mover' })).map((r) => r.node), ['node2']);

  // Node 3 back, with its old copy (the engine restarts what its restart policy says): its agent,
  // told by the swarm's record that the pod is on node 2 now, removes that copy.
  await nodesScript('start-node', '3');
  const node3 = (await cluster.nodes()).find((n) => n.name === 'node3')!;
  const engine3 = cluster.engineOf(node3);
  assert.equal((await new Pods(engine3).list()).map((p) => p.metadata.name).filter((n) => n === 'x-mover'), ['x-mover'], 'the old copy is still there');
  const lines: string[] = [];
  const agent = new Agent(engine3, {
    log: (d) => { lines.push(JSON.stringify(d)); },
    cluster: { name: network, external: true },
    movedTo: async (pod) => {
      const [record] = await readRecords(manager, pod);
      return record && record.node !== 'node3' ? record.node : undefined;
    },
  });
  await agent.once();
  assert.equal((await new Pods(engine3).list()).map((p) => p.metadata.name).filter((n) => n === 'x-mover'), [], 'node3\'s copy removed');
  assert.ok(lines.some((l) => l.includes('MovedToNode')), lines.join('\n'));
  const everywhere = (await cluster.list()).flatMap((a) => (a.value ?? []).filter((p) => p.metadata.name === 'x-mover').map(() => a.node.name));
  assert.equal(everywhere, ['node2'], 'one copy, on node 2');
});

bedScenario(down, 'a node down while a ConfigMap is replaced and a ConfigMap and a Secret are made: the writes name it, and a pod placed there once it is back reads the newest values', async (ctx) => {
  const manager = ctx.engine(ctx.bed.manager);
  const connect = (address: string) => new Engine({ host: address });
  for (const node of ctx.bed.nodes) {
    await addNode(manager, node.name, node.engine, connect);
    ctx.defer(() => removeNode(manager, node.name), `${node.name}'s label`);
  }
  const network = ctx.name('cfg');
  const cluster = new Cluster(manager, { network, connect, nodeTimeout: 3000 });
  const pods = new ClusterPods(manager, () => {}, cluster);
  ctx.defer(() => cluster.close(), 'connections');
  ctx.defer(() => manager.networks.remove(network).catch(() => {}), 'overlay');
  ctx.defer(() => pods.delete('x-reader', { force: true }).catch(() => {}), 'x-reader');
  for (const cm of ['x-cm', 'x-cm2']) ctx.defer(() => pods.deleteConfigMap(cm).catch(() => {}), cm);
  ctx.defer(() => pods.deleteSecret('x-sec').catch(() => {}), 'x-sec');

  const configMap = (name: string, value: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { value } }) as const;
  await pods.createConfigMap(configMap('x-cm', 'v1'));
  ctx.defer(() => nodesScript('start-node', '3'), 'node3 back');
  await nodesScript('stop-node', '3');
  // Each write is done where it can be, and fails naming the node that missed it.
  for (const write of [
    () => pods.replaceConfigMap(configMap('x-cm', 'v2')),
    () => pods.createConfigMap(configMap('x-cm2', 'other')),
    () => pods.createSecret({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x-sec' }, stringData: { token: 's3cret' } }),
  ]) assert.match(String(await write().then(() => 'written everywhere', (e: unknown) => e)), /node node3: /);
  await nodesScript('start-node', '3');
  const node3 = (await cluster.nodes()).find((n) => n.name === 'node3')!;
  const on3 = cluster.podsOn(node3);
  assert.is((await on3.getConfigMap('x-cm')).data?.value, 'v1', 'node3 kept the old copy');
  assert.instance(await on3.getConfigMap('x-cm2').catch((e: unknown) => e), PodError);

  await pods.create({
    metadata: { name: 'x-reader' },
    spec: {
      nodeName: 'node3',
      containers: [{
        name: 'c', image: IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', 'echo "$A $B $C"; exec sleep 3600'],
        env: [
          { name: 'A', valueFrom: { configMapKeyRef: { name: 'x-cm', key: 'value' } } },
          { name: 'B', valueFrom: { configMapKeyRef: { name: 'x-cm2', key: 'value' } } },
          { name: 'C', valueFrom: { secretKeyRef: { name: 'x-sec', key: 'token' } } },
        ],
      }],
    },
  } as PodInput);
  let said = '';
  for (let i = 0; i < 50 && !said; i++) {
    for await (const line of on3.logs('x-reader', { container: 'c' })) said += line.text;
    if (!said) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.is(said.trim(), 'v2 other s3cret');
  assert.is((await on3.getConfigMap('x-cm')).data?.value, 'v2', 'node3\'s copy brought up to date');
});

down.run();
