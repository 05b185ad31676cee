import { subscribe, unsubscribe } from 'node:diagnostics_channel';

/**
 * Every request undici creates while `fn` runs, as `METHOD path`, in any tier: undici announces
 * each one on a diagnostics channel before it is queued, so a request that never reached the
 * engine's socket is still counted. Tests run one at a time, so nothing else is counted.
 */
export async function requestsDuring(fn: () => Promise<void>): Promise<string[]> {
  return (await sentDuring(fn)).map((r) => `${r.method} ${r.path}`);
}

export interface Sent { method: string; path: string; body: string }

/** The same, with each request's body (JSON bodies are strings by the time undici sees them). */
export async function sentDuring(fn: () => Promise<void>): Promise<Sent[]> {
  const seen: Sent[] = [];
  const onCreate = (message: unknown) => {
    const { request } = message as { request: { method: string; path: string; body?: unknown } };
    const body = request.body;
    seen.push({ method: request.method, path: request.path, body: typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : '' });
  };
  subscribe('undici:request:create', onCreate);
  try {
    await fn();
  } finally {
    unsubscribe('undici:request:create', onCreate);
  }
  return seen;
}
