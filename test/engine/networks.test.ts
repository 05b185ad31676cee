import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../../src/engine/index.js';
import { isEngineError } from '../../src/engine/errors.js';
import { engineSpeaking, fakeEngine } from '../support/fake-engine.js';
import { fixturePath, scenario, unit } from '../support/scenario.js';
import { requestsDuring, sentDuring } from '../support/sent.js';
import { compareVersions } from '../../src/engine/transport.js';
import { rejection } from '../support/assertions.js';

const networks = suite('engine/networks');

const IMAGE = 'podling-test/busybox:latest';
const LABELS = { 'podling.io/managed': 'true', 'podling.io/test': 'true' };

/** The request bodies a scenario's fixture holds for `method path` (replay only). */
function recordedBodies(scenarioName: string, method: string, path: string): unknown[] {
  const fixture = JSON.parse(readFileSync(fixturePath('engine/networks', scenarioName), 'utf8'));
  return fixture.exchanges
    .filter((x: any) => x.request.method === method && x.request.path.replace(/^\/v\d+\.\d+/, '') === path)
    .map((x: any) => x.request.body?.json);
}

scenario(networks, 'create with driver, labels, IPAM, internal, attachable, no IPv6 and options; inspect shows them all', async ({ engine, name, track }) => {
  const net = track.network(name('net'));
  const { Id } = await engine.networks.create({
    Name: net,
    Driver: 'bridge',
    Internal: true,
    Attachable: true,
    EnableIPv6: false,
    Options: { 'com.docker.network.driver.mtu': '1400' },
    Labels: { ...LABELS, 'podling.io/purpose': 'a & b # c = d ü' },
    IPAM: { Driver: 'default', Config: [{ Subnet: '10.213.1.0/24', IPRange: '10.213.1.128/25', Gateway: '10.213.1.1' }] },
  });
  assert.is(Id.length, 64);
  const seen = await engine.networks.inspect(net);
  assert.is(seen.Id, Id, 'inspect by name finds the network create answered with');
  assert.is(seen.Name, net);
  assert.is(seen.Driver, 'bridge');
  assert.is(seen.Internal, true);
  assert.is(seen.Attachable, true);
  assert.is(seen.EnableIPv6, false);
  assert.equal(seen.Labels, { ...LABELS, 'podling.io/purpose': 'a & b # c = d ü' });
  assert.equal(seen.Options, { 'com.docker.network.driver.mtu': '1400' });
  assert.equal(seen.IPAM?.Config, [{ Subnet: '10.213.1.0/24', IPRange: '10.213.1.128/25', Gateway: '10.213.1.1' }]);
  assert.equal(await engine.networks.inspect(Id).then((byId) => byId.Name), net, 'inspect by id too');
}, { unsupported: { podman: 'Podman\'s network inspect does not keep Attachable (netavark has no such setting)' } });

scenario(networks, 'a duplicate name is a conflict with the daemon\'s message, and one network keeps the name', async ({ engine, name, mode, track }) => {
  const net = track.network(name('net'));
  const first = await engine.networks.create({ Name: net, Labels: LABELS, IPAM: { Config: [{ Subnet: '10.213.2.0/24' }] } });
  const err = await rejection(engine.networks.create({ Name: net, Labels: LABELS }));
  assert.ok(isEngineError(err, 'conflict'), String(err));
  assert.match((err as { daemonMessage?: string }).daemonMessage ?? '', net, 'the daemon message names the network');
  assert.match(err.message, (err as { daemonMessage?: string }).daemonMessage ?? '', 'the error carries the daemon message');
  const named = (await engine.networks.list({ filters: { name: [net] } })).filter((n) => n.Name === net);
  assert.equal(named.map((n) => n.Id), [first.Id], 'exactly one network has the name, the first one');
  if (mode === 'replay') {
    // API 1.41 creates a second network with the same name unless asked to check.
    const bodies = recordedBodies('a duplicate name is a conflict with the daemon\'s message, and one network keeps the name', 'POST', '/networks/create');
    assert.is(bodies.length, 2);
    for (const body of bodies) assert.is((body as { CheckDuplicate?: boolean }).CheckDuplicate, true);
  }
});

scenario(networks, 'connect with aliases shows them in container inspect; disconnect takes the container off', async ({ engine, name, track }) => {
  const net = track.network(name('net'));
  const box = track.container(name('box'));
  await engine.networks.create({ Name: net, Labels: LABELS, IPAM: { Config: [{ Subnet: '10.213.3.0/24' }] } });
  const { Id } = await engine.containers.create({ Image: IMAGE, Cmd: ['sleep', '300'], Labels: LABELS }, { name: box });
  await engine.containers.start(Id);
  await engine.networks.connect(net, box, { Aliases: ['web', 'web.pod'], IPAMConfig: { IPv4Address: '10.213.3.10' } });

  const attached = (await engine.containers.inspect(Id)).NetworkSettings.Networks?.[net];
  assert.ok(attached, 'the container is on the network');
  assert.ok(attached.Aliases?.includes('web') && attached.Aliases.includes('web.pod'), `aliases: ${attached.Aliases}`);
  assert.is(attached.IPAddress, '10.213.3.10');
  const members = Object.values((await engine.networks.inspect(net)).Containers ?? {});
  assert.equal(members.map((m) => [m.Name, m.IPv4Address]), [[box, '10.213.3.10/24']]);

  await engine.networks.disconnect(net, Id);
  assert.is((await engine.containers.inspect(Id)).NetworkSettings.Networks?.[net], undefined);
  assert.equal((await engine.networks.inspect(net)).Containers, {});
  const again = await rejection(engine.networks.disconnect(net, Id));
  assert.ok(isEngineError(again), String(again));
  assert.match(again.message, 'is not connected');
});

scenario(networks, 'list filters by label, and a label no network carries finds none', async ({ engine, name, track }) => {
  const [red, blue] = [track.network(name('red')), track.network(name('blue'))];
  const colour = `podling.io/colour-${name('key')}`;
  await engine.networks.create({ Name: red, Labels: { ...LABELS, [colour]: 'red' } });
  await engine.networks.create({ Name: blue, Labels: { ...LABELS, [colour]: 'blue' } });
  const names = async (label: string[]) => (await engine.networks.list({ filters: { label } })).map((n) => n.Name).sort();
  assert.equal(await names([colour]), [blue, red].sort());
  assert.equal(await names([`${colour}=red`]), [red]);
  assert.equal(await names([`${colour}=red`, 'podling.io/test=true']), [red], 'several labels must all match');
  assert.equal(await names([`${colour}=green`]), []);
});

scenario(networks, 'prune with a label filter removes only the unused networks carrying that label', async ({ engine, name, track }) => {
  // A label of this scenario's own: prune must never reach networks other tests are using.
  const prunable = { ...LABELS, 'podling.io/prune': name('batch') };
  const [a, b, inUse, other] = [track.network(name('a')), track.network(name('b')), track.network(name('in-use')), track.network(name('other'))];
  const box = track.container(name('box'));
  await engine.networks.create({ Name: a, Labels: prunable });
  await engine.networks.create({ Name: b, Labels: prunable });
  await engine.networks.create({ Name: inUse, Labels: prunable });
  await engine.networks.create({ Name: other, Labels: LABELS });
  // Only a running container holds an endpoint: a network a created container names is pruned.
  const { Id } = await engine.containers.create({ Image: IMAGE, Cmd: ['sleep', '300'], Labels: LABELS, HostConfig: { NetworkMode: inUse } }, { name: box });
  await engine.containers.start(Id);

  const pruned = await engine.networks.prune({ filters: { label: [`podling.io/prune=${name('batch')}`] } });
  assert.equal(pruned.sort(), [a, b].sort());
  for (const gone of [a, b]) assert.ok(isEngineError(await rejection(engine.networks.inspect(gone)), 'not-found'), `${gone} was pruned`);
  assert.is((await engine.networks.inspect(inUse)).Name, inUse, 'a network a running container is on is kept');
  assert.is((await engine.networks.inspect(other)).Name, other, 'a network without the label is kept');
});

scenario(networks, 'a container created with two networks ends up on both, each with its aliases (a create and a connect below API 1.44)', async ({ engine, name, track }) => {
  const [front, back] = [track.network(name('front')), track.network(name('back'))];
  const box = track.container(name('box'));
  await engine.networks.create({ Name: front, Labels: LABELS, IPAM: { Config: [{ Subnet: '10.213.4.0/24' }] } });
  await engine.networks.create({ Name: back, Labels: LABELS, IPAM: { Config: [{ Subnet: '10.213.5.0/24' }] } });
  let Id = '';
  const sent = await sentDuring(async () => {
    ({ Id } = await engine.containers.create({
      Image: IMAGE, Cmd: ['sleep', '300'], Labels: LABELS,
      HostConfig: { NetworkMode: front },
      NetworkingConfig: { EndpointsConfig: { [front]: { Aliases: ['api'] }, [back]: { Aliases: ['api-internal', 'db-client'] } } },
    }, { name: box }));
  });
  // Below API 1.44 (dockerd 20.10) a create takes one network and the client connects the other;
  // from 1.44 both go in the create call (engine/newer-engine checks that request).
  const connects = sent.filter((s) => /\/networks\/[^/]+\/connect$/.test(s.path)).length;
  assert.is(connects, compareVersions(await engine.apiVersion(), '1.44') < 0 ? 1 : 0, sent.map((s) => s.path).join(', '));
  await engine.containers.start(Id);
  const on = (await engine.containers.inspect(Id)).NetworkSettings.Networks ?? {};
  assert.equal(Object.keys(on).sort(), [back, front].sort());
  assert.ok(on[front]?.Aliases?.includes('api'), `front aliases: ${on[front]?.Aliases}`);
  assert.ok(on[back]?.Aliases?.includes('api-internal') && on[back].Aliases.includes('db-client'), `back aliases: ${on[back]?.Aliases}`);
  assert.match(on[front]?.IPAddress ?? '', /^10\.213\.4\./);
  assert.match(on[back]?.IPAddress ?? '', /^10\.213\.5\./);
});

scenario(networks, 'inspect and remove of a network that does not exist are not-found, naming it', async ({ engine, name }) => {
  const missing = name('missing');
  for (const call of [() => engine.networks.inspect(missing), () => engine.networks.remove(missing)]) {
    const err = await rejection(call());
    assert.ok(isEngineError(err, 'not-found'), String(err));
    assert.match(err.message, missing);
  }
});

scenario(networks, 'a misspelt spec field or a bad filter is an invalid-argument naming it, and nothing is sent', async ({ engine, name, mode }) => {
  const net = name('net');
  const sent = await requestsDuring(async () => {
    const typo = await rejection(engine.networks.create({ Name: net, Lables: LABELS } as never));
    assert.ok(isEngineError(typo, 'invalid-argument'), String(typo));
    assert.match(typo.message, 'invalid network spec');
    assert.match(typo.message, '"Lables"');
    const badSubnet = await rejection(engine.networks.create({ Name: net, IPAM: { Config: [{ Subnet: 10 }] } } as never));
    assert.ok(isEngineError(badSubnet, 'invalid-argument'), String(badSubnet));
    assert.match(badSubnet.message, 'IPAM.Config.0.Subnet');
    const filter = await rejection(engine.networks.list({ filters: { label: [1] } } as never));
    assert.ok(isEngineError(filter, 'invalid-argument'), String(filter));
    assert.match(filter.message, 'invalid filters: label: expected a string, a list of strings or a boolean');
  });
  assert.equal(sent, []);
  if (mode === 'replay') {
    assert.equal(JSON.parse(readFileSync(fixturePath('engine/networks', 'a misspelt spec field or a bad filter is an invalid-argument naming it, and nothing is sent'), 'utf8')).exchanges, []);
  }
});

unit(networks, 'from API 1.44 create sends no CheckDuplicate (the engine always checks; the field is deprecated)', async () => {
  const fake = await fakeEngine(engineSpeaking('1.44'));
  const engine = new Engine({ socketPath: fake.socketPath }, {});
  try {
    await engine.networks.create({ Name: 'n1', Labels: LABELS });
    const create = fake.requests.find((r) => r.url === '/v1.44/networks/create');
    assert.equal(JSON.parse(create?.body ?? '{}'), { Name: 'n1', Labels: LABELS });
  } finally {
    await engine.transport.client.destroy();
    await fake.close();
  }
});

networks.run();
