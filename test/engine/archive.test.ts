import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Engine } from '../../src/engine/index.js';
import { pack, unpack, type ExtractedEntry } from '../../src/engine/streams/tar.js';
import { scenario, unit } from '../support/scenario.js';
import { engineFailure } from '../support/assertions.js';
import type { Track } from '../support/teardown.js';

// Copying files in and out of containers (fixtures/engine/archive/): HEAD/GET/PUT
// /containers/{id}/archive with tar streams made and read by streams/tar.ts.
const archive = suite('engine/archive');

const IMAGE = 'podling-test/busybox:latest';
const LABELS = { 'podling.io/managed': 'true', 'podling.io/test': 'true' };
// Go's os.FileMode keeps the type in high bits: what the stat header's `mode` carries.
const GO_DIR = 2 ** 31;
const GO_SYMLINK = 2 ** 27;

/** A created (never started) container, removed after the scenario: archives work on stopped containers too. */
async function container(engine: Engine, track: Track, name: string): Promise<string> {
  const { Id } = await engine.containers.create({ Image: IMAGE, Labels: LABELS }, { name });
  return track.container(Id);
}

/** Bytes that look random but are the same every run. */
function noise(size: number, seed: string): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 0; blocks.length * 32 < size; i++) blocks.push(createHash('sha256').update(`${seed}:${i}`).digest());
  return Buffer.concat(blocks).subarray(0, size);
}

function summary(entries: ExtractedEntry[]): Array<[string, string, string, string]> {
  return entries.map((e) => [e.name, e.type, e.mode.toString(8), e.type === 'symlink' ? `-> ${e.linkname}` : e.content.toString('base64')]);
}

const BLOB = noise(10_000, 'archive');

scenario(archive, 'putArchive extracts files, directories and symlinks that statPath and getArchive read back', async ({ engine, name, track }) => {
  const id = await container(engine, track, name('box'));
  await engine.containers.putArchive(id, '/tmp', pack([
    { name: 'app', type: 'directory', mode: 0o750 },
    { name: 'app/config.json', content: '{"pod":"web"}\n', mode: 0o640 },
    { name: 'app/blob.bin', content: BLOB },
    { name: 'app/current', type: 'symlink', linkname: 'config.json' },
  ]));

  const dir = await engine.containers.statPath(id, '/tmp/app');
  assert.equal([dir.name, dir.mode, dir.linkTarget], ['app', GO_DIR + 0o750, '']);
  const file = await engine.containers.statPath(id, '/tmp/app/config.json');
  assert.equal([file.name, file.size, file.mode], ['config.json', 14, 0o640]);
  const link = await engine.containers.statPath(id, '/tmp/app/current');
  assert.equal([link.name, link.mode, link.linkTarget], ['current', GO_SYMLINK + 0o777, '/tmp/app/config.json'], 'the target, resolved');

  const { stat, tar } = await engine.containers.getArchive(id, '/tmp/app');
  assert.equal(stat, dir);
  const entries = await unpack(tar);
  assert.equal(summary(entries), [
    ['app/', 'directory', '750', ''],
    ['app/blob.bin', 'file', '644', BLOB.toString('base64')],
    ['app/config.json', 'file', '640', Buffer.from('{"pod":"web"}\n').toString('base64')],
    ['app/current', 'symlink', '777', '-> config.json'],
  ]);
  // pack's fixed mtime went in and came back out: the engine keeps what the archive says.
  assert.ok(entries.every((e) => e.mtime.getTime() === 0), entries.map((e) => e.mtime.toISOString()).join());
}, { unsupported: { podman: 'Podman\'s path stat (buildah\'s copier) gives a directory\'s own path as linkTarget, where dockerd leaves it empty for anything that is not a symlink' } });

scenario(archive, 'getArchive of one file gives an archive of just that file, named by its base name', async ({ engine, name, track }) => {
  const id = await container(engine, track, name('box'));
  await engine.containers.putArchive(id, '/', pack([{ name: 'etc/pod.conf', content: 'replicas=3\n' }]));
  const { stat, tar } = await engine.containers.getArchive(id, '/etc/pod.conf');
  assert.equal([stat.name, stat.size, stat.mode], ['pod.conf', 11, 0o644]);
  const entries = await unpack(tar);
  assert.equal(entries.map((e) => [e.name, e.content.toString()]), [['pod.conf', 'replicas=3\n']]);
});

scenario(archive, 'putArchive takes a Buffer as well as a stream, and replaces a file that is there', async ({ engine, name, track }) => {
  const id = await container(engine, track, name('box'));
  const archiveOf = async (content: string) => Buffer.concat(await pack([{ name: 'motd', content }]).toArray());
  await engine.containers.putArchive(id, '/etc', await archiveOf('first\n'));
  await engine.containers.putArchive(id, '/etc', await archiveOf('second, longer\n'));
  const { tar } = await engine.containers.getArchive(id, '/etc/motd');
  assert.is((await unpack(tar))[0]?.content.toString(), 'second, longer\n');
});

scenario(archive, 'a missing path is not-found: getArchive and putArchive carry the daemon message, statPath says what it can', async ({ engine, name, track }) => {
  const id = await container(engine, track, name('box'));
  const get = await engineFailure(engine.containers.getArchive(id, '/nope'), 'not-found');
  // dockerd names the path and the container; Podman says only "no such file or directory".
  assert.ok(get.daemonMessage, 'the daemon message is kept');
  const put = await engineFailure(engine.containers.putArchive(id, '/nope/deeper', pack([{ name: 'x', content: 'x' }])), 'not-found');
  assert.ok(put.daemonMessage, 'the daemon message is kept');
  // A HEAD answer has no body, so there is no daemon message to pass on.
  const stat = await engineFailure(engine.containers.statPath(id, '/nope'), 'not-found');
  assert.is(stat.status, 404);
  assert.match(stat.message, `no container "${id}" or no "/nope" in it`);
  const gone = await engineFailure(engine.containers.statPath(name('missing'), '/'), 'not-found');
  assert.match(gone.message, `no container "${name('missing')}"`);
}, { unsupported: { podman: 'Podman\'s putArchive makes a missing target directory (buildah\'s copier) instead of answering 404' } });

scenario(archive, 'putArchive refuses a target that is a file, a directory replaced when asked not to, and bytes that are not a tar', async ({ engine, name, track }) => {
  const id = await container(engine, track, name('box'));
  // Engine 20.10 answers these with 500; newer engines say 400. The message is what matters.
  const ontoFile = await engineFailure(engine.containers.putArchive(id, '/etc/passwd', pack([{ name: 'x', content: 'x' }])), 'server');
  assert.match(ontoFile.daemonMessage ?? '', 'not a directory');
  const dirToFile = pack([{ name: 'tmp', content: 'a file where a directory is' }]);
  const kept = await engineFailure(engine.containers.putArchive(id, '/', dirToFile, { noOverwriteDirNonDir: true }), 'server');
  // dockerd: cannot overwrite directory "/tmp" with non-directory; Podman's copier words it its own way.
  assert.match(kept.daemonMessage ?? '', '/tmp');
  assert.ok((await engine.containers.statPath(id, '/tmp')).mode >= GO_DIR, 'still a directory');
  const garbage = await engineFailure(engine.containers.putArchive(id, '/tmp', Readable.from([Buffer.alloc(1024, 'not a tar ')])), 'server');
  assert.match(garbage.daemonMessage ?? '', 'invalid tar header');
});

unit(archive, 'pack and unpack round-trip names, types, modes, contents and mtimes', async () => {
  const mtime = new Date('2024-05-06T07:08:09Z');
  const entries = await unpack(pack([
    { name: 'd', type: 'directory' },
    { name: 'd/text', content: 'hello\n', mode: 0o600, mtime },
    { name: 'd/bin', content: BLOB },
    { name: 'd/empty' },
    { name: 'd/link', type: 'symlink', linkname: 'text' },
  ]));
  assert.equal(summary(entries), [
    ['d', 'directory', '755', ''],
    ['d/text', 'file', '600', Buffer.from('hello\n').toString('base64')],
    ['d/bin', 'file', '644', BLOB.toString('base64')],
    ['d/empty', 'file', '644', ''],
    ['d/link', 'symlink', '777', '-> text'],
  ]);
  assert.equal(entries.map((e) => e.mtime.toISOString()), [0, mtime, 0, 0, 0].map((t) => new Date(t).toISOString()));
  assert.equal(entries.map((e) => e.size), [0, 6, BLOB.length, 0, 0]);
});

unit(archive, 'pack is reproducible: the same entries give the same bytes', async () => {
  const make = async () => Buffer.concat(await pack([{ name: 'a', content: 'x' }, { name: 'b', type: 'directory' }]).toArray());
  assert.ok((await make()).equals(await make()));
});

unit(archive, 'pack takes entries from an async iterable', async () => {
  async function* generate() {
    for (const n of [1, 2, 3]) yield { name: `file-${n}`, content: String(n) };
  }
  const entries = await unpack(pack(generate()));
  assert.equal(entries.map((e) => [e.name, e.content.toString()]), [['file-1', '1'], ['file-2', '2'], ['file-3', '3']]);
});

unit(archive, 'unpack of bytes that are not a tar rejects', async () => {
  try {
    await unpack(Readable.from([Buffer.alloc(1024, 'not a tar ')]));
    assert.unreachable('unpack should fail');
  } catch (err) {
    assert.match((err as Error).message, /header/i);
  }
});

unit(archive, 'unpack of a source that fails rejects with that failure', async () => {
  async function* broken(): AsyncGenerator<Buffer> {
    yield (await pack([{ name: 'a', content: 'x'.repeat(600) }]).toArray())[0]!.subarray(0, 512);
    throw new Error('connection reset');
  }
  try {
    await unpack(broken());
    assert.unreachable('unpack should fail');
  } catch (err) {
    assert.match((err as Error).message, 'connection reset');
  }
});

archive.run();
