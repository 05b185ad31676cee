import { createHash } from 'node:crypto';
import * as assert from 'uvu/assert';
import type { Engine } from '../../src/engine/index.js';
import { isNotFound } from '../../src/engine/errors.js';
import { Pods, ServiceError, type PodInput } from '../../src/pod/index.js';
import type { Mode } from '../../src/testing/index.js';
import { IMAGE, labelled, poll, TEST_CREATOR } from './pods.js';

/**
 * Helpers for tests of the cluster network and services. Each scenario gets a cluster network of
 * its own (its name from the harness, a /24 of its own), so scenarios and suites never share one
 * and can run beside other tests on the same engine.
 *
 * The subnets are in one /16 (10.212.0.0/16 on the main engine; test/run.ts gives each engine its
 * own, PODLING_TEST_SCENARIO_SUBNETS), apart from the tier's own cluster network and a real
 * `podling-cluster`: the engine refuses a network whose subnet overlaps another's ("Pool overlaps
 * with other one on this address space"), and Podling one that overlaps a route of the host.
 */
export interface Cluster { name: string; subnet: string }

/** `10.212.<octet>.0/24` on the main engine; each scenario names its own octet (see the table in each test file). */
export const subnet = (octet: number) => `${process.env.PODLING_TEST_SCENARIO_SUBNETS || '10.212'}.${octet}.0/24`;

/** Whether `ip` is in the /24 `cidr` names. */
export const inSubnet = (ip: string | undefined, cidr: string) => ip !== undefined && ip.startsWith(cidr.replace(/0\/24$/, ''));

/**
 * Pods on `cluster`, with ids `<6 hex from the scenario>` + `<4 hex counter>` and a fixed creator:
 * both appear in request bodies, so a recording replays.
 */
export function clusterPods(engine: Engine, scenario: string, cluster: Cluster): Pods {
  const prefix = createHash('sha256').update(scenario).digest('hex').slice(0, 6);
  let counter = 0;
  return new Pods(engine, { newId: () => `${prefix}${(++counter).toString(16).padStart(4, '0')}`, creator: TEST_CREATOR, cluster });
}

/** A pod whose one container `web` serves `body` at `/` on `port` (busybox httpd). */
export function webPod(name: string, options: { labels?: Record<string, string>; annotations?: Record<string, string>; port?: number; body?: string; listen?: string; hostNetwork?: boolean } = {}): PodInput {
  const listen = options.listen ?? String(options.port ?? 80);
  return {
    metadata: { name, ...(options.labels ? { labels: options.labels } : {}), ...(options.annotations ? { annotations: options.annotations } : {}) },
    spec: {
      containers: [{
        name: 'web', image: IMAGE, imagePullPolicy: 'IfNotPresent',
        command: ['sh', '-c', `mkdir -p /www && echo '${options.body ?? name}' > /www/index.html && exec httpd -f -p ${listen} -h /www`],
      }],
      ...(options.hostNetwork ? { hostNetwork: true } : {}),
    },
  };
}

/** A pod that only runs `sleep` (or `command`): a client to exec into, or a pod to select. */
export function clientPod(name: string, options: { labels?: Record<string, string>; annotations?: Record<string, string>; hostNetwork?: boolean; restartPolicy?: 'Always' | 'OnFailure' | 'Never'; command?: string[] } = {}): PodInput {
  return {
    metadata: { name, ...(options.labels ? { labels: options.labels } : {}), ...(options.annotations ? { annotations: options.annotations } : {}) },
    spec: {
      containers: [{ name: 'client', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: options.command ?? ['sleep', '3600'] }],
      ...(options.hostNetwork ? { hostNetwork: true } : {}),
      ...(options.restartPolicy ? { restartPolicy: options.restartPolicy } : {}),
    },
  };
}

/** `busybox timeout 3 wget -qO- URL` in a container: busybox's own `wget -T` segfaults. */
export function fetchFrom(engine: Engine, container: string, url: string): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return engine.exec.run(container, ['busybox', 'timeout', '3', 'wget', '-qO-', url]);
}

/**
 * The IPv4 addresses `busybox nslookup NAME` answers in a container (Docker's embedded DNS at
 * 127.0.0.11), sorted; the server's own `Address: 127.0.0.11:53` line is left out.
 *
 * Only ever asked for names the cluster network knows: a name the embedded DNS does not know is
 * forwarded to the host's resolvers, and the tests send nothing off this machine.
 */
export async function lookup(engine: Engine, container: string, name: string): Promise<string[]> {
  const { stdout } = await engine.exec.run(container, ['busybox', 'nslookup', name]);
  return [...stdout.matchAll(/^Address: (\d+\.\d+\.\d+\.\d+)$/gm)].map((m) => m[1]!).sort();
}

/** Polls `lookup` until `done` holds (a bounded number of times) and returns the last answer. */
export function lookupUntil(mode: Mode, engine: Engine, container: string, name: string, done: (ips: string[]) => boolean): Promise<string[]> {
  return poll(mode, () => lookup(engine, container, name), done, 25, 200);
}

/**
 * The DNS names Podling gives pods and services of a namespace on the cluster network (see
 * src/pod/dns.ts), sorted as clusterAliases sorts them: written out here, not computed with the
 * code under test.
 */
export function dnsNames(names: { pods?: string[]; services?: string[] }, namespace = 'default'): string[] {
  return [
    ...(names.pods ?? []).flatMap((p) => [`${p}.${namespace}`, `${p}.${namespace}.svc.cluster.local`]),
    ...(names.services ?? []).flatMap((s) => [`${s}.${namespace}`, `${s}.${namespace}.svc`, `${s}.${namespace}.svc.cluster.local`]),
  ].sort();
}

/**
 * Every container on the cluster network with its aliases there, the engine's added short id and
 * hostname left out: `{ podling_web-1: ['web-1', 'web-service'] }`. This is what Docker's DNS answers from.
 */
export async function clusterAliases(engine: Engine, cluster: string): Promise<Record<string, string[]>> {
  const network = await engine.networks.inspect(cluster);
  const ids = Object.keys(network.Containers ?? {}).sort();
  // Podman also lists the containers that joined another's network namespace (a pod's apps);
  // dockerd lists only the one holding the endpoint. The pod is on the network through its infra.
  const details = (await Promise.all(ids.map((id) => engine.containers.inspect(id)))).filter((d) => !d.HostConfig.NetworkMode?.startsWith('container:'));
  return Object.fromEntries(details.map((d) => [
    d.Name.replace(/^\//, ''),
    (d.NetworkSettings.Networks?.[cluster]?.Aliases ?? []).filter((a) => a !== d.Id.slice(0, 12) && a !== d.Config.Hostname).sort(),
  ]).sort(([a], [b]) => String(a).localeCompare(String(b))));
}

/** The infra container's address on the cluster network, from an inspect; undefined when not on it. */
export async function clusterAddress(engine: Engine, pod: string, cluster: string): Promise<string | undefined> {
  const detail = await engine.containers.inspect(`podling_${pod}`);
  return detail.NetworkSettings.Networks?.[cluster]?.IPAddress || undefined;
}

/** Deletes services for `finally` blocks: one already gone is fine. */
export async function removeServices(pods: Pods, ...names: string[]): Promise<void> {
  for (const name of names) {
    await pods.deleteService(name).catch((err: unknown) => {
      if (!(err instanceof ServiceError && /not found/.test(err.message))) throw err;
    });
  }
}

/** Removes the scenario's cluster network; one already gone is fine. */
export async function removeCluster(engine: Engine, name: string): Promise<void> {
  await engine.networks.remove(name).catch((err: unknown) => {
    if (!isNotFound(err)) throw err;
  });
}

/**
 * Asserts the engine holds nothing of the scenario: no container or network of its pods, no
 * holder container of its services, no cluster network of its name.
 */
export async function assertNothingLeft(engine: Engine, what: { pods?: string[]; services?: string[]; cluster?: string }): Promise<void> {
  for (const pod of what.pods ?? []) {
    assert.equal(await labelled(engine, `podling.io/pod-name=${pod}`), { containers: [], networks: [] }, `objects of pod ${pod} left behind`);
  }
  for (const service of what.services ?? []) {
    assert.equal((await labelled(engine, `podling.io/service-name=${service}`)).containers, [], `holder of service ${service} left behind`);
  }
  if (what.cluster) {
    const left = await engine.networks.inspect(what.cluster).then(() => true, (err: unknown) => { if (isNotFound(err)) return false; throw err; });
    assert.not.ok(left, `cluster network ${what.cluster} left behind`);
  }
}
