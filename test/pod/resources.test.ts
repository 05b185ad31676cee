import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Engine } from '../../src/engine/index.js';
import type { PodObject, Pods } from '../../src/pod/index.js';
import type { Mode } from '../../src/testing/index.js';
import { scenario } from '../support/scenario.js';
import { containerId, IMAGE, poll, sleeper, testPods } from '../support/pods.js';

// Resource limits reach the engine and the kernel, and a container that outgrows its memory limit
// is OOM-killed and reported as Kubernetes reports it (fixtures/pod/resources/).
const resources = suite('pod/resources');

const MiB = 1024 * 1024;

scenario(resources, 'cpu and memory limits and requests become NanoCpus, Memory, MemorySwap, CpuShares and MemoryReservation, and the cgroup enforces the memory limit', async ({ engine, defer }) => {
  const pods = testPods(engine, 'pod/resources limits');
  defer(() => pods.delete('pt-limits', { force: true }), 'pt-limits');
  const pod = await pods.create({
    metadata: { name: 'pt-limits' },
    spec: { containers: [sleeper('limited', { resources: { limits: { cpu: '500m', memory: '32Mi' }, requests: { cpu: '250m', memory: '16Mi' } } }), sleeper('free')] },
  });
  const limited = await engine.containers.inspect(containerId(pod, 'limited'));
  assert.is(limited.HostConfig.NanoCpus, 500_000_000);
  assert.is(limited.HostConfig.Memory, 32 * MiB);
  assert.is(limited.HostConfig.MemorySwap, 32 * MiB, 'no swap beyond the limit');
  assert.is(limited.HostConfig.CpuShares, 256);
  assert.is(limited.HostConfig.MemoryReservation, 16 * MiB);
  const free = await engine.containers.inspect(containerId(pod, 'free'));
  assert.is(free.HostConfig.NanoCpus || 0, 0, 'limits stay on the container that names them');
  assert.is(free.HostConfig.Memory || 0, 0);
  // cgroup v2 names the file memory.max, v1 memory.limit_in_bytes.
  const cgroup = await engine.exec.run(containerId(pod, 'limited'), ['sh', '-c', 'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes']);
  assert.is(cgroup.stdout.trim(), String(32 * MiB));
});

const terminated = (pod: PodObject, name: string) => {
  const state = pod.status.containerStatuses.find((c) => c.name === name)?.state;
  return state && 'terminated' in state ? state.terminated : undefined;
};

/**
 * Runs the hog pod until its container has terminated and the pod has read the engine's verdict.
 * The engine's OOMKilled flag arrives after the exit, sometimes by seconds, and now and then never
 * (dockerd 20.10 with cgroup v1 here lost it about once in 30 runs, whether or not docker-init is
 * PID 1): only when the engine itself says the container was not OOM-killed is the pod made again,
 * at most three times, so a podling that stopped reporting OOMKilled still fails.
 */
async function oomKilledPod(pods: Pods, engine: Engine, mode: Mode): Promise<{ pod: PodObject; created: PodObject }> {
  for (let attempt = 1; ; attempt++) {
    // `tail` keeps the never-ending line of /dev/zero in memory until the limit is hit.
    const created = await pods.create({
      metadata: { name: 'pt-oom' },
      spec: {
        restartPolicy: 'Never',
        containers: [
          { name: 'hog', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['tail', '/dev/zero'], resources: { limits: { memory: '16Mi' } } },
          sleeper('bystander'),
        ],
      },
    });
    const pod = await poll(mode, () => pods.get('pt-oom'), (p) => terminated(p, 'hog')?.reason === 'OOMKilled', 40, 250);
    const engineSays = (await engine.containers.inspect(containerId(created, 'hog'))).State;
    if (engineSays.OOMKilled || attempt === 3) return { pod, created };
    assert.is(engineSays.ExitCode, 137, 'killed all the same');
    await pods.delete('pt-oom', { force: true });
  }
}

scenario(resources, 'a container that allocates past its memory limit is OOMKilled with exit code 137 and the pod is Failed under restartPolicy Never', async ({ engine, mode, defer }) => {
  const pods = testPods(engine, 'pod/resources oom');
  defer(() => pods.delete('pt-oom', { force: true }), 'pt-oom');
  const { pod, created } = await oomKilledPod(pods, engine, mode);
  assert.equal({ ...terminated(pod, 'hog'), startedAt: undefined, finishedAt: undefined }, { exitCode: 137, reason: 'OOMKilled', startedAt: undefined, finishedAt: undefined });
  assert.is(pod.status.phase, 'Running', 'the bystander still runs');
  const bystander = await engine.containers.inspect(containerId(created, 'bystander'));
  assert.is(bystander.State.OOMKilled, false, 'only the container over its own limit is killed');
  // Once nothing runs, the pod is Failed, and says why.
  await engine.containers.kill(containerId(created, 'bystander'));
  const after = await poll(mode, () => pods.get('pt-oom'), (p) => p.status.phase !== 'Running', 50, 100);
  assert.is(after.status.phase, 'Failed');
  assert.is(after.status.reason, 'OOMKilled');
}, { unsupported: { podman: 'Podman 4.3 never reports OOMKilled here: conmon registers for the cgroup v1 OOM notification but records nothing, so an OOM kill reads as exit 137 like any SIGKILL' } });

resources.run();
