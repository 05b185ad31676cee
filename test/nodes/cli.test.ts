import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readRecords } from '../../src/nodes/records.js';
import { removeNode } from '../../src/nodes/registry.js';
import { runCli } from '../support/cli.js';
import { bedScenario } from '../support/nodes.js';

// The CLI on a swarm (issue 12): `podling node …` against the manager, and the pod commands
// spreading across nodes once nodes are added, with the same verbs as on one engine.
const cli = suite('nodes/cli');

bedScenario(cli, 'node add, node list, then pod create/list/get/delete across the nodes; a node that is not that engine is refused (exit 2)', async (ctx) => {
  const manager = ctx.engine(ctx.bed.manager);
  const env = { DOCKER_HOST: ctx.bed.manager.engine, PODLING_CLUSTER_NETWORK: ctx.name('net') };
  const podling = (...args: string[]) => runCli(args, { env });
  for (const node of ctx.bed.nodes) ctx.defer(() => removeNode(manager, node.name), `${node.name}'s label`);
  ctx.defer(() => manager.networks.remove(env.PODLING_CLUSTER_NETWORK).catch(() => {}), 'overlay');
  ctx.defer(() => podling('pod', 'delete', 'x-cli', '--force'), 'x-cli');

  // Before any node is added the manager is used alone, as before; node list shows no engines.
  const before = await podling('node', 'list');
  assert.is(before.code, 0, before.stderr);
  assert.match(before.stdout, /^NAME\s+STATUS\s+ROLE\s+PODS/);
  assert.match(before.stdout, /node2\s+Ready\s+worker\s+-\s+-\s+-\s+<none>/);

  const wrong = await podling('node', 'add', 'node2', ctx.bed.nodes[2]!.engine);
  assert.is(wrong.code, 2, wrong.stderr);
  assert.match(wrong.stderr, /^podling: node node2: the engine at .* is swarm node \w+, not node node2/);
  for (const node of ctx.bed.nodes) {
    const added = await podling('node', 'add', node.name, node.engine);
    assert.is(added.code, 0, added.stderr);
    assert.is(added.stdout.trim(), `node/${node.name} added (engine ${node.engine})`);
  }
  const listed = await podling('node', 'list', '-o', 'json');
  const items = (JSON.parse(listed.stdout) as { items: Array<{ name: string; engine: string; pods: number; state: string }> }).items;
  assert.equal(items.map((i) => [i.name, i.state, i.engine]), ctx.bed.nodes.map((n) => [n.name, 'ready', n.engine]));

  const made = await podling('pod', 'create', 'x-cli', '--container', 'c:podling-test/busybox:latest', '--pull', 'Never');
  assert.is(made.code, 0, made.stderr);
  const [record] = await readRecords(manager, { name: 'x-cli' });
  assert.ok(record, 'recorded in the swarm');
  const wide = await podling('pod', 'list', '-o', 'wide');
  assert.match(wide.stdout, new RegExp(`x-cli\\s.*\\s${record!.node}\\s+c\\s`), wide.stdout);
  const got = await podling('pod', 'get', 'x-cli', '-o', 'json');
  assert.is((JSON.parse(got.stdout) as { spec: { nodeName: string } }).spec.nodeName, record!.node);
  // apply across the nodes: the ConfigMap on every node, the pod placed on one and reading it there;
  // applied again, nothing changes; delete -f takes it all, records and every node's copy.
  const dir = await mkdtemp(join(tmpdir(), 'podling-nodes-cli-'));
  ctx.defer(() => rm(dir, { recursive: true, force: true }), 'manifest dir');
  ctx.defer(() => podling('delete', '-f', join(dir, 'app.yaml')), 'applied objects');
  await writeFile(join(dir, 'app.yaml'), [
    'apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: x-conf', 'data:', '  greeting: hello-from-the-swarm', '---',
    'apiVersion: v1', 'kind: Pod', 'metadata:', '  name: x-applied', 'spec:', '  containers:', '  - name: c', '    image: podling-test/busybox:latest',
    '    imagePullPolicy: Never', '    command: [sh, -c, "echo $GREETING; exec sleep 3600"]', '    env:', '    - name: GREETING', '      valueFrom:', '        configMapKeyRef: {name: x-conf, key: greeting}', '',
  ].join('\n'));
  const applied = await podling('apply', '-f', join(dir, 'app.yaml'));
  assert.is(applied.code, 0, applied.stderr);
  assert.equal(applied.stdout.trim().split('\n'), ['configmap/x-conf created', 'pod/x-applied created']);
  const [placed] = await readRecords(manager, { name: 'x-applied' });
  assert.ok(placed, 'the pod is recorded on a node');
  for (const node of ctx.bed.nodes) {
    const got = await runCli(['get', 'configmap', 'x-conf', '-o', 'json'], { env: { DOCKER_HOST: node.engine } });
    assert.is(got.code, 0, `${node.name}: ${got.stderr}`);
  }
  const logs = await podling('pod', 'logs', 'x-applied');
  assert.match(logs.stdout, /hello-from-the-swarm/);
  const again = await podling('apply', '-f', join(dir, 'app.yaml'));
  assert.equal(again.stdout.trim().split('\n'), ['configmap/x-conf unchanged', 'pod/x-applied unchanged'], again.stderr);
  const removed = await podling('delete', '-f', join(dir, 'app.yaml'));
  assert.is(removed.code, 0, removed.stderr);
  assert.equal(await readRecords(manager, { name: 'x-applied' }), []);
  for (const node of ctx.bed.nodes) {
    const got = await runCli(['get', 'configmap', 'x-conf'], { env: { DOCKER_HOST: node.engine } });
    assert.is(got.code, 1, `${node.name} still has x-conf: ${got.stdout}`);
  }
  const gone = await podling('pod', 'delete', 'x-cli');
  assert.is(gone.code, 0, gone.stderr);
  assert.equal(await readRecords(manager, { name: 'x-cli' }), [], 'record removed with the pod');
  const dropped = await podling('node', 'remove', 'node3');
  assert.match(dropped.stdout, /node\/node3 removed/);
});

cli.run();
