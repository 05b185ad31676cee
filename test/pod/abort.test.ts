import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../../src/engine/index.js';
import { isPodlingError } from '../../src/errors.js';
import { Pods } from '../../src/pod/index.js';
import { engineSpeaking, fakeEngine } from '../support/fake-engine.js';
import { rejection } from '../support/pods.js';

// Every pod-layer operation takes an AbortSignal: with one already aborted, it rejects with kind
// `aborted` and sends nothing at all.
const abort = suite('pod/abort');

const POD = { metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'img:1' }] } };

abort('every Pods operation given an aborted signal rejects as aborted and sends no request', async () => {
  const fake = await fakeEngine(engineSpeaking('1.41'));
  const engine = new Engine({ host: `unix://${fake.socketPath}` });
  try {
    const pods = new Pods(engine);
    const signal = AbortSignal.abort();
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['create', () => pods.create(POD, { signal })],
      ['get', () => pods.get('p', { signal })],
      ['list', () => pods.list({ signal })],
      ['delete', () => pods.delete('p', { signal })],
      ['exec', () => pods.exec('p', ['true'], { signal })],
      ['watch', () => pods.watch({ signal })],
      ['createService', () => pods.createService({ name: 's', selector: { a: 'b' }, port: 80 }, { signal })],
      ['getService', () => pods.getService('s', { signal })],
      ['listServices', () => pods.listServices({ signal })],
      ['deleteService', () => pods.deleteService('s', { signal })],
      ['prune', () => pods.prune({ signal })],
      ['logs', async () => { for await (const _ of pods.logs('p', { signal })) { /* nothing */ } }],
    ];
    for (const [what, call] of calls) {
      const err = await rejection(call());
      assert.ok(isPodlingError(err, 'aborted'), `${what}: ${String(err)}`);
    }
    assert.equal(fake.requests.filter((r) => r.url !== '/_ping').map((r) => `${r.method} ${r.url}`), [], 'nothing sent');
  } finally {
    await engine.close();
    await fake.close();
  }
});

abort.run();
