/**
 * The corpus of Pod manifests (test/corpus, issue 10): every file made live on the engine as
 * `podling apply -f FILE` makes it (the library functions it runs: load, observe, plan, execute:
 * ConfigMaps and Secrets, then Services, then the pods at once), each pod waited for
 * until Running with every container running (Succeeded for a run-to-completion pod), then
 * everything deleted (`podling delete -f`, and the files' claims). Reports the share accepted and Running, the share with notices, and every
 * failure with its error. Files run a few at a time; each pod has a time limit.
 *
 * Environment: PODLING_BENCH_CORPUS_PARALLEL (files at once, default 4),
 * PODLING_BENCH_CORPUS_TIMEOUT_MS (per file, from its first create, default 30000).
 */
import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Manifest } from '../src/kube/manifest.js';
import type { PodObject } from '../src/pod/index.js';
import { CORPUS_DIR, corpusFiles, corpusIndex, noticePath, objectKey, refusedNow, type CorpusEntry } from '../test/support/corpus.js';
import { aloneLabel, engineVersion, writeAloneSection } from './alone.js';
import { SOCKET, dist, msSince, podling, podlingPods, removeNetwork } from './lib.js';
import { tables, type Row } from './report.js';
import { fmt, summarize } from './stats.js';

const kubeApply = await dist<typeof import('../src/kube/apply.js')>('kube/apply.js');
const kubeManifest = await dist<typeof import('../src/kube/manifest.js')>('kube/manifest.js');
const { claimVolumeName } = await dist<typeof import('../src/pod/volumes.js')>('pod/volumes.js');
const { Engine, isNotFound } = podling;
const { Pods } = podlingPods;
type Pods = InstanceType<typeof Pods>;
const SECTION = 'Kubernetes manifests: the corpus (test/corpus), each file created live, its pods waited for, then deleted';
const PARALLEL = Number(process.env.PODLING_BENCH_CORPUS_PARALLEL ?? 4);
const TIMEOUT_MS = Number(process.env.PODLING_BENCH_CORPUS_TIMEOUT_MS ?? 30_000);
const CLUSTER = { name: 'podling-bench-corpus', subnet: '10.212.251.0/24' };
/** Where volume-hostpath.yaml's DirectoryOrCreate lands on the engine's host (this one). */
const HOST_SCRATCH = '/tmp/podling-kube-corpus';

export interface FileResult {
  file: string;
  /** Its fields are all of group 1 or 2 (done or notice): the target counts these. */
  group1: boolean;
  /** Why the index expects a refusal today, if it does. */
  expectedRefusal?: string;
  /** What the index says this machine's engine cannot do for the file, if anything. */
  engineLimit?: string;
  accepted: boolean;
  running: boolean;
  pods: number;
  notices: string[];
  /** From the first create until every pod is Running (or Succeeded). */
  readyMs?: number;
  error?: string;
}

/** Running with every container running, or Succeeded for a pod that runs to completion; otherwise why not. */
function verdict(pod: PodObject, completes: boolean): { done: boolean; why: string } {
  const { phase } = pod.status;
  const states = pod.status.containerStatuses.map((c) => {
    const s = c.state as Record<string, { reason?: string; message?: string; exitCode?: number }>;
    const [name, detail] = Object.entries(s)[0] ?? ['?', {}];
    return `${c.name}: ${name}${detail?.reason ? ` ${detail.reason}` : ''}${detail?.exitCode !== undefined ? ` exit ${detail.exitCode}` : ''}${detail?.message ? ` (${detail.message.trim().split('\n').at(-1)})` : ''}`;
  });
  const done = completes ? phase === 'Succeeded' : phase === 'Running' && pod.status.containerStatuses.every((c) => 'running' in c.state);
  return { done, why: `phase ${phase}${pod.status.reason ? ` (${pod.status.reason})` : ''}; ${states.join(', ')}` };
}

async function waitFor(pods: Pods, o: Extract<Manifest, { kind: 'Pod' }>, completes: boolean, deadline: number): Promise<string | undefined> {
  for (;;) {
    const pod = await pods.get(o.name, { namespace: o.namespace });
    const v = verdict(pod, completes);
    if (v.done) return undefined;
    const failed = pod.status.phase === 'Failed' || (!completes && pod.status.phase === 'Succeeded');
    if (failed || Date.now() > deadline) {
      const tail: string[] = [];
      for await (const line of pods.logs(o.name, { namespace: o.namespace, tail: 3 })) tail.push(`${line.container}: ${line.text.trim()}`);
      return `pod ${o.name}: ${failed ? '' : `not ${completes ? 'Succeeded' : 'Running'} within ${TIMEOUT_MS} ms: `}${v.why}${tail.length ? `; last log lines: ${tail.join(' | ')}` : ''}`;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Everything a file makes, removed whether it exists or not (also what a killed run left), and the claims' volumes. */
async function remove(pods: Pods, objects: Manifest[], entry: CorpusEntry): Promise<void> {
  // onDone given: without it, deleteManifests leaves its ConfigMap, Secret and Service deletes un-awaited (see the report).
  await kubeApply.deleteManifests(pods, objects, { onDone: () => {} });
  for (const claim of entry.claims ?? []) {
    const [namespace, name] = claim.split('/') as [string, string];
    await pods.engine.volumes.remove(claimVolumeName(name, namespace)).catch((err: unknown) => { if (!isNotFound(err)) throw err; });
  }
}

async function runFile(pods: Pods, file: string, entry: CorpusEntry): Promise<FileResult> {
  const group1 = entry.refused?.why !== 'by design';
  const expectedRefusal = refusedNow(entry) ? `${entry.refused!.why}: ${entry.refused!.fields.join(', ')}` : undefined;
  const base = { file, group1, ...(expectedRefusal ? { expectedRefusal } : {}), ...(entry.engineLimit ? { engineLimit: entry.engineLimit } : {}) };
  let objects: Manifest[];
  try {
    objects = kubeManifest.inNamespace(await kubeManifest.loadManifests([`${CORPUS_DIR}${file}`]), undefined);
  } catch (err) {
    const problems = (err as { problems?: string[] }).problems;
    return { ...base, accepted: false, running: false, pods: entry.objects.filter((k) => k.startsWith('Pod/')).length, notices: [], error: (problems ? problems.join('; ') : String(err)).replaceAll(CORPUS_DIR, '') };
  }
  const podObjects = objects.filter((o): o is Extract<Manifest, { kind: 'Pod' }> => o.kind === 'Pod');
  const notices = objects.flatMap((o) => o.notices.map((n) => `${objectKey(o)}: ${noticePath(n)}`));
  // Accepted: the manifests passed the checks made before any engine request; what fails later is an error on the way to Running.
  const result: FileResult = { ...base, accepted: true, running: false, pods: podObjects.length, notices };
  await remove(pods, objects, entry);
  const started = process.hrtime.bigint();
  try {
    await kubeApply.executeApply(pods, kubeApply.planApply(objects, await kubeApply.observeForApply(pods, objects)));
    const deadline = Date.now() + TIMEOUT_MS;
    const errors = (await Promise.all(podObjects.map((o) => waitFor(pods, o, entry.completes === true, deadline)))).filter(Boolean);
    if (errors.length) result.error = errors.join('; ');
    else { result.running = true; result.readyMs = msSince(started); }
  } catch (err) {
    result.error = (err as Error).message;
  } finally {
    await remove(pods, objects, entry);
  }
  return result;
}

export interface CorpusBenchResult {
  results: FileResult[]; seconds: number;
  /** The engine's answer when it would not remove the bench's cluster network at the end. */
  networkLeft?: string;
  /** Containers and claim volumes of the corpus still on the engine after the run (none expected). */
  leftBehind: string[];
}

/** The corpus's containers (every pod is named kc-… or lives in a kc-… namespace) and its claims' volumes, still there. */
async function leftovers(engine: InstanceType<typeof Engine>, index: Record<string, CorpusEntry>): Promise<string[]> {
  const containers = (await engine.containers.list({ all: true, filters: { label: ['podling.io/managed=true'] } }))
    .map((c) => (c.Names[0] ?? '').replace(/^\//, '')).filter((n) => /^podling_(kc-|[^_]*\.kc-)/.test(n));
  const claims = Object.values(index).flatMap((e) => e.claims ?? []).map((c) => claimVolumeName(c.split('/')[1]!, c.split('/')[0]!));
  const volumes = (await engine.volumes.list()).map((v) => v.Name).filter((n) => claims.includes(n));
  return [...containers, ...volumes];
}

export async function corpusBench(socketPath = SOCKET, log: (line: string) => void = () => {}): Promise<CorpusBenchResult> {
  const engine = new Engine({ socketPath });
  const pods = new Pods(engine, { cluster: CLUSTER });
  const index = corpusIndex();
  const files = corpusFiles();
  const started = process.hrtime.bigint();
  const results: FileResult[] = [];
  let networkLeft: string | undefined;
  let leftBehind: string[] = [];
  try {
    const queue = [...files];
    await Promise.all(Array.from({ length: PARALLEL }, async () => {
      for (let file = queue.shift(); file; file = queue.shift()) {
        const r = await runFile(pods, file, index[file] ?? { objects: [] });
        results.push(r);
        log(`corpus: ${file}: ${r.running ? `Running in ${fmt(r.readyMs!, 0)} ms` : r.accepted ? 'accepted, NOT running' : 'refused'}${r.notices.length ? `, ${r.notices.length} notices` : ''}${r.error ? `: ${r.error}` : ''}`);
      }
    }));
  } finally {
    rmSync(HOST_SCRATCH, { recursive: true, force: true });
    leftBehind = await leftovers(engine, index);
    networkLeft = await removeNetwork(engine, CLUSTER.name);
    await engine.close();
  }
  results.sort((a, b) => a.file.localeCompare(b.file));
  return { results, seconds: msSince(started) / 1000, leftBehind, ...(networkLeft ? { networkLeft } : {}) };
}

const pct = (n: number, of: number) => `${fmt((100 * n) / of, 0)} % (${n} of ${of})`;
const one = (value: number) => ({ min: value, median: value, max: value, runs: 1 });

export function corpusRows(r: CorpusBenchResult): Row[] {
  const g1 = r.results.filter((x) => x.group1);
  const accepted = g1.filter((x) => x.accepted).length;
  const running = g1.filter((x) => x.running).length;
  const ready = r.results.filter((x) => x.readyMs !== undefined).map((x) => x.readyMs!);
  return [
    {
      section: SECTION, case: `group-1 files (every field done or notice): accepted — ${r.results.length} files, ${r.results.filter((x) => !x.group1).length} more refused by design`, unit: '%', podling: one((100 * accepted) / g1.length), baselines: [],
      target: { text: '100 % of group-1 manifests accepted and Running', met: running === g1.length, evidence: `accepted ${pct(accepted, g1.length)}, Running ${pct(running, g1.length)}; failures below` },
    },
    { section: SECTION, case: 'group-1 files: every pod Running (Succeeded for run-to-completion pods)', unit: '%', podling: one((100 * running) / g1.length), baselines: [] },
    { section: SECTION, case: 'accepted files with at least one notice', unit: '%', podling: one((100 * r.results.filter((x) => x.accepted && x.notices.length).length) / Math.max(1, r.results.filter((x) => x.accepted).length)), baselines: [] },
    ...(ready.length ? [{ section: SECTION, case: 'per file: first create until every pod is Running (files run 4 at a time)', unit: 'ms', podling: summarize(ready), baselines: [] }] : []),
  ];
}

export function corpusNotes(r: CorpusBenchResult): string[] {
  const all = r.results;
  const g1 = all.filter((x) => x.group1);
  const accepted = all.filter((x) => x.accepted);
  const lines = [
    '### Kubernetes manifests: the corpus, file by file', '',
    `${all.length} files (test/corpus, ${all.reduce((n, x) => n + x.pods, 0)} pods), ${fmt(r.seconds, 0)} s, ${PARALLEL} files at a time, each pod given ${TIMEOUT_MS / 1000} s. Group 1 (every field done or a notice): ${g1.length} files, accepted ${pct(g1.filter((x) => x.accepted).length, g1.length)}, Running ${pct(g1.filter((x) => x.running).length, g1.length)}. All files: accepted ${pct(accepted.length, all.length)}, Running ${pct(all.filter((x) => x.running).length, all.length)}. With notices: ${pct(accepted.filter((x) => x.notices.length).length, accepted.length)} of the accepted files.`,
    '',
  ];
  const missed = g1.filter((x) => !x.running);
  const pending = missed.filter((x) => x.expectedRefusal?.startsWith('pending'));
  const engineLimited = missed.filter((x) => x.engineLimit);
  const known = missed.filter((x) => x.expectedRefusal && !pending.includes(x));
  const unexpected = missed.filter((x) => !x.expectedRefusal && !x.engineLimit);
  const counted = g1.length - pending.length - engineLimited.length;
  const names = (xs: FileResult[]) => (xs.length ? ` (${xs.map((x) => x.file).join(', ')})` : '');
  lines.push(
    `Group-1 files not Running: ${missed.length}. Waiting for fields still being built (refused as \`notYet()\`): ${pending.length}${names(pending)}; beyond this machine's engine: ${engineLimited.length}${names(engineLimited)}; a Podling issue the index knows: ${known.length}${names(known)}; unexpected: ${unexpected.length}${names(unexpected)}. Leaving out the first two kinds: Running ${pct(counted - known.length - unexpected.length, counted)}.`,
    '',
  );
  lines.push(`Left behind on the engine: ${r.leftBehind.length ? r.leftBehind.join(', ') : 'nothing'} (the corpus's containers and its claims' volumes).`, '');
  if (r.networkLeft) lines.push(`The engine would not remove the bench's cluster network ${CLUSTER.name} afterwards: ${r.networkLeft}.`, '');
  const failures = all.filter((x) => !x.running);
  if (failures.length) {
    lines.push('Not accepted or not Running:', '');
    for (const f of failures) lines.push(`- ${f.file}${f.group1 ? '' : ' (refused by design, not group 1)'}${f.expectedRefusal ? ` [index: ${f.expectedRefusal}]` : ''}${f.engineLimit ? ` [index, this engine: ${f.engineLimit}]` : ''}: ${f.accepted ? 'accepted, not Running' : 'refused'}: ${f.error ?? '?'}`);
    lines.push('');
  }
  const noticed = accepted.filter((x) => x.notices.length);
  if (noticed.length) {
    lines.push('Notices:', '');
    for (const f of noticed) lines.push(`- ${f.file}: ${f.notices.join(', ')}`);
    lines.push('');
  }
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const when = new Date();
  corpusBench(SOCKET, (line) => console.error(line)).then(async (r) => {
    const lines = [aloneLabel('node --import tsx bench/corpus.ts', when, await engineVersion(SOCKET), SOCKET, 'PODLING_BENCH_CORPUS'), '', tables(corpusRows(r)), ...corpusNotes(r)];
    writeAloneSection('## Kubernetes manifests, the corpus: measured alone', lines);
    console.log(lines.join('\n'));
  }).catch((err) => { console.error(err); process.exit(1); });
}
