import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../../src/engine/index.js';
import { engineSpeaking, fakeEngine, type Answer } from '../support/fake-engine.js';
import { unit } from '../support/scenario.js';

// Which engine answers (Engine.flavour, src/engine/transport.ts): read from the negotiation ping's
// headers, so telling Podman from dockerd costs no request of its own.
const flavour = suite('engine/flavour');

/** dockerd's answers, plus Podman's Libpod-Api-Version header when `podman`. */
const speaking = (podman: boolean): Answer => {
  const docker = engineSpeaking('1.41');
  return (req, res, body) => {
    if (podman) res.setHeader('Libpod-Api-Version', '4.3.1');
    return docker(req, res, body);
  };
};

unit(flavour, 'a ping with Libpod-Api-Version is Podman, one without is dockerd; each asks once, with the version', async () => {
  for (const [podman, expected] of [[true, 'podman'], [false, 'docker']] as const) {
    const fake = await fakeEngine(speaking(podman));
    const engine = new Engine({ socketPath: fake.socketPath }, {});
    try {
      assert.is(await engine.flavour(), expected);
      await engine.containers.list();
      assert.is(await engine.flavour(), expected);
      assert.equal(fake.requests.map((r) => r.url.split('?')[0]), ['/_ping', '/v1.41/containers/json'], 'one ping for version and flavour');
    } finally {
      await engine.close();
      await fake.close();
    }
  }
});

unit(flavour, 'a pinned API version sends no ping, and the engine is taken to be dockerd', async () => {
  const fake = await fakeEngine(speaking(true));
  const engine = new Engine({ socketPath: fake.socketPath, apiVersion: '1.41' }, {});
  try {
    assert.is(await engine.flavour(), 'docker');
    assert.equal(fake.requests, []);
  } finally {
    await engine.close();
    await fake.close();
  }
});

flavour.run();
