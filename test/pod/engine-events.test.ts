import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isImageNameLost, isRemoval } from '../../src/pod/engine-events.js';

const events = suite('pod/engine-events');

events('a removal reads the same in dockerd\'s words and in Podman\'s', () => {
  const cases: Array<[string, string, boolean]> = [
    ['container', 'destroy', true], // dockerd
    ['container', 'remove', true], // Podman
    ['network', 'destroy', true],
    ['network', 'remove', true],
    ['image', 'delete', true],
    ['image', 'remove', true],
    ['container', 'die', false],
    ['container', 'cleanup', false], // Podman, after die: the container is still there
    ['image', 'destroy', false],
    ['volume', 'remove', false],
  ];
  for (const [Type, Action, removal] of cases) assert.is(isRemoval({ Type, Action }), removal, `${Type} ${Action}`);
});

events('an image loses a name when untagged or removed, in either vocabulary, and not when tagged or pulled', () => {
  assert.ok(isImageNameLost({ Type: 'image', Action: 'untag' }));
  assert.ok(isImageNameLost({ Type: 'image', Action: 'delete' }));
  assert.ok(isImageNameLost({ Type: 'image', Action: 'remove' }));
  assert.not.ok(isImageNameLost({ Type: 'image', Action: 'tag' }));
  assert.not.ok(isImageNameLost({ Type: 'image', Action: 'pull' }));
  assert.not.ok(isImageNameLost({ Type: 'container', Action: 'remove' }));
});

events.run();
