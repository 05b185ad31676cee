import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A tiny HTTP server on a temporary Unix socket, for the few pure tests about the client's own
 * logic (version negotiation, which request shape goes to which API version, timeouts). Never a
 * stand-in for the engine's answers: those come from recorded fixtures.
 */

export interface SeenRequest { method: string; url: string; body: string }

export type Answer = (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>;

export interface FakeEngine {
  readonly socketPath: string;
  readonly requests: SeenRequest[];
  /** Connections accepted so far. */
  readonly connections: () => number;
  close(): Promise<void>;
}

export async function fakeEngine(answer: Answer): Promise<FakeEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'podling-fake-'));
  const socketPath = join(dir, 'engine.sock');
  const requests: SeenRequest[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (data: Buffer) => parts.push(data));
    req.on('end', () => {
      const body = Buffer.concat(parts).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', body });
      void answer(req, res, body);
    });
  });
  server.on('connection', () => { connections++; });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    requests,
    connections: () => connections,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Minimal well-formed answers, so the client's schemas accept them. */
function plausible(path: string, version: string | undefined): unknown {
  if (path.endsWith('/version')) return { Version: 'fake', ApiVersion: version ?? '1.41', Os: 'linux', Arch: 'amd64' };
  if (/\/(containers\/json|networks|images\/json)$/.test(path)) return [];
  if (path.endsWith('/volumes')) return { Volumes: [], Warnings: null };
  if (path.endsWith('/volumes/prune')) return { VolumesDeleted: [], SpaceReclaimed: 0 };
  if (path.endsWith('/networks/prune')) return { NetworksDeleted: [] };
  if (path.endsWith('/create')) return { Id: 'f'.repeat(64), Warnings: [] };
  return {};
}

/**
 * Answers `/_ping` with `Api-Version: version` (none when undefined), after `delay` ms, and every
 * other request with a minimal plausible JSON answer.
 */
export function engineSpeaking(version: string | undefined, delay = 0): Answer {
  return async (req, res) => {
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
    if (version !== undefined) res.setHeader('Api-Version', version);
    if (req.url === '/_ping') {
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end('OK');
      return;
    }
    res.setHeader('Content-Type', 'application/json');
    const path = (req.url ?? '').split('?')[0]!;
    // An engine in no swarm, as dockerd answers it (the CLI's pod commands ask GET /swarm first).
    if (path.endsWith('/swarm')) {
      res.statusCode = 503;
      res.end(JSON.stringify({ message: 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.' }));
      return;
    }
    res.end(JSON.stringify(plausible(path, version)));
  };
}

/** The paths requested, in order. */
export const paths = (fake: FakeEngine) => fake.requests.map((r) => r.url.split('?')[0]);
