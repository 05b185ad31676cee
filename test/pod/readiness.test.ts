import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { syncAliases } from '../../src/pod/aliases.js';
import { readProbeStatus, writeProbeStatus } from '../../src/pod/readiness.js';
import { readServices } from '../../src/pod/services.js';
import { clusterPods, subnet } from '../support/cluster.js';
import { containerId, IMAGE } from '../support/pods.js';
import { scenario } from '../support/scenario.js';

// Readiness lives in the engine: the agent writes probe results into the pod's infra container,
// and pod get, pod list and service get read them from there, so every process agrees with the
// agent (fixtures/pod/readiness/). Here the results are written as the agent writes them.
const readiness = suite('pod/readiness');

scenario(readiness, 'a pod with a readiness probe is unready until results say otherwise; written results make it ready in get, list, the service endpoints and its DNS names', async ({ engine, name, defer, track }) => {
  const cluster = { name: track.network(name('cluster')), subnet: subnet(40) };
  const pods = clusterPods(engine, 'pod/readiness results', cluster);
  const pod = 'pt-ready';
  defer(() => pods.deleteService('pt-ready-svc'), 'the service');
  defer(() => pods.delete(pod, { force: true }), pod);
  await pods.createService({ name: 'pt-ready-svc', selector: { app: 'pt-ready' }, port: 80 });
  const created = await pods.create({
    metadata: { name: pod, labels: { app: 'pt-ready' } },
    spec: { containers: [{ name: 'web', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], readinessProbe: { tcpSocket: { port: 80 } } }] },
  });
  const web = containerId(created, 'web');
  const infra = (await engine.containers.list({ filters: { label: [`podling.io/pod-name=${pod}`, 'podling.io/role=infra'] } }))[0]!.Id;
  const aliases = async () => (await engine.containers.inspect(infra)).NetworkSettings.Networks?.[cluster.name]?.Aliases ?? [];

  // Readiness starts false: no agent has said otherwise.
  let got = await pods.get(pod);
  assert.equal([got.status.containerStatuses[0]!.ready, got.status.conditions?.find((c) => c.type === 'Ready')?.status], [false, 'False']);
  assert.equal((await pods.getService('pt-ready-svc')).endpoints, []);
  assert.ok(!(await aliases()).includes('pt-ready-svc.default'), 'an unready pod does not carry the service\'s name');
  assert.is(await readProbeStatus(engine, infra), undefined);

  // Results about another attempt of the container count for nothing.
  await writeProbeStatus(engine, infra, { containers: { web: { id: 'f'.repeat(64), ready: true, started: true } }, updated: '2026-01-01T00:00:00.000Z' });
  assert.is((await pods.get(pod)).status.containerStatuses[0]!.ready, false);

  await writeProbeStatus(engine, infra, { containers: { web: { id: web, ready: true, started: true } }, updated: '2026-01-01T00:00:01.000Z' });
  assert.equal((await readProbeStatus(engine, infra))?.containers.web, { id: web, ready: true, started: true });
  got = await pods.get(pod);
  assert.equal([got.status.containerStatuses[0]!.ready, got.status.conditions?.find((c) => c.type === 'Ready')?.status], [true, 'True']);
  assert.is((await pods.list({ selector: 'app=pt-ready' }))[0]!.status.containerStatuses[0]!.ready, true, 'pod list agrees');
  assert.equal((await pods.getService('pt-ready-svc')).endpoints, [`${got.status.podIP}:80`]);
  await syncAliases(engine, cluster.name, await readServices(engine));
  assert.ok((await aliases()).includes('pt-ready-svc.default'), 'ready: it carries the service\'s name');

  await writeProbeStatus(engine, infra, { containers: { web: { id: web, ready: false, started: true, message: 'connect ECONNREFUSED' } }, updated: '2026-01-01T00:00:02.000Z' });
  await syncAliases(engine, cluster.name, await readServices(engine));
  assert.ok(!(await aliases()).includes('pt-ready-svc.default'), 'unready again: the name goes');
  assert.equal((await pods.getService('pt-ready-svc')).endpoints, []);
});

readiness.run();
