import { parseArgs } from 'node:util';
import type { Pods, ServiceObject } from '../pod/index.js';
import { parseSelector } from '../pod/selector.js';
import { age, table, toYaml } from './print.js';
import { ALL_NAMESPACES_OPTION, listScope, NAMESPACE_OPTION, namespaceFlag } from './namespace-flag.js';
import { UsageError } from './usage.js';

/** `--selector k=v[,k=v...]`: services select by equality only, as Kubernetes' Service does. */
function selectorMap(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of parseSelector(text)) {
    if (r.op !== '=') throw new UsageError(`--selector ${text}: a service selects with key=value pairs only`);
    // `app=a,app=b` would silently keep the last: say so instead.
    if (Object.hasOwn(out, r.key)) throw new UsageError(`--selector ${text}: key "${r.key}" is given twice`);
    out[r.key] = r.value;
  }
  return out;
}

function port(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  // Decimal digits only: Number() would also take `0x50`, `1e3` and ` 80 `.
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`${option} ${text}: a port number from 1 to 65535`);
  return n;
}

export async function serviceCreate(pods: Pods, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: {
    selector: { type: 'string' }, port: { type: 'string' }, 'target-port': { type: 'string' }, protocol: { type: 'string' }, ...NAMESPACE_OPTION,
  } });
  const namespace = namespaceFlag(values.namespace);
  if (positionals.length !== 1) throw new UsageError('service create takes exactly one NAME');
  if (!values.selector) throw new UsageError('service create needs --selector KEY=VALUE[,KEY=VALUE...]');
  const protocol = (values.protocol ?? 'tcp').toUpperCase();
  if (protocol !== 'TCP' && protocol !== 'UDP') throw new UsageError(`--protocol ${values.protocol}: use tcp or udp`);
  const svc = await pods.createService({
    name: positionals[0]!, ...(namespace ? { namespace } : {}), selector: selectorMap(values.selector),
    port: port(values.port, '--port') ?? missing('--port'), targetPort: port(values['target-port'], '--target-port'), protocol,
  });
  console.log(`service/${svc.metadata.name} created (${svc.endpoints.length} endpoint${svc.endpoints.length === 1 ? '' : 's'})`);
  return 0;
}

function missing(option: string): never {
  throw new UsageError(`service create needs ${option}`);
}

export async function serviceGet(pods: Pods, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { output: { type: 'string', short: 'o' }, ...NAMESPACE_OPTION } });
  if (positionals.length !== 1) throw new UsageError('service get takes exactly one SERVICE');
  if (values.output && !['json', 'yaml'].includes(values.output)) throw new UsageError(`-o ${values.output}: use json or yaml`);
  const svc = await pods.getService(positionals[0]!, { namespace: namespaceFlag(values.namespace) });
  if (values.output === 'json') console.log(JSON.stringify(svc, null, 2));
  else if (values.output === 'yaml') console.log(await toYaml(svc));
  else console.log(describeService(svc));
  return 0;
}

export function describeService(svc: ServiceObject): string {
  const p = svc.spec.ports[0]!;
  return [
    `Name:        ${svc.metadata.name}`,
    `Namespace:   ${svc.metadata.namespace}`,
    `Selector:    ${Object.entries(svc.spec.selector).map(([k, v]) => `${k}=${v}`).join(',')}`,
    `Port:        ${p.port}/${p.protocol} -> ${p.targetPort}`,
    `Endpoints:   ${svc.endpoints.join(', ') || '<none>'}`,
  ].join('\n');
}

export async function serviceList(pods: Pods, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...NAMESPACE_OPTION, ...ALL_NAMESPACES_OPTION } });
  if (positionals.length) throw new UsageError(`service list takes no arguments (got ${positionals.join(' ')})`);
  const scope = listScope(values);
  const services = await pods.listServices(scope);
  if (!services.length) { console.error(scope.allNamespaces ? 'No resources found' : `No resources found in ${scope.namespace ?? 'default'} namespace.`); return 0; }
  console.log(serviceTable(services, scope.allNamespaces === true));
  return 0;
}

export async function serviceDelete(pods: Pods, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...NAMESPACE_OPTION } });
  if (positionals.length !== 1) throw new UsageError('service delete takes exactly one SERVICE');
  await pods.deleteService(positionals[0]!, { namespace: namespaceFlag(values.namespace) });
  console.log(`service/${positionals[0]} deleted`);
  return 0;
}

/** The services as a table; with `all` (`-A`) a NAMESPACE column first, as kubectl's. */
export function serviceTable(services: ServiceObject[], all: boolean): string {
  return table([[...(all ? ['NAMESPACE'] : []), 'NAME', 'SELECTOR', 'PORT', 'ENDPOINTS', 'AGE'], ...services.map((s) => [
    ...(all ? [s.metadata.namespace] : []), s.metadata.name, Object.entries(s.spec.selector).map(([k, v]) => `${k}=${v}`).join(','),
    s.spec.ports.map((p) => `${p.port}/${p.protocol}`).join(','), s.endpoints.join(',') || '<none>', age(s.metadata.creationTimestamp),
  ])]);
}
