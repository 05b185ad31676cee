import type { Engine } from '../engine/index.js';
import type { Output } from '../engine/streams/output.js';
import { createPod, type CreateOptions } from './create.js';
import { deletePod, type DeleteOptions } from './delete.js';
import { podLogs, selectContainers, type LogLine, type PodLogOptions } from './logs.js';
import { prune, type PruneReport } from './prune.js';
import { describe, findPod, readPods, summarize, type PodObject } from './read.js';
import { matches, parseSelector } from './selector.js';
import { parsePod, type Pod, type PodInput } from './spec.js';

/** Pods on one engine. State lives in the engine's labels, so any process sees the same pods. */
export class Pods {
  /**
   * `defaults` apply to every create: tests that record fixtures pass a deterministic `id`
   * generator and `creator`, since both appear in the requests.
   */
  constructor(readonly engine: Engine, private readonly defaults: { newId?: () => string; creator?: string } = {}) {}

  /** Validates the spec (no engine call when it is bad), runs the pod, and returns it as read back. */
  async create(input: PodInput | Pod, options: CreateOptions = {}): Promise<PodObject> {
    const pod = parsePod(input);
    const created = await createPod(this.engine, pod, { id: this.defaults.newId?.(), creator: this.defaults.creator, ...options });
    return this.get(created.id, options);
  }

  /** One pod by name or id, with exact container states. */
  async get(ref: string, options: { signal?: AbortSignal } = {}): Promise<PodObject> {
    return describe(this.engine, await findPod(this.engine, ref, options), options);
  }

  /** All pods, optionally filtered by a label selector (`app=web,tier!=db`); one engine call. */
  async list(options: { selector?: string; signal?: AbortSignal } = {}): Promise<PodObject[]> {
    const requirements = options.selector === undefined ? [] : parseSelector(options.selector);
    const records = await readPods(this.engine, options);
    return records.map(summarize).filter((p) => matches(requirements, p.metadata.labels));
  }

  async delete(ref: string, options: DeleteOptions = {}): Promise<void> {
    await deletePod(this.engine, await findPod(this.engine, ref), options);
  }

  async *logs(ref: string, options: PodLogOptions = {}): AsyncGenerator<LogLine> {
    yield* podLogs(this.engine, await findPod(this.engine, ref, options), options);
  }

  /** Runs a command in one of the pod's containers (the first when none is named). */
  async exec(ref: string, cmd: string[], options: { container?: string; stdin?: NodeJS.ReadableStream | string; tty?: boolean } = {}): Promise<{ output: Output; exitCode: () => Promise<number> }> {
    const record = await findPod(this.engine, ref);
    const target = selectContainers(record, options.container)[0];
    if (!target) throw new Error(`pod ${record.name} has no containers`);
    const { Id } = await this.engine.exec.create(target.id, { Cmd: cmd, Tty: options.tty, AttachStdin: options.stdin !== undefined });
    const output = await this.engine.exec.start(Id, { tty: options.tty, stdin: options.stdin as string | undefined });
    return { output, exitCode: async () => (await this.engine.exec.inspect(Id)).ExitCode ?? -1 };
  }

  prune(options: { all?: boolean } = {}): Promise<PruneReport> {
    return prune(this.engine, options);
  }
}

export { parsePod, loadPodFile, PodSpecError, type Pod, type PodInput } from './spec.js';
export { PodFailedError, PodNotFoundError } from './errors.js';
export { SelectorError, parseSelector } from './selector.js';
export type { PodObject } from './read.js';
export type { LogLine } from './logs.js';
export type { PruneReport } from './prune.js';
