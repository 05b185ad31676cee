import type { Mount } from '../engine/container-spec.js';
import type { Engine } from '../engine/index.js';
import { isEngineError, isNotFound } from '../engine/errors.js';
import { pack, unpack } from '../engine/streams/tar.js';
import { LABEL } from './labels.js';
import type { Container, InitContainer, Pod } from './spec.js';

/**
 * The termination message, as the kubelet keeps it (kuberuntime_container.go): what the container
 * wrote at terminationMessagePath (at most 4096 bytes), or, with FallbackToLogsOnError, when that
 * is empty and the container failed, the end of its log (80 lines, at most 2048 bytes). It is read
 * from the stopped container through the archive API, and only by exact reads (`pod get`): a list
 * would pay an archive read per stopped container.
 *
 * Where the file lives. A path in the container's own filesystem outlives the process, so nothing
 * is needed. /dev is a tmpfs the runtime makes at each start and drops at the exit, so a file there
 * (the default /dev/termination-log) is gone when it would be read: as the kubelet does, an empty
 * file of the pod's is bind-mounted there. Those files live in one labelled volume per pod, made
 * in it through the infra container (which mounts it) before the container starts: a bind of a
 * missing file would make a directory. Only containers that declare a termination field get one;
 * for the others Podling makes and reads nothing, so a pod that never asks pays nothing.
 */

export const TERMINATION_LOG = '/dev/termination-log';
/** The kubelet's caps: the file, and the log tail it falls back to. */
export const MESSAGE_FILE_CAP = 4096;
export const LOG_TAIL_LINES = 80;
export const LOG_TAIL_BYTES = 2048;

/** Where the infra holds the pod's message files. */
export const INFRA_MESSAGES = '/podling/termination';
/** The key of the message volume's host path among the pod's volume mountpoints (no spec volume has an empty name). */
export const MESSAGES_MOUNTPOINT = '';

type AnyContainer = Container | InitContainer;

/** Whether the container asked for a termination message: then Podling keeps and reads it. */
export const declaresMessage = (c: AnyContainer) => c.terminationMessagePath !== undefined || c.terminationMessagePolicy !== undefined;

export const messagePath = (c: AnyContainer) => c.terminationMessagePath ?? TERMINATION_LOG;

/** Whether the path is on the runtime's /dev tmpfs, so a file of the pod's must be mounted there. */
export const needsMessageFile = (c: AnyContainer) => declaresMessage(c) && messagePath(c).startsWith('/dev/');

export const podNeedsMessageFiles = (pod: Pod) => [...pod.spec.initContainers ?? [], ...pod.spec.containers].some(needsMessageFile);

/** One file per container attempt, so a restart starts with an empty one and lastState keeps its own. */
export const messageFile = (container: string, attempt: number) => `${container}-${attempt}`;

/** The pod's message volume: `--` cannot appear in an emptyDir's name at that place, so it never clashes with one. */
export const messagesVolume = (podId: string) => `podling-${podId}--termination`;

export function messagesVolumeSpec(pod: Pod, podId: string, creator: string) {
  return {
    Name: messagesVolume(podId),
    Driver: 'local',
    Labels: {
      [LABEL.managed]: 'true', [LABEL.podId]: podId, [LABEL.podName]: pod.metadata.name,
      [LABEL.type]: 'termination-messages', [LABEL.creator]: creator,
    },
  };
}

/** The infra's mount of the message volume, when the pod has message files. */
export function messagesInfraMount(pod: Pod, podId: string): Mount[] {
  return podNeedsMessageFiles(pod) ? [{ Type: 'volume', Source: messagesVolume(podId), Target: INFRA_MESSAGES }] : [];
}

/** The bind of the container's message file at its path (`host:container`), when it needs one. */
export function messageBind(c: AnyContainer, attempt: number, mountpoints: Map<string, string>): string | undefined {
  if (!needsMessageFile(c)) return undefined;
  const root = mountpoints.get(MESSAGES_MOUNTPOINT);
  if (!root) throw new Error(`container ${c.name}: the host path of the pod's termination message volume is not known`);
  return `${root}/${messageFile(c.name, attempt)}:${messagePath(c)}`;
}

/** Makes the (empty) message files of the attempts about to start, through the infra that mounts their volume. */
export async function makeMessageFiles(engine: Engine, infraId: string, files: string[], signal?: AbortSignal): Promise<void> {
  if (!files.length) return;
  // 0666: the container's process may run as any user, and must be able to write its message.
  const entries = files.map((name) => ({ name, content: '', mode: 0o666 }));
  await engine.containers.putArchive(infraId, INFRA_MESSAGES, pack(entries), { signal });
}

/**
 * The message from what was read: the file's text (cut to its cap), or, when it is empty, the
 * policy asks for it and the container failed, the log's tail. Pure.
 */
export function chooseMessage(file: string, policy: AnyContainer['terminationMessagePolicy'], exitCode: number | undefined, logTail: string | undefined): string | undefined {
  if (file !== '') return file;
  if (policy === 'FallbackToLogsOnError' && exitCode !== 0 && logTail) return logTail;
  return undefined;
}

/** Whether the log must be read: only when chooseMessage would take it. */
export const wantsLogTail = (file: string, policy: AnyContainer['terminationMessagePolicy'], exitCode: number | undefined) =>
  file === '' && policy === 'FallbackToLogsOnError' && exitCode !== 0;

/** The last LOG_TAIL_LINES lines of a log, then its last LOG_TAIL_BYTES bytes (whole characters). Pure. */
export function logTail(log: Buffer): string {
  let text = log.toString('utf8');
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  text = lines.slice(-LOG_TAIL_LINES).join('\n') + (text.endsWith('\n') ? '\n' : '');
  const bytes = Buffer.from(text);
  if (bytes.length <= LOG_TAIL_BYTES) return text;
  // Cut at the byte cap, then drop a character the cut split (UTF-8 continuation bytes are 10xxxxxx).
  let start = bytes.length - LOG_TAIL_BYTES;
  while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start++;
  return bytes.subarray(start).toString('utf8');
}

/**
 * A stopped container's termination message, when it declared one: its file through the archive
 * API, and its log when the policy falls back to it. Undefined when there is none, or the
 * container is gone.
 */
export async function readMessage(engine: Engine, stopped: StoppedContainer, c: AnyContainer, signal?: AbortSignal): Promise<string | undefined> {
  if (!declaresMessage(c)) return undefined;
  const { id, exitCode } = stopped;
  const [holder, path] = await messageSource(engine, stopped, c);
  const file = await readFileCapped(engine, holder, path, signal);
  const tail = wantsLogTail(file, c.terminationMessagePolicy, exitCode) ? await readLogTail(engine, id, stopped.tty ?? false, signal) : undefined;
  return chooseMessage(file, c.terminationMessagePolicy, exitCode, tail);
}

export interface StoppedContainer { id: string; exitCode?: number; tty?: boolean; attempt?: number; infraId?: string | undefined }

/**
 * The container and path the message file is read from: the container's own path, or, on Podman,
 * a bound message file's copy in the infra's hold of the message volume. Podman's archive API
 * cannot read a file that is a bind mount (its copier chdirs into the bind's source as if it were
 * a directory: docs/engine-behaviour.md, "Podman 4.3").
 */
async function messageSource(engine: Engine, stopped: StoppedContainer, c: AnyContainer): Promise<[string, string]> {
  if (!needsMessageFile(c) || !stopped.infraId || await engine.flavour() !== 'podman') return [stopped.id, messagePath(c)];
  return [stopped.infraId, `${INFRA_MESSAGES}/${messageFile(c.name, stopped.attempt ?? 0)}`];
}

/** Above this the file is not fetched at all: an archive read holds the whole file in memory. */
const FILE_READ_LIMIT = 1024 * 1024;

/** The file's last MESSAGE_FILE_CAP bytes, as the kubelet reads it (tail.ReadAtMost). */
async function readFileCapped(engine: Engine, id: string, path: string, signal?: AbortSignal): Promise<string> {
  try {
    const { stat, tar } = await engine.containers.getArchive(id, path, { signal });
    if (stat.size > FILE_READ_LIMIT) {
      tar.destroy();
      return `(the termination message file ${path} holds ${stat.size} bytes: more than Podling reads)`;
    }
    const [entry] = await unpack(tar);
    return entry?.type === 'file' && entry.content ? entry.content.subarray(-MESSAGE_FILE_CAP).toString('utf8') : '';
  } catch (err) {
    // Never written (a path outside /dev that the container did not make), or the container is gone.
    if (isNotFound(err) || isEngineError(err, 'invalid-argument')) return '';
    throw err;
  }
}

async function readLogTail(engine: Engine, id: string, tty: boolean, signal?: AbortSignal): Promise<string> {
  try {
    const output = await engine.containers.logs(id, { tail: LOG_TAIL_LINES, tty, signal });
    const frames: Buffer[] = [];
    for await (const { payload } of output) frames.push(payload);
    return logTail(Buffer.concat(frames));
  } catch (err) {
    if (isNotFound(err)) return '';
    throw err;
  }
}
