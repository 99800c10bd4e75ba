// scripts/lib/auth/self-subject-review.ts, whoami-output.ts and token-identity.ts: kubectl auth
// whoami's request order, its printers (kubectl pkg/cmd/auth/whoami_test.go), and the unverified
// fallback from the token's claims (pkg/serviceaccount).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createSelfSubjectReview,
  FORBIDDEN_MESSAGE,
  NOT_ENABLED_MESSAGE,
  SelfSubjectReviewUnavailable,
  typedSelfSubjectReview,
} from '../../scripts/lib/auth/self-subject-review.ts';
import { tokenIdentity } from '../../scripts/lib/auth/token-identity.ts';
import { formatSelfSubjectReview, whoamiTable } from '../../scripts/lib/auth/whoami-output.ts';
import { EXIT, ExitError } from '../../scripts/lib/errors.ts';
import type { ApiRequest, ApiResponse } from '../../scripts/lib/http.ts';

const JANE = {
  username: 'jane.doe',
  uid: 'uniq-id',
  groups: ['students', 'teachers'],
  extra: { subjects: ['math', 'sports'], skills: ['reading', 'learning'] },
};

function answer(body: unknown): ApiResponse {
  return { status: 201, headers: {}, body: Buffer.from(JSON.stringify(body)) };
}

/** A send() that answers each version's path from `statuses` (201 with JANE, or an ExitError), recording the paths. */
function server(statuses: Record<string, number>) {
  const paths: string[] = [];
  const send = async (request: ApiRequest) => {
    paths.push(request.path);
    const version = /authentication\.k8s\.io\/([^/]+)\//.exec(request.path)?.[1] ?? '';
    const status = statuses[version] ?? 404;
    if (status === 201)
      return answer({ kind: 'SelfSubjectReview', apiVersion: `authentication.k8s.io/${version}`, status: { userInfo: JANE } });
    const code = status === 403 ? EXIT.FORBIDDEN : status === 404 ? EXIT.NOT_FOUND : EXIT.API_ERROR;
    throw new ExitError(code, `POST ${request.path}: ${status}`);
  };
  return { send, paths };
}

async function refusal(statuses: Record<string, number>): Promise<SelfSubjectReviewUnavailable> {
  try {
    await createSelfSubjectReview(server(statuses).send);
  } catch (err) {
    if (err instanceof SelfSubjectReviewUnavailable) return err;
    throw err;
  }
  return assert.fail('expected the review to be unavailable');
}

describe('createSelfSubjectReview (whoami.go Run)', () => {
  it('asks v1, then v1beta1 and v1alpha1 only after a 404, and sends the empty review', async () => {
    const { send, paths } = server({ v1beta1: 201 });
    const review = await createSelfSubjectReview(send);
    assert.deepEqual(paths, [
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      '/apis/authentication.k8s.io/v1beta1/selfsubjectreviews',
    ]);
    assert.equal(review.apiVersion, 'authentication.k8s.io/v1beta1');
    const first = server({ v1: 201 });
    await createSelfSubjectReview(async (request) => {
      assert.equal(
        request.body,
        '{"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1","metadata":{"creationTimestamp":null},"status":{"userInfo":{}}}',
      );
      return first.send(request);
    });
  });

  it("ends with kubectl's forbiddenErr on 403 and notEnabledErr after three 404s", async () => {
    const forbidden = await refusal({ v1: 403 });
    assert.equal(forbidden.message, FORBIDDEN_MESSAGE);
    assert.equal(forbidden.exitCode, EXIT.FORBIDDEN);
    const missing = await refusal({});
    assert.equal(missing.message, NOT_ENABLED_MESSAGE);
    assert.equal(missing.exitCode, EXIT.NOT_FOUND);
    assert.equal((await refusal({ v1: 404, v1beta1: 403 })).message, FORBIDDEN_MESSAGE);
  });

  it('passes any other failure on as it came', async () => {
    await assert.rejects(
      createSelfSubjectReview(server({ v1: 500 }).send),
      (err) => err instanceof ExitError && err.exitCode === EXIT.API_ERROR,
    );
  });
});

describe('typedSelfSubjectReview', () => {
  it("keeps the Go struct's fields in order, drops unknown and empty ones, sorts extra", () => {
    const review = typedSelfSubjectReview(
      {
        metadata: { name: '', uid: 'x', creationTimestamp: null },
        spec: { junk: 1 },
        status: { userInfo: { groups: [], extra: { b: ['2'], a: ['1'] }, username: 'u' } },
      },
      'v1',
    );
    assert.equal(
      JSON.stringify(review),
      '{"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1","metadata":{"uid":"x","creationTimestamp":null},"status":{"userInfo":{"username":"u","extra":{"a":["1"],"b":["2"]}}}}',
    );
  });
});

describe('whoami printers', () => {
  it('print the table of kubectl TestWhoAmIRun', () => {
    assert.equal(
      whoamiTable(JANE),
      'ATTRIBUTE         VALUE\nUsername          jane.doe\nUID               uniq-id\nGroups            [students teachers]\n' +
        'Extra: skills     [reading learning]\nExtra: subjects   [math sports]\n',
    );
    assert.equal(whoamiTable({ username: 'kube-in-pod:admin' }), 'ATTRIBUTE   VALUE\nUsername    kube-in-pod:admin\n');
  });

  it("print -o json as kubectl TestWhoAmIRun's JSON test (four spaces, Go escapes)", () => {
    const json = formatSelfSubjectReview(typedSelfSubjectReview({ status: { userInfo: JANE } }, 'v1'), 'json');
    assert.equal(
      json,
      `{
    "kind": "SelfSubjectReview",
    "apiVersion": "authentication.k8s.io/v1",
    "metadata": {
        "creationTimestamp": null
    },
    "status": {
        "userInfo": {
            "username": "jane.doe",
            "uid": "uniq-id",
            "groups": [
                "students",
                "teachers"
            ],
            "extra": {
                "skills": [
                    "reading",
                    "learning"
                ],
                "subjects": [
                    "math",
                    "sports"
                ]
            }
        }
    }
}
`,
    );
    assert.match(
      formatSelfSubjectReview(typedSelfSubjectReview({ status: { userInfo: { username: 'a<b>&c' } } }, 'v1'), 'json'),
      /a\\u003cb\\u003e\\u0026c/,
    );
  });

  it('print -o yaml with sorted keys and unindented lists, as sigs.k8s.io/yaml', () => {
    assert.equal(
      formatSelfSubjectReview(typedSelfSubjectReview({ status: { userInfo: { username: 'u', groups: ['g'] } } }, 'v1'), 'yaml'),
      'apiVersion: authentication.k8s.io/v1\nkind: SelfSubjectReview\nmetadata:\n  creationTimestamp: null\nstatus:\n  userInfo:\n    groups:\n    - g\n    username: u\n',
    );
  });
});

/** An unsigned JWT with these claims (the decode never checks signatures). */
function jwt(claims: object): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', kid: 'k' })}.${part(claims)}.c2lnbmF0dXJl`;
}

describe('tokenIdentity (pkg/serviceaccount claims.go, legacy.go, util.go)', () => {
  const now = new Date('2025-01-01T00:00:00Z');

  it('makes the user kube-apiserver makes of a bound token: pod, node and credential-id extras', () => {
    const token = jwt({
      iss: 'https://kubernetes.default.svc.cluster.local',
      sub: 'system:serviceaccount:test:default',
      jti: 'j-1',
      exp: 1893456000,
      iat: 1735689000,
      'kubernetes.io': {
        namespace: 'test',
        serviceaccount: { name: 'default', uid: 'sa-uid' },
        pod: { name: 'web', uid: 'pod-uid' },
        node: { name: 'node-1', uid: 'node-uid' },
      },
    });
    const identity = tokenIdentity(token, now);
    assert.ok('userInfo' in identity);
    assert.equal(
      whoamiTable(identity.userInfo),
      [
        'ATTRIBUTE                                           VALUE',
        'Username                                            system:serviceaccount:test:default',
        'UID                                                 sa-uid',
        'Groups                                              [system:serviceaccounts system:serviceaccounts:test system:authenticated]',
        'Extra: authentication.kubernetes.io/credential-id   [JTI=j-1]',
        'Extra: authentication.kubernetes.io/node-name       [node-1]',
        'Extra: authentication.kubernetes.io/node-uid        [node-uid]',
        'Extra: authentication.kubernetes.io/pod-name        [web]',
        'Extra: authentication.kubernetes.io/pod-uid         [pod-uid]',
        '',
      ].join('\n'),
    );
  });

  it('gives a legacy Secret token no extras', () => {
    const identity = tokenIdentity(
      jwt({
        iss: 'kubernetes/serviceaccount',
        sub: 'system:serviceaccount:test:builder',
        'kubernetes.io/serviceaccount/namespace': 'test',
        'kubernetes.io/serviceaccount/secret.name': 'builder-token',
        'kubernetes.io/serviceaccount/service-account.name': 'builder',
        'kubernetes.io/serviceaccount/service-account.uid': 'b-uid',
      }),
      now,
    );
    assert.deepEqual('userInfo' in identity && identity.userInfo, {
      username: 'system:serviceaccount:test:builder',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:test', 'system:authenticated'],
      uid: 'b-uid',
    });
  });

  it('says why a static token or a foreign JWT shows nothing, without quoting the token', () => {
    const opaque = tokenIdentity('0123456789abcdef-static-token', now);
    assert.ok('problem' in opaque && /not a JWT/.test(opaque.problem) && !opaque.problem.includes('0123456789abcdef'));
    const oidc = tokenIdentity(jwt({ iss: 'https://accounts.example.com', sub: 'jane', email: 'jane@example.com' }), now);
    assert.ok('problem' in oidc && /not a Kubernetes service-account token/.test(oidc.problem));
  });
});
