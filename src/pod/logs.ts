import type { ContainerSummary } from '../engine/containers.js';
import type { Engine } from '../engine/index.js';
import { PodError } from './errors.js';
import type { Output } from '../engine/streams/output.js';
import { LABEL } from './labels.js';
import type { PodRecord } from './read.js';

export interface LogLine { container: string; stream: 'stdout' | 'stderr'; text: string }
export interface PodLogOptions {
  container?: string; tail?: number; follow?: boolean; since?: number; timestamps?: boolean; signal?: AbortSignal;
  /** The attempt before the current one (`kubectl logs --previous`). */
  previous?: boolean;
}

/**
 * The app containers a command targets: the named one, or all of them in the spec's order (the
 * engine lists newest first, and apps are created concurrently, so its order means nothing; exec
 * without a name must hit the first container of the spec, as kubectl's does).
 */
export function selectContainers(pod: PodRecord, name?: string, options: { previous?: boolean } = {}): { name: string; id: string }[] {
  const order = pod.spec?.spec.containers.map((c) => c.name) ?? [];
  const rank = (n: string) => (order.includes(n) ? order.indexOf(n) : order.length); // unknown names last
  const all = [...attemptsByName(pod.apps)].sort(([a], [b]) => rank(a) - rank(b));
  // Without a name, the apps: init containers are asked for by name (`-c INIT`), as in kubectl.
  const isInit = (attempts: ContainerSummary[]) => attempts[0]?.Labels?.[LABEL.role] === 'init';
  const wanted = name === undefined ? all.filter(([, attempts]) => !isInit(attempts)) : all.filter(([n]) => n === name);
  if (!wanted.length) throw new PodError('not-found', `pod ${pod.name} has no container "${name}" (it has: ${all.map(([n]) => n).join(', ') || 'none'})`);
  return wanted.flatMap(([n, attempts]) => {
    const c = options.previous ? attempts[1] : attempts[0];
    if (!c && name !== undefined) throw new PodError('not-found', `container "${n}" of pod ${pod.name} has no previous attempt (it has not restarted)`);
    return c ? [{ name: n, id: c.Id }] : [];
  });
}

/** Each container's attempts, newest first (LABEL.attempt). */
export function attemptsByName(apps: ContainerSummary[]): Map<string, ContainerSummary[]> {
  const byName = new Map<string, ContainerSummary[]>();
  for (const c of apps) {
    const n = c.Labels?.[LABEL.container] ?? c.Id;
    byName.set(n, [...(byName.get(n) ?? []), c]);
  }
  const attempt = (c: ContainerSummary) => Number(c.Labels?.[LABEL.attempt] ?? 0) || 0;
  for (const list of byName.values()) list.sort((a, b) => attempt(b) - attempt(a));
  return byName;
}

/** A container with `tty: true` logs one raw stream, without the frames of stdout and stderr. */
export const hasTty = (pod: PodRecord, name: string) =>
  [...(pod.spec?.spec.initContainers ?? []), ...(pod.spec?.spec.containers ?? [])].some((c) => c.name === name && c.tty === true);

/** Lines from every selected container, merged as they arrive (per-container order is kept). */
export async function* podLogs(engine: Engine, pod: PodRecord, options: PodLogOptions = {}): AsyncGenerator<LogLine> {
  const targets = selectContainers(pod, options.container, options);
  const outputs = await Promise.all(targets.map((t) => engine.containers.logs(t.id, {
    follow: options.follow, tail: options.tail, since: options.since, timestamps: options.timestamps, signal: options.signal, tty: hasTty(pod, t.name),
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
