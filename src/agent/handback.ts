import type { Engine } from '../engine/index.js';
import { isNotFound } from '../engine/errors.js';
import type { ContainerSummary } from '../engine/containers.js';
import { ENGINE_RESTART, enginePolicy } from '../pod/containers.js';
import { LABEL } from '../pod/labels.js';
import { Gate } from '../pod/gate.js';
import { attemptsByName } from '../pod/logs.js';
import { readPods, type PodRecord } from '../pod/read.js';

/**
 * When the agent stops, the engine's own restart policies go back on, so pods without an agent
 * are as well off as Docker alone makes them (they come back after a dockerd restart). Only each
 * container's newest attempt gets one: an older attempt with a policy would be started by the
 * engine beside it. Returns how many containers were handed back.
 */
export async function handBack(engine: Engine, mine: (pod: PodRecord) => boolean = () => true): Promise<number> {
  const gate = new Gate(8);
  const updates: Promise<void>[] = [];
  for (const pod of await readPods(engine)) {
    if (pod.deleting || !pod.spec || !mine(pod)) continue; // only the pods this agent supervised
    const spec = pod.spec;
    const newest = [...attemptsByName(pod.apps).values()].map((attempts) => attempts[0]!);
    const policyOf = (c: ContainerSummary) => {
      const name = c.Labels?.[LABEL.container];
      const init = spec.spec.initContainers?.find((i) => i.name === name);
      return init ? enginePolicy(spec, init, { init: true }) : ENGINE_RESTART[spec.spec.restartPolicy];
    };
    const targets = [...(pod.infra ? [[pod.infra.Id, 'unless-stopped'] as const] : []), ...newest.map((c) => [c.Id, policyOf(c)] as const)];
    for (const [id, Name] of targets) {
      updates.push(gate.run(() => engine.containers.update(id, { RestartPolicy: { Name } })).then(() => {}, (err: unknown) => { if (!isNotFound(err)) throw err; }));
    }
  }
  await Promise.all(updates);
  return updates.length;
}
