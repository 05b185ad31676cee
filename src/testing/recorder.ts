import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFixture } from './codec.js';
import type { Exchange } from './exchange.js';
import { saveFixture, type Fixture } from './fixture.js';
import { RequestParser, ResponseParser } from './http1.js';
import { EPOCH, normalizeExchanges, redactExchange } from './normalize.js';
import { SshUpstream } from './ssh-upstream.js';

/** Where the real engine listens: a Unix socket path, a TCP address, or an ssh:// engine address. */
export type Upstream = string | { host: string; port: number } | { ssh: string };

/** The engine the docker CLI would use: DOCKER_HOST, else the standard socket. */
export function defaultUpstream(env: NodeJS.ProcessEnv = process.env): Upstream {
  const host = env.DOCKER_HOST;
  if (!host) return '/var/run/docker.sock';
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  if (host.startsWith('/')) return host;
  if (host.startsWith('ssh://')) return { ssh: host };
  const match = /^tcp:\/\/([^:/]+):(\d+)\/?$/.exec(host);
  if (!match) throw new Error(`cannot record through DOCKER_HOST "${host}": use unix:///path, tcp://host:port or ssh://[user@]host[:port]`);
  return { host: match[1]!, port: Number(match[2]) };
}

export function describeUpstream(upstream: Upstream): string {
  if (typeof upstream === 'string') return upstream;
  return 'ssh' in upstream ? upstream.ssh : `${upstream.host}:${upstream.port}`;
}

/** The engine client's options for the same engine: a socket path, or an address it parses. */
export function engineAt(upstream: Upstream, env: NodeJS.ProcessEnv = process.env): { socketPath: string } | { host: string; ssh?: { identityFile?: string; configFile?: string } } {
  if (typeof upstream === 'string') return { socketPath: upstream };
  if (!('ssh' in upstream)) return { host: `tcp://${upstream.host}:${upstream.port}` };
  return { host: upstream.ssh, ssh: { identityFile: env.PODLING_SSH_IDENTITY || undefined, configFile: env.PODLING_SSH_CONFIG || undefined } };
}

/** A connection to the engine; each says `connect` once it can carry bytes. */
export function connectUpstream(upstream: Upstream): Duplex {
  // allowHalfOpen: a hijacked exec's client half-closes after writing stdin and still reads output.
  if (typeof upstream === 'string') return createConnection({ path: upstream, allowHalfOpen: true });
  if ('ssh' in upstream) return new SshUpstream(upstream.ssh);
  return createConnection({ host: upstream.host, port: upstream.port, allowHalfOpen: true });
}

/**
 * Watches one proxied connection and turns its bytes into exchanges. It only observes: the proxy
 * forwards bytes untouched, so a parse failure here costs the recording, never the test.
 */
export class ConnectionTap {
  private readonly requests: RequestParser;
  private readonly responses: ResponseParser;
  private readonly awaiting: Exchange[] = [];
  private receiving: { exchange: Exchange; parts: Buffer[] } | undefined;
  private answering: Exchange | undefined;
  private upgraded: Exchange | undefined;
  /** Why this connection stopped being understood, if it did. */
  failure: string | undefined;

  constructor(onExchange: (exchange: Exchange) => void) {
    this.requests = new RequestParser({
      head: (head) => {
        const exchange: Exchange = { request: { ...head, body: Buffer.alloc(0) } };
        this.receiving = { exchange, parts: [] };
        this.awaiting.push(exchange);
        this.responses.expect(head.method);
        onExchange(exchange);
      },
      body: (data) => this.receiving?.parts.push(data),
      end: () => this.flushRequestBody(),
      raw: (data) => this.upgraded?.upgrade?.push({ from: 'client', data }),
    });
    this.responses = new ResponseParser({
      head: (head, framing) => {
        const exchange = this.awaiting.shift();
        if (!exchange) throw new Error('the engine answered a request that was never sent');
        exchange.response = { ...head, framing, pieces: [], complete: false };
        this.answering = exchange;
        if (framing === 'upgrade') {
          exchange.upgrade = [];
          this.upgraded = exchange;
          this.requests.upgrade();
        } else {
          this.requests.resume();
        }
      },
      body: (data) => this.answering?.response?.pieces.push(data),
      end: () => {
        if (this.answering?.response) this.answering.response.complete = true;
      },
      raw: (data) => this.upgraded?.upgrade?.push({ from: 'engine', data }),
    });
  }

  private flushRequestBody(): void {
    if (this.receiving) this.receiving.exchange.request.body = Buffer.concat(this.receiving.parts);
  }

  private guard(step: () => void): void {
    if (this.failure) return;
    try {
      step();
    } catch (err) {
      this.failure = (err as Error).message;
    }
  }

  fromClient(data: Buffer): void { this.guard(() => this.requests.push(data)); }
  fromEngine(data: Buffer): void { this.guard(() => this.responses.push(data)); }

  get hijacked(): boolean {
    return this.upgraded !== undefined;
  }

  clientEnded(): void {
    this.guard(() => {
      this.flushRequestBody();
      this.upgraded?.upgrade?.push({ from: 'client', end: true });
      this.requests.finish();
    });
  }

  engineEnded(): void {
    this.guard(() => {
      this.responses.finish();
      this.upgraded?.upgrade?.push({ from: 'engine', end: true });
    });
  }
}

export interface RecorderOptions {
  /** The real engine; DOCKER_HOST or /var/run/docker.sock by default. */
  upstream?: Upstream;
  /** Where `stop()` writes the fixture; nothing is written without it. */
  fixturePath?: string;
  /** Socket to listen on; a fresh temporary path by default. */
  socketPath?: string;
  /**
   * True by default: ids become deterministic fakes and times are shifted to EPOCH, so
   * re-recording gives a small diff. False keeps both as the engine sent them (secrets are
   * redacted all the same): a client that prints ids or dates then prints on replay exactly what
   * it printed while recording.
   */
  normalize?: boolean;
}

export interface Recorder {
  /** Point an Engine here: `new Engine({ socketPath: recorder.socketPath })`. */
  readonly socketPath: string;
  /** Unix seconds at start; this instant becomes the fixture's epoch. */
  readonly startedAt: number;
  /** The current unix time, remembered so a replay's `now()` returns the same (shifted) values. */
  now(): number;
  /** Stops listening, waits for open connections, and returns (and writes) the normalised fixture. */
  stop(): Promise<Fixture>;
}

const CLOSE_GRACE_MS = 2000;

export async function startRecorder(options: RecorderOptions = {}): Promise<Recorder> {
  const upstream = options.upstream ?? defaultUpstream();
  const dir = await mkdtemp(join(tmpdir(), 'podling-record-'));
  const socketPath = options.socketPath ?? join(dir, 'engine.sock');
  const startedAt = Math.floor(Date.now() / 1000);
  const exchanges: Exchange[] = [];
  const clock: number[] = [];
  const problems: string[] = [];
  const sockets = new Set<Duplex>();
  const taps: ConnectionTap[] = [];

  const server = createServer({ allowHalfOpen: true }, (client) => {
    const engine = connectUpstream(upstream);
    const tap = new ConnectionTap((exchange) => exchanges.push(exchange));
    taps.push(tap);
    for (const socket of [client, engine]) {
      sockets.add(socket);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        engine.destroy();
      });
    }
    // Our listeners come before pipe()'s, so a request is parsed before the engine can answer it.
    client.on('data', (data: Buffer) => tap.fromClient(data));
    engine.on('data', (data: Buffer) => tap.fromEngine(data));
    client.on('end', () => {
      tap.clientEnded();
      // An HTTP client half-closes only on a hijacked connection; anywhere else its end means it
      // went away (an abort or a timeout). Passing that on as a half-close would let the engine
      // finish the answer, and the fixture would hold an ending the client never saw.
      if (!tap.hijacked) engine.destroy();
    });
    engine.on('end', () => tap.engineEnded());
    client.on('error', () => engine.destroy());
    // Only a failure to reach the engine spoils the recording; a reset after a client hung up
    // on a stream it no longer wanted is ordinary.
    let reached = false;
    engine.once('connect', () => { reached = true; });
    engine.on('error', (err) => {
      if (!reached) problems.push(`cannot reach the engine at ${describeUpstream(upstream)}: ${err.message}`);
      client.destroy();
    });
    client.pipe(engine);
    engine.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });

  return {
    socketPath,
    startedAt,
    now() {
      const now = Math.floor(Date.now() / 1000);
      clock.push(now - startedAt);
      return now;
    },
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const grace = setTimeout(() => { for (const socket of sockets) socket.destroy(); }, CLOSE_GRACE_MS);
      await closed;
      clearTimeout(grace);
      await rm(dir, { recursive: true, force: true });
      for (const tap of taps) if (tap.failure) problems.push(`unparseable traffic: ${tap.failure}`);
      if (problems.length) throw new Error(`recording failed:\n  ${[...new Set(problems)].join('\n  ')}`);
      const fixture = options.normalize === false
        ? await encodeFixture(exchanges.map(redactExchange), clock, new Date(startedAt * 1000).toISOString())
        : await encodeFixture(normalizeExchanges(exchanges, { offset: EPOCH - startedAt }), clock);
      if (options.fixturePath) await saveFixture(options.fixturePath, fixture);
      return fixture;
    },
  };
}
