import { parseArgs } from 'node:util';
import type { Pods } from '../pod/index.js';
import type { ConfigMapObject } from '../pod/configmaps.js';
import type { SecretObject, SecretSummary } from '../pod/secrets.js';
import { ALL_NAMESPACES_OPTION, listScope, NAMESPACE_OPTION } from './namespace-flag.js';
import { age, formatPod, podTable, table, toYaml } from './print.js';
import { describeService, serviceTable } from './service-commands.js';
import { UsageError } from './usage.js';

/**
 * kubectl's `get KIND [NAME]` and `describe KIND NAME` for the kinds Podling keeps: pods,
 * services, configmaps and secrets (the `pod …` and `service …` commands stay). A Secret's
 * values are shown only when asked (`--reveal`): every other output has key names and sizes.
 */
export type Kind = 'pods' | 'services' | 'configmaps' | 'secrets';
export const KIND_NAMES: Record<string, Kind> = {
  pod: 'pods', pods: 'pods', po: 'pods',
  service: 'services', services: 'services', svc: 'services',
  configmap: 'configmaps', configmaps: 'configmaps', cm: 'configmaps',
  secret: 'secrets', secrets: 'secrets',
};

/** `KIND`, `KIND NAME` or kubectl's `KIND/NAME`. */
function target(positionals: string[], command: string): { kind: Kind; name?: string } {
  const [first, ...rest] = positionals;
  if (!first) throw new UsageError(`${command} needs a KIND: pods, services, configmaps or secrets`);
  const [word, slashed] = first.split('/', 2) as [string, string | undefined];
  // An own key only: `constructor` or `toString` is no kind.
  const kind = Object.hasOwn(KIND_NAMES, word.toLowerCase()) ? KIND_NAMES[word.toLowerCase()] : undefined;
  if (!kind) throw new UsageError(`${command} ${word}: unknown kind (pods, services, configmaps or secrets)`);
  const names = slashed !== undefined ? [slashed, ...rest] : rest;
  if (names.length > 1) throw new UsageError(`${command} takes one NAME (got ${names.join(' ')})`);
  return names[0] === undefined ? { kind } : { kind, name: names[0] };
}

const OPTIONS = {
  output: { type: 'string', short: 'o' }, selector: { type: 'string', short: 'l' }, reveal: { type: 'boolean' },
  ...NAMESPACE_OPTION, ...ALL_NAMESPACES_OPTION,
} as const;

export async function get(pods: Pods, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  const { kind, name } = target(positionals, 'get');
  const output = values.output;
  if (output && !['json', 'yaml', 'wide', 'name'].includes(output)) throw new UsageError(`-o ${output}: use json, yaml, wide or name`);
  if (values.reveal && kind !== 'secrets') throw new UsageError('--reveal is for secrets');
  if (values.selector !== undefined && kind !== 'pods') throw new UsageError('-l is for pods');
  const scope = listScope(values);
  if (name !== undefined && scope.allNamespaces) throw new UsageError('a NAME is looked up in one namespace: -n, not -A');
  const one = name !== undefined;
  const objects = await fetch(pods, kind, name, scope, values.reveal === true, values.selector);
  if (output === 'json' || output === 'yaml') {
    const value = one ? objects[0] : { apiVersion: 'v1', kind: 'List', items: objects };
    console.log(output === 'json' ? JSON.stringify(value, null, 2) : await toYaml(value));
    return 0;
  }
  if (output === 'name') {
    for (const o of objects) console.log(`${kind.replace(/s$/, '')}/${(o as { metadata: { name: string } }).metadata.name}`);
    return 0;
  }
  if (!objects.length) {
    console.error(scope.allNamespaces ? 'No resources found' : `No resources found in ${scope.namespace ?? 'default'} namespace.`);
    return 0;
  }
  console.log(tableOf(kind, objects, output === 'wide', scope.allNamespaces === true));
  return 0;
}

export async function describe(pods: Pods, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...NAMESPACE_OPTION }, allowPositionals: true });
  const { kind, name } = target(positionals, 'describe');
  if (name === undefined) throw new UsageError('describe needs a NAME');
  const [object] = await fetch(pods, kind, name, listScope(values), false);
  console.log(await describeOne(kind, object));
  return 0;
}

async function fetch(pods: Pods, kind: Kind, name: string | undefined, scope: { namespace?: string; allNamespaces?: boolean }, reveal: boolean, selector?: string): Promise<unknown[]> {
  const one = { namespace: scope.namespace };
  switch (kind) {
    case 'pods':
      if (name !== undefined) return [await pods.get(name, one)];
      return pods.list({ ...scope, ...(selector !== undefined ? { selector } : {}) });
    case 'services':
      return name !== undefined ? [await pods.getService(name, one)] : pods.listServices(scope);
    case 'configmaps':
      return name !== undefined ? [await pods.getConfigMap(name, one)] : pods.listConfigMaps(scope);
    case 'secrets':
      return name !== undefined ? [await pods.getSecret(name, { ...one, reveal })] : pods.listSecrets({ ...scope, reveal });
  }
}

function tableOf(kind: Kind, objects: unknown[], wide: boolean, all: boolean): string {
  const ns = (o: { metadata: { namespace: string } }) => (all ? [o.metadata.namespace] : []);
  const head = (cols: string[]) => [...(all ? ['NAMESPACE'] : []), ...cols];
  switch (kind) {
    case 'pods':
      return podTable(objects as Parameters<typeof podTable>[0], wide, all);
    case 'services':
      return serviceTable(objects as Parameters<typeof serviceTable>[0], all);
    case 'configmaps':
      return table([head(['NAME', 'DATA', 'AGE']), ...(objects as ConfigMapObject[]).map((c) => [
        ...ns(c), c.metadata.name, String(Object.keys(c.data ?? {}).length + Object.keys(c.binaryData ?? {}).length), age(c.metadata.creationTimestamp),
      ])]);
    case 'secrets':
      return table([head(['NAME', 'TYPE', 'DATA', 'AGE']), ...(objects as Array<SecretSummary | SecretObject>).map((s) => [
        ...ns(s), s.metadata.name, s.type, String(Object.keys('keys' in s ? s.keys : s.data ?? {}).length), age(s.metadata.creationTimestamp),
      ])]);
  }
}

async function describeOne(kind: Kind, object: unknown): Promise<string> {
  if (kind === 'pods') return formatPod(object as Parameters<typeof formatPod>[0], undefined);
  if (kind === 'services') return describeService(object as Parameters<typeof describeService>[0]);
  const meta = (object as { metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> } }).metadata;
  const lines = [
    `Name:         ${meta.name}`,
    `Namespace:    ${meta.namespace}`,
    `Labels:       ${Object.entries(meta.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') || '<none>'}`,
    `Annotations:  ${Object.entries(meta.annotations ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') || '<none>'}`,
  ];
  if (kind === 'configmaps') {
    const cm = object as ConfigMapObject;
    lines.push('', 'Data', '====');
    for (const [k, v] of Object.entries(cm.data ?? {})) lines.push(`${k}:`, '----', v, '');
    for (const [k, v] of Object.entries(cm.binaryData ?? {})) lines.push(`${k}: ${Buffer.from(v, 'base64').length} bytes (binary)`);
  } else {
    // As kubectl describes a Secret: key names and sizes, never the values.
    const secret = object as SecretSummary;
    lines.push(`Type:         ${secret.type}`, '', 'Data', '====');
    for (const [k, size] of Object.entries(secret.keys)) lines.push(`${k}:  ${size} bytes`);
  }
  return lines.join('\n');
}
