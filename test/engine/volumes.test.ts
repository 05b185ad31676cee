import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../../src/engine/index.js';
import { isEngineError } from '../../src/engine/errors.js';
import { engineSpeaking, fakeEngine } from '../support/fake-engine.js';
import { engineUnderTest, fixturePath, scenario, unit } from '../support/scenario.js';
import { requestsDuring } from '../support/sent.js';
import { rejection } from '../support/assertions.js';

const volumes = suite('engine/volumes');

const IMAGE = 'podling-test/busybox:latest';
const LABELS = { 'podling.io/managed': 'true', 'podling.io/test': 'true' };
// Podman's local driver takes size= as a disk quota (refused without project quotas), so there the
// same 16 MiB is given in tmpfs pages, as src/pod/volumes.ts does for a Memory emptyDir.
const TMPFS = { type: 'tmpfs', device: 'tmpfs', o: engineUnderTest.flavour === 'podman' ? 'nr_blocks=4096' : 'size=16m' };

/** A created (never started) container that mounts `volume`: enough for the engine to call it in use. */
async function mountIn(engine: Engine, name: string, volume: string): Promise<string> {
  const { Id } = await engine.containers.create({
    Image: IMAGE, Cmd: ['true'], Labels: LABELS,
    HostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: '/data' }] },
  }, { name });
  return Id;
}

scenario(volumes, 'create with labels and a tmpfs driver option; inspect shows them', async ({ engine, name, track }) => {
  const vol = track.volume(name('vol'));
  const created = await engine.volumes.create({ Name: vol, Driver: 'local', DriverOpts: TMPFS, Labels: LABELS });
  assert.is(created.Name, vol);
  const seen = await engine.volumes.inspect(vol);
  assert.is(seen.Name, vol);
  assert.is(seen.Driver, 'local');
  assert.is(seen.Scope, 'local');
  assert.equal(seen.Options, TMPFS);
  assert.equal(seen.Labels, LABELS);
  assert.match(seen.Mountpoint, new RegExp(`/volumes/${vol}/_data$`));
  assert.is(seen.Mountpoint, created.Mountpoint);
});

scenario(volumes, 'list filters by label and by name', async ({ engine, name, track }) => {
  const [red, blue] = [track.volume(name('red')), track.volume(name('blue'))];
  const colour = 'podling.io/colour';
  await engine.volumes.create({ Name: red, Labels: { ...LABELS, [colour]: name('red') } });
  await engine.volumes.create({ Name: blue, Labels: { ...LABELS, [colour]: name('blue') } });
  const names = async (filters: Record<string, string[]>) => (await engine.volumes.list({ filters })).map((v) => v.Name).sort();
  assert.equal(await names({ label: [`${colour}=${name('red')}`] }), [red]);
  assert.equal(await names({ label: [`${colour}=${name('red')}`, 'podling.io/test=true'] }), [red], 'several labels must all match');
  assert.equal(await names({ name: [blue] }), [blue]);
  assert.equal(await names({ label: [`${colour}=${name('green')}`] }), []);
}, { unsupported: { podman: 'Podman 4.3 lists a volume that matches any one of several label filters, where dockerd requires all of them' } });

scenario(volumes, 'removing a volume a container uses is a conflict; once the container is gone it removes', async ({ engine, name, track }) => {
  const vol = track.volume(name('vol'));
  const box = track.container(name('box'));
  await engine.volumes.create({ Name: vol, Labels: LABELS, DriverOpts: TMPFS });
  const id = await mountIn(engine, box, vol);
  const err = await rejection(engine.volumes.remove(vol));
  assert.ok(isEngineError(err, 'conflict'), String(err));
  // Each engine words it its own way; both name the volume and the container using it.
  assert.match((err as { daemonMessage?: string }).daemonMessage ?? '', vol);
  assert.match((err as { daemonMessage?: string }).daemonMessage ?? '', id.slice(0, 12));
  assert.is((await engine.volumes.inspect(vol)).Name, vol, 'still there');

  await engine.containers.remove(id);
  await engine.volumes.remove(vol);
  const after = await rejection(engine.volumes.inspect(vol));
  assert.ok(isEngineError(after, 'not-found'), String(after));
  assert.match(after.message, `no such volume`);
});

scenario(volumes, 'prune with a label filter removes only the unused labelled volumes, never one with driver options', async ({ engine, name, mode, track }) => {
  // A label of this scenario's own: prune must never reach volumes other tests are using.
  const batch = { ...LABELS, 'podling.io/prune': name('batch') };
  const [a, b, tmpfs, inUse, other] = [track.volume(name('a')), track.volume(name('b')), track.volume(name('tmpfs')), track.volume(name('in-use')), track.volume(name('other'))];
  const box = track.container(name('box'));
  await engine.volumes.create({ Name: a, Labels: batch });
  await engine.volumes.create({ Name: b, Labels: batch });
  await engine.volumes.create({ Name: tmpfs, Labels: batch, DriverOpts: TMPFS });
  await engine.volumes.create({ Name: inUse, Labels: batch });
  await engine.volumes.create({ Name: other, Labels: LABELS });
  await mountIn(engine, box, inUse);

  // Named volumes: on API 1.41 prune takes them without the `all` filter 1.42 introduced.
  const pruned = await engine.volumes.prune({ filters: { label: [`podling.io/prune=${name('batch')}`] } });
  assert.equal(pruned.sort(), [a, b].sort());
  for (const gone of [a, b]) assert.ok(isEngineError(await rejection(engine.volumes.inspect(gone)), 'not-found'), `${gone} was pruned`);
  // The engine skips local volumes with options (they may be mounts of something else): a tmpfs
  // volume, an emptyDir with medium Memory, is only ever removed by name.
  assert.is((await engine.volumes.inspect(tmpfs)).Name, tmpfs, 'a volume with driver options is kept');
  assert.is((await engine.volumes.inspect(inUse)).Name, inUse, 'a volume a container mounts is kept');
  assert.is((await engine.volumes.inspect(other)).Name, other, 'a volume without the label is kept');
  if (mode === 'replay') {
    const fixture = JSON.parse(readFileSync(fixturePath('engine/volumes', 'prune with a label filter removes only the unused labelled volumes, never one with driver options'), 'utf8'));
    const prune = fixture.exchanges.find((x: { request: { path: string } }) => x.request.path === '/v1.41/volumes/prune');
    assert.equal(JSON.parse(prune.request.query.filters), { label: [`podling.io/prune=${name('batch')}`] }, 'no `all` filter below 1.42');
  }
}, { unsupported: { podman: 'Podman\'s prune removes an unused volume with driver options too, where dockerd keeps it' } });

scenario(volumes, 'a misspelt spec field or a bad name is an invalid-argument naming it, and nothing is sent', async ({ engine, name }) => {
  const sent = await requestsDuring(async () => {
    const typo = await rejection(engine.volumes.create({ Name: name('vol'), DriverOpt: TMPFS } as never));
    assert.ok(isEngineError(typo, 'invalid-argument'), String(typo));
    assert.match(typo.message, 'invalid volume spec');
    assert.match(typo.message, '"DriverOpt"');
    const badOption = await rejection(engine.volumes.create({ Name: name('vol'), DriverOpts: { size: 16 } } as never));
    assert.ok(isEngineError(badOption, 'invalid-argument'), String(badOption));
    assert.match(badOption.message, 'DriverOpts.size');
    const badName = await rejection(engine.volumes.create({ Name: '../escape', Labels: LABELS }));
    assert.ok(isEngineError(badName, 'invalid-argument'), String(badName));
    assert.match(badName.message, 'invalid volume name or id: "../escape"');
  });
  assert.equal(sent, []);
});

async function withFake(version: string, fn: (engine: Engine, seen: () => string[]) => Promise<void>): Promise<void> {
  const fake = await fakeEngine(engineSpeaking(version));
  const engine = new Engine({ socketPath: fake.socketPath }, {});
  try {
    await fn(engine, () => fake.requests.filter((r) => r.url.includes('/volumes/prune')).map((r) => decodeURIComponent(r.url.split('filters=')[1] ?? '')));
  } finally {
    await engine.transport.client.destroy();
    await fake.close();
  }
}

unit(volumes, 'from API 1.42 prune adds all=true so named volumes are pruned as on 1.41; a caller\'s own `all` is kept', () => withFake('1.42', async (engine, seen) => {
  await engine.volumes.prune({ filters: { label: ['x=y'] } });
  await engine.volumes.prune({ filters: { all: 'false' } });
  assert.equal(seen().map((filters) => JSON.parse(filters)), [{ label: ['x=y'], all: ['true'] }, { all: ['false'] }]);
}));

unit(volumes, 'on API 1.41 prune sends no `all` filter (that engine rejects unknown filters)', () => withFake('1.41', async (engine, seen) => {
  await engine.volumes.prune({ filters: { label: ['x=y'] } });
  assert.equal(seen().map((filters) => JSON.parse(filters)), [{ label: ['x=y'] }]);
}));

volumes.run();
