import { linkSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../../src/engine/index.js';
import { isEngineError, type EngineErrorKind } from '../../src/engine/errors.js';

// No engine needed, and none may be assumed: each case points the client somewhere nothing
// answers (or something answers too slowly) and checks the failure is one a caller can act on.
const unavailable = suite('engine/unavailable');

// Generous: a functional bound ("fails fast, does not hang on a retry loop"), not a benchmark.
const FAST = 1000;

let dir = '';
unavailable.before(() => { dir = mkdtempSync(join(tmpdir(), 'podling-unavailable-')); });
unavailable.after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `call` on a fresh engine and returns its failure and how long it took to fail. */
async function failure(engine: Engine, call: (engine: Engine) => Promise<unknown>): Promise<{ err: Error; ms: number }> {
  const started = Date.now();
  try {
    await call(engine);
  } catch (err) {
    return { err: err as Error, ms: Date.now() - started };
  } finally {
    await engine.transport.client.destroy();
  }
  throw new Error('expected the call to fail');
}

function assertFailure({ err, ms }: { err: Error; ms: number }, kind: EngineErrorKind, ...mentions: string[]): void {
  assert.ok(isEngineError(err, kind), `expected kind ${kind}, got ${String(err)}`);
  for (const text of mentions) assert.match(err.message, text);
  assert.ok(ms < FAST, `took ${ms} ms to fail`);
}

// undici's own timers bound a call (see transport.ts); below a second they tick every ~500 ms, so
// a 200 ms timeout fires somewhere up to about a second later. Still bounded, which is the point.
const TIMER_SLACK = 2000;

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve) => server.listen(path, resolve));
}

/** A TCP port on loopback that was free a moment ago and is now closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

unavailable('a socket path that does not exist: unavailable, naming the path and what to check, within a second', async () => {
  const result = await failure(new Engine({ socketPath: '/tmp/podling-nonexistent.sock' }, {}), (e) => e.system.ping());
  assertFailure(result, 'unavailable', '/tmp/podling-nonexistent.sock', 'not found', 'Is the Docker daemon running?', 'DOCKER_HOST');
});

unavailable('the first versioned call fails the same way (its negotiation ping is what fails)', async () => {
  const result = await failure(new Engine({ socketPath: '/tmp/podling-nonexistent.sock' }, {}), (e) => e.containers.list());
  assertFailure(result, 'unavailable', '/tmp/podling-nonexistent.sock');
});

unavailable('DOCKER_HOST=unix:///nope: unavailable, naming /nope', async () => {
  const result = await failure(new Engine({}, { DOCKER_HOST: 'unix:///nope' }), (e) => e.system.ping());
  assertFailure(result, 'unavailable', 'socket /nope not found');
});

unavailable('DOCKER_HOST=tcp:// to a closed loopback port: unavailable, naming host and port', async () => {
  const port = await closedPort();
  const result = await failure(new Engine({}, { DOCKER_HOST: `tcp://127.0.0.1:${port}` }), (e) => e.system.ping());
  assertFailure(result, 'unavailable', `connection refused at 127.0.0.1:${port}`, 'listening there');
});

unavailable('a socket file nobody listens on any more: unavailable, naming it', async () => {
  // A listening server's socket file, kept under a second name after the server closes (close
  // unlinks the original): a daemon that died without cleaning up leaves exactly this.
  const live = join(dir, 'live.sock');
  const stale = join(dir, 'stale.sock');
  const server = createServer();
  await listen(server, live);
  linkSync(live, stale);
  await new Promise((resolve) => server.close(resolve));
  const result = await failure(new Engine({ socketPath: stale }, {}), (e) => e.system.ping());
  assertFailure(result, 'unavailable', stale, 'connection refused');
});

unavailable('a plain file where the socket should be: unavailable, naming it', async () => {
  const file = join(dir, 'not-a-socket');
  writeFileSync(file, 'hello');
  const result = await failure(new Engine({ socketPath: file }, {}), (e) => e.system.ping());
  assertFailure(result, 'unavailable', file);
});

unavailable('an unusable DOCKER_HOST is refused when the engine is made, as invalid-argument', () => {
  try {
    new Engine({}, { DOCKER_HOST: 'npipe:////./pipe/docker_engine' });
    assert.unreachable('accepted npipe://');
  } catch (err) {
    assert.ok(isEngineError(err, 'invalid-argument'), String(err));
    assert.match((err as Error).message, 'unsupported DOCKER_HOST "npipe:////./pipe/docker_engine"');
  }
});

/** A server that accepts requests and never answers them. */
async function silentServer(path: string): Promise<{ requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server = createHttpServer(() => { requests++; });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    requests: () => requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

unavailable('an engine that never answers: kind timeout after the call\'s timeout, for the ping and for a pinned call', async () => {
  const path = join(dir, 'silent.sock');
  const silent = await silentServer(path);
  try {
    const negotiating = await failure(new Engine({ socketPath: path, timeout: 200 }, {}), (e) => e.containers.list());
    const pinned = await failure(new Engine({ socketPath: path, apiVersion: '1.41' }, {}), (e) => e.containers.list({ timeout: 200 }));
    for (const [result, call] of [[negotiating, 'GET /_ping'], [pinned, 'GET /containers/json']] as const) {
      assert.ok(isEngineError(result.err, 'timeout'), String(result.err));
      assert.match(result.err.message, `${call}: timed out waiting for the engine at ${path}`);
      assert.ok(result.ms >= 190 && result.ms < TIMER_SLACK, `gave up after ${result.ms} ms for a 200 ms timeout`);
    }
    assert.is(silent.requests(), 2);
  } finally {
    await silent.close();
  }
});

unavailable('an already-aborted signal: kind aborted, and no connection is opened', async () => {
  const path = join(dir, 'counting.sock');
  let connections = 0;
  const server = createServer((socket) => { connections++; socket.destroy(); });
  await listen(server, path);
  const controller = new AbortController();
  controller.abort();
  const signal = controller.signal;
  try {
    for (const engine of [new Engine({ socketPath: path }, {}), new Engine({ socketPath: path }, { DOCKER_API_VERSION: '1.41' })]) {
      assertFailure(await failure(engine, (e) => e.containers.list({ signal })), 'aborted');
    }
    assert.is(connections, 0);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

unavailable.run();
