// scripts/lib/curl.ts: the printed curl command (quoting, token as $(cat FILE), no pretty=true).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResolvedConfig } from '../../scripts/lib/config.ts';
import { renderCurl, shellQuote } from '../../scripts/lib/curl.ts';

const SA = '/var/run/secrets/kubernetes.io/serviceaccount';

function config(overrides: Partial<ResolvedConfig> = {}): ResolvedConfig {
  return {
    source: { kind: 'in-cluster', description: 'in-cluster' },
    server: 'https://10.96.0.1:443',
    ca: { file: `${SA}/ca.crt` },
    insecureSkipTlsVerify: false,
    bearer: { kind: 'file', path: `${SA}/token` },
    namespace: 'default',
    namespaceSource: 'default',
    tried: [],
    notes: [],
    ...overrides,
  };
}

describe('shellQuote', () => {
  it('leaves safe words bare', () => {
    assert.equal(
      shellQuote('/var/run/secrets/kubernetes.io/serviceaccount/ca.crt'),
      '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
    );
    assert.equal(shellQuote('https://10.96.0.1/api'), 'https://10.96.0.1/api');
  });
  it('single-quotes everything else, escaping single quotes', () => {
    assert.equal(shellQuote('https://x/a?resourceVersion=0&b=1'), "'https://x/a?resourceVersion=0&b=1'");
    assert.equal(shellQuote("it's $HOME"), "'it'\\''s $HOME'");
    assert.equal(shellQuote(''), "''");
  });
});

describe('renderCurl', () => {
  it("follows the guide's recipe for the in-cluster GET /api", () => {
    assert.deepEqual(renderCurl(config(), { method: 'GET', path: '/api' }), {
      command: `curl --cacert ${SA}/ca.crt -H "Authorization: Bearer $(cat ${SA}/token)" https://10.96.0.1/api`,
      notes: [],
    });
  });

  it('quotes a URL with a query and never adds pretty=true', () => {
    const { command } = renderCurl(config(), { method: 'GET', path: '/apis/apps/v1/namespaces/test/daemonsets/gateway?resourceVersion=0' });
    assert.ok(command.endsWith(" 'https://10.96.0.1/apis/apps/v1/namespaces/test/daemonsets/gateway?resourceVersion=0'"), command);
    assert.doesNotMatch(command, /pretty/);
  });

  it('quotes a token path with spaces inside $(cat …)', () => {
    const { command } = renderCurl(config({ bearer: { kind: 'file', path: '/my dir/token' } }), { method: 'GET', path: '/api' });
    assert.match(command, /-H "Authorization: Bearer \$\(cat '\/my dir\/token'\)"/);
  });

  it('prints $TOKEN and a note, never the value, for an inline kubeconfig token', () => {
    const result = renderCurl(config({ bearer: { kind: 'inline', token: 'super-secret-value', origin: 'user "me" in /k' } }), {
      method: 'GET',
      path: '/api',
    });
    assert.match(result.command, /-H "Authorization: Bearer \$TOKEN"/);
    assert.doesNotMatch(result.command + result.notes.join(), /super-secret-value/);
    assert.match(result.notes[0] ?? '', /user "me" in \/k .*set TOKEN/);
  });

  it("leaves the server URL's user:password out, saying how to add it back without printing the password", () => {
    const result = renderCurl(config({ server: 'https://ad%20min:url-secret-pw@10.96.0.1:443' }), { method: 'GET', path: '/api' });
    assert.ok(result.command.endsWith(' https://10.96.0.1/api'), result.command);
    assert.doesNotMatch(result.command + result.notes.join(), /url-secret-pw/);
    assert.match(result.notes.join('\n'), /add: --user 'ad min:'"\$SERVER_PASSWORD"/);
  });

  it('sends a kubeconfig proxy-url password with --proxy-user from $PROXY_PASSWORD', () => {
    const result = renderCurl(config({ proxyUrl: 'http://me:proxy-secret-pw@proxy:3128' }), { method: 'GET', path: '/api' });
    assert.match(result.command, /--proxy http:\/\/proxy:3128 --proxy-user me:"\$PROXY_PASSWORD" /);
    assert.doesNotMatch(result.command + result.notes.join(), /proxy-secret-pw/);
    assert.match(result.notes.join('\n'), /set PROXY_PASSWORD/);
  });

  it('uses -k only when insecure, and then no --cacert', () => {
    const { command } = renderCurl(config({ insecureSkipTlsVerify: true }), { method: 'GET', path: '/api' });
    assert.match(command, /^curl -k -H/);
    assert.doesNotMatch(command, /--cacert/);
  });

  it('adds no TLS or auth flags for a kubectl-proxy ambassador', () => {
    const { command } = renderCurl(config({ server: 'http://localhost:8001', ca: undefined, bearer: undefined }), {
      method: 'GET',
      path: '/apis/batch/v1',
    });
    assert.equal(command, 'curl http://localhost:8001/apis/batch/v1');
  });

  it('adds --globoff for an IPv6 address so curl does not glob the brackets', () => {
    const { command } = renderCurl(config({ server: 'https://[fd00::1]:443' }), { method: 'GET', path: '/api' });
    assert.ok(command.endsWith("--globoff 'https://[fd00::1]/api'"), command);
  });

  it('passes client certificate files and hides inline keys', () => {
    const files = renderCurl(config({ bearer: undefined, clientCertificate: { cert: { file: '/c.crt' }, key: { file: '/c.key' } } }), {
      method: 'GET',
      path: '/api',
    });
    assert.match(files.command, /--cert \/c\.crt --key \/c\.key/);
    const inline = renderCurl(
      config({
        bearer: undefined,
        clientCertificate: { cert: { data: 'CERT', origin: 'cert data' }, key: { data: 'PRIVATE KEY', origin: 'key data' } },
      }),
      { method: 'GET', path: '/api' },
    );
    assert.match(inline.command, /--cert <\(printf %s Q0VSVA== \| base64 -d\) --key "\$CLIENT_KEY_FILE"/);
    assert.doesNotMatch(inline.command, /UFJJVkFURSBLRVk/);
  });

  it('renders a POST with its JSON body and the request timeout', () => {
    const { command } = renderCurl(
      config(),
      { method: 'POST', path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', body: '{"kind":"SelfSubjectReview"}' },
      { requestTimeoutMs: 30_000 },
    );
    assert.match(command, /--max-time 30 /);
    assert.match(command, / -X POST -H 'Content-Type: application\/json' --data-binary '\{"kind":"SelfSubjectReview"\}' /);
  });

  it('verifies against tls-server-name with --connect-to', () => {
    const { command } = renderCurl(config({ tlsServerName: 'kubernetes.default.svc' }), { method: 'GET', path: '/api' });
    assert.match(command, /--connect-to kubernetes.default.svc:443:10.96.0.1:443 .* https:\/\/kubernetes.default.svc\/api$/);
  });

  it('explains how to get $TOKEN from an exec plugin', () => {
    const result = renderCurl(
      config({
        bearer: {
          kind: 'exec',
          origin: 'user "eks"',
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1beta1',
            command: 'aws',
            args: ['eks', 'get-token'],
            env: [],
            provideClusterInfo: false,
          },
        },
      }),
      { method: 'GET', path: '/api' },
    );
    assert.match(result.command, /Bearer \$TOKEN/);
    assert.match(result.notes[0] ?? '', /TOKEN=\$\(KUBERNETES_EXEC_INFO='.*' aws eks get-token \| jq -r \.status\.token\)/);
  });
});
