import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseEngine, type EngineChoice, type EngineGiven } from '../../src/engine/engine-choice.js';
import { thrown } from '../support/assertions.js';

// Which engine, as the docker CLI decides it (cli/command/cli.go resolveContextName and the default
// context's endpoint): one row per rule, and the rows where two rules meet.
const choice = suite('engine/engine-choice');

const CONFIG = { name: 'from-config', file: '/home/me/.docker/config.json' };

choice('precedence: --host and --context flags, DOCKER_HOST, DOCKER_CONTEXT, config.json, the socket', () => {
  const cases: Array<[string, EngineGiven, NodeJS.ProcessEnv, typeof CONFIG | undefined, Pick<EngineChoice, 'kind'> & Record<string, unknown>]> = [
    ['nothing anywhere: the standard socket', {}, {}, undefined, { kind: 'address', host: undefined }],
    ['config.json alone', {}, {}, CONFIG, { kind: 'context', name: 'from-config' }],
    ['DOCKER_CONTEXT beats config.json', {}, { DOCKER_CONTEXT: 'env-ctx' }, CONFIG, { kind: 'context', name: 'env-ctx' }],
    ['DOCKER_HOST beats DOCKER_CONTEXT', {}, { DOCKER_HOST: 'tcp://h:2375', DOCKER_CONTEXT: 'env-ctx' }, CONFIG, { kind: 'address', host: 'tcp://h:2375' }],
    ['--host beats DOCKER_HOST', { host: 'ssh://me@h' }, { DOCKER_HOST: 'tcp://h:2375' }, CONFIG, { kind: 'address', host: 'ssh://me@h' }],
    ['--context beats DOCKER_HOST', { context: 'flag-ctx' }, { DOCKER_HOST: 'tcp://h:2375', DOCKER_CONTEXT: 'env-ctx' }, CONFIG, { kind: 'context', name: 'flag-ctx' }],
    ['--context default is the environment: DOCKER_HOST', { context: 'default' }, { DOCKER_HOST: 'tcp://h:2375' }, CONFIG, { kind: 'address', host: 'tcp://h:2375' }],
    ['--context default without DOCKER_HOST: the socket, not config.json', { context: 'default' }, {}, CONFIG, { kind: 'address', host: undefined }],
    ['DOCKER_CONTEXT=default: the socket, not config.json', {}, { DOCKER_CONTEXT: 'default' }, CONFIG, { kind: 'address', host: undefined }],
    ['currentContext "default" in config.json: the socket', {}, {}, { ...CONFIG, name: 'default' }, { kind: 'address', host: undefined }],
    ['empty variables count as unset', {}, { DOCKER_HOST: '', DOCKER_CONTEXT: '' }, CONFIG, { kind: 'context', name: 'from-config' }],
  ];
  for (const [what, given, env, config, want] of cases) {
    const got = chooseEngine(given, env, () => config);
    const { from, ...rest } = got;
    assert.equal(rest, want, what);
    assert.type(from, 'string');
  }
});

choice('config.json is read only when nothing before it decided', () => {
  let reads = 0;
  const read = () => { reads++; return CONFIG; };
  chooseEngine({ host: 'unix:///x' }, {}, read);
  chooseEngine({ context: 'c' }, {}, read);
  chooseEngine({}, { DOCKER_HOST: 'unix:///x' }, read);
  chooseEngine({}, { DOCKER_CONTEXT: 'c' }, read);
  assert.is(reads, 0);
  chooseEngine({}, {}, read);
  assert.is(reads, 1);
});

choice('what decided is said, for error messages', () => {
  assert.is(chooseEngine({}, { DOCKER_CONTEXT: 'c' }, () => undefined).from, 'DOCKER_CONTEXT');
  assert.is(chooseEngine({}, {}, () => CONFIG).from, 'currentContext in /home/me/.docker/config.json');
  assert.is(chooseEngine({ context: 'c' }, {}, () => undefined).from, 'the --context option');
});

choice('--host with --context is refused in the docker CLI\'s words, whatever the environment', () => {
  for (const env of [{}, { DOCKER_HOST: 'tcp://h:2375' }, { DOCKER_CONTEXT: 'c' }]) {
    const err = thrown(() => chooseEngine({ host: 'unix:///x', context: 'c' }, env, () => CONFIG), 'invalid-argument');
    assert.is(err.message, 'conflicting options: cannot specify both --host and --context');
  }
});

choice.run();
