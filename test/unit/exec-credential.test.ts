// scripts/lib/exec-credential.ts: kubeconfig exec plugins (client.authentication.k8s.io v1/v1beta1).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXIT, ExitError } from '../../scripts/lib/errors.ts';
import { execCredentialRequest, ExecCredentialSource, parseExecCredential, type ExecRunner } from '../../scripts/lib/exec-credential.ts';
import type { ExecConfig } from '../../scripts/lib/kubeconfig.ts';

const V1 = 'client.authentication.k8s.io/v1';
const exec = (overrides: Partial<ExecConfig> = {}): ExecConfig => ({
  apiVersion: V1,
  command: 'helper',
  args: [],
  env: [],
  provideClusterInfo: false,
  ...overrides,
});
const credential = (status: unknown, apiVersion = V1) => JSON.stringify({ apiVersion, kind: 'ExecCredential', status });

describe('execCredentialRequest', () => {
  it('is non-interactive and carries the cluster only with provideClusterInfo', () => {
    assert.equal(
      execCredentialRequest(exec(), { server: 'https://x' }),
      `{"kind":"ExecCredential","apiVersion":"${V1}","spec":{"interactive":false}}`,
    );
    assert.deepEqual(JSON.parse(execCredentialRequest(exec({ provideClusterInfo: true }), { server: 'https://x' })).spec.cluster, {
      server: 'https://x',
    });
  });
});

describe('parseExecCredential', () => {
  it('reads a token and its expiry', () => {
    const result = parseExecCredential(
      credential({ token: 'plugin-token-value', expirationTimestamp: '2030-01-01T00:00:00Z' }),
      exec(),
      'p',
    );
    assert.equal(result.token, 'plugin-token-value');
    assert.equal(result.expiresAt?.toISOString(), '2030-01-01T00:00:00.000Z');
  });
  it('reads a client certificate pair', () => {
    const result = parseExecCredential(credential({ clientCertificateData: 'CERT', clientKeyData: 'KEY-MATERIAL' }), exec(), 'p');
    assert.deepEqual([result.clientCertificateData, result.clientKeyData], ['CERT', 'KEY-MATERIAL']);
  });
  it('rejects wrong kinds, versions and empty answers with exit 3', () => {
    const check = (stdout: string, pattern: RegExp) =>
      assert.throws(
        () => parseExecCredential(stdout, exec(), 'plugin x'),
        (err) => err instanceof ExitError && err.exitCode === EXIT.NO_CONFIG && pattern.test(err.message),
      );
    check('not json', /did not print an ExecCredential/);
    check(JSON.stringify({ kind: 'Other', apiVersion: V1 }), /printed kind Other/);
    check(credential({ token: 't' }, 'client.authentication.k8s.io/v1beta1'), /apiVersion .*v1beta1, but the kubeconfig asks for .*\/v1$/);
    check(credential({}), /neither status.token nor a client certificate/);
    check(credential({ clientCertificateData: 'C' }), /both clientCertificateData and clientKeyData/);
    check(credential({ token: 't', expirationTimestamp: 'tomorrow' }), /invalid expirationTimestamp/);
  });
});

describe('ExecCredentialSource', () => {
  function fakeRunner(tokens: string[], expiry?: string) {
    const calls: { command: string; args: string[]; env: Record<string, string> }[] = [];
    const run: ExecRunner = async (command, args, env) => {
      calls.push({ command, args, env });
      const token = tokens[Math.min(calls.length - 1, tokens.length - 1)];
      return { exitCode: 0, stderr: '', stdout: credential({ token, expirationTimestamp: expiry }) };
    };
    return { calls, run };
  }

  it('passes args, env and KUBERNETES_EXEC_INFO, and caches until expiry', async () => {
    const { calls, run } = fakeRunner(['token-one-value', 'token-two-value'], '2030-01-01T00:00:00Z');
    let now = Date.parse('2029-12-31T23:00:00Z');
    const source = new ExecCredentialSource(exec({ args: ['get-token'], env: [{ name: 'REGION', value: 'eu' }] }), 'user "u"', {
      run,
      now: () => now,
    });
    assert.equal((await source.get()).token, 'token-one-value');
    assert.equal((await source.get()).token, 'token-one-value');
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]?.args, ['get-token']);
    assert.equal(calls[0]?.env.REGION, 'eu');
    assert.equal(JSON.parse(calls[0]?.env.KUBERNETES_EXEC_INFO ?? '{}').kind, 'ExecCredential');
    now = Date.parse('2030-01-01T00:00:00Z');
    assert.equal((await source.get()).token, 'token-two-value');
    assert.equal(calls.length, 2);
  });

  it('runs again after invalidate() (a 401)', async () => {
    const { calls, run } = fakeRunner(['token-one-value', 'token-two-value']);
    const source = new ExecCredentialSource(exec(), 'u', { run });
    await source.get();
    source.invalidate();
    assert.equal((await source.get()).token, 'token-two-value');
    assert.equal(calls.length, 2);
  });

  it('reports a failing plugin with its last stderr line and the install hint', async () => {
    const run: ExecRunner = async () => ({ exitCode: 127, stdout: '', stderr: 'bash: aws: command not found\n' });
    const source = new ExecCredentialSource(exec({ command: 'aws', installHint: 'install the AWS CLI' }), 'user "eks"', { run });
    await assert.rejects(
      source.get(),
      /exec plugin aws \(user "eks"\) failed with exit code 127: bash: aws: command not found: install the AWS CLI/,
    );
  });

  it('refuses interactiveMode: Always and unknown API versions', async () => {
    await assert.rejects(new ExecCredentialSource(exec({ interactiveMode: 'Always' }), 'u').get(), /interactive terminal/);
    await assert.rejects(new ExecCredentialSource(exec({ apiVersion: 'client.authentication.k8s.io/v1alpha1' }), 'u').get(), /supported: /);
  });

  it('really runs a command through zx', async () => {
    const script = `process.stdout.write(JSON.stringify({apiVersion: JSON.parse(process.env.KUBERNETES_EXEC_INFO).apiVersion, kind: 'ExecCredential', status: {token: 'from-' + process.argv[1]}}))`;
    const source = new ExecCredentialSource(exec({ command: process.execPath, args: ['-e', script, 'real-plugin'] }), 'u');
    assert.equal((await source.get()).token, 'from-real-plugin');
  });

  it('rejects a status.token that cannot be a bearer token, without quoting it', () => {
    assert.throws(
      () => parseExecCredential(credential({ token: 'secret-part\nsecond-part' }), exec(), 'exec plugin p'),
      (err: unknown) =>
        err instanceof ExitError &&
        err.exitCode === EXIT.NO_CONFIG &&
        !/secret-part|second-part/.test(err.message) &&
        /^exec plugin p printed a status\.token that contains a newline inside the token \(byte 12\)/.test(err.message),
    );
  });
});
