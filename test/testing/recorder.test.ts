import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { Engine } from '../../src/engine/index.js';
import { startRecorder, startReplayer } from '../../src/testing/index.js';

// The proxy end to end against a stand-in engine (node:http on a Unix socket): no daemon needed.
const recorder = suite('testing/recorder');

const ID = 'c0ffee'.padEnd(64, '42');

function fakeEngine(socketPath: string): Promise<Server> {
  const server = createServer((req, res) => {
    const json = (status: number, body: string) => res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length }).end(body);
    if (req.url === '/_ping') {
      res.writeHead(200, { 'Api-Version': '1.41', 'Content-Type': 'text/plain', 'Content-Length': 2 }).end('OK');
    } else if (req.url === '/v1.41/containers/create') {
      json(201, `{"Id":"${ID}","Warnings":[]}\n`);
    } else if (req.url === `/v1.41/containers/${ID}/logs?stdout=1`) {
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.raw-stream' });
      const frame = Buffer.from([1, 0, 0, 0, 0, 0, 0, 3, 0x61, 0x62, 0x0a]);
      res.write(frame);
      setTimeout(() => res.end(frame), 5); // two chunks
    } else {
      json(404, '{"message":"page not found"}\n');
    }
  });
  // A hijacked exec running `cat`: echoes stdin as stdout frames, finishes on the client's half-close.
  server.on('upgrade', (_req, socket) => {
    socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    socket.on('data', (data: Buffer) => {
      const head = Buffer.alloc(8);
      head[0] = 1;
      head.writeUInt32BE(data.length, 4);
      socket.write(Buffer.concat([head, data]));
    });
    socket.on('end', () => socket.end());
  });
  return new Promise((resolve) => server.listen(socketPath, () => resolve(server)));
}

/** The same calls, whichever socket the engine is on: what record and replay must agree on. */
async function conversation(engine: Engine): Promise<unknown[]> {
  const t = engine.transport;
  const created = await t.json({ method: 'POST', path: '/containers/create', json: { Image: 'box' } }, z.looseObject({ Id: z.string() }));
  const logs = await t.stream({ method: 'GET', path: `/containers/${created.Id}/logs`, query: { stdout: 1 } });
  const logged = Buffer.from(await logs.body.arrayBuffer()).toString('latin1');
  const { socket } = await t.upgrade({ method: 'POST', path: '/exec/e/start', json: { Detach: false, Tty: false } });
  const output: Buffer[] = [];
  socket.on('data', (data: Buffer) => output.push(data));
  const ended = new Promise((resolve) => socket.on('end', resolve));
  socket.end('stdin\n');
  await ended;
  socket.destroy();
  const missing = await t.empty({ method: 'GET', path: '/nope' }).catch((err: Error) => err.message);
  return [created.Id.length, logged, Buffer.concat(output).toString('latin1'), missing];
}

recorder('what is recorded through the proxy replays to the same results, with ids replaced', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'podling-recorder-'));
  const server = await fakeEngine(join(dir, 'engine.sock'));
  try {
    const rec = await startRecorder({ upstream: join(dir, 'engine.sock'), fixturePath: join(dir, 'fixture.json') });
    const recordingEngine = new Engine({ socketPath: rec.socketPath }, {});
    const live = await conversation(recordingEngine);
    await recordingEngine.close();
    const fixture = await rec.stop();
    assert.equal(fixture.exchanges.map((e) => `${e.request.method} ${e.request.path} ${e.response?.framing}`), [
      'GET /_ping length',
      'POST /v1.41/containers/create length',
      'GET /v1.41/containers/0000000000010000000000010000000000010000000000010000000000010000/logs chunked',
      'POST /v1.41/exec/e/start upgrade',
      'GET /v1.41/nope length',
    ]);
    assert.equal(fixture.exchanges[3]!.upgrade, [
      { from: 'client', text: 'stdin\n' },
      { from: 'client', end: true },
      { from: 'engine', frames: [{ stream: 'stdout', text: 'stdin\n' }] },
      { from: 'engine', end: true },
    ]);

    const replayer = await startReplayer(join(dir, 'fixture.json'));
    const replayingEngine = new Engine({ socketPath: replayer.socketPath }, {});
    const replayed = await conversation(replayingEngine);
    await replayingEngine.close();
    await replayer.close();
    assert.equal(replayed, live);
    assert.equal(replayer.misses, []);
    assert.equal(replayer.unused(), []);
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

recorder('an engine that cannot be reached spoils the recording, with a message that says so', async () => {
  const rec = await startRecorder({ upstream: '/nonexistent/docker.sock' });
  const engine = new Engine({ socketPath: rec.socketPath }, {});
  await engine.transport.apiVersion().catch(() => undefined);
  await engine.close();
  await rec.stop().then(() => assert.unreachable('stop() should fail'), (err: Error) => {
    assert.match(err.message, 'cannot reach the engine at /nonexistent/docker.sock');
  });
});

recorder.run();
