/**
 * Pod benchmarks (issue cases 2 and 3): pod start for 1, 2, 4 and 8 containers against
 *   (a) the original design's sequential order (network, then per container pull, create, start;
 *       the infra first), every call awaited in turn through Podling's engine client,
 *   (b) the docker CLI: bench/pod-cli.sh, a shell script that builds the same pod (network, infra
 *       joined to the cluster network, apps with --network container:), and
 *   (c) the parallel lower bound: the same calls, hand-written on a bare undici Pool, everything
 *       independent at once, in the fastest order known (image inspects; infra create on the
 *       cluster network; infra start ‖ pod network create ‖ app creates; connect of the pod
 *       network; app starts together);
 * and pod delete against stopping one container, the delete's own lower bound, and the CLI
 * script's delete (of the pod it made). Candidates alternate round by round (the order rotates
 * each round), each ratio compares medians from the same run, and set-up and clean-up are never
 * inside a timed region. One extra traced pass at 4 containers counts the engine round trips of
 * every HTTP candidate and when each one ran.
 *
 * Two diagnostics per round explain the delete: stopping one container that has a bridge network
 * of its own, and removing that network afterwards (what every pod delete must do at least once).
 *
 * Baseline objects carry `podling-bench.io/*` labels (the same keys as Podling's under another
 * prefix, so request bodies are the same size) so that no Podling command mistakes them for pods.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { Pool, type Dispatcher } from 'undici';
import type { ContainerSpec } from '../src/engine/container-spec.js';
import type { ClusterNetwork } from '../src/pod/cluster.js';
import type { Pod } from '../src/pod/index.js';
import { APP_IMAGE, BENCH_CLUSTER, BENCH_CREATOR, BENCH_MANAGED, BENCH_PREFIX, CREATOR, ROOT, SOCKET, dist, dockerEnv, podling, podlingCluster, podlingPods, podlingPrune, type Engine } from './lib.js';
import { baseline, type Row } from './report.js';
import { pairedRatio, rotate, summarize, time, type Sample } from './stats.js';

const { aliasesFor } = await dist<typeof import('../src/pod/aliases.js')>('pod/aliases.js');
const { appSpec, infraSpec } = await dist<typeof import('../src/pod/containers.js')>('pod/containers.js');
const { newPodId } = await dist<typeof import('../src/pod/create.js')>('pod/create.js');
const { INFRA_IMAGE } = await dist<typeof import('../src/pod/infra.js')>('pod/infra.js');
const { LABEL, appName, infraName, podNetworkName } = await dist<typeof import('../src/pod/labels.js')>('pod/labels.js');
const { readServices } = await dist<typeof import('../src/pod/services.js')>('pod/services.js');
const { parsePod, Pods } = podlingPods;
const { findOrCreateClusterNetwork } = podlingCluster;
const { creatorAlive } = await dist<typeof import('../src/pod/creator.js')>('pod/creator.js');

/** The same image through the loopback registry: the sequential design's pull is real but finds it present. */
const PULL_IMAGE = '127.0.0.1:5000/podling-test/busybox:latest';
const SIZES = (process.env.PODLING_BENCH_POD_SIZES ?? '1,2,4,8').split(',').map(Number);
const ROUNDS = Number(process.env.PODLING_BENCH_POD_ROUNDS ?? 4);
/** The size the targets are set for gets more rounds: the shared engine is noisy. */
const TARGET_ROUNDS = Number(process.env.PODLING_BENCH_POD_TARGET_ROUNDS ?? 7);
const TRACE_SIZE = 4;
const SECTION_START = 'Pod start (images present)';
const SECTION_DELETE = 'Pod delete (the pods just started; grace 30 s, every process exits on SIGTERM)';

/** Podling's own pods made here are named with this prefix (and carry this process as creator). */
const POD_PREFIX = 'pbench-';
/** Pod names of every bench module (here and bench/scale.ts): a killed run's leftovers are swept by name and creator. */
const SWEPT_PREFIXES = [POD_PREFIX, 'pscale-'];
const CLI_SCRIPT = `${ROOT}bench/pod-cli.sh`;
const run = promisify(execFile);

export interface TracedCall { method: string; path: string; start: number; headers: number }
export interface Trace { candidate: string; size: number; total: number; calls: TracedCall[] }
/**
 * `paired`: per case, the median over rounds of the ratio within each round (the two candidates
 * ran back to back), which a load that drifts over the run disturbs less than a ratio of medians.
 * `medians`: per size, every candidate's median (ms).
 */
export interface PodBenchResult { rows: Row[]; traces: Trace[]; paired: Record<string, number>; medians: Record<number, Record<string, number>> }

// ----------------------------------------------------------------------------- tracing

/**
 * Records every request a dispatcher sends while `on`: method, path, and when it was sent and its
 * answer's headers came (ms from `since`). Counting at the dispatcher sees Podling's calls exactly
 * as the engine does, version negotiation included.
 */
class Tracer {
  on = false;
  since = 0n;
  calls: TracedCall[] = [];
  wrap(pool: Dispatcher): void {
    const original = pool.request.bind(pool) as (opts: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
    const ms = () => Number(process.hrtime.bigint() - this.since) / 1e6;
    (pool as { request: unknown }).request = (opts: Dispatcher.RequestOptions, callback?: unknown) => {
      if (callback !== undefined) return (original as (o: unknown, c: unknown) => void)(opts, callback);
      if (!this.on) return original(opts);
      const call: TracedCall = { method: opts.method, path: String(opts.path).replace(/^\/v\d+\.\d+/, '').replace(/\?.*$/, ''), start: ms(), headers: NaN };
      this.calls.push(call);
      const promise = original(opts);
      promise.then(() => { call.headers = ms(); }, () => { call.headers = ms(); });
      return promise;
    };
  }
  start(): void { this.calls = []; this.since = process.hrtime.bigint(); this.on = true; }
  stop(): TracedCall[] { this.on = false; return this.calls; }
}

// ----------------------------------------------------------------------------- specs

function podOf(name: string, size: number, image: string): Pod {
  return parsePod({
    metadata: { name },
    spec: {
      containers: Array.from({ length: size }, (_, i) => ({ name: `c${i}`, image, command: ['sleep', '3600'], imagePullPolicy: 'IfNotPresent' as const })),
    },
  });
}

/** Podling's label keys moved under the bench prefix: same body sizes, invisible to `pod list`. */
function rebrand(labels: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).map(([k, v]) => [k.replace(/^podling\.io\//, BENCH_PREFIX), v]));
}
const benchSpec = (spec: ContainerSpec): ContainerSpec => ({ ...spec, Labels: rebrand(spec.Labels) });
const benchName = (name: string) => name.replace(/^podling_/, 'podlingbench_');

function networkSpec(pod: Pod, id: string) {
  return {
    Name: podNetworkName(id),
    Driver: 'bridge',
    Labels: rebrand({ [LABEL.managed]: 'true', [LABEL.podId]: id, [LABEL.podName]: pod.metadata.name, [LABEL.type]: 'pod-network', [LABEL.creator]: CREATOR }),
  };
}

/** What a baseline candidate made, filled in as it goes so clean-up works after a failure too. */
interface Made { network?: string; infra?: string; apps: string[] }
const made = (): Made => ({ apps: [] });

async function removeMade(engine: Engine, m: Made): Promise<void> {
  await Promise.all([...m.apps, ...(m.infra ? [m.infra] : [])].map((id) => engine.containers.remove(id, { force: true, volumes: true }).catch(() => {})));
  if (m.network) await engine.networks.remove(m.network).catch(() => {});
}

// ----------------------------------------------------------------------------- candidates

/**
 * (a) The original design: one call after another, pulling every image regardless. It makes what
 * Podling makes, the infra's place on the cluster network included (an inspect of that network, a
 * read of the services for the pod's DNS names, and on API 1.41 a connect after the create).
 */
async function sequential(engine: Engine, cluster: ClusterNetwork, size: number, m: Made): Promise<void> {
  const id = newPodId();
  const pod = podOf(`bseq-${id}`, size, PULL_IMAGE);
  const net = networkSpec(pod, id);
  await engine.networks.create(net);
  m.network = net.Name;
  await engine.networks.inspect(cluster.name);
  const aliases = aliasesFor(pod, await readServices(engine));
  // The infra image is built on this host and is in no registry, so its pull is stood in for by
  // the same already-present pull the apps make (a manifest check against the loopback registry).
  await engine.images.pull(PULL_IMAGE).done;
  // The original design: the infra made on the pod's own network, then joined to the cluster.
  const infra = await engine.containers.create(benchSpec(infraSpec(pod, id, INFRA_IMAGE, CREATOR)), { name: benchName(infraName(pod.metadata.name)) });
  m.infra = infra.Id;
  await engine.networks.connect(cluster.name, infra.Id, { Aliases: aliases });
  await engine.containers.start(infra.Id);
  for (const c of pod.spec.containers) {
    await engine.images.pull(PULL_IMAGE).done;
    const app = await engine.containers.create(benchSpec(appSpec(pod, id, c, infra.Id, CREATOR)), { name: benchName(appName(pod.metadata.name, c.name)) });
    m.apps.push(app.Id);
    await engine.containers.start(app.Id);
  }
}

/** (b) The lower bound: the same objects by hand on a bare undici Pool, everything independent at once. */
function lowerBound(bare: Pool, version: string, cluster: ClusterNetwork) {
  const send = async (method: Dispatcher.HttpMethod, path: string, body?: unknown): Promise<Dispatcher.ResponseData> => {
    const res = await bare.request({
      method, path: `/v${version}${path}`,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.statusCode >= 400) throw new Error(`${method} ${path}: ${res.statusCode} ${await res.body.text()}`);
    return res;
  };
  const empty = async (method: Dispatcher.HttpMethod, path: string, body?: unknown) => { await (await send(method, path, body)).body.dump(); };
  const create = async (body: ContainerSpec, name: string) => (await (await send('POST', `/containers/create?name=${name}`, body)).body.json()) as { Id: string };
  const start = async (size: number, m: Made): Promise<void> => {
    const id = newPodId();
    const pod = podOf(`bpar-${id}`, size, APP_IMAGE);
    const net = networkSpec(pod, id);
    const servicesFilter = encodeURIComponent(JSON.stringify({ label: [`${LABEL.managed}=true`, `${LABEL.type}=service`] }));
    // CheckDuplicate: as Podling's client sends it below API 1.44 (this engine speaks 1.41).
    const network = empty('POST', '/networks/create', { ...net, CheckDuplicate: true }).then(() => { m.network = net.Name; });
    network.catch(() => {}); // awaited below; a failure before that must not go unhandled
    const [, , , services] = await Promise.all([
      empty('GET', `/images/${APP_IMAGE}/json`),
      empty('GET', `/images/${INFRA_IMAGE}/json`),
      empty('GET', `/networks/${cluster.name}`),
      send('GET', `/containers/json?all=1&filters=${servicesFilter}`).then((r) => r.body.json() as Promise<Array<{ Labels?: Record<string, string> }>>),
    ]);
    const aliases = aliasesFor(pod, services.flatMap((c) => {
      try { return [JSON.parse(c.Labels?.[LABEL.serviceSpec] ?? '') as { name: string; selector: Record<string, string> }]; } catch { return []; }
    }));
    // The fastest order of the same calls (Podling's since it learnt it): the infra is made on
    // the cluster network and started while the pod's own network is still being made; that
    // network is connected to the running infra before the apps start.
    const infra = await create(benchSpec(infraSpec(pod, id, INFRA_IMAGE, CREATOR, { cluster: { name: cluster.name, aliases } })), benchName(infraName(pod.metadata.name)));
    m.infra = infra.Id;
    const [, apps] = await Promise.all([
      empty('POST', `/containers/${infra.Id}/start`)
        .then(() => network)
        .then(() => empty('POST', `/networks/${net.Name}/connect`, { Container: infra.Id, EndpointConfig: { Aliases: [pod.metadata.name] } })),
      Promise.all(pod.spec.containers.map(async (c) => {
        const app = await create(benchSpec(appSpec(pod, id, c, infra.Id, CREATOR)), benchName(appName(pod.metadata.name, c.name)));
        m.apps.push(app.Id);
        return app.Id;
      })),
    ]);
    await Promise.all(apps.map((app) => empty('POST', `/containers/${app}/start`)));
  };
  /**
   * Delete's floor on Docker, ids known (no list): every stop at once, each app removed when it
   * has stopped, the network and the infra removed once the infra has stopped.
   */
  const remove = async (m: Made): Promise<void> => {
    // t=30: Podling's default grace, though every process here exits on SIGTERM at once.
    const stopThenRemove = (id: string) => empty('POST', `/containers/${id}/stop?t=30`).then(() => empty('DELETE', `/containers/${id}?force=1&v=1`));
    await Promise.all([
      ...m.apps.map(stopThenRemove),
      empty('POST', `/containers/${m.infra}/stop?t=30`).then(() => Promise.all([empty('DELETE', `/networks/${m.network}`), empty('DELETE', `/containers/${m.infra}?force=1&v=1`)])),
    ]);
  };
  return { create: start, remove };
}

/**
 * The delete baseline: one busybox `sleep` under Init, as Podling runs app containers, and like
 * them without a network endpoint of its own (NetworkMode none; an app container uses the infra's).
 * This also keeps the baseline independent of the default bridge, which other users of the shared
 * engine have been seen to remove.
 */
async function startOne(engine: Engine): Promise<string> {
  const { Id } = await engine.containers.create({
    Image: APP_IMAGE, Cmd: ['sleep', '3600'],
    Labels: { [BENCH_MANAGED]: 'true', [BENCH_CREATOR]: CREATOR, [`${BENCH_PREFIX}type`]: 'stop-one' },
    HostConfig: { Init: true, NetworkMode: 'none' },
  }, { name: `podlingbench_stop-${newPodId()}` });
  await engine.containers.start(Id);
  return Id;
}

/**
 * The delete diagnostics: the same container on a bridge network of its own, as an infra
 * container is, so that stopping it tears down a network endpoint, and the network can be removed
 * after it stopped.
 */
async function startOneOnNetwork(engine: Engine): Promise<{ id: string; network: string }> {
  const network = `podlingbench-stopnet-${newPodId()}`;
  await engine.networks.create({ Name: network, Driver: 'bridge', Labels: { [BENCH_MANAGED]: 'true', [BENCH_CREATOR]: CREATOR, [`${BENCH_PREFIX}type`]: 'stop-one-net' } });
  const { Id } = await engine.containers.create({
    Image: APP_IMAGE, Cmd: ['sleep', '3600'],
    Labels: { [BENCH_MANAGED]: 'true', [BENCH_CREATOR]: CREATOR, [`${BENCH_PREFIX}type`]: 'stop-one-net' },
    HostConfig: { Init: true, NetworkMode: network },
  }, { name: `podlingbench_stopnet-${newPodId()}` });
  await engine.containers.start(Id);
  return { id: Id, network };
}

// ----------------------------------------------------------------------------- the docker CLI

function cliEnv(cluster: ClusterNetwork): NodeJS.ProcessEnv {
  return dockerEnv({ BENCH_CREATOR: CREATOR, BENCH_IMAGE: APP_IMAGE, BENCH_INFRA_IMAGE: INFRA_IMAGE, BENCH_CLUSTER: cluster.name });
}
const cli = (cluster: ClusterNetwork, action: 'create' | 'delete', name: string, size: number) =>
  run('bash', [CLI_SCRIPT, action, name, String(size)], { env: cliEnv(cluster) });

// ----------------------------------------------------------------------------- clean-up

/** Everything this process made is gone (and leftovers of a killed earlier run are removed). */
async function sweep(engine: Engine, mine: boolean): Promise<{ containers: number; networks: number }> {
  const ours = (labels: Record<string, string> | null | undefined, key: string) => {
    const creator = labels?.[key];
    return creator === CREATOR || (!mine && !creatorAlive(creator));
  };
  const [benchContainers, benchNetworks, managed, managedNetworks] = await Promise.all([
    engine.containers.list({ all: true, filters: { label: [`${BENCH_MANAGED}=true`] } }),
    engine.networks.list({ filters: { label: [`${BENCH_MANAGED}=true`] } }),
    engine.containers.list({ all: true, filters: { label: [`${LABEL.managed}=true`] } }),
    engine.networks.list({ filters: { label: [`${LABEL.managed}=true`] } }),
  ]);
  const containers = [
    ...benchContainers.filter((c) => ours(c.Labels, BENCH_CREATOR)),
    ...managed.filter((c) => SWEPT_PREFIXES.some((p) => c.Labels?.[LABEL.podName]?.startsWith(p)) && ours(c.Labels, LABEL.creator)),
  ];
  const networks = [
    ...benchNetworks.filter((n) => ours(n.Labels, BENCH_CREATOR)),
    ...managedNetworks.filter((n) => SWEPT_PREFIXES.some((p) => n.Labels?.[LABEL.podName]?.startsWith(p)) && ours(n.Labels, LABEL.creator)),
  ];
  await Promise.all(containers.map((c) => engine.containers.remove(c.Id, { force: true, volumes: true }).catch(() => {})));
  await Promise.all(networks.map((n) => engine.networks.remove(n.Id).catch(() => {})));
  return { containers: containers.length, networks: networks.length };
}

// ----------------------------------------------------------------------------- the runs

type StartKey = 'sequential' | 'lowerBound' | 'podling' | 'cli';
type StopKey = 'delete' | 'cliDelete' | 'stopOne' | 'deleteFloor' | 'stopOneNet' | 'networkRemove';

export async function podBench(socketPath = SOCKET, log: (line: string) => void = () => {}): Promise<PodBenchResult> {
  const engine = new podling.Engine({ socketPath });
  const pods = new Pods(engine, { cluster: BENCH_CLUSTER });
  const version = await engine.apiVersion();
  const bare = new Pool('http://localhost', { socketPath, keepAliveTimeout: 10_000 });
  const tracer = new Tracer();
  tracer.wrap(engine.transport.client);
  tracer.wrap(bare);
  const cluster = pods.cluster;
  const bareCalls = lowerBound(bare, version, cluster);

  for (const image of [APP_IMAGE, PULL_IMAGE, INFRA_IMAGE]) {
    await engine.images.inspect(image).catch(() => { throw new Error(`image ${image} is missing: run scripts/engine.sh (make engine) first`); });
  }
  // The bench's own cluster network (see BENCH_CLUSTER); made here if missing, removed at the end.
  const clusterExisted = await engine.networks.inspect(cluster.name).then(() => true, () => false);
  if (!clusterExisted) await findOrCreateClusterNetwork(engine, cluster);
  const left = await sweep(engine, false);
  if (left.containers || left.networks) log(`removed ${left.containers} containers and ${left.networks} networks left by an earlier bench run`);

  let seq = 0;
  const podName = () => `${POD_PREFIX}${process.pid.toString(36)}-${(seq++).toString(36)}`;
  const cliName = () => `b${process.pid.toString(36)}-${(seq++).toString(36)}`;

  const rows: Row[] = [];
  const traces: Trace[] = [];
  const paired: Record<string, number> = {};
  const medians: PodBenchResult['medians'] = {};
  try {
    // Warm-up: connections, JIT, the registry's manifest cache, the CLI's binary in the page cache.
    {
      const m1 = made();
      await sequential(engine, cluster, 1, m1); await removeMade(engine, m1);
      const m2 = made();
      await bareCalls.create(1, m2); await bareCalls.remove(m2); await removeMade(engine, m2);
      const name = podName();
      await pods.create(podOf(name, 1, APP_IMAGE));
      await pods.delete(name);
      const c = cliName();
      await cli(cluster, 'create', c, 1); await cli(cluster, 'delete', c, 1);
      const one = await startOne(engine);
      await engine.containers.stop(one);
      await engine.containers.remove(one, { force: true });
    }
    traces.push(...await tracePass(TRACE_SIZE));

    for (const size of SIZES) {
      const samples: Record<StartKey | StopKey, number[]> = { sequential: [], lowerBound: [], podling: [], cli: [], delete: [], cliDelete: [], stopOne: [], deleteFloor: [], stopOneNet: [], networkRemove: [] };
      for (let round = 0; round < (size === TRACE_SIZE ? TARGET_ROUNDS : ROUNDS); round++) {
        let podlingPod: string | undefined;
        let cliPod: string | undefined;
        const starts: Array<[StartKey, () => Promise<number>]> = [
          ['sequential', async () => { const m = made(); try { return await time(() => sequential(engine, cluster, size, m)); } finally { await removeMade(engine, m); } }],
          ['lowerBound', async () => { const m = made(); try { return await time(() => bareCalls.create(size, m)); } finally { await removeMade(engine, m); } }],
          ['podling', async () => { const name = podName(); podlingPod = name; return time(() => pods.create(podOf(name, size, APP_IMAGE))); }],
          ['cli', async () => { const name = cliName(); cliPod = name; return time(() => cli(cluster, 'create', name, size)); }],
        ];
        for (const [label, fn] of rotate(starts, round)) samples[label].push(await fn());
        const stops: Array<[StopKey | 'net', () => Promise<unknown>]> = [
          ['delete', async () => samples.delete.push(await time(() => pods.delete(podlingPod!)))],
          ['cliDelete', async () => samples.cliDelete.push(await time(() => cli(cluster, 'delete', cliPod!, size)))],
          ['stopOne', async () => {
            const id = await startOne(engine);
            try { samples.stopOne.push(await time(() => engine.containers.stop(id))); } finally { await engine.containers.remove(id, { force: true }).catch(() => {}); }
          }],
          ['deleteFloor', async () => {
            const m = made();
            try {
              await bareCalls.create(size, m);
              samples.deleteFloor.push(await time(() => bareCalls.remove(m)));
            } finally { await removeMade(engine, m); }
          }],
          ['net', async () => {
            const { id, network } = await startOneOnNetwork(engine);
            try {
              samples.stopOneNet.push(await time(() => engine.containers.stop(id)));
              await engine.containers.remove(id, { force: true });
              samples.networkRemove.push(await time(() => engine.networks.remove(network)));
            } finally {
              await engine.containers.remove(id, { force: true }).catch(() => {});
              await engine.networks.remove(network).catch(() => {});
            }
          }],
        ];
        for (const [, fn] of rotate(stops, round)) await fn();
      }
      const s = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)])) as Record<StartKey | StopKey, Sample>;
      medians[size] = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.median]));
      const c = size === 1 ? '1 container' : `${size} containers`;
      const key = size === TRACE_SIZE;
      const p = (a: StartKey | StopKey, b: StartKey | StopKey) => pairedRatio(samples[a], samples[b]);
      const vsLower = baseline('parallel lower bound (bare undici Pool)', s.podling, s.lowerBound, p('podling', 'lowerBound'));
      const vsSeq = baseline('sequential order (same client)', s.podling, s.sequential, p('podling', 'sequential'));
      const vsCli = baseline('docker CLI script', s.podling, s.cli, p('podling', 'cli'));
      rows.push({
        section: SECTION_START, case: `pod start, ${c}`, unit: 'ms', podling: s.podling, baselines: [vsSeq, vsCli, vsLower],
        ...(key ? {
          target: {
            text: '≤ 1.15× parallel lower bound and ≤ 0.5× sequential order',
            met: vsLower.ratio <= 1.15 && vsSeq.ratio <= 0.5,
            evidence: `${vsLower.ratio.toFixed(2)}× the lower bound (${vsLower.ratio <= 1.15 ? 'met' : 'NOT met'}; paired ${vsLower.paired!.toFixed(2)}×), ${vsSeq.ratio.toFixed(2)}× the sequential order (${vsSeq.ratio <= 0.5 ? 'met' : 'NOT met'}; paired ${vsSeq.paired!.toFixed(2)}×); the lower bound itself is ${(s.lowerBound.median / s.sequential.median).toFixed(2)}× the sequential order`,
          },
        } : {}),
      });
      const vsStop = baseline('stop one container', s.delete, s.stopOne, p('delete', 'stopOne'));
      const vsFloor = baseline('delete lower bound (bare undici Pool, ids known)', s.delete, s.deleteFloor, p('delete', 'deleteFloor'));
      const vsCliDelete = baseline('docker CLI script', s.delete, s.cliDelete, p('delete', 'cliDelete'));
      rows.push({
        section: SECTION_DELETE, case: `pod delete, ${c}`, unit: 'ms', podling: s.delete, baselines: [vsStop, vsCliDelete, vsFloor],
        ...(key ? {
          target: {
            text: '≤ 1.2× stop one container', met: vsStop.ratio <= 1.2,
            evidence: `${vsStop.ratio.toFixed(2)}× (paired ${vsStop.paired!.toFixed(2)}×); the delete's own lower bound is ${(s.deleteFloor.median / s.stopOne.median).toFixed(2)}× stop-one and Podling is ${vsFloor.ratio.toFixed(2)}× that bound; stopping one container on a bridge network takes ${s.stopOneNet.median.toFixed(0)} ms and removing that network afterwards ${s.networkRemove.median.toFixed(0)} ms, against ${s.stopOne.median.toFixed(0)} ms for stop-one`,
          },
        } : {}),
      });
      paired[`pod start, ${c}: lower bound vs sequential order`] = p('lowerBound', 'sequential');
      paired[`pod delete, ${c}: lower bound vs stop one container`] = p('deleteFloor', 'stopOne');
      log(`size ${size}: start seq ${s.sequential.median.toFixed(0)} cli ${s.cli.median.toFixed(0)} lower ${s.lowerBound.median.toFixed(0)} podling ${s.podling.median.toFixed(0)}; delete podling ${s.delete.median.toFixed(0)} cli ${s.cliDelete.median.toFixed(0)} floor ${s.deleteFloor.median.toFixed(0)} stop-one ${s.stopOne.median.toFixed(0)} stop-one-net ${s.stopOneNet.median.toFixed(0)} network-rm ${s.networkRemove.median.toFixed(0)} ms`);
    }
  } finally {
    await sweep(engine, true);
    const after = await sweep(engine, true);
    if (!clusterExisted) await engine.networks.remove(cluster.name).catch((err: unknown) => log(`the bench cluster network could not be removed: ${(err as Error).message}`));
    if (after.containers || after.networks) throw new Error(`clean-up left ${after.containers} containers and ${after.networks} networks`);
    await Promise.all([engine.close(), bare.close()]);
  }
  return { rows, traces, paired, medians };

  async function tracePass(size: number): Promise<Trace[]> {
    const out: Trace[] = [];
    const traced = async (candidate: string, fn: () => Promise<unknown>, after?: () => Promise<unknown>) => {
      tracer.start();
      const t0 = process.hrtime.bigint();
      try { await fn(); } finally {
        const total = Number(process.hrtime.bigint() - t0) / 1e6;
        out.push({ candidate, size, total, calls: tracer.stop() });
        await after?.();
      }
    };
    const seqMade = made();
    await traced('sequential', () => sequential(engine, cluster, size, seqMade), () => removeMade(engine, seqMade));
    const parMade = made();
    await traced('lower bound create', () => bareCalls.create(size, parMade));
    await traced('lower bound delete', () => bareCalls.remove(parMade), () => removeMade(engine, parMade));
    const name = podName();
    await traced('podling create', () => pods.create(podOf(name, size, APP_IMAGE)));
    await traced('podling delete', () => pods.delete(name));
    const one = await startOne(engine);
    await traced('stop one', () => engine.containers.stop(one), () => engine.containers.remove(one, { force: true }));
    return out;
  }
}

/** `GET /containers/json ×1 @0.3–2.1` lines: each call, when it was sent and when its answer came. */
export function describeTrace(trace: Trace): string {
  const lines = [`${trace.candidate} (${trace.size} containers): ${trace.calls.length} round trips, ${trace.total.toFixed(1)} ms`];
  for (const c of trace.calls) lines.push(`  ${c.start.toFixed(1).padStart(7)} → ${c.headers.toFixed(1).padStart(7)} ms  ${c.method} ${c.path.replace(/[0-9a-f]{64}/, '<id>')}`);
  return lines.join('\n');
}

export function traceSummary(trace: Trace): string {
  const counts = new Map<string, number>();
  for (const c of trace.calls) {
    const key = `${c.method} ${c.path.replace(/\/containers\/[^/]+\/(start|stop|json)$/, '/containers/{id}/$1').replace(/\/containers\/[0-9a-f]{64}$/, '/containers/{id}').replace(/\/images\/.+\/json$/, '/images/{name}/json').replace(/\/networks\/[^/]+$/, '/networks/{id}')}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${n}× ${k}`).join(', ');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  podBench(SOCKET, console.log).then(({ rows, traces }) => {
    for (const t of traces) console.log(describeTrace(t));
    for (const r of rows) console.log(`${r.case}: ${r.podling.median.toFixed(1)} ms; ${r.baselines.map((b) => `${b.name} ${b.sample.median.toFixed(1)} ms = ${b.ratio.toFixed(2)}×`).join('; ')}${r.target ? ` — ${r.target.met ? 'met' : 'NOT met'}` : ''}`);
  }).catch((err) => { console.error(err); process.exit(1); });
}
