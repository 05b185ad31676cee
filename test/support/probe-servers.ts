import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { ExecProbeEngine } from '../../src/agent/probe/exec-probe.js';
import { Output } from '../../src/engine/streams/output.js';
import type { Teardown } from './teardown.js';

/**
 * Stand-ins for the prober's tests: real local servers for HTTP and TCP probes (the prober talks
 * to them exactly as to a pod's address), and a small exec engine for the exec probe's own logic.
 */

export interface SeenProbe { path: string; headers: IncomingHttpHeaders }

export interface LocalServer {
  port: number;
  seen: SeenProbe[];
  /** Connections accepted so far, and how many are still open. */
  connections: () => { accepted: number; open: number };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** An HTTP (or, with `tls`, HTTPS) server on `host` (127.0.0.1), closed by the test's teardown. */
export async function localServer(defer: Teardown['defer'], handler: Handler, options: { host?: string; tls?: { key: string; cert: string } } = {}): Promise<LocalServer> {
  const seen: SeenProbe[] = [];
  const handle: Handler = (req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    handler(req, res);
  };
  const server: Server = options.tls ? createHttpsServer(options.tls, handle) : createHttpServer(handle);
  return listen(defer, server, options.host ?? '127.0.0.1', seen);
}

/** A plain TCP server that accepts and holds connections (sends nothing). */
export async function tcpServer(defer: Teardown['defer'], host = '127.0.0.1'): Promise<LocalServer> {
  return listen(defer, createTcpServer(() => {}), host, []);
}

async function listen(defer: Teardown['defer'], server: Server | ReturnType<typeof createTcpServer>, host: string, seen: SeenProbe[]): Promise<LocalServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  server.on('connection', (socket: Socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  defer(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  }), `local server on ${host}`);
  return { port: (server.address() as AddressInfo).port, seen, connections: () => ({ accepted, open: sockets.size }) };
}

/** A port on 127.0.0.1 nothing listens on: one just bound and released. */
export async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A throwaway self-signed certificate for 127.0.0.1, made with the openssl command at test time
 * (no key is kept in the repository); undefined when openssl is not installed.
 */
export function selfSigned(): { key: string; cert: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'podling-probe-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=podling-probe-test', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What a fake exec does: its output frames, whether it hangs (never ends), its exit code. */
export interface FakeExecScript {
  output?: Array<['stdout' | 'stderr', string | Buffer]>;
  hang?: boolean;
  exitCode?: number;
  /** How many inspects answer "still running" after the output ended. */
  runningInspects?: number;
  /** create fails with this. */
  createError?: Error;
}

export interface FakeExec {
  engine: ExecProbeEngine;
  /** Every output stream handed out, to check it was destroyed. */
  streams: PassThrough[];
  calls: string[];
}

/**
 * The exec API as the probe uses it, answering from `script`; framed output as the engine sends
 * it with Tty off. It ignores abort signals on purpose: the probe must let go of a hung stream by
 * itself.
 */
export function fakeExec(script: FakeExecScript): FakeExec {
  const streams: PassThrough[] = [];
  const calls: string[] = [];
  let running = script.runningInspects ?? 0;
  const engine: ExecProbeEngine = {
    exec: {
      async create(container, spec) {
        calls.push(`create ${container} ${JSON.stringify(spec.Cmd)}`);
        if (script.createError) throw script.createError;
        return { Id: 'exec1' };
      },
      async start(id) {
        calls.push(`start ${id}`);
        const body = new PassThrough();
        streams.push(body);
        for (const [stream, payload] of script.output ?? []) body.write(frame(stream, payload));
        if (!script.hang) body.end();
        return new Output(body, false, { method: 'POST', path: `/exec/${id}/start` });
      },
      async inspect(id) {
        calls.push(`inspect ${id}`);
        const stillRunning = script.hang || running-- > 0;
        return { ID: id, Running: stillRunning, ExitCode: stillRunning ? null : script.exitCode ?? 0, ContainerID: 'c1' } as Awaited<ReturnType<ExecProbeEngine['exec']['inspect']>>;
      },
    },
  };
  return { engine, streams, calls };
}

/** One frame of a non-TTY stream: stream byte, three zeros, big-endian length, payload. */
function frame(stream: 'stdout' | 'stderr', payload: string | Buffer): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = stream === 'stdout' ? 1 : 2;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}
