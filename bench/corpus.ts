/**
 * The corpus of Pod manifests (test/corpus, issue 10): every file made live on the engine through
 * the Pods API (ConfigMaps and Secrets, then Services, then the pods at once), each pod waited for
 * until Running with every container running (Succeeded for a run-to-completion pod), then
 * everything deleted. Reports the share accepted and Running, the share with notices, and every
 * failure with its error. Files run a few at a time; each pod has a time limit.
 *
 * Environment: PODLING_BENCH_CORPUS_PARALLEL (files at once, default 4),
 * PODLING_BENCH_CORPUS_TIMEOUT_MS (per file, from its first create, default 30000).
 */
import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { PodObject } from '../src/pod/index.js';
import { corpusFiles, corpusIndex, loadCorpusFile, noticePath, objectKey, refusedNow, type CorpusEntry, type CorpusObject } from '../test/support/corpus.js';
import { writeAloneSection } from './alone.js';
import { SOCKET, msSince, podling, podlingPods, removeNetwork } from './lib.js';
import { type Row } from './report.js';
import { fmt, summarize } from './stats.js';

const { Engine, isNotFound } = podling;
const { Pods, PodError } = podlingPods;
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

const gone = (err: unknown) => { if (!(err instanceof PodError && err.kind === 'not-found')) throw err; };

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

async function waitFor(pods: Pods, o: Extract<CorpusObject, { kind: 'Pod' }>, completes: boolean, deadline: number): Promise<string | undefined> {
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

/** Everything a file makes, removed whether it exists or not (also what a killed run left). */
async function remove(pods: Pods, objects: CorpusObject[], entry: CorpusEntry): Promise<void> {
  await Promise.all(objects.filter((o) => o.kind === 'Pod').map((o) => pods.delete(o.name, { namespace: o.namespace }).catch(gone)));
  for (const o of objects) {
    const scope = { namespace: o.namespace };
    if (o.kind === 'Service') await pods.deleteService(o.name, scope).catch(gone);
    if (o.kind === 'ConfigMap') await pods.deleteConfigMap(o.name, scope).catch(gone);
    if (o.kind === 'Secret') await pods.deleteSecret(o.name, scope).catch(gone);
  }
  for (const claim of entry.claims ?? []) {
    const [namespace, name] = claim.split('/') as [string, string];
    await pods.engine.volumes.remove(`podling-pvc-${name}.${namespace}`).catch((err: unknown) => { if (!isNotFound(err)) throw err; });
  }
}

async function runFile(pods: Pods, file: string, entry: CorpusEntry): Promise<FileResult> {
  const group1 = entry.refused?.why !== 'by design';
  const expectedRefusal = refusedNow(entry) ? `${entry.refused!.why}: ${entry.refused!.fields.join(', ')}` : undefined;
  const base = { file, group1, ...(expectedRefusal ? { expectedRefusal } : {}), ...(entry.engineLimit ? { engineLimit: entry.engineLimit } : {}) };
  let objects: CorpusObject[];
  try {
    objects = await loadCorpusFile(file);
  } catch (err) {
    const problems = (err as { problems?: string[] }).problems;
    return { ...base, accepted: false, running: false, pods: entry.objects.filter((k) => k.startsWith('Pod/')).length, notices: [], error: problems ? problems.join('; ') : String(err) };
  }
  const podObjects = objects.filter((o): o is Extract<CorpusObject, { kind: 'Pod' }> => o.kind === 'Pod');
  const notices = objects.flatMap((o) => o.notices.map((n) => `${objectKey(o)}: ${noticePath(n)}`));
  // Accepted: the manifests passed the checks made before any engine request; what fails later is an error on the way to Running.
  const result: FileResult = { ...base, accepted: true, running: false, pods: podObjects.length, notices };
  await remove(pods, objects, entry);
  const started = process.hrtime.bigint();
  try {
    for (const o of objects) {
      if (o.kind === 'ConfigMap') await pods.createConfigMap(o.configMap);
      if (o.kind === 'Secret') await pods.createSecret(o.secret);
    }
    for (const o of objects) if (o.kind === 'Service') await pods.createService(o.service);
    await Promise.all(podObjects.map((o) => pods.create(o.pod)));
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
}

export async function corpusBench(socketPath = SOCKET, log: (line: string) => void = () => {}): Promise<CorpusBenchResult> {
  const engine = new Engine({ socketPath });
  const pods = new Pods(engine, { cluster: CLUSTER });
  const index = corpusIndex();
  const files = corpusFiles();
  const started = process.hrtime.bigint();
  const results: FileResult[] = [];
  let networkLeft: string | undefined;
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
    networkLeft = await removeNetwork(engine, CLUSTER.name);
    await engine.close();
  }
  results.sort((a, b) => a.file.localeCompare(b.file));
  return { results, seconds: msSince(started) / 1000, ...(networkLeft ? { networkLeft } : {}) };
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
    const engine = new Engine({ socketPath: SOCKET });
    const version = await engine.system.version().then((v) => `Docker ${v.Version} (API ${v.ApiVersion})`, () => 'Docker ?');
    await engine.close();
    const { tables } = await import('./report.js');
    const lines = [
      `Not part of a full \`make bench\` run: \`node --import tsx bench/corpus.ts\` on ${when.toISOString().slice(0, 16).replace('T', ' ')} UTC against ${version} at ${SOCKET}, Podling run compiled (dist/, \`npm run build\`), the machine's cores shared with other users' test runs. \`make bench\` runs it with the rest (PODLING_BENCH_CORPUS=0 skips it).`,
      '', tables(corpusRows(r)), ...corpusNotes(r),
    ];
    writeAloneSection('## Kubernetes manifests, the corpus: measured alone', lines);
    console.log(lines.join('\n'));
  }).catch((err) => { console.error(err); process.exit(1); });
}
