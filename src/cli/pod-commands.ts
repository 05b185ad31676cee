import { parseArgs } from 'node:util';
import type { Pods } from '../pod/index.js';
import { PodNotFoundError } from '../pod/index.js';
import { formatPod, podRow, podTable, POD_HEAD, rowLike, table, widthsOf } from './print.js';
import type { PodObject } from '../pod/read.js';
import { ALL_NAMESPACES_OPTION, listScope, NAMESPACE_OPTION, namespaceFlag } from './namespace-flag.js';
import { UsageError } from './usage.js';

export async function podGet(pods: Pods, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { output: { type: 'string', short: 'o' }, watch: { type: 'boolean', short: 'w' }, ...NAMESPACE_OPTION }, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError('pod get takes exactly one POD (name or id)');
  const namespace = namespaceFlag(values.namespace);
  if (values.output && !['json', 'yaml'].includes(values.output)) throw new UsageError(`-o ${values.output}: use json or yaml`);
  if (values.watch) {
    if (values.output === 'yaml') throw new UsageError('-w prints a line per change: use the table or -o json');
    return watchTable(pods, { name: positionals[0]!, namespace: namespace ?? 'default' }, values.output, true);
  }
  console.log(await formatPod(await pods.get(positionals[0]!, { namespace }), values.output));
  return 0;
}

export async function podList(pods: Pods, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { selector: { type: 'string', short: 'l' }, output: { type: 'string', short: 'o' }, watch: { type: 'boolean', short: 'w' }, ...NAMESPACE_OPTION, ...ALL_NAMESPACES_OPTION }, allowPositionals: true });
  if (positionals.length) throw new UsageError(`pod list takes no arguments (got ${positionals.join(' ')})`);
  if (values.output && !['wide', 'json'].includes(values.output)) throw new UsageError(`-o ${values.output}: use wide or json`);
  const scope = listScope(values);
  if (values.watch) return watchTable(pods, { selector: values.selector, ...scope }, values.output);
  const list = await pods.list({ selector: values.selector, ...scope });
  if (values.output === 'json') console.log(JSON.stringify({ apiVersion: 'v1', kind: 'PodList', items: list }, null, 2));
  // kubectl's words, naming the namespace it looked in.
  else if (!list.length) console.error(scope.allNamespaces ? 'No resources found' : `No resources found in ${scope.namespace ?? 'default'} namespace.`);
  else console.log(podTable(list, values.output === 'wide', scope.allNamespaces));
  return 0;
}

/**
 * `-w`: the pods as a table, then a line per change until interrupted, as `kubectl get -w` prints
 * them (a pod gone is printed once more as Deleted); `-o json` prints one object per line, each
 * with its change type. One pod that does not exist is not-found, as without -w.
 */
async function watchTable(pods: Pods, filter: { selector?: string | undefined; name?: string; namespace?: string; allNamespaces?: boolean }, output: string | undefined, one = false): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const { pods: now, changes } = await pods.watch({ ...filter, signal: stop.signal });
    if (one && !now.length) throw new PodNotFoundError(filter.name!, filter.namespace);
    const wide = output === 'wide';
    const all = filter.allNamespaces;
    const rows = [POD_HEAD(wide, all), ...now.map((p) => podRow(p, wide, undefined, all))];
    const widths = widthsOf(rows);
    if (output === 'json') for (const pod of now) console.log(JSON.stringify({ type: 'ADDED', object: pod }));
    else console.log(table(rows));
    // A change the table would not show (a container's state name, say) prints no line.
    const key = (p: PodObject) => `${p.metadata.namespace}/${p.metadata.name}`;
    const printed = new Map(now.map((p) => [key(p), rowKey(podRow(p, wide, undefined, all), all)]));
    try {
      for await (const change of changes) {
        if (output === 'json') {
          console.log(JSON.stringify({ type: change.type, object: change.pod }));
          continue;
        }
        const row = podRow(change.pod, wide, change.type === 'DELETED' ? 'Deleted' : undefined, all);
        if (printed.get(key(change.pod)) === rowKey(row, all)) continue;
        printed.set(key(change.pod), rowKey(row, all));
        console.log(rowLike(widths, row));
      }
    } catch (err) {
      if (!stop.signal.aborted) throw err;
    }
    return 0;
  } finally {
    stop.abort(); // closes the events subscription, whether or not the changes were read
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** A row without its AGE column, which changes by itself. */
const rowKey = (row: string[], all = false) => row.filter((_, i) => i !== POD_HEAD(false, all).indexOf('AGE')).join('\t');

export async function podDelete(pods: Pods, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { 'grace-period': { type: 'string' }, force: { type: 'boolean' }, ...NAMESPACE_OPTION }, allowPositionals: true });
  if (!positionals.length) throw new UsageError('pod delete needs at least one POD');
  const namespace = namespaceFlag(values.namespace);
  const grace = values['grace-period'] === undefined ? undefined : Number(values['grace-period']);
  if (grace !== undefined && (!Number.isInteger(grace) || grace < 0)) throw new UsageError(`--grace-period ${values['grace-period']}: a whole number of seconds`);
  let status = 0;
  // A preStop hook that fails does not stop the delete, as in Kubernetes; it is said, as its event would be.
  const onHookFailure = (ref: string) => (f: { container: string; hook: string; reason: string }) => console.error(`warning: pod/${ref} container ${f.container}: ${f.hook} hook failed: ${f.reason}`);
  const results = await Promise.allSettled(positionals.map((ref) => pods.delete(ref, { gracePeriod: grace, force: values.force, namespace, onHookFailure: onHookFailure(ref) })));
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') console.log(`pod/${positionals[i]} deleted`);
    else { console.error(`podling: ${(r.reason as Error).message}`); status = 1; }
  });
  return status;
}

export async function podLogs(pods: Pods, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { container: { type: 'string', short: 'c' }, tail: { type: 'string' }, follow: { type: 'boolean', short: 'f' }, previous: { type: 'boolean', short: 'p' }, ...NAMESPACE_OPTION }, allowPositionals: true });
  const namespace = namespaceFlag(values.namespace);
  if (values.previous && values.follow) throw new UsageError('--previous reads an attempt that has ended: it cannot be followed (-f)');
  if (positionals.length !== 1) throw new UsageError('pod logs takes exactly one POD');
  const tail = values.tail === undefined ? undefined : Number(values.tail);
  if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) throw new UsageError(`--tail ${values.tail}: a whole number of lines`);
  const pod = await pods.get(positionals[0]!, { namespace });
  const prefix = values.container === undefined && pod.status.containerStatuses.length > 1;
  for await (const line of pods.logs(positionals[0]!, { container: values.container, tail, follow: values.follow, previous: values.previous, namespace })) {
    (line.stream === 'stderr' ? process.stderr : process.stdout).write(`${prefix ? `[${line.container}] ` : ''}${line.text}\n`);
  }
  return 0;
}

export async function podExec(pods: Pods, argv: string[]): Promise<number> {
  const dash = argv.indexOf('--');
  const own = dash < 0 ? argv : argv.slice(0, dash);
  const cmd = dash < 0 ? [] : argv.slice(dash + 1);
  const { values, positionals } = parseArgs({ args: own, options: { container: { type: 'string', short: 'c' }, stdin: { type: 'boolean', short: 'i' }, tty: { type: 'boolean', short: 't' }, ...NAMESPACE_OPTION }, allowPositionals: true });
  if (positionals.length !== 1 || !cmd.length) throw new UsageError('usage: podling pod exec POD [-n NAMESPACE] [-c NAME] -- CMD [ARG...]');
  const namespace = namespaceFlag(values.namespace);
  const { output, exitCode } = await pods.exec(positionals[0]!, cmd, { container: values.container, tty: values.tty, stdin: values.stdin ? process.stdin : undefined, namespace });
  for await (const frame of output) (frame.stream === 'stderr' ? process.stderr : process.stdout).write(frame.payload);
  return exitCode();
}
