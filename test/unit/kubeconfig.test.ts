// scripts/lib/kubeconfig.ts: parsing, kubectl's merge rules (first file to define a name wins,
// current-context from the first file that sets one), relative paths, and context selection.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { resolveConfig } from '../../scripts/lib/config.ts';
import { EXIT, ExitError } from '../../scripts/lib/errors.ts';
import { mergeKubeconfigs, parseKubeconfig, selectContext } from '../../scripts/lib/kubeconfig.ts';

const root = mkdtempSync(join(tmpdir(), 'kip-kubeconfig-'));
after(() => rmSync(root, { recursive: true, force: true }));

const FIRST = `
apiVersion: v1
kind: Config
current-context: first
clusters:
- name: shared
  cluster:
    server: https://first.example:6443
    certificate-authority: certs/ca.crt
- name: only-first
  cluster:
    server: https://only-first.example
users:
- name: me
  user:
    tokenFile: ../tokens/me
contexts:
- name: first
  context: {cluster: shared, user: me, namespace: first-ns}
`;

const SECOND = `
apiVersion: v1
kind: Config
current-context: second
clusters:
- name: shared
  cluster:
    server: https://second.example:6443
- name: only-second
  cluster:
    server: https://only-second.example
    certificate-authority-data: ${Buffer.from('-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n').toString('base64')}
    tls-server-name: kubernetes.default.svc
    proxy-url: http://proxy.example:3128
users:
- name: me
  user:
    token: second-token-value
- name: plugin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/helper
      args: [get-token, --cluster, c1]
      env: [{name: REGION, value: eu-west-1}]
      interactiveMode: Never
- name: cloud
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws}
contexts:
- name: second
  context: {cluster: only-second, user: plugin}
- name: first
  context: {cluster: only-second, user: cloud}
`;

describe('parseKubeconfig', () => {
  it('resolves relative paths against the file directory', () => {
    const file = parseKubeconfig(FIRST, '/etc/kube/config');
    assert.equal(file.clusters.get('shared')?.certificateAuthority, '/etc/kube/certs/ca.crt');
    assert.equal(file.users.get('me')?.tokenFile, '/etc/tokens/me');
  });

  it('decodes -data fields and reads tls-server-name and proxy-url', () => {
    const cluster = parseKubeconfig(SECOND, '/x/config').clusters.get('only-second');
    assert.match(cluster?.certificateAuthorityData ?? '', /^-----BEGIN CERTIFICATE-----/);
    assert.equal(cluster?.tlsServerName, 'kubernetes.default.svc');
    assert.equal(cluster?.proxyUrl, 'http://proxy.example:3128');
  });

  it('resolves an exec command containing a slash, but not a bare command name', () => {
    const users = parseKubeconfig(SECOND, '/home/me/.kube/config').users;
    assert.deepEqual(users.get('plugin')?.exec, {
      apiVersion: 'client.authentication.k8s.io/v1',
      command: '/home/me/.kube/bin/helper',
      args: ['get-token', '--cluster', 'c1'],
      env: [{ name: 'REGION', value: 'eu-west-1' }],
      provideClusterInfo: false,
      interactiveMode: 'Never',
      installHint: undefined,
    });
    assert.equal(users.get('cloud')?.exec?.command, 'aws');
  });

  it('rejects malformed documents with the file name', () => {
    assert.throws(
      () => parseKubeconfig('clusters: {a: 1}\n', '/bad/config'),
      (err: unknown) =>
        err instanceof ExitError &&
        err.exitCode === EXIT.NO_CONFIG &&
        /\/bad\/config is invalid: clusters must be a list/.test(err.message),
    );
    assert.throws(() => parseKubeconfig('clusters:\n- cluster: {server: x}\n', '/bad/config'), /needs a name/);
    assert.throws(
      () => parseKubeconfig('clusters:\n- name: a\n  cluster: {certificate-authority-data: "***"}\n', '/c'),
      /not valid base64/,
    );
  });

  it('reports a YAML syntax error in one line, naming where', () => {
    assert.throws(
      () => parseKubeconfig('a: [b\n', '/bad/config'),
      (err: unknown) =>
        err instanceof ExitError &&
        !err.message.includes('\n') &&
        /^kubeconfig \/bad\/config is not valid YAML: .* at line 2, column 1: fix it there$/.test(err.message),
    );
  });

  it('never quotes the file around a YAML syntax error, nor keeps the parser error as a cause', () => {
    // The yaml package's own message carries the lines around the error: here, the inline token.
    const text = 'users:\n- name: u\n  user:\n    token: inline-secret-token-value\n   bad: [x\n';
    assert.throws(
      () => parseKubeconfig(text, '/bad/config'),
      (err: unknown) =>
        err instanceof ExitError &&
        err.cause === undefined &&
        err.message === 'kubeconfig /bad/config is not valid YAML: bad indentation at line 5, column 1: fix it there',
    );
  });

  it('marks users that need unsupported auth', () => {
    const users = parseKubeconfig('users:\n- name: gcp\n  user:\n    auth-provider: {name: gcp}\n', '/c').users;
    assert.equal(users.get('gcp')?.unsupported, 'auth-provider');
  });
});

describe('mergeKubeconfigs', () => {
  const merged = mergeKubeconfigs([parseKubeconfig(FIRST, '/a/config'), parseKubeconfig(SECOND, '/b/config')]);

  it('takes current-context from the first file that sets it', () => {
    assert.deepEqual(merged.currentContext, { value: 'first', file: '/a/config' });
  });

  it('keeps the first definition of each cluster, user and context', () => {
    assert.equal(merged.clusters.get('shared')?.value.server, 'https://first.example:6443');
    assert.equal(merged.clusters.get('shared')?.file, '/a/config');
    assert.equal(merged.users.get('me')?.value.tokenFile, '/tokens/me');
    assert.equal(merged.users.get('me')?.value.token, undefined, 'the second file\'s "me" is ignored entirely');
    assert.equal(merged.contexts.get('first')?.value.cluster, 'shared');
  });

  it('adds names only later files define', () => {
    assert.equal(merged.clusters.get('only-second')?.file, '/b/config');
    assert.ok(merged.users.has('plugin'));
    assert.ok(merged.contexts.has('second'));
  });

  it('selects the current context, or the one asked for', () => {
    assert.equal(selectContext(merged)?.cluster.value.server, 'https://first.example:6443');
    assert.equal(selectContext(merged, 'second')?.userName, 'plugin');
  });

  it('explains a context that does not exist', () => {
    assert.throws(
      () => selectContext(merged, 'nope'),
      /context "nope" not found in kubeconfig \/a\/config, \/b\/config \(contexts: first, second\)/,
    );
  });

  it('returns undefined when nothing names a context', () => {
    assert.equal(selectContext(mergeKubeconfigs([parseKubeconfig('kind: Config\n', '/c')])), undefined);
  });
});

describe('$KUBECONFIG with several files', () => {
  it('merges them in order and resolves each entry against its own file', () => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    mkdirSync(a, { recursive: true });
    mkdirSync(b, { recursive: true });
    writeFileSync(join(a, 'config'), FIRST);
    writeFileSync(join(b, 'config'), SECOND);
    const config = resolveConfig(
      {},
      { env: { KUBECONFIG: `${join(a, 'config')}:/missing/file:${join(b, 'config')}` }, homeDir: root, serviceAccountDir: '/nonexistent' },
    );
    assert.equal(config.server, 'https://first.example:6443');
    assert.deepEqual(config.ca, { file: join(a, 'certs/ca.crt') });
    assert.deepEqual(config.bearer, { kind: 'file', path: join(root, 'tokens/me') });
    assert.equal(config.namespace, 'first-ns');

    const second = resolveConfig(
      { context: 'second' },
      { env: { KUBECONFIG: `${join(a, 'config')}:${join(b, 'config')}` }, homeDir: root, serviceAccountDir: '/nonexistent' },
    );
    assert.equal(second.server, 'https://only-second.example');
    assert.equal(second.tlsServerName, 'kubernetes.default.svc');
    assert.equal(second.bearer?.kind, 'exec');
    assert.equal(second.bearer?.kind === 'exec' ? second.bearer.exec.command : '', join(b, 'bin/helper'));
    assert.equal(second.namespace, 'default');
  });
});
