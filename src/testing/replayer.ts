import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeExchange } from './codec.js';
import type { Exchange } from './exchange.js';
import { loadFixture, type Fixture } from './fixture.js';
import { Inbox, replayHijacked, send } from './hijacked.js';
import { header, RequestParser, type RequestHead } from './http1.js';
import { describeRequest, missMessage, requestKey, sameRequest, type RequestKey } from './match.js';

/**
 * Serves a fixture on a real Unix socket, so the client's own transport, parser and hijack code
 * run under test. Answers reproduce the recorded bytes and framing; a request nothing answers
 * gets a 599 and is remembered, so a client that swallows errors still fails its test.
 */

export interface ReplayerOptions {
  /** Socket to listen on; a fresh temporary path by default. */
  socketPath?: string;
  /** How long a hijacked stream waits for bytes the recording says the client sends. */
  upgradeTimeout?: number;
  /** How a miss tells the reader to re-record; this project's `make record` by default. */
  rerecord?: string;
}

export interface Replayer {
  /** Point an Engine here: `new Engine({ socketPath: replayer.socketPath })`. */
  readonly socketPath: string;
  readonly fixture: Fixture;
  /** One readable message per request no recording answered. */
  readonly misses: readonly string[];
  /** What `now()` returned while recording, shifted like every other timestamp. */
  now(): number;
  /** Recordings no request used, described. */
  unused(): string[];
  close(): Promise<void>;
}

export const MISS_STATUS = 599;

interface Recording {
  key: RequestKey;
  exchange: Exchange;
  used: boolean;
}

function headBytes(response: NonNullable<Exchange['response']>, length: number): string {
  let head = `HTTP/1.1 ${response.status} ${response.reason}\r\n`;
  let lengthWritten = false;
  for (const [name, value] of response.headers) {
    // Lengths are recomputed: normalisation or a hand edit may have changed the body.
    const isLength = name.toLowerCase() === 'content-length';
    if (isLength && response.framing === 'length') lengthWritten = true;
    head += `${name}: ${isLength && response.framing === 'length' ? length : value}\r\n`;
  }
  if (response.framing === 'length' && !lengthWritten) head += `Content-Length: ${length}\r\n`;
  return `${head}\r\n`;
}

async function sendBody(socket: Socket, response: NonNullable<Exchange['response']>): Promise<void> {
  if (response.framing !== 'chunked') {
    for (const piece of response.pieces) await send(socket, piece);
    return;
  }
  for (const piece of response.pieces) await send(socket, Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]));
  if (response.complete) await send(socket, '0\r\n\r\n');
}

async function sendMiss(socket: Socket, message: string): Promise<void> {
  const body = JSON.stringify({ message: `podling replay: ${message}` });
  await send(socket, `HTTP/1.1 ${MISS_STATUS} Podling Replay Miss\r\nContent-Type: application/json\r\n`
    + `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

export async function startReplayer(source: string | Fixture, options: ReplayerOptions = {}): Promise<Replayer> {
  const fixture = typeof source === 'string' ? await loadFixture(source) : source;
  const recordings: Recording[] = fixture.exchanges.map((encoded) => {
    const exchange = decodeExchange(encoded);
    const { method, target, body, digest, headers } = exchange.request;
    return { key: requestKey(method, target, digest ?? body, headers), exchange, used: false };
  });
  const misses: string[] = [];
  const upgradeTimeout = options.upgradeTimeout ?? 5000;
  const sockets = new Set<Socket>();
  const dir = await mkdtemp(join(tmpdir(), 'podling-replay-'));
  const socketPath = options.socketPath ?? join(dir, 'engine.sock');

  /** Answers one request; returns false once the connection is no longer HTTP (or is closing). */
  async function answer(socket: Socket, parser: RequestParser, inbox: Inbox, head: RequestHead, body: Buffer): Promise<boolean> {
    const key = requestKey(head.method, head.target, body, head.headers);
    const recording = recordings.find((r) => !r.used && sameRequest(r.key, key));
    if (!recording) {
      const message = missMessage(key, recordings, options.rerecord);
      misses.push(message);
      parser.resume();
      await sendMiss(socket, message);
      return true;
    }
    recording.used = true;
    const { response, upgrade } = recording.exchange;
    // The engine never answered while recording: neither do we, until the client gives up.
    if (!response) return false;
    await send(socket, headBytes(response, response.pieces.reduce((sum, piece) => sum + piece.length, 0)));
    if (response.framing === 'upgrade') {
      parser.upgrade();
      const problem = await replayHijacked(socket, inbox, upgrade ?? [], upgradeTimeout);
      if (problem) misses.push(`hijacked stream of ${describeRequest(key)}\n  ${problem}`);
      return false;
    }
    parser.resume();
    await sendBody(socket, response);
    if (!response.complete) return false; // a stream the client cancelled: leave it open likewise
    if (response.framing === 'close' || /\bclose\b/i.test(header(head.headers, 'connection') ?? '')) {
      socket.end();
      return false;
    }
    return true;
  }

  function serve(socket: Socket): void {
    sockets.add(socket);
    const inbox = new Inbox();
    socket.on('close', () => {
      sockets.delete(socket);
      inbox.end(); // a client that hung up mid-stream sends nothing more: stop waiting for it
    });
    socket.on('error', () => socket.destroy());
    const queue: Array<{ head: RequestHead; body: Buffer }> = [];
    let receiving: { head: RequestHead; parts: Buffer[] } | undefined;
    let serving = false;
    let open = true;
    let clientEnded = false;

    const pump = async () => {
      if (serving) return;
      serving = true;
      while (open && queue.length) {
        const { head, body } = queue.shift()!;
        open = await answer(socket, parser, inbox, head, body);
      }
      serving = false;
      if (clientEnded) socket.end();
    };
    const parser = new RequestParser({
      head: (head) => { receiving = { head, parts: [] }; },
      body: (data) => receiving?.parts.push(data),
      end: () => {
        if (receiving) queue.push({ head: receiving.head, body: Buffer.concat(receiving.parts) });
        receiving = undefined;
        void pump();
      },
      raw: (data) => inbox.add(data),
    });
    socket.on('data', (data: Buffer) => {
      try {
        parser.push(data);
      } catch (err) {
        misses.push(`unparseable request: ${(err as Error).message}`);
        socket.destroy();
      }
    });
    socket.on('end', () => {
      clientEnded = true;
      inbox.end();
      if (!serving) socket.end();
    });
  }

  const server = createServer({ allowHalfOpen: true }, serve);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });

  const epoch = Date.parse(fixture.epoch) / 1000;
  let ticks = 0;
  return {
    socketPath,
    fixture,
    misses,
    now() {
      const delta = fixture.clock[Math.min(ticks++, fixture.clock.length - 1)] ?? 0;
      return epoch + delta;
    },
    unused() {
      return recordings.flatMap((r, index) => (r.used ? [] : [`#${index + 1} ${describeRequest(r.key)}`]));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
