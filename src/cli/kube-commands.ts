import { parseArgs } from 'node:util';
import type { Pods } from '../pod/index.js';
import { deleteManifests, executeApply, observeForApply, planApply, type ApplyAction } from '../kube/apply.js';
import { inNamespace, loadManifests, type Manifest } from '../kube/manifest.js';
import { NAMESPACE_OPTION, namespaceFlag } from './namespace-flag.js';
import { UsageError } from './usage.js';

/** kubectl's `-f` (repeatable: files, directories or `-` for stdin), read and checked whole before anything is sent. */
async function manifestsOf(files: string[] | undefined, namespace: string | undefined, command: string): Promise<Manifest[]> {
  if (!files?.length) throw new UsageError(`${command} needs -f FILE (a file, a directory or - for stdin)`);
  if (files.filter((f) => f === '-').length > 1) throw new UsageError('-f - (stdin) can be given once');
  return inNamespace(await loadManifests(files), namespace);
}

const kindName = (m: Manifest) => `${m.kind.toLowerCase()}/${m.name}`;

export async function apply(pods: Pods, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { file: { type: 'string', short: 'f', multiple: true }, ...NAMESPACE_OPTION }, allowPositionals: true });
  if (positionals.length) throw new UsageError(`apply takes its objects from -f (got ${positionals.join(' ')})`);
  const manifests = await manifestsOf(values.file, namespaceFlag(values.namespace), 'apply');
  for (const m of manifests) for (const line of m.notices) console.error(`notice: ${kindName(m)}: ${line}`);
  const actions = planApply(manifests, await observeForApply(pods, manifests));
  const said = (a: ApplyAction) => {
    if (a.manifest.kind !== 'Namespace') console.log(`${kindName(a.manifest)} ${a.verb}${a.why ? ` (${a.why})` : ''}`);
  };
  await executeApply(pods, actions, { onDone: said });
  return 0;
}

export async function deleteFiles(pods: Pods, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { file: { type: 'string', short: 'f', multiple: true }, 'grace-period': { type: 'string' }, force: { type: 'boolean' }, ...NAMESPACE_OPTION }, allowPositionals: true });
  if (positionals.length) throw new UsageError(`delete takes its objects from -f (got ${positionals.join(' ')}); pods by name: podling pod delete NAME`);
  const grace = values['grace-period'] === undefined ? undefined : Number(values['grace-period']);
  if (grace !== undefined && (!Number.isInteger(grace) || grace < 0)) throw new UsageError(`--grace-period ${values['grace-period']}: a whole number of seconds`);
  const manifests = await manifestsOf(values.file, namespaceFlag(values.namespace), 'delete');
  let missing = 0;
  await deleteManifests(pods, manifests, {
    gracePeriod: grace, force: values.force,
    onDone: (m, found) => {
      if (m.kind === 'Namespace') return;
      if (found) console.log(`${kindName(m)} deleted`);
      else { missing++; console.error(`podling: ${m.kind.toLowerCase()} "${m.name}" not found in namespace "${m.namespace}"`); }
    },
  });
  return missing ? 1 : 0;
}
