// The doctor's verdicts (scripts/lib/doctor/check*.ts) as pure functions of gathered facts: each
// test starts from the facts of a healthy pod and changes what one failure changes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXIT } from '../../scripts/lib/errors.ts';
import { checkAuthn, checkAuthz, checkExposure, checkVersion } from '../../scripts/lib/doctor/checks-api.ts';
import { checkCa, checkEnvironment, checkMount } from '../../scripts/lib/doctor/checks-local.ts';
import { checkDns, checkProxyEnv, checkTcp, checkTls, noProxySuggestion } from '../../scripts/lib/doctor/checks-network.ts';
import { checkToken } from '../../scripts/lib/doctor/check-token.ts';
import type { AccessCheck, Facts, Outcome, StepFailure } from '../../scripts/lib/doctor/facts.ts';
import { walk } from '../../scripts/lib/doctor/judge.ts';
import type { CheckResult } from '../../scripts/lib/doctor/report.ts';
import { parseResolvConf } from '../../scripts/lib/doctor/resolv-conf.ts';
import type { ServiceAccountTokenInfo } from '../../scripts/lib/token.ts';
import { flagsConfig } from './resolved-config.ts';

const NOW = new Date('2026-06-01T12:00:00Z');
const SA = '/var/run/secrets/kubernetes.io/serviceaccount';
const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
const ok = <T>(value: T): Outcome<T> => ({ ok: true, value, ms: 3 });
const failed = (failure: Partial<StepFailure> & { message: string }): Outcome<never> => ({
  ok: false,
  failure: { exitCode: EXIT.CONNECTION, ...failure },
  ms: 3,
});

const CONFIG = flagsConfig('https://10.96.0.1:443', {
  source: { kind: 'in-cluster', description: 'in-cluster' },
  ca: { file: `${SA}/ca.crt` },
  bearer: { kind: 'file', path: `${SA}/token` },
  namespaceSource: `${SA}/namespace`,
});

/** doctor.ts's walk. */
const WALK = [
  checkEnvironment,
  checkMount,
  checkToken,
  checkCa,
  checkDns,
  checkProxyEnv,
  checkTcp,
  checkTls,
  checkVersion,
  checkAuthn,
  checkAuthz,
  checkExposure,
];

const CLAIMS: ServiceAccountTokenInfo = {
  kind: 'bound',
  issuer: ISSUER,
  subject: 'system:serviceaccount:default:default',
  audiences: [ISSUER],
  namespace: 'default',
  serviceAccount: { name: 'default', uid: 'sa-uid' },
  pod: { name: 'web-1', uid: 'pod-uid' },
  node: { name: 'node-1', uid: 'node-uid' },
  issuedAt: at(-600),
  notBefore: at(-600),
  expiresAt: at(3007),
  lifetimeSeconds: 3607,
  extended: false,
  stale: false,
  expired: false,
};

const CERT = {
  subject: 'CN=kube-apiserver',
  issuer: 'CN=kubernetes',
  validFrom: at(-86_400),
  validTo: at(86_400 * 365),
  isCa: false,
  subjectAltNames: ['DNS:kubernetes.default.svc', 'IP Address:10.96.0.1'],
  fingerprint256: 'AA',
};
const CA_CERT = { ...CERT, subject: 'CN=kubernetes', isCa: true, subjectAltNames: [], fingerprint256: 'BB' };

/** The facts of a healthy pod, with `change` applied. */
function facts(change: (f: Facts) => void = () => {}): Facts {
  const f: Facts = {
    now: NOW,
    timeoutMs: 5000,
    environment: { serviceHost: '10.96.0.1', servicePort: '443', config: { ok: true, value: CONFIG } },
    mount: {
      dir: SA,
      fromFlag: false,
      exists: true,
      token: { exists: true, linkTarget: '..data/token' },
      caCrt: { exists: true, linkTarget: '..data/ca.crt' },
      namespace: { exists: true, linkTarget: '..data/namespace' },
      dataLink: '..2026_06_01_11_50_00.1',
      mountPoint: { path: SA, readOnly: true, fsType: 'tmpfs' },
    },
    token: { kind: 'file', where: `file ${SA}/token`, mounted: true, read: { ok: true, claims: { ...CLAIMS } } },
    ca: { kind: 'pem', where: `${SA}/ca.crt`, certificates: [CA_CERT], insecure: false },
    target: { url: new URL(CONFIG.server), host: '10.96.0.1', port: 443, serverName: '10.96.0.1', isIp: true, inPod: true },
    dns: {
      name: 'kubernetes.default.svc',
      crossCheck: true,
      resolvConf: parseResolvConf(
        'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
      ),
      lookup: ok({ addresses: ['10.96.0.1'], answeredAs: 'kubernetes.default.svc.cluster.local', fromHostsFile: false }),
    },
    proxy: { choice: {}, variables: [], nodeUsesEnvProxy: false },
    tcp: { address: '10.96.0.1:443', connect: ok({ remoteAddress: '10.96.0.1' }) },
    tls: ok({ chainVerified: true, identityOk: true, chain: [CERT, CA_CERT], protocol: 'TLSv1.3' }),
    version: ok({ gitVersion: 'v1.32.4', platform: 'linux/amd64', serverDate: NOW, localDate: NOW }),
    authn: ok({ username: 'system:serviceaccount:default:default', groups: ['system:serviceaccounts', 'system:authenticated'] }),
    authz: {
      namespace: 'default',
      rules: ok({
        resourceRules: [{ verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews'] }],
        nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/api', '/version'] }],
        incomplete: false,
      }),
      fallback: [],
      can: [],
      exposure: [],
    },
  };
  change(f);
  return f;
}

function find(results: readonly CheckResult[], id: string): CheckResult {
  const result = results.find((each) => each.id === id);
  assert.ok(result, `no ${id}`);
  return result;
}

const unauthorized = failed({
  message: 'POST …: 401 Unauthorized',
  exitCode: EXIT.UNAUTHORIZED,
  httpStatus: 401,
  statusMessage: 'Unauthorized',
});

describe('a healthy pod', () => {
  it('passes every check, in walk order', () => {
    const results = walk(facts(), WALK);
    assert.deepEqual(
      results.filter((result) => result.status !== 'pass').map((result) => `${result.id}: ${result.summary}`),
      [],
    );
  });

  it('refuses verdicts out of order', () => {
    assert.throws(() => walk(facts(), [checkMount]), /mount judged out of order/);
  });
});

describe('environment and mount', () => {
  it('fails environment with exit 3 outside a pod without a kubeconfig', () => {
    const result = checkEnvironment(
      facts((f) => {
        f.environment = { config: { ok: false, message: 'no configuration found, tried: …', exitCode: EXIT.NO_CONFIG } };
      }),
    );
    assert.equal(result.status, 'fail');
    assert.equal(result.exitCode, EXIT.NO_CONFIG);
    assert.match(result.fix ?? '', /--kubeconfig FILE/);
  });

  it('fails mount, naming automountServiceAccountToken, in a pod without the token', () => {
    const f = facts((x) => {
      x.environment.config = { ok: false, message: 'token does not exist', exitCode: EXIT.NO_CONFIG };
      x.mount = { ...x.mount, exists: false, token: { exists: false }, caCrt: { exists: false }, namespace: { exists: false } };
    });
    assert.equal(checkEnvironment(f).status, 'pass');
    const mount = checkMount(f);
    assert.equal(mount.status, 'fail');
    assert.equal(mount.exitCode, EXIT.NO_CONFIG);
    assert.match(mount.fix ?? '', /^set automountServiceAccountToken: true/);
  });

  it("points a debug container at PID 1's directory with --sa-dir", () => {
    const mount = checkMount(
      facts((f) => {
        f.environment.config = { ok: false, message: 'token does not exist', exitCode: EXIT.NO_CONFIG };
        f.mount = {
          ...f.mount,
          exists: false,
          token: { exists: false },
          pidOneDir: '/proc/1/root/run/secrets/kubernetes.io/serviceaccount',
        };
      }),
    );
    assert.equal(mount.status, 'fail');
    assert.match(mount.fix ?? '', /pass --sa-dir \/proc\/1\/root\/run\/secrets\/kubernetes\.io\/serviceaccount/);
  });

  it('skips mount when the configuration does not use it', () => {
    const mount = checkMount(
      facts((f) => {
        f.environment.config = { ok: true, value: { ...CONFIG, source: { kind: 'kubeconfig', description: 'kubeconfig ~/.kube/config' } } };
      }),
    );
    assert.equal(mount.status, 'skip');
  });

  it('fails ca with exit 5 when the CA certificate has expired', () => {
    const ca = checkCa(
      facts((f) => {
        f.ca = { kind: 'pem', where: `${SA}/ca.crt`, certificates: [{ ...CA_CERT, validTo: at(-60) }], insecure: false };
      }),
    );
    assert.equal(ca.status, 'fail');
    assert.equal(ca.exitCode, EXIT.TLS);
  });
});

describe('token', () => {
  const withClaims = (claims: Partial<ServiceAccountTokenInfo>, change: (f: Facts) => void = () => {}) =>
    facts((f) => {
      f.token = { kind: 'file', where: `file ${SA}/token`, mounted: true, read: { ok: true, claims: { ...CLAIMS, ...claims } } };
      change(f);
    });

  it('fails with exit 6 when expired, on the server clock', () => {
    const result = checkToken(withClaims({ expiresAt: at(-30) }, (f) => (f.authn = unauthorized)));
    assert.equal(result.status, 'fail');
    assert.equal(result.exitCode, EXIT.UNAUTHORIZED);
    assert.match(result.summary, /^expired 30s ago/);
    // Our clock is 60 s behind the server's: not expired for us, expired for the server.
    const behind = withClaims({ expiresAt: at(30) }, (f) => {
      f.authn = unauthorized;
      f.version = ok({ serverDate: at(60), localDate: NOW });
    });
    assert.match(checkToken(behind).summary, /^expired 30s ago/);
  });

  it('only warns about an expired token the server still accepted', () => {
    assert.equal(checkToken(withClaims({ expiresAt: at(-30) })).status, 'warn');
  });

  it('fails a token from the future beyond the 60s leeway, not within it', () => {
    assert.equal(checkToken(withClaims({ notBefore: at(600), issuedAt: at(600) }, (f) => (f.authn = unauthorized))).status, 'fail');
    assert.equal(checkToken(withClaims({ notBefore: at(30), issuedAt: at(30) })).status, 'pass');
  });

  it('fails another audience when the server rejects it, and trusts the server when it accepts it', () => {
    const rejected = checkToken(withClaims({ audiences: ['px'] }, (f) => (f.authn = unauthorized)));
    assert.equal(rejected.status, 'fail');
    assert.match(rejected.summary, /^audience px is not the API server's/);
    assert.equal(checkToken(withClaims({ audiences: ['https://custom'] })).status, 'pass');
  });

  it('warns about a stale extended token and a legacy one', () => {
    const stale = checkToken(withClaims({ extended: true, stale: true, warnAfter: at(-400), expiresAt: at(86_400 * 300) }));
    assert.equal(stale.status, 'warn');
    assert.match(stale.fix ?? '', /check kubelet on node node-1/);
    const legacy = checkToken(
      withClaims({ kind: 'legacy', issuer: 'kubernetes/serviceaccount', audiences: [], expiresAt: undefined, secret: { name: 's' } }),
    );
    assert.equal(legacy.status, 'warn');
    assert.match(legacy.summary, /^legacy Secret-based token \(Secret s\)/);
  });
});

describe('the way to the server', () => {
  it('fails dns with exit 4 when the server name does not resolve, listing the search candidates', () => {
    const result = checkDns(
      facts((f) => {
        f.target = { ...f.target!, host: 'api.corp', serverName: 'api.corp', isIp: false };
        f.dns = {
          ...f.dns!,
          name: 'api.corp',
          crossCheck: false,
          lookup: failed({ message: 'getaddrinfo ENOTFOUND api.corp', code: 'ENOTFOUND' }),
        };
      }),
    );
    assert.equal(result.status, 'fail');
    assert.equal(result.exitCode, EXIT.CONNECTION);
    assert.equal(
      result.evidence?.[1],
      'api.corp is tried as api.corp.default.svc.cluster.local, api.corp.svc.cluster.local, api.corp.cluster.local, api.corp',
    );
  });

  it('only warns when the server is an address and the service name does not resolve', () => {
    const result = checkDns(facts((f) => (f.dns!.lookup = failed({ message: 'ENOTFOUND', code: 'ENOTFOUND' }))));
    assert.equal(result.status, 'warn');
  });

  it('fails proxy-env when the proxy is dead, suggesting the NO_PROXY to set', () => {
    const result = checkProxyEnv(
      facts((f) => {
        f.proxy = {
          choice: { proxy: 'http://proxy:3128', variable: 'HTTPS_PROXY' },
          variables: ['HTTPS_PROXY=http://proxy:3128', 'NO_PROXY=.svc'],
          nodeUsesEnvProxy: false,
          proxyConnect: { address: 'proxy:3128', connect: failed({ message: 'connect ECONNREFUSED', code: 'ECONNREFUSED' }) },
        };
      }),
    );
    assert.equal(result.status, 'fail');
    assert.equal(result.fix, 'add the API server to NO_PROXY (and no_proxy): NO_PROXY=.svc,10.96.0.1,.cluster.local');
  });

  it('suggests only the NO_PROXY entries that are missing', () => {
    assert.equal(noProxySuggestion('10.96.0.1', '10.0.0.0/8,.cluster.local'), '10.0.0.0/8,.cluster.local,kubernetes.default.svc,.svc');
    assert.equal(noProxySuggestion('::1', undefined), '::1,kubernetes.default.svc,.svc,.cluster.local');
  });

  it('tells a refused connection from a timed-out one, and skips TLS and the API after either', () => {
    const refused = facts((f) => (f.tcp!.connect = failed({ message: 'connect ECONNREFUSED 10.96.0.1:443', code: 'ECONNREFUSED' })));
    const results = walk(refused, WALK);
    assert.match(find(results, 'tcp').fix ?? '', /holdApplicationUntilProxyStarts/);
    assert.deepEqual(
      ['tls', 'version', 'authn', 'authz', 'exposure'].map((id) => find(results, id).status),
      ['skip', 'skip', 'skip', 'skip', 'skip'],
    );
    const timedOut = checkTcp(
      facts((f) => (f.tcp!.connect = failed({ message: 'no answer within 5s', code: 'ETIMEDOUT' }))),
      [],
    );
    assert.match(timedOut.fix ?? '', /often 6443/);
  });

  it('fails tls with an unknown authority, and with a host not in the SANs in Go words', () => {
    const unknown = checkTls(
      facts((f) => (f.tls = ok({ chainVerified: false, verifyError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', identityOk: true, chain: [CERT] }))),
      [],
    );
    assert.equal(unknown.exitCode, EXIT.TLS);
    assert.match(
      unknown.summary,
      /^x509: certificate signed by unknown authority: CN=kube-apiserver is issued by CN=kubernetes, not by CN=kubernetes$/,
    );
    const names = checkTls(
      facts((f) => {
        f.target = { ...f.target!, serverName: '10.0.0.1', host: '10.0.0.1' };
        f.tls = ok({ chainVerified: true, identityOk: false, chain: [CERT] });
      }),
      [],
    );
    assert.equal(names.cause, 'x509: certificate is valid for 10.96.0.1, not 10.0.0.1');
    assert.match(names.fix ?? '', /\$KUBERNETES_SERVICE_HOST \(10\.96\.0\.1\)/);
  });

  it('fails tls with exit 4 when a listener never answers the handshake', () => {
    const silent = checkTls(
      facts((f) => (f.tls = failed({ message: 'no answer within 5s', code: 'ETIMEDOUT' }))),
      [],
    );
    assert.equal(silent.exitCode, EXIT.CONNECTION);
  });
});

describe('the API server', () => {
  it('warns about a clock skew beyond 30s', () => {
    assert.equal(
      checkVersion(
        facts((f) => (f.version = ok({ serverDate: at(45), localDate: NOW }))),
        [],
      ).status,
      'warn',
    );
    assert.equal(
      checkVersion(
        facts((f) => (f.version = ok({ serverDate: at(20), localDate: NOW }))),
        [],
      ).status,
      'pass',
    );
  });

  it('explains a 401 of a token whose claims look fine as its pod being deleted or recreated', () => {
    const result = checkAuthn(
      facts((f) => (f.authn = unauthorized)),
      [],
    );
    assert.equal(result.exitCode, EXIT.UNAUTHORIZED);
    assert.match(result.cause ?? '', /the pod web-1 \(uid pod-uid\) or the service account default was deleted or recreated/);
  });

  it('fails with exit 7 as system:anonymous when no token was sent', () => {
    const result = checkAuthn(
      facts((f) => {
        f.token = { kind: 'none', description: 'anonymous' };
        f.authn = failed({
          message: '403',
          exitCode: EXIT.FORBIDDEN,
          httpStatus: 403,
          statusMessage: 'selfsubjectreviews.authentication.k8s.io is forbidden: User "system:anonymous" cannot create resource',
        });
      }),
      [],
    );
    assert.equal(result.exitCode, EXIT.FORBIDDEN);
    assert.match(result.fix ?? '', /Authorization: Bearer/);
  });

  const authnPassed = [{ id: 'authn', status: 'pass', summary: '' } as const];
  const review = (label: string, attributes: AccessCheck['attributes'], allowed: boolean, namespaced?: boolean): AccessCheck => ({
    label,
    attributes,
    ...(namespaced !== undefined && { namespaced }),
    answer: ok({ allowed }),
  });

  it('fails authz with exit 7 and the RBAC YAML when a --can is denied', () => {
    const result = checkAuthz(
      facts((f) => {
        f.authz!.can = [
          review('list nodes', { kind: 'resource', verb: 'list', group: '', resource: 'nodes', namespace: 'default' }, false, false),
        ];
      }),
      authnPassed,
    );
    assert.equal(result.status, 'fail');
    assert.equal(result.exitCode, EXIT.FORBIDDEN);
    assert.match(result.yaml ?? '', /^kind: ClusterRole$/m);
    assert.match(result.yaml ?? '', /^- kind: ServiceAccount\n {2}name: default\n {2}namespace: default$/m);
  });

  it('reports the access reviews asked when the rules review is incomplete', () => {
    const result = checkAuthz(
      facts((f) => {
        f.authz!.rules = ok({ resourceRules: [], nonResourceRules: [], incomplete: true, evaluationError: 'webhook says no' });
        f.authz!.fallback = [
          review('get pods', { kind: 'resource', verb: 'get', group: '', resource: 'pods', namespace: 'default' }, true),
          review('create pods', { kind: 'resource', verb: 'create', group: '', resource: 'pods', namespace: 'default' }, false),
        ];
      }),
      authnPassed,
    );
    assert.equal(result.status, 'pass');
    assert.equal(result.summary, 'rules review incomplete (webhook says no): 2 access reviews instead, allowed pods: get');
  });

  it('warns on exposure from the rules, and from access reviews when the rules are incomplete', () => {
    const fromRules = checkExposure(
      facts((f) => {
        f.authz!.rules = ok({
          resourceRules: [{ verbs: ['list'], apiGroups: [''], resources: ['secrets'] }],
          nonResourceRules: [],
          incomplete: false,
        });
      }),
      [{ id: 'authz', status: 'pass', summary: '' }],
    );
    assert.equal(fromRules.status, 'warn');
    assert.equal(fromRules.summary, 'this token can read secrets');
    const fromReviews = checkExposure(
      facts((f) => {
        f.authz!.rules = ok({ resourceRules: [], nonResourceRules: [], incomplete: true });
        f.authz!.exposure = [
          review(
            'create pods/exec',
            { kind: 'resource', verb: 'create', group: '', resource: 'pods', subresource: 'exec', namespace: 'default' },
            true,
          ),
        ];
      }),
      [{ id: 'authz', status: 'pass', summary: '' }],
    );
    assert.equal(fromReviews.summary, 'this token can exec or attach into pods');
    assert.match(fromReviews.fix ?? '', /automountServiceAccountToken: false/);
  });
});
