import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PodFailedError } from '../../src/pod/index.js';
import { scenario } from '../support/scenario.js';
import { containerId, IMAGE, rejection, testPods } from '../support/pods.js';
import { requestsDuring } from '../support/sent.js';

// References to ConfigMaps and Secrets that do not exist (fixtures/pod/env-optional/): an optional
// one is skipped, as the kubelet skips it; a required one is one clear error and nothing is made.
// Found by the manifest corpus (test/corpus/env-configmap-secret.yaml, envfrom-prefix.yaml).
const optional = suite('pod/env-optional');

scenario(optional, 'optional references to a ConfigMap and a Secret that do not exist leave their variables unset, and the pod runs', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/env-optional skipped');
  defer(() => pods.deleteConfigMap('eo-present'), 'eo-present');
  await pods.createConfigMap({ metadata: { name: 'eo-present' }, data: { LEVEL: 'info' } });
  defer(() => pods.delete('eo-app', { force: true }), 'eo-app');
  const pod = await pods.create({
    metadata: { name: 'eo-app' },
    spec: {
      containers: [{
        name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'],
        envFrom: [{ configMapRef: { name: 'eo-missing-cm', optional: true } }, { secretRef: { name: 'eo-missing-secret', optional: true }, prefix: 'S_' }],
        env: [
          { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'eo-present', key: 'LEVEL' } } },
          { name: 'FLAGS', valueFrom: { configMapKeyRef: { name: 'eo-missing-cm', key: 'FLAGS', optional: true } } },
          { name: 'DSN', valueFrom: { secretKeyRef: { name: 'eo-missing-secret', key: 'dsn', optional: true } } },
        ],
      }],
    },
  });
  assert.is(pod.status.phase, 'Running');
  const printed = await engine.exec.run(containerId(pod, 'app'), ['sh', '-c', 'env | grep -E "^(LEVEL|FLAGS|DSN|S_)" | sort']);
  assert.is(printed.stdout, 'LEVEL=info\n');
});

scenario(optional, 'a required reference to a Secret that does not exist is one error naming the variable, and nothing is written', async ({ engine }) => {
  const pods = testPods(engine, 'pod/env-optional required');
  let err: unknown;
  const sent = await requestsDuring(async () => {
    err = await rejection(pods.create({
      metadata: { name: 'eo-required' },
      spec: { containers: [{ name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], env: [{ name: 'DSN', valueFrom: { secretKeyRef: { name: 'eo-missing-secret', key: 'dsn' } } }] }] },
    }));
  });
  assert.instance(err, PodFailedError);
  assert.match((err as Error).message, /env DSN: Secret "eo-missing-secret" not found/);
  assert.equal(sent.filter((r) => !r.startsWith('GET ')), [], 'only reads');
});

optional.run();
