import { parseArgs } from 'node:util';
import type { Pods } from '../pod/index.js';
import { formatPod, podTable } from './print.js';
import { UsageError } from './usage.js';

export async function podGet(pods: Pods, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { output: { type: 'string', short: 'o' } }, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError('pod get takes exactly one POD (name or id)');
  if (values.output && !['json', 'yaml'].includes(values.output)) throw new UsageError(`-o ${values.output}: use json or yaml`);
  console.log(await formatPod(await pods.get(positionals[0]!), values.output));
  return 0;
}

export async function podList(pods: Pods, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { selector: { type: 'string', short: 'l' }, output: { type: 'string', short: 'o' } }, allowPositionals: true });
  if (positionals.length) throw new UsageError(`pod list takes no arguments (got ${positionals.join(' ')})`);
  if (values.output && !['wide', 'json'].includes(values.output)) throw new UsageError(`-o ${values.output}: use wide or json`);
  const list = await pods.list({ selector: values.selector });
  if (values.output === 'json') console.log(JSON.stringify({ apiVersion: 'v1', kind: 'PodList', items: list }, null, 2));
  else if (!list.length) console.error('no pods');
  else console.log(podTable(list, values.output === 'wide'));
  return 0;
}

export async function podDelete(pods: Pods, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { 'grace-period': { type: 'string' }, force: { type: 'boolean' } }, allowPositionals: true });
  if (!positionals.length) throw new UsageError('pod delete needs at least one POD');
  const grace = values['grace-period'] === undefined ? undefined : Number(values['grace-period']);
  if (grace !== undefined && (!Number.isInteger(grace) || grace < 0)) throw new UsageError(`--grace-period ${values['grace-period']}: a whole number of seconds`);
  let status = 0;
  const results = await Promise.allSettled(positionals.map((ref) => pods.delete(ref, { gracePeriod: grace, force: values.force })));
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') console.log(`pod/${positionals[i]} deleted`);
    else { console.error(`podling: ${(r.reason as Error).message}`); status = 1; }
  });
  return status;
}

export async function podLogs(pods: Pods, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { container: { type: 'string', short: 'c' }, tail: { type: 'string' }, follow: { type: 'boolean', short: 'f' } }, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError('pod logs takes exactly one POD');
  const tail = values.tail === undefined ? undefined : Number(values.tail);
  if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) throw new UsageError(`--tail ${values.tail}: a whole number of lines`);
  const pod = await pods.get(positionals[0]!);
  const prefix = values.container === undefined && pod.status.containerStatuses.length > 1;
  for await (const line of pods.logs(positionals[0]!, { container: values.container, tail, follow: values.follow })) {
    (line.stream === 'stderr' ? process.stderr : process.stdout).write(`${prefix ? `[${line.container}] ` : ''}${line.text}\n`);
  }
  return 0;
}

export async function podExec(pods: Pods, argv: string[]): Promise<number> {
  const dash = argv.indexOf('--');
  const own = dash < 0 ? argv : argv.slice(0, dash);
  const cmd = dash < 0 ? [] : argv.slice(dash + 1);
  const { values, positionals } = parseArgs({ args: own, options: { container: { type: 'string', short: 'c' }, stdin: { type: 'boolean', short: 'i' }, tty: { type: 'boolean', short: 't' } }, allowPositionals: true });
  if (positionals.length !== 1 || !cmd.length) throw new UsageError('usage: podling pod exec POD [-c NAME] -- CMD [ARG...]');
  const { output, exitCode } = await pods.exec(positionals[0]!, cmd, { container: values.container, tty: values.tty, stdin: values.stdin ? process.stdin : undefined });
  for await (const frame of output) (frame.stream === 'stderr' ? process.stderr : process.stdout).write(frame.payload);
  return exitCode();
}
