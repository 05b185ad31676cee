import { connect } from 'node:net';
import { failure, SUCCESS, type ProbeOutcome } from './outcome.js';
import { transportReason } from './transport-reason.js';

/**
 * A TCP connect from this process to `address:port`, as the kubelet's tcp prober: an accepted
 * connection is a success and is closed at once; a refusal, an error or an abort (the caller's
 * deadline, see run.ts) is a failure. Resolves, never rejects.
 */
export function tcpProbe(address: string, port: number, signal: AbortSignal): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const done = (outcome: ProbeOutcome) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(outcome);
    };
    const onAbort = () => done(failure('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done(SUCCESS));
    socket.once('error', (err) => done(failure(transportReason(err))));
  });
}
