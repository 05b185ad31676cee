import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { ManifestError, parseManifests, type Manifest } from '../../src/kube/manifest.js';
import { ConfigMap, Secret } from '../../src/pod/config-spec.js';
import { FIELDS, type FieldRule } from '../../src/pod/fields.js';
import { problems } from '../../src/pod/spec.js';

/**
 * The corpus of Pod manifests (test/corpus/*.yaml) and its index (test/corpus/index.json): what
 * each file holds and what Podling should make of it. Read by the replay-tier test
 * (test/kube/corpus.test.ts) and run live by bench/corpus.ts.
 */
export const CORPUS_DIR = fileURLToPath(new URL('../corpus/', import.meta.url));

export type RefusedWhy = 'by design' | 'pending' | 'yaml 1.1';
export interface CorpusEntry {
  /** `KIND/NAMESPACE/NAME` of every object, in the file's order. */
  objects: string[];
  /** Paths of the fields create names as having no effect (notices). */
  notices?: string[];
  /** A run-to-completion pod: Succeeded, not Running, is its goal. */
  completes?: boolean;
  /** Refused today, by these fields' problems. */
  refused?: { why: RefusedWhy; fields: string[] };
  /** `NAMESPACE/CLAIM` of the persistentVolumeClaims its pods use (their volumes outlive the pods). */
  claims?: string[];
  note?: string;
  pending?: string;
  /** Something the engine of the machine the corpus was made on cannot do, so the file cannot run there. */
  engineLimit?: string;
}

export function corpusIndex(): Record<string, CorpusEntry> {
  return (JSON.parse(readFileSync(`${CORPUS_DIR}index.json`, 'utf8')) as { files: Record<string, CorpusEntry> }).files;
}

export const corpusFiles = (): string[] => readdirSync(CORPUS_DIR).filter((n) => n.endsWith('.yaml')).sort();

/** Each table field of that name, whatever the type: the last segment of a path, list indexes dropped. */
function rulesNamed(path: string): FieldRule[] {
  const field = path.split('.').filter((s) => !/^\d+$/.test(s)).at(-1)!.replace(/\[\d+\]$/, '');
  return Object.values(FIELDS).flatMap((rules) => (rules as Record<string, FieldRule>)[field] ?? []);
}

/**
 * Whether a file is expected to be refused now. A file waiting for a field still being built
 * (`notYet()` in the table) is refused until that field is done, then expected accepted.
 */
export function refusedNow(entry: CorpusEntry): boolean {
  if (!entry.refused) return false;
  if (entry.refused.why !== 'pending') return true;
  return entry.refused.fields.some((path) => rulesNamed(path).some((r) => r.group === 'refused'));
}

/** The notices expected now: those whose field is still in the table's notice group. */
export const expectedNotices = (entry: CorpusEntry): string[] =>
  (entry.notices ?? []).filter((path) => rulesNamed(path).some((r) => r.group === 'notice')).sort();

/** A ConfigMap or a Secret, until the manifest loader reads those kinds (the lead is adding them). */
export type CorpusObject = Manifest
  | { kind: 'ConfigMap'; name: string; namespace: string; source: string; notices: string[]; configMap: ConfigMap }
  | { kind: 'Secret'; name: string; namespace: string; source: string; notices: string[]; secret: Secret };

/**
 * The objects of one corpus file, or a ManifestError naming every problem. Until
 * src/kube/manifest.ts reads ConfigMaps and Secrets, those two kinds are parsed here with their own
 * schemas and every other object goes through parseManifests, document by document.
 */
export async function loadCorpusFile(file: string): Promise<CorpusObject[]> {
  const text = readFileSync(`${CORPUS_DIR}${file}`, 'utf8');
  const found: CorpusObject[] = [];
  const bad: string[] = [];
  for (const [index, document] of parseAllDocuments(text).entries()) {
    const value = document.toJS() as { kind?: string; items?: unknown[] } | null;
    if (!value) continue;
    const items = value.kind === 'List' ? (value.items ?? []) as Array<Record<string, unknown>> : [value as Record<string, unknown>];
    for (const item of items) {
      const where = `${file}: document ${index + 1}`;
      if (item['kind'] === 'ConfigMap' || item['kind'] === 'Secret') {
        const schema = item['kind'] === 'ConfigMap' ? ConfigMap : Secret;
        const result = schema.safeParse(item);
        if (!result.success) { bad.push(...problems(result.error.issues, schema).map((p) => `${where}: ${p}`)); continue; }
        const { metadata } = result.data;
        const common = { name: metadata.name, namespace: metadata.namespace, source: where, notices: [] };
        found.push(item['kind'] === 'ConfigMap' ? { kind: 'ConfigMap', ...common, configMap: result.data as ConfigMap } : { kind: 'Secret', ...common, secret: result.data as Secret });
        continue;
      }
      try {
        found.push(...(await parseManifests(JSON.stringify(item), where)).map((m) => ({ ...m, source: m.source.replace(': document 1 (', ' (') })));
      } catch (err) {
        if (!(err instanceof ManifestError)) throw err;
        bad.push(...err.problems.map((p) => p.replace(`${where}: document 1 (`, `${where} (`)));
      }
    }
  }
  if (bad.length) throw new ManifestError(bad);
  return found;
}

export const objectKey = (o: CorpusObject) => `${o.kind}/${o.namespace}/${o.name}`;

/** The field path a notice line names (`spec.tolerations: accepted, ...` → `spec.tolerations`). */
export const noticePath = (line: string) => line.slice(0, line.indexOf(':'));
