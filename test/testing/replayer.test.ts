import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { Engine } from '../../src/engine/index.js';
import { saveFixture, type Fixture, type FixtureExchange } from '../../src/testing/fixture.js';
import { startReplayer } from '../../src/testing/index.js';
import { ReplayMismatchError, withEngine } from '../../src/testing/session.js';
import { connect, roundTrip } from '../support/wire.js';

// Hand-built fixtures are fine for testing the replayer itself; committed fixtures are recorded.
const replayer = suite('testing/replayer');

const fixtureOf = (exchanges: FixtureExchange[]): Fixture => ({ podling: 1, epoch: '2026-01-01T00:00:00.000Z', clock: [0, 3], exchanges });

const ok = (json: unknown, status = 200): NonNullable<FixtureExchange['response']> => ({
  status, framing: 'length', headers: { 'Content-Type': 'application/json', 'Content-Length': '0' }, body: { json: json as never, end: '\n' },
});
const PING: FixtureExchange = {
  request: { method: 'GET', path: '/_ping' },
  response: { status: 200, framing: 'length', headers: { 'Api-Version': '1.41', 'Content-Length': '2' }, body: { text: 'OK' } },
};

async function using<T>(fixture: Fixture, fn: (r: Awaited<ReturnType<typeof startReplayer>>) => Promise<T>): Promise<T> {
  const r = await startReplayer(fixture);
  try {
    return await fn(r);
  } finally {
    await r.close();
  }
}

replayer('an unrecorded request gets a 599 whose message names the nearest recording, and is remembered', async () => {
  const fixture = fixtureOf([
    { request: { method: 'GET', path: '/v1.41/containers/json', query: { all: '1' } }, response: ok([]) },
    { request: { method: 'POST', path: '/v1.41/containers/create', query: { name: 'a' }, body: { json: { Image: 'box' } } }, response: ok({}, 201) },
  ]);
  await using(fixture, async (r) => {
    const answer = (await roundTrip(r.socketPath, 'GET /v1.41/containers/json?all=0 HTTP/1.1\r\n\r\n')).toString();
    assert.match(answer, /^HTTP\/1\.1 599 /);
    const message = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).message as string;
    assert.match(message, 'no recording for\n    GET /containers/json?all=0');
    assert.match(message, 'nearest recording:\n    GET /containers/json?all=1');
    assert.is(r.misses.length, 1);
    assert.match(r.misses[0]!, 'GET /containers/json?all=1');
  });
});

replayer('matching ignores the version prefix and query order, and compares bodies byte for byte once secrets are redacted', async () => {
  const fixture = fixtureOf([
    { request: { method: 'POST', path: '/v1.45/containers/create', query: { name: 'a', platform: 'linux' }, body: { json: { Image: 'box', Cmd: ['sh'] } } }, response: ok({ Id: 'x' }, 201) },
    { request: { method: 'POST', path: '/v1.41/auth', body: { json: { username: 'me', password: '<redacted>' } } }, response: ok({ Status: 'Login Succeeded' }) },
  ]);
  await using(fixture, async (r) => {
    const body = '{"Image":"box","Cmd":["sh"]}';
    const created = await roundTrip(r.socketPath, `POST /v1.41/containers/create?platform=linux&name=a HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 'POST');
    assert.match(created.toString(), /^HTTP\/1\.1 201 /);
    const login = '{"username":"me","password":"hunter2"}';
    const auth = await roundTrip(r.socketPath, `POST /v1.41/auth HTTP/1.1\r\nContent-Length: ${login.length}\r\n\r\n${login}`, 'POST');
    assert.match(auth.toString(), 'Login Succeeded');
    assert.equal(r.misses, []);
  });
});

replayer('identical requests are answered in recorded order; one too many is a miss that says so', async () => {
  const inspect = (running: boolean): FixtureExchange => ({ request: { method: 'GET', path: '/v1.41/containers/c/json' }, response: ok({ State: { Running: running } }) });
  await using(fixtureOf([inspect(true), inspect(false)]), async (r) => {
    const get = async () => (await roundTrip(r.socketPath, 'GET /v1.41/containers/c/json HTTP/1.1\r\n\r\n')).toString();
    assert.match(await get(), '"Running":true');
    assert.match(await get(), '"Running":false');
    assert.match(await get(), / 599 /);
    assert.match(r.misses[0]!, 'all 2 recording(s) of this request were already used');
  });
});

replayer('recordings the test never used are reported', async () => {
  await using(fixtureOf([PING, { request: { method: 'GET', path: '/v1.41/version' }, response: ok({}) }]), async (r) => {
    await roundTrip(r.socketPath, 'GET /_ping HTTP/1.1\r\n\r\n');
    assert.equal(r.unused(), ['#2 GET /version']);
  });
});

const EXEC_START: FixtureExchange = {
  request: { method: 'POST', path: '/v1.41/exec/e/start', headers: { upgrade: 'tcp' }, body: { json: { Detach: false, Tty: false } } },
  response: { status: 101, reason: 'UPGRADED', framing: 'upgrade', headers: { 'Content-Type': 'application/vnd.docker.raw-stream', Connection: 'Upgrade', Upgrade: 'tcp' } },
  upgrade: [
    { from: 'client', text: 'hello\n' },
    { from: 'client', end: true },
    { from: 'engine', frames: [{ stream: 'stdout', text: 'hello\n' }, { stream: 'stderr', text: 'done\n' }] },
    { from: 'engine', end: true },
  ],
};

replayer('a hijacked exec waits for stdin and the client\'s half-close before answering, then closes', async () => {
  await using(fixtureOf([EXEC_START]), async (r) => {
    const socket = await connect(r.socketPath);
    const received: Buffer[] = [];
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('data', (data: Buffer) => received.push(data));
    socket.on('end', () => received.push(Buffer.from('<EOF>')));
    const body = '{"Detach":false,"Tty":false}';
    socket.write(`POST /v1.41/exec/e/start HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.write('hello\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const head = Buffer.concat(received).toString('latin1');
    assert.is(head, 'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n', 'no output before the half-close');
    socket.end();
    await closed;
    const rest = Buffer.concat(received).subarray(head.length).toString('latin1');
    assert.is(rest, '\x01\x00\x00\x00\x00\x00\x00\x06hello\n\x02\x00\x00\x00\x00\x00\x00\x05done\n<EOF>');
    assert.equal(r.misses, []);
  });
});

replayer('the client\'s own transport runs against the replay: JSON, a hijacked exec, and a cancelled stream', async () => {
  const fixture = fixtureOf([
    PING,
    { request: { method: 'GET', path: '/v1.41/version' }, response: ok({ ApiVersion: '1.41', Version: '20.10.24' }) },
    EXEC_START,
    {
      request: { method: 'GET', path: '/v1.41/events' },
      response: { status: 200, framing: 'chunked', headers: { 'Transfer-Encoding': 'chunked' }, chunks: { json: [{ Type: 'container' }], end: '\n' }, incomplete: true },
    },
  ]);
  await using(fixture, async (r) => {
    const engine = new Engine({ socketPath: r.socketPath }, {});
    try {
      const version = await engine.transport.json({ method: 'GET', path: '/version' }, z.looseObject({ Version: z.string() }));
      assert.is(version.Version, '20.10.24');
      const { socket } = await engine.transport.upgrade({ method: 'POST', path: '/exec/e/start', json: { Detach: false, Tty: false } });
      const output: Buffer[] = [];
      socket.on('data', (data: Buffer) => output.push(data));
      const ended = new Promise((resolve) => socket.on('end', resolve));
      socket.end('hello\n');
      await ended;
      assert.is(Buffer.concat(output).subarray(8, 14).toString(), 'hello\n');
      const events = await engine.transport.stream({ method: 'GET', path: '/events' });
      for await (const chunk of events.body) {
        assert.equal(JSON.parse(chunk.toString()), { Type: 'container' });
        break;
      }
      assert.equal(r.misses, []);
      assert.equal(r.unused(), []);
    } finally {
      await engine.transport.client.destroy();
    }
  });
});

replayer('withEngine: a swallowed miss still fails the test, unused recordings fail it, a missing fixture says how to record', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'podling-fixtures-'));
  try {
    const path = join(dir, 'suite', 'scenario.json');
    await saveFixture(path, fixtureOf([PING, { request: { method: 'GET', path: '/v1.41/version' }, response: ok({ Version: '20.10.24' }) }]));
    const swallowed = await withEngine({ fixture: path }, async (engine, ctx) => {
      assert.is(ctx.now(), Date.UTC(2026, 0, 1) / 1000);
      assert.is(ctx.now(), Date.UTC(2026, 0, 1) / 1000 + 3);
      await engine.transport.json({ method: 'GET', path: '/version' }, z.unknown());
      await engine.transport.json({ method: 'GET', path: '/info' }, z.unknown()).catch(() => undefined);
    }).then(() => undefined, (err: unknown) => err);
    assert.instance(swallowed, ReplayMismatchError);
    assert.match((swallowed as Error).message, 'no recording for\n      GET /info');

    const unused = await withEngine({ fixture: path }, async (engine) => {
      await engine.transport.apiVersion();
    }).then(() => undefined, (err: unknown) => err);
    assert.instance(unused, ReplayMismatchError);
    assert.match((unused as Error).message, 'recordings the test never used:\n    #2 GET /version');

    const missing = await withEngine({ fixture: join(dir, 'nope.json') }, async () => {}).then(() => undefined, (err: unknown) => err);
    assert.match((missing as Error).message, /no fixture at .*nope\.json: run `make record`/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

replayer.run();
