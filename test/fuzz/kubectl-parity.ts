// Differential fuzz of the scripts against kubectl, on inputs fast-check builds, each run by kubectl
// and by the script in the same pod sandbox; both must print the same stdout and stderr and exit alike
// (input kubectl refuses must be refused alike):
//   jsonpath  get.ts -o jsonpath=TEMPLATE against kubectl get: templates from the pieces of kubectl's
//             dialect (k8s.io/client-go/util/jsonpath: fields, [*], [n], [a:b], .., filters,
//             {range}…{end}, quoted literals) and from stray characters, on one object and on a list;
//   can-i     can-i.ts against kubectl auth can-i: verbs, resources (short, singular, kind-cased,
//             group-qualified, unknown, subresource, non-resource URLs), names and flags, valid or not.
//
// Usage (inside a pod sandbox, with the scripts on PATH as the bats suites have them):
//   node --import tsx test/fuzz/kubectl-parity.ts jsonpath|can-i [--runs N] [--seed S]
// The seed makes a run's inputs reproducible. Exit 0 when every input agreed, 1 otherwise (each
// difference printed with its input), 2 usage.

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

/** How kubectl ends a usage error (cmdutil.UsageErrorf). */
const KUBECTL_USAGE_HINT = /\nSee 'kubectl [a-z -]+ -h' for help and examples\.\n$/;

/** A case: the arguments after `kubectl`, and the script's command line. */
type Case = { kubectl: string[]; script: string[] };

const jsonpathCases: fc.Arbitrary<Case> = fc.tuple(template, fc.constantFrom(...TARGETS)).map(([text, target]) => ({
  kubectl: ['get', ...target, '-o', `jsonpath=${text}`],
  script: ['get.ts', ...target, '-o', `jsonpath=${text}`],
}));

const verb = fc.constantFrom('get', 'list', 'watch', 'create', 'delete', 'patch', '*', 'escalate', 'use', 'frobnicate', 'GET');
const resource = fc.constantFrom(
  'pods',
  'po',
  'pod',
  'Pods',
  'Pod',
  'deploy',
  'deployments.apps',
  'daemonsets.v1.apps',
  'ds',
  'configmaps',
  'secrets',
  'nodes',
  'namespaces',
  '*',
  'foo',
  'foo.bar',
  'pods/log',
  'serviceaccounts/token',
  '/api',
  '/version',
  '/healthz',
  '/apis/*',
);
const canIFlags = fc.subarray([['-n', 'test'], ['-A'], ['--subresource', 'log'], ['-q']]).map((flags) => flags.flat());
const canICases: fc.Arbitrary<Case> = fc
  .tuple(
    // Mostly one verb, as a question is asked; sometimes none or two, which kubectl refuses.
    fc.oneof({ weight: 6, arbitrary: verb.map((one) => [one]) }, { weight: 1, arbitrary: fc.array(verb, { maxLength: 2 }) }),
    resource,
    fc.constantFrom('', '/gateway', '/x'),
    canIFlags,
  )
  .map(([verbs, what, name, flags]) => {
    const args = [...verbs, what.startsWith('/') ? what : `${what}${name}`, ...flags];
    return { kubectl: ['auth', 'can-i', ...args], script: ['can-i.ts', ...args] };
  });

const CASES: Record<string, fc.Arbitrary<Case>> = { jsonpath: jsonpathCases, 'can-i': canICases };

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
  const { values, positionals } = parseArgs({ options: { runs: { type: 'string' }, seed: { type: 'string' } }, allowPositionals: true });
  const runs = Number(values.runs ?? 40);
  const seed = Number(values.seed ?? Date.now() % 2 ** 31);
  const what = positionals[0] ?? '';
  const cases = CASES[what];
  if (cases === undefined || positionals.length !== 1 || !Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
    process.stderr.write('usage: kubectl-parity.ts jsonpath|can-i [--runs N] [--seed S]\n');
    return 2;
  }
  const differences: string[] = [];
  let panics = 0;
  let refused = 0;
  for (const input of fc.sample(cases, { numRuns: runs, seed })) {
    const kubectl = run('kubectl', input.kubectl);
    const script = run(input.script[0] as string, input.script.slice(1));
    const shown = `kubectl ${input.kubectl.map((arg) => JSON.stringify(arg)).join(' ')}`;
    // kubectl 1.32 panics on some templates (a filter applied to a missing value: reflect's "call of
    // reflect.Value.Type on zero Value"); the script need not crash alike, only say something sane.
    if (kubectl.stderr.startsWith('panic: ')) {
      panics++;
      if (script.stderr.includes('\n    at ')) differences.push(`${input.script[0]} printed a stack trace where ${shown} panicked`);
      continue;
    }
    // Arguments kubectl refuses are its exit 1 and the project's usage error, exit 2 (README, "Exit
    // codes"); the first line, the words saying what is wrong, must be kubectl's.
    if (kubectl.status === 1 && (KUBECTL_USAGE_HINT.test(kubectl.stderr) || script.status === 2)) {
      const firstLine = (text: string) => text.split('\n')[0];
      if (script.status !== 2 || firstLine(script.stderr) !== firstLine(kubectl.stderr) || script.stdout !== kubectl.stdout) {
        differences.push(
          `usage error differs for ${shown}:\n  kubectl (exit 1): ${JSON.stringify(firstLine(kubectl.stderr))}\n` +
            `  ${input.script[0]} (exit ${script.status}): ${JSON.stringify(firstLine(script.stderr))}`,
        );
      }
      refused++;
      continue;
    }
    for (const stream of ['stdout', 'stderr', 'status'] as const) {
      if (kubectl[stream] !== script[stream]) {
        differences.push(
          `${stream} differs for ${shown}:\n` +
            `  kubectl: ${JSON.stringify(kubectl[stream])}\n  ${input.script[0]}: ${JSON.stringify(script[stream])}`,
        );
      }
    }
  }
  for (const difference of differences) process.stdout.write(`${difference}\n`);
  process.stdout.write(
    `${what} parity: ${runs} inputs, seed ${seed}, ${refused} refused as usage errors, ${panics} on which kubectl panicked, ` +
      `${differences.length} differences\n`,
  );
  return differences.length === 0 ? 0 : 1;
}

process.exitCode = main();
