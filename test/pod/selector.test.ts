import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { matches, parseSelector, SelectorError } from '../../src/pod/selector.js';

// Equality-based label selectors, as `kubectl -l` takes them.
const selector = suite('pod/selector');

selector('equality, inequality, existence and absence parse into requirements', () => {
  assert.equal(parseSelector('app=web,tier!=db,canary,!legacy'), [
    { key: 'app', op: '=', value: 'web' },
    { key: 'tier', op: '!=', value: 'db' },
    { key: 'canary', op: 'exists' },
    { key: 'legacy', op: '!exists' },
  ]);
  assert.equal(parseSelector('app==web'), [{ key: 'app', op: '=', value: 'web' }]);
  assert.equal(parseSelector(' app = web , example.com/team=a-b.c_D '), [
    { key: 'app', op: '=', value: 'web' },
    { key: 'example.com/team', op: '=', value: 'a-b.c_D' },
  ]);
  assert.equal(parseSelector('app='), [{ key: 'app', op: '=', value: '' }], 'an empty value selects the empty label');
});

selector('a pod matches when every requirement holds', () => {
  const labels = { app: 'web', tier: 'frontend', empty: '' };
  const yes = ['app=web', 'app!=db', 'tier', '!legacy', 'app=web,tier=frontend', 'empty=', 'empty', 'missing!=x'];
  const no = ['app=db', 'app!=web', 'legacy', '!tier', 'app=web,tier=backend', 'empty=x'];
  for (const s of yes) assert.ok(matches(parseSelector(s), labels), s);
  for (const s of no) assert.not.ok(matches(parseSelector(s), labels), s);
  assert.ok(matches(parseSelector('!app'), undefined), 'a pod without labels has none of them');
  assert.not.ok(matches(parseSelector('app=web'), undefined));
});

selector('bad selectors are a SelectorError saying what is wrong', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty selector/],
    ['  ', /empty selector/],
    ['app in (web,db)', /set-based selector .* is not supported/],
    ['app notin (web)', /set-based selector/],
    ['!app=web', /"!" goes only before a bare key/],
    ['app=we b', /invalid label value "we b"/],
    ['-app=web', /invalid label key "-app"/],
    ['app=web,,tier=x', /invalid selector ""/],
    ['a b=c', /invalid label key "a b"/],
    ['app=-web', /invalid label value "-web"/],
  ];
  for (const [text, message] of cases) {
    try {
      parseSelector(text);
      assert.unreachable(`accepted ${JSON.stringify(text)}`);
    } catch (err) {
      assert.instance(err, SelectorError, text);
      assert.match((err as Error).message, message, text);
    }
  }
});

selector.run();
