import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Engine } from '../../src/engine/index.js';
import type { FixtureExchange, FixtureUpgradeEvent } from '../../src/testing/fixture.js';
import { startReplayer } from '../../src/testing/replayer.js';
import { ReplayMismatchError } from '../../src/testing/session.js';
import { connect } from '../support/wire.js';
import { fixtureOf, PING, replaying } from './replaying.js';

// A hijacked exec or attach on replay: what the client writes after the 101 (stdin) is compared
// with the recording byte for byte, and a difference ends the stream at once with a clear miss.
const hijacked = suite('testing/hijacked');

const EXEC = 'e'.repeat(64);
const START = `POST /v1.41/exec/${EXEC}/start`;

function execStart(upgrade: FixtureUpgradeEvent[]): FixtureExchange {
  return {
    request: { method: 'POST', path: `/v1.41/exec/${EXEC}/start`, headers: { upgrade: 'tcp' }, body: { json: { Detach: false, Tty: false } } },
    response: { status: 101, reason: 'UPGRADED', framing: 'upgrade', headers: { 'Content-Type': 'application/vnd.docker.raw-stream', Connection: 'Upgrade', Upgrade: 'tcp' } },
    upgrade,
  };
}

/** `cat` fed `stdin`, as recorded: the client writes it and half-closes, the output echoes it. */
const cat = (stdin: { text: string } | { base64: string }) => fixtureOf([PING, execStart([
  { from: 'client', ...stdin },
  { from: 'client', end: true },
  { from: 'engine', frames: [{ stream: 'stdout', ...stdin }] },
  { from: 'engine', end: true },
])]);

const run = (stdin: string | Buffer) => async (engine: Engine) => (await engine.exec.start(EXEC, { stdin })).bytes();

hijacked('exec stdin as recorded replays, and the recorded output follows it', async () => {
  let output: Buffer | undefined;
  const error = await replaying(cat({ text: 'hello\n' }), async (engine) => { output = (await run('hello\n')(engine)).stdout; });
  assert.is(error, undefined);
  assert.is(output?.toString(), 'hello\n');
});

hijacked('exec stdin that differs fails the test at the first wrong byte, naming the request', async () => {
  const error = await replaying(cat({ text: 'hello\n' }), run('hellO\n'));
  assert.instance(error, ReplayMismatchError);
  assert.match(error!.message, `hijacked stream of POST /exec/${EXEC}/start\n      body: {"Detach":false,"Tty":false}\n`);
  assert.match(error!.message, 'stdin (what the client wrote after the upgrade) differs at byte 4: expected "hello\\n", got "hellO\\n" (6 bytes each)');
});

hijacked('binary stdin is compared as bytes and shown escaped', async () => {
  const recorded = Buffer.from([0x00, 0xff, 0x10, 0x80]);
  const error = await replaying(cat({ base64: recorded.toString('base64') }), run(Buffer.from([0x00, 0xff, 0x11, 0x80])));
  assert.match(error?.message ?? '', 'differs at byte 2: expected "\\x00\\xff\\x10\\x80", got "\\x00\\xff\\x11\\x80"');
  assert.is(await replaying(cat({ base64: recorded.toString('base64') }), run(recorded)), undefined);
});

hijacked('stdin longer or shorter than recorded before the half-close fails too', async () => {
  const longer = await replaying(cat({ text: 'hello\n' }), run('hello\nmore'));
  assert.match(longer?.message ?? '', 'differs at byte 6: expected "hello\\n", got "hello\\nmore" (6 bytes recorded, 10 sent)');
  const shorter = await replaying(cat({ text: 'hello\n' }), run('hell'));
  assert.match(shorter?.message ?? '', 'differs at byte 4: expected "hello\\n", got "hell" (6 bytes recorded, 4 sent)');
});

/** Opens a hijacked exec on `socketPath`; resolves to the socket once the 101 head has arrived. */
async function upgraded(socketPath: string, received: Buffer[]): Promise<import('node:net').Socket> {
  const socket = await connect(socketPath);
  socket.on('data', (data: Buffer) => received.push(data));
  const body = '{"Detach":false,"Tty":false}';
  socket.write(`${START} HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  while (!Buffer.concat(received).includes('\r\n\r\n')) await new Promise((resolve) => setTimeout(resolve, 5));
  received.length = 0;
  return socket;
}

hijacked('a client whose stdin goes wrong is stopped at once, not left waiting for the bytes it will never send', async () => {
  const r = await startReplayer(cat({ text: 'hello\n' }), { upgradeTimeout: 10_000 });
  try {
    const socket = await upgraded(r.socketPath, []);
    const ended = new Promise<string>((resolve) => socket.on('end', () => resolve('ended')));
    socket.write('hellO'); // one byte short of the recording as well as wrong: only the comparison can end this
    const first = await Promise.race([ended, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 2000))]);
    assert.is(first, 'ended');
    assert.match(r.misses[0] ?? '', 'differs at byte 4: expected "hello\\n", got "hellO" (6 bytes recorded, 5 sent)');
    socket.destroy();
  } finally {
    await r.close();
  }
});

hijacked('a client that stops short with the right bytes times out, saying how many it sent', async () => {
  const r = await startReplayer(cat({ text: 'hello\n' }), { upgradeTimeout: 100 });
  try {
    const socket = await upgraded(r.socketPath, []);
    const ended = new Promise((resolve) => socket.on('end', resolve));
    socket.write('hel');
    await ended;
    assert.match(r.misses[0] ?? '', 'the client sent 3 of the 6 bytes recorded within 100 ms');
    socket.destroy();
  } finally {
    await r.close();
  }
});

hijacked('across interleaved writes the offset counts from the start of the stream, and the output after a wrong write is not sent', async () => {
  const tty = fixtureOf([execStart([
    { from: 'client', text: 'ls\r' },
    { from: 'engine', text: 'ls\r\nbin\r\n' },
    { from: 'client', text: 'exit\r' },
    { from: 'engine', text: 'exit\r\n' },
    { from: 'engine', end: true },
  ])]);
  const r = await startReplayer(tty);
  try {
    const received: Buffer[] = [];
    const socket = await upgraded(r.socketPath, received);
    const closed = new Promise((resolve) => socket.on('end', resolve));
    socket.write('ls\r');
    while (!Buffer.concat(received).toString().includes('bin')) await new Promise((resolve) => setTimeout(resolve, 5));
    socket.write('exiT\r');
    await closed;
    assert.is(Buffer.concat(received).toString(), 'ls\r\nbin\r\n');
    assert.match(r.misses[0] ?? '', `hijacked stream of ${START.replace('/v1.41', '')}`);
    assert.match(r.misses[0] ?? '', 'differs at byte 6: expected "ls\\rexit\\r", got "ls\\rexiT\\r" (8 bytes each)');
    socket.destroy();
  } finally {
    await r.close();
  }
});

hijacked.run();
