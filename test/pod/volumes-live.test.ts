import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { scenario } from '../support/scenario.js';
import { containerId, IMAGE, testPods } from '../support/pods.js';

// configMap, secret, downwardAPI, projected, persistentVolumeClaim and hostPath volumes against
// the engine (fixtures/pod/volumes-live/). A Secret's file is checked through its sha256 computed
// inside the container (half of it: a whole one looks like an engine id to the recorder); the
// value itself is in no fixture (test/pod/configmaps.test.ts checks every pod fixture for it).
const live = suite('pod/volumes-live');

const PASSWORD = 'kd-s3cret-file-9034';
const sha = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);
const run = async (engine: Parameters<typeof testPods>[0], id: string, script: string) => {
  const result = await engine.exec.run(id, ['sh', '-c', script]);
  assert.is(result.exitCode, 0, `${script}: ${result.stderr}`);
  return result.stdout;
};

scenario(live, 'a ConfigMap and a Secret as files (the secret on a read-only tmpfs), one key through subPath, downwardAPI and projected files', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/volumes-live files');
  defer(() => pods.deleteConfigMap('kd-vol-cm'), 'kd-vol-cm');
  defer(() => pods.deleteSecret('kd-vol-secret'), 'kd-vol-secret');
  await pods.createConfigMap({ metadata: { name: 'kd-vol-cm' }, data: { 'app.conf': 'color=blue\n', other: 'o' } });
  await pods.createSecret({ metadata: { name: 'kd-vol-secret' }, stringData: { password: PASSWORD, user: 'me' } });
  defer(() => pods.delete('kd-vol', { force: true }), 'kd-vol');
  const pod = await pods.create({
    metadata: { name: 'kd-vol', labels: { app: 'kd-vol', tier: 'a' } },
    spec: {
      containers: [{
        name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], resources: { limits: { memory: '48Mi' } },
        volumeMounts: [
          { name: 'cfg', mountPath: '/etc/cfg' },
          { name: 'creds', mountPath: '/etc/creds' },
          { name: 'info', mountPath: '/etc/podinfo' },
          { name: 'all', mountPath: '/etc/all' },
          { name: 'cfg', mountPath: '/etc/app.conf', subPath: 'app.conf' },
        ],
      }],
      volumes: [
        { name: 'cfg', configMap: { name: 'kd-vol-cm' } },
        { name: 'creds', secret: { secretName: 'kd-vol-secret', defaultMode: 0o400, items: [{ key: 'password', path: 'db/password' }] } },
        { name: 'info', downwardAPI: { items: [
          { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
          { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
          { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } },
        ] } },
        { name: 'all', projected: { sources: [
          { configMap: { name: 'kd-vol-cm', items: [{ key: 'other', path: 'other' }] } },
          { secret: { name: 'kd-vol-secret', items: [{ key: 'user', path: 'user' }] } },
          { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
        ] } },
      ],
    },
  });
  assert.is(pod.status.phase, 'Running');
  const id = containerId(pod, 'app');
  assert.is(await run(engine, id, 'cat /etc/cfg/app.conf; cat /etc/cfg/other; echo; stat -c %a /etc/cfg/app.conf'), 'color=blue\no\n644\n');
  assert.is(await run(engine, id, 'printf %s "$(cat /etc/creds/db/password)" | sha256sum | cut -c1-32'), `${sha(PASSWORD)}\n`);
  assert.is(await run(engine, id, 'stat -c %a /etc/creds/db/password'), '400\n');
  const mounts = await run(engine, id, 'grep -E " /etc/(creds|cfg) " /proc/mounts | cut -d" " -f2-4 | cut -d, -f1');
  assert.equal(mounts.trim().split('\n').sort(), ['/etc/cfg tmpfs ro', '/etc/creds tmpfs ro'], 'file volumes are read-only tmpfs mounts');
  assert.is(await run(engine, id, 'touch /etc/cfg/x 2>/dev/null && echo writable || echo read-only'), 'read-only\n');
  assert.is(await run(engine, id, 'cat /etc/podinfo/labels; echo; cat /etc/podinfo/name; echo; cat /etc/podinfo/mem'), 'app="kd-vol"\ntier="a"\nkd-vol\n48');
  assert.is(await run(engine, id, 'cat /etc/all/other /etc/all/user /etc/all/ns'), 'omedefault');
  assert.is(await run(engine, id, 'cat /etc/app.conf'), 'color=blue\n', 'one key mounted as a single file (subPath)');
});

scenario(live, 'a persistentVolumeClaim is a named volume that outlives its pod, per namespace and claim', async ({ engine, track, defer }) => {
  const pods = testPods(engine, 'pod/volumes-live claim');
  track.volume('podling-pvc-kd-claim');
  const podWith = (name: string, script: string) => ({
    metadata: { name },
    spec: {
      restartPolicy: 'Never' as const,
      containers: [{ name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent' as const, command: ['sh', '-c', script], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'kd-claim' } }],
    },
  });
  defer(() => pods.delete('kd-claim-a', { force: true }), 'kd-claim-a');
  const first = await pods.create(podWith('kd-claim-a', 'echo kept > /data/note; exec sleep 3600'));
  await run(engine, containerId(first, 'app'), 'test -s /data/note');
  await pods.delete('kd-claim-a', { force: true });
  const [volume] = await engine.volumes.list({ filters: { name: ['podling-pvc-kd-claim'] } });
  assert.ok(volume, 'the claim\'s volume is still there after its pod');
  assert.is(volume.Labels?.['podling.io/claim-name'], 'kd-claim');
  assert.is(volume.Labels?.['podling.io/namespace'], 'default');
  defer(() => pods.delete('kd-claim-b', { force: true }), 'kd-claim-b');
  const second = await pods.create(podWith('kd-claim-b', 'exec sleep 3600'));
  assert.is(await run(engine, containerId(second, 'app'), 'cat /data/note'), 'kept\n');
});

scenario(live, 'a hostPath of type Directory is mounted, read-only when asked', async ({ engine, defer }) => {
  // A fixed path, made by the test in every tier: the check runs on this machine, replay included.
  const dir = '/tmp/podling-kd-hostpath';
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/hello`, 'from the host\n');
  defer(() => rmSync(dir, { recursive: true, force: true }), dir);
  const pods = testPods(engine, 'pod/volumes-live host path');
  defer(() => pods.delete('kd-host', { force: true }), 'kd-host');
  const pod = await pods.create({
    metadata: { name: 'kd-host' },
    spec: {
      containers: [{ name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], volumeMounts: [{ name: 'host', mountPath: '/host', readOnly: true }] }],
      volumes: [{ name: 'host', hostPath: { path: dir, type: 'Directory' } }],
    },
  });
  const id = containerId(pod, 'app');
  assert.is(await run(engine, id, 'cat /host/hello; touch /host/x 2>/dev/null && echo writable || echo read-only'), 'from the host\nread-only\n');
});

live.run();
