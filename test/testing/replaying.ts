import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine } from '../../src/engine/index.js';
import { saveFixture, type Fixture, type FixtureExchange } from '../../src/testing/fixture.js';
import { withEngine } from '../../src/testing/session.js';

/** Hand-built fixtures for tests of the replay itself (committed fixtures are always recorded). */

export const fixtureOf = (exchanges: FixtureExchange[]): Fixture => ({ podling: 1, epoch: '2026-01-01T00:00:00.000Z', clock: [], exchanges });

/** What an Engine asks first, to negotiate the version. */
export const PING: FixtureExchange = {
  request: { method: 'GET', path: '/_ping' },
  response: { status: 200, framing: 'length', headers: { 'Api-Version': '1.41' }, body: { text: 'OK' } },
};

/** Runs `fn` on a replay of `fixture` through withEngine, as a test would; resolves to its error, if any. */
export async function replaying(fixture: Fixture, fn: (engine: Engine) => Promise<unknown>): Promise<Error | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'podling-replaying-'));
  try {
    const path = join(dir, 'scenario.json');
    await saveFixture(path, fixture);
    return await withEngine({ fixture: path }, fn).then(() => undefined, (err: Error) => err);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The message of a 599: what the client under test is told of a miss. */
export function missOf(answer: Buffer): string {
  const text = answer.toString();
  assert.match(text, /^HTTP\/1\.1 599 /);
  return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).message as string;
}
