import type { Engine } from '../engine/index.js';
import { isConflict, isNotFound } from '../engine/errors.js';
import { PodError } from './errors.js';
import { LABEL } from './labels.js';
import { creatorAlive, creatorTag } from './creator.js';

/**
 * One agent per engine. The lease is a container the engine holds for us: created, never started,
 * under one fixed name, so the engine's unique names make taking it atomic. It names its holder
 * (`host:pid`); a holder on this host whose process is gone (an agent SIGKILLed) has lost it, and
 * the next agent takes it over. A holder on another host is presumed alive: never take over what
 * might still run elsewhere.
 */
export const LEASE_NAME = 'podling_agent';
export const HOLDER_LABEL = 'podling.io/agent-holder';

export interface LeaseHolder { holder: string; since?: string; alive: boolean }

export interface LeaseOptions {
  holder?: string;
  signal?: AbortSignal;
  /** Whether a holder still runs (default: this host's process table; another host's presumed alive). */
  alive?: (holder: string) => boolean;
}

export async function acquireLease(engine: Engine, image: string, options: LeaseOptions = {}): Promise<() => Promise<void>> {
  const holder = options.holder ?? creatorTag();
  const create = () => engine.containers.create({
    Image: image,
    Labels: { [LABEL.managed]: 'true', [LABEL.type]: 'agent-lease', [HOLDER_LABEL]: holder },
    HostConfig: { NetworkMode: 'none' },
  }, { name: LEASE_NAME, signal: options.signal });
  let id: string;
  try {
    ({ Id: id } = await create());
  } catch (err) {
    if (!isConflict(err)) throw err;
    const current = await leaseHolder(engine, options);
    if (current && (options.alive ?? holderAlive)(current.holder)) {
      throw new PodError('held', `another podling agent supervises this engine (${current.holder}, since ${current.since ?? 'an unknown time'}): stop it first; one agent per engine`);
    }
    await engine.containers.remove(LEASE_NAME, { force: true, signal: options.signal }).catch((e: unknown) => { if (!isNotFound(e)) throw e; });
    // Another agent may take it in between: then this create is the conflict, and we say so.
    try {
      ({ Id: id } = await create());
    } catch (again) {
      if (isConflict(again)) throw new PodError('held', 'another podling agent took the lease just now: one agent per engine', { cause: again });
      throw again;
    }
  }
  return async () => {
    await engine.containers.remove(id, { force: true }).catch((e: unknown) => { if (!isNotFound(e)) throw e; });
  };
}

/** This process holds it, or a live process on this host, or any process on another host. */
function holderAlive(holder: string): boolean {
  return holder === creatorTag() || creatorAlive(holder);
}

/** Who holds the lease, if anyone: what `pod get` reports as the pod's supervisor. */
export async function leaseHolder(engine: Engine, options: { signal?: AbortSignal } = {}): Promise<LeaseHolder | undefined> {
  try {
    const lease = await engine.containers.inspect(LEASE_NAME, options);
    const holder = lease.Config.Labels?.[HOLDER_LABEL] ?? '';
    // The container's own creation time is when the lease was taken.
    return { holder, since: lease.Created, alive: holderAlive(holder) };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
