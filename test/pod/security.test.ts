import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePod, PodSpecError } from '../../src/pod/index.js';
import { appSpec, infraSpec } from '../../src/pod/containers.js';
import { volumeSpecOf } from '../../src/pod/volumes.js';
import { nonRootProblem, userOf } from '../../src/pod/security.js';
import { assertRefusedWithoutSending } from '../support/refused.js';

// Security contexts, process namespaces, stdin/tty and the pod's resource budget, as the engine's
// container specs carry them (src/pod/security.ts, pod-resources.ts): table tests, no engine.
const security = suite('pod/security');

const app = { name: 'app', image: 'podling-test/busybox:latest' };
const pod = (spec: Record<string, unknown>) => parsePod({ metadata: { name: 'p' }, spec });
const MiB = 1024 * 1024;

/** The app container's spec, its HostConfig's security fields and its user, for one pod. */
function appOf(spec: Record<string, unknown>, name = 'app', config = {}) {
  const p = pod(spec);
  const container = [...(p.spec.initContainers ?? []), ...p.spec.containers].find((c) => c.name === name)!;
  return appSpec(p, 'id1', container, 'INFRA', 'test:1', { attempt: 0, sandboxAttempt: 0, config });
}
const host = (spec: Record<string, unknown>, name?: string, config?: object) => appOf(spec, name, config).HostConfig!;

const CASES: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
  ['no security context: none of the fields', { containers: [app] }, {}],
  ['readOnlyRootFilesystem', { containers: [{ ...app, securityContext: { readOnlyRootFilesystem: true } }] }, { ReadonlyRootfs: true }],
  ['privileged', { containers: [{ ...app, securityContext: { privileged: true } }] }, { Privileged: true }],
  ['allowPrivilegeEscalation: false is no-new-privileges', { containers: [{ ...app, securityContext: { allowPrivilegeEscalation: false } }] }, { SecurityOpt: ['no-new-privileges'] }],
  ['allowPrivilegeEscalation: true changes nothing', { containers: [{ ...app, securityContext: { allowPrivilegeEscalation: true } }] }, {}],
  ['capabilities, upper-cased, ALL included', { containers: [{ ...app, securityContext: { capabilities: { drop: ['ALL'], add: ['net_bind_service', 'CHOWN'] } } }] }, { CapAdd: ['NET_BIND_SERVICE', 'CHOWN'], CapDrop: ['ALL'] }],
  ['seccomp RuntimeDefault is Docker\'s default: no option', { containers: [{ ...app, securityContext: { seccompProfile: { type: 'RuntimeDefault' } } }] }, {}],
  ['seccomp Unconfined', { containers: [{ ...app, securityContext: { seccompProfile: { type: 'Unconfined' } } }] }, { SecurityOpt: ['seccomp=unconfined'] }],
  ['AppArmor Unconfined and Localhost', { containers: [{ ...app, securityContext: { appArmorProfile: { type: 'Localhost', localhostProfile: 'k8s-nginx' } } }, { ...app, name: 'b', securityContext: { appArmorProfile: { type: 'Unconfined' } } }] }, { SecurityOpt: ['apparmor=k8s-nginx'] }],
  ['the pod\'s seccomp profile is every container\'s default', { securityContext: { seccompProfile: { type: 'Unconfined' } }, containers: [app] }, { SecurityOpt: ['seccomp=unconfined'] }],
  ['the container\'s profile wins over the pod\'s', { securityContext: { seccompProfile: { type: 'Unconfined' } }, containers: [{ ...app, securityContext: { seccompProfile: { type: 'RuntimeDefault' } } }] }, {}],
  ['fsGroup and supplementalGroups are added groups, each once', { securityContext: { fsGroup: 2000, supplementalGroups: [3000, 2000] }, containers: [app] }, { GroupAdd: ['2000', '3000'] }],
  ['shareProcessNamespace joins the infra\'s PID namespace', { shareProcessNamespace: true, containers: [app] }, { PidMode: 'container:INFRA' }],
  ['hostPID is the host\'s PID namespace', { hostPID: true, containers: [app] }, { PidMode: 'host' }],
  ['no-new-privileges comes before the profiles', { containers: [{ ...app, securityContext: { allowPrivilegeEscalation: false, seccompProfile: { type: 'Unconfined' }, appArmorProfile: { type: 'Unconfined' } } }] }, { SecurityOpt: ['no-new-privileges', 'seccomp=unconfined', 'apparmor=unconfined'] }],
];

const SECURITY_FIELDS = ['Privileged', 'ReadonlyRootfs', 'CapAdd', 'CapDrop', 'SecurityOpt', 'GroupAdd', 'PidMode'] as const;

for (const [what, spec, expected] of CASES) {
  security(`app HostConfig: ${what}`, () => {
    const hostConfig = host(spec) as Record<string, unknown>;
    const got = Object.fromEntries(SECURITY_FIELDS.filter((f) => hostConfig[f] !== undefined).map((f) => [f, hostConfig[f]]));
    assert.equal(got, expected);
  });
}

security('a Localhost seccomp profile travels as its JSON, as the docker CLI sends it', () => {
  const spec = { containers: [{ ...app, securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'audit.json' } } }] };
  assert.equal(host(spec, 'app', { seccompProfile: '{"defaultAction":"SCMP_ACT_LOG"}' }).SecurityOpt, ['seccomp={"defaultAction":"SCMP_ACT_LOG"}']);
  assert.throws(() => host(spec), /audit\.json: its content was not read/);
});

const USERS: Array<[string, Record<string, unknown>, string | undefined, string | undefined]> = [
  ['no user: the image\'s', {}, undefined, undefined],
  ['runAsUser', { runAsUser: 1000 }, undefined, '1000'],
  ['runAsUser and runAsGroup', { runAsUser: 1000, runAsGroup: 3000 }, undefined, '1000:3000'],
  ['runAsGroup alone keeps the image\'s user', { runAsGroup: 3000 }, 'nobody', 'nobody:3000'],
  ['runAsGroup alone, image user with a group', { runAsGroup: 3000 }, '1001:1001', '1001:3000'],
  ['runAsGroup alone on a root image', { runAsGroup: 3000 }, '', '0:3000'],
  ['runAsUser 0', { runAsUser: 0 }, undefined, '0'],
];
for (const [what, sc, imageUser, expected] of USERS) {
  security(`User: ${what}`, () => assert.is(userOf(sc, imageUser), expected));
}

security('the container\'s runAsUser wins over the pod\'s, the pod\'s runAsGroup stays', () => {
  const spec = { securityContext: { runAsUser: 1000, runAsGroup: 2000 }, containers: [{ ...app, securityContext: { runAsUser: 1500 } }, { ...app, name: 'b' }] };
  assert.is(appOf(spec).User, '1500:2000');
  assert.is(appOf(spec, 'b').User, '1000:2000');
});

const NON_ROOT: Array<[string, Record<string, unknown>, string, string | undefined]> = [
  ['a root image (no user)', { runAsNonRoot: true }, '', 'container has runAsNonRoot and image will run as root'],
  ['an image running as uid 0', { runAsNonRoot: true }, '0:0', 'container has runAsNonRoot and image will run as root'],
  ['an image with a user name', { runAsNonRoot: true }, 'nobody', 'container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is non-root'],
  ['an image with a numeric user', { runAsNonRoot: true }, '1000', undefined],
  ['runAsUser given: the image does not matter', { runAsNonRoot: true, runAsUser: 1000 }, '', undefined],
  ['runAsNonRoot false', { runAsNonRoot: false }, '', undefined],
];
for (const [what, sc, imageUser, expected] of NON_ROOT) {
  security(`runAsNonRoot: ${what}`, () => assert.is(nonRootProblem(sc, imageUser), expected));
}

security('stdin, stdinOnce and tty are OpenStdin, StdinOnce and Tty; absent, none is sent', () => {
  const spec = appOf({ containers: [{ ...app, stdin: true, stdinOnce: true, tty: true }] });
  assert.equal([spec.OpenStdin, spec.StdinOnce, spec.Tty], [true, true, true]);
  const plain = appOf({ containers: [app] });
  assert.equal(['OpenStdin', 'StdinOnce', 'Tty', 'User'].filter((f) => f in plain), []);
});

security('init containers get their security context too', () => {
  assert.equal(host({ initContainers: [{ ...app, name: 'init', securityContext: { readOnlyRootFilesystem: true } }], containers: [app] }, 'init').ReadonlyRootfs, true);
});

/** The infra's spec for a pod. */
const infraOf = (spec: Record<string, unknown>) => infraSpec(pod(spec), 'id1', 'podling/infra:1', 'test:1').HostConfig!;

security('the infra holds the pod\'s sysctls, hostIPC and hostPID; by default its IPC is shareable', () => {
  const infra = infraOf({ securityContext: { sysctls: [{ name: 'net.ipv4.ip_local_port_range', value: '40000 40100' }, { name: 'kernel/shmmni', value: '8192' }] }, containers: [app] });
  assert.equal(infra.Sysctls, { 'net.ipv4.ip_local_port_range': '40000 40100', 'kernel.shmmni': '8192' });
  assert.is(infra.IpcMode, 'shareable');
  assert.is(infra.PidMode, undefined);
  const hosted = infraOf({ hostIPC: true, hostPID: true, containers: [app] });
  assert.equal([hosted.IpcMode, hosted.PidMode], ['host', 'host']);
  const hostNetwork = infraOf({ hostNetwork: true, hostIPC: true, containers: [app] });
  assert.is(hostNetwork.IpcMode, 'host');
});

security('on Podman apps join the infra\'s UTS namespace and list runAsGroup among added groups; dockerd gets neither', () => {
  const p = pod({ securityContext: { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000] }, containers: [app] });
  const on = (flavour: 'docker' | 'podman') => appSpec(p, 'id1', p.spec.containers[0]!, 'INFRA', 'test:1', { attempt: 0, sandboxAttempt: 0, flavour }).HostConfig!;
  assert.equal([on('podman').UTSMode, on('podman').GroupAdd], ['container:INFRA', ['2000', '4000', '3000']]);
  assert.equal([on('docker').UTSMode, on('docker').GroupAdd], [undefined, ['2000', '4000']]);
  // No groups added at all: the primary group alone is no reason to add one.
  const plain = pod({ securityContext: { runAsUser: 1000, runAsGroup: 3000 }, containers: [app] });
  assert.is(appSpec(plain, 'id1', plain.spec.containers[0]!, 'INFRA', 'test:1', { attempt: 0, sandboxAttempt: 0, flavour: 'podman' }).HostConfig!.GroupAdd, undefined);
});

security('an fsGroup owns the Memory emptyDirs (setgid); without one they stay world-writable', () => {
  const volumes = [{ name: 'm', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }];
  const grouped = pod({ securityContext: { fsGroup: 2000 }, volumes, containers: [app] });
  assert.is(volumeSpecOf(grouped, 'id1', grouped.spec.volumes![0]!, 'test:1').DriverOpts?.o, `size=${MiB},gid=2000,mode=3777`);
  const plain = pod({ volumes, containers: [app] });
  assert.is(volumeSpecOf(plain, 'id1', plain.spec.volumes![0]!, 'test:1').DriverOpts?.o, `size=${MiB},mode=1777`);
});

security('on Podman a Memory emptyDir is sized in tmpfs pages: its local driver takes size= for a disk quota', () => {
  const volumes = [{ name: 'm', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }];
  const grouped = pod({ securityContext: { fsGroup: 2000 }, volumes, containers: [app] });
  assert.is(volumeSpecOf(grouped, 'id1', grouped.spec.volumes![0]!, 'test:1', 'podman').DriverOpts?.o, 'nr_blocks=256,gid=2000,mode=3777');
  const odd = pod({ volumes: [{ name: 'm', emptyDir: { medium: 'Memory', sizeLimit: '4097' } }], containers: [app] });
  // A part of a page is a whole page, as the kernel rounds size= up.
  assert.is(volumeSpecOf(odd, 'id1', odd.spec.volumes![0]!, 'test:1', 'podman').DriverOpts?.o, 'nr_blocks=2,mode=1777');
});


security('pod resources: a container without a limit gets the pod\'s; its own limit stays', () => {
  const spec = { resources: { limits: { cpu: '1', memory: '64Mi' } }, containers: [app, { ...app, name: 'b', resources: { limits: { cpu: '500m', memory: '32Mi' } } }] };
  const a = host(spec);
  assert.equal([a.NanoCpus, a.Memory, a.MemorySwap], [1e9, 64 * MiB, 64 * MiB]);
  const b = host(spec, 'b');
  assert.equal([b.NanoCpus, b.Memory], [5e8, 32 * MiB]);
});

security('pod resources: the pod\'s request beyond its containers\' is shared by those that request none', () => {
  const spec = { resources: { requests: { cpu: '1', memory: '64Mi' } }, containers: [{ ...app, resources: { requests: { cpu: '500m', memory: '32Mi' } } }, { ...app, name: 'b' }, { ...app, name: 'c' }] };
  assert.equal([host(spec).CpuShares, host(spec).MemoryReservation], [512, 32 * MiB]);
  assert.equal([host(spec, 'b').CpuShares, host(spec, 'b').MemoryReservation], [256, 16 * MiB]);
  assert.equal([host(spec, 'c').CpuShares, host(spec, 'c').MemoryReservation], [256, 16 * MiB]);
});

security('pod resources: limits alone are the requests too, as the API server defaults them', () => {
  const spec = { resources: { limits: { memory: '64Mi' } }, containers: [app, { ...app, name: 'b' }] };
  assert.equal([host(spec).Memory, host(spec).MemoryReservation], [64 * MiB, 32 * MiB]);
});

/** Each bad spec, with what its one problem must say. */
const sc = (securityContext: Record<string, unknown>) => ({ ...app, securityContext });
const BAD: Array<[string, Record<string, unknown>, RegExp]> = [
  ['a capability that does not exist', { containers: [sc({ capabilities: { add: ['NET_SUPERPOWER'] } })] }, /^spec\.containers\.0\.securityContext\.capabilities\.add\.0: unknown capability "NET_SUPERPOWER" \(a Linux capability without the CAP_ prefix, e\.g\. NET_ADMIN, or ALL\)$/],
  ['a capability with the CAP_ prefix', { containers: [sc({ capabilities: { drop: ['CAP_NET_RAW'] } })] }, /^spec\.containers\.0\.securityContext\.capabilities\.drop\.0: unknown capability "CAP_NET_RAW" \(Kubernetes names capabilities without the CAP_ prefix: "NET_RAW"\)$/],
  ['a sysctl of the host', { securityContext: { sysctls: [{ name: 'vm.swappiness', value: '10' }] }, containers: [app] }, /^spec\.securityContext\.sysctls\.0\.name: not a sysctl of the pod's own namespaces: a pod may set only net\.\*/],
  ['kernel.hostname is not one Docker lets a pod set', { securityContext: { sysctls: [{ name: 'kernel.pid_max', value: '10' }] }, containers: [app] }, /^spec\.securityContext\.sysctls\.0\.name: not a sysctl of the pod's own namespaces/],
  ['a net sysctl in a hostNetwork pod', { hostNetwork: true, securityContext: { sysctls: [{ name: 'net.ipv4.ip_forward', value: '1' }] }, containers: [app] }, /^spec\.securityContext\.sysctls\.0\.name: cannot be set in a hostNetwork pod: it would change the host's own net\.ipv4\.ip_forward$/],
  ['an IPC sysctl in a hostIPC pod', { hostIPC: true, securityContext: { sysctls: [{ name: 'kernel.shmmax', value: '1' }] }, containers: [app] }, /^spec\.securityContext\.sysctls\.0\.name: cannot be set in a hostIPC pod/],
  ['runAsNonRoot with runAsUser 0', { containers: [sc({ runAsNonRoot: true, runAsUser: 0 })] }, /^spec\.containers\.0\.securityContext\.runAsNonRoot: the container must run as non-root, but its runAsUser is 0 \(root\)$/],
  ['the pod\'s runAsNonRoot with a container\'s runAsUser 0', { securityContext: { runAsNonRoot: true }, containers: [sc({ runAsUser: 0 })] }, /^spec\.containers\.0\.securityContext\.runAsNonRoot: the container must run as non-root/],
  ['a negative runAsUser', { containers: [sc({ runAsUser: -1 })] }, /^spec\.containers\.0\.securityContext\.runAsUser: must not be negative$/],
  ['allowPrivilegeEscalation false on a privileged container', { containers: [sc({ privileged: true, allowPrivilegeEscalation: false })] }, /^spec\.containers\.0\.securityContext\.allowPrivilegeEscalation: cannot be false for a privileged container$/],
  ['allowPrivilegeEscalation false with SYS_ADMIN', { containers: [sc({ capabilities: { add: ['SYS_ADMIN'] }, allowPrivilegeEscalation: false })] }, /allowPrivilegeEscalation: cannot be false when capabilities\.add has SYS_ADMIN$/],
  ['a Localhost seccomp profile without a name', { containers: [sc({ seccompProfile: { type: 'Localhost' } })] }, /^spec\.containers\.0\.securityContext\.seccompProfile\.localhostProfile: a Localhost seccomp profile needs localhostProfile$/],
  ['a seccomp profile path leaving the root', { containers: [sc({ seccompProfile: { type: 'Localhost', localhostProfile: '../etc/x.json' } })] }, /seccompProfile\.localhostProfile: must be a path relative to the seccomp profile root/],
  ['an unknown profile type', { containers: [sc({ appArmorProfile: { type: 'Strict' } })] }, /^spec\.containers\.0\.securityContext\.appArmorProfile\.type: must be one of RuntimeDefault, Unconfined, Localhost$/],
  ['procMount Unmasked', { containers: [sc({ procMount: 'Unmasked' })] }, /^spec\.containers\.0\.securityContext\.procMount: must be "Default": an unmasked \/proc needs a user namespace/],
  ['hostUsers false', { hostUsers: false, containers: [app] }, /^spec\.hostUsers: false is not supported: Docker's user namespaces are set per daemon/],
  ['supplementalGroupsPolicy Strict', { securityContext: { supplementalGroupsPolicy: 'Strict' }, containers: [app] }, /^spec\.securityContext\.supplementalGroupsPolicy: must be "Merge": Docker always adds the groups/],
  ['shareProcessNamespace with hostPID', { shareProcessNamespace: true, hostPID: true, containers: [app] }, /^spec\.shareProcessNamespace: cannot be set with hostPID/],
  ['a container limit above the pod\'s', { resources: { limits: { memory: '64Mi' } }, containers: [{ ...app, resources: { limits: { memory: '128Mi' } } }] }, /^spec\.containers\.0\.resources\.limits\.memory: 128Mi is above the pod's limit 64Mi$/],
  ['containers requesting more than the pod', { resources: { requests: { cpu: '500m' } }, containers: [{ ...app, resources: { requests: { cpu: '300m' } } }, { ...app, name: 'b', resources: { requests: { cpu: '300m' } } }] }, /^spec\.resources\.requests\.cpu: the containers request more cpu together than the pod's 500m$/],
  ['a pod request above its limit', { resources: { limits: { cpu: '1' }, requests: { cpu: '2' } }, containers: [app] }, /^spec\.resources\.requests\.cpu: request 2 is above the limit 1$/],
];

for (const [what, spec, message] of BAD) {
  security(`bad: ${what} is one problem naming the field`, () => {
    try {
      pod(spec);
      assert.unreachable('accepted');
    } catch (err) {
      assert.instance(err, PodSpecError);
      const { problems } = err as PodSpecError;
      assert.is(problems.length, 1, problems.join('\n'));
      assert.match(problems[0]!, message);
    }
  });
}

security('bad security input sends nothing to the engine', () => assertRefusedWithoutSending(BAD.map(([what, spec]) => [what, { metadata: { name: 'p' }, spec }])));

security.run();
