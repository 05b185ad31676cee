import { hostname } from 'node:os';

/** `host:pid` of this process: the creator label of what it makes, and an agent lease's holder. */
export const creatorTag = () => `${hostname()}:${process.pid}`;

/**
 * Whether the process that created an object still runs. Only answerable on the same host; a
 * creator on another host is presumed alive (never prune what might be in progress elsewhere).
 */
export function creatorAlive(creator: string | undefined): boolean {
  if (!creator) return false;
  const colon = creator.lastIndexOf(':');
  const host = creator.slice(0, colon);
  const pid = Number(creator.slice(colon + 1));
  if (host !== hostname()) return true;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
