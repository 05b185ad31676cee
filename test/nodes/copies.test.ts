import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decideCopy, type Copy, type CopyDecision } from '../../src/nodes/copies.js';

// Which copy of a ConfigMap or Secret a node gets before a pod is made there (src/nodes/copies.ts):
// the newest the other nodes hold, unless its own is that, or newer, or the same values.
const copies = suite('nodes/copies');

const at = (created: number, digest: string): Copy => ({ created, digest });
const keep: CopyDecision = { keep: true };

const CASES: Array<[string, Copy | undefined, Array<Copy | undefined>, CopyDecision]> = [
  ['no other node answered: nothing to go by', at(1, 'a'), [], keep],
  ['no node has it, the target neither (an optional reference)', undefined, [undefined, undefined], keep],
  ['only the target has it: kept (deleted elsewhere and made only here look the same)', at(1, 'a'), [undefined, undefined], keep],
  ['the target missed the create', undefined, [at(5, 'a'), at(5, 'a')], { write: 0 }],
  ['the target missed the create; the one node that has it', undefined, [undefined, at(5, 'a')], { write: 1 }],
  ['the target missed a replace', at(1, 'old'), [at(5, 'new'), at(5, 'new')], { write: 0 }],
  ['the same values made at another time (an earlier repair, say)', at(1, 'a'), [at(9, 'a')], keep],
  ['the target has the newest: other nodes missed a write, not this one', at(9, 'new'), [at(5, 'old')], keep],
  ['two others disagree: the newest wins', at(1, 'old'), [at(5, 'mid'), at(7, 'new'), undefined], { write: 1 }],
  ['the target holds what the newest holds, the others older', at(3, 'new'), [at(1, 'old'), at(7, 'new')], keep],
];

for (const [what, target, others, expected] of CASES) {
  copies(what, () => {
    assert.equal(decideCopy(target, others), expected);
  });
}

copies.run();
