import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isNotFound } from '../../src/engine/errors.js';
import { ANNOTATION_ISOLATED } from '../../src/pod/index.js';
import { ANNOTATION_POD_IP } from '../../src/pod/labels.js';
import { scenario } from '../support/scenario.js';
import { containerId, pause, poll } from '../support/pods.js';
import {
  assertNothingLeft, clientPod, clusterAddress, clusterAliases, clusterPods, dnsNames, fetchFrom, inSubnet, lookupUntil, removeCluster, subnet, webPod,
} from '../support/cluster.js';

// Pod-to-pod traffic on the cluster network, isolated pods, hostNetwork pods (fixtures/pod/cluster/).
// Each scenario has its own cluster network: 10.212.1.0/24, .2 and .3 (test/support/cluster.ts says
// why not 10.211).
const cluster = suite('pod/cluster');

scenario(cluster, 'a pod fetches from another by its pod ip and by its name, which the cluster network resolves to that ip', async ({ engine, mode, name, track, defer }) => {
  const cl = { name: track.network(name('cluster')), subnet: subnet(1) };
  const pods = clusterPods(engine, 'pod/cluster by ip and name', cl);
  defer(() => pods.delete('clt-a', { force: true }), 'clt-a');
  const a = await pods.create(webPod('clt-a', { port: 8080, body: 'served by clt-a' }));
  defer(() => pods.delete('clt-b', { force: true }), 'clt-b');
  const b = await pods.create(clientPod('clt-b'));
  // The pod's address is its cluster address, in the subnet the cluster was given.
  const ip = a.status.podIP;
  assert.ok(inSubnet(ip, cl.subnet), `podIP ${ip} in ${cl.subnet}`);
  assert.ok(inSubnet(b.status.podIP, cl.subnet), `podIP ${b.status.podIP} in ${cl.subnet}`);
  assert.is.not(ip, b.status.podIP);
  assert.is(await clusterAddress(engine, 'clt-a', cl.name), ip);
  assert.is(a.metadata.annotations[ANNOTATION_POD_IP], ip);
  assert.is((await pods.get('clt-a')).status.podIP, ip, 'get reads the same address back');

  // The first pod made the cluster network: the subnet asked for, labelled as Podling's.
  const network = await engine.networks.inspect(cl.name);
  assert.equal(network.IPAM?.Config?.map((c) => c.Subnet), [cl.subnet]);
  assert.is(network.Labels?.['podling.io/managed'], 'true');
  assert.is(network.Labels?.['podling.io/type'], 'cluster-network');
  // Each pod is on it once, as its infra container, with its name as its one alias; in the default
  // mode (`cluster`) that is the infra's only network (test/pod/pod-network-live.test.ts has `own`).
  assert.equal(await clusterAliases(engine, cl.name), { 'podling_clt-a': dnsNames({ pods: ['clt-a'] }), 'podling_clt-b': dnsNames({ pods: ['clt-b'] }) });
  const infra = await engine.containers.inspect('podling_clt-a');
  assert.equal(Object.keys(infra.NetworkSettings.Networks ?? {}), [cl.name]);

  const client = containerId(b, 'client');
  // httpd needs a moment after its container starts: the first fetch is retried a bounded number of times.
  const byIp = await poll(mode, () => fetchFrom(engine, client, `http://${ip}:8080/`), (r) => r.exitCode === 0, 30, 100);
  assert.is(byIp.exitCode, 0, byIp.stderr);
  assert.is(byIp.stdout, 'served by clt-a\n');
  assert.equal(await lookupUntil(mode, engine, client, 'clt-a', (ips) => ips.length > 0), [ip!]);
  const byName = await fetchFrom(engine, client, 'http://clt-a:8080/');
  assert.is(byName.exitCode, 0, byName.stderr);
  assert.is(byName.stdout, 'served by clt-a\n');
  // And back: the server pod resolves and reaches the client's name too.
  assert.equal(await lookupUntil(mode, engine, containerId(a, 'web'), 'clt-b', (ips) => ips.length > 0), [b.status.podIP!]);

  await pods.delete('clt-a', { force: true });
  await pods.delete('clt-b', { force: true });
  await removeCluster(engine, cl.name);
  await assertNothingLeft(engine, { pods: ['clt-a', 'clt-b'], cluster: cl.name });
});

scenario(cluster, 'an isolated pod is on no cluster network and no other pod reaches it, while a pod on the cluster network is reached', async ({ engine, mode, name, track, defer }) => {
  const cl = { name: track.network(name('cluster')), subnet: subnet(2) };
  const pods = clusterPods(engine, 'pod/cluster isolated', cl);
  const names = ['clt-open', 'clt-iso', 'clt-client'];
  for (const pod of names) defer(() => pods.delete(pod, { force: true }), pod);
  const open = await pods.create(webPod('clt-open', { port: 8080 }));
  const iso = await pods.create(webPod('clt-iso', { port: 8080, annotations: { [ANNOTATION_ISOLATED]: 'true' } }));
  const client = containerId(await pods.create(clientPod('clt-client')), 'client');

  // The isolated pod has an address on its own bridge only.
  assert.is(iso.metadata.annotations[ANNOTATION_ISOLATED], 'true');
  assert.match(iso.status.podIP ?? '', /^\d+\.\d+\.\d+\.\d+$/);
  assert.not.ok(inSubnet(iso.status.podIP, cl.subnet), `isolated podIP ${iso.status.podIP} is outside ${cl.subnet}`);
  assert.is(await clusterAddress(engine, 'clt-iso', cl.name), undefined);
  assert.equal(Object.keys((await engine.containers.inspect('podling_clt-iso')).NetworkSettings.Networks ?? {}), [`pod-${iso.metadata.uid}`]);
  assert.equal(Object.keys(await clusterAliases(engine, cl.name)), ['podling_clt-client', 'podling_clt-open']);

  // Both servers are up: each answers on its own localhost.
  for (const pod of [open, iso]) {
    const local = await poll(mode, () => fetchFrom(engine, containerId(pod, 'web'), 'http://localhost:8080/'), (r) => r.exitCode === 0, 30, 100);
    assert.is(local.stdout, `${pod.metadata.name}\n`, `${pod.metadata.name} serves on its localhost`);
  }
  // Control: the pod on the cluster network is reached by its address.
  const reached = await poll(mode, () => fetchFrom(engine, client, `http://${open.status.podIP}:8080/`), (r) => r.exitCode === 0, 10, 100);
  assert.is(reached.exitCode, 0, reached.stderr);
  assert.is(reached.stdout, 'clt-open\n');
  // The isolated one is not, and the attempt ends within its bound: 3 s, plus an exec's round trips
  // on a busy machine (a connection left to the kernel's SYN retries would take minutes).
  const started = Date.now();
  const refused = await fetchFrom(engine, client, `http://${iso.status.podIP}:8080/`);
  const took = Date.now() - started;
  assert.is.not(refused.exitCode, 0, `isolated pod answered: ${refused.stdout}`);
  assert.is(refused.stdout, '');
  if (mode !== 'replay') assert.ok(took < 10_000, `the failed fetch took ${took} ms`);
  // Nor does the isolated pod reach the cluster.
  const out = await fetchFrom(engine, containerId(iso, 'web'), `http://${open.status.podIP}:8080/`);
  assert.is.not(out.exitCode, 0, `isolated pod reached the cluster: ${out.stdout}`);

  for (const pod of names) await pods.delete(pod, { force: true });
  await removeCluster(engine, cl.name);
  await assertNothingLeft(engine, { pods: names, cluster: cl.name });
});

/** A port in 18080-18999 that depends only on `seed`: the same in every run, so fixtures replay. */
function portFor(seed: string): number {
  return 18080 + (createHash('sha256').update(seed).digest().readUInt32BE(0) % 920);
}

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

function hostAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address));
}

scenario(cluster, 'a hostNetwork pod serves on the host\'s loopback, says spec.hostNetwork, and has no pod or cluster network', async ({ engine, mode, name, track, defer }) => {
  // Tracked all the same: a pod that made the network after all must not leave it behind.
  const cl = { name: track.network(name('cluster')), subnet: subnet(3) };
  const pods = clusterPods(engine, 'pod/cluster host network', cl);
  const port = portFor(name('port'));
  // Live only: the test process's own loopback (a replay has no server to reach).
  const live = mode !== 'replay';
  if (live) assert.ok(await portIsFree(port), `127.0.0.1:${port} is already taken on this machine: the test cannot tell its server from another`);
  defer(() => pods.delete('clt-host', { force: true }), 'clt-host');
  const created = await pods.create(webPod('clt-host', { listen: `127.0.0.1:${port}`, hostNetwork: true, body: 'served by clt-host on the host network' }));
  const pod = await pods.get('clt-host');
  assert.is(pod.status.phase, 'Running');
  assert.is((pod.spec as { hostNetwork?: boolean }).hostNetwork, true);
  assert.is(created.metadata.uid, pod.metadata.uid);
  // Its address is the host's.
  assert.ok(pod.status.podIP && hostAddresses().includes(pod.status.podIP), `podIP ${pod.status.podIP} is one of this host's addresses`);
  // The infra is in the host's namespace: no pod network was made, nor any cluster network.
  const infra = await engine.containers.inspect('podling_clt-host');
  assert.is(infra.HostConfig.NetworkMode, 'host');
  // dockerd lists the `host` network; Podman lists none. Neither a pod nor the cluster network.
  assert.equal(Object.keys(infra.NetworkSettings.Networks ?? {}).filter((n) => n !== 'host'), []);
  for (const network of [`pod-${pod.metadata.uid}`, cl.name]) {
    const err = await engine.networks.inspect(network).then(() => undefined, (e: unknown) => e);
    assert.ok(isNotFound(err), `network ${network} should not exist`);
  }
  const app = await engine.containers.inspect(containerId(pod, 'web'));
  assert.is(app.HostConfig.NetworkMode, `container:${infra.Id}`);

  if (live) {
    let answer = await fetchLoopback(port);
    for (let attempt = 0; attempt < 30 && answer.status !== 200; attempt++) {
      await pause(mode, 100);
      answer = await fetchLoopback(port);
    }
    assert.equal(answer, { status: 200, body: 'served by clt-host on the host network\n' });
  }

  await pods.delete('clt-host', { force: true });
  await assertNothingLeft(engine, { pods: ['clt-host'], cluster: cl.name });
  if (live) assert.equal(await fetchLoopback(port), { error: 'ECONNREFUSED' }, 'the server went with the pod');
});

cluster.run();
