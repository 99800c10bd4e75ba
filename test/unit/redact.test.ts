// scripts/lib/redact.ts: no token, key or proxy password may reach stderr.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  clearSecrets,
  redact,
  redactHeaders,
  redactStack,
  redactUrl,
  registerSecret,
  registerUrlPassword,
} from '../../scripts/lib/redact.ts';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDpkZWZhdWx0In0.c2lnbmF0dXJl';

describe('redact', () => {
  afterEach(clearSecrets);

  it('removes registered secrets wherever they appear', () => {
    registerSecret('s3cr3t-static-token');
    assert.equal(redact('token s3cr3t-static-token rejected (s3cr3t-static-token)'), 'token <redacted> rejected (<redacted>)');
  });

  it('ignores secrets too short to replace safely', () => {
    registerSecret('true');
    assert.equal(redact('true'), 'true');
  });

  it('removes unregistered bearer tokens and JWTs', () => {
    assert.equal(redact('Authorization: Bearer abcdefghijklmnop123'), 'Authorization: Bearer <redacted>');
    assert.equal(redact('authorization: bearer abcdefghijklmnop123'), 'authorization: bearer <redacted>');
    assert.equal(redact(`token=${JWT} end`), 'token=<redacted> end');
  });

  it('removes a token carried as a WebSocket subprotocol', () => {
    assert.equal(
      redact('Sec-WebSocket-Protocol: base64url.bearer.authorization.k8s.io.Y2FsbGVyU2VjcmV0VG9rZW4, v5.channel.k8s.io'),
      'Sec-WebSocket-Protocol: base64url.bearer.authorization.k8s.io.<redacted>, v5.channel.k8s.io',
    );
  });

  it('leaves ordinary prose and curl command templates alone', () => {
    const text = 'token from file /var/run/secrets/kubernetes.io/serviceaccount/token; -H "Authorization: Bearer $(cat /t)"';
    assert.equal(redact(text), text);
  });

  it('hides proxy passwords in URLs', () => {
    assert.equal(redact('via http://user:hunter2@proxy:3128/'), 'via http://user:<redacted>@proxy:3128/');
    assert.equal(redactUrl('http://user:hunter2@proxy:3128'), 'http://user:<redacted>@proxy:3128');
    assert.equal(redactUrl('http://proxy:3128'), 'http://proxy:3128');
  });

  it('hides a URL password holding an unescaped @ entirely', () => {
    assert.equal(redact('server https://admin:p@ss@host:6443/api'), 'server https://admin:<redacted>@host:6443/api');
  });

  it('registers a URL password as written and percent-decoded', () => {
    registerUrlPassword(new URL('http://u:pass%2Fword99@proxy:3128'));
    assert.equal(redact('pass%2Fword99 and pass/word99'), '<redacted> and <redacted>');
  });
});

describe('redactStack', () => {
  afterEach(clearSecrets);

  it('keeps the first line of the message and the frames, dropping quoted input', () => {
    const error = new Error('Bad indentation at line 8:\n\n    token: quoted-secret-from-the-file\n   ^\n');
    const text = redactStack(error);
    assert.match(text, /^Error: Bad indentation at line 8:\n\s+at /);
    assert.doesNotMatch(text, /quoted-secret-from-the-file/);
  });

  it('redacts registered secrets in what it keeps', () => {
    registerSecret('registered-secret-value');
    assert.equal(
      redactStack(Object.assign(new Error('failed with registered-secret-value'), { stack: '' })),
      'Error: failed with <redacted>',
    );
  });
});

describe('redactHeaders', () => {
  it('keeps the scheme and hides the credential', () => {
    assert.deepEqual(redactHeaders({ Authorization: 'Bearer short', 'proxy-authorization': 'Basic dXNlcjpwYXNz', accept: '*/*' }), {
      Authorization: 'Bearer <redacted>',
      'proxy-authorization': 'Basic <redacted>',
      accept: '*/*',
    });
  });
  it('hides a header value without a scheme entirely', () => {
    assert.deepEqual(redactHeaders({ authorization: 'rawtoken' }), { authorization: '<redacted>' });
  });
});
