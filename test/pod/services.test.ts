import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Engine } from '../../src/engine/index.js';
import { ANNOTATION_ISOLATED, ServiceError, ServiceSpecError, type ServiceObject } from '../../src/pod/index.js';
import { engineUnderTest, scenario } from '../support/scenario.js';
import { requestsDuring } from '../support/sent.js';
import { containerId, poll, rejection } from '../support/pods.js';
import {
  assertNothingLeft, clientPod, clusterAddress, clusterAliases, clusterPods, dnsNames, fetchFrom, lookupUntil, removeCluster, subnet, webPod,
} from '../support/cluster.js';

// Services: a name and a label selector; endpoints from the engine when asked, the name resolved by
// the cluster network's DNS (fixtures/pod/services/). Cluster subnets 10.212.11-14.0/24.
//
// A name the embedded DNS does not know is forwarded to the host's resolvers, and nothing here may
// send a query off this machine: so "the name is gone" is checked where the DNS answers from (no
// endpoint on the cluster network carries it), and every DNS query asks for a name that exists.
const services = suite('pod/services');

/** `busybox timeout 3 wget` of `url` from `client`, `times` times in a row: the bodies, trimmed. */
async function answers(engine: Engine, client: string, url: string, times: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < times; i++) {
    const r = await fetchFrom(engine, client, url);
    assert.is(r.exitCode, 0, `request ${i + 1} to ${url}: ${r.stderr}`);
    out.push(r.stdout.trim());
  }
  return out;
}

/** Waits until each server answers on its pod IP (httpd needs a moment after its container starts). */
async function serving(engine: Engine, mode: Parameters<typeof poll>[0], client: string, ips: string[]): Promise<void> {
  for (const ip of ips) {
    const r = await poll(mode, () => fetchFrom(engine, client, `http://${ip}:80/`), (x) => x.exitCode === 0, 30, 100);
    assert.is(r.exitCode, 0, `${ip} serves: ${r.stderr}`);
  }
}

const sorted = (...values: string[]) => [...values].sort();
const distinct = (values: string[]) => [...new Set(values)].sort();

/**
 * Requests by a service name spread over the pods it selects, as far as the engine's DNS spreads
 * them. Docker's embedded DNS shuffles the addresses in every answer, so twenty requests reach
 * every selected pod. Podman's aardvark-dns 1.4 answers them in one fixed order (six lookups of a
 * name three containers share, the same order each time) and wget takes the first: there every
 * request reaches a selected pod, never another, but not necessarily each of them.
 */
function assertReachedSelected(bodies: string[], selected: string[]): void {
  if (engineUnderTest.flavour !== 'podman') return assert.equal(distinct(bodies), selected);
  assert.ok(bodies.length > 0 && bodies.every((body) => selected.includes(body)), `every request reached one of ${selected.join(', ')}: ${distinct(bodies).join(', ')}`);
}

scenario(services, 'requests to a service name reach every selected pod; a deleted pod leaves endpoints and DNS, a later one joins both, and deleting the service takes the name away', async ({ engine, mode, name, track, defer }) => {
  const cl = { name: track.network(name('cluster')), subnet: subnet(11) };
  const pods = clusterPods(engine, 'pod/services balance', cl);
  const labels = { app: 'web', test: 'svct-balance' };
  const names = ['svct-web-1', 'svct-web-2', 'svct-web-3', 'svct-client'];
  for (const pod of names) defer(() => pods.delete(pod, { force: true }), pod);
  const ip1 = (await pods.create(webPod('svct-web-1', { labels }))).status.podIP!;
  const ip2 = (await pods.create(webPod('svct-web-2', { labels }))).status.podIP!;
  const client = containerId(await pods.create(clientPod('svct-client')), 'client');
  await serving(engine, mode, client, [ip1, ip2]);

  defer(() => pods.deleteService('web-service'), 'service web-service');
  const svc = await pods.createService({ name: 'web-service', selector: labels, port: 80 });
  assert.equal(svc, {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 'web-service', namespace: 'default', creationTimestamp: svc.metadata.creationTimestamp },
    spec: { selector: labels, ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] },
    endpoints: sorted(`${ip1}:80`, `${ip2}:80`),
  });
  assert.match(svc.metadata.creationTimestamp ?? '', /^\d{4}-\d\d-\d\dT/);
  // The name went onto both pods' cluster endpoints, and each kept its address doing so.
  assert.equal(await clusterAliases(engine, cl.name), {
    'podling_svct-client': dnsNames({ pods: ['svct-client'] }),
    'podling_svct-web-1': dnsNames({ pods: ['svct-web-1'], services: ['web-service'] }),
    'podling_svct-web-2': dnsNames({ pods: ['svct-web-2'], services: ['web-service'] }),
  });
  assert.is(await clusterAddress(engine, 'svct-web-1', cl.name), ip1);
  assert.is(await clusterAddress(engine, 'svct-web-2', cl.name), ip2);
  assert.equal(await lookupUntil(mode, engine, client, 'web-service', (ips) => ips.length === 2), sorted(ip1, ip2));

  // Twenty requests by the name reach both pods (Docker's DNS shuffles the answer), and only them.
  assertReachedSelected(await answers(engine, client, 'http://web-service:80/', 20), ['svct-web-1', 'svct-web-2']);
  assert.equal((await pods.getService('web-service')).endpoints, sorted(`${ip1}:80`, `${ip2}:80`));

  // A deleted pod leaves the endpoints at once, and the name's answer.
  await pods.delete('svct-web-1', { force: true });
  assert.equal((await pods.getService('web-service')).endpoints, [`${ip2}:80`]);
  // An answer without addresses is a lookup that failed, not the name's new answer: on Podman one
  // came back empty just after the delete (aardvark-dns 1.4 drops its listeners while it reloads
  // at every container's removal: containers/aardvark-dns#389).
  assert.equal(await lookupUntil(mode, engine, client, 'web-service', (ips) => ips.length > 0 && !ips.includes(ip1)), [ip2]);
  assert.equal(distinct(await answers(engine, client, 'http://web-service:80/', 3)), ['svct-web-2']);

  // A pod made later carries the name from its create: endpoints and DNS both have it.
  const web3 = await pods.create(webPod('svct-web-3', { labels }));
  const ip3 = web3.status.podIP!;
  assert.equal((await clusterAliases(engine, cl.name))['podling_svct-web-3'], dnsNames({ pods: ['svct-web-3'], services: ['web-service'] }));
  assert.equal((await pods.getService('web-service')).endpoints, sorted(`${ip2}:80`, `${ip3}:80`));
  assert.equal(await lookupUntil(mode, engine, client, 'web-service', (ips) => ips.includes(ip3)), sorted(ip2, ip3));
  await serving(engine, mode, client, [ip3]);
  assertReachedSelected(await answers(engine, client, 'http://web-service:80/', 20), ['svct-web-2', 'svct-web-3']);

  // Deleting the service takes the name off every pod; each keeps its address and its own name.
  await pods.deleteService('web-service');
  const gone = await rejection(pods.getService('web-service'));
  assert.instance(gone, ServiceError);
  assert.is((gone as Error).message, 'service "web-service" not found');
  assert.ok(!(await pods.listServices()).some((s) => s.metadata.name === 'web-service'));
  assert.equal(await clusterAliases(engine, cl.name), {
    'podling_svct-client': dnsNames({ pods: ['svct-client'] }),
    'podling_svct-web-2': dnsNames({ pods: ['svct-web-2'] }),
    'podling_svct-web-3': dnsNames({ pods: ['svct-web-3'] }),
  });
  assert.is(await clusterAddress(engine, 'svct-web-2', cl.name), ip2);
  assert.is(await clusterAddress(engine, 'svct-web-3', cl.name), ip3);
  assert.equal(await lookupUntil(mode, engine, client, 'svct-web-3', (ips) => ips.length > 0), [ip3]);
  const byName = await fetchFrom(engine, client, 'http://svct-web-3:80/');
  assert.is(byName.stdout, 'svct-web-3\n', byName.stderr);

  // svct-web-1 was deleted above.
  for (const pod of ['svct-web-2', 'svct-web-3', 'svct-client']) await pods.delete(pod, { force: true });
  await removeCluster(engine, cl.name);
  await assertNothingLeft(engine, { pods: names, services: ['web-service'], cluster: cl.name });
});

scenario(services, 'endpoints are the target port of each running pod matching the whole selector, never an isolated, hostNetwork or finished one, and only those pods carry the name', async ({ engine, mode, name, track, defer }) => {
  const cl = { name: track.network(name('cluster')), subnet: subnet(12) };
  const pods = clusterPods(engine, 'pod/services endpoints', cl);
  const selector = { app: 'api', tier: 'be', test: 'svct-endpoints' };
  const names = ['svct-ep-match', 'svct-ep-other', 'svct-ep-iso', 'svct-ep-host', 'svct-ep-done', 'svct-ep-later'];
  for (const pod of names) defer(() => pods.delete(pod, { force: true }), pod);
  const match = await pods.create(clientPod('svct-ep-match', { labels: selector }));
  await pods.create(clientPod('svct-ep-other', { labels: { ...selector, tier: 'fe' } }));
  await pods.create(clientPod('svct-ep-iso', { labels: selector, annotations: { [ANNOTATION_ISOLATED]: 'true' } }));
  await pods.create(clientPod('svct-ep-host', { labels: selector, hostNetwork: true }));
  await pods.create(clientPod('svct-ep-done', { labels: selector, restartPolicy: 'Never', command: ['true'] }));
  const done = await poll(mode, () => pods.get('svct-ep-done'), (p) => p.status.phase === 'Succeeded', 50, 100);
  assert.is(done.status.phase, 'Succeeded');

  // Giving pods the name inspects the infra of each running pod on this cluster network, and of
  // no other pod (not the isolated or hostNetwork ones, nor other tests' pods on the engine).
  const onCluster = await Promise.all(['svct-ep-match', 'svct-ep-other', 'svct-ep-done'].map(async (n) => (await engine.containers.inspect(`podling_${n}`)).Id));
  let svc: ServiceObject | undefined;
  defer(() => pods.deleteService('svct-api'), 'service svct-api');
  const sent = await requestsDuring(async () => { svc = await pods.createService({ name: 'svct-api', selector, ports: [{ port: 80, targetPort: 8080, protocol: 'UDP' }] }); });
  const inspected = sent.flatMap((r) => /^GET \/v[\d.]+\/containers\/([0-9a-f]{64})\/json$/.exec(r)?.[1] ?? []);
  assert.equal(inspected.sort(), onCluster.sort());
  if (!svc) throw new Error('unreachable');
  assert.equal(svc.spec, { selector, ports: [{ port: 80, targetPort: 8080, protocol: 'UDP' }] });
  assert.equal(svc.endpoints, [`${match.status.podIP}:8080`]);
  const aliases = await clusterAliases(engine, cl.name);
  assert.equal(aliases['podling_svct-ep-match'], dnsNames({ pods: ['svct-ep-match'], services: ['svct-api'] }));
  assert.equal(aliases['podling_svct-ep-other'], dnsNames({ pods: ['svct-ep-other'] }));
  assert.is(aliases['podling_svct-ep-iso'], undefined, 'an isolated pod is not on the cluster network');
  assert.is(aliases['podling_svct-ep-host'], undefined, 'a hostNetwork pod is not on the cluster network');

  // The service is the labels of a container that never runs and has no network.
  const holder = await engine.containers.inspect('podling_service_svct-api');
  assert.is(holder.State.Status, 'created');
  assert.is(holder.HostConfig.NetworkMode, 'none');
  assert.is(holder.Config.Labels?.['podling.io/managed'], 'true');
  assert.is(holder.Config.Labels?.['podling.io/type'], 'service');
  assert.is(holder.Config.Labels?.['podling.io/service-name'], 'svct-api');
  assert.equal(JSON.parse(holder.Config.Labels?.['podling.io/service-spec'] ?? ''), { name: 'svct-api', selector, ports: [{ port: 80, targetPort: 8080, protocol: 'UDP' }] });

  // A matching pod made after the service joins, with the name from its create.
  const later = await pods.create(clientPod('svct-ep-later', { labels: selector }));
  assert.equal((await clusterAliases(engine, cl.name))['podling_svct-ep-later'], dnsNames({ pods: ['svct-ep-later'], services: ['svct-api'] }));
  const expected = sorted(`${match.status.podIP}:8080`, `${later.status.podIP}:8080`);
  assert.equal((await pods.getService('svct-api')).endpoints, expected);
  const listed = (await pods.listServices()).find((s) => s.metadata.name === 'svct-api');
  assert.equal(listed, await pods.getService('svct-api'));
  assert.equal(listed?.endpoints, expected);

  await pods.deleteService('svct-api');
  for (const pod of names) await pods.delete(pod, { force: true });
  await removeCluster(engine, cl.name);
  await assertNothingLeft(engine, { pods: names, services: ['svct-api'], cluster: cl.name });
});

scenario(services, 'a bad service, or a bad name to get or delete, is refused with one error naming the problem and no request is sent', async ({ engine, name }) => {
  const pods = clusterPods(engine, 'pod/services bad input', { name: name('cluster'), subnet: subnet(13) });
  const good = { name: 'svct-bad', selector: { app: 'web' }, port: 80 };
  const CASES: Array<[Record<string, unknown>, string]> = [
    [{ selector: { 'a b': 'x' } }, 'invalid service: selector: invalid label key "a b"'],
    [{ selector: { 'app in (x)': '' } }, 'invalid service: selector: invalid label key "app in (x)"'],
    [{ selector: { app: 'in (x)' } }, 'invalid service: selector: invalid label value "in (x)" (at most 63 of [A-Za-z0-9_.-], starting and ending alphanumeric)'],
    [{ selector: {} }, 'invalid service: selector: a service needs a non-empty selector'],
    [{ port: 0 }, 'invalid service: port: port must be 1-65535'],
    [{ port: 70000 }, 'invalid service: port: port must be 1-65535'],
    [{ targetPort: 70000 }, 'invalid service: targetPort: targetPort must be 1-65535'],
    [{ name: 'Web_Service' }, 'invalid service: name: service name must be a DNS label: lower-case letters, digits and \'-\', starting and ending with a letter or digit'],
    [{ protocol: 'ICMP' }, 'invalid service: protocol: protocol must be TCP, UDP or SCTP'],
    [{ targetPort: 'Not A Name' }, 'invalid service: targetPort: targetPort must be a port number or a port name (at most 15 of a-z, 0-9 and \'-\', with a letter)'],
    [{ port: undefined, ports: [{ port: 80 }, { port: 81, name: 'b' }] }, 'invalid service: ports.0.name: a service with several ports names each of them'],
    [{ port: undefined, ports: [{ port: 80, name: 'a' }, { port: 80, name: 'b' }] }, 'invalid service: ports.1: duplicate port 80/TCP'],
    [{ port: undefined, ports: [] }, 'invalid service: ports: a service needs at least one port'],
  ];
  for (const [change, message] of CASES) {
    let err: unknown;
    const sent = await requestsDuring(async () => { err = await rejection(pods.createService(Object.fromEntries(Object.entries({ ...good, ...change }).filter(([, v]) => v !== undefined)) as never)); });
    assert.instance(err, ServiceSpecError, JSON.stringify(change));
    assert.is((err as Error).message, message);
    assert.equal(sent, [], `nothing sent for ${JSON.stringify(change)}`);
  }
  for (const call of [() => pods.getService('Bad Name'), () => pods.deleteService('Bad Name')]) {
    let err: unknown;
    const sent = await requestsDuring(async () => { err = await rejection(call()); });
    assert.instance(err, ServiceSpecError);
    assert.is((err as Error).message, 'invalid service name "Bad Name"');
    assert.equal(sent, []);
  }
});

scenario(services, 'a second service of a taken name is refused and changes nothing; get and delete of a service that does not exist are not found', async ({ engine, name, track, defer }) => {
  const cl = { name: track.network(name('cluster')), subnet: subnet(14) };
  const pods = clusterPods(engine, 'pod/services duplicate', cl);
  const labels = { test: 'svct-dup' };
  defer(() => pods.delete('svct-dup', { force: true }), 'svct-dup');
  const pod = await pods.create(clientPod('svct-dup', { labels }));
  defer(() => pods.deleteService('svct-dup-svc'), 'service svct-dup-svc');
  const first = await pods.createService({ name: 'svct-dup-svc', selector: labels, port: 80 });
  assert.equal(first.endpoints, [`${pod.status.podIP}:80`]);

  let err: unknown;
  const sent = await requestsDuring(async () => {
    err = await rejection(pods.createService({ name: 'svct-dup-svc', selector: { test: 'svct-other' }, port: 81 }));
  });
  assert.instance(err, ServiceError);
  assert.is((err as Error).message, 'service "svct-dup-svc" already exists');
  // One refused create, and nothing that changes anything else (no network (dis)connects, no removal).
  assert.equal(sent.filter((r) => !r.startsWith('GET ')).map((r) => r.replace(/^POST \/v[\d.]+/, 'POST ')), ['POST /containers/create?name=podling_service_svct-dup-svc']);
  const now: ServiceObject = await pods.getService('svct-dup-svc');
  assert.equal(now, first);
  assert.equal((await clusterAliases(engine, cl.name))['podling_svct-dup'], dnsNames({ pods: ['svct-dup'], services: ['svct-dup-svc'] }));

  for (const call of [() => pods.getService('svct-nope'), () => pods.deleteService('svct-nope')]) {
    const missing = await rejection(call());
    assert.instance(missing, ServiceError);
    assert.is((missing as Error).message, 'service "svct-nope" not found');
  }

  await pods.deleteService('svct-dup-svc');
  const again = await rejection(pods.deleteService('svct-dup-svc'));
  assert.is((again as Error).message, 'service "svct-dup-svc" not found');
  assert.equal((await clusterAliases(engine, cl.name))['podling_svct-dup'], dnsNames({ pods: ['svct-dup'] }));

  await pods.delete('svct-dup', { force: true });
  await removeCluster(engine, cl.name);
  await assertNothingLeft(engine, { pods: ['svct-dup'], services: ['svct-dup-svc'], cluster: cl.name });
});

services.run();
