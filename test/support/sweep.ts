import type { Engine } from '../../src/engine/index.js';
import { ignoreMissing } from '../../src/pod/execute.js';
import { deletePod } from '../../src/pod/delete.js';
import { LABEL } from '../../src/pod/labels.js';
import { readPods } from '../../src/pod/read.js';
import { TEST_CREATOR } from './pods.js';

/**
 * What an earlier run of the tests left on the engine when it was killed before its teardowns ran
 * (a CI job stopped, a developer's ^C): pods, services, ConfigMaps and Secrets with the tests'
 * creator label, and engine objects named by `objectName` (`podling-test-…`). Each scenario cleans
 * up after itself, but a fixed name left behind would make the next run's create of it a conflict,
 * so a live or recording tier starts by removing them. Nothing else on the engine is touched: a
 * developer's own pods have another creator and other names.
 */
export const TEST_NAME_PREFIX = 'podling-test-';

export interface Sweep { removed: string[]; left: string[] }

export async function sweepLeftovers(engine: Engine): Promise<Sweep> {
  const sweep: Sweep = { removed: [], left: [] };
  // One object that cannot go (a network still in use by something else) is said, not fatal.
  const remove = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
      sweep.removed.push(what);
    } catch (err) {
      sweep.left.push(`${what} (${(err as Error).message.split('\n')[0]})`);
    }
  };
  const byTests = `${LABEL.creator}=${TEST_CREATOR}`;
  // Pods through Podling's own delete: apps before the infra, then the pod's networks and volumes.
  for (const pod of await readPods(engine, { labels: [byTests] })) {
    await remove(`pod ${pod.namespace}/${pod.name}`, () => deletePod(engine, pod, { force: true }));
  }
  const testNamed = (name: string) => name.replace(/^\//, '').startsWith(TEST_NAME_PREFIX);
  // Services, ConfigMap and Secret holders, and any container a test made under a test name.
  const containers = [
    ...await engine.containers.list({ all: true, filters: { label: [byTests] } }),
    ...(await engine.containers.list({ all: true })).filter((c) => c.Names.some(testNamed)),
  ];
  for (const c of new Map(containers.map((c) => [c.Id, c])).values()) {
    await remove(`container ${c.Names[0]?.replace(/^\//, '') ?? c.Id}`, () => engine.containers.remove(c.Id, { force: true, volumes: true }).catch(ignoreMissing));
  }
  for (const n of (await engine.networks.list()).filter((n) => testNamed(n.Name) || n.Labels?.[LABEL.creator] === TEST_CREATOR)) {
    // By name: Podman 4.3 removes a network given by id even while containers use it (by name it
    // refuses, as dockerd does either way), and its bridge then stays behind on the host.
    await remove(`network ${n.Name}`, () => engine.networks.remove(n.Name).catch(ignoreMissing));
  }
  for (const v of (await engine.volumes.list()).filter((v) => testNamed(v.Name) || v.Labels?.[LABEL.creator] === TEST_CREATOR)) {
    await remove(`volume ${v.Name}`, () => engine.volumes.remove(v.Name, { force: true }).catch(ignoreMissing));
  }
  return sweep;
}
