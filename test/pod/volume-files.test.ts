import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../../src/engine/index.js';
import type { PodFacts, PodSources } from '../../src/pod/env.js';
import { PodError, PodFailedError } from '../../src/pod/errors.js';
import { checkHostPaths, createHostFiles } from '../../src/pod/host-paths.js';
import { parsePod, PodSpecError, Pods } from '../../src/pod/index.js';
import { archiveEntries, volumeContent } from '../../src/pod/volume-files.js';
import { mountsFilledFile, mountsOf } from '../../src/pod/volumes.js';
import { engineSpeaking, fakeEngine } from '../support/fake-engine.js';
import { requestsDuring } from '../support/sent.js';

// The files of configMap, secret, downwardAPI and projected volumes, hostPath type checks, and
// the mounts each volume kind gives (src/pod/volume-files.ts, host-paths.ts, volumes.ts): no engine.
const files = suite('pod/volume-files');

const app = { name: 'app', image: 'i', resources: { limits: { memory: '32Mi' } } };
const podWith = (volumes: unknown[], mounts: unknown[] = []) => parsePod({
  metadata: { name: 'web', labels: { app: 'web', tier: 'a' }, annotations: { note: 'x' } },
  spec: { containers: [{ ...app, volumeMounts: mounts }], volumes },
});
const FACTS: PodFacts = {
  name: 'web', namespace: 'default', uid: 'c0ffee0001', labels: { app: 'web', tier: 'a' }, annotations: { note: 'x' },
  nodeName: 'n', serviceAccountName: 'default', podIPs: [], hostIPs: [], allocatable: { cpu: 2e9, memory: 2 ** 30 },
};
const values = (record: Record<string, string>) => new Map(Object.entries(record).map(([k, v]) => [k, Buffer.from(v)]));
const SOURCES: PodSources = {
  configMaps: new Map([['cfg', values({ 'app.conf': 'a=1', other: 'o' })], ['missing', undefined]]),
  secrets: new Map([['creds', values({ password: 'hunter2', user: 'me' })]]),
};
const contentOf = (volume: unknown) => {
  const pod = podWith([volume]);
  const { files: list, secret } = volumeContent(pod, pod.spec.volumes![0]!, FACTS, SOURCES);
  return { files: list.map((f) => [f.path, f.content.toString(), f.mode.toString(8)]), secret };
};

files('a container that binds one file of a file volume by subPath waits for the fill; a whole file volume or an emptyDir subPath does not', () => {
  const volumes = [{ name: 'cfg', configMap: { name: 'app' } }, { name: 'scratch', emptyDir: {} }];
  const waits = (mounts: unknown[]) => { const pod = podWith(volumes, mounts); return mountsFilledFile(pod.spec.containers[0]!, pod); };
  assert.ok(waits([{ name: 'cfg', mountPath: '/etc/app.conf', subPath: 'app.conf' }]));
  assert.not.ok(waits([{ name: 'cfg', mountPath: '/etc/app' }]));
  assert.not.ok(waits([{ name: 'scratch', mountPath: '/data', subPath: 'a' }]));
  assert.not.ok(waits([]));
});

files('a configMap volume: every key as a file, 0644 by default, or defaultMode', () => {
  assert.equal(contentOf({ name: 'v', configMap: { name: 'cfg' } }), { files: [['app.conf', 'a=1', '644'], ['other', 'o', '644']], secret: false });
  assert.equal(contentOf({ name: 'v', configMap: { name: 'cfg', defaultMode: 0o400 } }).files.map((f) => f[2]), ['400', '400']);
});

files('items pick keys, place them at their paths (nested too) with their own modes', () => {
  const got = contentOf({ name: 'v', configMap: { name: 'cfg', defaultMode: 0o440, items: [{ key: 'app.conf', path: 'conf/app.conf', mode: 0o600 }, { key: 'other', path: 'o.txt' }] } });
  assert.equal(got.files, [['conf/app.conf', 'a=1', '600'], ['o.txt', 'o', '440']]);
  const pod = podWith([{ name: 'v', configMap: { name: 'cfg', items: [{ key: 'app.conf', path: 'a/b/c' }] } }]);
  assert.equal(archiveEntries(volumeContent(pod, pod.spec.volumes![0]!, FACTS, SOURCES).files).map((e) => [e.name, e.type ?? 'file']), [['a', 'directory'], ['a/b', 'directory'], ['a/b/c', 'file']]);
});

files('a secret volume is marked as carrying a secret', () => {
  assert.equal(contentOf({ name: 'v', secret: { secretName: 'creds', items: [{ key: 'password', path: 'pw' }] } }), { files: [['pw', 'hunter2', '644']], secret: true });
});

files('a missing object or key fails the volume, unless optional', () => {
  const fail = (volume: unknown) => {
    try {
      contentOf(volume);
    } catch (err) {
      assert.instance(err, PodFailedError);
      return (err as Error).message;
    }
    return assert.unreachable('no failure') as never;
  };
  assert.match(fail({ name: 'v', configMap: { name: 'missing' } }), /volume v: ConfigMap "missing" not found/);
  assert.match(fail({ name: 'v', configMap: { name: 'cfg', items: [{ key: 'nope', path: 'x' }] } }), /volume v: key "nope" not found in ConfigMap "cfg"/);
  assert.match(fail({ name: 'v', secret: { secretName: 'gone' } }), /Secret "gone" not found/);
  assert.equal(contentOf({ name: 'v', configMap: { name: 'missing', optional: true } }).files, []);
  assert.equal(contentOf({ name: 'v', configMap: { name: 'cfg', optional: true, items: [{ key: 'nope', path: 'x' }, { key: 'other', path: 'o' }] } }).files, [['o', 'o', '644']]);
});

files('downwardAPI files: metadata, labels and annotations as key="value" lines, and resources of a named container', () => {
  const got = contentOf({ name: 'v', downwardAPI: { items: [
    { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
    { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
    { path: 'tier', fieldRef: { fieldPath: 'metadata.labels[\'tier\']' } },
    { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' }, mode: 0o400 },
  ] } });
  assert.equal(got.files, [['name', 'web', '644'], ['labels', 'app="web"\ntier="a"', '644'], ['tier', 'a', '644'], ['mem', '32', '400']]);
});

files('projected: configMap, secret and downwardAPI in one volume, with its defaultMode', () => {
  const got = contentOf({ name: 'v', projected: { defaultMode: 0o440, sources: [
    { configMap: { name: 'cfg', items: [{ key: 'other', path: 'cfg/other' }] } },
    { secret: { name: 'creds', items: [{ key: 'user', path: 'creds/user' }] } },
    { downwardAPI: { items: [{ path: 'uid', fieldRef: { fieldPath: 'metadata.uid' } }] } },
  ] } });
  assert.equal(got, { files: [['cfg/other', 'o', '440'], ['creds/user', 'me', '440'], ['uid', 'c0ffee0001', '440']], secret: true });
});

files('mounts: file volumes read-only, hostPath a bind (subPath inside it), a claim its own named volume', () => {
  const pod = podWith([
    { name: 'cfg', configMap: { name: 'cfg' } },
    { name: 'host', hostPath: { path: '/srv/data' } },
    { name: 'claim', persistentVolumeClaim: { claimName: 'db', readOnly: true } },
  ], [
    { name: 'cfg', mountPath: '/etc/cfg' },
    { name: 'host', mountPath: '/data' },
    { name: 'host', mountPath: '/logs', subPath: 'logs', readOnly: true },
    { name: 'claim', mountPath: '/db' },
  ]);
  assert.equal(mountsOf(pod.spec.containers[0]!, 'p1', new Map(), pod), {
    Mounts: [
      { Type: 'volume', Source: 'podling-p1-cfg', Target: '/etc/cfg', ReadOnly: true },
      { Type: 'volume', Source: 'podling-pvc-db', Target: '/db', ReadOnly: true },
    ],
    Binds: ['/srv/data:/data', '/srv/data/logs:/logs:ro'],
  });
});

const SPEC_ERRORS: Array<[string, unknown, RegExp]> = [
  ['two sources', { name: 'v', emptyDir: {}, configMap: { name: 'c' } }, /a volume has one source, this one has emptyDir and configMap/],
  ['an absolute item path', { name: 'v', configMap: { name: 'c', items: [{ key: 'k', path: '/etc/x' }] } }, /items\.0\.path: must be a relative path/],
  ['a .. item path', { name: 'v', secret: { secretName: 's', items: [{ key: 'k', path: 'a/../../x' }] } }, /must not contain a '\.\.' element/],
  ['a mode above 0777', { name: 'v', configMap: { name: 'c', defaultMode: 0o1777 } }, /defaultMode: a mode is 0 to 0777/],
  ['a downward resource without its container', { name: 'v', downwardAPI: { items: [{ path: 'm', resourceFieldRef: { resource: 'limits.memory' } }] } }, /containerName/],
  ['status.podIP in a downwardAPI file', { name: 'v', downwardAPI: { items: [{ path: 'ip', fieldRef: { fieldPath: 'status.podIP' } }] } }, /fieldPath: must be one of/],
  ['a relative hostPath', { name: 'v', hostPath: { path: 'data' } }, /hostPath\.path: must be an absolute path/],
  ['an unknown hostPath type', { name: 'v', hostPath: { path: '/x', type: 'Dir' } }, /hostPath\.type: must be one of/],
  ['a claim name with a dot', { name: 'v', persistentVolumeClaim: { claimName: 'a.b' } }, /claimName must be a DNS label/],
];
for (const [what, volume, message] of SPEC_ERRORS) {
  files(`refused: ${what}`, () => {
    try {
      podWith([volume]);
      assert.unreachable('accepted');
    } catch (err) {
      assert.instance(err, PodSpecError);
      assert.match((err as Error).message, message);
    }
  });
}

files('hostPath types are checked against this machine: each kind, and what is made', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podling-hostpath-'));
  const socket = join(dir, 'sock');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  try {
    const check = (path: string, type: string) => checkHostPaths(podWith([{ name: 'h', hostPath: { path, type } }]), true);
    const refusal = (path: string, type: string) => {
      try {
        check(path, type);
      } catch (err) {
        assert.ok(err instanceof PodError && err.kind === 'invalid');
        return (err as Error).message;
      }
      return assert.unreachable(`${path} as ${type} accepted`) as never;
    };
    assert.equal(check(dir, 'Directory'), { createFiles: [] });
    assert.equal(check(socket, 'Socket'), { createFiles: [] });
    assert.equal(check('/dev/null', 'CharDevice'), { createFiles: [] });
    assert.equal(check(join(dir, 'new-dir'), 'DirectoryOrCreate'), { createFiles: [] }, 'the engine\'s bind makes a missing directory');
    assert.match(refusal(socket, 'File'), /volume h: hostPath ".*sock" is a socket, not a file \(type File\)/);
    assert.match(refusal(dir, 'FileOrCreate'), /is a directory, not a file/);
    assert.match(refusal(join(dir, 'none'), 'Directory'), /does not exist \(type Directory\)/);
    assert.match(refusal('/dev/null', 'BlockDevice'), /is a character device, not a block device/);
    assert.match(refusal(join(dir, 'no/such/file'), 'FileOrCreate'), /cannot be created: its directory does not exist/);
    const plan = check(join(dir, 'made'), 'FileOrCreate');
    assert.equal(plan, { createFiles: [join(dir, 'made')] });
    createHostFiles(plan);
    assert.ok(statSync(join(dir, 'made')).isFile());
    assert.equal(check(join(dir, 'made'), 'FileOrCreate'), { createFiles: [] });
    assert.equal(checkHostPaths(podWith([{ name: 'h', hostPath: { path: '/anything' } }]), false), { createFiles: [] }, 'type "" needs no check');
    try {
      checkHostPaths(podWith([{ name: 'h', hostPath: { path: dir, type: 'Directory' } }]), false);
      assert.unreachable('a remote engine took a typed hostPath');
    } catch (err) {
      assert.match((err as Error).message, /this engine is not on this machine \(use type "" to mount it unchecked\)/);
    }
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

files('a hostPath of the wrong type and a mount naming no volume send nothing to the engine', async () => {
  const fake = await fakeEngine(engineSpeaking('1.41'));
  const pods = new Pods(new Engine({ socketPath: fake.socketPath }), { newId: () => '0000000001', creator: 'podling-test:1' });
  try {
    const sent = await requestsDuring(async () => {
      const wrongType = await pods.create({ metadata: { name: 'p' }, spec: { containers: [{ ...app, volumeMounts: [{ name: 'h', mountPath: '/h' }] }], volumes: [{ name: 'h', hostPath: { path: '/dev/null', type: 'Directory' } }] } }).catch((e: unknown) => e);
      assert.match(String(wrongType), /volume h: hostPath "\/dev\/null" is a character device, not a directory/);
      const undefinedVolume = await pods.create({ metadata: { name: 'p' }, spec: { containers: [{ ...app, volumeMounts: [{ name: 'cfg', mountPath: '/c' }] }], volumes: [{ name: 'other', configMap: { name: 'c' } }] } }).catch((e: unknown) => e);
      assert.instance(undefinedVolume, PodSpecError);
    });
    assert.equal(sent, []);
    assert.equal(fake.requests, []);
  } finally {
    await fake.close();
  }
});

files.run();
