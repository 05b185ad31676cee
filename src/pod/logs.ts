import type { Engine } from '../engine/index.js';
import type { Output } from '../engine/streams/output.js';
import { LABEL } from './labels.js';
import type { PodRecord } from './read.js';

export interface LogLine { container: string; stream: 'stdout' | 'stderr'; text: string }
export interface PodLogOptions { container?: string; tail?: number; follow?: boolean; since?: number; timestamps?: boolean; signal?: AbortSignal }

/**
 * The app containers a command targets: the named one, or all of them in the spec's order (the
 * engine lists newest first, and apps are created concurrently, so its order means nothing; exec
 * without a name must hit the first container of the spec, as kubectl's does).
 */
export function selectContainers(pod: PodRecord, name?: string): { name: string; id: string }[] {
  const order = pod.spec?.spec.containers.map((c) => c.name) ?? [];
  const rank = (n: string) => (order.includes(n) ? order.indexOf(n) : order.length); // unknown names last
  const apps = pod.apps.map((c) => ({ name: c.Labels?.[LABEL.container] ?? c.Id, id: c.Id })).sort((a, b) => rank(a.name) - rank(b.name));
  if (name === undefined) return apps;
  const found = apps.filter((a) => a.name === name);
  if (!found.length) throw new Error(`pod ${pod.name} has no container "${name}" (it has: ${apps.map((a) => a.name).join(', ') || 'none'})`);
  return found;
}

/** Lines from every selected container, merged as they arrive (per-container order is kept). */
export async function* podLogs(engine: Engine, pod: PodRecord, options: PodLogOptions = {}): AsyncGenerator<LogLine> {
  const targets = selectContainers(pod, options.container);
  const outputs = await Promise.all(targets.map((t) => engine.containers.logs(t.id, {
    follow: options.follow, tail: options.tail, since: options.since, timestamps: options.timestamps, signal: options.signal, tty: false,
  })));
  const sources = outputs.map((output, i) => lines(output, targets[i]!.name));
  yield* merge(sources);
}

async function* lines(output: Output, container: string): AsyncGenerator<LogLine> {
  const pending = { stdout: '', stderr: '' };
  for await (const frame of output) {
    const stream = frame.stream === 'stderr' ? 'stderr' : 'stdout';
    pending[stream] += frame.payload.toString('utf8');
    let newline: number;
    while ((newline = pending[stream].indexOf('\n')) >= 0) {
      yield { container, stream, text: pending[stream].slice(0, newline) };
      pending[stream] = pending[stream].slice(newline + 1);
    }
  }
  for (const stream of ['stdout', 'stderr'] as const) if (pending[stream]) yield { container, stream, text: pending[stream] };
}

/** Interleaves async generators, yielding whichever produces next. */
async function* merge<T>(sources: AsyncGenerator<T>[]): AsyncGenerator<T> {
  const next = sources.map((s, i) => s.next().then((r) => ({ r, i })));
  const live = new Set(sources.map((_, i) => i));
  while (live.size) {
    const { r, i } = await Promise.race([...live].map((k) => next[k]!));
    if (r.done) { live.delete(i); continue; }
    next[i] = sources[i]!.next().then((res) => ({ r: res, i }));
    yield r.value;
  }
}
