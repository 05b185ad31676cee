/**
 * Service benchmarks (issue 4): how long after `pods.create` returns a new pod is answered under a
 * service name, and how long after `pods.delete` returns it is no longer, as a client pod sees it
 * through Docker's DNS (`busybox nslookup` by exec, polled back to back). Baselines from the same
 * run: the time until a pod's own name resolves after its create returns (the same mechanism: an
 * alias on the cluster network endpoint, set when the infra connects), and one `nslookup` exec
 * round trip (the resolution of the polling itself). Medians of ROUNDS.
 *
 * Only names that exist are ever looked up: a stable pod keeps the service name alive while others
 * come and go, because Docker forwards an unknown name to the host's resolvers and nothing here may
 * send a query off this machine. Everything lives on a cluster network of its own (10.212.250.0/24).
 */
import { pathToFileURL } from 'node:url';
import type { PodInput } from '../src/pod/index.js';
import { SOCKET, podling, podlingPods } from './lib.js';
import { baseline, type Row } from './report.js';
import { summarize, time } from './stats.js';

const { Engine, isNotFound } = podling;
const { Pods, PodNotFoundError, ServiceError } = podlingPods;
const SECTION = 'Services (DNS through the cluster network, seen from a client pod)';
/** Present locally; `Never` so that a missing image fails instead of reaching for a registry. */
const IMAGE = 'podling-test/busybox:latest';
const ROUNDS = Number(process.env.PODLING_BENCH_SERVICE_ROUNDS ?? 5);
const CLUSTER = { name: 'podling-bench-services', subnet: '10.212.250.0/24' };
const SERVICE = 'bsvc-svc';
const LABELS = { bench: 'bsvc' };
/** Give up on a change after this long: a broken sync must not hang the benchmark. */
const LIMIT_MS = 15_000;

const pod = (name: string, labels?: Record<string, string>): PodInput => ({
  metadata: { name, ...(labels ? { labels } : {}) },
  spec: { containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'Never', command: ['sleep', '3600'] }] },
});

export async function serviceBench(socketPath = SOCKET, log: (line: string) => void = () => {}): Promise<Row[]> {
  const engine = new Engine({ socketPath });
  const pods = new Pods(engine, { cluster: CLUSTER });
  const names = ['bsvc-client', 'bsvc-stable', ...Array.from({ length: ROUNDS }, (_, i) => [`bsvc-join-${i}`, `bsvc-own-${i}`]).flat()];
  const cleanUp = async () => {
    await pods.deleteService(SERVICE).catch((err: unknown) => { if (!(err instanceof ServiceError)) throw err; });
    for (const name of names) await pods.delete(name, { force: true }).catch((err: unknown) => { if (!(err instanceof PodNotFoundError)) throw err; });
    await engine.networks.remove(CLUSTER.name).catch((err: unknown) => { if (!isNotFound(err)) throw err; });
  };
  try {
    await cleanUp(); // what a crashed run left
    const clientPod = await pods.create(pod('bsvc-client'));
    const client = clientPod.status.containerStatuses[0]!.containerID.replace(/^docker:\/\//, '');
    const stable = await pods.create(pod('bsvc-stable', LABELS));
    await pods.createService({ name: SERVICE, selector: LABELS, port: 80 });

    const lookup = async (name: string) => {
      const { stdout } = await engine.exec.run(client, ['busybox', 'nslookup', name]);
      return [...stdout.matchAll(/^Address: (\d+\.\d+\.\d+\.\d+)$/gm)].map((m) => m[1]!);
    };
    /** Looks `name` up back to back until `done`; ms since `since`, and how many lookups it took. */
    const until = async (since: bigint, name: string, done: (ips: string[]) => boolean) => {
      for (let lookups = 1; ; lookups++) {
        const ips = await lookup(name);
        const ms = Number(process.hrtime.bigint() - since) / 1e6;
        if (done(ips)) return { ms, lookups };
        if (ms > LIMIT_MS) throw new Error(`${name} did not change within ${LIMIT_MS} ms (answers ${ips.join(', ') || 'none'})`);
      }
    };
    const stableIp = stable.status.podIP!;
    await until(process.hrtime.bigint(), SERVICE, (ips) => ips.includes(stableIp));

    const join: number[] = [];
    const leave: number[] = [];
    const own: number[] = [];
    const roundTrip: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      // Joining: a selected pod's address under the service name.
      const joining = await pods.create(pod(`bsvc-join-${i}`, LABELS));
      const ip = joining.status.podIP!;
      const joined = await until(process.hrtime.bigint(), SERVICE, (ips) => ips.includes(ip));
      join.push(joined.ms);
      // Baseline: a new pod's own name.
      const plain = await pods.create(pod(`bsvc-own-${i}`));
      const resolved = await until(process.hrtime.bigint(), `bsvc-own-${i}`, (ips) => ips.includes(plain.status.podIP!));
      own.push(resolved.ms);
      // Baseline: one lookup of a name that is there.
      roundTrip.push(await time(() => lookup(SERVICE)));
      // Leaving: the deleted pod's address is no longer answered (the stable pod keeps the name).
      await pods.delete(`bsvc-join-${i}`, { force: true });
      const left = await until(process.hrtime.bigint(), SERVICE, (ips) => !ips.includes(ip) && ips.includes(stableIp));
      leave.push(left.ms);
      await pods.delete(`bsvc-own-${i}`, { force: true });
      log(`round ${i + 1}: join ${joined.ms.toFixed(0)} ms (${joined.lookups} lookups), leave ${left.ms.toFixed(0)} ms (${left.lookups}), own name ${resolved.ms.toFixed(0)} ms (${resolved.lookups}), one lookup ${roundTrip.at(-1)!.toFixed(0)} ms`);
    }
    const [j, l, o, r] = [summarize(join), summarize(leave), summarize(own), summarize(roundTrip)];
    return [
      { section: SECTION, case: 'service name answers a new pod (ms after create returns)', unit: 'ms', podling: j, baselines: [baseline('its own pod name resolves', j, o), baseline('one nslookup exec', j, r)] },
      { section: SECTION, case: 'service name stops answering a deleted pod (ms after delete returns)', unit: 'ms', podling: l, baselines: [baseline('one nslookup exec', l, r)] },
    ];
  } finally {
    await cleanUp();
    await engine.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  serviceBench(SOCKET, console.log).then((rows) => {
    for (const r of rows) console.log(`${r.case}: median ${r.podling.median.toFixed(0)} ms (min ${r.podling.min.toFixed(0)}, max ${r.podling.max.toFixed(0)}); ${r.baselines.map((b) => `${b.name} ${b.sample.median.toFixed(0)} ms = ${b.ratio.toFixed(2)}×`).join('; ')}`);
  }).catch((err) => { console.error(err); process.exit(1); });
}
