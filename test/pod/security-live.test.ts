import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PodFailedError } from '../../src/pod/index.js';
import { scenario } from '../support/scenario.js';
import { requestsDuring } from '../support/sent.js';
import { assertGone, containerId, IMAGE, poll, rejection, sleeper, testPods } from '../support/pods.js';

// The security contexts and process namespaces in force inside the containers, as the kernel sees
// them (fixtures/pod/security-live/).
const live = suite('pod/security-live');

/** A `/proc/self/status` field of a command run in the container. */
const statusField = (status: string, field: string) => new RegExp(`^${field}:\\s*(\\S+)`, 'm').exec(status)?.[1];

scenario(live, 'runAsUser, runAsGroup, groups, readOnlyRootFilesystem, capabilities and no-new-privileges are in force inside the containers', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/security-live context');
  defer(() => pods.delete('pt-sec-context', { force: true }), 'pt-sec-context');
  const pod = await pods.create({
    metadata: { name: 'pt-sec-context' },
    spec: {
      securityContext: { runAsNonRoot: true, fsGroup: 2000, supplementalGroups: [4000] },
      volumes: [{ name: 'scratch', emptyDir: { medium: 'Memory' } }],
      containers: [
        sleeper('user', {
          securityContext: { runAsUser: 1000, runAsGroup: 3000, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
        }),
        // Root, so its effective capabilities are its whole bounding set: exactly what was kept.
        sleeper('root', { securityContext: { runAsUser: 0, runAsNonRoot: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE', 'CHOWN'] } } }),
      ],
    },
  });
  const user = containerId(pod, 'user');
  // Podman adds /etc/passwd and /etc/group entries named by the number (`uid=1000(1000)`): the ids are what counts.
  assert.is((await engine.exec.run(user, ['id'])).stdout.trim().replace(/\(\d+\)/g, ''), 'uid=1000 gid=3000 groups=2000,3000,4000');
  const write = await engine.exec.run(user, ['touch', '/made-here']);
  assert.is.not(write.exitCode, 0);
  assert.match(write.stderr, /Read-only file system/);
  // The fsGroup owns the Memory emptyDir and passes itself on (setgid): a non-root user may write.
  const scratch = await engine.exec.run(user, ['sh', '-c', 'touch /scratch/f && stat -c "%g %A" /scratch /scratch/f']);
  assert.equal(scratch.stdout.trim().split('\n'), ['2000 drwxrwsrwt', '2000 -rw-r--r--']);
  const userStatus = (await engine.exec.run(user, ['cat', '/proc/self/status'])).stdout;
  assert.is(statusField(userStatus, 'CapBnd'), '0000000000000000', 'every capability dropped');
  assert.is(statusField(userStatus, 'NoNewPrivs'), '1');
  const rootStatus = (await engine.exec.run(containerId(pod, 'root'), ['cat', '/proc/self/status'])).stdout;
  // CHOWN is bit 0, NET_BIND_SERVICE bit 10.
  assert.is(statusField(rootStatus, 'CapEff'), '0000000000000401');
  assert.is(statusField(rootStatus, 'NoNewPrivs'), '0');
});

scenario(live, 'shareProcessNamespace: each container sees the others\' processes, and the infra\'s catatonit is PID 1', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/security-live pid');
  defer(() => pods.delete('pt-sec-pid', { force: true }), 'pt-sec-pid');
  const pod = await pods.create({
    metadata: { name: 'pt-sec-pid' },
    spec: { shareProcessNamespace: true, containers: [sleeper('a', { command: ['sleep', '3601'] }), sleeper('b', { command: ['sleep', '3602'] })] },
  });
  const seen = (await engine.exec.run(containerId(pod, 'a'), ['ps', '-o', 'args'])).stdout;
  assert.match(seen, /sleep 3602/, 'a sees b\'s process');
  assert.match(seen, /sleep 3601/);
  assert.match((await engine.exec.run(containerId(pod, 'b'), ['cat', '/proc/1/cmdline'])).stdout, /catatonit/);
}, { unsupported: { podman: 'Podman 4.3 refuses an init process (HostConfig.Init, which Podling gives every app) in a container that does not own its PID namespace: "cannot add init binary as PID 1"' } });

scenario(live, 'without shareProcessNamespace a container sees only its own processes', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/security-live own pid');
  defer(() => pods.delete('pt-sec-ownpid', { force: true }), 'pt-sec-ownpid');
  const pod = await pods.create({
    metadata: { name: 'pt-sec-ownpid' },
    spec: { containers: [sleeper('a', { command: ['sleep', '3601'] }), sleeper('b', { command: ['sleep', '3602'] })] },
  });
  assert.not.match((await engine.exec.run(containerId(pod, 'a'), ['ps', '-o', 'args'])).stdout, /sleep 3602/);
});

scenario(live, 'hostPID and hostIPC: the containers are in the host\'s PID and IPC namespaces', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/security-live host namespaces');
  defer(() => pods.delete('pt-sec-hostns', { force: true }), 'pt-sec-hostns');
  const pod = await pods.create({ metadata: { name: 'pt-sec-hostns' }, spec: { hostPID: true, hostIPC: true, containers: [sleeper('app')] } });
  // The kernel's initial namespaces have fixed inode numbers (PROC_PID_INIT_INO, PROC_IPC_INIT_INO),
  // which the engine's host runs in; another process's links cannot be read without ptrace rights.
  const ns = await engine.exec.run(containerId(pod, 'app'), ['sh', '-c', 'readlink /proc/self/ns/pid; readlink /proc/self/ns/ipc']);
  assert.equal(ns.stdout.trim().split('\n'), ['pid:[4026531836]', 'ipc:[4026531839]']);
  assert.not.match((await engine.exec.run(containerId(pod, 'app'), ['cat', '/proc/1/cmdline'])).stdout, /catatonit|docker-init/, 'PID 1 is the host\'s');
}, { unsupported: { podman: 'Podman 4.3 refuses an init process (HostConfig.Init, which Podling gives every app) in a container that does not own its PID namespace: "cannot add init binary as PID 1"' } });

scenario(live, 'runAsNonRoot refuses an image that runs as root, with the kubelet\'s words, and makes no container', async ({ engine }) => {
  const pods = testPods(engine, 'pod/security-live nonroot');
  let err: unknown;
  const sent = await requestsDuring(async () => {
    err = await rejection(pods.create({ metadata: { name: 'pt-sec-nonroot' }, spec: { securityContext: { runAsNonRoot: true }, containers: [sleeper('app')] } }));
  });
  assert.instance(err, PodFailedError);
  assert.is((err as PodFailedError).reason, 'CreateContainerConfigError');
  assert.is((err as PodFailedError).message, 'pod pt-sec-nonroot Failed: CreateContainerConfigError: container app: container has runAsNonRoot and image will run as root');
  assert.equal(sent.filter((r) => r.startsWith('POST') && r.includes('/containers/create')), [], 'no container was made');
  await assertGone(engine, 'pt-sec-nonroot');
});

scenario(live, 'the pod\'s sysctls are in force in its namespaces, and the pod\'s memory limit caps a container without one', async ({ engine, mode, defer }) => {
  const pods = testPods(engine, 'pod/security-live sysctls');
  defer(() => pods.delete('pt-sec-sysctl', { force: true }), 'pt-sec-sysctl');
  const pod = await pods.create({
    metadata: { name: 'pt-sec-sysctl' },
    spec: {
      resources: { limits: { memory: '64Mi' } },
      securityContext: { sysctls: [{ name: 'net.ipv4.ip_local_port_range', value: '40000 40100' }, { name: 'kernel.shmmni', value: '1234' }] },
      containers: [sleeper('app'), { name: 'tty', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo hello from a tty; sleep 3600'], tty: true, stdin: true }],
    },
  });
  const app = containerId(pod, 'app');
  assert.equal((await engine.exec.run(app, ['cat', '/proc/sys/net/ipv4/ip_local_port_range'])).stdout.trim().split(/\s+/), ['40000', '40100']);
  assert.is((await engine.exec.run(app, ['cat', '/proc/sys/kernel/shmmni'])).stdout.trim(), '1234', 'the IPC namespace joined from the infra');
  const limit = await engine.exec.run(app, ['sh', '-c', 'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes']);
  assert.is(limit.stdout.trim(), String(64 * 1024 * 1024));
  const tty = await engine.containers.inspect(containerId(pod, 'tty'));
  assert.equal([tty.Config.Tty, tty.Config.OpenStdin], [true, true]);
  // One raw stream: read as framed, its first bytes would be taken for a header and the line lost.
  const logs = async () => {
    const lines: string[] = [];
    for await (const line of pods.logs('pt-sec-sysctl', { container: 'tty' })) lines.push(line.text.replace(/\r$/, ''));
    return lines;
  };
  assert.equal(await poll(mode, logs, (lines) => lines.length > 0, 25, 200), ['hello from a tty']);
});

/** Runs `fn` with PODLING_SECCOMP_ROOT at a fresh folder holding `profiles` (file name → JSON). */
async function withSeccompRoot(profiles: Record<string, unknown>, fn: () => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'podling-seccomp-'));
  const before = process.env.PODLING_SECCOMP_ROOT;
  for (const [name, profile] of Object.entries(profiles)) writeFileSync(join(root, name), JSON.stringify(profile, null, 2));
  process.env.PODLING_SECCOMP_ROOT = root;
  try {
    await fn();
  } finally {
    if (before === undefined) delete process.env.PODLING_SECCOMP_ROOT;
    else process.env.PODLING_SECCOMP_ROOT = before;
    rmSync(root, { recursive: true, force: true });
  }
}

const NO_MKDIR = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] };

scenario(live, 'a Localhost seccomp profile is read from the profile root and in force; a missing one makes no container', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/security-live seccomp');
  defer(() => pods.delete('pt-sec-seccomp', { force: true }), 'pt-sec-seccomp');
  await withSeccompRoot({ 'no-mkdir.json': NO_MKDIR }, async () => {
    const pod = await pods.create({
      metadata: { name: 'pt-sec-seccomp' },
      spec: { securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'no-mkdir.json' } }, containers: [sleeper('app')] },
    });
    const made = await engine.exec.run(containerId(pod, 'app'), ['mkdir', '/tmp/d']);
    assert.is.not(made.exitCode, 0);
    assert.match(made.stderr, /Operation not permitted/);
    assert.is((await engine.exec.run(containerId(pod, 'app'), ['touch', '/tmp/f'])).exitCode, 0, 'what the profile allows still works');
    let err: unknown;
    const sent = await requestsDuring(async () => {
      err = await rejection(pods.create({ metadata: { name: 'pt-sec-noprofile' }, spec: { containers: [sleeper('app', { securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'missing.json' } } })] } }));
    });
    assert.is((err as PodFailedError).reason, 'CreateContainerConfigError');
    assert.match((err as PodFailedError).message, /container app: seccomp profile .*missing\.json: ENOENT/);
    assert.equal(sent.filter((r) => r.startsWith('POST') && r.includes('/containers/create')), [], 'no container was made');
    await assertGone(engine, 'pt-sec-noprofile');
  });
}, { unsupported: { podman: 'Podman 4.3\'s compatible API reads SecurityOpt seccomp=VALUE as a file path on its own host, not as the profile\'s JSON the Docker API sends' } });

scenario(live, 'a Localhost AppArmor profile on an engine whose host does not run AppArmor is refused, not dropped', async ({ engine }) => {
  const info = await engine.system.info();
  if ((info.SecurityOptions ?? []).some((o) => o.startsWith('name=apparmor'))) return; // this host enforces it: nothing to refuse
  const pods = testPods(engine, 'pod/security-live apparmor');
  let err: unknown;
  const sent = await requestsDuring(async () => {
    err = await rejection(pods.create({ metadata: { name: 'pt-sec-apparmor' }, spec: { containers: [sleeper('app', { securityContext: { appArmorProfile: { type: 'Localhost', localhostProfile: 'k8s-deny-write' } } })] } }));
  });
  assert.is((err as PodFailedError).message, 'pod pt-sec-apparmor Failed: CreateContainerConfigError: container app: AppArmor profile k8s-deny-write cannot be enforced: the engine\'s host does not run AppArmor');
  assert.equal(sent.filter((r) => r.startsWith('POST') && r.includes('/containers/create')), [], 'no container was made');
  await assertGone(engine, 'pt-sec-apparmor');
});

live.run();
