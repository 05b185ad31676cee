/**
 * Several nodes (issue 12, "Measure and report"), on the multi-node test bed (scripts/nodes.sh,
 * docs/test-bed.md): three dockerd 20.10 in network namespaces, joined in a swarm, node1 the
 * manager. Each figure against its single-node counterpart, in one run:
 *  1. pod start (create until Running) on worker node2 through the Cluster, against the same pod
 *     through node2's engine used alone (its own local cluster bridge, no swarm, no overlay); a
 *     diagnostic between the two: node2's Pods on the overlay, without the Cluster's placement;
 *  2. request latency from a client pod on node2 to a server pod on node3 against one on node2
 *     (and the client's own loopback), timed INSIDE the client: a loop of wgets by exec, so the
 *     exec round trip is not what is measured;
 *  3. DNS convergence after a pod moves: the server deleted on node3 and made again, same name, on
 *     node1; from the create's return until the client on node2 resolves the name to the new
 *     address; against the same move within node2 (client, old and new pod all on one node);
 *  4. create cost as pods grow on one node of the swarm: GROWTH_PODS pods pinned to node3 one
 *     after another, then deleted newest first (the single-engine side is bench/growth.ts).
 *
 * Nothing is addressed from the host namespace (its default route leaves the machine): requests
 * and lookups run in the client pod through exec; the Engine APIs are unix sockets. Every pod,
 * the overlay and the local bridge are removed afterwards; the bed stays up.
 *
 * Environment: PODLING_BENCH_NODES_ROUNDS (5), PODLING_BENCH_NODES_REQUESTS (wgets per round, 50),
 * PODLING_BENCH_NODES_GROWTH_PODS (110; 0 skips part 4).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { ClusterNode } from '../src/nodes/node.js';
import type { PodInput, PodObject } from '../src/pod/index.js';
import { aloneLabel, engineVersion, writeAloneSection } from './alone.js';
import { APP_IMAGE, dist, msSince, podling, podlingPods, removeNetwork, type Engine } from './lib.js';
import { baseline, tables, type Row } from './report.js';
import { fmt, rotate, summarize } from './stats.js';

const { Cluster } = await dist<typeof import('../src/nodes/cluster.js')>('nodes/cluster.js');
const { Pods, PodNotFoundError } = podlingPods;
type Pods = InstanceType<typeof Pods>;

const ROUNDS = Number(process.env.PODLING_BENCH_NODES_ROUNDS ?? 5);
const REQUESTS = Number(process.env.PODLING_BENCH_NODES_REQUESTS ?? 50);
const GROWTH_PODS = Number(process.env.PODLING_BENCH_NODES_GROWTH_PODS ?? 110);
/** The growth summary's windows: the first and the last few pods (one slow call must not decide). */
const WINDOW = 5;
const PREFIX = 'bnode-';
/** The bench's own overlay (swarm names are at most 63 characters), made on the manager by the Cluster. */
const OVERLAY = 'podling-bench-nodes';
/** node2 used alone: a bridge of its own in node2's namespace, on a free subnet Podling picks. */
const LOCAL = { name: 'podling-bench-nodes-local' };
/** Give up on a DNS change after this long: a broken overlay must not hang the run. */
const LIMIT_S = 20;
/** One table per question (report.ts gives a section's rows every baseline column of the section). */
const SECTION = {
  start: 'Several nodes: pod start on a worker (swarm test bed: three dockerd 20.10, node1 the manager)',
  requests: 'Several nodes: requests from a client pod on node2, timed inside it',
  dns: 'Several nodes: DNS after a pod moves, seen from pods on node2 and node1',
  growth: 'Several nodes: create and delete cost as pods grow on one node of the swarm',
};

// ----------------------------------------------------------------------------- the bed

interface BedNode { name: string; engine: string; netns: string }

/** The bed from nodes.env (written by scripts/nodes.sh when the bed is whole), or why there is none. */
async function findBed(): Promise<{ nodes: Map<string, BedNode>; manager: string } | { why: string }> {
  const file = `${process.env.PODLING_STATE || '/var/lib/podling-registry'}/nodes.env`;
  let env: Map<string, string>;
  try {
    env = new Map(readFileSync(file, 'utf8').split('\n').flatMap((l) => { const m = /^([A-Z0-9_]+)=(.*)$/.exec(l.trim()); return m ? [[m[1]!, m[2]!] as [string, string]] : []; }));
  } catch {
    return { why: `${file} does not exist (the multi-node test bed is not up: make nodes)` };
  }
  const nodes = new Map((env.get('PODLING_NODES') ?? '').split(',').filter(Boolean).map((name) => {
    const key = `PODLING_${name.toUpperCase()}`;
    return [name, { name, engine: env.get(`${key}_ENGINE`) ?? '', netns: env.get(`${key}_NETNS`) ?? '' }];
  }));
  const missing = ['node1', 'node2', 'node3'].filter((n) => !nodes.get(n)?.engine || !nodes.get(n)?.netns);
  if (missing.length) return { why: `${file} does not describe ${missing.join(', ')}` };
  const silent: string[] = [];
  await Promise.all([...nodes.values()].map(async (n) => {
    const engine = new podling.Engine({ host: n.engine });
    try {
      await engine.system.ping({ timeout: 3000 });
    } catch {
      silent.push(n.name);
    } finally {
      await engine.close();
    }
  }));
  if (silent.length) return { why: `no answer to GET /_ping from ${silent.sort().join(', ')} (make nodes)` };
  return { nodes, manager: env.get('PODLING_NODES_MANAGER') ?? 'node1' };
}

/**
 * The Cluster, with each node's engine address taken from the bed when the swarm's label has none.
 * Writing the labels (`podling node add`) would change shared swarm state under the bed's own live
 * tests, which set, check and clear the very same labels; the swarm is still asked for the nodes
 * (GET /nodes on the manager) at every call, as a user's Cluster does.
 */
function bedCluster(manager: Engine, bed: Map<string, BedNode>) {
  return new (class extends Cluster {
    override async nodes(options: { signal?: AbortSignal } = {}): Promise<ClusterNode[]> {
      return (await super.nodes(options)).map((n) => (n.engine ? n : { ...n, engine: bed.get(n.name)?.engine }));
    }
  })(manager, { network: OVERLAY });
}

/** The host's iptables rules inside a node's namespace (lines that add a rule): what each pod's bridge adds to. */
function rulesIn(node: BedNode): Promise<number> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', node.netns, 'iptables-save'], { encoding: 'utf8' }, (err, stdout) => {
      resolve(err ? NaN : stdout.split('\n').filter((l) => l.startsWith('-A ')).length);
    });
  });
}

// ----------------------------------------------------------------------------- pods

const container = (command: string) => ({ name: 'c', image: APP_IMAGE, imagePullPolicy: 'Never' as const, command: ['sh', '-c', command] });
/** Never pulls: the bed's nodes have no registry, and a `:latest` image would otherwise try Docker Hub. */
const pod = (name: string, command: string, nodeName?: string): PodInput => ({
  metadata: { name }, spec: { ...(nodeName ? { nodeName } : {}), containers: [container(command)] },
});
/** Exits on SIGTERM (a shell waiting on a child), so deletes measure the engine, not a grace period. */
const IDLE = 'trap "exit 0" TERM; sleep 3600 & wait';
/** httpd in the background: as PID 1 it would ignore SIGTERM and hold every delete for the grace period. */
const server = (name: string, nodeName: string) => pod(name, `echo ${name} > /tmp/i; httpd -p 80 -h /tmp; ${IDLE}`, nodeName);

const idOf = (p: PodObject) => p.status.containerStatuses[0]!.containerID.replace(/^docker:\/\//, '');
const ipOf = (p: PodObject) => p.status.podIP ?? '';

/** A create that returns before Running (the pod still starting) is followed until it is: start means Running. */
async function startTimed(create: () => Promise<PodObject>, get: () => Promise<PodObject>): Promise<number> {
  const t = process.hrtime.bigint();
  let p = await create();
  while (p.status.phase !== 'Running') {
    if (msSince(t) > 30_000) throw new Error(`pod ${p.metadata.name} not Running after 30 s (${p.status.phase})`);
    await new Promise((r) => setTimeout(r, 20));
    p = await get();
  }
  return msSince(t);
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return msSince(t);
}

/** Wall-clock µs, as the pods' `now` reads it (the same kernel clock). */
const wallUs = () => Math.round((performance.timeOrigin + performance.now()) * 1e3);

// ----------------------------------------------------------------------------- in the client pod

/** Runs a shell script in the client's container; its stdout, or an error with its stderr. */
async function inClient(engine: Engine, id: string, script: string, args: string[] = []): Promise<string> {
  const { exitCode, stdout, stderr } = await engine.exec.run(id, ['sh', '-c', script, 'sh', ...args]);
  if (exitCode !== 0) throw new Error(`in the client pod: exit ${exitCode}: ${stderr.trim() || stdout.trim()}`);
  return stdout.trim();
}

/**
 * The wall clock in µs inside the pod. busybox `date` has no `%N` (it prints it literally) and
 * `time` counts in 10 ms; `adjtimex` (a read, mode 0) gives the kernel's time to the microsecond,
 * the same CLOCK_REALTIME the host reads.
 */
const NOW = 'now() { adjtimex | awk \'/tv_sec/{s=$2} /tv_usec/{u=$2} END{printf "%d%06d", s, u}\'; }; ';
/** N wgets back to back; µs for all of them, timed inside the pod. */
const WGETS = `${NOW}n=$1; s=$(now); i=0; while [ $i -lt $n ]; do wget -q -O /dev/null "$2" || exit 1; i=$((i+1)); done; e=$(now); echo $((e-s))`;
/**
 * N lookups back to back; µs for all of them, timed inside the pod. Every lookup is of the name as
 * given (a trailing dot) and of A records only: busybox nslookup walking the pod's search list took
 * 5 s per call on the bed's nodes, where the name itself answers in milliseconds.
 */
const LOOKUPS = `${NOW}n=$1; s=$(now); i=0; while [ $i -lt $n ]; do nslookup -type=a "$2." >/dev/null 2>&1 || exit 1; i=$((i+1)); done; e=$(now); echo $((e-s))`;
/**
 * Looks $1 up back to back until it answers with addresses none of which is $2 (the pod's old
 * address), and prints the wall-clock µs of that answer, the lookups it took and the addresses;
 * exit 1 after $3 s. Only `Address:` lines without a port are the name's (the resolver's has `:53`).
 */
const WATCH = `${NOW}end=$(( $(date +%s) + $3 )); n=0; while [ $(date +%s) -lt $end ]; do n=$((n+1)); a=$(nslookup -type=a "$1." 2>/dev/null | sed -n "s/^Address: *\\([0-9.]*\\)$/\\1/p"); if [ -n "$a" ] && ! echo "$a" | grep -qx "$2"; then echo "$(now) $n $a"; exit 0; fi; done; exit 1`;
const RESOLVE = 'nslookup -type=a "$1." 2>/dev/null | sed -n "s/^Address: *\\([0-9.]*\\)$/\\1/p"';

// ----------------------------------------------------------------------------- results

export interface NodeBenchResult {
  rows: Row[];
  notes: string[];
  /** Every sample, for results.json. */
  data: Record<string, unknown>;
}

export async function nodeBench(log: (line: string) => void = () => {}): Promise<NodeBenchResult | { skipped: string }> {
  const found = await findBed();
  if ('why' in found) return { skipped: found.why };
  const bed = found.nodes;
  const manager = new podling.Engine({ host: bed.get(found.manager)!.engine });
  const cluster = bedCluster(manager, bed);
  const node2Alone = new podling.Engine({ host: bed.get('node2')!.engine });
  const alone = new Pods(node2Alone, { cluster: LOCAL });
  const nodeOf = async (name: string) => (await cluster.nodes()).find((n) => n.name === name) ?? fail(`the swarm has no ${name}`);
  const sweep = () => sweepPods(cluster, alone);
  try {
    await sweep(); // what a run that died left
    const [n2, n3] = await Promise.all(['node2', 'node3'].map(nodeOf)) as [ClusterNode, ClusterNode];
    const start = await startBench(cluster, alone, n2, log);
    const net = await networkBench(cluster, n2, log);
    const growth = GROWTH_PODS > 0 ? await growthBench(cluster, n3, bed.get('node3')!, log) : undefined;
    return report(start, net, growth);
  } finally {
    await sweep().catch((err: unknown) => log(`nodes: sweep failed: ${(err as Error).message}`));
    const left = await removeNetwork(manager, OVERLAY);
    if (left) log(`nodes: the overlay ${OVERLAY} could not be removed: ${left}`);
    const leftLocal = await removeNetwork(node2Alone, LOCAL.name);
    if (leftLocal) log(`nodes: ${LOCAL.name} on node2 could not be removed: ${leftLocal}`);
    await cluster.close();
    await Promise.allSettled([manager.close(), node2Alone.close()]);
  }
}

/** Every pod of this bench on every node, deleted (force): what a failure or an earlier run left. */
async function sweepPods(cluster: InstanceType<typeof Cluster>, alone: Pods): Promise<void> {
  for (const answer of await cluster.list({ allNamespaces: true })) {
    if (!answer.value) continue;
    const pods = cluster.podsOn(answer.node);
    await Promise.all(answer.value.filter((p) => p.metadata.name.startsWith(PREFIX)).map((p) => pods.delete(p.metadata.name, { force: true }).catch(notFoundIsGone)));
  }
  for (const p of await alone.list()) if (p.metadata.name.startsWith(PREFIX)) await alone.delete(p.metadata.name, { force: true }).catch(notFoundIsGone);
}

function notFoundIsGone(err: unknown): void {
  if (!(err instanceof PodNotFoundError)) throw err;
}

function fail(message: string): never {
  throw new Error(message);
}

// ----------------------------------------------------------------------------- 1. pod start

interface StartResult { create: Record<string, number[]>; delete: Record<string, number[]> }

async function startBench(cluster: InstanceType<typeof Cluster>, alone: Pods, n2: ClusterNode, log: (line: string) => void): Promise<StartResult> {
  const onOverlay = cluster.podsOn(n2);
  let serial = 0;
  type Way = { create: (p: PodInput) => Promise<PodObject>; get: (name: string) => Promise<PodObject>; delete: (name: string) => Promise<unknown> };
  const ways: Record<string, Way> = {
    cluster: { create: async (p) => (await cluster.create(p)).pod, get: async (n) => (await cluster.find(n)).pod, delete: (n) => cluster.delete(n) },
    overlay: { create: (p) => onOverlay.create(p), get: (n) => onOverlay.get(n), delete: (n) => onOverlay.delete(n) },
    alone: { create: (p) => alone.create(p), get: (n) => alone.get(n), delete: (n) => alone.delete(n) },
  };
  const out: StartResult = { create: {}, delete: {} };
  // One unmeasured cycle each: the overlay's first attachment on node2, images' first use.
  for (const way of Object.values(ways)) {
    const name = `${PREFIX}warm-${serial++}`;
    await way.create(pod(name, IDLE, 'node2'));
    await way.delete(name);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const key of rotate(Object.keys(ways), round)) {
      const way = ways[key]!;
      const name = `${PREFIX}start-${serial++}`;
      (out.create[key] ??= []).push(await startTimed(() => way.create(pod(name, IDLE, 'node2')), () => way.get(name)));
      (out.delete[key] ??= []).push(await timed(() => way.delete(name)));
    }
    log(`nodes: start round ${round + 1}: ${Object.keys(ways).map((k) => `${k} ${out.create[k]!.at(-1)!.toFixed(0)} / delete ${out.delete[k]!.at(-1)!.toFixed(0)} ms`).join(', ')}`);
  }
  return out;
}

// ----------------------------------------------------------------------------- 2 and 3. requests and DNS

interface NetResult {
  /** ms per request, one value per round. */
  requests: Record<'node3' | 'node2' | 'loopback' | 'node3ByName' | 'node2ByName', number[]>;
  lookup: number[];
  /** ICMP round trip (ping's average over PINGS packets, ms), one value per round. */
  ping: Record<'node3' | 'node2', number[]>;
  moves: Record<'cross' | 'same', Moves>;
}

interface Moves {
  /** ms from the create's start (the old pod already deleted) until the client on node2 resolved the new address only. */
  fromStart: number[];
  /** The same from the create's return: negative when resolved before it returned. */
  fromReturn: number[];
  /** ms by which the node that does not hold the new pod resolved it after the node that does (node1's witness pod for a move to node1). */
  remoteLag: number[];
  lookups: number[];
  addressReused: number;
}

/** A pod that looks names up: its node's engine and its container. */
interface Looker { engine: Engine; id: string; node: string }

async function networkBench(cluster: InstanceType<typeof Cluster>, n2: ClusterNode, log: (line: string) => void): Promise<NetResult> {
  const engine2 = cluster.engineOf(n2);
  const client = await cluster.create(pod(`${PREFIX}client`, `echo client > /tmp/i; httpd -p 8080 -h /tmp; ${IDLE}`, 'node2'));
  const witness = await cluster.create(pod(`${PREFIX}witness`, IDLE, 'node1'));
  const id = idOf(client.pod);
  const lookers: Record<'node1' | 'node2', Looker> = {
    node2: { engine: engine2, id, node: 'node2' },
    node1: { engine: cluster.engineOf((await cluster.nodes()).find((n) => n.name === 'node1')!), id: idOf(witness.pod), node: 'node1' },
  };
  const [s3, s2] = [(await cluster.create(server(`${PREFIX}srv3`, 'node3'))).pod, (await cluster.create(server(`${PREFIX}srv2`, 'node2'))).pod];
  const urls = {
    node3: `http://${ipOf(s3)}/i`, node2: `http://${ipOf(s2)}/i`, loopback: 'http://127.0.0.1:8080/i',
    node3ByName: `http://${PREFIX}srv3/i`, node2ByName: `http://${PREFIX}srv2/i`,
  };
  // Every target answers (and the names are known on node2) before anything is timed.
  for (const url of Object.values(urls)) await waitFor(() => inClient(engine2, id, WGETS, ['1', url]).then(() => true, () => false), `${url} from the client`);
  const result: NetResult = { requests: { node3: [], node2: [], loopback: [], node3ByName: [], node2ByName: [] }, lookup: [], ping: { node3: [], node2: [] }, moves: { cross: empty(), same: empty() } };
  for (let round = 0; round < ROUNDS; round++) {
    for (const key of rotate(Object.keys(urls) as Array<keyof typeof urls>, round)) {
      result.requests[key].push(Number(await inClient(engine2, id, WGETS, [String(REQUESTS), urls[key]])) / 1e3 / REQUESTS);
    }
    result.lookup.push(Number(await inClient(engine2, id, LOOKUPS, ['20', `${PREFIX}srv3`])) / 1e3 / 20);
    for (const [key, target] of rotate([['node3', s3], ['node2', s2]] as const, round)) result.ping[key].push(await ping(engine2, id, ipOf(target)));
    log(`nodes: requests round ${round + 1}: ${Object.entries(result.requests).map(([k, v]) => `${k} ${v.at(-1)!.toFixed(2)}`).join(', ')} ms per request; lookup ${result.lookup.at(-1)!.toFixed(2)} ms; ping node3 ${result.ping.node3.at(-1)!.toFixed(3)}, node2 ${result.ping.node2.at(-1)!.toFixed(3)} ms`);
  }
  await cluster.delete(`${PREFIX}srv3`);
  await cluster.delete(`${PREFIX}srv2`);
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of rotate(['cross', 'same'] as const, round)) {
      const [from, to] = kind === 'cross' ? ['node3', 'node1'] : ['node2', 'node2'];
      const m = await move(cluster, lookers, `${PREFIX}mover`, from, to);
      const r = result.moves[kind];
      if (m === 'reused') {
        r.addressReused++;
        continue;
      }
      r.fromReturn.push(m.fromReturn); r.fromStart.push(m.fromStart); r.remoteLag.push(m.remoteLag); r.lookups.push(m.lookups);
      log(`nodes: move ${from} -> ${to}: node2 resolved the new address ${m.fromStart.toFixed(0)} ms after the create began, ${m.fromReturn.toFixed(0)} after it returned (${m.lookups} lookups); the other node ${m.remoteLag.toFixed(0)} ms after the pod's own`);
    }
  }
  await cluster.delete(`${PREFIX}client`);
  await cluster.delete(`${PREFIX}witness`);
  return result;
}

const PINGS = 50;

/** The network alone, without a process per request: ping's own average round trip (ms). */
async function ping(engine: Engine, client: string, ip: string): Promise<number> {
  const out = await inClient(engine, client, 'ping -q -c "$1" -i 0.01 "$2"', [String(PINGS), ip]);
  const avg = /min\/avg\/max = [\d.]+\/([\d.]+)\//.exec(out)?.[1];
  if (!avg) throw new Error(`ping ${ip}: no round-trip summary in ${JSON.stringify(out)}`);
  return Number(avg);
}

const empty = (): Moves => ({ fromStart: [], fromReturn: [], remoteLag: [], lookups: [], addressReused: 0 });

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const t = process.hrtime.bigint();
  while (!(await check())) {
    if (msSince(t) > LIMIT_S * 1000) throw new Error(`${what}: not within ${LIMIT_S} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts watching `name` from a pod until it resolves to an address other than `old`; when, and to what. */
function watch(looker: Looker, name: string, old: string): Promise<{ us: number; lookups: number; addresses: string[] }> {
  const watching = inClient(looker.engine, looker.id, WATCH, [name, old, String(LIMIT_S)]).then((out) => {
    const [us, lookups, ...addresses] = out.split(/\s+/);
    return { us: Number(us), lookups: Number(lookups), addresses };
  }, (err: Error) => { throw new Error(`watching ${name} from ${looker.node}: ${err.message}`); });
  watching.catch(() => {}); // awaited by the caller; not unhandled while the move goes on
  return watching;
}

/**
 * The pod on `from`, resolved on node1 and node2; then deleted and made again on `to`, both pods
 * watching the name from before the delete. The address is the swarm's to give: when the new pod
 * gets the old one back, the change cannot be seen by address and the round is not counted.
 */
async function move(cluster: InstanceType<typeof Cluster>, lookers: Record<'node1' | 'node2', Looker>, name: string, from: string, to: string) {
  const before = (await cluster.create(server(name, from))).pod;
  for (const looker of Object.values(lookers)) {
    await waitFor(async () => (await inClient(looker.engine, looker.id, RESOLVE, [name]).catch(() => '')).split('\n').includes(ipOf(before)), `${name} on ${from} resolved from ${looker.node}`);
  }
  const seen = { node1: watch(lookers.node1, name, ipOf(before)), node2: watch(lookers.node2, name, ipOf(before)) };
  await cluster.delete(name);
  const began = wallUs();
  const after = (await cluster.create(server(name, to))).pod;
  const returned = wallUs();
  try {
    if (ipOf(after) === ipOf(before)) return 'reused' as const;
    const [n1, n2] = [await seen.node1, await seen.node2];
    for (const s of [n1, n2]) if (!s.addresses.includes(ipOf(after))) throw new Error(`${name} resolved to ${s.addresses.join(', ')}, not the new ${ipOf(after)}`);
    // The node that holds the new pod learns its name when the infra joins the overlay; the others by the swarm's gossip.
    const [local, remote] = to === 'node1' ? [n1, n2] : [n2, n1];
    return { fromStart: (n2.us - began) / 1e3, fromReturn: (n2.us - returned) / 1e3, remoteLag: (remote.us - local.us) / 1e3, lookups: n2.lookups };
  } finally {
    await cluster.delete(name);
  }
}

// ----------------------------------------------------------------------------- 4. growth on one node

interface GrowthResult {
  node: string;
  /** Pods on the node before the bench's (others' work), which count against its maximum. */
  others: number;
  creates: number[];
  /** Newest first: the first found all the bench's pods there. */
  deletes: number[];
  /** The Cluster's fan-out list of every node's pods, with the 1st pod there and with all of them. */
  listAtOne: number; listAtN: number;
  rules: { before: number; atN: number; after: number };
  failures: string[];
  /** The create the node's engine could not carry out for want of an address pool for the pod's own bridge. */
  ceiling?: { pod: number; reason: string };
}

async function growthBench(cluster: InstanceType<typeof Cluster>, n3: ClusterNode, bedNode: BedNode, log: (line: string) => void): Promise<GrowthResult> {
  const others = (await cluster.podsOn(n3).list({ allNamespaces: true })).length;
  const count = Math.min(GROWTH_PODS, n3.maxPods - others);
  const run: GrowthResult = { node: n3.name, others, creates: [], deletes: [], listAtOne: NaN, listAtN: NaN, rules: { before: await rulesIn(bedNode), atN: NaN, after: NaN }, failures: [] };
  const made: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${PREFIX}grow-${i}`;
    try {
      run.creates.push(await timed(() => cluster.create(pod(name, IDLE, n3.name))));
      made.push(name);
    } catch (err) {
      run.failures.push(`create ${name}: ${(err as Error).message}`);
      // Each pod's own bridge takes one of the engine's address pools: none left, no later pod fits either.
      if (/available, non-overlapping IPv4 address pool/.test((err as Error).message)) {
        run.ceiling = { pod: i + 1, reason: (err as Error).message };
        break;
      }
      if (run.failures.length >= 5) break;
    }
    if (i === 0) run.listAtOne = await timed(() => cluster.list({ allNamespaces: true }));
    if ((i + 1) % 20 === 0) log(`nodes: growth: ${i + 1} pods on ${n3.name}, the last create ${run.creates.at(-1)!.toFixed(0)} ms`);
  }
  run.listAtN = await timed(() => cluster.list({ allNamespaces: true }));
  run.rules.atN = await rulesIn(bedNode);
  for (const name of [...made].reverse()) {
    try {
      run.deletes.push(await timed(() => cluster.delete(name)));
    } catch (err) {
      run.failures.push(`delete ${name}: ${(err as Error).message}`);
    }
  }
  run.rules.after = await rulesIn(bedNode);
  log(`nodes: growth: ${made.length} pods; create 1st ${run.creates[0]?.toFixed(0)} ms, last ${run.creates.at(-1)?.toFixed(0)} ms; delete at N ${run.deletes[0]?.toFixed(0)}, at 1 ${run.deletes.at(-1)?.toFixed(0)} ms; rules ${run.rules.before} -> ${run.rules.atN} -> ${run.rules.after}`);
  return run;
}

// ----------------------------------------------------------------------------- the report

const pairedOf = (a: number[], b: number[]) => summarize(a.map((x, i) => x / b[i]!)).median;

function report(start: StartResult, net: NetResult, growth: GrowthResult | undefined): NodeBenchResult {
  const s = (v: number[]) => summarize(v.filter(Number.isFinite));
  const rows: Row[] = [];
  const [c, o, a] = [s(start.create.cluster!), s(start.create.overlay!), s(start.create.alone!)];
  rows.push({
    section: SECTION.start, case: 'pod start on worker node2 through the Cluster (create until Running; one container)', unit: 'ms', podling: c,
    baselines: [baseline('node2 alone (its own bridge, no swarm)', c, a, pairedOf(start.create.cluster!, start.create.alone!)), baseline('node2\'s Pods on the overlay, no placement', c, o, pairedOf(start.create.cluster!, start.create.overlay!))],
    note: `node2's Pods on the overlay without the Cluster: ${fmt(o.median, 0)} ms, ${fmt(o.median / a.median)}× alone; the rest is placement (GET /nodes and every node's pod list)`,
  });
  const [dc, da, dov] = [s(start.delete.cluster!), s(start.delete.alone!), s(start.delete.overlay!)];
  rows.push({
    section: SECTION.start, case: 'pod delete on node2 through the Cluster (the pod just started)', unit: 'ms', podling: dc,
    baselines: [baseline('node2 alone (its own bridge, no swarm)', dc, da, pairedOf(start.delete.cluster!, start.delete.alone!)), baseline('node2\'s Pods on the overlay, no placement', dc, dov, pairedOf(start.delete.cluster!, start.delete.overlay!))],
  });
  const r = net.requests;
  const [x3, x2, lo, b3, b2] = [s(r.node3), s(r.node2), s(r.loopback), s(r.node3ByName), s(r.node2ByName)];
  const perRequest = `ms per request, ${REQUESTS} busybox wgets back to back timed inside the client (adjtimex, µs), each a new process and connection`;
  rows.push(
    { section: SECTION.requests, case: `request node2 → node3 by IP (cross-node, VXLAN) — ${perRequest}`, unit: 'ms', podling: x3, baselines: [baseline('node2 → node2 by IP (same node)', x3, x2, pairedOf(r.node3, r.node2)), baseline('loopback in the client', x3, lo, pairedOf(r.node3, r.loopback))] },
    { section: SECTION.requests, case: 'request node2 → node3 by name (a lookup on the overlay\'s DNS each time)', unit: 'ms', podling: b3, baselines: [baseline('node2 → node2 by IP (same node)', b3, x2), baseline('loopback in the client', b3, lo)], note: `same node by name: ${fmt(b2.median)} ms; one nslookup of a node3 pod's name inside the client: ${fmt(s(net.lookup).median)} ms` },
  );
  const [p3, p2] = [s(net.ping.node3), s(net.ping.node2)];
  rows.push({ section: SECTION.requests, case: `ICMP round trip node2 → node3 (ping -c ${PINGS} -i 0.01 inside the client, its average; the network without a process per request)`, unit: 'ms', podling: p3, baselines: [baseline('node2 → node2 by IP (same node)', p3, p2, pairedOf(net.ping.node3, net.ping.node2))] });
  const [mc, ms] = [net.moves.cross, net.moves.same];
  const lookup = s(net.lookup).median;
  const returned = (m: Moves) => `from the create's return ${fmt(s(m.fromReturn).median, 0)} ms (negative: before it returned; ${m.fromReturn.filter((v) => v <= 0).length} of ${m.fromReturn.length} rounds)`;
  const reused = (m: Moves) => (m.addressReused ? `; ${m.addressReused} rounds not counted (the new pod got the old address back)` : '');
  const [cs, ss, cl, sl] = [s(mc.fromStart), s(ms.fromStart), s(mc.remoteLag), s(ms.remoteLag)];
  rows.push(
    {
      section: SECTION.dns, case: 'DNS after a pod moves node3 → node1 (deleted, made again with the same name): ms from the create\'s start until the client on node2 resolves the name to the new address only', unit: 'ms', podling: cs,
      baselines: [baseline('the same move within node2 (client, old and new pod on one node)', cs, ss, pairedOf(mc.fromStart, ms.fromStart))],
      note: `cross-node ${returned(mc)}; within node2 ${returned(ms)}; lookups back to back inside the client pod, one ≈ ${fmt(lookup)} ms${reused(mc)}${reused(ms)}`,
    },
    {
      section: SECTION.dns, case: 'the same move: ms between node1 (which holds the new pod) resolving the name to it and node2 doing so, each seen from a pod there', unit: 'ms', podling: cl,
      baselines: [baseline('one lookup inside the client', cl, s(net.lookup))],
      note: `the reverse for the move within node2 (node1's pod after node2's): ${fmt(sl.median, 0)} ms (min ${fmt(sl.min, 0)}, max ${fmt(sl.max, 0)})`,
    },
  );
  const notes: string[] = [];
  if (growth) {
    const w = (v: number[]) => summarize(v);
    const [first, last] = [w(growth.creates.slice(0, WINDOW)), w(growth.creates.slice(-WINDOW))];
    const [delN, del1] = [w(growth.deletes.slice(0, WINDOW)), w(growth.deletes.slice(-WINDOW))];
    const n = growth.creates.length;
    const ceiling = growth.ceiling ? ` (${GROWTH_PODS} asked: the ${growth.ceiling.pod}th could not be made, ${growth.ceiling.reason.replace(/^pod \S+ Failed: /, '')}: the engine's default address pools are used up by the pods' own bridges)` : '';
    rows.push(
      { section: SECTION.growth, case: `create through the Cluster, pinned to ${growth.node}, one pod after another: pods ${n - WINDOW + 1}–${n} there (median)${ceiling} — one run`, unit: 'ms', podling: last, baselines: [baseline(`pods 1–${WINDOW}`, last, first)], note: `single pods: 1st (which also attaches ${growth.node} to the overlay) ${fmt(growth.creates[0]!, 0)} ms, ${n}th ${fmt(growth.creates.at(-1)!, 0)} ms (${fmt(growth.creates.at(-1)! / growth.creates[0]!)}×); the Cluster's fan-out pod list ${fmt(growth.listAtOne, 0)} ms with 1 pod, ${fmt(growth.listAtN, 0)} ms with ${n}; single engine: bench/growth.ts (branch podnet)` },
      { section: SECTION.growth, case: `delete through the Cluster on ${growth.node}, newest first: with ${n} to ${n - WINDOW + 1} pods there (median)`, unit: 'ms', podling: delN, baselines: [baseline(`with ${WINDOW} to 1 there`, delN, del1)], note: `iptables rules in ${growth.node}'s namespace: ${growth.rules.before} before, ${growth.rules.atN} with ${n} pods, ${growth.rules.after} after; ${growth.failures.length} failures${growth.others ? `; ${growth.others} pods of others were on the node` : ''}` },
    );
    notes.push(...growthNotes(growth));
  }
  return { rows, notes, data: { rounds: ROUNDS, requestsPerRound: REQUESTS, start, net, growth } };
}

function growthNotes(g: GrowthResult): string[] {
  const decile = (v: number[]) => Array.from({ length: Math.ceil(v.length / 10) }, (_, i) => fmt(summarize(v.slice(i * 10, i * 10 + 10)).median, 0)).join(', ');
  return [
    `### Several nodes: growth on ${g.node}, ten pods at a time`, '',
    `${g.creates.length} pods (one container, \`sleep\` that exits on SIGTERM) created one after another through the Cluster with \`nodeName: ${g.node}\`, then deleted newest first; each call timed on its own (ms). Medians per ten pods, in order:`, '',
    `- create: ${decile(g.creates)}`,
    `- delete (newest first): ${decile(g.deletes)}`, '',
    ...(g.failures.length ? ['Failures:', '', ...g.failures.slice(0, 5).map((f) => `- ${f}`), ''] : []),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const when = new Date();
  nodeBench(console.error).then(async (r) => {
    if ('skipped' in r) {
      console.log(`skipped: ${r.skipped}`);
      return;
    }
    const lines = [aloneLabel('node --import tsx bench/nodes.ts', when, `the multi-node test bed (three dockerd, ${await engineVersion('/run/podling-nodes/node1/docker.sock')})`, '/run/podling-nodes/node{1,2,3}/docker.sock', 'PODLING_BENCH_NODES'), '', tables(r.rows), ...r.notes];
    writeAloneSection('## Several nodes (the swarm test bed): measured alone', lines);
    console.log(lines.join('\n'));
  }).catch((err) => { console.error(err); process.exit(1); });
}
