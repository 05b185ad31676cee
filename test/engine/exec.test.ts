import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ZodError } from 'zod';
import type { ExecSpec } from '../../src/engine/exec.js';
import type { Engine } from '../../src/engine/index.js';
import { Output } from '../../src/engine/streams/output.js';
import { scenario, unit } from '../support/scenario.js';
import { engineFailure } from '../support/assertions.js';
import type { Track } from '../support/teardown.js';

// Exec against a real engine (fixtures/engine/exec/): framed and raw output, stdin over the
// hijacked connection, exit codes, and the errors of a missing exec or a stopped container.
const exec = suite('engine/exec');

const IMAGE = 'podling-test/busybox:latest';
const LABELS = { 'podling.io/managed': 'true', 'podling.io/test': 'true' };

/** A created container running `sleep`, removed after the scenario. */
async function running(engine: Engine, track: Track, name: string): Promise<string> {
  const id = await created(engine, track, name);
  await engine.containers.start(id);
  return id;
}

/** A created container, never started, removed after the scenario. */
async function created(engine: Engine, track: Track, name: string): Promise<string> {
  const { Id } = await engine.containers.create({ Image: IMAGE, Cmd: ['sleep', '60'], Labels: LABELS }, { name });
  return track.container(Id);
}

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

/** Bytes that look random but are the same every run: replays send what was recorded. */
function noise(size: number, seed: string): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 0; blocks.length * 32 < size; i++) blocks.push(createHash('sha256').update(`${seed}:${i}`).digest());
  return Buffer.concat(blocks).subarray(0, size);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

scenario(exec, 'create, start and inspect: the output is demultiplexed and each stream keeps its own order', async ({ engine, name, track }) => {
  const id = await running(engine, track, name('box'));
  const { Id } = await engine.exec.create(id, { Cmd: ['sh', '-c', 'echo o1; echo e1 >&2; echo o2; echo e2 >&2; echo o3'] });
  assert.match(Id, /^[0-9a-f]{64}$/);
  const { stdout, stderr, done } = (await engine.exec.start(Id)).split();
  const [out, err] = await Promise.all([readAll(stdout), readAll(stderr), done]);
  assert.equal([out, err], ['o1\no2\no3\n', 'e1\ne2\n']);
  const inspect = await engine.exec.inspect(Id);
  assert.is(inspect.Running, false);
  assert.is(inspect.ExitCode, 0);
  assert.is(inspect.ContainerID, id);
});

scenario(exec, 'run passes environment, working directory and user to the command', async ({ engine, name, track }) => {
  const id = await running(engine, track, name('box'));
  const result = await engine.exec.run(id, ['sh', '-c', 'echo "$POD"; pwd; id -u'], { Env: ['POD=web'], WorkingDir: '/tmp', User: '1000' });
  assert.equal(result, { exitCode: 0, stdout: 'web\n/tmp\n1000\n', stderr: '' });
});

scenario(exec, 'a failing command reports its non-zero exit code', async ({ engine, name, track }) => {
  const id = await running(engine, track, name('box'));
  assert.equal(await engine.exec.run(id, ['sh', '-c', 'echo bye >&2; exit 3']), { exitCode: 3, stdout: '', stderr: 'bye\n' });
  const missing = await engine.exec.run(id, ['no-such-command']);
  assert.is(missing.exitCode, 126, 'the engine could not exec it');
  assert.match(missing.stdout, 'executable file not found');
}, { unsupported: { podman: 'Podman\'s exec of a command that cannot run answers 127 where dockerd answers 126 (the scenario checks dockerd\'s distinction between the two)' } });

scenario(exec, 'stdin goes over the hijacked connection and the half-close gives the process its end of input', async ({ engine, name, track }) => {
  const id = await running(engine, track, name('box'));
  assert.equal(await engine.exec.run(id, ['cat'], { stdin: 'through stdin\n' }), { exitCode: 0, stdout: 'through stdin\n', stderr: '' });
  const counted = await engine.exec.run(id, ['wc', '-c'], { stdin: Buffer.alloc(20_000, 'x') });
  assert.is(counted.stdout.trim(), '20000');
  // A stream is piped, and ended when it ends.
  const piped = await engine.exec.run(id, ['wc', '-l'], { stdin: Readable.from(['one\n', 'two\n', 'three\n']) });
  assert.is(piped.stdout.trim(), '3');
  // No input at all: the half-close alone ends cat.
  assert.equal(await engine.exec.run(id, ['cat'], { stdin: '' }), { exitCode: 0, stdout: '', stderr: '' });
});

scenario(exec, 'binary stdin arrives byte for byte', async ({ engine, name, track }) => {
  const id = await running(engine, track, name('box'));
  const data = noise(16_384, 'stdin');
  const { stdout } = await engine.exec.run(id, ['sh', '-c', 'md5sum | cut -d" " -f1'], { stdin: data });
  assert.is(stdout.trim(), md5(data));
});

scenario(exec, 'binary stdout and stderr, interleaved, arrive byte for byte in their own streams', async ({ engine, name, track }) => {
  const id = await running(engine, track, name('box'));
  const script = 'for i in 1 2 3; do head -c 4096 /dev/urandom | tee -a /tmp/out; head -c 3000 /dev/urandom | tee -a /tmp/err >&2; done';
  const { Id } = await engine.exec.create(id, { Cmd: ['sh', '-c', script] });
  const { stdout, stderr } = await (await engine.exec.start(Id)).bytes();
  assert.is(stdout.length, 3 * 4096);
  assert.is(stderr.length, 3 * 3000);
  // What the container kept of the same bytes, summed inside it.
  const sums = await engine.exec.run(id, ['md5sum', '/tmp/out', '/tmp/err']);
  assert.equal(sums.stdout.trim().split('\n').map((line) => line.split(/\s+/)), [[md5(stdout), '/tmp/out'], [md5(stderr), '/tmp/err']]);
});

scenario(exec, 'a Tty exec gives raw output with stderr folded into it', async ({ engine, name, track }) => {
  const id = await running(engine, track, name('box'));
  const { Id } = await engine.exec.create(id, { Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 4'], Tty: true });
  const output = await engine.exec.start(Id, { tty: true });
  assert.is(output.tty, true);
  assert.equal(await output.text(), { stdout: 'out\r\nerr\r\n', stderr: '' });
  assert.is((await engine.exec.inspect(Id)).ExitCode, 4);
  const tty = await engine.exec.run(id, ['sh', '-c', '[ -t 0 ] && [ -t 1 ] && echo terminal'], { tty: true });
  assert.equal(tty, { exitCode: 0, stdout: 'terminal\r\n', stderr: '' });
});

scenario(exec, 'with a Tty, stdin keeps the connection open: the output survives and Ctrl-D ends the input', async ({ engine, name, track }) => {
  const id = await running(engine, track, name('box'));
  const read = await engine.exec.run(id, ['sh', '-c', 'read line; echo "got:$line"'], { tty: true, stdin: 'hello\n' });
  assert.is(read.exitCode, 0);
  assert.match(read.stdout, 'got:hello');
  const cat = await engine.exec.run(id, ['cat'], { tty: true, stdin: 'abc\n\x04' });
  assert.is(cat.exitCode, 0);
  assert.is(cat.stdout, 'abc\r\nabc\r\n'); // the terminal's echo, then cat's copy
});

scenario(exec, 'a hijacked start of a missing exec is not-found with the daemon message', async ({ engine }) => {
  // A 12-hex id, not a 64-hex one: the fixture normaliser would replace a full id with a fake.
  const hijacked = await engineFailure(engine.exec.start('abcdef012345', { stdin: 'x' }), 'not-found');
  assert.match(hijacked.daemonMessage ?? '', 'abcdef012345', 'the daemon message names the exec');
  assert.is(hijacked.status, 404);
  const plain = await engineFailure(engine.exec.start('abcdef012345'), 'not-found');
  assert.match(plain.daemonMessage ?? '', 'abcdef012345');
  const inspect = await engineFailure(engine.exec.inspect('abcdef012345'), 'not-found');
  assert.match(inspect.daemonMessage ?? '', 'abcdef012345');
});

scenario(exec, 'exec in a stopped container is a conflict with the daemon message', async ({ engine, name, track }) => {
  const id = await created(engine, track, name('idle'));
  const never = await engineFailure(engine.exec.create(id, { Cmd: ['true'] }), 'conflict');
  // dockerd names the container; Podman says only "container state improper".
  assert.ok(never.daemonMessage, 'the daemon message is kept');
  // dockerd answers 409; Podman 500 with a `cause` the kind is read from (src/engine/errors.ts).
});

scenario(exec, 'an exec created before its container stopped goes with it: starting it is not-found', async ({ engine, name, track }) => {
  const id = await running(engine, track, name('stopped'));
  const { Id } = await engine.exec.create(id, { Cmd: ['true'] });
  const { exited } = await engine.containers.wait(id, { condition: 'next-exit' });
  await engine.containers.kill(id);
  await exited;
  const late = await engineFailure(engine.exec.start(Id), 'not-found');
  assert.is(late.daemonMessage, `No such exec instance: ${Id}`);
}, { unsupported: { podman: 'Podman keeps an exec session after its container stopped: starting it is a conflict (container not running), not not-found' } });

scenario(exec, 'an invalid exec spec or id is refused before any request', async ({ engine, name, track }) => {
  const id = await created(engine, track, name('box'));
  const empty = await engineFailure(engine.exec.create(id, { Cmd: [] }), 'invalid-argument');
  assert.instance(empty.cause, ZodError);
  assert.match(empty.message, /^invalid exec spec: Cmd: Too small/);
  const typo = await engineFailure(engine.exec.create(id, { Cmd: ['true'], Tyy: true } as unknown as ExecSpec), 'invalid-argument');
  assert.match(typo.message, '"Tyy"');
  const badId = await engineFailure(engine.exec.start('not-an-exec-id'), 'invalid-argument');
  assert.match(badId.message, 'invalid exec name or id: "not-an-exec-id"');
});

unit(exec, 'Output: a stream that fails mid-way is an EngineError however it is read', async () => {
  const failing = () => Readable.from((async function* () {
    yield Buffer.from([1, 0, 0, 0, 0, 0, 0, 3, 0x61, 0x62, 0x0a]);
    throw Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
  })());
  const what = { method: 'POST', path: '/exec/abc/start', address: '/run/engine.sock' };
  const viaText = await engineFailure(new Output(failing(), false, what).text(), 'unavailable');
  assert.match(viaText.message, '/run/engine.sock');
  const { stdout, stderr, done } = new Output(failing(), false, what).split();
  const streamErrors: unknown[] = [];
  for (const stream of [stdout, stderr]) stream.on('error', (err) => streamErrors.push(err)).resume();
  const viaSplit = await engineFailure(done, 'unavailable');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(streamErrors, [viaSplit, viaSplit], 'both streams end with the same error');
  assert.is(viaSplit.path, '/exec/abc/start');
  const notFramed = await engineFailure(new Output(Readable.from([Buffer.from('raw tty bytes')]), false, what).text(), 'protocol');
  assert.match(notFramed.message, 'not a multiplexed stream');
});

unit(exec, 'Output: bytes() keeps binary payloads whole; with a TTY every chunk is stdout', async () => {
  const binary = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x0a]);
  const head = (stream: number, length: number) => Buffer.from([stream, 0, 0, 0, 0, 0, 0, length]);
  const framed = Readable.from([Buffer.concat([head(2, 5), binary, head(1, 2)]), Buffer.from('ok')]);
  const what = { method: 'GET', path: '/containers/x/logs' };
  assert.equal(await new Output(framed, false, what).bytes(), { stdout: Buffer.from('ok'), stderr: binary });
  const raw = Readable.from([Buffer.from([1, 0, 0, 0]), binary]);
  const tty = await new Output(raw, true, what).bytes();
  assert.ok(tty.stdout.equals(Buffer.concat([Buffer.from([1, 0, 0, 0]), binary])), 'not mistaken for a frame header');
  assert.is(tty.stderr.length, 0);
});

exec.run();
