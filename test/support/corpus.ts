import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inNamespace, loadManifests, type Manifest } from '../../src/kube/manifest.js';
import { FIELDS, type FieldRule } from '../../src/pod/fields.js';

/**
 * The corpus of Pod manifests (test/corpus/*.yaml) and its index (test/corpus/index.json): what
 * each file holds and what Podling should make of it. Read by the replay-tier test
 * (test/kube/corpus.test.ts) and run live by bench/corpus.ts.
 */
export const CORPUS_DIR = fileURLToPath(new URL('../corpus/', import.meta.url));

export type RefusedWhy = 'by design' | 'pending';
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

/** The objects of one corpus file, as `podling apply -f` reads them, or a ManifestError naming every problem. */
export const loadCorpusFile = async (file: string): Promise<Manifest[]> => inNamespace(await loadManifests([`${CORPUS_DIR}${file}`]), undefined);

export const objectKey = (o: Manifest) => `${o.kind}/${o.namespace}/${o.name}`;

/** The field path a notice line names (`spec.tolerations: accepted, ...` → `spec.tolerations`). */
export const noticePath = (line: string) => line.slice(0, line.indexOf(':'));
