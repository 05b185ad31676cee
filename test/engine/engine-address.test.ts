import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseEngineAddress, type EngineAddress } from '../../src/engine/engine-address.js';
import { parseEngineAddress as fromPackage } from '../../src/index.js';
import { thrown } from '../support/assertions.js';

// Engine addresses read without connecting (a node label, a flag): every form the client takes,
// and the one clear error for the rest.
const address = suite('engine/engine-address');

address('every form DOCKER_HOST takes, read without connecting', () => {
  const cases: Array<[string, EngineAddress]> = [
    ['/var/run/docker.sock', { scheme: 'unix', path: '/var/run/docker.sock' }],
    ['unix:///run/podling-newer/docker.sock', { scheme: 'unix', path: '/run/podling-newer/docker.sock' }],
    ['tcp://10.0.0.5:2376', { scheme: 'tcp', hostname: '10.0.0.5', port: '2376' }],
    ['tcp://node-1', { scheme: 'tcp', hostname: 'node-1' }],
    ['https://node-1:2376/', { scheme: 'https', hostname: 'node-1', port: '2376' }],
    ['ssh://root@127.0.0.1:2222', { scheme: 'ssh', target: { user: 'root', host: '127.0.0.1', port: '2222' } }],
  ];
  for (const [given, want] of cases) assert.equal(parseEngineAddress(given), want, given);
  assert.is(fromPackage, parseEngineAddress, 'exported by the package');
});

address('what the client cannot reach is invalid-argument, naming the forms it takes', () => {
  for (const given of ['npipe:////./pipe/docker_engine', 'fd://', 'unix://', 'node-1:2375', 'ssh://me:pw@host']) {
    const err = thrown(() => parseEngineAddress(given), 'invalid-argument');
    assert.match(err.message, /unsupported DOCKER_HOST|invalid ssh engine address/, given);
  }
});

address.run();
