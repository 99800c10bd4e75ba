// scripts/lib/config.ts: which source wins (flags > $KUBECONFIG > ~/.kube/config > in-cluster > error),
// IPv6 host joining, and the namespace chain. Every test builds its own files under a temp dir
// and passes a ConfigEnvironment, so nothing on this machine (or in a real pod) leaks in.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { joinHostPort, resolveConfig, resolveNamespace, type ConfigEnvironment } from '../../scripts/lib/config.ts';
import { EXIT, ExitError } from '../../scripts/lib/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'kip-config-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

/** A fresh directory with the given files (relative path → content). */
function tree(files: Record<string, string>): string {
  const dir = join(root, String(counter++));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

function kubeconfig(options: { server: string; context?: string; namespace?: string; token?: string }): string {
  const context = options.context ?? 'ctx';
  return [
    'apiVersion: v1',
    'kind: Config',
    `current-context: ${context}`,
    'clusters:',
    `- name: ${context}-cluster`,
    '  cluster:',
    `    server: ${options.server}`,
    'users:',
    `- name: ${context}-user`,
    '  user:',
    `    token: ${options.token ?? 'kubeconfig-token-value'}`,
    'contexts:',
    `- name: ${context}`,
    '  context:',
    `    cluster: ${context}-cluster`,
    `    user: ${context}-user`,
    ...(options.namespace ? [`    namespace: ${options.namespace}`] : []),
    '',
  ].join('\n');
}

/** An environment: a home dir, a service-account dir and env variables, each optional. */
function environment(options: {
  home?: Record<string, string>;
  sa?: Record<string, string>;
  env?: Record<string, string>;
}): ConfigEnvironment {
  const home = tree(options.home ?? {});
  const sa = tree(options.sa ?? {});
  return { env: options.env ?? {}, homeDir: home, serviceAccountDir: sa };
}

const IN_CLUSTER_ENV = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
const SA_FILES = { token: 'sa-token-value\n', 'ca.crt': 'CA', namespace: 'team-a\n' };

function expectExit(fn: () => unknown, code: number, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ExitError, `expected ExitError, got ${String(err)}`);
    assert.equal(err.exitCode, code);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('joinHostPort', () => {
  it('brackets an IPv6 literal like net.JoinHostPort', () => {
    assert.equal(joinHostPort('::1', '443'), '[::1]:443');
    assert.equal(joinHostPort('fd00::1', '6443'), '[fd00::1]:6443');
  });
  it('leaves an already-bracketed host, an IPv4 address and a name alone', () => {
    assert.equal(joinHostPort('[::1]', '443'), '[::1]:443');
    assert.equal(joinHostPort('10.96.0.1', '443'), '10.96.0.1:443');
    assert.equal(joinHostPort('kubernetes.default.svc', '443'), 'kubernetes.default.svc:443');
  });
});

describe('resolveConfig precedence', () => {
  it('uses --server alone, reading neither kubeconfig nor the service-account files', () => {
    const env = environment({
      home: { '.kube/config': kubeconfig({ server: 'https://home.example:6443' }) },
      sa: SA_FILES,
      env: IN_CLUSTER_ENV,
    });
    const config = resolveConfig({ server: 'http://localhost:8001/' }, env);
    assert.equal(config.source.kind, 'flags');
    assert.equal(config.server, 'http://localhost:8001');
    assert.equal(config.bearer, undefined, 'a kubectl-proxy ambassador needs no credentials');
    assert.equal(config.ca, undefined);
  });

  it('prefers $KUBECONFIG over ~/.kube/config and in-cluster', () => {
    const dir = tree({ 'env.yaml': kubeconfig({ server: 'https://env.example:6443' }) });
    const env = environment({
      home: { '.kube/config': kubeconfig({ server: 'https://home.example:6443' }) },
      sa: SA_FILES,
      env: { ...IN_CLUSTER_ENV, KUBECONFIG: join(dir, 'env.yaml') },
    });
    const config = resolveConfig({}, env);
    assert.equal(config.source.kind, 'kubeconfig');
    assert.equal(config.server, 'https://env.example:6443');
    assert.match(config.source.description, /from \$KUBECONFIG/);
  });

  it('prefers --kubeconfig over $KUBECONFIG', () => {
    const dir = tree({
      'flag.yaml': kubeconfig({ server: 'https://flag.example' }),
      'env.yaml': kubeconfig({ server: 'https://env.example' }),
    });
    const env = environment({ env: { KUBECONFIG: join(dir, 'env.yaml') } });
    assert.equal(resolveConfig({ kubeconfig: join(dir, 'flag.yaml') }, env).server, 'https://flag.example');
  });

  it('uses ~/.kube/config before in-cluster', () => {
    const env = environment({
      home: { '.kube/config': kubeconfig({ server: 'https://home.example:6443' }) },
      sa: SA_FILES,
      env: IN_CLUSTER_ENV,
    });
    const config = resolveConfig({}, env);
    assert.equal(config.server, 'https://home.example:6443');
    assert.deepEqual(config.bearer, {
      kind: 'inline',
      token: 'kubeconfig-token-value',
      origin: `user "ctx-user" in ${join(env.homeDir, '.kube/config')}`,
    });
  });

  it('does not read ~/.kube/config when $KUBECONFIG is set, as kubectl', () => {
    const env = environment({
      home: { '.kube/config': kubeconfig({ server: 'https://home.example' }) },
      sa: SA_FILES,
      env: { ...IN_CLUSTER_ENV, KUBECONFIG: '/nonexistent/a:/nonexistent/b' },
    });
    const config = resolveConfig({}, env);
    assert.equal(config.source.kind, 'in-cluster');
    assert.ok(
      config.tried.some((line) => line.includes('/nonexistent/a:/nonexistent/b')),
      config.tried.join('; '),
    );
  });

  it('falls back to in-cluster with the env address, the token file and ca.crt', () => {
    const env = environment({ sa: SA_FILES, env: IN_CLUSTER_ENV });
    const config = resolveConfig({}, env);
    assert.equal(config.source.kind, 'in-cluster');
    assert.equal(config.server, 'https://10.96.0.1:443');
    assert.deepEqual(config.bearer, { kind: 'file', path: join(env.serviceAccountDir, 'token') });
    assert.deepEqual(config.ca, { file: join(env.serviceAccountDir, 'ca.crt') });
  });

  it('brackets an IPv6 KUBERNETES_SERVICE_HOST', () => {
    const env = environment({ sa: SA_FILES, env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' } });
    assert.equal(resolveConfig({}, env).server, 'https://[fd00::1]:443');
  });

  it('uses the system trust store and says so when ca.crt is missing', () => {
    const env = environment({ sa: { token: 't' }, env: IN_CLUSTER_ENV });
    const config = resolveConfig({}, env);
    assert.equal(config.ca, undefined);
    assert.match(config.notes.join('\n'), /ca\.crt does not exist/);
  });

  it('lets --token-file and --certificate-authority override the in-cluster files', () => {
    const env = environment({ sa: SA_FILES, env: IN_CLUSTER_ENV });
    const config = resolveConfig({ tokenFile: '/other/token', certificateAuthority: '/other/ca.crt' }, env);
    assert.deepEqual(config.bearer, { kind: 'file', path: '/other/token' });
    assert.deepEqual(config.ca, { file: '/other/ca.crt' });
  });

  it('lists everything it tried when nothing is configured', () => {
    const env = environment({});
    expectExit(
      () => resolveConfig({}, env),
      EXIT.NO_CONFIG,
      /tried: --server\/--kubeconfig flags \(not given\); \$KUBECONFIG \(not set\); .*\.kube\/config \(not found\); in-cluster \(KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set\)/,
    );
  });

  it('hints at automountServiceAccountToken: false when the env is set but the token is missing', () => {
    const env = environment({ sa: { namespace: 'x' }, env: IN_CLUSTER_ENV });
    expectExit(() => resolveConfig({}, env), EXIT.NO_CONFIG, /token .* does not exist: is automountServiceAccountToken: false/);
  });

  it('suggests --server when a token exists but the service env is missing', () => {
    const env = environment({ sa: SA_FILES });
    expectExit(() => resolveConfig({}, env), EXIT.NO_CONFIG, /a service-account token exists at .*pass --server/);
  });

  it('rejects --server that is not an http(s) URL as a usage error', () => {
    expectExit(() => resolveConfig({ server: 'kubernetes.default.svc' }, environment({})), EXIT.USAGE, /not a URL/);
    expectExit(() => resolveConfig({ server: 'ftp://x' }, environment({})), EXIT.USAGE, /http:\/\/ or https:\/\//);
  });

  it('fails on --context when no kubeconfig exists, instead of silently using in-cluster', () => {
    const env = environment({ sa: SA_FILES, env: IN_CLUSTER_ENV });
    expectExit(() => resolveConfig({ context: 'prod' }, env), EXIT.NO_CONFIG, /--context prod given but no kubeconfig/);
  });

  it('falls through to in-cluster when the kubeconfig has no current-context', () => {
    const env = environment({
      home: { '.kube/config': 'apiVersion: v1\nkind: Config\nclusters: []\n' },
      sa: SA_FILES,
      env: IN_CLUSTER_ENV,
    });
    const config = resolveConfig({}, env);
    assert.equal(config.source.kind, 'in-cluster');
    assert.ok(config.tried.some((line) => line.endsWith('(no current-context)')));
  });
});

describe('namespace precedence', () => {
  it('takes --namespace first', () => {
    const env = environment({ home: { '.kube/config': kubeconfig({ server: 'https://x', namespace: 'ctx-ns' }) }, sa: SA_FILES });
    assert.equal(resolveConfig({ namespace: 'flag-ns' }, env).namespace, 'flag-ns');
  });
  it('then the context namespace', () => {
    const env = environment({ home: { '.kube/config': kubeconfig({ server: 'https://x', namespace: 'ctx-ns' }) }, sa: SA_FILES });
    const config = resolveConfig({}, env);
    assert.equal(config.namespace, 'ctx-ns');
    assert.match(config.namespaceSource, /context "ctx"/);
  });
  it('then the service-account namespace file (trimmed)', () => {
    const env = environment({ sa: SA_FILES, env: IN_CLUSTER_ENV });
    const config = resolveConfig({}, env);
    assert.equal(config.namespace, 'team-a');
    assert.equal(config.namespaceSource, join(env.serviceAccountDir, 'namespace'));
  });
  it('then "default"', () => {
    assert.deepEqual(resolveNamespace({}, undefined, { serviceAccountDir: '/nonexistent' }), {
      namespace: 'default',
      namespaceSource: 'default',
    });
  });
});

describe('--sa-dir', () => {
  it('reads the token, ca.crt and namespace from the directory it names instead of the default one', () => {
    const env = environment({ env: IN_CLUSTER_ENV }); // the default service-account dir is empty
    const copy = tree({ token: 't', 'ca.crt': 'pem', namespace: 'from-copy\n' });
    const config = resolveConfig({ serviceAccountDir: copy }, env);
    assert.equal(config.source.kind, 'in-cluster');
    assert.deepEqual(config.bearer, { kind: 'file', path: join(copy, 'token') });
    assert.deepEqual(config.ca, { file: join(copy, 'ca.crt') });
    assert.equal(config.namespace, 'from-copy');
    assert.match(config.source.description, new RegExp(`service account files in ${copy}`));
  });

  it('names the directory it was given when the token is not there', () => {
    const env = environment({ sa: SA_FILES, env: IN_CLUSTER_ENV });
    const empty = tree({});
    expectExit(() => resolveConfig({ serviceAccountDir: empty }, env), EXIT.NO_CONFIG, new RegExp(`${empty}/token does not exist`));
  });

  it('is a usage error when empty', () => {
    expectExit(() => resolveConfig({ serviceAccountDir: '' }, environment({})), EXIT.USAGE, /--sa-dir needs a directory/);
  });
});
