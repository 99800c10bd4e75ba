// scripts/lib/{http,connection,failure,duration}.ts: request-timeout parsing, URLs, error
// classification by err.code, status errors, retries, the 401 token refresh and TLS verification,
// against local servers.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensurePki, type Pki } from '../../fixtures/apiserver/pki.ts';
import type { ResolvedConfig } from '../../scripts/lib/config.ts';
import { flagsConfig } from './resolved-config.ts';
import { createLog } from '../../scripts/lib/log.ts';
import { EXIT, ExitError } from '../../scripts/lib/errors.ts';
import { MAX_RETRIES, MAX_RETRY_DELAY_MS, ServerConnection, parseRetryAfter, retryDelayMs } from '../../scripts/lib/connection.ts';
import type { Credentials } from '../../scripts/lib/credentials.ts';
import { parseDurationFlag } from '../../scripts/lib/duration.ts';
import { classifyNetworkError, errorCode, statusError, type FailureContext } from '../../scripts/lib/failure.ts';
import { ApiClient, USER_AGENT_PRODUCT, requestUrl, warningTexts, withPretty } from '../../scripts/lib/http.ts';

const root = mkdtempSync(join(tmpdir(), 'kip-http-'));
after(() => rmSync(root, { recursive: true, force: true }));

function expectExitError(err: unknown, code: number, pattern: RegExp): ExitError {
  assert.ok(err instanceof ExitError, `expected an ExitError, got ${String(err)}`);
  assert.equal(err.exitCode, code, err.message);
  assert.match(err.message, pattern);
  return err;
}

describe('parseDurationFlag (kubectl --request-timeout, and every other duration flag)', () => {
  const parseRequestTimeout = (text: string) => parseDurationFlag('--request-timeout', text);
  it('reads 0, bare seconds and Go durations', () => {
    assert.equal(parseRequestTimeout('0'), 0);
    assert.equal(parseRequestTimeout('30'), 30_000);
    assert.equal(parseRequestTimeout('30s'), 30_000);
    assert.equal(parseRequestTimeout('1m'), 60_000);
    assert.equal(parseRequestTimeout('1m30s'), 90_000);
    assert.equal(parseRequestTimeout('1.5s'), 1_500);
    assert.equal(parseRequestTimeout('500ms'), 500);
    assert.equal(parseRequestTimeout('2h'), 7_200_000);
  });
  it('rejects anything else as a usage error', () => {
    for (const bad of ['', 'abc', '-1s', '10x', '1m 2s', 's']) {
      assert.throws(
        () => parseRequestTimeout(bad),
        (err) => expectExitError(err, EXIT.USAGE, /invalid --request-timeout/) !== undefined,
        bad,
      );
    }
  });
});

describe('URLs', () => {
  it('joins a server with a path prefix and a path', () => {
    assert.equal(requestUrl('https://rancher.example/k8s/clusters/c-1/', '/api').href, 'https://rancher.example/k8s/clusters/c-1/api');
    assert.equal(requestUrl('https://[::1]:443', '/api/').href, 'https://[::1]/api/');
  });
  it('adds pretty=true after the query the user asked for, leaving its bytes alone', () => {
    assert.equal(withPretty(requestUrl('https://x', '/a?resourceVersion=0')).href, 'https://x/a?resourceVersion=0&pretty=true');
    assert.equal(withPretty(requestUrl('https://x', '/a?labelSelector=app=web')).href, 'https://x/a?labelSelector=app=web&pretty=true');
    assert.equal(withPretty(requestUrl('https://x', '/api')).href, 'https://x/api?pretty=true');
  });
  it('respects an explicit pretty parameter', () => {
    assert.equal(withPretty(requestUrl('https://x', '/api?pretty=false')).href, 'https://x/api?pretty=false');
  });
  it('keeps the User-Agent version in step with package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal(USER_AGENT_PRODUCT, `kube-in-pod/${pkg.version}`);
  });
});

describe('classifyNetworkError', () => {
  const context: FailureContext = {
    url: new URL('https://10.96.0.1:6443/api'),
    caDescription: 'CA /var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
    connectTimeoutMs: 10_000,
    headersTimeoutMs: 60_000,
    requestTimeoutMs: 30_000,
    bodyTimeoutMs: 300_000,
  };
  const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

  it('finds the code on the error, its cause or the first aggregated error', () => {
    assert.equal(errorCode(coded('ECONNREFUSED')), 'ECONNREFUSED');
    assert.equal(errorCode(new TypeError('fetch failed', { cause: coded('ENOTFOUND') })), 'ENOTFOUND');
    assert.equal(errorCode(new AggregateError([coded('ECONNREFUSED')])), 'ECONNREFUSED');
    assert.equal(errorCode(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), 'TimeoutError');
    assert.equal(errorCode(new Error('plain')), undefined);
  });

  it('maps certificate-chain failures to exit 5 naming the CA and the fix', () => {
    for (const code of [
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    ]) {
      const err = classifyNetworkError(coded(code, 'unable to verify the first certificate'), context);
      expectExitError(
        err,
        EXIT.TLS,
        /^TLS verification of https:\/\/10\.96\.0\.1:6443 failed \(unable to verify the first certificate\) using CA \/var\/run\/secrets\/kubernetes\.io\/serviceaccount\/ca\.crt: pass the cluster CA with --certificate-authority/,
      );
    }
  });

  it('maps a hostname mismatch, expiry and a plain-http server to exit 5', () => {
    expectExitError(
      classifyNetworkError(coded('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), context),
      EXIT.TLS,
      /altnames: connect to a name or address the certificate lists/,
    );
    expectExitError(classifyNetworkError(coded('CERT_HAS_EXPIRED', 'certificate has expired'), context), EXIT.TLS, /check the clock/);
    expectExitError(
      classifyNetworkError(coded('ERR_SSL_WRONG_VERSION_NUMBER'), context),
      EXIT.TLS,
      /does not speak TLS on 10\.96\.0\.1:6443/,
    );
  });

  it('maps connection failures to exit 4 with the likely cause', () => {
    expectExitError(
      classifyNetworkError(coded('ECONNREFUSED'), context),
      EXIT.CONNECTION,
      /^connection to 10\.96\.0\.1:6443 refused \(ECONNREFUSED\): is the API server \(or the Istio sidecar/,
    );
    expectExitError(
      classifyNetworkError(coded('UND_ERR_CONNECT_TIMEOUT'), context),
      EXIT.CONNECTION,
      /timed out after 10s: an egress NetworkPolicy/,
    );
    expectExitError(
      classifyNetworkError(Object.assign(coded('ENOTFOUND'), { hostname: 'kubernetes.default' }), context),
      EXIT.CONNECTION,
      /^cannot resolve kubernetes\.default \(no such host\)/,
    );
    expectExitError(classifyNetworkError(coded('EAI_AGAIN'), context), EXIT.CONNECTION, /temporary DNS failure/);
    expectExitError(classifyNetworkError(coded('ECONNRESET'), context), EXIT.CONNECTION, /closed by the other side/);
    expectExitError(classifyNetworkError(coded('UND_ERR_HEADERS_TIMEOUT'), context), EXIT.CONNECTION, /sent no response within 60s/);
    expectExitError(
      classifyNetworkError(new DOMException('aborted', 'TimeoutError'), context),
      EXIT.CONNECTION,
      /timed out after 30s \(--request-timeout\)/,
    );
  });

  it('names the proxy and suggests NO_PROXY when one was used', () => {
    const viaProxy = { ...context, proxy: { proxy: 'http://user:pw@proxy:3128', variable: 'HTTPS_PROXY' } };
    const refused = expectExitError(
      classifyNetworkError(coded('ECONNREFUSED'), viaProxy),
      EXIT.CONNECTION,
      /through proxy http:\/\/user:<redacted>@proxy:3128 \(from HTTPS_PROXY\)/,
    );
    assert.match(refused.message, /add its address .* to NO_PROXY/);
    expectExitError(
      classifyNetworkError(coded('UND_ERR_ABORTED', 'Proxy response (503) !== 200 when HTTP Tunneling'), viaProxy),
      EXIT.CONNECTION,
      /the proxy refused to connect/,
    );
    const atProxy = Object.assign(coded('ECONNREFUSED'), { address: '10.0.0.9', port: 3128 });
    expectExitError(
      classifyNetworkError(atProxy, viaProxy),
      EXIT.CONNECTION,
      /^connection to proxy http:\/\/user:<redacted>@proxy:3128 \(from HTTPS_PROXY\) refused \(ECONNREFUSED\): is the proxy up\?/,
    );
    const unresolvable = Object.assign(coded('ENOTFOUND'), { hostname: 'proxy' });
    expectExitError(
      classifyNetworkError(unresolvable, viaProxy),
      EXIT.CONNECTION,
      /^cannot resolve the proxy host proxy \(no such host\) from HTTPS_PROXY/,
    );
  });

  it('leaves errors without a code to the caller (a bug, exit 1)', () => {
    assert.equal(classifyNetworkError(new Error('boom'), context), undefined);
  });
});

describe('statusError', () => {
  const url = new URL('https://10.96.0.1/api/v1/nodes');
  const request = { method: 'GET' as const, path: '/api/v1/nodes' };
  const status = (code: number, message: string) =>
    Buffer.from(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code }, null, 2));
  const response = (code: number, body: Buffer) => ({ status: code, headers: {}, body });

  it('maps 401, 403, 404 and others to 6, 7, 8 and 9 and keeps the body for stdout', () => {
    const body = status(401, 'Unauthorized');
    const unauthorized = expectExitError(
      statusError(request, url, response(401, body), 'token from file /t'),
      EXIT.UNAUTHORIZED,
      /^GET https:\/\/10\.96\.0\.1\/api\/v1\/nodes: 401 Unauthorized: the token was rejected/,
    );
    assert.equal(unauthorized.stdout, body);
    expectExitError(
      statusError(request, url, response(404, status(404, 'the server could not find the requested resource')), ''),
      EXIT.NOT_FOUND,
      /404 Not Found: the server could not find/,
    );
    expectExitError(statusError(request, url, response(500, Buffer.from('oops')), ''), EXIT.API_ERROR, /500 Internal Server Error$/);
  });

  it('tells anonymous 403 (no token) from an RBAC denial', () => {
    expectExitError(
      statusError(request, url, response(403, status(403, 'forbidden: User "system:anonymous" cannot get path "/api"')), ''),
      EXIT.FORBIDDEN,
      /treated us as system:anonymous; send one with --token-file/,
    );
    expectExitError(
      statusError(
        request,
        url,
        response(403, status(403, 'nodes is forbidden: User "system:serviceaccount:default:default" cannot list resource "nodes"')),
        '',
      ),
      EXIT.FORBIDDEN,
      /RBAC does not allow this/,
    );
  });
});

describe('retry timing and warnings', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')), 5000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });
  it('backs off exponentially and caps every wait', () => {
    assert.deepEqual(
      [0, 1, 2].map((attempt) => retryDelayMs(attempt, undefined)),
      [500, 1000, 2000],
    );
    assert.equal(retryDelayMs(0, 120_000), MAX_RETRY_DELAY_MS);
  });
  it('extracts Warning header texts', () => {
    assert.deepEqual(warningTexts({ warning: ['299 - "batch/v1beta1 CronJob is deprecated"', 'garbage'] }), [
      'batch/v1beta1 CronJob is deprecated',
      'garbage',
    ]);
  });
});

// ---------------------------------------------------------------------------
// Against real local servers

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function listen(server: Server, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

const configFor = flagsConfig;

describe('ApiClient over http', () => {
  let handler: Handler = (_req, res) => res.end();
  const seen: IncomingMessage[] = [];
  const server = createHttpServer((req, res) => {
    seen.push(req);
    handler(req, res);
  });
  let base = '';
  before(async () => {
    base = `http://127.0.0.1:${await listen(server)}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const client = (overrides: Partial<ResolvedConfig> = {}) => ApiClient.create(configFor(base, overrides), { scriptName: 'unit', env: {} });

  it('sends pretty=true, our User-Agent and the token, and returns the exact bytes', async () => {
    const tokenFile = join(root, 'token-a');
    writeFileSync(tokenFile, 'first-token-value\n');
    handler = (_req, res) => res.end('{\n  "kind": "APIVersions"\n}');
    seen.length = 0;
    const api = await client({ bearer: { kind: 'file', path: tokenFile } });
    const response = await api.send({ method: 'GET', path: '/api?x=1' });
    await api.close();
    assert.equal(response.body.toString(), '{\n  "kind": "APIVersions"\n}');
    assert.equal(seen[0]?.url, '/api?x=1&pretty=true');
    assert.equal(seen[0]?.headers['user-agent'], `${USER_AGENT_PRODUCT} (unit)`);
    assert.equal(seen[0]?.headers.authorization, 'Bearer first-token-value');
    assert.equal(seen[0]?.headers['accept-encoding'], undefined, 'like curl, we do not ask for gzip');
  });

  it('retries a GET on 503 (honouring Retry-After) and gives up after MAX_RETRIES', async () => {
    seen.length = 0;
    handler = (_req, res) => {
      res.writeHead(seen.length < 3 ? 503 : 200, { 'retry-after': '0' });
      res.end(seen.length < 3 ? 'busy' : 'ok');
    };
    const api = await client();
    assert.equal((await api.send({ method: 'GET', path: '/api' })).body.toString(), 'ok');
    assert.equal(seen.length, 3);
    seen.length = 0;
    handler = (_req, res) => {
      res.writeHead(429, { 'retry-after': '0' });
      res.end('slow down');
    };
    await assert.rejects(
      api.send({ method: 'GET', path: '/api' }),
      (err) => expectExitError(err, EXIT.API_ERROR, /429 Too Many Requests: still 429 after 3 retries/) !== undefined,
    );
    assert.equal(seen.length, MAX_RETRIES + 1);
    await api.close();
  });

  it('stops waiting between retries as soon as the caller aborts', async () => {
    seen.length = 0;
    handler = (_req, res) => {
      res.writeHead(503, { 'retry-after': '10' });
      res.end('busy');
    };
    const api = await client();
    const started = performance.now();
    await assert.rejects(api.send({ method: 'GET', path: '/api' }, { signal: AbortSignal.timeout(200) }));
    const waited = performance.now() - started;
    await api.close();
    assert.equal(seen.length, 1);
    assert.ok(waited < 2_000, `the back-off ignored the abort: ${Math.round(waited)} ms`);
  });

  it('does not retry a POST', async () => {
    seen.length = 0;
    handler = (_req, res) => {
      res.writeHead(503, { 'retry-after': '0' });
      res.end();
    };
    const api = await client();
    await assert.rejects(
      api.send({ method: 'POST', path: '/x', body: '{}' }),
      (err) => expectExitError(err, EXIT.API_ERROR, /503/) !== undefined,
    );
    assert.equal(seen.length, 1);
    await api.close();
  });

  it('re-reads the token file after a 401 and retries once when it changed', async () => {
    const tokenFile = join(root, 'token-b');
    writeFileSync(tokenFile, 'old-token-value');
    seen.length = 0;
    handler = (req, res) => {
      const ok = req.headers.authorization === 'Bearer new-token-value';
      res.writeHead(ok ? 200 : 401);
      res.end(ok ? 'ok' : '{"kind":"Status","message":"Unauthorized","code":401}');
    };
    const api = await client({ bearer: { kind: 'file', path: tokenFile } });
    writeFileSync(tokenFile, 'new-token-value'); // kubelet rotated it after we read it
    assert.equal((await api.send({ method: 'GET', path: '/api' })).body.toString(), 'ok');
    assert.deepEqual(
      seen.map((req) => req.headers.authorization),
      ['Bearer old-token-value', 'Bearer new-token-value'],
    );

    // Now the server rejects everything: one retry with the re-read token, then the 401 stands.
    handler = (_req, res) => {
      res.writeHead(401);
      res.end('{"kind":"Status","message":"Unauthorized","code":401}');
    };
    writeFileSync(tokenFile, 'still-bad-token');
    seen.length = 0;
    await assert.rejects(
      api.send({ method: 'GET', path: '/api' }),
      (err) => expectExitError(err, EXIT.UNAUTHORIZED, /401 Unauthorized/) !== undefined,
    );
    assert.deepEqual(
      seen.map((req) => req.headers.authorization),
      ['Bearer new-token-value', 'Bearer still-bad-token'],
    );
    seen.length = 0;
    await assert.rejects(
      api.send({ method: 'GET', path: '/api' }),
      (err) => expectExitError(err, EXIT.UNAUTHORIZED, /401 Unauthorized/) !== undefined,
    );
    assert.equal(seen.length, 1, 'an unchanged token is not sent again');
    await api.close();
  });

  it('retries a GET when the connection is reset', async () => {
    seen.length = 0;
    handler = (req, res) => {
      if (seen.length === 1) req.socket.destroy();
      else res.end('after reset');
    };
    const api = await client();
    assert.equal((await api.send({ method: 'GET', path: '/api' })).body.toString(), 'after reset');
    assert.equal(seen.length, 2);
    await api.close();
  });

  it('classifies a refused connection', async () => {
    const closed = createHttpServer();
    const port = await listen(closed);
    closed.close();
    const api = await ApiClient.create(configFor(`http://127.0.0.1:${port}`), { scriptName: 'unit', env: {} });
    await assert.rejects(
      api.send({ method: 'GET', path: '/api' }),
      (err) => expectExitError(err, EXIT.CONNECTION, /refused \(ECONNREFUSED\)/) !== undefined,
    );
    await api.close();
  });

  it('enforces --request-timeout', async () => {
    handler = () => undefined; // never answers
    const api = await ApiClient.create(configFor(base), { scriptName: 'unit', env: {}, requestTimeoutMs: 200 });
    await assert.rejects(
      api.send({ method: 'GET', path: '/slow' }),
      (err) => expectExitError(err, EXIT.CONNECTION, /timed out after 200ms \(--request-timeout\)/) !== undefined,
    );
    await api.close();
  });
});

describe('ApiClient over https', () => {
  let pki: Pki;
  const servers: Server[] = [];
  async function httpsServer(host: string): Promise<string> {
    const server = createHttpsServer({ cert: pki.certPem, key: pki.keyPem }, (_req, res) => res.end('secure'));
    servers.push(server);
    return `https://${host}:${await listen(server, host)}`;
  }
  before(async () => {
    pki = await ensurePki(join(root, 'pki'));
  });
  after(() => {
    for (const server of servers) server.close();
  });

  it('verifies the server with the configured CA', async () => {
    const api = await ApiClient.create(configFor(await httpsServer('127.0.0.1'), { ca: { file: pki.caFile } }), {
      scriptName: 'unit',
      env: {},
    });
    assert.equal((await api.send({ method: 'GET', path: '/api' })).body.toString(), 'secure');
    await api.close();
  });

  it('fails with exit 5 when only the system trust store is used', async () => {
    const api = await ApiClient.create(configFor(await httpsServer('127.0.0.1')), { scriptName: 'unit', env: {} });
    await assert.rejects(
      api.send({ method: 'GET', path: '/api' }),
      (err) =>
        expectExitError(
          err,
          EXIT.TLS,
          /TLS verification of https:\/\/127\.0\.0\.1:\d+ failed \(.*\) using the system trust store .*--certificate-authority/,
        ) !== undefined,
    );
    await api.close();
  });

  it('fails with exit 5 when the address is not in the certificate', async () => {
    const api = await ApiClient.create(configFor(await httpsServer('127.0.0.2'), { ca: { file: pki.caFile } }), {
      scriptName: 'unit',
      env: {},
    });
    await assert.rejects(
      api.send({ method: 'GET', path: '/api' }),
      (err) => expectExitError(err, EXIT.TLS, /IP: 127\.0\.0\.2 is not in the cert's list/) !== undefined,
    );
    await api.close();
  });

  it('verifies against tls-server-name instead of the address', async () => {
    const url = await httpsServer('127.0.0.2');
    const api = await ApiClient.create(configFor(url, { ca: { file: pki.caFile }, tlsServerName: 'kubernetes.default.svc' }), {
      scriptName: 'unit',
      env: {},
    });
    assert.equal((await api.send({ method: 'GET', path: '/api' })).body.toString(), 'secure');
    await api.close();
  });

  it('retries once with a CA file that was replaced after a verification failure', async () => {
    const caFile = join(root, 'rotating-ca.crt');
    const url = await httpsServer('127.0.0.1');
    // A valid CA that did not sign the server's certificate: verification fails until the file is replaced.
    const other = await ensurePki(join(root, 'other-pki'));
    writeFileSync(caFile, readFileSync(other.caFile));
    const traces: string[] = [];
    const log = createLog({ verbose: true, write: (line: string) => traces.push(line) });
    const api = await ApiClient.create(configFor(url, { ca: { file: caFile } }), { scriptName: 'unit', env: {}, log });
    await assert.rejects(
      api.send({ method: 'GET', path: '/api' }),
      (err) => expectExitError(err, EXIT.TLS, /TLS verification/) !== undefined,
    );
    writeFileSync(`${caFile}.new`, readFileSync(pki.caFile));
    renameSync(`${caFile}.new`, caFile); // replaced atomically, as kubelet swaps ..data
    assert.equal((await api.send({ method: 'GET', path: '/api' })).body.toString(), 'secure');
    await api.close();
    assert.ok(
      traces.some((line) => line.includes('TLS verification failed and the CA file changed: retrying once with the new CA')),
      traces.join('\n'),
    );
  });

  it('rejects a CA file that holds no certificate before connecting', async () => {
    const bogus = join(root, 'not-a-ca.crt');
    writeFileSync(bogus, 'hello');
    await assert.rejects(
      ApiClient.create(configFor('https://127.0.0.1:1', { ca: { file: bogus } }), { scriptName: 'unit', env: {} }),
      (err) => expectExitError(err, EXIT.NO_CONFIG, /does not contain a PEM certificate/) !== undefined,
    );
  });
});

describe('ServerConnection with a malformed proxy setting', () => {
  const noCredentials = { description: 'no credentials' } as Credentials;
  const connect = (env: Record<string, string>) => () =>
    new ServerConnection(configFor('https://10.96.0.1'), noCredentials, { env, headersTimeout: 1000, bodyTimeout: 1000 });
  const configError = (pattern: RegExp) => (err: unknown) =>
    err instanceof ExitError && err.exitCode === EXIT.NO_CONFIG && pattern.test(err.message) && !err.message.includes('\n');
  it('names the variable when HTTPS_PROXY is not a URL', () => {
    assert.throws(connect({ HTTPS_PROXY: 'http://[bad' }), configError(/^proxy http:\/\/\[bad \(from HTTPS_PROXY\) is not a valid URL/));
  });
  it('rejects a password with a bad percent escape without printing it', () => {
    assert.throws(
      connect({ HTTPS_PROXY: 'http://user:%zzsecret@127.0.0.1:3128' }),
      configError(/^proxy http:\/\/user:<redacted>@127\.0\.0\.1:3128 .*not valid percent-encoding$/),
    );
  });
});
