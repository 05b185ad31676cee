import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Engine } from '../../src/engine/index.js';
import { appSpec, infraSpec } from '../../src/pod/containers.js';
import { findOrBuildInfraImage } from '../../src/pod/infra.js';
import { ANNOTATION_NETWORK } from '../../src/pod/index.js';
import { appName, infraName, LABEL, podNetworkName } from '../../src/pod/labels.js';
import { parsePod } from '../../src/pod/spec.js';
import { mode, scenario, type ScenarioContext } from '../support/scenario.js';
import { ensureBundle, runCli, startCli } from '../support/cli.js';
import { assertGone, IMAGE, labelled, sleeper } from '../support/pods.js';

// `podling prune` after a `podling pod create` that died midway: what the dead process made is
// removed, a create still in progress is not. These kill real processes, so they run live only.
const prune = suite('cli/prune');

const CONTAINERS = ['a', 'b', 'c', 'd', 'e', 'f'];
const FLAGS = CONTAINERS.flatMap((name) => ['--container', `${name}:${IMAGE}`]);

/** Polls the engine every few milliseconds until `seen` holds, or the process ends first. */
async function killWhen(engine: Engine, child: ChildProcess, seen: () => Promise<boolean>): Promise<void> {
  let exited = false;
  child.on('exit', () => { exited = true; });
  for (let i = 0; i < 2000 && !exited; i++) {
    if (await seen()) {
      child.kill('SIGKILL');
      await new Promise((resolve) => (exited ? resolve(undefined) : child.once('exit', resolve)));
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.unreachable(exited ? 'pod create finished before it could be killed' : 'the awaited object never appeared');
}

/** Whether every container the create meant to make exists and has been started: then it was done. */
async function finished(engine: Engine, pod: string): Promise<boolean> {
  const containers = await engine.containers.list({ all: true, filters: { label: [`${LABEL.podName}=${pod}`] } });
  return containers.length === CONTAINERS.length + 1 && containers.every((c) => c.State !== 'created');
}

async function killedCreateThenPrune({ engine, defer }: ScenarioContext, pod: string, seen: (engine: Engine) => Promise<boolean>, args = createArgs(pod)): Promise<void> {
  // Whatever a failure left behind, a last prune takes it.
  defer(() => runCli(['prune']), 'podling prune');
  // A run that failed before its kill landed leaves a whole pod, which prune rightly keeps: the
  // next run would count its containers as this one's.
  defer(() => runCli(['pod', 'delete', pod, '--force']), `pod ${pod}`);
  await ensureBundle();
  const child = startCli(args);
  await killWhen(engine, child, () => seen(engine));
  const left = await labelled(engine, `${LABEL.podName}=${pod}`);
  assert.ok(left.networks.length === 1, `the killed create left its network: ${JSON.stringify(left)}`);
  // The kill must land before the create had made and started everything, or there is nothing half-made to prune.
  assert.not.ok(await finished(engine, pod), 'the create had finished its work before the kill landed');
  const pruned = await runCli(['prune']);
  assert.is(pruned.code, 0, pruned.stderr);
  assert.match(pruned.stdout, /^pruned \d+ objects?$/m);
  await assertGone(engine, pod);
}

/** `--network own`: the pod's own network is one of the half-made objects these kills aim at. */
const createArgs = (pod: string) => ['pod', 'create', pod, ...FLAGS, '--pull', 'IfNotPresent', '--network', 'own'];

/**
 * The same pod from a file, its first container with a postStart hook that never ends: apps start
 * one after another in spec order when any has a hook, so the create is held after starting `a`,
 * with the other five created and not started, however quickly the engine works. Without it the
 * starts follow the creates at once, and on Podman they had all been done before a kill could land
 * (its container list answers only when the starts are done).
 */
function heldAtFirstStart(pod: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'podling-prune-'));
  const file = join(dir, `${pod}.json`);
  const containers = CONTAINERS.map((name, i) => ({
    name, image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'],
    ...(i === 0 && { lifecycle: { postStart: { exec: { command: ['sleep', '3600'] } } } }),
  }));
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: pod, annotations: { [ANNOTATION_NETWORK]: 'own' } }, spec: { containers } }));
  return file;
}

/**
 * A pod on the cluster network has its infra made while its own network is still being made (see
 * createPod), so the kills below wait for the network too: a request still in flight when the
 * process dies may finish after any prune, and these tests are about what prune finds.
 */
async function hasNetwork(engine: Engine, pod: string): Promise<boolean> {
  return (await engine.networks.list({ filters: { label: [`${LABEL.podName}=${pod}`] } })).length > 0;
}

if (mode === 'live') {
  scenario(prune, 'a pod create killed once its network exists leaves nothing after podling prune', async (ctx) => {
    await killedCreateThenPrune(ctx, 'pt-killed-network', async (engine) => (await engine.networks.list({ filters: { label: [`${LABEL.podName}=pt-killed-network`] } })).length > 0);
  });

  scenario(prune, 'a pod create killed once its infra container exists leaves nothing after podling prune', async (ctx) => {
    await killedCreateThenPrune(ctx, 'pt-killed-infra', async (engine) => (await engine.containers.list({ all: true, filters: { label: [`${LABEL.podName}=pt-killed-infra`, `${LABEL.role}=infra`] } })).length > 0 && hasNetwork(engine, 'pt-killed-infra'));
  });

  scenario(prune, 'a pod create killed while it starts its app containers leaves nothing after podling prune', async (ctx) => {
    const file = heldAtFirstStart('pt-killed-apps');
    ctx.defer(() => rmSync(dirname(file), { recursive: true, force: true }), 'the pod file');
    // Every app exists and the first runs: the create waits on its hook, the others not started.
    const seen = async (engine: Engine) => {
      const apps = await engine.containers.list({ all: true, filters: { label: [`${LABEL.podName}=pt-killed-apps`, `${LABEL.role}=app`] } });
      return apps.length === CONTAINERS.length && apps.some((c) => c.State === 'running') && hasNetwork(engine, 'pt-killed-apps');
    };
    await killedCreateThenPrune(ctx, 'pt-killed-apps', seen, ['pod', 'create', '-f', file]);
  });

  /**
   * Makes exactly what a create killed between creating its app containers and starting them
   * leaves: network, running infra, apps created and never started, all naming `creator`. Each is
   * removed after the scenario, and then nothing of the pod may be left.
   */
  async function halfMade({ engine, track, defer }: ScenarioContext, name: string, id: string, creator: string): Promise<void> {
    defer(() => assertGone(engine, name), `nothing of pod ${name} left`);
    const pod = parsePod({ metadata: { name }, spec: { containers: [sleeper('a'), sleeper('b')] } });
    track.network(podNetworkName(id));
    await engine.networks.create({
      Name: podNetworkName(id), Driver: 'bridge',
      Labels: { [LABEL.managed]: 'true', [LABEL.podId]: id, [LABEL.podName]: name, [LABEL.type]: 'pod-network', [LABEL.creator]: creator },
    });
    const image = await findOrBuildInfraImage(engine);
    const infra = await engine.containers.create(infraSpec(pod, id, image, creator), { name: track.container(infraName(name)) });
    await engine.containers.start(infra.Id);
    for (const c of pod.spec.containers) await engine.containers.create(appSpec(pod, id, c, infra.Id, creator), { name: track.container(appName(name, c.name)) });
  }

  scenario(prune, 'a pod whose create died after creating its apps and before starting them is pruned; one whose creator still runs is kept', async (ctx) => {
    const { engine } = ctx;
    // A pid that was just in use and is no longer: the creator of the first pod.
    const dead = spawnSync('true').pid;
    await halfMade(ctx, 'pt-half-dead', 'feed000001', `${hostname()}:${dead}`);
    await halfMade(ctx, 'pt-half-alive', 'feed000002', `${hostname()}:${process.pid}`);
    const pruned = await runCli(['prune']);
    assert.is(pruned.code, 0, pruned.stderr);
    assert.match(pruned.stdout, 'removed pod pt-half-dead');
    assert.not.match(pruned.stdout, 'pt-half-alive');
    await assertGone(engine, 'pt-half-dead');
    const kept = await labelled(engine, `${LABEL.podName}=pt-half-alive`);
    assert.is(kept.containers.length, 3, 'a create still running on this host is not an orphan');
    assert.equal(kept.networks, ['pod-feed000002']);
  });
}

prune.run();
