import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PodError } from '../pod/errors.js';
import { objectNotices, podNotices } from '../pod/fields.js';
import { DEFAULT_NAMESPACE } from '../pod/labels.js';
import { dnsLabel, Pod, problems, type Pod as PodType } from '../pod/spec.js';
import type { ServiceInput } from '../pod/services.js';
import { ConfigMap as ConfigMapSchema, Secret as SecretSchema, type ConfigMap, type Secret } from '../pod/config-spec.js';
import { ServiceManifest, serviceFromManifest, serviceNotices, withoutEndpoints } from './service.js';

/**
 * Kubernetes manifests in: one or more YAML (or JSON) documents, `List`s of objects, files and
 * directories, read whole and checked whole before anything reaches an engine. A file with one bad
 * document is refused entirely, every problem of every document named.
 */
interface Common { name: string; namespace: string; source: string; notices: string[]; /** The namespace as the manifest itself gave it. */ given?: string }
export type Manifest =
  | Common & { kind: 'Pod'; pod: PodType }
  | Common & { kind: 'Service'; service: ServiceInput }
  | Common & { kind: 'ConfigMap'; configMap: ConfigMap }
  | Common & { kind: 'Secret'; secret: Secret }
  | Common & { kind: 'Namespace' };
export type ManifestKind = Manifest['kind'];

/** kubectl's order: what others read comes first (a pod reads ConfigMaps and Secrets, a service selects pods). */
export const KINDS: ManifestKind[] = ['Namespace', 'ConfigMap', 'Secret', 'Service', 'Pod'];

/** A manifest that cannot be used: one line per problem, each naming its document and field. */
export class ManifestError extends PodError {
  override readonly name = 'ManifestError';
  constructor(readonly problems: string[]) {
    super('invalid', problems.join('; '));
  }
}

type Parsed = { ok: true; manifest: Manifest } | { ok: false; problems: string[] };

const NamespaceManifest = { parse(value: Record<string, unknown>): Parsed {
  const meta = value['metadata'] as { name?: unknown } | undefined;
  const name = dnsLabel('namespace').safeParse(meta?.name);
  if (!name.success) return { ok: false, problems: [`metadata.name: ${name.error.issues[0]?.message ?? 'invalid'}`] };
  // Namespaces exist as soon as something is in them; the object itself has nothing to keep.
  return { ok: true, manifest: { kind: 'Namespace', name: name.data, namespace: name.data, source: '', notices: [] } };
} };

function parseOne(value: unknown): Parsed {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, problems: ['not an object'] };
  const object = value as Record<string, unknown>;
  switch (object['kind']) {
    case 'Pod': {
      if (object['apiVersion'] !== 'v1') return { ok: false, problems: ['apiVersion: a Pod is apiVersion "v1"'] };
      const result = Pod.safeParse(object);
      if (!result.success) return { ok: false, problems: problems(result.error.issues) };
      const pod = result.data;
      return { ok: true, manifest: { kind: 'Pod', name: pod.metadata.name, namespace: pod.metadata.namespace ?? DEFAULT_NAMESPACE, pod, source: '', notices: podNotices(pod) } };
    }
    case 'Service': {
      const result = ServiceManifest.safeParse(withoutEndpoints(object));
      if (!result.success) return { ok: false, problems: problems(result.error.issues, ServiceManifest) };
      const m = result.data;
      return { ok: true, manifest: { kind: 'Service', name: m.metadata.name, namespace: m.metadata.namespace ?? DEFAULT_NAMESPACE, service: serviceFromManifest(m), source: '', notices: serviceNotices(m) } };
    }
    case 'ConfigMap': {
      const result = ConfigMapSchema.safeParse(object);
      if (!result.success) return { ok: false, problems: problems(result.error.issues, ConfigMapSchema) };
      const cm = result.data;
      return { ok: true, manifest: { kind: 'ConfigMap', name: cm.metadata.name, namespace: cm.metadata.namespace, configMap: cm, source: '', notices: objectNotices(cm), given: givenNamespace(object) } };
    }
    case 'Secret': {
      // Problems name keys, never values (config-spec.ts).
      const result = SecretSchema.safeParse(object);
      if (!result.success) return { ok: false, problems: problems(result.error.issues, SecretSchema) };
      const secret = result.data;
      return { ok: true, manifest: { kind: 'Secret', name: secret.metadata.name, namespace: secret.metadata.namespace, secret, source: '', notices: objectNotices(secret), given: givenNamespace(object) } };
    }
    case 'Namespace':
      return NamespaceManifest.parse(object);
    case undefined:
      return { ok: false, problems: ['kind: missing (Pod, Service, ConfigMap, Secret, Namespace or List)'] };
    default:
      return { ok: false, problems: [`kind: ${String(object['kind'])} is not supported: Podling reads Pod, Service, ConfigMap, Secret, Namespace and List`] };
  }
}

const givenNamespace = (object: Record<string, unknown>) => {
  const namespace = (object['metadata'] as { namespace?: unknown } | undefined)?.namespace;
  return typeof namespace === 'string' ? namespace : undefined;
};

/** What a document is called in messages: `document 2 (Pod web)`. */
function documentName(value: unknown, index: number): string {
  const object = (typeof value === 'object' && value !== null ? value : {}) as { kind?: unknown; metadata?: { name?: unknown } };
  const kind = typeof object.kind === 'string' ? object.kind : undefined;
  const name = typeof object.metadata?.name === 'string' ? object.metadata.name : undefined;
  return `document ${index + 1}${kind ? ` (${kind}${name ? ` ${name}` : ''})` : ''}`;
}

/** Every object of a text of YAML documents (JSON is YAML too), Lists flattened, or the problems of all of them. */
export async function parseManifests(text: string, source: string): Promise<Manifest[]> {
  // Loaded here, not at the top: the CLI's cold start should not pay for YAML it rarely needs.
  const { parseAllDocuments } = await import('yaml');
  const found: Manifest[] = [];
  const bad: string[] = [];
  // YAML 1.1, as Kubernetes reads manifests (go-yaml v2): `defaultMode: 0644` is octal there, and
  // 1.2 would read it as decimal 644, or `0400` silently as 400, a different mode.
  const documents = parseAllDocuments(text, { version: '1.1' });
  const list = Array.isArray(documents) ? documents : [documents];
  list.forEach((document, index) => {
    if (document.errors.length) {
      bad.push(`${source}: document ${index + 1}: not valid YAML: ${document.errors[0]!.message.split('\n')[0]!.replace(/ at line \d+, column \d+:$/, '')} (line ${document.errors[0]!.linePos?.[0]?.line ?? '?'})`);
      return;
    }
    const value: unknown = document.toJS();
    if (value === null || value === undefined) return; // an empty document (a trailing `---`)
    const items = isList(value) ? (value as { items: unknown[] }).items.map((item, i) => ({ item, where: `${documentName(value, index)} item ${i + 1}${documentName(item, 0).replace(/^document 1/, '')}` }))
      : [{ item: value, where: documentName(value, index) }];
    for (const { item, where } of items) {
      const parsed = parseOne(item);
      if (parsed.ok) found.push({ ...parsed.manifest, source: `${source}: ${where}` });
      else bad.push(...parsed.problems.map((p) => `${source}: ${where}: ${p}`));
    }
  });
  if (bad.length) throw new ManifestError(bad);
  return found;
}

function isList(value: unknown): boolean {
  const object = value as { kind?: unknown; items?: unknown };
  return typeof object.kind === 'string' && /List$/.test(object.kind) && Array.isArray(object.items);
}

/** The manifests of files, directories (their *.yaml, *.yml and *.json, not recursively, as kubectl) or `-` (stdin). */
export async function loadManifests(paths: string[], stdin: () => Promise<string> = readStdin): Promise<Manifest[]> {
  const files: string[] = [];
  for (const path of paths) {
    if (path === '-') { files.push(path); continue; }
    const info = await stat(path).catch((err: NodeJS.ErrnoException) => { throw new ManifestError([`${path}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`]); });
    if (!info.isDirectory()) { files.push(path); continue; }
    const names = (await readdir(path)).filter((n) => /\.(ya?ml|json)$/.test(n)).sort();
    if (!names.length) throw new ManifestError([`${path}: no .yaml, .yml or .json files in the directory`]);
    files.push(...names.map((n) => join(path, n)));
  }
  const all: Manifest[] = [];
  const bad: string[] = [];
  for (const file of files) {
    const text = file === '-' ? await stdin() : await readFile(file, 'utf8');
    try {
      all.push(...await parseManifests(text, file === '-' ? '<stdin>' : file));
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err;
      bad.push(...err.problems);
    }
  }
  if (bad.length) throw new ManifestError(bad);
  return all;
}

/** The namespace an object's manifest names itself, if any (ConfigMaps and Secrets keep whether it was given). */
function namespaceNamed(m: Manifest): string | undefined {
  switch (m.kind) {
    case 'Namespace': return undefined;
    case 'Pod': return m.pod.metadata.namespace;
    case 'Service': return m.service.namespace;
    default: return m.given;
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * kubectl's `-n`: it fills in the namespace of objects that name none and must agree with those
 * that do. The same object twice (kind, namespace, name) is an error too: which one would win?
 */
export function inNamespace(manifests: Manifest[], namespace: string | undefined): Manifest[] {
  const bad: string[] = [];
  const seen = new Map<string, string>();
  const out = manifests.map((m): Manifest => {
    const named = namespaceNamed(m);
    if (namespace !== undefined && named !== undefined && named !== namespace) bad.push(`${m.source}: its namespace "${named}" does not match -n ${namespace}`);
    const ns = named ?? namespace ?? DEFAULT_NAMESPACE;
    const key = `${m.kind}/${ns}/${m.name}`;
    if (seen.has(key)) bad.push(`${m.source}: ${m.kind} ${m.name} in namespace ${ns} is also in ${seen.get(key)}`);
    seen.set(key, m.source);
    if (m.kind === 'Pod') return { ...m, namespace: ns, pod: { ...m.pod, metadata: { ...m.pod.metadata, namespace: ns } } };
    if (m.kind === 'Service') return { ...m, namespace: ns, service: { ...m.service, namespace: ns } };
    if (m.kind === 'ConfigMap') return { ...m, namespace: ns, configMap: { ...m.configMap, metadata: { ...m.configMap.metadata, namespace: ns } } };
    if (m.kind === 'Secret') return { ...m, namespace: ns, secret: { ...m.secret, metadata: { ...m.secret.metadata, namespace: ns } } };
    return m;
  });
  if (bad.length) throw new ManifestError(bad);
  return out;
}
