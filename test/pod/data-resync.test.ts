import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { executeActions } from '../../src/pod/execute.js';
import { LABEL } from '../../src/pod/labels.js';
import { observePod } from '../../src/pod/observe.js';
import { planPod } from '../../src/pod/plan.js';
import { readPods } from '../../src/pod/read.js';
import { mode, scenario } from '../support/scenario.js';
import { containerId, IMAGE, TEST_CREATOR, testPods } from '../support/pods.js';

// What the agent does when a sandbox is remade (its sync: read, observe, plan, execute, as in
// src/agent/agent.ts), run here by hand so the engine traffic can be recorded: the new infra's
// file volumes are filled again, and an app that reads status.podIP gets the new sandbox's address
// Live only: the new attempt's back-off label carries the old attempt's finish time, which the
// recorder shifts in answers but not in the request that echoes it, so no fixture could replay.
const resync = suite('pod/data-resync');

if (mode === 'live') scenario(resync, 'a remade sandbox refills its ConfigMap files and gives the apps its own address', async ({ engine, defer, now }) => {
  const pods = testPods(engine, 'pod/data-resync remade');
  defer(() => pods.deleteConfigMap('kd-resync-cm'), 'kd-resync-cm');
  await pods.createConfigMap({ metadata: { name: 'kd-resync-cm' }, data: { greeting: 'hello' } });
  defer(() => pods.delete('kd-resync', { force: true }), 'kd-resync');
  const first = await pods.create({
    metadata: { name: 'kd-resync' },
    spec: {
      containers: [{
        name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'],
        env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
        volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg' }],
      }],
      volumes: [{ name: 'cfg', configMap: { name: 'kd-resync-cm' } }],
    },
  });
  // The sandbox goes away, as when dockerd loses it or someone removes it.
  await engine.containers.remove('podling_kd-resync', { force: true });

  const [record] = await readPods(engine, { labels: [`${LABEL.podName}=kd-resync`] });
  const observed = await observePod(engine, record!);
  const actions = planPod({ pod: record!.spec!, observed, now: now() * 1000, supervised: true });
  assert.ok(actions.sandbox, 'the plan remakes the sandbox');
  await executeActions(pods.runtime, record!.spec!, observed, actions, { podId: record!.id, creator: TEST_CREATOR, supervised: true, grace: 0 });

  const again = await pods.get('kd-resync');
  assert.ok(again.status.podIP, 'the new sandbox has an address');
  const id = containerId(again, 'app');
  assert.is.not(id, containerId(first, 'app'));
  const seen = await engine.exec.run(id, ['sh', '-c', 'cat /etc/cfg/greeting; echo; echo "$POD_IP"']);
  assert.is(seen.stdout, `hello\n${again.status.podIP}\n`);
}, { unsupported: { podman: 'Podman 4.3 refuses to remove a container whose namespaces others join ("has dependent containers which must be removed before it"): an infra cannot be removed by hand under its apps' } });

resync.run();
