import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import tar from 'tar-stream';
import { encodeFixture } from '../../src/testing/codec.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePiece } from '../../src/testing/body.js';
import { loadFixture, parseFixture, saveFixture, type Fixture } from '../../src/testing/fixture.js';
import { normalizeExchanges } from '../../src/testing/normalize.js';
import { startReplayer } from '../../src/testing/replayer.js';
import { bytes, roundTrip, tapped } from '../support/wire.js';

const fixture = suite('testing/fixture');

function frame(stream: number, payload: Buffer | string): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(data.length, 4);
  return Buffer.concat([head, data]);
}

function chunked(chunks: Array<Buffer | string>): Buffer {
  return Buffer.concat([
    ...chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)).map((c) => Buffer.concat([bytes(`${c.length.toString(16)}\r\n`), c, bytes('\r\n')])),
    bytes('0\r\n\r\n'),
  ]);
}

async function tarball(): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: 'etc/hostname' }, 'box\n');
  pack.entry({ name: 'bin', type: 'directory' });
  pack.finalize();
  const parts: Buffer[] = [];
  for await (const part of pack) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

const head = (extra: string) => bytes(`HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nDate: Tue, 25 Nov 2025 08:00:00 GMT\r\n${extra}\r\n`);
const withLength = (type: string, body: Buffer | string) => {
  const data = typeof body === 'string' ? Buffer.from(body) : body;
  return Buffer.concat([head(`Content-Type: ${type}\r\nContent-Length: ${data.length}\r\n`), data]);
};

interface Case { name: string; method?: string; request: string; response: () => Promise<Buffer> | Buffer; kind: (f: Fixture) => unknown }

const response = (f: Fixture) => f.exchanges[0]!.response!;
const cases: Case[] = [
  {
    name: 'a JSON body, Go-escaped, with its newline',
    request: 'GET /v1.41/containers/json HTTP/1.1\r\n\r\n',
    response: () => withLength('application/json', '[{"Names":["/a"],"Labels":{"x":"\\u003cb\\u003e \\u0026 é"}}]\n'),
    kind: (f) => 'json' in response(f).body! && response(f).body,
  },
  {
    name: 'a JSON body that JSON.stringify would not reproduce, kept as text',
    request: 'GET /v1.41/info HTTP/1.1\r\n\r\n',
    response: () => withLength('application/json', '{ "spaced": 1.0 }'),
    kind: (f) => 'text' in response(f).body!,
  },
  {
    name: 'a chunked progress stream, one JSON document per chunk',
    method: 'POST',
    request: 'POST /v1.41/images/create?fromImage=x HTTP/1.1\r\nContent-Length: 0\r\n\r\n',
    response: () => Buffer.concat([head('Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n'),
      chunked(['{"status":"Pulling"}\r\n', '{"status":"Done","progressDetail":{}}\r\n'])]),
    kind: (f) => !Array.isArray(response(f).chunks) && (response(f).chunks as { end: string }).end === '\r\n',
  },
  {
    name: 'an event stream, newline-ended, its 19-digit timeNano exact',
    request: 'GET /v1.41/events HTTP/1.1\r\n\r\n',
    response: () => Buffer.concat([head('Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n'),
      chunked(['{"Type":"container","Action":"start","time":1764057600,"timeNano":1764057600123456789}\n'])]),
    kind: (f) => {
      const chunks = response(f).chunks as { json: Array<{ timeNano: unknown }>; end: string };
      return chunks.end === '\n' && chunks.json.length === 1;
    },
  },
  {
    name: 'chunked log frames, stdout and binary stderr, one frame per chunk',
    request: 'GET /v1.41/containers/c/logs?stdout=1&stderr=1 HTTP/1.1\r\n\r\n',
    response: () => Buffer.concat([head('Content-Type: application/vnd.docker.raw-stream\r\nTransfer-Encoding: chunked\r\n'),
      chunked([frame(1, 'hello\n'), frame(2, Buffer.from([0xff, 0x00, 0xfe])), 'not a frame at all'])]),
    kind: (f) => Array.isArray(response(f).chunks) && (response(f).chunks as Array<object>).map((c) => Object.keys(c)[0]).join() === 'frames,frames,text',
  },
  {
    name: 'a close-delimited raw stream (exec start without upgrade)',
    method: 'POST',
    request: 'POST /v1.41/exec/e/start HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 28\r\n\r\n{"Detach":false,"Tty":false}',
    response: () => Buffer.concat([head('Content-Type: application/vnd.docker.raw-stream\r\n'), frame(1, 'out\n'), frame(2, 'err\n')]),
    kind: (f) => response(f).framing === 'close' && 'frames' in response(f).body!,
  },
  {
    name: 'a tar archive, listed',
    request: 'GET /v1.41/containers/c/archive?path=%2Fetc HTTP/1.1\r\n\r\n',
    response: async () => withLength('application/x-tar', await tarball()),
    kind: (f) => {
      const body = response(f).body!;
      return 'tar' in body && body.entries.map((e) => `${e.name}:${e.type}:${e.size}`).join() === 'etc/hostname:file:4,bin:directory:0';
    },
  },
  {
    name: 'plain text',
    request: 'GET /_ping HTTP/1.1\r\n\r\n',
    response: () => withLength('text/plain; charset=utf-8', 'OK'),
    kind: (f) => 'text' in response(f).body!,
  },
  {
    name: 'binary that is not UTF-8',
    request: 'GET /v1.41/images/x/get HTTP/1.1\r\n\r\n',
    response: () => withLength('application/octet-stream', Buffer.from([0x00, 0x01, 0x80, 0xff, 0x0d, 0x0a])),
    kind: (f) => 'base64' in response(f).body!,
  },
  {
    name: 'a HEAD answer: headers only, its Content-Length kept as recorded',
    method: 'HEAD',
    request: 'HEAD /v1.41/containers/c/archive?path=%2F HTTP/1.1\r\n\r\n',
    response: () => head('Content-Length: 10240\r\nX-Docker-Container-Path-Stat: eyJuYW1lIjoiLyJ9\r\n'),
    kind: (f) => response(f).framing === 'none' && response(f).body === undefined,
  },
  {
    name: 'a 204 and a 304, no body',
    method: 'POST',
    request: 'POST /v1.41/containers/c/start HTTP/1.1\r\nContent-Length: 0\r\n\r\n',
    response: () => bytes('HTTP/1.1 304 Not Modified\r\nDate: Tue, 25 Nov 2025 08:00:00 GMT\r\n\r\n'),
    kind: (f) => response(f).framing === 'none' && response(f).status === 304,
  },
];

for (const c of cases) {
  fixture(`record, serialise, load, replay: ${c.name} comes back byte for byte`, async () => {
    const wire = await c.response();
    const exchanges = tapped([['client', c.request], ['engine', wire], ['engine-end']]);
    const encoded = await encodeFixture(normalizeExchanges(exchanges, { offset: 0 }));
    const loaded = parseFixture(JSON.parse(JSON.stringify(encoded, null, 2)));
    assert.ok(c.kind(loaded), `readable form: ${JSON.stringify(loaded.exchanges[0]!.response)}`);
    const replayer = await startReplayer(loaded);
    try {
      const replayed = await roundTrip(replayer.socketPath, c.request, c.method);
      assert.is(replayed.toString('latin1'), wire.toString('latin1'));
      assert.equal(replayer.misses, []);
      assert.equal(replayer.unused(), []);
    } finally {
      await replayer.close();
    }
  });
}

fixture('integers beyond 2^53 are written to the fixture file as plain, exact numbers', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'podling-fixture-'));
  try {
    const event = '{"timeNano":1764057600123456789}\n';
    const exchanges = tapped([['client', 'GET /v1.41/events HTTP/1.1\r\n\r\n'], ['engine', `HTTP/1.1 200 OK\r\nContent-Length: ${event.length}\r\n\r\n${event}`]]);
    await saveFixture(join(dir, 'f.json'), await encodeFixture(exchanges));
    assert.match(await readFile(join(dir, 'f.json'), 'utf8'), '"timeNano": 1764057600123456789\n');
    const loaded = await loadFixture(join(dir, 'f.json'));
    assert.is(decodePiece(loaded.exchanges[0]!.response!.body!).toString(), event);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

fixture('a hand edit with a typo fails at load time, naming the field', () => {
  const value = { podling: 1, epoch: '2026-01-01T00:00:00.000Z', clock: [], exchanges: [{ request: { method: 'GET', path: '/_ping' }, respons: {} }] };
  assert.throws(() => parseFixture(value, 'fixtures/x/y.json'), (err: Error) => err.message.includes('fixtures/x/y.json') && err.message.includes('respons'));
});

fixture.run();
