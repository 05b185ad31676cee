import { createHash } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PodFailedError } from '../../src/pod/index.js';
import { scenario } from '../support/scenario.js';
import { containerId, IMAGE, poll, rejection, testPods } from '../support/pods.js';
import { requestsDuring } from '../support/sent.js';

// env[].valueFrom and envFrom against the engine (fixtures/pod/env-live/). A Secret's value is
// checked through its sha256 computed inside the container: the recorder keeps marked exchanges
// redacted, so the value itself is in no fixture, and the digest is the same in every tier.
const live = suite('pod/env-live');

const PASSWORD = 'kd-s3cret-env-5521';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

scenario(live, 'a pod reads its name, namespace and IP from fieldRef, a ConfigMap and a Secret as env, and $(VAR) in its command', async ({ engine, mode, defer }) => {
  const pods = testPods(engine, 'pod/env-live reads');
  defer(() => pods.deleteConfigMap('kd-env-cm'), 'kd-env-cm');
  defer(() => pods.deleteSecret('kd-env-secret'), 'kd-env-secret');
  await pods.createConfigMap({ metadata: { name: 'kd-env-cm' }, data: { COLOR: 'blue', SIZE: '3' } });
  await pods.createSecret({ metadata: { name: 'kd-env-secret' }, stringData: { password: PASSWORD } });
  defer(() => pods.delete('kd-env', { force: true }), 'kd-env');
  const pod = await pods.create({
    metadata: { name: 'kd-env', labels: { app: 'kd-env' } },
    spec: {
      containers: [{
        name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent',
        command: ['sh', '-c', 'echo "started $(POD_NAME) in $(COLOR) $$HOME"; exec sleep 3600'],
        envFrom: [{ configMapRef: { name: 'kd-env-cm' }, prefix: 'CM_' }],
        env: [
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: 'metadata.labels[\'app\']' } } },
          { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'kd-env-cm', key: 'COLOR' } } },
          { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'kd-env-secret', key: 'password' } } },
          { name: 'MEMORY_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        ],
        resources: { limits: { memory: '64Mi' } },
      }],
    },
  });
  assert.is(pod.status.phase, 'Running');
  assert.ok(pod.status.podIP, 'the pod has an address');
  const id = containerId(pod, 'app');
  const printed = await engine.exec.run(id, ['sh', '-c', 'env | grep -E "^(POD_|APP=|COLOR=|CM_|MEMORY_MI=)" | sort']);
  assert.is(printed.stdout, `APP=kd-env\nCM_COLOR=blue\nCM_SIZE=3\nCOLOR=blue\nMEMORY_MI=64\nPOD_IP=${pod.status.podIP}\nPOD_NAME=kd-env\nPOD_NAMESPACE=default\n`);
  // Half the digest: a whole one is 64 hex, which the recorder takes for an engine id and replaces.
  const digest = await engine.exec.run(id, ['sh', '-c', 'printf %s "$PASSWORD" | sha256sum | cut -c1-32']);
  assert.is(digest.stdout, `${sha256(PASSWORD).slice(0, 32)}\n`);
  const lines = await poll(mode, async () => {
    const got: string[] = [];
    for await (const line of pods.logs('kd-env')) got.push(line.text);
    return got;
  }, (got) => got.length > 0, 20, 100);
  assert.equal(lines, ['started kd-env in blue /root'], '$$HOME reached the shell as $HOME');
});

scenario(live, 'a configMapKeyRef to a missing key is one error, and nothing is written to the engine', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/env-live missing key');
  defer(() => pods.deleteConfigMap('kd-env-cm2'), 'kd-env-cm2');
  await pods.createConfigMap({ metadata: { name: 'kd-env-cm2' }, data: { COLOR: 'blue' } });
  let err: unknown;
  const sent = await requestsDuring(async () => {
    err = await rejection(pods.create({
      metadata: { name: 'kd-env-missing' },
      spec: { containers: [{ name: 'app', image: IMAGE, env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'kd-env-cm2', key: 'NOPE' } } }] }] },
    }));
  });
  assert.instance(err, PodFailedError);
  assert.is((err as PodFailedError).reason, 'CreateContainerConfigError');
  assert.match(String(err), /container app: env X: key "NOPE" not found in ConfigMap "kd-env-cm2"/);
  assert.equal(sent.filter((r) => !r.startsWith('GET ')), [], 'only reads');
});

scenario(live, 'a pod reads the ConfigMap of its own namespace, and its claim is its namespace\'s', async ({ engine, defer, track }) => {
  const pods = testPods(engine, 'pod/env-live namespaces');
  defer(() => pods.deleteConfigMap('kd-ns-cm'), 'kd-ns-cm in default');
  defer(() => pods.deleteConfigMap('kd-ns-cm', { namespace: 'kd-team' }), 'kd-ns-cm in kd-team');
  await pods.createConfigMap({ metadata: { name: 'kd-ns-cm' }, data: { COLOR: 'blue' } });
  await pods.createConfigMap({ metadata: { name: 'kd-ns-cm', namespace: 'kd-team' }, data: { COLOR: 'green' } });
  track.volume('podling-pvc-kd-ns-claim.kd-team');
  defer(() => pods.delete('kd-ns-pod', { namespace: 'kd-team', force: true }), 'kd-ns-pod');
  const pod = await pods.create({
    metadata: { name: 'kd-ns-pod', namespace: 'kd-team' },
    spec: {
      containers: [{
        name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'],
        env: [
          { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'kd-ns-cm', key: 'COLOR' } } },
        ],
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
      }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'kd-ns-claim' } }],
    },
  });
  const printed = await engine.exec.run(containerId(pod, 'app'), ['sh', '-c', 'echo "$NS $COLOR"; touch /data/x']);
  assert.is(printed.stdout, 'kd-team green\n');
  const [claim] = await engine.volumes.list({ filters: { label: ['podling.io/claim-name=kd-ns-claim'] } });
  assert.is(claim?.Name, 'podling-pvc-kd-ns-claim.kd-team');
  assert.is(claim?.Labels?.['podling.io/namespace'], 'kd-team');
});

live.run();
