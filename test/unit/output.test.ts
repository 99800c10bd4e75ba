// scripts/lib/output.ts: kubectl-style columns and JSON in kube-apiserver's pretty format.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { columnWidths, formatColumns, prettyJson } from '../../scripts/lib/output.ts';

describe('formatColumns', () => {
  it('left-aligns columns three spaces apart, the last cell unpadded, every row ending in a newline', () => {
    assert.equal(
      formatColumns([
        ['NAME', 'READY'],
        ['gateway', '19'],
      ]),
      'NAME      READY\ngateway   19\n',
    );
  });

  it('keeps given widths for later rows, as kubectl get -w keeps its first columns', () => {
    const widths = columnWidths([
      ['NAME', 'READY', 'AGE'],
      ['gw', '1', '5s'],
    ]);
    assert.deepEqual(widths, [4, 5, 3]);
    assert.equal(formatColumns([['gw', '20', '6s']], widths), 'gw     20      6s\n');
    assert.equal(formatColumns([['gateway-long', '2', 'x']], widths), 'gateway-long   2       x\n', 'a longer cell pushes the row right');
  });
});

describe('prettyJson', () => {
  it('indents by two spaces with no trailing newline, as ?pretty=true does', () => {
    assert.equal(prettyJson({ kind: 'DaemonSet', items: [], spec: {} }), '{\n  "kind": "DaemonSet",\n  "items": [],\n  "spec": {}\n}');
  });

  it('escapes <, >, & and the JavaScript line separators as Go encoding/json does', () => {
    assert.equal(prettyJson({ a: '<b>&\u2028\u2029' }), '{\n  "a": "\\u003cb\\u003e\\u0026\\u2028\\u2029"\n}');
  });
});
