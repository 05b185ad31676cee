import { get } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ANNOTATION_POD_IP } from '../../src/pod/labels.js';
import { ANNOTATION_ISOLATED } from '../../src/pod/spec.js';
import { ANNOTATION_NETWORK } from '../../src/pod/pod-network.js';
import { mode, scenario } from '../support/scenario.js';
import { containerId, IMAGE, poll, sleeper, testPods } from '../support/pods.js';

// A pod is one network namespace: its containers reach each other on localhost and share one IP
// (fixtures/pod/namespace/).
const namespace = suite('pod/namespace');

scenario(namespace, 'a container fetches what another container of the pod serves on localhost', async ({ engine, mode, defer }) => {
  const pods = testPods(engine, 'pod/namespace localhost');
  defer(() => pods.delete('pt-localhost', { force: true }), 'pt-localhost');
  const pod = await pods.create({
    metadata: { name: 'pt-localhost' },
    spec: {
      containers: [
        { name: 'server', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'mkdir -p /www && echo "served by the server container" > /www/x && exec httpd -f -p 8080 -h /www'] },
        sleeper('client'),
      ],
    },
  });
  assert.is(pod.status.phase, 'Running');
  // httpd needs a moment after its container starts; the fetch is retried a bounded number of times.
  const fetch = () => engine.exec.run(containerId(pod, 'client'), ['busybox', 'timeout', '5', 'wget', '-qO-', 'http://localhost:8080/x']);
  const fetched = await poll(mode, fetch, (r) => r.exitCode === 0, 30, 100);
  assert.is(fetched.exitCode, 0, fetched.stderr);
  assert.is(fetched.stdout, 'served by the server container\n');
});

/** The IPv4 addresses `ip -4 -o addr` shows, loopback left out. */
function addresses(output: string): string[] {
  return [...output.matchAll(/\binet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]!).filter((ip) => !ip.startsWith('127.'));
}

scenario(namespace, 'in an isolated pod every container shows only the pod ip besides loopback, and it is status.podIP and the pod-ip annotation', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/namespace one ip');
  // Isolated: on its own network only, so the namespace has exactly one address.
  defer(() => pods.delete('pt-one-ip', { force: true }), 'pt-one-ip');
  const pod = await pods.create({
    metadata: { name: 'pt-one-ip', annotations: { [ANNOTATION_ISOLATED]: 'true' } },
    spec: { containers: [sleeper('a'), sleeper('b'), sleeper('c')] },
  });
  const podIP = pod.status.podIP;
  assert.match(podIP ?? '', /^\d+\.\d+\.\d+\.\d+$/);
  assert.equal(pod.status.podIPs, [{ ip: podIP }]);
  assert.is(pod.metadata.annotations[ANNOTATION_POD_IP], podIP);
  for (const name of ['a', 'b', 'c']) {
    const { exitCode, stdout } = await engine.exec.run(containerId(pod, name), ['ip', '-4', '-o', 'addr']);
    assert.is(exitCode, 0);
    assert.match(stdout, /\binet 127\.0\.0\.1\/8\b/, `${name} has loopback`);
    assert.equal(addresses(stdout), [podIP], `addresses in ${name}: ${stdout}`);
  }
  // The pod network holds one address, the infra container's. dockerd lists only the infra there;
  // Podman lists the containers that joined its namespace too, each at that same address.
  const network = await engine.networks.inspect(`pod-${pod.metadata.uid}`);
  assert.equal([...new Set(Object.values(network.Containers ?? {}).map((c) => c.IPv4Address?.split('/')[0]))], [podIP]);
  // `pod list` reads the same address from list summaries alone.
  const listed = (await pods.list()).find((p) => p.metadata.uid === pod.metadata.uid);
  assert.is(listed?.status.podIP, podIP);
});

scenario(namespace, 'in a pod on the cluster network every container shows exactly the infra container\'s addresses, and status.podIP is its cluster address', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/namespace cluster ip');
  defer(() => pods.delete('pt-cluster-ip', { force: true }), 'pt-cluster-ip');
  const pod = await pods.create({ metadata: { name: 'pt-cluster-ip' }, spec: { containers: [sleeper('a'), sleeper('b')] } });
  const [infra] = await engine.containers.list({ all: true, filters: { label: ['podling.io/pod-name=pt-cluster-ip', 'podling.io/role=infra'] } });
  const networks = (await engine.containers.inspect(infra!.Id)).NetworkSettings.Networks ?? {};
  const infraAddresses = Object.values(networks).map((n) => n.IPAddress!).sort();
  // The default mode (`cluster`): the cluster network is the pod's only one, so it has one address.
  assert.is(infraAddresses.length, 1, `the cluster network only: ${JSON.stringify(Object.keys(networks))}`);
  const cluster = Object.entries(networks).find(([name]) => name !== `pod-${pod.metadata.uid}`)!;
  assert.is(pod.status.podIP, cluster[1].IPAddress, `status.podIP is the address on ${cluster[0]}`);
  assert.is(pod.metadata.annotations[ANNOTATION_POD_IP], pod.status.podIP);
  for (const name of ['a', 'b']) {
    const { stdout } = await engine.exec.run(containerId(pod, name), ['ip', '-4', '-o', 'addr']);
    assert.equal(addresses(stdout).sort(), infraAddresses, `addresses in ${name}: ${stdout}`);
  }
});

scenario(namespace, 'an app\'s first command already sees both of the pod\'s networks: the pod network is connected before any app starts', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/namespace networks before apps');
  // Each app prints its addresses as the very first thing it does, then sleeps.
  const early = (name: string) => ({ name, image: IMAGE, imagePullPolicy: 'IfNotPresent' as const, command: ['sh', '-c', 'ip -4 -o addr; exec sleep 3600'] });
  defer(() => pods.delete('pt-nets-first', { force: true }), 'pt-nets-first');
  // Only a pod with a network of its own (`own`) has a second network to connect after its infra started.
  const pod = await pods.create({ metadata: { name: 'pt-nets-first', annotations: { [ANNOTATION_NETWORK]: 'own' } }, spec: { containers: [early('a'), early('b'), early('c')] } });
  const [infra] = await engine.containers.list({ all: true, filters: { label: ['podling.io/pod-name=pt-nets-first', 'podling.io/role=infra'] } });
  const infraAddresses = Object.values((await engine.containers.inspect(infra!.Id)).NetworkSettings.Networks ?? {}).map((n) => n.IPAddress!).sort();
  assert.is(infraAddresses.length, 2);
  for (const name of ['a', 'b', 'c']) {
    // The create returns once each app started, which may be before its first command printed.
    const read = async () => (await (await engine.containers.logs(containerId(pod, name))).text()).stdout;
    const stdout = await poll(mode, read, (out) => out.includes('\n'), 50, 100);
    assert.equal(addresses(stdout).sort(), infraAddresses, `what ${name} saw first: ${stdout}`);
  }
});

if (mode === 'live') {
  // Live only: the fetch is the test process's own traffic to loopback, which no fixture holds.
  scenario(namespace, 'a published hostPort answers on the host\'s loopback, served by the pod\'s app container', async ({ engine, defer }) => {
    const pods = testPods(engine, 'pod/namespace host port');
    const port = await freePort();
    defer(() => pods.delete('pt-host-port', { force: true }), 'pt-host-port');
    await pods.create({
      metadata: { name: 'pt-host-port', labels: { app: 'pt-host-port' } },
      spec: {
        containers: [{
          name: 'server', image: IMAGE, imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', 'mkdir -p /www && echo "served through the host port" > /www/x && exec httpd -f -p 8080 -h /www'],
          ports: [{ containerPort: 8080, hostPort: port, hostIP: '127.0.0.1' }],
        }],
      },
    });
    // httpd needs a moment after its container starts; bounded retries.
    assert.is(await fetchSoon(`http://127.0.0.1:${port}/x`), 'served through the host port\n');
    // The ports live on the cluster endpoint, which a service's alias sync reconnects: they
    // come back with it (a connection made during the reconnect itself may fail).
    defer(() => pods.deleteService('pt-host-port-svc'), 'service pt-host-port-svc');
    await pods.createService({ name: 'pt-host-port-svc', selector: { app: 'pt-host-port' }, port: 80, targetPort: 8080 });
    assert.is(await fetchSoon(`http://127.0.0.1:${port}/x`), 'served through the host port\n');
  });
}

/** A TCP port on loopback that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** GET `url`, retried every 100 ms for up to 5 s; '' if it never answered. */
async function fetchSoon(url: string): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const body = await httpGet(url).catch(() => '');
    if (body) return body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return '';
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, { timeout: 2000 }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => { text += chunk.toString('utf8'); });
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`HTTP ${res.statusCode}`))));
    }).on('error', reject).on('timeout', function (this: { destroy: (e: Error) => void }) { this.destroy(new Error('timeout')); });
  });
}

namespace.run();
