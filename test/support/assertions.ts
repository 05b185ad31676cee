import * as assert from 'uvu/assert';
import { EngineError, type EngineErrorKind } from '../../src/engine/errors.js';

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  assert.unreachable('expected a rejection');
  throw new Error('unreachable');
}

/** The EngineError a call rejects with, checked to be of `kind`. */
export async function engineFailure(promise: Promise<unknown>, kind: EngineErrorKind): Promise<EngineError> {
  const err = await rejection(promise);
  assert.instance(err, EngineError, String(err));
  assert.is((err as EngineError).kind, kind, err.message);
  return err as EngineError;
}

/** The EngineError a call throws synchronously, checked to be of `kind`. */
export function thrown(call: () => unknown, kind: EngineErrorKind): EngineError {
  try {
    call();
  } catch (err) {
    assert.instance(err, EngineError, String(err));
    assert.is((err as EngineError).kind, kind, (err as EngineError).message);
    return err as EngineError;
  }
  assert.unreachable(`expected a synchronous ${kind} error`);
  throw new Error('unreachable');
}

/** Every message of a progress stream, and how the iteration ended (undefined when cleanly). */
export async function drain<T>(progress: AsyncIterable<T>): Promise<{ messages: T[]; error: unknown }> {
  const messages: T[] = [];
  try {
    for await (const message of progress) messages.push(message);
  } catch (error) {
    return { messages, error };
  }
  return { messages, error: undefined };
}
