import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isEngineError } from '../../src/engine/errors.js';
import { rejection } from '../support/assertions.js';
import { scenario } from '../support/scenario.js';
import { requestsDuring } from '../support/sent.js';

// Changing a live container: its restart policy (how an agent takes restarts over from the engine
// and hands them back) and its name (how a delete marks a pod going). fixtures/engine/update/.
const update = suite('engine/update');

const IMAGE = 'podling-test/busybox:latest';
const LABELS = { 'podling.io/managed': 'true', 'podling.io/test': 'true' };

scenario(update, 'update changes the restart policy of a running container, which keeps running; a misspelt field is refused before any request', async ({ engine, name, track }) => {
  const { Id } = await engine.containers.create({ Image: IMAGE, Cmd: ['sleep', '600'], Labels: LABELS, HostConfig: { RestartPolicy: { Name: 'unless-stopped' }, Init: true } }, { name: track.container(name('box')) });
  await engine.containers.start(Id);
  await engine.containers.update(Id, { RestartPolicy: { Name: 'no' } });
  let seen = await engine.containers.inspect(Id);
  assert.equal([seen.HostConfig.RestartPolicy?.Name, seen.State.Status], ['no', 'running']);
  await engine.containers.update(Id, { RestartPolicy: { Name: 'on-failure' } });
  seen = await engine.containers.inspect(Id);
  assert.is(seen.HostConfig.RestartPolicy?.Name, 'on-failure');

  let err: unknown;
  const sent = await requestsDuring(async () => {
    err = await rejection(engine.containers.update(Id, { RestartPolicy: { Name: 'sometimes' } } as never));
    err = [err, await rejection(engine.containers.update(Id, { Restartpolicy: { Name: 'no' } } as never))];
  });
  const [badValue, misspelt] = err as [unknown, unknown];
  assert.ok(isEngineError(badValue, 'invalid-argument'), String(badValue));
  assert.ok(isEngineError(misspelt, 'invalid-argument'), String(misspelt));
  assert.match((misspelt as Error).message, 'Restartpolicy');
  assert.equal(sent, [], 'nothing sent');
}, { unsupported: { podman: 'Podman 4.3\'s compatible API has no POST /containers/{id}/update (404)' } });

scenario(update, 'rename gives a container a new name; the old one is not found, and a taken name is a conflict with the daemon message', async ({ engine, name, track }) => {
  const [first, second, renamed] = [track.container(name('first')), track.container(name('second')), track.container(name('renamed'))];
  const { Id } = await engine.containers.create({ Image: IMAGE, Cmd: ['true'], Labels: LABELS }, { name: first });
  await engine.containers.create({ Image: IMAGE, Cmd: ['true'], Labels: LABELS }, { name: second });
  await engine.containers.rename(Id, renamed);
  assert.is((await engine.containers.inspect(renamed)).Id, Id);
  assert.ok(isEngineError(await rejection(engine.containers.inspect(first)), 'not-found'));
  const taken = await rejection(engine.containers.rename(Id, second));
  assert.ok(isEngineError(taken, 'conflict'), String(taken));
  assert.match((taken as { daemonMessage?: string }).daemonMessage ?? '', second);
});

update.run();
