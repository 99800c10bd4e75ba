// scripts/lib/auth/reviews.ts: the SelfSubjectAccessReview and SelfSubjectRulesReview kubectl auth
// can-i creates (pkg/cmd/auth/cani.go), as Go's encoding/json writes them, and the answer it prints.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accessAnswer, accessReviewRequest, rulesReviewRequest, sendReview } from '../../scripts/lib/auth/reviews.ts';
import { EXIT, ExitError } from '../../scripts/lib/errors.ts';

describe('accessReviewRequest', () => {
  it('writes the resource attributes kubectl sets, in struct order, empty ones omitted', () => {
    const request = accessReviewRequest({
      resourceAttributes: { namespace: 'test', verb: 'get', group: 'apps', resource: 'deployments', subresource: 'scale', name: '' },
    });
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews');
    assert.equal(
      request.body,
      '{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","metadata":{"creationTimestamp":null},' +
        '"spec":{"resourceAttributes":{"namespace":"test","verb":"get","group":"apps","resource":"deployments","subresource":"scale"}},' +
        '"status":{"allowed":false}}',
    );
  });

  it('writes path then verb for a non-resource URL', () => {
    assert.match(
      accessReviewRequest({ nonResourceAttributes: { path: '/healthz', verb: 'get' } }).body ?? '',
      /"spec":\{"nonResourceAttributes":\{"path":"\/healthz","verb":"get"\}\}/,
    );
  });
});

describe('rulesReviewRequest', () => {
  it('carries the namespace and the zero status with its null lists', () => {
    const request = rulesReviewRequest('default');
    assert.equal(request.path, '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews');
    assert.equal(
      request.body,
      '{"kind":"SelfSubjectRulesReview","apiVersion":"authorization.k8s.io/v1","metadata":{"creationTimestamp":null},' +
        '"spec":{"namespace":"default"},"status":{"resourceRules":null,"nonResourceRules":null,"incomplete":false}}',
    );
  });
});

describe('accessAnswer', () => {
  it('is yes, or no with the reason and evaluation error when given', () => {
    assert.equal(accessAnswer({ allowed: true, reason: 'RBAC: allowed by …' }), 'yes\n');
    assert.equal(accessAnswer({ allowed: false }), 'no\n');
    assert.equal(accessAnswer({}), 'no\n');
    assert.equal(
      accessAnswer({ allowed: false, reason: 'denied by policy', evaluationError: 'webhook timed out' }),
      'no - denied by policy - webhook timed out\n',
    );
    assert.equal(accessAnswer({ allowed: false, evaluationError: 'webhook timed out' }), 'no - webhook timed out\n');
  });
});

describe('sendReview', () => {
  it("keeps an API error's message and exit code but not its Status body: stdout stays kubectl's", async () => {
    const failing = {
      send: async () => {
        throw new ExitError(EXIT.FORBIDDEN, 'POST …: 403 Forbidden', { stdout: Buffer.from('{"kind":"Status"}') });
      },
    };
    await assert.rejects(sendReview(failing, rulesReviewRequest('default')), (err) => {
      assert.ok(err instanceof ExitError);
      assert.equal(err.exitCode, EXIT.FORBIDDEN);
      assert.equal(err.message, 'POST …: 403 Forbidden');
      assert.equal(err.stdout, undefined);
      return true;
    });
  });
});
