import type { Readable } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { pack } from '../../src/engine/streams/tar.js';
import { engineFailure } from '../support/assertions.js';
import { scenario } from '../support/scenario.js';
import { requestsDuring } from '../support/sent.js';

// Image archives: save (GET /images/get) and load (POST /images/load), how the multi-node test
// bed copies the main engine's local images into each node with no registry between them
// (scripts/nodes-bed.ts). Recorded on the main engine (fixtures/engine/image-archives/): an image
// saved, removed and loaded back stands for an engine that lacked it.
const archives = suite('engine/image-archives');

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

scenario(archives, 'save then load brings an image back with the same id and tag, and done names what was loaded', async ({ engine, name, track }) => {
  const repo = name('image');
  const reference = `${repo}:v1`;
  track.image(reference);
  const id = await engine.images.import(pack([{ name: 'hello.txt', content: 'carried in an archive\n' }]), { repo, tag: 'v1', changes: ['CMD ["/hello.txt"]'] }).done;

  const archive = await collect(await engine.images.save([reference]));
  // A tar (ustar magic at offset 257), not a JSON error passed off as one.
  assert.is(archive.subarray(257, 262).toString('latin1'), 'ustar');
  await engine.images.remove(reference);
  await engineFailure(engine.images.inspect(reference), 'not-found');

  const loaded = await engine.images.load(archive).done;
  assert.equal(loaded, [reference]);
  const image = await engine.images.inspect(reference);
  assert.is(image.Id, id);
  assert.equal(image.Config?.Cmd, ['/hello.txt']);
}, { unsupported: { podman: 'Podman\'s import ignores the tag parameter (the image is stored as :latest), so the tagged image this scenario saves is not there' } });

scenario(archives, 'a tar that is not a saved image fails load inside the 200 stream with the daemon message, and loads nothing', async ({ engine, name }) => {
  const repo = name('image');
  const before = await engine.images.list({ filters: { reference: [repo] } });
  const err = await engineFailure(engine.images.load(pack([{ name: 'hello.txt', content: 'no manifest here\n' }])).done, 'stream');
  assert.match(err.daemonMessage ?? '', 'no such file or directory');
  assert.equal(await engine.images.list({ filters: { reference: [repo] } }), before);
}, { unsupported: { podman: 'Podman refuses a load that is not an image archive with 500 before streaming, not inside a 200 stream' } });

scenario(archives, 'save of an image the engine does not have is not-found with the daemon message', async ({ engine, name }) => {
  const err = await engineFailure(engine.images.save([`${name('nothing')}:v1`]), 'not-found');
  assert.is(err.status, 404);
  assert.match(err.daemonMessage ?? '', 'reference does not exist');
}, { unsupported: { podman: 'Podman answers a save of a missing image with 500 (image not known), not 404' } });

// No request may leave: the fixture holds none, so a replay would fail on any.
scenario(archives, 'save with no names or a bad reference is refused before any request is sent', async ({ engine }) => {
  const sent = await requestsDuring(async () => {
    // An empty list would export every image the engine has.
    const empty = await engineFailure(engine.images.save([]), 'invalid-argument');
    assert.match(empty.message, 'name at least one image');
    await engineFailure(engine.images.save(['podling-test/busybox:latest', 'Upper/Case']), 'invalid-argument');
  });
  assert.equal(sent, []);
});

archives.run();
