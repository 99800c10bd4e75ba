// scripts/lib/proxy/{rules,path,headers}.ts: kubectl proxy's filter, path handling and header rewriting, case by case
// (kubectl's pkg/proxy/proxy_server.go, Go's ServeMux and net.SplitHostPort are the reference).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXIT, ExitError } from '../../scripts/lib/errors.ts';
import { FORBIDDEN_ANSWER, NOT_FOUND_ANSWER } from '../../scripts/lib/proxy/answers.ts';
import {
  downstreamResponseHeaders,
  headerPairs,
  pairsFromHeaderRecord,
  serializeResponseHead,
  upstreamRequestHeaders,
} from '../../scripts/lib/proxy/headers.ts';
import {
  cleanPath,
  escapePath,
  isLongRunning,
  movedPermanently,
  normaliseApiPrefix,
  parseRequestTarget,
  routeApiPrefix,
  unescapePath,
  upstreamPath,
} from '../../scripts/lib/proxy/path.ts';
import {
  DEFAULT_ACCEPT_HOSTS,
  DEFAULT_ACCEPT_PATHS,
  DEFAULT_REJECT_METHODS,
  DEFAULT_REJECT_PATHS,
  createFilter,
  extractHost,
  filterRequest,
  impersonationHeader,
  parseRegexpList,
  routeRequest,
  type ProxyRules,
} from '../../scripts/lib/proxy/rules.ts';

const DEFAULT_FILTER = createFilter({
  acceptHosts: DEFAULT_ACCEPT_HOSTS,
  acceptPaths: DEFAULT_ACCEPT_PATHS,
  rejectPaths: DEFAULT_REJECT_PATHS,
  rejectMethods: DEFAULT_REJECT_METHODS,
});
const DEFAULT_RULES: ProxyRules = { apiPrefix: '/', filter: DEFAULT_FILTER };

describe('kubectl proxy defaults', () => {
  it('are the strings kubectl proxy --help shows', () => {
    assert.equal(DEFAULT_ACCEPT_HOSTS, String.raw`^localhost$,^127\.0\.0\.1$,^\[::1\]$`);
    assert.equal(DEFAULT_ACCEPT_PATHS, '^.*');
    assert.equal(DEFAULT_REJECT_PATHS, '^/api/.*/pods/.*/exec,^/api/.*/pods/.*/attach');
    assert.equal(DEFAULT_REJECT_METHODS, '^$');
  });
  it('answer a filtered request as http.Error(403) does: "Forbidden\\n", text/plain, nosniff', () => {
    assert.deepEqual(FORBIDDEN_ANSWER, {
      status: 403,
      body: 'Forbidden\n',
      headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
    });
    assert.equal(NOT_FOUND_ANSWER.body, '404 page not found\n');
  });
});

describe('parseRegexpList (MakeRegexpArray)', () => {
  it('splits on commas, keeps the written text, and reads "" as no patterns', () => {
    assert.deepEqual(parseRegexpList('', '--reject-paths'), []);
    assert.deepEqual(
      parseRegexpList('^a$,b', '--reject-paths').map((pattern) => pattern.text),
      ['^a$', 'b'],
    );
  });
  it('matches anywhere unless anchored, as Go MatchString', () => {
    const [pattern] = parseRegexpList('exec', '--reject-paths');
    assert.equal(pattern?.regexp.test('/api/v1/namespaces/x/pods/y/exec'), true);
  });
  it('understands a leading (?i), which JavaScript lacks', () => {
    const [pattern] = parseRegexpList('(?i)^post$', '--reject-methods');
    assert.equal(pattern?.regexp.test('POST'), true);
    assert.equal(pattern?.text, '(?i)^post$');
  });
  it('turns an invalid expression into a usage error naming the flag', () => {
    assert.throws(
      () => parseRegexpList('^/api/(unclosed', '--reject-paths'),
      (err: unknown) =>
        err instanceof ExitError && err.exitCode === EXIT.USAGE && err.message.startsWith('--reject-paths: ^/api/(unclosed is not a valid'),
    );
  });
});

describe('filterRequest with the default flags', () => {
  const accepts = (method: string, path: string, host = 'localhost') => filterRequest(DEFAULT_FILTER, method, path, host).accepted;

  it('accepts API reads and writes from localhost, 127.0.0.1 and [::1]', () => {
    assert.equal(accepts('GET', '/apis/batch/v1'), true);
    assert.equal(accepts('POST', '/api/v1/namespaces/default/configmaps', '127.0.0.1'), true);
    assert.equal(accepts('GET', '/api', '[::1]'), true);
    assert.equal(accepts('GET', '/api/v1/namespaces/default/pods/web/log'), true);
  });
  it('rejects exec and attach of any pod, and says which pattern matched', () => {
    assert.equal(accepts('GET', '/api/v1/namespaces/default/pods/web/exec'), false);
    assert.equal(accepts('POST', '/api/v1/namespaces/default/pods/web/attach'), false);
    assert.deepEqual(filterRequest(DEFAULT_FILTER, 'GET', '/api/v1/namespaces/a/pods/b/exec', 'localhost'), {
      accepted: false,
      reason: 'path matches --reject-paths ^/api/.*/pods/.*/exec',
    });
  });
  it('does not reject /apis/… paths with the default /api/ patterns (as kubectl)', () => {
    assert.equal(accepts('GET', '/apis/example.com/v1/namespaces/a/pods/b/exec'), true);
  });
  it('rejects other Host names, and an empty Host', () => {
    assert.deepEqual(filterRequest(DEFAULT_FILTER, 'GET', '/api', 'evil.example'), {
      accepted: false,
      reason: 'host "evil.example" matches no --accept-hosts',
    });
    assert.equal(accepts('GET', '/api', ''), false);
    assert.equal(accepts('GET', '/api', 'localhost.evil.example'), false);
  });
});

describe('filterRequest with custom flags', () => {
  it('checks --reject-paths, then --reject-methods, then --accept-paths and --accept-hosts', () => {
    const filter = createFilter({
      acceptHosts: '.*',
      acceptPaths: '^/api/',
      rejectPaths: '^/api/v1/secrets',
      rejectMethods: 'POST,PUT,PATCH',
    });
    assert.match((filterRequest(filter, 'POST', '/api/v1/secrets', 'x') as { reason: string }).reason, /--reject-paths/);
    assert.deepEqual(filterRequest(filter, 'PATCH', '/api/v1/pods', 'x'), {
      accepted: false,
      reason: 'method PATCH matches --reject-methods PATCH',
    });
    assert.deepEqual(filterRequest(filter, 'GET', '/apis/apps/v1', 'x'), { accepted: false, reason: 'path matches no --accept-paths' });
    assert.deepEqual(filterRequest(filter, 'GET', '/api/v1/pods', 'x'), { accepted: true });
  });
  it('accepts everything with empty reject lists', () => {
    const filter = createFilter({ acceptHosts: '.*', acceptPaths: '.*', rejectPaths: '', rejectMethods: '' });
    assert.equal(filterRequest(filter, 'GET', '/api/v1/namespaces/a/pods/b/exec', 'x').accepted, true);
  });
});

describe('extractHost (net.SplitHostPort, else the whole value)', () => {
  it('drops a port', () => {
    assert.equal(extractHost('localhost:8001'), 'localhost');
    assert.equal(extractHost('127.0.0.1:8001'), '127.0.0.1');
  });
  it('keeps a value without a port as it is', () => {
    assert.equal(extractHost('localhost'), 'localhost');
    assert.equal(extractHost('[::1]'), '[::1]');
    assert.equal(extractHost(''), '');
  });
  it('unbrackets an IPv6 address with a port, so the default --accept-hosts refuses it, as kubectl does', () => {
    assert.equal(extractHost('[::1]:8001'), '::1');
    assert.equal(filterRequest(DEFAULT_FILTER, 'GET', '/api', extractHost('[::1]:8001')).accepted, false);
  });
  it('keeps values SplitHostPort refuses (too many colons, stray brackets)', () => {
    assert.equal(extractHost('::1'), '::1');
    assert.equal(extractHost('[::1]x:80'), '[::1]x:80');
    assert.equal(extractHost('a]:80'), 'a]:80');
    assert.equal(extractHost('[a:80'), '[a:80');
  });
});

describe('paths', () => {
  it('parseRequestTarget splits path and query, and reads an absolute-form target', () => {
    assert.deepEqual(parseRequestTarget('/api?x=1?y'), { rawPath: '/api', rawQuery: 'x=1?y', authority: undefined });
    assert.deepEqual(parseRequestTarget('/api'), { rawPath: '/api', rawQuery: undefined, authority: undefined });
    assert.deepEqual(parseRequestTarget('http://evil.example:80/api?w=1'), {
      rawPath: '/api',
      rawQuery: 'w=1',
      authority: 'evil.example:80',
    });
    assert.deepEqual(parseRequestTarget('http://localhost'), { rawPath: '/', rawQuery: undefined, authority: 'localhost' });
  });
  it('unescapePath decodes %XX (UTF-8 too) but not "+", and refuses a bad escape', () => {
    assert.equal(unescapePath('/pods/x/%65xec'), '/pods/x/exec');
    assert.equal(unescapePath('/a+b/%2F'), '/a+b//');
    assert.equal(unescapePath('/caf%C3%A9'), '/café');
    assert.equal(unescapePath('/bad%zz'), undefined);
    assert.equal(unescapePath('/bad%2'), undefined);
  });
  it('escapePath escapes like Go URL.EscapedPath', () => {
    assert.equal(escapePath('/api/v1/a b?c'), '/api/v1/a%20b%3Fc');
    assert.equal(escapePath("/$&+,:;=@-_.~!*'()"), '/$&+,:;=@-_.~%21%2A%27%28%29');
    assert.equal(escapePath('/café'), '/caf%C3%A9');
  });
  it('cleanPath cleans as ServeMux does, keeping a trailing slash', () => {
    assert.equal(cleanPath('/api/v1'), '/api/v1');
    assert.equal(cleanPath('/api//v1/'), '/api/v1/');
    assert.equal(cleanPath('/api/./v1/../v1'), '/api/v1');
    assert.equal(cleanPath('/../..'), '/');
    assert.equal(cleanPath(''), '/');
    assert.equal(cleanPath('api'), '/api');
    assert.equal(cleanPath('/'), '/');
  });
  it("movedPermanently writes http.Redirect's body for GET only", () => {
    assert.deepEqual(movedPermanently('/api/v1/namespaces', 'GET'), {
      status: 301,
      body: '<a href="/api/v1/namespaces">Moved Permanently</a>.\n\n',
      headers: { Location: '/api/v1/namespaces', 'Content-Type': 'text/html; charset=utf-8' },
    });
    assert.equal(movedPermanently('/a', 'POST').body, '');
    assert.equal(movedPermanently('/a?x=<&', 'GET').body, '<a href="/a?x=&lt;&amp;">Moved Permanently</a>.\n\n');
  });
  it('routeApiPrefix strips a prefix not under /api leaving a slash, and serves /api… prefixes unchanged', () => {
    assert.deepEqual(routeApiPrefix('/api/v1', '/'), { kind: 'serve', path: '/api/v1' });
    assert.deepEqual(routeApiPrefix('/custom/api/v1', '/custom/'), { kind: 'serve', path: '/api/v1' });
    assert.deepEqual(routeApiPrefix('/custom/', '/custom/'), { kind: 'serve', path: '/' });
    assert.deepEqual(routeApiPrefix('/custom', '/custom/'), { kind: 'redirect', location: '/custom/' });
    assert.deepEqual(routeApiPrefix('/api/v1', '/custom/'), { kind: 'not-found' });
    assert.deepEqual(routeApiPrefix('/api/v1/pods', '/api/'), { kind: 'serve', path: '/api/v1/pods' });
    assert.deepEqual(routeApiPrefix('/apis/apps/v1', '/api/'), { kind: 'not-found' });
    assert.equal(normaliseApiPrefix('/k8s-api'), '/k8s-api/');
  });
  it("upstreamPath keeps the caller's encoding when it spells the served path", () => {
    assert.equal(upstreamPath('/api/v1/namespaces/a%2Fb', '/api/v1/namespaces/a/b', '/'), '/api/v1/namespaces/a%2Fb');
    assert.equal(upstreamPath('/custom/api/v1/x%20y', '/api/v1/x y', '/custom/'), '/api/v1/x%20y');
    assert.equal(upstreamPath('/%63ustom/api', '/api', '/custom/'), '/api');
  });
  it('upstreamPath re-escapes a raw path that Go would not send as it is (validEncoded): backslash, quote, braces', () => {
    assert.equal(upstreamPath('/\\127.0.0.2:8443/x', '/\\127.0.0.2:8443/x', '/'), '/%5C127.0.0.2:8443/x');
    assert.equal(
      upstreamPath('/api/v1/namespaces/a/pods/b\\exec', '/api/v1/namespaces/a/pods/b\\exec', '/'),
      '/api/v1/namespaces/a/pods/b%5Cexec',
    );
    assert.equal(upstreamPath('/a"b{c}|d^e`f<g>', '/a"b{c}|d^e`f<g>', '/'), '/a%22b%7Bc%7D%7Cd%5Ee%60f%3Cg%3E');
    // Characters validEncoded accepts keep the caller's spelling, as Go keeps RawPath.
    assert.equal(upstreamPath("/a!b*c'(d)[e]", "/a!b*c'(d)[e]", '/'), "/a!b*c'(d)[e]");
  });
  it('isLongRunning knows watches (query or /watch/ path) and followed logs', () => {
    assert.equal(isLongRunning('/api/v1/pods', 'watch=1'), true);
    assert.equal(isLongRunning('/api/v1/pods', 'watch=true&resourceVersion=5'), true);
    assert.equal(isLongRunning('/api/v1/pods', 'watch=false'), false);
    assert.equal(isLongRunning('/api/v1/watch/namespaces/a/pods', undefined), true);
    assert.equal(isLongRunning('/apis/apps/v1/watch/deployments', undefined), true);
    assert.equal(isLongRunning('/api/v1/namespaces/a/pods/b/log', 'follow=true'), true);
    assert.equal(isLongRunning('/api/v1/namespaces/watch/pods', undefined), false);
    assert.equal(isLongRunning('/api/v1/pods', undefined), false);
  });
});

describe('routeRequest (everything before a byte goes upstream)', () => {
  const route = (url: string, host = 'localhost:8001', rules = DEFAULT_RULES, method = 'GET') => routeRequest(method, url, host, rules);

  it('forwards an accepted request with its query', () => {
    assert.deepEqual(route('/apis/batch/v1?pretty=true'), {
      kind: 'forward',
      pathAndQuery: '/apis/batch/v1?pretty=true',
      longRunning: false,
    });
    assert.deepEqual(route('/api/v1/pods?watch=1'), { kind: 'forward', pathAndQuery: '/api/v1/pods?watch=1', longRunning: true });
  });
  it('filters the decoded path, so percent-encoding cannot smuggle exec past --reject-paths', () => {
    const routed = route('/api/v1/namespaces/a/pods/b/%65xec');
    assert.equal(routed.kind === 'answer' && routed.answer, FORBIDDEN_ANSWER);
  });
  it('redirects a path that is not clean instead of filtering or forwarding it', () => {
    const routed = route('/api/v1/namespaces/a/pods/b/exec/..?command=sh');
    assert.equal(routed.kind, 'answer');
    assert.equal(routed.kind === 'answer' && routed.answer.headers.Location, '/api/v1/namespaces/a/pods/b?command=sh');
    const doubled = route('/api//v1/namespaces');
    assert.equal(doubled.kind === 'answer' && doubled.answer.status, 301);
  });
  it('answers 400 to a bad escape and 404 outside --api-prefix', () => {
    const bad = route('/api/%zz');
    assert.equal(bad.kind === 'answer' && bad.answer.status, 400);
    const outside = route('/api', 'localhost', { apiPrefix: '/custom/', filter: DEFAULT_FILTER });
    assert.equal(outside.kind === 'answer' && outside.answer, NOT_FOUND_ANSWER);
  });
  it('strips --api-prefix before filtering and forwarding', () => {
    const rules = { apiPrefix: '/k8s-api/', filter: DEFAULT_FILTER };
    assert.deepEqual(route('/k8s-api/api/v1/pods', 'localhost', rules), {
      kind: 'forward',
      pathAndQuery: '/api/v1/pods',
      longRunning: false,
    });
    const exec = route('/k8s-api/api/v1/namespaces/a/pods/b/exec', 'localhost', rules);
    assert.equal(exec.kind === 'answer' && exec.rejected, 'path matches --reject-paths ^/api/.*/pods/.*/exec');
  });
  it('checks the host of an absolute-form target rather than the Host header', () => {
    const routed = route('http://evil.example/api', 'localhost');
    assert.equal(routed.kind === 'answer' && routed.rejected, 'host "evil.example" matches no --accept-hosts');
  });
  it('forwards a backslash target to the API server as %5C, never as an authority', () => {
    assert.deepEqual(route('/\\127.0.0.2:8443/x'), { kind: 'forward', pathAndQuery: '/%5C127.0.0.2:8443/x', longRunning: false });
    const exec = route('/api/v1/namespaces/a/pods/b\\exec?command=sh');
    assert.deepEqual(exec, { kind: 'forward', pathAndQuery: '/api/v1/namespaces/a/pods/b%5Cexec?command=sh', longRunning: false });
  });
  it('refuses Impersonate-* headers with 403 unless impersonation is allowed', () => {
    for (const name of ['Impersonate-User', 'impersonate-group', 'Impersonate-Uid', 'Impersonate-Extra-scopes']) {
      const refused = routeRequest('GET', '/api', 'localhost', DEFAULT_RULES, ['Host', 'localhost', name, 'jane']);
      assert.equal(refused.kind === 'answer' && refused.answer, FORBIDDEN_ANSWER);
      assert.equal(
        refused.kind === 'answer' && refused.rejected,
        `${name} header: impersonation is off (--allow-impersonation passes it on)`,
      );
    }
    const allowed = routeRequest('GET', '/api', 'localhost', { ...DEFAULT_RULES, allowImpersonation: true }, ['Impersonate-User', 'jane']);
    assert.equal(allowed.kind, 'forward');
    assert.equal(impersonationHeader(['Accept', '*/*', 'X-Impersonate-User', 'x']), undefined);
  });
  it('forwards everything with --disable-filter', () => {
    assert.equal(route('/api/v1/namespaces/a/pods/b/exec', 'evil.example', { apiPrefix: '/', filter: undefined }).kind, 'forward');
  });
});

describe('upstreamRequestHeaders', () => {
  const raw = [
    'Host',
    'localhost:8001',
    'User-Agent',
    'curl/8.5.0',
    'Accept',
    'application/json',
    'Authorization',
    'Bearer from-the-caller',
    'X-Forwarded-For',
    '203.0.113.7',
    'x-forwarded-proto',
    'https',
    'Forwarded',
    'for=203.0.113.7',
    'Connection',
    'keep-alive, X-Hop',
    'X-Hop',
    'gone',
    'Keep-Alive',
    'timeout=5',
    'TE',
    'trailers',
    'Proxy-Authorization',
    'Basic Zm9vOmJhcg==',
    'Expect',
    '100-continue',
    'Content-Type',
    'application/json',
    'Content-Length',
    '2',
    'Impersonate-User',
    'someone',
  ];

  it("keeps the caller's end-to-end headers in order and spelling, and puts the pod's Authorization last", () => {
    assert.deepEqual(upstreamRequestHeaders(raw, { authorization: 'Bearer pod-token' }), [
      'User-Agent',
      'curl/8.5.0',
      'Accept',
      'application/json',
      'Content-Type',
      'application/json',
      'Content-Length',
      '2',
      'Impersonate-User',
      'someone',
      'Authorization',
      'Bearer pod-token',
    ]);
  });
  it('sends no Authorization at all when the pod has no token', () => {
    const headers = upstreamRequestHeaders(['Authorization', 'Bearer x', 'Accept', '*/*'], { authorization: undefined });
    assert.deepEqual(headers, ['Accept', '*/*']);
  });
  it('keeps the upgrade of an upgrade request, with Connection: Upgrade only', () => {
    const headers = upstreamRequestHeaders(
      [
        'Connection',
        'Upgrade, Keep-Alive',
        'Upgrade',
        'websocket',
        'Sec-WebSocket-Key',
        'k',
        'Sec-WebSocket-Protocol',
        'v5.channel.k8s.io',
      ],
      { authorization: 'Bearer t', upgrade: true },
    );
    assert.deepEqual(headerPairs(headers), [
      ['Sec-WebSocket-Key', 'k'],
      ['Sec-WebSocket-Protocol', 'v5.channel.k8s.io'],
      ['Authorization', 'Bearer t'],
      ['Connection', 'Upgrade'],
      ['Upgrade', 'websocket'],
    ]);
  });
  it('drops Upgrade on a plain request', () => {
    assert.deepEqual(upstreamRequestHeaders(['Upgrade', 'h2c', 'Accept', '*/*'], { authorization: undefined }), ['Accept', '*/*']);
  });
});

describe('response headers', () => {
  it('downstreamResponseHeaders drops hop-by-hop headers and those Connection names, keeps the rest and Content-Length', () => {
    assert.deepEqual(
      downstreamResponseHeaders([
        ['Content-Type', 'application/json'],
        ['Transfer-Encoding', 'chunked'],
        ['Connection', 'keep-alive, X-Hop'],
        ['X-Hop', 'x'],
        ['Keep-Alive', 'timeout=5'],
        ['Audit-Id', 'a'],
        ['Content-Length', '10'],
      ]),
      [
        ['Content-Type', 'application/json'],
        ['Audit-Id', 'a'],
        ['Content-Length', '10'],
      ],
    );
  });
  it('pairsFromHeaderRecord keeps repeated headers apart', () => {
    assert.deepEqual(pairsFromHeaderRecord({ warning: ['299 - "a"', '299 - "b"'], 'content-type': 'text/plain', skipped: undefined }), [
      ['warning', '299 - "a"'],
      ['warning', '299 - "b"'],
      ['content-type', 'text/plain'],
    ]);
  });
  it('serializeResponseHead writes an HTTP/1.1 head', () => {
    assert.equal(
      serializeResponseHead(403, 'Forbidden', [
        ['A', '1'],
        ['B', '2'],
      ]),
      'HTTP/1.1 403 Forbidden\r\nA: 1\r\nB: 2\r\n\r\n',
    );
  });
});

describe('upstreamRequestHeaders and WebSocket subprotocols', () => {
  it("drops a token subprotocol padded with characters JavaScript's trim() keeps but Go's TrimSpace strips", () => {
    // U+0085 arrives from node's header parser as the latin1 bytes C2 85; Go trims it before its own check.
    for (const padded of [
      '\u00c2\u0085base64url.bearer.authorization.k8s.io.Y2FsbGVy',
      '\u0085base64url.bearer.authorization.k8s.io.Y2FsbGVy',
    ]) {
      const headers = upstreamRequestHeaders(['Sec-WebSocket-Protocol', `v5.channel.k8s.io, ${padded}`], {
        authorization: 'Bearer pod-token',
      });
      assert.deepEqual(headers, ['Sec-WebSocket-Protocol', 'v5.channel.k8s.io', 'Authorization', 'Bearer pod-token']);
    }
  });
  it("drops the caller's token subprotocol and keeps the channel protocols", () => {
    const headers = upstreamRequestHeaders(
      [
        'Sec-WebSocket-Protocol',
        'base64url.bearer.authorization.k8s.io.Y2FsbGVy, v5.channel.k8s.io, v4.channel.k8s.io',
        'Upgrade',
        'websocket',
      ],
      { authorization: 'Bearer pod-token', upgrade: true },
    );
    assert.deepEqual(headers, [
      'Sec-WebSocket-Protocol',
      'v5.channel.k8s.io, v4.channel.k8s.io',
      'Authorization',
      'Bearer pod-token',
      'Connection',
      'Upgrade',
      'Upgrade',
      'websocket',
    ]);
  });
});
