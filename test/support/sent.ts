import { subscribe, unsubscribe } from 'node:diagnostics_channel';

/**
 * Every request undici creates while `fn` runs, as `METHOD path`, in any tier: undici announces
 * each one on a diagnostics channel before it is queued, so a request that never reached the
 * engine's socket is still counted. Tests run one at a time, so nothing else is counted.
 */
export async function requestsDuring(fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const onCreate = (message: unknown) => {
    const { request } = message as { request: { method: string; path: string } };
    seen.push(`${request.method} ${request.path}`);
  };
  subscribe('undici:request:create', onCreate);
  try {
    await fn();
  } finally {
    unsubscribe('undici:request:create', onCreate);
  }
  return seen;
}
