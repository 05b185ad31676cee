import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../../src/engine/index.js';
import type { EngineError } from '../../src/engine/errors.js';
import { engineSpeaking, fakeEngine, type Answer } from '../support/fake-engine.js';
import { unit } from '../support/scenario.js';
import { rejection } from '../support/assertions.js';

// How calls share connections (src/engine/connections.ts), against a tiny fake engine that counts
// the connections it accepts: sequential calls reuse one, a stream never holds other calls up.
const connections = suite('engine/connections');

/** Every path answers like the fake engine, except /stream, which sends headers and then nothing. */
function withOpenStream(): { answer: Answer; endStreams: () => void } {
  const open: Array<() => void> = [];
  const plain = engineSpeaking('1.41');
  return {
    answer: (req, res, body) => {
      if (req.url === '/v1.41/stream') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.write('first');
        open.push(() => res.end());
        return;
      }
      return plain(req, res, body);
    },
    endStreams: () => { for (const end of open.splice(0)) end(); },
  };
}

unit(connections, 'sequential calls all go over one connection', async () => {
  const fake = await fakeEngine(engineSpeaking('1.41'));
  const engine = new Engine({ socketPath: fake.socketPath });
  try {
    for (let i = 0; i < 20; i++) await engine.containers.list();
    assert.is(fake.requests.length, 21, 'one ping and twenty lists');
    assert.is(fake.connections(), 1);
    assert.is(engine.transport.client.stats.connections, 1);
  } finally {
    await engine.close();
    await fake.close();
  }
});

unit(connections, 'calls in flight at once get a connection each; idle ones are reused afterwards', async () => {
  const fake = await fakeEngine(engineSpeaking('1.41', 30));
  const engine = new Engine({ socketPath: fake.socketPath });
  try {
    await engine.apiVersion();
    await Promise.all(Array.from({ length: 5 }, () => engine.containers.list()));
    assert.is(fake.connections(), 5);
    await Promise.all(Array.from({ length: 3 }, () => engine.containers.list()));
    assert.is(fake.connections(), 5, 'no new connection while five idle ones are open');
  } finally {
    await engine.close();
    await fake.close();
  }
});

unit(connections, 'an open stream keeps its connection; calls meanwhile go over another and finish', async () => {
  const { answer, endStreams } = withOpenStream();
  const fake = await fakeEngine(answer);
  const engine = new Engine({ socketPath: fake.socketPath });
  try {
    const stream = await engine.transport.stream({ method: 'GET', path: '/stream' });
    for (let i = 0; i < 3; i++) assert.equal(await engine.containers.list(), []);
    assert.is(engine.transport.client.stats.running, 1, 'only the stream is running');
    assert.is(fake.connections(), 2, 'the stream\'s, and one for the three calls');
    endStreams();
    let read = '';
    for await (const chunk of stream.body) read += String(chunk);
    assert.is(read, 'first');
  } finally {
    endStreams();
    await engine.close();
    await fake.close();
  }
});

unit(connections, 'a call after close() fails at once, saying the client is closed, and sends nothing', async () => {
  const fake = await fakeEngine(engineSpeaking('1.41'));
  const engine = new Engine({ socketPath: fake.socketPath });
  try {
    await engine.containers.list();
    await engine.close();
    const sent = fake.requests.length;
    const err = await rejection(engine.containers.list()) as EngineError;
    assert.is(err.kind, 'unavailable');
    assert.is(err.message, 'GET /containers/json: this Engine was closed (engine.close()); a closed Engine sends nothing');
    assert.is(fake.requests.length, sent);
  } finally {
    await fake.close();
  }
});

connections.run();
