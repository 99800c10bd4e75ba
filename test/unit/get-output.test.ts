// scripts/lib/get/: kubectl get's output, byte for byte — the tabwriter layout
// (github.com/liggitt/tabwriter as cli-runtime configures it), the server Table printed as
// cli-runtime's HumanReadablePrinter prints it, -o json (json.MarshalIndent, keys sorted), -o yaml
// (sigs.k8s.io/yaml's go-yaml v2 emitter), -o name, and the List kubectl wraps several objects in.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goJson, JsonListWriter } from '../../scripts/lib/get/go-json.ts';
import { goFloatString, goSyntax } from '../../scripts/lib/get/go-values.ts';
import { goYaml, goYamlSequenceItem } from '../../scripts/lib/get/go-yaml.ts';
import { naturalLess, readsAsNonString } from '../../scripts/lib/get/go-yaml-scalars.ts';
import { listPrinter, nameLine, parseOutputFormat, PrintError, singleObjectText, WatchPrinter } from '../../scripts/lib/get/printers.ts';
import { cellText, TablePrinter, type ServerTable } from '../../scripts/lib/get/table.ts';
import { TabWriter } from '../../scripts/lib/get/tabwriter.ts';

function tabulate(...texts: string[]): string[] {
  const out: string[] = [];
  const writer = new TabWriter((text) => out.push(text));
  for (const text of texts) {
    writer.write(text);
    writer.flush();
  }
  return out;
}

const COLUMNS = [
  { name: 'Name', type: 'string', format: 'name', priority: 0 },
  { name: 'Data', type: 'integer', format: '', priority: 0 },
  { name: 'Age', type: 'string', format: '', priority: 0 },
  { name: 'Extra', type: 'string', format: '', priority: 1 },
];

function table(rows: [string, unknown, string, string, string?][], columns: typeof COLUMNS | null = COLUMNS): ServerTable {
  return {
    kind: 'Table',
    columnDefinitions: columns,
    rows: rows.map(([name, data, age, extra, namespace]) => ({
      cells: [name, data, age, extra],
      object: { metadata: { name, namespace, labels: name === 'a' ? { z: '1', b: '2' } : ({} as Record<string, string>) } },
    })),
  };
}

describe('tabwriter', () => {
  it('pads every column to its widest cell plus 3, at least 6, and leaves the last cell alone', () => {
    assert.deepEqual(tabulate('NAME\tDATA\tAGE\nkube-root-ca.crt\t1\t8y\n'), [
      'NAME               DATA   AGE\nkube-root-ca.crt   1      8y\n',
    ]);
  });
  it('counts runes, not bytes', () => {
    assert.deepEqual(tabulate('ñandú\tx\nab\ty\n'), ['ñandú   x\nab      y\n']);
  });
  it('keeps the widths of earlier flushes and widens a column only when a cell needs it (kubectl get -w)', () => {
    assert.deepEqual(tabulate('NAME\tAGE\none\t1s\n', 'two\t2s\n', 'much-longer-name\t3s\n', 'four\t4s\n'), [
      'NAME   AGE\none    1s\n',
      'two    2s\n',
      'much-longer-name   3s\n',
      'four               4s\n',
    ]);
  });
  it('pads empty cells like any other', () => {
    assert.deepEqual(tabulate('A\t\tC\n'), ['A           C\n'], 'two columns of 6: "A" and 5 spaces, then 6 spaces');
  });
});

describe('server tables as kubectl prints them', () => {
  it('prints the header once for tables with the same columns (pages, watch events) and hides priority columns', () => {
    const printer = new TablePrinter({ wide: false, noHeaders: false, withNamespace: false, showLabels: false });
    assert.equal(printer.lines(table([['a', 1, '8y', 'x']])), 'NAME\tDATA\tAGE\na\t1\t8y\n');
    assert.equal(printer.lines(table([['b', 2, '1s', 'y']])), 'b\t2\t1s\n');
    assert.equal(printer.lines(table([['c', 3, '2s', 'z']], null)), 'c\t3\t2s\n', 'a watch event after the first carries no columns');
  });
  it('prints nothing, not even the header, for a table without rows', () => {
    const printer = new TablePrinter({ wide: true, noHeaders: false, withNamespace: false, showLabels: false });
    assert.equal(printer.lines(table([])), '');
    assert.equal(
      printer.lines(table([['a', 1, '8y', 'x']])),
      'NAME\tDATA\tAGE\tEXTRA\na\t1\t8y\tx\n',
      'the header comes with the first row',
    );
  });
  it('adds NAMESPACE first and LABELS last from the row objects, and drops the header with --no-headers', () => {
    const printer = new TablePrinter({ wide: false, noHeaders: true, withNamespace: true, showLabels: true });
    assert.equal(
      printer.lines(
        table([
          ['a', 1, '8y', 'x', 'test'],
          ['b', 1, '8y', 'x', 'kube-system'],
        ]),
      ),
      'test\ta\t1\t8y\tb=2,z=1\nkube-system\tb\t1\t8y\t<none>\n',
    );
  });
  it('cuts a string cell at its first line break with "...", escapes ESC and CR, and prints numbers as Go does', () => {
    assert.equal(cellText('first\nsecond'), 'first...');
    assert.equal(cellText('a\x1b[31mred'), 'a^[[31mred');
    assert.equal(cellText(3), '3');
    assert.equal(cellText(1.5), '1.5');
    assert.equal(cellText(true), 'true');
    assert.equal(cellText(null), '');
  });
  it('prints a JSON number as Go prints the int64 or float64 it decodes to', () => {
    assert.deepEqual([1e6, 1234567.5, 0.0001, 0.00001, 2 ** 60].map(goFloatString), [
      '1000000',
      '1.2345675e+06',
      '0.0001',
      '1e-05',
      '1152921504606846976',
    ]);
  });
  it('lays out a whole table with the tabwriter as kubectl does', () => {
    const printer = listPrinter({ kind: 'table', wide: false }, { noHeaders: false, withNamespace: false, showLabels: false });
    assert.equal(
      printer.page(table([['kube-root-ca.crt', 1, '8y', '']]) as never),
      'NAME               DATA   AGE\nkube-root-ca.crt   1      8y\n',
    );
    assert.equal(printer.printed, true);
  });
});

describe('-o json and -o name', () => {
  it('sorts keys, indents by four spaces and escapes HTML characters as encoding/json does', () => {
    assert.equal(
      goJson({ b: 1, a: { d: [], c: '<&>' } }),
      '{\n    "a": {\n        "c": "\\u003c\\u0026\\u003e",\n        "d": []\n    },\n    "b": 1\n}\n',
    );
  });
  it('writes a List item by item exactly as the whole List would print', () => {
    const items = [
      { kind: 'Pod', metadata: { name: 'a' } },
      { kind: 'Pod', metadata: { name: 'b' } },
    ];
    const chunks: string[] = [];
    const writer = new JsonListWriter((text) => chunks.push(text));
    writer.begin();
    for (const item of items) writer.item(item);
    writer.end();
    assert.equal(chunks.join(''), goJson({ apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } }));
  });
  it('prints an empty List with [] as kubectl does for a list without objects', () => {
    const printer = listPrinter({ kind: 'json' }, { noHeaders: false, withNamespace: false, showLabels: false });
    assert.equal(
      printer.end(),
      '{\n    "apiVersion": "v1",\n    "items": [],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n',
    );
  });
  it('names objects kind.group/name, without a group for the core group', () => {
    assert.equal(nameLine({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'gateway' } }), 'daemonset.apps/gateway\n');
    assert.equal(nameLine({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ghost' } }), 'pod/ghost\n');
  });
  it('gives list items the kind and apiVersion of their list', () => {
    const printer = listPrinter({ kind: 'name' }, { noHeaders: false, withNamespace: false, showLabels: false });
    assert.equal(
      printer.page({ kind: 'DaemonSetList', apiVersion: 'apps/v1', items: [{ metadata: { name: 'gateway' } }] }),
      'daemonset.apps/gateway\n',
    );
  });
});

// A ConfigMap whose values need every string style, and kubectl 1.32.4's -o yaml of it (printed in the
// pod sandbox against the fake server, less uid, resourceVersion and creationTimestamp; test/get.bats
// compares both tools live on the same object).
const TRICKY_CONFIGMAP = {
  apiVersion: 'v1',
  data: {
    Yes: 'Y',
    amp: '&x',
    at: '@x',
    backtick: '`x',
    bang: '!x',
    base60: '10:30',
    bin: '0b101',
    brace: '{x}',
    bracket: '[x]',
    bs: 'back\\slash',
    colon: 'a: b',
    colonend: 'a:',
    colonnum: '1:2:3',
    comma: 'a,b',
    ctrl: 'a\u0001b',
    dash: '- a',
    dashes: '---',
    dashonly: '-',
    date: '2018-06-25',
    dot: '.5',
    dots: '...',
    dq: 'say "hi"',
    empty: '',
    exp: '1e3',
    float: '1.5',
    gt: '>x',
    hash: 'a #b',
    hashfirst: '#a',
    hashnum: '1#2',
    hex: '0x1F',
    int: '42',
    lead: ' lead',
    leadnl: '\nabc',
    leadsp: '  indented\nline',
    minus1: '-1',
    multi: 'line1\nline2\n',
    n: 'n',
    nbsp: 'a b',
    neg: '-.5',
    nofinal: 'line1\nline2',
    null: 'null',
    octal: '0755',
    on: 'On',
    pct: '%x',
    pipe: '|x',
    plus: '+',
    plus1: '+1',
    question: '? x',
    quote: "it's",
    sci: '6.02e23',
    star: '*x',
    tab: 'a\tb',
    tilde: '~',
    time: '2018-06-25T11:24:41Z',
    trail: 'trail ',
    trailsp: 'x \ny',
    true: 'true',
    two: 'a\n\n',
    under: '1_000',
    unicode: 'héllo wörld ✓',
    ver: '1.2.3',
    yes: 'yes',
  },
  kind: 'ConfigMap',
  metadata: {
    annotations: {
      long: 'This is a long annotation value that certainly goes past the eighty column limit of the emitter so it folds somewhere',
      longquoted:
        '123 this starts with a digit and is long enough to be folded by the yaml emitter when it passes the column limit of eighty',
      nospace: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    },
    labels: {
      A: 'z',
      a10: 'x',
      a9: 'y',
      'b-1': '1',
    },
    name: 'tricky',
    namespace: 'default',
  },
};

const TRICKY_CONFIGMAP_KUBECTL_YAML = `apiVersion: v1
data:
  "Yes": "Y"
  amp: '&x'
  at: '@x'
  backtick: '\`x'
  bang: '!x'
  base60: "10:30"
  bin: "0b101"
  brace: '{x}'
  bracket: '[x]'
  bs: back\\slash
  colon: 'a: b'
  colonend: 'a:'
  colonnum: "1:2:3"
  comma: a,b
  ctrl: "a\\x01b"
  dash: '- a'
  dashes: '---'
  dashonly: '-'
  date: "2018-06-25"
  dot: ".5"
  dots: '...'
  dq: say "hi"
  empty: ""
  exp: "1e3"
  float: "1.5"
  gt: '>x'
  hash: 'a #b'
  hashfirst: '#a'
  hashnum: 1#2
  hex: "0x1F"
  int: "42"
  lead: ' lead'
  leadnl: |2-

    abc
  leadsp: |2-
      indented
    line
  minus1: "-1"
  multi: |
    line1
    line2
  "n": "n"
  nbsp: a\u00a0b
  neg: "-.5"
  nofinal: |-
    line1
    line2
  "null": "null"
  octal: "0755"
  "on": "On"
  pct: '%x'
  pipe: '|x'
  plus: +
  plus1: "+1"
  question: '? x'
  quote: it's
  sci: "6.02e23"
  star: '*x'
  tab: "a\\tb"
  tilde: "~"
  time: "2018-06-25T11:24:41Z"
  trail: 'trail '
  trailsp: "x \\ny"
  "true": "true"
  two: |+
    a

  under: "1_000"
  unicode: héllo wörld ✓
  ver: 1.2.3
  "yes": "yes"
kind: ConfigMap
metadata:
  annotations:
    long: This is a long annotation value that certainly goes past the eighty column
      limit of the emitter so it folds somewhere
    longquoted: 123 this starts with a digit and is long enough to be folded by the
      yaml emitter when it passes the column limit of eighty
    nospace: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
  labels:
    A: z
    a9: "y"
    a10: x
    b-1: "1"
  name: tricky
  namespace: default
`;

describe('-o yaml', () => {
  it('prints every string style exactly as kubectl 1.32 does', () => {
    assert.equal(goYaml(TRICKY_CONFIGMAP), TRICKY_CONFIGMAP_KUBECTL_YAML);
  });
  it('quotes the strings YAML 1.1 would read as something else', () => {
    for (const text of [
      '',
      'true',
      'No',
      'on',
      '~',
      'null',
      '42',
      '0x1F',
      '0755',
      '1.5',
      '1e3',
      '.5',
      '-1',
      '1_000',
      '10:30',
      '2018-06-25',
      '2018-06-25T11:24:41Z',
    ]) {
      assert.equal(readsAsNonString(text), true, text);
    }
    for (const text of ['abc', '1.2.3', '+', '1#2', '2018-13-45', 'yess']) assert.equal(readsAsNonString(text), false, text);
  });
  it('orders keys as go-yaml does: letters by rune, digit runs by value', () => {
    const sorted = ['a10', 'A', 'a9', 'b', 'a'].sort((a, b) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0));
    assert.deepEqual(sorted, ['A', 'a', 'a9', 'a10', 'b']);
  });
  it('writes a streamed List item as the top-level sequence entry it is in the whole List', () => {
    const item = { kind: 'ConfigMap', data: { list: ['a', { b: 1 }], empty: {} } };
    const whole = goYaml({ apiVersion: 'v1', items: [item], kind: 'List', metadata: { resourceVersion: '' } });
    assert.equal(`apiVersion: v1\nitems:\n${goYamlSequenceItem(item)}kind: List\nmetadata:\n  resourceVersion: ""\n`, whole);
  });
  it('separates the objects of a watch with ---', () => {
    const printer = new WatchPrinter({ kind: 'yaml' }, { noHeaders: false, withNamespace: false, showLabels: false });
    assert.equal(printer.object({ a: 1 }) + printer.object({ a: 2 }), 'a: 1\n---\na: 2\n');
  });
});

describe('-o and jsonpath failures', () => {
  it('takes kubectl formats and refuses others in kubectl words', () => {
    assert.deepEqual(parseOutputFormat('wide'), { kind: 'table', wide: true });
    assert.deepEqual(parseOutputFormat('jsonpath={.a}'), { kind: 'jsonpath', template: '{.a}' });
    assert.throws(
      () => parseOutputFormat('xml'),
      /unable to match a printer suitable for the output format "xml", allowed formats are: json,jsonpath,name,wide,yaml/,
    );
  });
  it('reports a template that does not parse, and one that fails with the object as Go dumps it', () => {
    assert.throws(
      () => singleObjectText({ kind: 'jsonpath', template: '{.a' }, {}),
      (err) => {
        assert.ok(err instanceof PrintError);
        assert.equal(err.message, 'error parsing jsonpath {.a, unclosed action\n');
        return true;
      },
    );
    assert.throws(
      () => singleObjectText({ kind: 'jsonpath', template: '{.a[3]}' }, { a: [1, 'x'] }),
      (err) => {
        assert.equal(
          (err as Error).message,
          'error executing jsonpath "{.a[3]}": Error executing template: array index out of bounds: index 3, length 2. Printing more information for debugging the template:\n' +
            '\ttemplate was:\n\t\t{.a[3]}\n\tobject given to jsonpath engine was:\n\t\tmap[string]interface {}{"a":[]interface {}{1, "x"}}\n\n\n',
        );
        return true;
      },
    );
  });
  it('dumps values as Go %#v shows an interface{}', () => {
    assert.equal(
      goSyntax({ b: null, a: [true, 1.5, 'q"\n'] }),
      'map[string]interface {}{"a":[]interface {}{true, 1.5, "q\\"\\n"}, "b":interface {}(nil)}',
    );
  });
});
