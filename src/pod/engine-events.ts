import type { EngineEvent } from '../engine/system.js';

/**
 * What an engine event means, in either engine's words. dockerd says `destroy` when a container or
 * network is removed and `delete` when an image is; Podman's compatible API says `remove` for all
 * of them (and sends no network events at all: docs/engine-behaviour.md, "Podman 4.3").
 */
type Kind = Pick<EngineEvent, 'Type' | 'Action'>;

const REMOVALS: Record<string, ReadonlySet<string>> = {
  container: new Set(['destroy', 'remove']),
  network: new Set(['destroy', 'remove']),
  image: new Set(['delete', 'remove']),
};

/** The object the event names is gone. */
export function isRemoval(event: Kind): boolean {
  return REMOVALS[event.Type]?.has(event.Action) ?? false;
}

/** An image lost a name (untagged) or is gone: a name looked up before may no longer be there. */
export function isImageNameLost(event: Kind): boolean {
  return event.Type === 'image' && (event.Action === 'untag' || isRemoval(event));
}
