import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isNotFound } from '../../src/engine/errors.js';
import type { Engine } from '../../src/engine/index.js';
import { executeActions } from '../../src/pod/execute.js';
import { ANNOTATION_NETWORK, Pods, type PodInput } from '../../src/pod/index.js';
import { LABEL } from '../../src/pod/labels.js';
import { observePod } from '../../src/pod/observe.js';
import { planPod } from '../../src/pod/plan.js';
import type { PodNetworkMode } from '../../src/pod/pod-network.js';
import { readPods } from '../../src/pod/read.js';
import { mode, scenario } from '../support/scenario.js';
import { requestsDuring } from '../support/sent.js';
import { containerId, IMAGE, pause, poll, TEST_CREATOR } from '../support/pods.js';
import { assertNothingLeft, clientPod, clusterPods, fetchFrom, inSubnet, lookupUntil, removeCluster, removeServices, subnet, webPod, type Cluster } from '../support/cluster.js';

// Pod network modes on the engine (fixtures/pod/pod-network-live/): `cluster`, the default (the
// pod's one address on the cluster network), and `own` (also a bridge pod-<id>). Each scenario has
// its own cluster network: 10.212.50.0/24, .51 and .52.
const net = suite('pod/pod-network-live');

/** The networks a pod's infra is attached to, sorted. */
async function infraNetworks(engine: Engine, pod: string): Promise<string[]> {
  return Object.keys((await engine.containers.inspect(`podling_${pod}`)).NetworkSettings.Networks ?? {}).sort();
}

async function networkExists(engine: Engine, name: string): Promise<boolean> {
  return engine.networks.inspect(name).then(() => true, (err: unknown) => { if (isNotFound(err)) return false; throw err; });
}

/** A port in 19080-19999 that depends only on `seed`: the same in every run, so fixtures replay. */
const portFor = (seed: string) => 19080 + (createHash('sha256').update(seed).digest().readUInt32BE(0) % 920);

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** GET http://127.0.0.1:PORT/ from this process (loopback only): the body, or the error's code. */
function fetchLoopback(port: number): Promise<{ status?: number; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end();
  });
}

/** Pods on `cluster` made in `podNetwork` mode unless they name one, with replayable ids (as clusterPods). */
function podsIn(engine: Engine, scenarioName: string, cluster: Cluster, podNetwork: PodNetworkMode): Pods {
  const prefix = createHash('sha256').update(scenarioName).digest('hex').slice(0, 6);
  let counter = 0;
  return new Pods(engine, { newId: () => `${prefix}${(++counter).toString(16).padStart(4, '0')}`, creator: TEST_CREATOR, cluster, podNetwork });
}

scenario(net, 'by default a pod\'s one address is on the cluster network: no bridge of its own, reached by ip and name, its hostPort answers on loopback, and its delete asks for no network', async ({ engine, name, track, defer }) => {
  const cl = { name: track.network(name('cluster')), subnet: subnet(50) };
  const pods = clusterPods(engine, 'pod/pod-network-live default cluster', cl);
  const port = portFor(name('port'));
  const live = mode !== 'replay';
  if (live) assert.ok(await portIsFree(port), `127.0.0.1:${port} is already taken on this machine: the test cannot tell its server from another`);
  for (const pod of ['pnet-web', 'pnet-client']) defer(() => pods.delete(pod, { force: true }), pod);
  const served: PodInput = webPod('pnet-web', { port: 8080, body: 'served by pnet-web', labels: { app: 'pnet' } });
  served.spec.containers[0]!.ports = [{ containerPort: 8080, hostPort: port, hostIP: '127.0.0.1' }];
  const web = await pods.create(served);
  const client = await pods.create(clientPod('pnet-client'));

  // One network, one address: the cluster network's, which is status.podIP; no pod-<id> was made.
  assert.equal(await infraNetworks(engine, 'pnet-web'), [cl.name]);
  assert.equal(await infraNetworks(engine, 'pnet-client'), [cl.name]);
  assert.ok(inSubnet(web.status.podIP, cl.subnet), `podIP ${web.status.podIP} in ${cl.subnet}`);
  assert.not.ok(await networkExists(engine, `pod-${web.metadata.uid}`), 'no network of its own');
  const infra = await engine.containers.inspect('podling_pnet-web');
  assert.is(infra.Config.Labels?.[LABEL.network], 'cluster');
  assert.is((await engine.containers.inspect(containerId(web, 'web'))).Config.Labels?.[LABEL.network], 'cluster');
  // The pod itself sees one interface besides loopback, and its default route (its egress, NATed
  // by the engine as on any user-defined bridge) goes out through the cluster network's gateway.
  const inside = await engine.exec.run(containerId(web, 'web'), ['sh', '-c', 'ip -o -4 addr show | grep -v " lo " | wc -l; ip route show default']);
  const [interfaces, route] = inside.stdout.trim().split('\n');
  assert.is(interfaces, '1');
  assert.match(route ?? '', new RegExp(`^default via ${cl.subnet.replace(/0\/24$/, '1')} dev eth0`));

  // Pod to pod, by address and by name.
  const from = containerId(client, 'client');
  const byIp = await poll(mode, () => fetchFrom(engine, from, `http://${web.status.podIP}:8080/`), (r) => r.exitCode === 0, 30, 100);
  assert.is(byIp.stdout, 'served by pnet-web\n', byIp.stderr);
  assert.equal(await lookupUntil(mode, engine, from, 'pnet-web', (ips) => ips.length > 0), [web.status.podIP!]);
  // The published port, through the cluster network (live only: a replay has no port to reach).
  if (live) {
    let answer = await fetchLoopback(port);
    for (let attempt = 0; attempt < 30 && answer.status !== 200; attempt++) {
      await pause(mode, 100);
      answer = await fetchLoopback(port);
    }
    assert.equal(answer, { status: 200, body: 'served by pnet-web\n' });
  }

  // A service that selects the pod changes its aliases: the engine can only do that by
  // disconnecting and reconnecting (same address), which in cluster mode takes the pod's only
  // network away for a moment. Afterwards the name, the address, the route and the port are back.
  defer(() => removeServices(pods, 'pnet-svc'), 'pnet-svc');
  await pods.createService({ name: 'pnet-svc', selector: { app: 'pnet' }, port: 8080 });
  assert.equal(await infraNetworks(engine, 'pnet-web'), [cl.name]);
  assert.equal(await lookupUntil(mode, engine, from, 'pnet-svc', (ips) => ips.length > 0), [web.status.podIP!]);
  // (The interface comes back under a new name, eth1: only the gateway is compared.)
  const again = await engine.exec.run(containerId(web, 'web'), ['ip', 'route', 'show', 'default']);
  assert.is(/^default via \S+/.exec(again.stdout)?.[0], /^default via \S+/.exec(route ?? '')?.[0]);
  assert.is((await fetchFrom(engine, from, 'http://pnet-svc:8080/')).stdout, 'served by pnet-web\n');
  if (live) assert.equal(await fetchLoopback(port), { status: 200, body: 'served by pnet-web\n' }, 'the published port survives the reconnect');
  await removeServices(pods, 'pnet-svc');

  // list and get read the same single address back.
  const listed = await pods.list();
  assert.equal(listed.filter((p) => p.metadata.name.startsWith('pnet-')).map((p) => [p.metadata.name, p.status.podIP]).sort(), [['pnet-client', client.status.podIP], ['pnet-web', web.status.podIP]]);
  assert.is((await pods.get('pnet-web')).status.podIP, web.status.podIP);

  const sent = await requestsDuring(() => pods.delete('pnet-web', { force: true }));
  assert.equal(sent.filter((r) => r.includes('/networks/')), [], 'a pod with no network of its own: no network call');
  await pods.delete('pnet-client', { force: true });
  await removeCluster(engine, cl.name);
  await assertNothingLeft(engine, { pods: ['pnet-web', 'pnet-client'], services: ['pnet-svc'], cluster: cl.name });
});

scenario(net, 'a pod that asks for its own network gets the seed\'s two networks beside a cluster-mode pod; both are listed, reach each other, and each delete takes what its pod made', async ({ engine, name, track, defer }) => {
  const cl = { name: track.network(name('cluster')), subnet: subnet(51) };
  const pods = clusterPods(engine, 'pod/pod-network-live own beside cluster', cl);
  for (const pod of ['pnet-own', 'pnet-flat']) defer(() => pods.delete(pod, { force: true }), pod);
  const own = await pods.create(webPod('pnet-own', { port: 8080, body: 'served by pnet-own', annotations: { [ANNOTATION_NETWORK]: 'own' } }));
  const flat = await pods.create(clientPod('pnet-flat'));

  assert.equal(await infraNetworks(engine, 'pnet-own'), [cl.name, `pod-${own.metadata.uid}`].sort());
  assert.equal(await infraNetworks(engine, 'pnet-flat'), [cl.name]);
  assert.is(own.metadata.annotations[ANNOTATION_NETWORK], 'own', 'the annotation round-trips');
  // Own is what a pod without the label has (every pod made before modes): no label, the seed's requests.
  assert.is((await engine.containers.inspect('podling_pnet-own')).Config.Labels?.[LABEL.network], undefined);
  // The own-mode pod's address is still its cluster address, but its default route (egress,
  // published ports) is on its own bridge: the engine picks the gateway network by name, and
  // `pod-…` sorts first (docs/engine-behaviour.md).
  assert.ok(inSubnet(own.status.podIP, cl.subnet), `podIP ${own.status.podIP} in ${cl.subnet}`);
  const ownGateway = (await engine.networks.inspect(`pod-${own.metadata.uid}`)).IPAM?.Config?.[0]?.Gateway;
  const route = (await engine.exec.run(containerId(own, 'web'), ['ip', 'route', 'show', 'default'])).stdout;
  assert.match(route, new RegExp(`^default via ${ownGateway} `), `the gateway is pod-${own.metadata.uid}'s ${ownGateway}: ${route}`);
  const byName = await poll(mode, () => fetchFrom(engine, containerId(flat, 'client'), 'http://pnet-own:8080/'), (r) => r.exitCode === 0, 30, 100);
  assert.is(byName.stdout, 'served by pnet-own\n', byName.stderr);
  assert.equal((await pods.list()).filter((p) => p.metadata.name.startsWith('pnet-')).map((p) => p.metadata.name).sort(), ['pnet-flat', 'pnet-own']);

  const sent = await requestsDuring(() => pods.delete('pnet-own', { force: true }));
  assert.equal(sent.filter((r) => r.includes('/networks/')).map((r) => r.replace(/\/v[\d.]+\//, '/')), [`DELETE /networks/pod-${own.metadata.uid}`], 'its own network removed, once');
  assert.not.ok(await networkExists(engine, `pod-${own.metadata.uid}`));
  await pods.delete('pnet-flat', { force: true });
  await removeCluster(engine, cl.name);
  await assertNothingLeft(engine, { pods: ['pnet-own', 'pnet-flat'], cluster: cl.name });
});

// Live only, as test/pod/data-resync.test.ts: a remade sandbox's new attempts carry a back-off
// label with the old attempt's finish time, which the recorder shifts in answers but not in the
// request that echoes it, so no fixture could replay.
if (mode === 'live') scenario(net, 'a remade sandbox keeps the mode its pod was made in, whatever the default of the process that remakes it', async ({ engine, name, track, defer, now }) => {
  const cl = { name: track.network(name('cluster')), subnet: subnet(52) };
  // Made under one default, remade by a process (an agent's sync, run here by hand) under the other.
  const made = { cluster: podsIn(engine, 'pod/pod-network-live remake cluster', cl, 'cluster'), own: podsIn(engine, 'pod/pod-network-live remake own', cl, 'own') };
  const remaker = { cluster: made.own, own: made.cluster };
  const names = { cluster: 'pnet-remade-flat', own: 'pnet-remade-own' };
  for (const m of ['cluster', 'own'] as const) defer(() => made[m].delete(names[m], { force: true }), names[m]);
  for (const m of ['cluster', 'own'] as const) {
    const first = await made[m].create(clientPod(names[m]));
    const ownNetwork = `pod-${first.metadata.uid}`;
    // The infra goes; the app's label is all that says how the pod was made.
    await engine.containers.remove(`podling_${names[m]}`, { force: true });
    const [record] = await readPods(engine, { labels: [`${LABEL.podName}=${names[m]}`] });
    const observed = await observePod(engine, record!);
    assert.is(observed.podNetwork, m, `${m}: read back from the app's label`);
    const actions = planPod({ pod: record!.spec!, observed, now: now() * 1000, supervised: true });
    assert.ok(actions.sandbox, 'the plan remakes the sandbox');
    await executeActions(remaker[m].runtime, record!.spec!, observed, actions, { podId: record!.id, creator: TEST_CREATOR, supervised: true, grace: 0 });
    const again = await made[m].get(names[m]);
    assert.ok(inSubnet(again.status.podIP, cl.subnet), `${m}: podIP ${again.status.podIP} in ${cl.subnet}`);
    assert.equal(await infraNetworks(engine, names[m]), m === 'own' ? [cl.name, ownNetwork].sort() : [cl.name]);
    assert.is((await engine.containers.inspect(`podling_${names[m]}`)).Config.Labels?.[LABEL.network], m === 'cluster' ? 'cluster' : undefined);
    assert.is(await networkExists(engine, ownNetwork), m === 'own');
    await made[m].delete(names[m], { force: true });
    assert.not.ok(await networkExists(engine, ownNetwork), `${m}: nothing of the pod's left`);
  }
  await removeCluster(engine, cl.name);
  await assertNothingLeft(engine, { pods: Object.values(names), cluster: cl.name });
}, { unsupported: { podman: 'the scenario removes the infra by hand to have the sandbox remade, which Podman refuses while apps are joined to it (has dependent containers)' } });

net.run();
