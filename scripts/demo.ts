/**
 * `make demo`: the engine client end to end on the local engine. Ping and version, a pull from the
 * local registry with progress, a container whose output is printed, and cleanup.
 */
import { Engine } from '../src/index.js';

const REGISTRY = process.env.PODLING_REGISTRY ?? '127.0.0.1:5000';
const IMAGE = `${REGISTRY}/podling-test/busybox:latest`;

async function main(): Promise<void> {
  const engine = new Engine();
  const ping = await engine.system.ping();
  const version = await engine.system.version();
  console.log(`engine   ${engine.address}: Docker ${version.Version}, API ${ping.apiVersion} (using ${await engine.apiVersion()})`);

  const pull = engine.images.pull(IMAGE);
  for await (const message of pull) {
    console.log(`pull     ${[message.id, message.status, message.progress].filter(Boolean).join(' ')}`);
  }
  await pull.done;

  const { Id } = await engine.containers.create({
    Image: IMAGE,
    Cmd: ['sh', '-c', 'echo "hello from $(hostname), a container started by Podling"; echo "uname: $(uname -sr)"; echo "to stderr" >&2'],
    Labels: { 'podling.io/managed': 'true', 'podling.io/type': 'demo' },
  }, { name: `podling-demo-${process.pid}` });
  try {
    const { exited } = await engine.containers.wait(Id, { condition: 'next-exit' });
    await engine.containers.start(Id);
    const { StatusCode } = await exited;
    const logs = await engine.containers.logs(Id, { tty: false });
    for await (const frame of logs) process.stdout.write(`${frame.stream.padEnd(8)} ${frame.payload.toString()}`);
    console.log(`exit     ${StatusCode}`);
  } finally {
    await engine.containers.remove(Id, { force: true });
    console.log(`cleanup  removed container ${Id.slice(0, 12)}`);
    await engine.close();
  }
}

main().catch((err) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
