import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../../src/engine/index.js';
import { errorFromResponse } from '../../src/engine/errors.js';
import { CONTAINER_REMOVE_TRIES, forceRemoveContainer, isStopRace } from '../../src/pod/container-remove.js';
import { fakeEngine } from '../support/fake-engine.js';
import { unit } from '../support/scenario.js';

// The bounded retry of a forced container remove where Podman races with the container stopping
// by itself (src/pod/container-remove.ts). Podman 4.3.1's answer, as `pod delete --force` got it.
const containerRemove = suite('pod/container-remove');

const ID = '16c0d555b444';
const RACE = JSON.stringify({
  cause: 'container state improper',
  message: `cannot remove container ${ID} as it could not be stopped: sending SIGKILL to container ${ID}: container state improper: stopped`,
  response: 500,
});

containerRemove('only the stop race is retried: not another server error, not a conflict, not a plain error', () => {
  assert.ok(isStopRace(errorFromResponse('DELETE', `/containers/${ID}`, 500, RACE)));
  assert.not.ok(isStopRace(errorFromResponse('DELETE', `/containers/${ID}`, 500, '{"cause":"container state improper","message":"container state improper"}')));
  assert.not.ok(isStopRace(errorFromResponse('DELETE', `/containers/${ID}`, 409, '{"message":"removal of container is already in progress"}')));
  assert.not.ok(isStopRace(new Error('could not be stopped: container state improper')));
});

/** Runs `forceRemoveContainer` against an engine whose removes answer `answers` in turn (the last repeated): its outcome and how many removes it sent. */
async function removeAgainst(answers: Array<[number, string]>): Promise<{ outcome: unknown; removes: number }> {
  let n = 0;
  const fake = await fakeEngine((req, res) => {
    res.setHeader('Api-Version', '1.41');
    if (req.url === '/_ping') return void res.end('OK');
    const [status, body] = answers[Math.min(n++, answers.length - 1)]!;
    res.writeHead(status, body ? { 'Content-Type': 'application/json' } : {}).end(body);
  });
  const engine = new Engine({ socketPath: fake.socketPath }, {});
  try {
    const outcome = await forceRemoveContainer(engine, ID).then(() => 'removed', (err: unknown) => err);
    return { outcome, removes: fake.requests.filter((r) => r.method === 'DELETE').length };
  } finally {
    await engine.close();
    await fake.close();
  }
}

unit(containerRemove, 'a remove that lost the race is sent again, force and volumes both times, and succeeds; one that keeps losing fails after the bounded tries; another error at once', async () => {
  assert.equal(await removeAgainst([[500, RACE], [204, '']]), { outcome: 'removed', removes: 2 });
  const losing = await removeAgainst([[500, RACE]]);
  assert.is(losing.removes, CONTAINER_REMOVE_TRIES);
  assert.match(String(losing.outcome), 'could not be stopped');
  const other = await removeAgainst([[500, '{"message":"driver failed"}']]);
  assert.equal([String(other.outcome).includes('driver failed'), other.removes], [true, 1]);
});

containerRemove.run();
