/**
 * What every benchmark module shares: where the engine is, and Podling as users run it.
 *
 * Podling's candidates run the compiled library (dist/, built by `npm run build`, which `make
 * bench` runs first), not the TypeScript sources through tsx: tsx's transform wraps every function
 * in a naming helper, which costs microseconds per call that no user pays. Types still come from
 * src, so `make typecheck` does not need dist/.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SOCKET = '/var/run/docker.sock';
/** Every docker CLI run gets this explicitly: never the CLI's default context or a remote host. */
export const DOCKER_HOST = `unix://${SOCKET}`;
/** Present locally (built by scripts/engine.sh); used with imagePullPolicy IfNotPresent or Never. */
export const APP_IMAGE = 'podling-test/busybox:latest';
/** Labels of every object a baseline makes, and the value that says this process made it. */
export const BENCH_PREFIX = 'podling-bench.io/';
export const BENCH_MANAGED = `${BENCH_PREFIX}managed`;
export const BENCH_CREATOR = `${BENCH_PREFIX}creator`;
export const CREATOR = `${hostname()}:${process.pid}`;
/**
 * The cluster network the pod benchmarks' pods join (Podling's and every baseline's): the bench's
 * own, not the shared `podling-cluster`, so that other users of the engine and the bench never
 * hold each other's network, and removing it at the end proves the engine kept no endpoint of it.
 */
export const BENCH_CLUSTER = { name: 'podling-bench-cluster', subnet: '10.213.0.0/16' };

/** A module of the compiled library by its path under dist/ (types: pass `typeof import('../src/...')`). */
export async function dist<T>(path: string): Promise<T> {
  const url = new URL(`../dist/${path}`, import.meta.url);
  if (!existsSync(url)) throw new Error(`${fileURLToPath(url)} is missing: run \`npm run build\` first (make bench does)`);
  return import(url.href) as Promise<T>;
}

export const podling = await dist<typeof import('../src/index.js')>('index.js');
export const podlingPods = await dist<typeof import('../src/pod/index.js')>('pod/index.js');
export const podlingCluster = await dist<typeof import('../src/pod/cluster.js')>('pod/cluster.js');
export const podlingPrune = await dist<typeof import('../src/pod/prune.js')>('pod/prune.js');
export const podlingInfra = await dist<typeof import('../src/pod/infra.js')>('pod/infra.js');
export type Engine = InstanceType<typeof podling.Engine>;

/** The environment for the docker CLI: the engine named explicitly, no hints, no update checks. */
export function dockerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, DOCKER_HOST, DOCKER_CLI_HINTS: 'false', ...extra };
}

/** Milliseconds since `since` (from process.hrtime.bigint()). */
export const msSince = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;

/**
 * Removes a cluster network a benchmark made, if it is there; what the engine said when it would
 * not. The engine can still count the endpoint of a container removed a moment ago (403 "has
 * active endpoints"), so it tries again for a while; Docker 20.10 sometimes keeps such a count for
 * good (no container is attached, `network disconnect -f` finds no endpoint), until it restarts.
 */
export async function removeNetwork(engine: Engine, name: string): Promise<string | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      await engine.networks.remove(name);
      return undefined;
    } catch (err) {
      if (podling.isNotFound(err)) return undefined;
      if (attempt >= 10) return (err as Error).message;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
