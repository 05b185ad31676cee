import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { appSpec } from '../../src/pod/containers.js';
import { resolveContainer } from '../../src/pod/env.js';
import { parsePod } from '../../src/pod/index.js';
import { envName, serviceLinks, serviceVariables, withServiceLinks } from '../../src/pod/service-links.js';
import { parseService } from '../../src/pod/services.js';
import { fetchFrom, webPod } from '../support/cluster.js';
import { scenario } from '../support/scenario.js';
import { assertRefusedWithoutSending } from '../support/refused.js';
import { containerId, IMAGE, poll, testPods } from '../support/pods.js';

// Service links: the <SERVICE>_SERVICE_HOST / _PORT variables a kubelet gives every container, for
// the services of its namespace (no engine), and in force inside a container (fixtures/pod/service-links/).
const links = suite('pod/service-links');

const service = (value: Record<string, unknown>) => parseService({ selector: { app: 'x' }, ...value });

links('variable names are the service\'s upper-cased, with \'-\' as \'_\', as envvars.go makes them', () => {
  assert.is(envName('web'), 'WEB');
  assert.is(envName('my-db-2'), 'MY_DB_2');
});

links('one port: host and port, then the docker link forms; the host is the DNS name, the port the numeric targetPort', () => {
  assert.equal(serviceVariables(service({ name: 'redis-primary', namespace: 'shop', port: 6379, targetPort: 7000 })), [
    ['REDIS_PRIMARY_SERVICE_HOST', 'redis-primary.shop.svc.cluster.local'],
    ['REDIS_PRIMARY_SERVICE_PORT', '7000'],
    ['REDIS_PRIMARY_PORT', 'tcp://redis-primary.shop.svc.cluster.local:7000'],
    ['REDIS_PRIMARY_PORT_7000_TCP', 'tcp://redis-primary.shop.svc.cluster.local:7000'],
    ['REDIS_PRIMARY_PORT_7000_TCP_PROTO', 'tcp'],
    ['REDIS_PRIMARY_PORT_7000_TCP_PORT', '7000'],
    ['REDIS_PRIMARY_PORT_7000_TCP_ADDR', 'redis-primary.shop.svc.cluster.local'],
  ]);
});

links('several named ports: _SERVICE_PORT is the first, each name gets _SERVICE_PORT_<NAME>, each port its own link forms; a named targetPort gives port', () => {
  const vars = serviceVariables(service({ name: 'web', ports: [
    { name: 'http', port: 80, targetPort: 8080 },
    { name: 'dns-udp', port: 53, protocol: 'UDP' },
    { name: 'admin', port: 9000, targetPort: 'admin-port' },
  ] }));
  assert.equal(vars, [
    ['WEB_SERVICE_HOST', 'web.default.svc.cluster.local'],
    ['WEB_SERVICE_PORT', '8080'],
    ['WEB_SERVICE_PORT_HTTP', '8080'],
    ['WEB_SERVICE_PORT_DNS_UDP', '53'],
    ['WEB_SERVICE_PORT_ADMIN', '9000'],
    ['WEB_PORT', 'tcp://web.default.svc.cluster.local:8080'],
    ['WEB_PORT_8080_TCP', 'tcp://web.default.svc.cluster.local:8080'],
    ['WEB_PORT_8080_TCP_PROTO', 'tcp'],
    ['WEB_PORT_8080_TCP_PORT', '8080'],
    ['WEB_PORT_8080_TCP_ADDR', 'web.default.svc.cluster.local'],
    ['WEB_PORT_53_UDP', 'udp://web.default.svc.cluster.local:53'],
    ['WEB_PORT_53_UDP_PROTO', 'udp'],
    ['WEB_PORT_53_UDP_PORT', '53'],
    ['WEB_PORT_53_UDP_ADDR', 'web.default.svc.cluster.local'],
    ['WEB_PORT_9000_TCP', 'tcp://web.default.svc.cluster.local:9000'],
    ['WEB_PORT_9000_TCP_PROTO', 'tcp'],
    ['WEB_PORT_9000_TCP_PORT', '9000'],
    ['WEB_PORT_9000_TCP_ADDR', 'web.default.svc.cluster.local'],
  ]);
});

links('only the services of the pod\'s own namespace, in name order; none when there are none', () => {
  const all = [service({ name: 'b', port: 2 }), service({ name: 'a', port: 1 }), service({ name: 'c', namespace: 'other', port: 3 })];
  const names = [...serviceLinks(all, 'default').keys()].filter((n) => n.endsWith('_SERVICE_HOST'));
  assert.equal(names, ['A_SERVICE_HOST', 'B_SERVICE_HOST']);
  assert.equal([...serviceLinks(all, 'other').keys()].filter((n) => n.endsWith('_SERVICE_HOST')), ['C_SERVICE_HOST']);
  assert.equal(serviceLinks(all, 'empty').size, 0);
});

links('the container\'s own variables come first and win over a service variable of the same name', () => {
  const table = new Map([['A_SERVICE_HOST', 'a.default.svc.cluster.local'], ['A_SERVICE_PORT', '1']]);
  assert.equal(withServiceLinks([['A_SERVICE_PORT', 'mine'], ['X', '1']], table), [['A_SERVICE_PORT', 'mine'], ['X', '1'], ['A_SERVICE_HOST', 'a.default.svc.cluster.local']]);
  assert.equal(withServiceLinks([], new Map()), []);
});

const pod = (spec: Record<string, unknown>) => parsePod({ metadata: { name: 'p' }, spec });
const facts = { name: 'p', namespace: 'default', uid: 'u', labels: {}, annotations: {}, nodeName: 'n', serviceAccountName: 'default', podIPs: [], hostIPs: [], allocatable: { cpu: 1e9, memory: 1 } };
const none = { configMaps: new Map(), secrets: new Map() };

links('$(VAR) in env values, command and args finds the service variables after the container\'s own, as the kubelet\'s mapping does', () => {
  const p = pod({ containers: [{ name: 'c', image: 'i', command: ['echo', '$(WEB_SERVICE_HOST)'], args: ['$(OWN)', '$(NOPE)'], env: [{ name: 'URL', value: 'http://$(WEB_SERVICE_HOST):$(WEB_SERVICE_PORT)/' }, { name: 'OWN', value: '$(WEB_SERVICE_PORT)' }] }] });
  const table = new Map([['WEB_SERVICE_HOST', 'web.default.svc.cluster.local'], ['WEB_SERVICE_PORT', '8080']]);
  const resolved = resolveContainer(p, p.spec.containers[0]!, facts, none, table);
  assert.equal(resolved.env, [['URL', 'http://web.default.svc.cluster.local:8080/'], ['OWN', '8080']]);
  assert.equal(resolved.command, ['echo', 'web.default.svc.cluster.local']);
  assert.equal(resolved.args, ['8080', '$(NOPE)']);
});

links('the container\'s Env: its own, then the links; a container with no env and no services sends no Env at all', () => {
  const p = pod({ containers: [{ name: 'c', image: 'i', env: [{ name: 'A_SERVICE_PORT', value: 'mine' }] }, { name: 'bare', image: 'i' }] });
  const table = new Map([['A_SERVICE_HOST', 'h'], ['A_SERVICE_PORT', '1']]);
  const spec = (name: string, serviceLinks?: Map<string, string>) => appSpec(p, 'id', p.spec.containers.find((c) => c.name === name)!, 'infra', 'me', { attempt: 0, sandboxAttempt: 0, serviceLinks });
  assert.equal(spec('c', table).Env, ['A_SERVICE_PORT=mine', 'A_SERVICE_HOST=h']);
  assert.equal(spec('bare', table).Env, ['A_SERVICE_HOST=h', 'A_SERVICE_PORT=1']);
  assert.is(spec('bare').Env, undefined);
  assert.is(spec('bare', new Map()).Env, undefined);
});

links('enableServiceLinks must be a boolean: anything else is one PodSpecError, and nothing is sent', async () => {
  await assertRefusedWithoutSending(['false', 0, null].map((value) => [
    String(value), { metadata: { name: 'p' }, spec: { enableServiceLinks: value, containers: [{ name: 'app', image: 'i' }] } }, /spec\.enableServiceLinks: /,
  ]));
  assert.equal(pod({ enableServiceLinks: false, containers: [{ name: 'a', image: 'i' }] }).spec.enableServiceLinks, false);
});

const NS = 'pk-links';
const linkLines = (env: string) => env.split('\n').filter((line) => line.startsWith('PK_')).sort();

scenario(links, 'a container gets the variables of its namespace\'s services, its own win, $(VAR) sees them, and the host and port reach the service; enableServiceLinks: false gives none', async ({ engine, mode, defer }) => {
  const pods = testPods(engine, 'pod/service-links');
  for (const name of ['pk-links-server', 'pk-links-client', 'pk-links-off']) defer(() => pods.delete(name, { namespace: NS, force: true }), name);
  defer(() => pods.deleteService('pk-links-web', { namespace: NS }), 'service pk-links-web');
  defer(() => pods.deleteService('pk-links-elsewhere', { namespace: 'pk-links-other' }), 'service pk-links-elsewhere');
  const server = webPod('pk-links-server', { labels: { app: 'pk-links-web' }, listen: '8080' });
  await pods.create({ ...server, metadata: { ...server.metadata, namespace: NS } });
  await pods.createService({ name: 'pk-links-web', namespace: NS, selector: { app: 'pk-links-web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'dns-udp', port: 53, protocol: 'UDP' }] });
  await pods.createService({ name: 'pk-links-elsewhere', namespace: 'pk-links-other', selector: { app: 'x' }, port: 1 });
  const sleeper = { name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent' as const, command: ['sleep', '3600'] };
  const client = await pods.create({
    metadata: { name: 'pk-links-client', namespace: NS },
    spec: { containers: [{ ...sleeper, env: [{ name: 'PK_LINKS_WEB_SERVICE_PORT_DNS_UDP', value: 'mine' }, { name: 'PK_URL', value: 'http://$(PK_LINKS_WEB_SERVICE_HOST):$(PK_LINKS_WEB_SERVICE_PORT)/' }] }] },
  });
  const id = containerId(client, 'app');
  const host = 'pk-links-web.pk-links.svc.cluster.local';
  assert.equal(linkLines((await engine.exec.run(id, ['env'])).stdout), [
    `PK_LINKS_WEB_PORT=tcp://${host}:8080`,
    `PK_LINKS_WEB_PORT_53_UDP=udp://${host}:53`,
    `PK_LINKS_WEB_PORT_53_UDP_ADDR=${host}`,
    'PK_LINKS_WEB_PORT_53_UDP_PORT=53',
    'PK_LINKS_WEB_PORT_53_UDP_PROTO=udp',
    `PK_LINKS_WEB_PORT_8080_TCP=tcp://${host}:8080`,
    `PK_LINKS_WEB_PORT_8080_TCP_ADDR=${host}`,
    'PK_LINKS_WEB_PORT_8080_TCP_PORT=8080',
    'PK_LINKS_WEB_PORT_8080_TCP_PROTO=tcp',
    `PK_LINKS_WEB_SERVICE_HOST=${host}`,
    'PK_LINKS_WEB_SERVICE_PORT=8080',
    'PK_LINKS_WEB_SERVICE_PORT_DNS_UDP=mine',
    'PK_LINKS_WEB_SERVICE_PORT_HTTP=8080',
    `PK_URL=http://${host}:8080/`,
  ], 'the other namespace\'s service is not there, and the container\'s own value won');
  // The variables lead somewhere: the server answers at the service's host and port.
  const answer = await poll(mode, async () => {
    const url = (await engine.exec.run(id, ['sh', '-c', 'echo $PK_URL'])).stdout.trim();
    return fetchFrom(engine, id, url);
  }, (r) => r.exitCode === 0, 30, 100);
  assert.is(answer.stdout.trim(), 'pk-links-server');
  const off = await pods.create({ metadata: { name: 'pk-links-off', namespace: NS }, spec: { enableServiceLinks: false, containers: [sleeper] } });
  assert.equal(linkLines((await engine.exec.run(containerId(off, 'app'), ['env'])).stdout), []);
});

links.run();
