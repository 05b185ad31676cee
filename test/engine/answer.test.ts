import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import { checkAnswer, StringMap } from '../../src/engine/answer.js';
import { EngineError } from '../../src/engine/errors.js';

// How every JSON answer is checked: the listed fields must be there with their types; the value
// handed back is the engine's own object, unlisted fields included (nothing copied or dropped).
const answer = suite('engine/answer');

const Thing = z.object({ Id: z.string(), State: z.object({ Running: z.boolean() }), Tags: z.array(z.object({ Name: z.string() })).nullish() });
const FROM = { method: 'GET', path: '/things/x/json', status: 200 };

answer('an answer with the listed fields comes back as the very same object, unlisted fields kept at every depth', () => {
  const engineSent = { Id: 'abc', Extra: { deep: [1, 2] }, State: { Running: true, Pid: 42 }, Tags: [{ Name: 't', Digest: 'sha256:0' }] };
  const got = checkAnswer(Thing, engineSent, FROM);
  assert.ok(got === engineSent, 'not copied');
  assert.equal(got.Extra, { deep: [1, 2] });
  assert.is(got.State.Pid, 42);
  assert.is(got.Tags?.[0]?.Digest, 'sha256:0');
  assert.is(got.State.Running, true);
});

answer('a missing or mistyped listed field is a protocol error naming the call and the field', () => {
  const cases: Array<[unknown, string]> = [
    [{ State: { Running: true } }, 'Id: Invalid input: expected string, received undefined'],
    [{ Id: 'a', State: { Running: 'yes' } }, 'State.Running: Invalid input: expected boolean, received string'],
    [{ Id: 'a', State: { Running: true }, Tags: [{}] }, 'Tags.0.Name: Invalid input: expected string, received undefined'],
  ];
  for (const [bad, problem] of cases) {
    try {
      checkAnswer(Thing, bad, FROM);
      assert.unreachable(`accepted ${JSON.stringify(bad)}`);
    } catch (err) {
      assert.instance(err, EngineError);
      const e = err as EngineError;
      assert.equal([e.kind, e.method, e.path, e.status], ['protocol', 'GET', '/things/x/json', 200]);
      assert.is(e.message, `GET /things/x/json: unexpected answer from the engine: ${problem}`);
    }
  }
});

answer('not an object at all is a protocol error, not a crash', () => {
  for (const bad of [null, 'text', 42, []]) {
    try {
      checkAnswer(Thing, bad, FROM);
      assert.unreachable(`accepted ${JSON.stringify(bad)}`);
    } catch (err) {
      assert.is((err as EngineError).kind, 'protocol');
    }
  }
});

answer('a map of strings (labels) is checked in one pass: every value a string, or a protocol error at its path', () => {
  const Labelled = z.object({ Labels: StringMap.nullish() });
  const labels = { a: '1', 'podling.io/spec': '{"x":1}', empty: '' };
  assert.ok(checkAnswer(Labelled, { Labels: labels }, FROM).Labels === labels);
  assert.is(checkAnswer(Labelled, { Labels: null }, FROM).Labels, null);
  for (const bad of [{ a: 1 }, ['a'], 'a=b', { a: null }]) {
    try {
      checkAnswer(Labelled, { Labels: bad }, FROM);
      assert.unreachable(`accepted ${JSON.stringify(bad)}`);
    } catch (err) {
      assert.is((err as EngineError).message, 'GET /things/x/json: unexpected answer from the engine: Labels: expected a map of strings');
    }
  }
});

answer.run();
