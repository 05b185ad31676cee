import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import { scenario } from '../support/scenario.js';

// The recorder and replayer end to end, on the engine's real answers (fixtures/testing/harness/).
const harness = suite('testing/harness');

const Id = z.looseObject({ Id: z.string() });
const IMAGE = 'podling-test/busybox:latest';

function frames(data: Buffer): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  for (let at = 0; at + 8 <= data.length; at += 8 + data.readUInt32BE(at + 4)) {
    out.push([data[at]!, data.subarray(at + 8, at + 8 + data.readUInt32BE(at + 4)).toString()]);
  }
  return out;
}

scenario(harness, 'ping, version and an empty filtered container list', async ({ engine, name }) => {
  assert.match(await engine.transport.apiVersion(), /^1\.\d+$/);
  const version = await engine.transport.json({ method: 'GET', path: '/version' }, z.looseObject({ ApiVersion: z.string(), Os: z.string() }));
  assert.is(version.Os, 'linux');
  const list = await engine.transport.json({
    method: 'GET', path: '/containers/json', query: { all: true, filters: { label: [`podling.test=${name('none')}`] } },
  }, z.array(z.unknown()));
  assert.equal(list, []);
});

scenario(harness, 'a container: hijacked exec with stdin, framed logs, events bounded by now()', async ({ engine, name, now }) => {
  const t = engine.transport;
  const since = now();
  await t.empty({ method: 'DELETE', path: `/containers/${name('box')}`, query: { force: true }, accept: [404] }).catch(() => undefined);
  const { Id: id } = await t.json({
    method: 'POST', path: '/containers/create', query: { name: name('box') },
    json: { Image: IMAGE, Cmd: ['sh', '-c', 'echo out; echo err >&2; exec sleep 30'], Labels: { 'podling.test': name('box') } },
  }, Id);
  assert.is(id.length, 64);
  await t.empty({ method: 'POST', path: `/containers/${id}/start` });

  const exec = await t.json({
    method: 'POST', path: `/containers/${id}/exec`,
    json: { AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false, Cmd: ['cat'] },
  }, Id);
  const { socket } = await t.upgrade({ method: 'POST', path: `/exec/${exec.Id}/start`, json: { Detach: false, Tty: false } });
  const output: Buffer[] = [];
  socket.on('data', (data: Buffer) => output.push(data));
  const ended = new Promise((resolve) => socket.on('end', resolve));
  socket.end('hello through stdin\n');
  await ended;
  socket.destroy();
  assert.equal(frames(Buffer.concat(output)), [[1, 'hello through stdin\n']]);

  const inspect = await t.json({ method: 'GET', path: `/containers/${id}/json` }, z.looseObject({ Id: z.string(), Config: z.looseObject({ Hostname: z.string() }) }));
  assert.is(inspect.Config.Hostname, id.slice(0, 12), 'the short id is rewritten like the id');

  const logs = await t.stream({ method: 'GET', path: `/containers/${id}/logs`, query: { stdout: true, stderr: true } });
  const logged = frames(Buffer.from(await logs.body.arrayBuffer()));
  assert.equal(logged.sort(), [[1, 'out\n'], [2, 'err\n']]);

  await t.empty({ method: 'DELETE', path: `/containers/${id}`, query: { force: true } });
  const events = await t.stream({
    method: 'GET', path: '/events',
    query: { since, until: now() + 1, filters: { container: [id], type: ['container'] } },
  });
  const actions = (await events.body.text()).trim().split('\n').map((line) => JSON.parse(line).Action as string);
  // dockerd says destroy, Podman remove (docs/engine-behaviour.md, "Podman 4.3").
  assert.ok(actions.includes('create') && (actions.includes('destroy') || actions.includes('remove')), actions.join());
});

harness.run();
