// Differential fuzz of get.ts's -o jsonpath against kubectl's: templates that fast-check builds from
// the pieces of kubectl's dialect (k8s.io/client-go/util/jsonpath: fields, [*], [n], [a:b], .., filters,
// {range}…{end}, quoted literals) and from stray characters, each printed by `kubectl get` and by
// `get.ts` on the same object of the same pod sandbox. Every template must give the same stdout, the
// same stderr and the same exit status from both: a template kubectl cannot parse must fail alike.
//
// Usage (inside a pod sandbox, with the scripts on PATH as the bats suites have them):
//   node --import tsx test/fuzz/jsonpath-parity.ts [--runs N] [--seed S]
// The seed makes a run's templates reproducible. Exit 0 when every template agreed, 1 otherwise
// (each difference printed with its template), 2 usage.

import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import fc from 'fast-check';

/** One object and one list: kubectl's printer sees the object itself, or the List wrapping the items. */
const TARGETS = [
  ['daemonsets', 'gateway', '-n', 'test'],
  ['pods', '-n', 'test'],
];

const field = fc.constantFrom(
  'metadata',
  'name',
  'labels',
  'spec',
  'containers',
  'image',
  'items',
  'status',
  'kind',
  'apiVersion',
  'numberReady',
  'missing',
  'name-with-dash',
);
const index = fc.constantFrom('*', '0', '1', '-1', '0:1', '1:', ':2', '-2:', '5', '::2');
const literal = fc.constantFrom('"x"', '"\\n"', '"\\t"', "'q'", '""', '"a}b"');
const filter = fc
  .tuple(field, fc.constantFrom('==', '!=', '<', '>'), fc.constantFrom('"gateway"', '1', '"test"'))
  .map(([name, op, value]) => `?(@.${name}${op}${value})`);
/** A path the way kubectl's templates are written: .a.b[0], ..image, [?(@.x=="y")]. */
const path = fc
  .array(
    fc.oneof(
      field.map((name) => `.${name}`),
      // Recursive descent over a map visits its keys in Go's random map order (kubectl's
      // evalRecursive ranges over reflect's MapKeys), so only a field found in one place is stable.
      fc.constant('..image'),
      index.map((i) => `[${i}]`),
      filter.map((f) => `[${f}]`),
    ),
    { minLength: 1, maxLength: 5 },
  )
  .map((parts) => parts.join(''));
/** What a template is made of: text, {path}, {literal}, {range path}…{end}, and stray characters. */
const piece = fc.oneof(
  { weight: 4, arbitrary: path.map((p) => `{${p}}`) },
  { weight: 2, arbitrary: literal.map((l) => `{${l}}`) },
  { weight: 1, arbitrary: fc.tuple(path, path).map(([over, each]) => `{range ${over}}{${each}}{end}`) },
  { weight: 1, arbitrary: fc.constantFrom('text', ' ', ',', '-') },
  { weight: 1, arbitrary: fc.constantFrom('{', '}', '[', ']', '(', ')', '@', '$', '{end}', '{range', '{.}', '{$}', '{@}', '\\') },
);
const template = fc.array(piece, { minLength: 1, maxLength: 4 }).map((pieces) => pieces.join(''));

interface Printed {
  stdout: string;
  stderr: string;
  status: number | null;
}

function run(command: string, args: string[]): Printed {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw result.error;
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

function main(): number {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, seed: { type: 'string' } } });
  const runs = Number(values.runs ?? 40);
  const seed = Number(values.seed ?? Date.now() % 2 ** 31);
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
    process.stderr.write('usage: jsonpath-parity.ts [--runs N] [--seed S]\n');
    return 2;
  }
  const differences: string[] = [];
  let panics = 0;
  const samples = fc.sample(fc.tuple(template, fc.constantFrom(...TARGETS)), { numRuns: runs, seed });
  for (const [text, target] of samples) {
    const args = ['get', ...target, '-o', `jsonpath=${text}`];
    const kubectl = run('kubectl', args);
    const script = run('get.ts', args.slice(1));
    // kubectl 1.32 panics on some templates (a filter applied to a missing value: reflect's "call of
    // reflect.Value.Type on zero Value"); get.ts need not crash alike, only say something sane.
    if (kubectl.stderr.startsWith('panic: ')) {
      panics++;
      if (script.stderr.includes('\n    at ')) differences.push(`get.ts printed a stack trace for ${JSON.stringify(text)}`);
      continue;
    }
    for (const stream of ['stdout', 'stderr', 'status'] as const) {
      if (kubectl[stream] !== script[stream]) {
        differences.push(
          `${stream} differs for ${JSON.stringify(text)} on ${target.join(' ')}:\n` +
            `  kubectl: ${JSON.stringify(kubectl[stream])}\n  get.ts:  ${JSON.stringify(script[stream])}`,
        );
      }
    }
  }
  for (const difference of differences) process.stdout.write(`${difference}\n`);
  process.stdout.write(
    `jsonpath parity: ${runs} templates, seed ${seed}, ${panics} on which kubectl panicked, ${differences.length} differences\n`,
  );
  return differences.length === 0 ? 0 : 1;
}

process.exitCode = main();
