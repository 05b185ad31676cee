import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PodFailedError } from '../../src/pod/index.js';
import { containerId, IMAGE, labelled, rejection, testPods } from '../support/pods.js';
import { scenario } from '../support/scenario.js';

// Init containers run one at a time to completion before the apps, and emptyDir volumes carry
// what they leave to the apps (fixtures/pod/init-volumes/).
const initVolumes = suite('pod/init-volumes');

const c = (name: string, script: string, extra: Record<string, unknown> = {}) => ({
  name, image: IMAGE, imagePullPolicy: 'IfNotPresent' as const, command: ['sh', '-c', script], ...extra,
});

scenario(initVolumes, 'an init container writes into an emptyDir that the app then serves; a Memory emptyDir keeps what the first init container wrote for the second; subPath mounts a directory of the volume', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/init-volumes serve');
  const name = 'pt-init-serve';
  defer(() => pods.delete(name, { force: true }), name);
  const pod = await pods.create({
    metadata: { name },
    spec: {
      initContainers: [
        c('write', 'mkdir -p /www/site && echo "made by init" > /www/site/index.html && echo secret > /scratch/token', {
          volumeMounts: [{ name: 'www', mountPath: '/www' }, { name: 'scratch', mountPath: '/scratch' }],
        }),
        c('check', 'test "$(cat /scratch/token)" = secret && df -k /scratch | tail -1 > /www/scratch-df', {
          volumeMounts: [{ name: 'www', mountPath: '/www' }, { name: 'scratch', mountPath: '/scratch' }],
        }),
      ],
      containers: [
        c('web', 'exec httpd -f -p 80 -h /site', { volumeMounts: [{ name: 'www', mountPath: '/site', subPath: 'site', readOnly: true }] }),
        c('reader', 'sleep 3600', { volumeMounts: [{ name: 'www', mountPath: '/www' }] }),
      ],
      volumes: [{ name: 'www', emptyDir: {} }, { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } }],
    },
  });
  assert.is(pod.status.phase, 'Running');
  const reader = containerId(pod, 'reader');
  const fetched = await engine.exec.run(reader, ['busybox', 'timeout', '3', 'wget', '-qO-', 'http://localhost/index.html']);
  assert.is(fetched.stdout, 'made by init\n', fetched.stderr);
  const df = await engine.exec.run(reader, ['cat', '/www/scratch-df']);
  assert.match(df.stdout, /^tmpfs\s+8192\s/, 'the Memory emptyDir is a tmpfs of its sizeLimit, and the second init container saw the first one\'s file');
  const readOnly = await engine.exec.run(containerId(pod, 'web'), ['sh', '-c', 'echo x > /site/index.html']);
  assert.is.not(readOnly.exitCode, 0, 'a readOnly mount cannot be written');

  const got = await pods.get(name);
  assert.equal(got.status.initContainerStatuses?.map((s) => [s.name, 'terminated' in s.state && s.state.terminated.reason]), [['write', 'Completed'], ['check', 'Completed']]);
  assert.equal(got.status.containerStatuses.map((s) => s.name), ['web', 'reader']);
  const lines: string[] = [];
  for await (const line of pods.logs(name)) lines.push(line.container);
  assert.ok(lines.every((l) => l === 'web' || l === 'reader'), 'logs without -c are the apps\'');

  const volumes = await engine.volumes.list({ filters: { label: [`podling.io/pod-name=${name}`] } });
  assert.equal(volumes.map((v) => v.Labels?.['podling.io/volume-name']).sort(), ['scratch', 'www']);
  await pods.delete(name, { force: true });
  assert.equal(await engine.volumes.list({ filters: { label: [`podling.io/pod-name=${name}`] } }), [], 'the volumes went with the pod');
});

scenario(initVolumes, 'an init container that fails makes the create fail with InitContainerError, its exit code and last line, and takes everything back, volumes included', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/init-volumes fails');
  const name = 'pt-init-fails';
  defer(() => pods.delete(name, { force: true }), name);
  const err = await rejection(pods.create({
    metadata: { name },
    spec: {
      restartPolicy: 'Never',
      initContainers: [c('migrate', 'echo "cannot reach the database" >&2; exit 3', { volumeMounts: [{ name: 'cache', mountPath: '/cache' }] })],
      containers: [c('app', 'sleep 3600')],
      volumes: [{ name: 'cache', emptyDir: {} }],
    },
  }));
  assert.instance(err, PodFailedError);
  assert.is((err as PodFailedError).reason, 'InitContainerError');
  assert.match((err as PodFailedError).detail, 'init container migrate exited 3: cannot reach the database');
  assert.equal(await labelled(engine, `podling.io/pod-name=${name}`), { containers: [], networks: [] });
  assert.equal(await engine.volumes.list({ filters: { label: [`podling.io/pod-name=${name}`] } }), []);
});

scenario(initVolumes, 'a sidecar starts before the app and runs beside it; on delete it is stopped after the app', async ({ engine, now, defer }) => {
  const pods = testPods(engine, 'pod/init-volumes sidecar');
  const name = 'pt-sidecar';
  defer(() => pods.delete(name, { force: true }), name);
  const pod = await pods.create({
    metadata: { name },
    spec: {
      initContainers: [c('proxy', 'exec sleep 3600', { restartPolicy: 'Always' })],
      containers: [c('app', 'exec sleep 3600')],
    },
  });
  assert.equal(pod.status.initContainerStatuses?.map((s) => [s.name, Object.keys(s.state)[0]]), [['proxy', 'running']]);
  const [proxy, app] = [pod.status.initContainerStatuses![0]!.containerID.slice(9), containerId(pod, 'app')];
  const since = now() - 1;
  await pods.delete(name, { gracePeriod: 5 });
  // The dies are picked here, not asked for with an `event` filter: Podman 4.3 answers a stream
  // filtered by event with nothing at all (docs/engine-behaviour.md).
  const events = await engine.system.events({ since, until: now() + 1, filters: { type: ['container'], container: [proxy, app] } });
  const died: string[] = [];
  for await (const e of events) if (e.Action === 'die') died.push(e.Actor.ID === app ? 'app' : 'proxy');
  assert.equal(died, ['app', 'proxy'], 'the app stops first, its sidecar after');
});

scenario(initVolumes, 'prune removes an emptyDir volume whose pod is gone, and keeps one whose pod is there', async ({ engine, defer, track }) => {
  const pods = testPods(engine, 'pod/init-volumes prune');
  const name = 'pt-prune-kept';
  defer(() => pods.delete(name, { force: true }), name);
  await pods.create({ metadata: { name }, spec: { containers: [c('app', 'sleep 3600', { volumeMounts: [{ name: 'data', mountPath: '/data' }] })], volumes: [{ name: 'data', emptyDir: {} }] } });
  // What a create killed midway leaves: a pod's volume, its pod never made.
  const orphan = track.volume('podling-0rphan0000-data');
  await engine.volumes.create({ Name: orphan, Labels: { 'podling.io/managed': 'true', 'podling.io/pod-id': '0rphan0000', 'podling.io/pod-name': 'pt-never-made', 'podling.io/type': 'emptyDir', 'podling.io/volume-name': 'data' } });
  const report = await pods.prune();
  assert.equal(report.volumes, [orphan]);
  const left = await engine.volumes.list({ filters: { label: ['podling.io/type=emptyDir'] } });
  assert.equal(left.map((v) => v.Labels?.['podling.io/pod-name']), [name], 'the live pod\'s volume stays');
});

initVolumes.run();
