// scripts/lib/token.ts: the token file cache (re-read after 60 s and after a 401) and JWT decoding
// of bound, extended and legacy service-account tokens (kubernetes pkg/serviceaccount/claims.go).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXIT, ExitError } from '../../scripts/lib/errors.ts';
import fc from 'fast-check';
import { decodeJwt, describeServiceAccountToken, JwtFormatError, TokenFile, tokenDefect } from '../../scripts/lib/token.ts';

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: unknown, header: unknown = { alg: 'RS256', kid: 'key-1' }) => `${base64url(header)}.${base64url(claims)}.c2lnbmF0dXJl`;

const IAT = 1693855365;
const BOUND = {
  aud: ['https://kubernetes.default.svc.cluster.local'],
  exp: IAT + 3607,
  iat: IAT,
  nbf: IAT,
  iss: 'https://kubernetes.default.svc.cluster.local',
  jti: '6f2a0c1e-0000-4000-8000-000000000001',
  'kubernetes.io': {
    namespace: 'default',
    node: { name: 'worker-1', uid: 'node-uid' },
    pod: { name: 'web', uid: 'pod-uid' },
    serviceaccount: { name: 'default', uid: 'sa-uid' },
  },
  sub: 'system:serviceaccount:default:default',
};
// The peirates example from the reference: warnafter = iat + 3607, exp = iat + one year.
const EXTENDED = {
  ...BOUND,
  exp: 1725391365,
  'kubernetes.io': { ...BOUND['kubernetes.io'], warnafter: 1693858972 },
};
const LEGACY = {
  iss: 'kubernetes/serviceaccount',
  'kubernetes.io/serviceaccount/namespace': 'kube-system',
  'kubernetes.io/serviceaccount/secret.name': 'builder-token-x7k2p',
  'kubernetes.io/serviceaccount/service-account.name': 'builder',
  'kubernetes.io/serviceaccount/service-account.uid': 'builder-uid',
  sub: 'system:serviceaccount:kube-system:builder',
};
const at = (seconds: number) => new Date(seconds * 1000);

describe('decodeJwt', () => {
  it('decodes header and claims', () => {
    const decoded = decodeJwt(jwt(BOUND));
    assert.equal(decoded.header.kid, 'key-1');
    assert.equal(decoded.claims.sub, 'system:serviceaccount:default:default');
  });
  it('explains tokens that are not JWTs', () => {
    assert.throws(() => decodeJwt('static-admin-token'), new JwtFormatError('not a JWT: expected 3 dot-separated parts, found 1'));
    assert.throws(() => decodeJwt('a.b'), /found 2/);
    assert.throws(() => decodeJwt('e30.!!!.sig'), /payload is not base64url/);
    assert.throws(() => decodeJwt(`e30.${Buffer.from('not json').toString('base64url')}.sig`), /payload is not JSON/);
    assert.throws(() => decodeJwt(`e30.${base64url([1, 2])}.sig`), /payload is not a JSON object/);
  });
});

describe('describeServiceAccountToken', () => {
  it('reads a bound, pod-bound token with node info', () => {
    const info = describeServiceAccountToken(decodeJwt(jwt(BOUND)), at(IAT + 60));
    assert.equal(info.kind, 'bound');
    assert.equal(info.keyId, 'key-1');
    assert.equal(info.algorithm, 'RS256');
    assert.equal(info.namespace, 'default');
    assert.deepEqual(info.serviceAccount, { name: 'default', uid: 'sa-uid' });
    assert.deepEqual(info.pod, { name: 'web', uid: 'pod-uid' });
    assert.deepEqual(info.node, { name: 'worker-1', uid: 'node-uid' });
    assert.deepEqual(info.audiences, ['https://kubernetes.default.svc.cluster.local']);
    assert.equal(info.lifetimeSeconds, 3607);
    assert.equal(info.issuedAt?.toISOString(), '2023-09-04T19:22:45.000Z');
    assert.equal(info.extended, false);
    assert.equal(info.stale, false);
    assert.equal(info.expired, false);
  });

  it('recognises an extended token and when it turns stale', () => {
    const fresh = describeServiceAccountToken(decodeJwt(jwt(EXTENDED)), at(IAT + 60));
    assert.equal(fresh.extended, true);
    assert.equal(fresh.lifetimeSeconds, 31_536_000);
    assert.equal(fresh.warnAfter?.getTime(), 1693858972 * 1000);
    assert.equal(fresh.stale, false);
    const later = describeServiceAccountToken(decodeJwt(jwt(EXTENDED)), at(IAT + 4000));
    assert.equal(later.stale, true);
    assert.equal(later.expired, false);
  });

  it('does not call a short-lived token with warnafter extended', () => {
    const short = { ...BOUND, 'kubernetes.io': { ...BOUND['kubernetes.io'], warnafter: IAT + 3000 } };
    assert.equal(describeServiceAccountToken(decodeJwt(jwt(short)), at(IAT)).extended, false);
  });

  it('marks an expired token', () => {
    assert.equal(describeServiceAccountToken(decodeJwt(jwt(BOUND)), at(IAT + 3607)).expired, true);
  });

  it('reads a legacy Secret-based token', () => {
    const info = describeServiceAccountToken(decodeJwt(jwt(LEGACY)), at(IAT));
    assert.equal(info.kind, 'legacy');
    assert.equal(info.namespace, 'kube-system');
    assert.deepEqual(info.serviceAccount, { name: 'builder', uid: 'builder-uid' });
    assert.deepEqual(info.secret, { name: 'builder-token-x7k2p' });
    assert.equal(info.expiresAt, undefined);
    assert.deepEqual(info.audiences, []);
  });

  it('calls a JWT without service-account claims "other"', () => {
    const info = describeServiceAccountToken(decodeJwt(jwt({ iss: 'https://idp.example', sub: 'alice', aud: 'kubectl' })), at(IAT));
    assert.equal(info.kind, 'other');
    assert.deepEqual(info.audiences, ['kubectl']);
  });
});

describe('TokenFile', () => {
  function fakeFile(initial: string) {
    const state = { content: initial, reads: 0, now: 0 };
    const file = new TokenFile('/sa/token', {
      now: () => state.now,
      read: () => {
        state.reads++;
        return state.content;
      },
    });
    return { state, file };
  }

  it('reads once, then again only when its copy is 60 s old', () => {
    const { state, file } = fakeFile('token-one\n');
    assert.equal(file.get(), 'token-one');
    state.content = 'token-two';
    state.now = 59_999;
    assert.equal(file.get(), 'token-one');
    assert.equal(state.reads, 1);
    state.now = 60_000;
    assert.equal(file.get(), 'token-two');
    assert.equal(state.reads, 2);
  });

  it('reload() re-reads now and says whether the token changed', () => {
    const { state, file } = fakeFile('token-one');
    file.get();
    assert.deepEqual(file.reload(), { token: 'token-one', changed: false });
    state.content = 'token-rotated';
    assert.deepEqual(file.reload(), { token: 'token-rotated', changed: true });
  });

  it('fails with exit 3 and the automount hint when the file is missing', () => {
    const file = new TokenFile('/nonexistent/token');
    assert.throws(
      () => file.get(),
      (err: unknown) =>
        err instanceof ExitError && err.exitCode === EXIT.NO_CONFIG && /ENOENT.*automountServiceAccountToken/.test(err.message),
    );
  });

  it('rejects an empty file', () => {
    assert.throws(() => fakeFile(' \n').file.get(), /is empty/);
  });

  it('rejects a newline inside the token with exit 3, naming the file and the byte, never the token', () => {
    assert.throws(
      () => fakeFile('first-half-of-it\nsecond-half\n').file.get(),
      (err: unknown) =>
        err instanceof ExitError &&
        err.exitCode === EXIT.NO_CONFIG &&
        !/first-half|second-half/.test(err.message) &&
        /^token file \/sa\/token: contains a newline inside the token \(byte 17\): .*one line/.test(err.message),
    );
  });

  it('counts the byte in the file, blanks before the token and multi-byte characters included', () => {
    assert.throws(() => fakeFile('  ab\u00e9cd\n').file.get(), /contains a non-ASCII character inside the token \(byte 5\)/);
    assert.throws(() => fakeFile('\u20acx\u0001\n').file.get(), /contains a non-ASCII character inside the token \(byte 1\)/);
    assert.throws(() => fakeFile('ab\u0001cd').file.get(), /contains a control character inside the token \(byte 3\)/);
  });
});

describe('tokenDefect', () => {
  it('accepts every run of visible ASCII, and points at the first other character anywhere', () => {
    const visible = fc.stringMatching(/^[\x21-\x7e]{1,40}$/);
    fc.assert(fc.property(visible, (token) => tokenDefect(token) === undefined));
    const other = fc.constantFrom(' ', '\t', '\n', '\r', '\u0000', '\u007f', '\u00e9', '\u20ac');
    fc.assert(
      fc.property(visible, other, visible, (before, bad, after) =>
        (tokenDefect(before + bad + after) ?? '').endsWith(`inside the token (byte ${before.length + 1})`),
      ),
    );
  });
});
