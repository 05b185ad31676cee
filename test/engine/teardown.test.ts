import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { EngineError } from '../../src/engine/errors.js';
import { PodlingError } from '../../src/errors.js';
import { fixturePath, scenario, unit } from '../support/scenario.js';
import { TeardownError, withTeardown, type Removers } from '../support/teardown.js';
import { rejection } from '../support/assertions.js';

// The teardown every scenario owns (test/support/teardown.ts): cleanups registered as a test makes
// things, run after its body whatever happened. The registry needs no engine; the last scenario
// shows a scenario's teardown going through its own engine session.
const teardown = suite('engine/teardown');

const notFound = (what: string) => new EngineError(`DELETE /x/${what}: No such thing (404)`, { kind: 'not-found', status: 404 });
const conflict = (what: string) => new EngineError(`DELETE /x/${what}: in use (409)`, { kind: 'conflict', status: 409 });

unit(teardown, 'cleanups run after the body, newest first, and the body\'s value comes back', async () => {
  const ran: string[] = [];
  const value = await withTeardown(undefined, async ({ defer }) => {
    defer(() => { ran.push('network'); });
    defer(async () => { ran.push('container'); });
    ran.push('body');
    return 42;
  });
  assert.is(value, 42);
  assert.equal(ran, ['body', 'container', 'network']);
});

unit(teardown, 'every cleanup runs even when an earlier one failed; a passing body then fails with all the failures', async () => {
  const ran: string[] = [];
  const err = await rejection(withTeardown(undefined, async ({ defer }) => {
    defer(() => { ran.push('a'); }, 'a');
    defer(() => { ran.push('b'); throw conflict('b'); }, 'b');
    defer(() => { ran.push('c'); });
    defer(() => { ran.push('d'); throw new Error('d broke'); }, 'd');
  }));
  assert.equal(ran, ['d', 'c', 'b', 'a']);
  assert.instance(err, TeardownError);
  const failures = (err as TeardownError).failures;
  assert.equal(failures.map((f) => f.what), ['d', 'b'], 'in the order they ran');
  assert.is(err.message, 'teardown failed: d: d broke; b: DELETE /x/b: in use (409)');
  assert.equal((err as TeardownError).errors, failures.map((f) => f.error));
});

unit(teardown, 'a cleanup that finds its object already gone (not-found, from the engine or the pod layer) is clean', async () => {
  const ran: string[] = [];
  await withTeardown(undefined, async ({ defer }) => {
    defer(() => { ran.push('gone'); throw notFound('gone'); });
    defer(() => { ran.push('also gone'); return Promise.reject(notFound('also-gone')); });
    defer(() => { ran.push('no such pod'); throw new PodlingError('not-found', 'pod "web" not found'); });
  });
  assert.equal(ran, ['no such pod', 'also gone', 'gone']);
});

unit(teardown, 'when the body failed, its error is the report, naming the cleanups that failed too, and every cleanup still ran', async () => {
  const ran: string[] = [];
  const failure = new Error('expected 1 container, found 2');
  const err = await rejection(withTeardown(undefined, async ({ defer }) => {
    defer(() => { ran.push('network'); throw conflict('net'); }, 'remove network net');
    defer(() => { ran.push('container'); throw notFound('box'); }, 'remove container box');
    throw failure;
  }));
  assert.is(err, failure, 'the body\'s own error, not a wrapper');
  assert.is(err.message, 'expected 1 container, found 2 (and teardown failed: remove network net: DELETE /x/net: in use (409))');
  assert.equal(ran, ['container', 'network']);
});

unit(teardown, 'when the body failed and every cleanup passed, the body\'s error is untouched', async () => {
  const failure = new Error('boom');
  const err = await rejection(withTeardown(undefined, async ({ defer }) => {
    defer(() => {});
    throw failure;
  }));
  assert.is(err, failure);
  assert.is(err.message, 'boom');
});

unit(teardown, 'track removes what it is given, newest first: containers by force with their volumes, images untagged only', async () => {
  const calls: unknown[][] = [];
  const fake: Removers = {
    containers: { remove: async (...args) => { calls.push(['container', ...args]); } },
    networks: { remove: async (...args) => { calls.push(['network', ...args]); } },
    volumes: { remove: async (...args) => { calls.push(['volume', ...args]); } },
    images: { remove: async (...args) => { calls.push(['image', ...args]); return []; } },
  };
  await withTeardown(fake, async ({ track }) => {
    assert.is(track.network('net'), 'net', 'returns what it was given');
    track.volume('vol');
    track.image('podling-test/alias:v1');
    track.container('abc');
  });
  assert.equal(calls, [
    ['container', 'abc', { force: true, volumes: true }],
    ['image', 'podling-test/alias:v1'],
    ['volume', 'vol'],
    ['network', 'net'],
  ]);
});

unit(teardown, 'a failed removal is reported by what it removed', async () => {
  const fake = {
    containers: { remove: async () => { throw conflict('abc'); } },
  } as unknown as Removers;
  const err = await rejection(withTeardown(fake, async ({ track }) => { track.container('abc'); }));
  assert.is(err.message, 'teardown failed: remove container abc: DELETE /x/abc: in use (409)');
});

unit(teardown, 'a cleanup may register another, which runs next; registering once teardown is over throws', async () => {
  const ran: string[] = [];
  let late: (() => void) | undefined;
  await withTeardown(undefined, async ({ defer }) => {
    defer(() => { ran.push('first'); });
    defer(() => { ran.push('outer'); defer(() => { ran.push('inner'); }); });
    late = () => defer(() => {}, 'too late');
  });
  assert.equal(ran, ['outer', 'inner', 'first']);
  assert.throws(() => late!(), /"too late" registered after the test's teardown ran/);
});

unit(teardown, 'track without an engine refuses at once, not at teardown', async () => {
  await withTeardown(undefined, async ({ track }) => {
    assert.throws(() => track.container('abc'), /track\.container needs an engine/);
  });
});

const recorded = 'a scenario\'s teardown runs on its own engine session, after the body: a replay answers it from the recording';

scenario(teardown, recorded, async ({ engine, name, track, mode }) => {
  const { Id } = await engine.containers.create({ Image: 'podling-test/busybox:latest', Labels: { 'podling.io/managed': 'true', 'podling.io/test': 'true' } }, { name: name('box') });
  track.container(Id);
  assert.is((await engine.containers.inspect(Id)).Id, Id);
  if (mode === 'replay') {
    const exchanges: Array<{ request: { method: string; path: string } }> = JSON.parse(readFileSync(fixturePath('engine/teardown', recorded), 'utf8')).exchanges;
    const last = exchanges.at(-1)!.request;
    assert.equal([last.method, last.path.replace(/^\/v\d+\.\d+/, '')], ['DELETE', `/containers/${Id}`], 'the removal, recorded last');
  }
});

teardown.run();
