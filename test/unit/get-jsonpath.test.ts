// scripts/lib/get/jsonpath*.ts: kubectl's -o jsonpath dialect (k8s.io/client-go/util/jsonpath). Every
// expected output below is what kubectl 1.32.4 printed for `kubectl get pods -n test -o jsonpath=TEMPLATE`
// in the pod sandbox (the List below is that list, trimmed to the fields the templates read; the two
// templates that print whole objects were re-checked on the trimmed list). test/get.bats runs templates
// through both tools live.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonPathSyntaxError, parseJsonPath, unquoteExtend } from '../../scripts/lib/get/jsonpath-parse.ts';
import { executeJsonPath, JsonPathExecutionError } from '../../scripts/lib/get/jsonpath.ts';

const GATEWAY_LABELS = { 'controller-revision-hash': '6d9f7c8b5d', name: 'gateway', 'pod-template-generation': '3' };
const GATEWAY_IMAGE = '172.30.10.185:15000/common/ubuntu:14.04';

/** A Pod of the list, with the fields the templates read. */
function pod(
  name: string,
  labels: Record<string, string>,
  container: [string, string],
  node: string,
  ip: string,
  ready: boolean,
  restarts: number,
) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'test', labels },
    spec: { containers: [{ name: container[0], image: container[1] }], nodeName: node },
    status: { phase: 'Running', podIP: ip, containerStatuses: [{ ready, restartCount: restarts }] },
  };
}

const PODS = {
  apiVersion: 'v1',
  items: [
    pod('gateway-7xk2q', GATEWAY_LABELS, ['gateway', GATEWAY_IMAGE], 'node-2', '10.244.1.17', true, 0),
    pod('gateway-m4wzt', GATEWAY_LABELS, ['gateway', GATEWAY_IMAGE], 'node-3', '10.244.2.9', false, 4),
    pod('kube-in-pod-sandbox', { app: 'kube-in-pod' }, ['main', 'node:20'], 'node-1', '10.244.0.100', true, 0),
  ],
  kind: 'List',
  metadata: { resourceVersion: '' },
};

/** [template, what kubectl printed, or the error it reported] */
const KUBECTL_CASES: [string, string | { error: string }][] = [
  ['{.items[*].metadata.name}', 'gateway-7xk2q gateway-m4wzt kube-in-pod-sandbox'],
  [
    '{range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}',
    'gateway-7xk2q\tRunning\ngateway-m4wzt\tRunning\nkube-in-pod-sandbox\tRunning\n',
  ],
  ['{.items[?(@.status.phase=="Running")].metadata.name}', 'gateway-7xk2q gateway-m4wzt kube-in-pod-sandbox'],
  ['{.items[-1].metadata.name}', 'kube-in-pod-sandbox'],
  ['{.items[1:].metadata.name}', 'gateway-m4wzt kube-in-pod-sandbox'],
  ['{.items[0:2:2].metadata.name}', 'gateway-7xk2q'],
  ['{.items[*].metadata.labels.name}', 'gateway gateway'],
  ['{.items[5]}', { error: 'array index out of bounds: index 5, length 3' }],
  ['{.kind} {.apiVersion}', 'List v1'],
  ['{.items[*].status.containerStatuses[*].restartCount}', '0 4 0'],
  ['{.items[?(@.status.containerStatuses[0].restartCount>0)].metadata.name}', 'gateway-m4wzt'],
  ['{.items[?(@.metadata.labels.name)].metadata.name}', 'gateway-7xk2q gateway-m4wzt'],
  ['{range .items[*]}[{.metadata.name}]{end}', '[gateway-7xk2q][gateway-m4wzt][kube-in-pod-sandbox]'],
  ["{.items[*].metadata['name','namespace']}", 'gateway-7xk2q gateway-m4wzt kube-in-pod-sandbox test test test'],
  ['{.items[0].metadata.name.*}', '103 97 116 101 119 97 121 45 55 120 107 50 113'],
  ['{.nope}', ''],
  ['{.items[*].spec.nodeName}', 'node-2 node-3 node-1'],
  [
    '{range .items[*]}{range .spec.containers[*]}{.name}={.image};{end}{"\\n"}{end}',
    'gateway=172.30.10.185:15000/common/ubuntu:14.04;\ngateway=172.30.10.185:15000/common/ubuntu:14.04;\nmain=node:20;\n',
  ],
  ['{.items[0].status.podIP}{"\\n"}', '10.244.1.17\n'],
  ['{.items[?(@.status.containerStatuses[0].restartCount==4.0)].metadata.name}', { error: 'incompatible types for comparison' }],
  ['{.metadata}', '{"resourceVersion":""}'],
  ['{.}', ''],
  ['{.items[0].metadata.x.y}', ''],
  ['{end}', { error: 'not in range, nothing to end' }],
  ['{.items[0', { error: 'unterminated array' }],
  ["{.items[?(@.x=='a')].metadata.name}", ''],
  ['{.items[*].metadata.name !}', { error: "unrecognized character in action: U+0021 '!'" }],
  ['{.items[*].status.containerStatuses[0].ready}', 'true false true'],
  ['{.items[0].spec.containers[0]}', '{"image":"172.30.10.185:15000/common/ubuntu:14.04","name":"gateway"}'],
  ['{..image}', '172.30.10.185:15000/common/ubuntu:14.04 172.30.10.185:15000/common/ubuntu:14.04 node:20'],
];

function run(template: string, data: unknown = PODS): string {
  return executeJsonPath(parseJsonPath(template), data);
}

describe('kubectl -o jsonpath', () => {
  for (const [template, expected] of KUBECTL_CASES) {
    it(`prints ${template} as kubectl does`, () => {
      if (typeof expected === 'string') assert.equal(run(template), expected);
      else
        assert.throws(
          () => run(template),
          (err) => (err instanceof JsonPathSyntaxError || err instanceof JsonPathExecutionError) && err.message === expected.error,
        );
    });
  }

  it('prints a missing key as nothing, and an error only when missing keys are not allowed', () => {
    assert.equal(run('{.items[0].metadata.nope}x'), 'x');
    assert.throws(() => executeJsonPath(parseJsonPath('{.nope}'), PODS, { allowMissingKeys: false }), /nope is not found/);
  });

  it('prints null for a present null, and compares strings with < and >=', () => {
    assert.equal(run('{.a}', { a: null }), 'null');
    assert.equal(run('{.items[?(@.metadata.name>="gateway-m")].metadata.name}'), 'gateway-m4wzt kube-in-pod-sandbox');
  });

  it("names what a filter cannot filter as Go's %v does: <nil> for a null, <invalid reflect.Value> inside an empty range", () => {
    // kubectl 1.32.4 on the gateway DaemonSet (test/fuzz/kubectl-parity.ts found the second).
    const notFilterable = (template: string, data: unknown) => {
      try {
        executeJsonPath(parseJsonPath(template), data);
      } catch (err) {
        assert.ok(err instanceof JsonPathExecutionError);
        return err.message;
      }
      assert.fail(`${template} did not fail`);
    };
    assert.equal(notFilterable('{.a[?(@.x)]}', { a: null }), '<nil> is not array or slice and cannot be filtered');
    assert.equal(
      notFilterable('{range .missing}{[?(@.x)]}{end}', {}),
      '<invalid reflect.Value> is not array or slice and cannot be filtered',
    );
    assert.equal(
      notFilterable('{range .a}{[?(@.x)]}{end}', { a: null }),
      '<invalid reflect.Value> is not array or slice and cannot be filtered',
    );
  });

  it('reads a field of an object only: a list has no .0 or .length in kubectl', () => {
    assert.equal(run('{.items.0}{.items.length}'), '');
  });

  it('unquotes double- and single-quoted text as strconv.Unquote does, single quotes of any length', () => {
    assert.equal(unquoteExtend('"a\\tb\\u00e9"'), 'a\tb\u00e9');
    assert.equal(unquoteExtend("'it\\'s'"), "it's");
    assert.throws(() => unquoteExtend('"bad\\q"'), /invalid syntax/);
  });
});
