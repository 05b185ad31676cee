import type { Socket } from 'node:net';
import { describeDifference } from './difference.js';
import type { UpgradeEvent } from './exchange.js';

/**
 * Replays a hijacked (101) connection: the engine's bytes go out as recorded, and the client's
 * bytes (stdin) must arrive as recorded, byte for byte, before what followed them is sent. A
 * client that writes something else is stopped at the first wrong byte, not left waiting.
 */

export function send(socket: Socket, data: Buffer | string): Promise<void> {
  return new Promise((resolve) => socket.write(data, () => resolve()));
}

/** What a hijacked client sent, and whether it half-closed, for the replay to wait on. */
export class Inbox {
  data: Buffer = Buffer.alloc(0);
  ended = false;
  private wake: (() => void) | undefined;

  add(data: Buffer): void { this.data = Buffer.concat([this.data, data]); this.wake?.(); }
  end(): void { this.ended = true; this.wake?.(); }

  async until(condition: () => boolean, timeout: number): Promise<boolean> {
    while (!condition()) {
      const woke = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), timeout);
        this.wake = () => { clearTimeout(timer); resolve(true); };
      });
      if (!woke) return condition();
    }
    return true;
  }
}

function mismatch(expected: Buffer, got: Buffer): string | undefined {
  const difference = describeDifference(expected, got);
  return difference && `stdin (what the client wrote after the upgrade) ${difference}`;
}

/**
 * Waits until the client has written `expected` (everything recorded from it so far), or has
 * half-closed after exactly that when `ending`; returns why not, if it did not.
 */
async function awaitClient(inbox: Inbox, expected: Buffer, ending: boolean, timeout: number): Promise<string | undefined> {
  const diverged = () => {
    const common = Math.min(inbox.data.length, expected.length);
    return !inbox.data.subarray(0, common).equals(expected.subarray(0, common)) || (ending && inbox.data.length > expected.length);
  };
  const done = () => diverged() || inbox.ended || (!ending && inbox.data.length >= expected.length);
  if (!await inbox.until(done, timeout)) {
    return ending
      ? `the client never half-closed its side as recorded within ${timeout} ms`
      : `the client sent ${inbox.data.length} of the ${expected.length} bytes recorded within ${timeout} ms`;
  }
  // Bytes beyond `expected` may be the next recorded write: only an end must follow exactly these.
  return mismatch(expected, ending ? inbox.data : inbox.data.subarray(0, expected.length));
}

/** Plays `events` on `socket`; returns what went differently from the recording, if anything. */
export async function replayHijacked(socket: Socket, inbox: Inbox, events: UpgradeEvent[], timeout: number): Promise<string | undefined> {
  let expected = Buffer.alloc(0);
  try {
    for (const event of events) {
      if (event.from === 'engine') {
        if ('data' in event) await send(socket, event.data);
        else socket.end();
        continue;
      }
      // Output that followed stdin in the recording must follow it here too.
      if ('data' in event) expected = Buffer.concat([expected, event.data]);
      const problem = await awaitClient(inbox, expected, !('data' in event), timeout);
      if (problem) return problem;
    }
    // Bytes written after all that was recorded: seen only if they came before the replay ended.
    return inbox.data.length > expected.length ? mismatch(expected, inbox.data) : undefined;
  } finally {
    socket.end();
  }
}
