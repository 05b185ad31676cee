import { spawn } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../../src/engine/index.js';
import { Cluster } from '../../src/nodes/cluster.js';
import { addNode, removeNode } from '../../src/nodes/registry.js';
import type { PodInput } from '../../src/pod/index.js';
import { AGENT_LABEL, eventually } from '../support/agent.js';
import { ensureBundle, ROOT } from '../support/cli.js';
import { bedScenario } from '../support/nodes.js';

// Probes of a pod run on that pod's node (issue 12): `podling agent --node node3`, started inside
// node 3's network namespace as a kubelet runs on its node, probes its pod over HTTP at the pod's
// docker_gwbridge leg (the node cannot route to overlay addresses, and the host must not try);
// readiness then takes the pod out of a service's name as a client on node 2 resolves it.
const probes = suite('nodes/probes');
const IMAGE = 'podling-test/busybox:latest';

bedScenario(probes, 'podling agent --node node3 inside node 3\'s namespace: an HTTP readiness probe takes its pod out of the service name seen from node 2, and puts it back', async (ctx) => {
  const manager = ctx.engine(ctx.bed.manager);
  const connect = (address: string) => new Engine({ host: address });
  for (const node of ctx.bed.nodes) {
    await addNode(manager, node.name, node.engine, connect);
    ctx.defer(() => removeNode(manager, node.name), `${node.name}'s label`);
  }
  const network = ctx.name('net');
  const c = new Cluster(manager, { network, connect });
  ctx.defer(() => c.close(), 'connections');
  ctx.defer(() => manager.networks.remove(network).catch(() => {}), 'overlay');
  for (const n of ['x-hp3', 'x-hp1', 'x-hpc2']) ctx.defer(() => c.delete(n, { force: true }).catch(() => {}), n);
  ctx.defer(() => c.deleteService('x-hp'), 'service');

  const web = (name: string, node: string, extra: Record<string, unknown> = {}, labels: Record<string, string> = {}): PodInput => ({
    metadata: { name, labels: { app: 'x-hp', ...labels } },
    spec: { nodeName: node, containers: [{ name: 'web', image: IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', `echo ${name} > /tmp/i; exec httpd -f -p 80 -h /tmp`], ...extra }] },
  } as PodInput);
  const w3 = await c.create(web('x-hp3', 'node3', { readinessProbe: { httpGet: { path: '/i', port: 80 }, periodSeconds: 1, failureThreshold: 1 } }, { [AGENT_LABEL]: 'x-hp' }));
  const w1 = await c.create(web('x-hp1', 'node1'));
  const cl = await c.create({ metadata: { name: 'x-hpc2' }, spec: { nodeName: 'node2', containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'Never', command: ['sleep', '3600'] }] } } as PodInput);
  await c.createService({ name: 'x-hp', selector: { app: 'x-hp' }, port: 80 });

  await ensureBundle();
  const node3 = ctx.bed.nodes.find((n) => n.name === 'node3')!;
  const agent = spawn('ip', ['netns', 'exec', node3.netns, process.execPath, 'bin/podling.js', 'agent', '--node', 'node3', '-l', `${AGENT_LABEL}=x-hp`, '--log-format', 'json'], {
    cwd: ROOT, env: { ...process.env, DOCKER_HOST: ctx.bed.manager.engine, PODLING_CLUSTER_NETWORK: network }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  agent.stdout.on('data', (d: Buffer) => { log += d.toString(); });
  agent.stderr.on('data', (d: Buffer) => { log += d.toString(); });
  const exited = new Promise((resolve) => agent.once('exit', resolve));
  ctx.defer(async () => { agent.kill('SIGTERM'); await exited; }, 'agent');

  const nodes = await c.nodes();
  const engine2 = c.engineOf(nodes.find((n) => n.name === 'node2')!);
  const engine3 = c.engineOf(nodes.find((n) => n.name === 'node3')!);
  const id = (p: typeof w3) => p.pod.status.containerStatuses[0]!.containerID.replace('docker://', '');
  const resolve = async () => {
    const r = await engine2.exec.run(id(cl), ['busybox', 'nslookup', 'x-hp.default.svc.cluster.local']);
    return [...r.stdout.matchAll(/^Address: (\d+\.\d+\.\d+\.\d+)$/gm)].map((m) => m[1]!).sort();
  };
  const both = [w1.pod.status.podIP!, w3.pod.status.podIP!].sort();
  // Readiness starts as failure: node 3's pod is in the name only once the agent's probe passed.
  await eventually(`both pods in the name (agent log: ${log})`, resolve, (ips) => JSON.stringify(ips) === JSON.stringify(both), 45_000);
  await engine3.exec.run(id(w3), ['rm', '/tmp/i']);
  await eventually('node 3\'s pod out of the name', resolve, (ips) => JSON.stringify(ips) === JSON.stringify([w1.pod.status.podIP]));
  await engine3.exec.run(id(w3), ['sh', '-c', 'echo back > /tmp/i']);
  await eventually('back in', resolve, (ips) => JSON.stringify(ips) === JSON.stringify(both));
  assert.ok(agent.exitCode === null, `the agent is still running: ${log}`);
});

probes.run();
