import * as assert from 'uvu/assert';
import { Engine } from '../../src/engine/index.js';
import { PodSpecError, Pods, type PodInput } from '../../src/pod/index.js';
import { engineSpeaking, fakeEngine } from './fake-engine.js';
import { requestsDuring } from './sent.js';

/**
 * Asserts that each pod is refused by `Pods.create` with one PodSpecError matching its message,
 * and that nothing reached the engine: no request created, and the fake engine saw none.
 */
export async function assertRefusedUnsent(cases: [what: string, pod: unknown, message: RegExp][]): Promise<void> {
  const fake = await fakeEngine(engineSpeaking('1.41'));
  const engine = new Engine({ socketPath: fake.socketPath });
  try {
    const pods = new Pods(engine, { newId: () => '0000000001', creator: 'podling-test:1' });
    for (const [what, pod, message] of cases) {
      let err: unknown;
      const sent = await requestsDuring(async () => { err = await pods.create(pod as PodInput).catch((e: unknown) => e); });
      assert.instance(err, PodSpecError, what);
      assert.match(String(err), message, what);
      assert.equal(sent, [], `${what}: requests sent`);
    }
    assert.equal(fake.requests, []);
  } finally {
    await engine.close();
    await fake.close();
  }
}
