import type { PodObject } from '../pod/read.js';
import type { ContainerStatus } from '../pod/status.js';

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('   ').trimEnd()).join('\n');
}

export function age(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '<unknown>';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

function ready(pod: PodObject): string {
  const statuses = pod.status.containerStatuses;
  return `${statuses.filter((c) => c.ready).length}/${statuses.length}`;
}

const restarts = (pod: PodObject) => String(pod.status.containerStatuses.reduce((n, c) => n + c.restartCount, 0));

export const POD_HEAD = (wide: boolean, namespaces = false) => [...(namespaces ? ['NAMESPACE'] : []), 'NAME', 'ID', 'READY', 'STATUS', 'RESTARTS', 'AGE', ...(wide ? ['IP', 'NODE', 'CONTAINERS', 'LABELS'] : [])];

/** kubectl's STATUS: the reason a container waits (CrashLoopBackOff), else the pod's phase and reason. */
function statusText(p: PodObject): string {
  const waiting = p.status.containerStatuses.map((c) => ('waiting' in c.state ? c.state.waiting.reason : undefined)).find((r) => r && r !== 'ContainerCreating');
  if (waiting) return waiting;
  return p.status.reason ? (p.status.reason.startsWith('Init:') ? p.status.reason : `${p.status.phase} (${p.status.reason})`) : p.status.phase;
}

/** A pod's row; with `namespaces` (`-A`) it starts with the pod's namespace, as kubectl's does. */
export function podRow(p: PodObject, wide: boolean, status = statusText(p), namespaces = false): string[] {
  return [
    ...(namespaces ? [p.metadata.namespace] : []),
    p.metadata.name, p.metadata.uid, ready(p), status, restarts(p), age(p.metadata.creationTimestamp),
    ...(wide ? [p.status.podIP ?? '<none>', ('nodeName' in p.spec && p.spec.nodeName) || '<none>', p.status.containerStatuses.map((c) => c.name).join(','), Object.entries(p.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>'] : []),
  ];
}

export function podTable(pods: PodObject[], wide: boolean, namespaces = false): string {
  return table([POD_HEAD(wide, namespaces), ...pods.map((p) => podRow(p, wide, undefined, namespaces))]);
}

/** A row laid out to the columns of a table printed before (as `kubectl get -w` lines up its changes). */
export function rowLike(widths: number[], row: string[]): string {
  return row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('   ').trimEnd();
}

export function widthsOf(rows: string[][]): number[] {
  return rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
}

/** YAML for `-o yaml`, loaded only then: the CLI's cold start should not pay for it. */
export async function toYaml(value: unknown): Promise<string> {
  const { stringify } = await import('yaml');
  return stringify(value).trimEnd();
}

export async function formatPod(pod: PodObject, format: string | undefined): Promise<string> {
  if (format === 'json') return JSON.stringify(pod, null, 2);
  if (format === 'yaml') return toYaml(pod);
  const conditions = pod.status.conditions ?? [];
  const supervised = conditions.find((c) => c.type === 'podling.io/Supervised');
  const lines = [
    `Name:        ${pod.metadata.name}`,
    `Namespace:   ${pod.metadata.namespace}`,
    `ID:          ${pod.metadata.uid}`,
    `Status:      ${pod.status.phase}${pod.status.reason ? ` (${pod.status.reason})` : ''}`,
    `IP:          ${pod.status.podIP ?? '<none>'}`,
    `Started:     ${pod.status.startTime ?? '<not started>'}`,
    `Labels:      ${Object.entries(pod.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') || '<none>'}`,
    ...(supervised ? [`Supervised:  ${supervised.status === 'True' ? `yes (${supervised.message})` : `no: ${supervised.message}`}`] : []),
    ...(conditions.length > 1 ? [`Conditions:  ${conditions.filter((c) => c !== supervised).map((c) => `${c.type}=${c.status}`).join(' ')}`] : []),
  ];
  // A termination message's last line, short: the whole of it is in -o yaml.
  const said = (message: string | undefined) => {
    const line = message?.trim().split('\n').at(-1)?.trim();
    return line ? `: ${line.length > 60 ? `${line.slice(0, 59)}…` : line}` : '';
  };
  const block = (title: string, statuses: ContainerStatus[]) => {
    lines.push(title);
    for (const c of statuses) {
      const [state, detail] = Object.entries(c.state)[0]!;
      const extra = state === 'terminated' ? ` (exit ${(detail as { exitCode: number }).exitCode}, ${(detail as { reason: string }).reason}${said((detail as { message?: string }).message)})` : state === 'waiting' ? ` (${(detail as { reason: string }).reason})` : '';
      const last = c.lastState ? `, last exit ${c.lastState.terminated.exitCode} (${c.lastState.terminated.reason})` : '';
      lines.push(`  ${c.name.padEnd(16)} ${c.image.padEnd(40)} ${state}${extra}${state === 'running' ? (c.ready ? ', ready' : ', not ready') : ''}, restarts ${c.restartCount}${last}`);
    }
  };
  if (pod.status.initContainerStatuses?.length) block('Init containers:', pod.status.initContainerStatuses);
  block('Containers:', pod.status.containerStatuses);
  return lines.join('\n');
}
