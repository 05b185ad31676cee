/**
 * `make demo`: the seed's app + sidecar example on local images. One container serves HTTP on a
 * port; the other fetches it through `localhost`. Prints the pod IP, what was fetched, and the
 * address each container sees, then deletes the pod.
 */
import { Engine } from '../src/index.js';
import { Pods, PodNotFoundError } from '../src/pod/index.js';
import { progressPrinter } from '../src/cli/progress.js';

const IMAGE = `${process.env.PODLING_REGISTRY ?? '127.0.0.1:5000'}/podling-test/busybox:latest`;
const POD = 'podling-demo';

async function main(): Promise<void> {
  const engine = new Engine();
  const pods = new Pods(engine);
  const version = await engine.system.version();
  console.log(`engine    ${engine.address}: Docker ${version.Version}, API ${await engine.apiVersion()}`);
  await pods.delete(POD, { force: true }).catch((err) => { if (!(err instanceof PodNotFoundError)) throw err; });
  const hadCluster = await engine.networks.inspect(pods.cluster.name).then(() => true, () => false);

  const pod = await pods.create({
    metadata: { name: POD, labels: { app: 'demo' } },
    spec: {
      containers: [
        { name: 'app', image: IMAGE, command: ['sh', '-c', 'mkdir -p /www && echo "hello from the app container" > /www/index.html && exec httpd -f -p 8080 -h /www'] },
        { name: 'sidecar', image: IMAGE, command: ['sleep', '3600'] },
      ],
    },
  }, { onProgress: progressPrinter(process.stdout) });
  try {
    console.log(`pod       ${pod.metadata.name} (${pod.metadata.uid}) ${pod.status.phase}, pod IP ${pod.status.podIP}`);
    const [app, sidecar] = pod.status.containerStatuses.map((c) => c.containerID.replace('docker://', ''));
    const fetched = await retry(() => engine.exec.run(sidecar!, ['busybox', 'timeout', '5', 'wget', '-qO-', 'http://localhost:8080/']));
    console.log(`sidecar   fetched http://localhost:8080/ -> ${fetched.stdout.trim()}`);
    // Every container of the pod is in the infra's namespace: the same interfaces, the same
    // addresses (its own pod network's and, as status.podIP, the cluster network's).
    const seen: string[] = [];
    for (const [name, id] of [['app', app!], ['sidecar', sidecar!]] as const) {
      const { stdout } = await engine.exec.run(id, ['sh', '-c', "ip -4 -o addr show scope global | awk '{print $4}'"]);
      seen.push(stdout.trim().split('\n').join(', '));
      console.log(`${name.padEnd(9)} sees its addresses as ${seen.at(-1)}`);
    }
    console.log(`shared    ${seen[0] === seen[1] ? 'yes: one network namespace, one pod IP' : 'NO: the containers see different addresses'}`);
  } finally {
    await pods.delete(POD);
    // The cluster network is shared by every pod; the demo takes it away only if it made it.
    if (!hadCluster) await engine.networks.remove(pods.cluster.name).catch(() => {});
    console.log(`cleanup   pod ${POD} deleted; ${(await pods.list()).filter((p) => p.metadata.name === POD).length} left`);
    await engine.close();
  }
}

/** The server needs a moment after its container starts. */
async function retry(fn: () => Promise<{ exitCode: number; stdout: string; stderr: string }>): Promise<{ stdout: string }> {
  for (let attempt = 1; ; attempt++) {
    const result = await fn();
    if (result.exitCode === 0) return result;
    if (attempt === 20) throw new Error(`fetch failed: ${result.stderr.trim()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

main().catch((err) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
