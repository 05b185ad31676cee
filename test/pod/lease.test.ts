import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Engine } from '../../src/engine/index.js';
import { isPodlingError } from '../../src/errors.js';
import { findOrBuildInfraImage } from '../../src/pod/infra.js';
import { acquireLease, HOLDER_LABEL, LEASE_NAME, leaseHolder } from '../../src/pod/lease.js';
import { LABEL } from '../../src/pod/labels.js';
import { rejection } from '../support/pods.js';
import { scenario } from '../support/scenario.js';

// One agent per engine: a lease the engine holds for us, a created-never-started container of
// one fixed name (fixtures/pod/lease/).
const lease = suite('pod/lease');

scenario(lease, 'the lease is taken once: a second taker is refused with kind held naming the holder, and after release it can be taken again', async ({ engine, defer }) => {
  const image = await findOrBuildInfraImage(engine);
  defer(() => removeTestLease(engine), 'the lease');
  const release = await acquireLease(engine, image, { holder: 'node-a:101', alive: () => true });
  const holder = await leaseHolder(engine);
  assert.is(holder?.holder, 'node-a:101');
  const detail = await engine.containers.inspect(LEASE_NAME);
  assert.is(holder?.since, detail.Created, 'held since the lease was made');
  assert.is(detail.State.Status, 'created', 'never started: it holds no process and no address');
  assert.is(detail.Config.Labels?.[LABEL.type], 'agent-lease');

  const err = await rejection(acquireLease(engine, image, { holder: 'node-b:202', alive: () => true }));
  assert.ok(isPodlingError(err, 'held'), String(err));
  assert.match((err as Error).message, 'another podling agent supervises this engine (node-a:101');
  assert.is((await leaseHolder(engine))?.holder, 'node-a:101', 'the refused taker changed nothing');

  await release();
  assert.is(await leaseHolder(engine), undefined);
  const again = await acquireLease(engine, image, { holder: 'node-b:202', alive: () => true });
  assert.is((await leaseHolder(engine))?.holder, 'node-b:202');
  await again();
});

scenario(lease, 'a lease whose holder is gone (an agent SIGKILLed) is taken over by the next agent', async ({ engine, defer }) => {
  const image = await findOrBuildInfraImage(engine);
  defer(() => removeTestLease(engine), 'the lease');
  await acquireLease(engine, image, { holder: 'node-a:101', alive: () => true }); // never released: its holder "dies"
  const release = await acquireLease(engine, image, { holder: 'node-a:102', alive: (h) => h !== 'node-a:101' });
  const detail = await engine.containers.inspect(LEASE_NAME);
  assert.is(detail.Config.Labels?.[HOLDER_LABEL], 'node-a:102');
  await release();
});

/** The lease, only if one of this test's holders has it: never a real agent's. */
async function removeTestLease(engine: Engine): Promise<void> {
  if ((await leaseHolder(engine))?.holder.startsWith('node-')) await engine.containers.remove(LEASE_NAME, { force: true });
}

lease.run();
