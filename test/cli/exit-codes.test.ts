import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { exitCodeFor } from '../../src/cli/main.js';
import { UsageError } from '../../src/cli/usage.js';
import { EngineError } from '../../src/engine/errors.js';
import { isPodlingError, PodlingError } from '../../src/errors.js';
import { PodFailedError, PodNotFoundError, PodSpecError, SelectorError, ServiceError, ServiceSpecError } from '../../src/pod/index.js';

// Every layer's errors share PodlingError and a kind; the CLI's exit code comes from the kind alone.
const codes = suite('cli/exit-codes');

const CASES: Array<[string, unknown, string, number]> = [
  ['a usage error', new UsageError('bad flag'), 'usage', 2],
  ['a bad pod spec', new PodSpecError(['spec.containers: required']), 'invalid', 2],
  ['a bad selector', new SelectorError('invalid selector'), 'invalid', 2],
  ['a bad service', new ServiceSpecError('invalid service'), 'invalid', 2],
  ['a pod not found', new PodNotFoundError('web'), 'not-found', 1],
  ['a service that exists already', new ServiceError('already-exists', 'service "s" already exists'), 'already-exists', 1],
  ['a pod of a taken name', new PodFailedError('web', 'AlreadyExists', 'a pod named "web" already exists'), 'already-exists', 1],
  ['a pod that failed to start', new PodFailedError('web', 'ImagePullError', 'manifest unknown'), 'failed', 1],
  ['an engine refusal', new EngineError('POST /x: bad (400)', { kind: 'invalid-argument', status: 400 }), 'invalid-argument', 1],
  ['an unreachable engine', new EngineError('engine unavailable', { kind: 'unavailable' }), 'unavailable', 1],
];

for (const [what, err, kind, code] of CASES) {
  codes(`${what}: kind ${kind}, exit ${code}`, () => {
    assert.instance(err, PodlingError);
    assert.ok(isPodlingError(err, kind), `kind is ${(err as PodlingError).kind}`);
    assert.is(exitCodeFor(err), code);
  });
}

codes('something that is no PodlingError exits 1', () => {
  assert.is(exitCodeFor(new Error('boom')), 1);
  assert.is(exitCodeFor('a string'), 1);
});

codes.run();
