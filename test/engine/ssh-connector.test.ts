import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connections } from '../../src/engine/connections.js';
import { sshConnector } from '../../src/engine/ssh-connector.js';
import { Transport } from '../../src/engine/transport.js';
import { engineFailure } from '../support/assertions.js';

// The ssh connector's own mechanics with no OpenSSH and no engine: the "ssh" is
// test/support/fake-ssh.mjs, which joins its stdio to a small HTTP server's socket as dial-stdio
// joins it to the engine's, or fails as ssh fails. The real ssh and sshd: ssh.test.ts (live).
const connector = suite('engine/ssh-connector');

const FAKE_SSH = fileURLToPath(new URL('../support/fake-ssh.mjs', import.meta.url));
let dir = '';
let socketPath = '';
let server: Server;
let pidFile = '';
let connections = 0;

connector.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'podling-ssh-connector-'));
  socketPath = join(dir, 'engine.sock');
  server = createServer((req, res) => {
    res.setHeader('Api-Version', '1.41');
    res.end(req.url === '/_ping' ? 'OK' : JSON.stringify({ url: req.url }));
  });
  server.on('connection', () => { connections++; });
  // Exec's hijack: 101, then upper-case what comes until the client half-closes, then close.
  server.on('upgrade', (_req, socket) => {
    socket.write('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    let text = '';
    socket.on('data', (data: Buffer) => { text += data.toString('utf8'); });
    socket.on('end', () => socket.end(text.toUpperCase()));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
});
connector.after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** A transport whose every connection is a fake ssh process; `env` steers the fake. */
function transportThrough(env: Record<string, string>, program = process.execPath): Transport {
  pidFile = join(dir, `pids-${Math.random().toString(16).slice(2)}`);
  Object.assign(process.env, { FAKE_SSH_SOCKET: socketPath, FAKE_SSH_PIDS: pidFile, ...env });
  const client = new Connections('http://localhost', { connect: sshConnector([FAKE_SSH], 'ssh://fake', program) as never, headersTimeout: 0, bodyTimeout: 0 });
  return new Transport({ address: 'ssh://fake', client }, { apiVersion: '1.41' }, {});
}

function cleanEnv(): void {
  for (const key of ['FAKE_SSH_SOCKET', 'FAKE_SSH_PIDS', 'FAKE_SSH_EXIT', 'FAKE_SSH_STDERR']) delete process.env[key];
}

/** Pids the fake ssh processes wrote, and which of them still run. */
function started(): { all: number[]; running: number[] } {
  const all = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim().split('\n').map(Number) : [];
  return { all, running: all.filter((pid) => existsSync(`/proc/${pid}`)) };
}

connector('calls go over the process\'s stdio; sequential calls share one process; close ends it', async () => {
  const transport = transportThrough({});
  try {
    const before = connections;
    for (let i = 0; i < 5; i++) {
      const res = await transport.send({ method: 'GET', path: `/call/${i}` });
      assert.equal(await res.body.json(), { url: `/v1.41/call/${i}` });
    }
    assert.is(started().all.length, 1, 'one ssh for five calls in a row');
    assert.is(connections - before, 1);
    await Promise.all([1, 2, 3].map((i) => transport.send({ method: 'GET', path: `/at-once/${i}` }).then((r) => r.body.dump())));
    assert.is(started().all.length, 3, 'calls at once: a process each, the idle one reused');
    assert.is(started().running.length, 3);
  } finally {
    await transport.close();
    cleanEnv();
  }
  assert.equal(started().running, [], 'close() waits for every ssh to end');
});

connector('a hijacked connection carries stdin up, its end half-closes, and the answer still comes back', async () => {
  const transport = transportThrough({});
  try {
    const { socket } = await transport.upgrade({ method: 'POST', path: '/exec/abc/start', json: { Detach: false, Tty: false } });
    socket.end('through the pipe');
    let answer = '';
    for await (const chunk of socket) answer += String(chunk);
    assert.is(answer, 'THROUGH THE PIPE');
  } finally {
    await transport.close();
    cleanEnv();
  }
  assert.equal(started().running, []);
});

connector('an ssh that fails: kind unavailable carrying its stderr and exit status; nothing left running', async () => {
  const transport = transportThrough({ FAKE_SSH_EXIT: '255', FAKE_SSH_STDERR: 'ssh: connect to host nowhere port 22: Connection refused\r\n' });
  try {
    const err = await engineFailure(transport.send({ method: 'GET', path: '/_ping', unversioned: true }), 'unavailable');
    assert.is(err.message, 'engine unavailable: ssh to ssh://fake failed (exit 255): ssh: connect to host nowhere port 22: Connection refused (GET /_ping)');
  } finally {
    await transport.close();
    cleanEnv();
  }
  assert.is(started().all.length, 1);
  assert.equal(started().running, []);
});

connector('no ssh program: kind unavailable saying so', async () => {
  const transport = transportThrough({}, join(dir, 'no-such-ssh'));
  try {
    const err = await engineFailure(transport.send({ method: 'GET', path: '/_ping', unversioned: true }), 'unavailable');
    assert.match(err.message, /^engine unavailable: ssh to ssh:\/\/fake failed: cannot run .*no-such-ssh \(ENOENT\); is the OpenSSH client installed\? \(GET \/_ping\)$/);
  } finally {
    await transport.close();
    cleanEnv();
  }
});

connector.run();
