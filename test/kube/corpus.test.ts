import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManifestError, type Manifest } from '../../src/kube/manifest.js';
import { IMAGE } from '../support/pods.js';
import { corpusFiles, corpusIndex, expectedNotices, loadCorpusFile, noticePath, objectKey, refusedNow } from '../support/corpus.js';

// The corpus of Pod manifests as people write them (test/corpus): each file is accepted or refused
// as its index says, with the notices it says, and nothing reaches an engine (none is made here).
const corpus = suite('kube/corpus');
const index = corpusIndex();

async function outcome(file: string): Promise<{ objects: Manifest[] } | { problems: string[] }> {
  try {
    return { objects: await loadCorpusFile(file) };
  } catch (err) {
    if (err instanceof ManifestError) return { problems: err.problems };
    throw err;
  }
}

corpus('at least 40 files, each in the index and the index naming no other', () => {
  const files = corpusFiles();
  assert.ok(files.length >= 40, `${files.length} files`);
  assert.equal(Object.keys(index).sort(), files);
});

for (const [file, entry] of Object.entries(index)) {
  if (refusedNow(entry)) {
    corpus(`${file}: refused (${entry.refused!.why}), every problem naming ${entry.refused!.fields.join(', ')}`, async () => {
      const result = await outcome(file);
      assert.ok('problems' in result, 'accepted');
      if (!('problems' in result)) return;
      for (const problem of result.problems) {
        assert.ok(entry.refused!.fields.some((f) => problem.includes(`: ${f}: `)), `unexpected problem: ${problem}`);
      }
      for (const field of entry.refused!.fields) assert.ok(result.problems.some((p) => p.includes(`: ${field}: `)), `${field} not named`);
    });
    continue;
  }
  const notices = expectedNotices(entry);
  corpus(`${file}: accepted, ${notices.length ? `notices for ${notices.join(', ')}` : 'no notice'}`, async () => {
    const result = await outcome(file);
    if ('problems' in result) assert.unreachable(`refused: ${result.problems.join('; ')}`);
    if (!('objects' in result)) return;
    assert.equal(result.objects.map(objectKey), entry.objects);
    assert.equal(result.objects.flatMap((o) => o.notices.map(noticePath)).sort(), notices);
  });
}

corpus('every container runs the local test image, and every object is named for the corpus (kc- prefix or namespace)', async () => {
  for (const file of Object.keys(index).filter((f) => !refusedNow(index[f]!))) {
    for (const o of await loadCorpusFile(file)) {
      assert.ok(o.name.startsWith('kc-') || o.namespace.startsWith('kc-'), `${file}: ${objectKey(o)}`);
      if (o.kind !== 'Pod') continue;
      for (const c of [...o.pod.spec.containers, ...o.pod.spec.initContainers ?? []]) assert.is(c.image, IMAGE, `${file}: ${c.name}`);
    }
  }
});

corpus.run();
