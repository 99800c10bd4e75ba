// scripts/lib/auth/policy-rules.ts: kubectl auth can-i --list's breakdown, compaction, sort and
// table (kubectl pkg/util/rbac/rbac.go, pkg/describe CombineResourceGroup, pkg/cmd/auth/cani.go).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  breakdownRule,
  combineResourceGroup,
  compactRules,
  policyRuleString,
  rulesForDisplay,
  rulesTable,
  sortRules,
} from '../../scripts/lib/auth/policy-rules.ts';
import { incompleteWarning } from '../../scripts/lib/auth/reviews.ts';

describe('breakdownRule', () => {
  it('makes one rule per group, resource, verb and name, then one per URL and verb', () => {
    assert.deepEqual(breakdownRule({ verbs: ['get', 'list'], apiGroups: ['', 'apps'], resources: ['pods'] }), [
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { apiGroups: ['apps'], resources: ['pods'], verbs: ['get'] },
      { apiGroups: ['apps'], resources: ['pods'], verbs: ['list'] },
    ]);
    assert.deepEqual(breakdownRule({ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a', 'b'] }), [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get'], resourceNames: ['a'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get'], resourceNames: ['b'] },
    ]);
    assert.deepEqual(breakdownRule({ verbs: ['get', 'head'], nonResourceURLs: ['/healthz'] }), [
      { nonResourceURLs: ['/healthz'], verbs: ['get'] },
      { nonResourceURLs: ['/healthz'], verbs: ['head'] },
    ]);
  });

  it('drops a resource rule without apiGroups, as Go ranges over the nil slice', () => {
    assert.deepEqual(breakdownRule({ verbs: ['get'], resources: ['pods'] }), []);
  });
});

describe('compactRules', () => {
  it('merges simple rules per group, resource and name, verbs in the order first seen', () => {
    const merged = compactRules([
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
      { nonResourceURLs: ['/healthz'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['watch'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get'], resourceNames: ['web'] },
    ]);
    assert.deepEqual(merged, [
      { nonResourceURLs: ['/healthz'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'watch'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get'], resourceNames: ['web'] },
    ]);
  });

  it('never merges non-resource rules, so a URL two roles grant is listed twice', () => {
    const rules = [
      { nonResourceURLs: ['/version'], verbs: ['get'] },
      { nonResourceURLs: ['/version'], verbs: ['get'] },
    ];
    assert.deepEqual(compactRules(rules), rules);
  });
});

describe('sortRules', () => {
  it('orders by PolicyRule.String(), so verbs decide first and "[*]" rows lead', () => {
    assert.equal(
      policyRuleString({ verbs: ['get'], apiGroups: [''], resources: ['pods'] }),
      '&PolicyRule{Verbs:[get],APIGroups:[],Resources:[pods],ResourceNames:[],NonResourceURLs:[],}',
    );
    const sorted = sortRules([
      { nonResourceURLs: ['/api'], verbs: ['get'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['create'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
    ]);
    assert.deepEqual(
      sorted.map((rule) => rule.resources?.[0] ?? rule.nonResourceURLs?.[0]),
      ['*', '*', 'deployments', '/api'],
    );
    assert.deepEqual(sorted[0], { apiGroups: ['*'], resources: ['*'], verbs: ['*'] });
  });

  it('compares bytes as Go does, not UTF-16 code units', () => {
    const sorted = sortRules([{ verbs: ['\u{1F600}'] }, { verbs: ['\uFF5E'] }]);
    assert.deepEqual(sorted[0], { verbs: ['\uFF5E'] });
  });
});

describe('combineResourceGroup', () => {
  it('puts the group between the resource and its subresource', () => {
    assert.equal(combineResourceGroup(['deployments/scale'], ['apps']), 'deployments.apps/scale');
    assert.equal(combineResourceGroup(['pods/log'], ['']), 'pods/log');
    assert.equal(combineResourceGroup(['*'], ['*']), '*.*');
    assert.equal(combineResourceGroup(undefined, undefined), '');
  });
});

describe('rulesTable', () => {
  it('prints kubectl TestRunAccessList exactly', () => {
    // kubernetes/kubectl pkg/cmd/auth/cani_test.go TestRunAccessList: review and expected output.
    const status = {
      resourceRules: [{ verbs: ['get', 'list'], apiGroups: ['*'], resources: ['pod', 'job'], resourceNames: ['test-resource'] }],
      nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/apis/*', '/version'] }],
    };
    assert.equal(
      rulesTable(rulesForDisplay(status), { headers: true }),
      'Resources   Non-Resource URLs   Resource Names    Verbs\n' +
        'job.*       []                  [test-resource]   [get list]\n' +
        'pod.*       []                  [test-resource]   [get list]\n' +
        '            [/apis/*]           []                [get]\n' +
        '            [/version]          []                [get]\n',
    );
  });

  it('without headers, narrow columns keep the tabwriter minimum of 6 (3 + padding 3)', () => {
    const status = { nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/a'] }] };
    assert.equal(rulesTable(rulesForDisplay(status), { headers: false }), '      [/a]   []    [get]\n');
  });

  it('prints only the header when there are no rules', () => {
    assert.equal(
      rulesTable(rulesForDisplay({ resourceRules: null, nonResourceRules: null }), { headers: true }),
      'Resources   Non-Resource URLs   Resource Names   Verbs\n',
    );
  });
});

describe('incompleteWarning', () => {
  it("is printStatus's warning, only when the review says incomplete", () => {
    assert.equal(
      incompleteWarning({ incomplete: true, evaluationError: 'webhook authorizer does not support user rule resolution' }),
      'the list may be incomplete: webhook authorizer does not support user rule resolution',
    );
    assert.equal(incompleteWarning({ incomplete: false, evaluationError: 'x' }), undefined);
  });
});
