import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

// The README's TypeScript examples are type-checked against the package's own exports, as a user
// would import them ('podling', 'podling/testing'): an example that no longer compiles fails here.
const readme = suite('readme');

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function examples(): Array<{ line: number; code: string }> {
  const text = readFileSync(`${ROOT}README.md`, 'utf8');
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => ({ line: text.slice(0, m.index).split('\n').length + 1, code: m[1]! }));
}

readme('the README has TypeScript examples to check', () => {
  assert.ok(examples().length >= 3, `found ${examples().length}`);
});

/** Every example type-checked in one program (one compile, not one per example): problems by example. */
function problemsByExample(): Map<number, string[]> {
  const files = new Map(examples().map(({ line, code }) => [`${ROOT}readme-example-${line}.ts`, { line, code }]));
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true, noEmit: true, skipLibCheck: true, types: ['node'],
    baseUrl: ROOT, paths: { podling: ['src/index.ts'], 'podling/testing': ['src/testing/index.ts'] },
  };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  const exists = host.fileExists.bind(host);
  // Each example is a module of its own (top-level await), in an ESM package.
  host.readFile = (file) => (files.has(file) ? `${files.get(file)!.code}\nexport {};\n` : read(file));
  host.fileExists = (file) => files.has(file) || exists(file);
  const program = ts.createProgram([...files.keys()], options, host);
  const problems = new Map([...files.values()].map(({ line }) => [line, [] as string[]]));
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const example = d.file && files.get(d.file.fileName);
    if (!example) continue;
    const at = example.line + d.file!.getLineAndCharacterOfPosition(d.start ?? 0).line;
    problems.get(example.line)!.push(`README.md line ${at}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
  }
  return problems;
}

let checked: Map<number, string[]> | undefined;
for (const { line } of examples()) {
  readme(`the example at README.md line ${line} compiles against the package's exports`, () => {
    const problems = (checked ??= problemsByExample()).get(line)!;
    assert.equal(problems, [], problems.join('\n'));
  });
}

readme.run();
