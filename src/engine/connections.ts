import { createRequire } from 'node:module';
import type { Client as UndiciClient, Dispatcher as UndiciDispatcher } from 'undici';

/**
 * undici's index loads fetch, WebSocket, the caches and the mock agents as well: about 45 ms of a
 * CLI start, against about 15 ms for the HTTP/1 Client and the request API. undici has no exports
 * map, so these files are reachable; the request API is attached to Dispatcher.prototype exactly
 * as undici's index attaches it. If a release ever moves them, the index is loaded instead.
 */
const { Client, Dispatcher } = ((): { Client: typeof UndiciClient; Dispatcher: typeof UndiciDispatcher } => {
  const require = createRequire(import.meta.url);
  try {
    const client = require('undici/lib/dispatcher/client.js') as typeof UndiciClient;
    const dispatcher = require('undici/lib/dispatcher/dispatcher.js') as typeof UndiciDispatcher;
    if (!('request' in dispatcher.prototype)) Object.assign(dispatcher.prototype, require('undici/lib/api/index.js'));
    if (typeof client.prototype.request === 'function' && typeof client.prototype.upgrade === 'function') return { Client: client, Dispatcher: dispatcher };
  } catch {
    // moved files: fall through to the index
  }
  const undici = require('undici') as typeof import('undici');
  return { Client: undici.Client, Dispatcher: undici.Dispatcher };
})();

export interface ConnectionsStats { connections: number; connected: number; running: number; pending: number }

/**
 * The connections to one engine: one undici Client (one connection) each, as many as calls in
 * flight, like undici's Pool with its default of no limit. A call goes to an idle connection,
 * preferring one still open, or else to a new one. A stream (events, logs --follow, wait) keeps
 * its connection busy for as long as it runs, so it never holds other calls up.
 *
 * Why not undici's Pool: measured on a local socket it added 10 to 15 µs to every call (its
 * dispatch runs through a second dispatcher layer), and it spread sequential calls over two
 * connections, alternating, because a connection still counts as busy when the caller has read
 * the whole answer. Here the Client's own counts decide, and they are up to date by then.
 */
export class Connections extends Dispatcher {
  private readonly clients: UndiciClient[] = [];
  private ended = false;

  constructor(private readonly origin: string, private readonly options: UndiciClient.Options) {
    super();
  }

  override dispatch(options: UndiciDispatcher.DispatchOptions, handler: UndiciDispatcher.DispatchHandler): boolean {
    if (this.ended) throw Object.assign(new Error('the engine connection is closed'), { code: 'UND_ERR_CLOSED' });
    return this.pick().dispatch(options, handler);
  }

  private pick(): UndiciClient {
    let reopen: UndiciClient | undefined;
    for (const client of this.clients) {
      const { pending, running, connected } = client.stats;
      if (pending + running > 0 || client.destroyed || client.closed) continue;
      if (connected) return client;
      reopen ??= client;
    }
    if (reopen) return reopen;
    const client = new Client(this.origin, this.options);
    this.clients.push(client);
    return client;
  }

  get stats(): ConnectionsStats {
    const total: ConnectionsStats = { connections: this.clients.length, connected: 0, running: 0, pending: 0 };
    for (const client of this.clients) {
      const s = client.stats;
      total.connected += Number(s.connected);
      total.running += s.running;
      total.pending += s.pending;
    }
    return total;
  }

  /** Lets calls in flight finish, then closes every connection. */
  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    this.ended = true;
    return settle(Promise.all(this.clients.map((client) => client.close())), callback);
  }

  /** Ends every connection now; calls in flight fail with `err`. */
  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(errOrCallback?: Error | null | (() => void), callback?: () => void): Promise<void> | void {
    const err = typeof errOrCallback === 'function' ? null : errOrCallback ?? null;
    this.ended = true;
    return settle(Promise.all(this.clients.map((client) => client.destroy(err))), typeof errOrCallback === 'function' ? errOrCallback : callback);
  }
}

/** undici's two styles: a promise, or a callback and nothing returned. */
function settle(done: Promise<unknown>, callback?: () => void): Promise<void> | void {
  const finished = done.then(() => {});
  if (!callback) return finished;
  finished.then(callback, callback);
}
