import * as assert from 'uvu/assert';
import { Engine } from '../../src/engine/index.js';
import { PodSpecError, Pods, type PodInput } from '../../src/pod/index.js';
import { engineSpeaking, fakeEngine } from './fake-engine.js';
import { requestsDuring } from './sent.js';

/**
 * Each bad pod is refused with a PodSpecError by Pods.create (whose message matches, when a
 * pattern is given), and nothing reaches the engine: no request is even made (undici announces
 * every one), and the fake engine behind it is never connected to.
 */
export async function assertRefusedWithoutSending(cases: Array<[what: string, pod: unknown, message?: RegExp]>): Promise<void> {
  const fake = await fakeEngine(engineSpeaking('1.41'));
  const engine = new Engine({ socketPath: fake.socketPath });
  try {
    const pods = new Pods(engine, { newId: () => '0000000001', creator: 'podling-test:1' });
    for (const [what, input, message] of cases) {
      let err: unknown;
      const sent = await requestsDuring(async () => { err = await pods.create(input as PodInput).catch((e: unknown) => e); });
      assert.instance(err, PodSpecError, what);
      if (message) assert.match(String(err), message, what);
      assert.equal(sent, [], `${what}: requests sent`);
    }
    assert.is(fake.connections(), 0);
    assert.equal(fake.requests, []);
  } finally {
    await engine.close();
    await fake.close();
  }
}
