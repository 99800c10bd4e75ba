// scripts/lib/proxy-env.ts: the proxy decision must match curl 7.88 (a cluster-wide HTTPS_PROXY without
// the API server in NO_PROXY must fail the same way for the script and for its curl).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesNoProxy, normaliseProxyUrl, proxyFromEnvironment } from '../../scripts/lib/proxy-env.ts';

describe('matchesNoProxy', () => {
  it('matches a name exactly and its subdomains, with or without a leading dot', () => {
    assert.equal(matchesNoProxy('kubernetes.default.svc', 'kubernetes.default.svc'), true);
    assert.equal(matchesNoProxy('kubernetes.default.svc', '.svc'), true);
    assert.equal(matchesNoProxy('kubernetes.default.svc', 'svc'), true);
    assert.equal(matchesNoProxy('KUBERNETES.default.svc', 'Default.SVC'), true);
    assert.equal(matchesNoProxy('kubernetes.default.svc.', 'default.svc.'), true);
  });
  it('does not match a mere suffix that is not a domain boundary', () => {
    assert.equal(matchesNoProxy('notsvc', 'svc'), false);
    assert.equal(matchesNoProxy('nonexample.com', 'example.com'), false);
  });
  it('treats "*" alone as everything, but not inside a list', () => {
    assert.equal(matchesNoProxy('10.96.0.1', '*'), true);
    assert.equal(matchesNoProxy('example.com', 'foo,*'), false);
  });
  it('never matches an IP address with a name entry (the cert-manager#1371 trap)', () => {
    assert.equal(matchesNoProxy('10.96.0.1', '.svc,.cluster.local'), false);
  });
  it('matches IPv4 addresses exactly or by CIDR, as curl >= 7.86', () => {
    assert.equal(matchesNoProxy('10.96.0.1', '10.96.0.1'), true);
    assert.equal(matchesNoProxy('10.96.0.1', '10.96.0.2'), false);
    assert.equal(matchesNoProxy('10.96.0.1', '10.0.0.0/8'), true);
    assert.equal(matchesNoProxy('11.0.0.1', '10.0.0.0/8'), false);
    assert.equal(matchesNoProxy('10.96.0.1', '10.96.0.1/0'), true, '/0 means the whole address in curl');
    assert.equal(matchesNoProxy('10.96.0.1', '10.0.0.0/33'), false);
  });
  it('matches IPv6 addresses by CIDR and exactly', () => {
    assert.equal(matchesNoProxy('fd00::1', 'fd00::/8'), true);
    assert.equal(matchesNoProxy('::1', '::1'), true);
    assert.equal(matchesNoProxy('fd00::1', '10.0.0.0/8'), false);
  });
  it('accepts commas and blanks as separators', () => {
    assert.equal(matchesNoProxy('b.example', ' a.example ,, b.example'), true);
    assert.equal(matchesNoProxy('b.example', 'a.example b.example'), true);
  });
});

describe('proxyFromEnvironment', () => {
  const https = new URL('https://10.96.0.1:443/api');
  const http = new URL('http://localhost:8001/api');

  it('uses https_proxy before HTTPS_PROXY for https URLs', () => {
    assert.deepEqual(proxyFromEnvironment(https, { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2' }), {
      proxy: 'http://lower:1',
      variable: 'https_proxy',
    });
    assert.equal(proxyFromEnvironment(https, { HTTPS_PROXY: 'http://upper:2' }).proxy, 'http://upper:2');
  });
  it('uses only lower-case http_proxy for http URLs, as curl does', () => {
    assert.deepEqual(proxyFromEnvironment(http, { HTTP_PROXY: 'http://upper:2' }), {});
    assert.equal(proxyFromEnvironment(http, { http_proxy: 'http://lower:1' }).proxy, 'http://lower:1');
  });
  it('does not use http_proxy for https URLs', () => {
    assert.deepEqual(proxyFromEnvironment(https, { http_proxy: 'http://p:1' }), {});
  });
  it('falls back to all_proxy then ALL_PROXY, and treats empty variables as unset', () => {
    assert.equal(proxyFromEnvironment(https, { https_proxy: '', ALL_PROXY: 'http://all:3' }).proxy, 'http://all:3');
    assert.equal(proxyFromEnvironment(https, { all_proxy: 'http://a:1', ALL_PROXY: 'http://b:2' }).proxy, 'http://a:1');
  });
  it('reports which NO_PROXY entry bypassed the proxy', () => {
    assert.deepEqual(proxyFromEnvironment(https, { HTTPS_PROXY: 'http://p:1', NO_PROXY: '10.96.0.0/12' }), {
      variable: 'HTTPS_PROXY',
      bypassedBy: 'NO_PROXY=10.96.0.0/12',
    });
    assert.equal(proxyFromEnvironment(https, { HTTPS_PROXY: 'http://p:1', no_proxy: 'x', NO_PROXY: '*' }).proxy, 'http://p:1');
  });
  it('strips IPv6 brackets before matching', () => {
    const v6 = new URL('https://[fd00::1]:443/api');
    assert.equal(proxyFromEnvironment(v6, { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'fd00::/16' }).proxy, undefined);
  });
  it('assumes http:// for a proxy without a scheme', () => {
    assert.equal(normaliseProxyUrl('proxy.corp:3128'), 'http://proxy.corp:3128');
    assert.equal(normaliseProxyUrl('https://proxy.corp'), 'https://proxy.corp');
    assert.equal(proxyFromEnvironment(https, { HTTPS_PROXY: 'proxy.corp:3128' }).proxy, 'http://proxy.corp:3128');
  });
});
