import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Readable } from 'node:stream';
import { frames, demux, collect } from '../../src/engine/streams/demux.js';
import { jsonLines } from '../../src/engine/streams/json-lines.js';
import { Progress } from '../../src/engine/streams/progress.js';
import { isEngineError } from '../../src/engine/errors.js';

const streams = suite('engine/streams');

function frame(stream: number, payload: Buffer | string): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Cuts a buffer at every given size in turn, so headers and payloads straddle chunks. */
function chop(buf: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0, k = 0; i < buf.length; k++) {
    const n = sizes[k % sizes.length]!;
    out.push(buf.subarray(i, i + n));
    i += n;
  }
  return out;
}

streams('frames survive any chunking: every byte in its own stream, in order, binary intact', async () => {
  const binary = Buffer.from([0, 1, 2, 255, 254, 0, 10, 13]);
  const whole = Buffer.concat([frame(1, 'out-1\n'), frame(2, binary), frame(1, ''), frame(2, 'err-2\n'), frame(1, 'x'.repeat(70_000))]);
  const expected = { stdout: Buffer.concat([Buffer.from('out-1\n'), Buffer.from('x'.repeat(70_000))]), stderr: Buffer.concat([binary, Buffer.from('err-2\n')]) };
  for (const sizes of [[1], [3, 5], [7], [8], [9, 2], [whole.length]]) {
    const got = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    const order: string[] = [];
    for await (const f of frames(Readable.from(chop(whole, sizes)))) {
      assert.ok(f.payload.length > 0, 'no empty frames');
      if (order.at(-1) !== f.stream) order.push(f.stream);
      got[f.stream as 'stdout' | 'stderr'].push(f.payload);
    }
    assert.ok(Buffer.concat(got.stdout).equals(expected.stdout), `stdout, sizes ${sizes}`);
    assert.ok(Buffer.concat(got.stderr).equals(expected.stderr), `stderr, sizes ${sizes}`);
    assert.equal(order, ['stdout', 'stderr', 'stdout'], `stream order, sizes ${sizes}`);
  }
});

streams('frames come out exactly as the engine framed them, however the chunks fall', async () => {
  const chunk1 = Buffer.concat([frame(1, 'a\n'), frame(1, 'b\n'), frame(2, 'e\n'), frame(1, 'c\n'), frame(1, 'long-').subarray(0, 10)]);
  const chunk2 = Buffer.concat([frame(1, 'long-').subarray(10), frame(1, 'd\n')]);
  const exact = [];
  for await (const f of frames(Readable.from([chunk1, chunk2]))) exact.push([f.stream, f.payload.toString()]);
  assert.equal(exact, [['stdout', 'a\n'], ['stdout', 'b\n'], ['stderr', 'e\n'], ['stdout', 'c\n'], ['stdout', 'long-'], ['stdout', 'd\n']]);
});

streams('a stream that is not framed is an error, not garbage', async () => {
  try {
    for await (const _ of frames(Readable.from([Buffer.from('hello world, raw tty bytes')]))) { /* drain */ }
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, 'not a multiplexed stream');
  }
});

streams('a stream cut inside a frame is an error', async () => {
  const cut = frame(1, 'abcdef').subarray(0, 10);
  try {
    for await (const _ of frames(Readable.from([cut]))) { /* drain */ }
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, 'ended inside a frame');
  }
});

streams('demux splits stdout from stderr preserving per-stream order', async () => {
  const parts = [];
  for (let i = 0; i < 100; i++) parts.push(frame(i % 3 === 0 ? 2 : 1, `${i}\n`));
  const { stdout, stderr, done } = demux(Readable.from(chop(Buffer.concat(parts), [5])));
  const read = async (r: Readable) => { let s = ''; for await (const c of r) s += c; return s; };
  const [out, err] = await Promise.all([read(stdout), read(stderr), done]);
  const expectOut: string[] = [], expectErr: string[] = [];
  for (let i = 0; i < 100; i++) (i % 3 === 0 ? expectErr : expectOut).push(`${i}\n`);
  assert.is(out, expectOut.join(''));
  assert.is(err, expectErr.join(''));
});

streams('collect with a TTY keeps raw bytes as stdout', async () => {
  const got = await collect(Readable.from([Buffer.from('\u0001raw')]), true);
  assert.equal(got, { stdout: '\u0001raw', stderr: '' });
});

streams('json lines split on newlines, not chunks', async () => {
  const text = '{"a":1}\r\n{"b":\n2}\n'.replace('\n2', '2'); // one object split over two chunks below
  const chunks = [text.slice(0, 5), text.slice(5, 12), text.slice(12)].map((s) => Buffer.from(s));
  const got = [];
  for await (const v of jsonLines(Readable.from(chunks))) got.push(v);
  assert.equal(got, [{ a: 1 }, { b: 2 }]);
});

streams('progress: an error inside a 200 stream rejects done and ends the iteration with it', async () => {
  const body = Readable.from([
    Buffer.from('{"status":"Pulling from x","id":"latest"}\r\n'),
    Buffer.from('{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}\r\n'),
  ]);
  const progress = new Progress(Promise.resolve(body), { method: 'POST', path: '/images/create' }, () => 'ok');
  const seen: string[] = [];
  try {
    for await (const m of progress) seen.push(m.status ?? '');
    assert.unreachable();
  } catch (err) {
    assert.ok(isEngineError(err, 'stream'));
    assert.is((err as Error & { daemonMessage: string }).daemonMessage, 'manifest unknown');
  }
  assert.equal(seen, ['Pulling from x']);
  try { await progress.done; assert.unreachable(); } catch (err) { assert.ok(isEngineError(err, 'stream')); }
});

streams('progress: done settles even when nobody iterates', async () => {
  const body = Readable.from([Buffer.from('{"status":"a"}\r\n{"status":"sha256:abc"}\r\n')]);
  const progress = new Progress(Promise.resolve(body), { method: 'POST', path: '/x' }, (m) => m.at(-1)?.status);
  assert.is(await progress.done, 'sha256:abc');
});

streams.run();
