// scripts/lib/credentials.ts: a malformed client certificate or key is a configuration error
// (exit 3) found before connecting, naming its source and never the key itself.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClientCertificateSource, ResolvedConfig } from '../../scripts/lib/config.ts';
import { loadCredentials, readPem } from '../../scripts/lib/credentials.ts';
import { EXIT, ExitError } from '../../scripts/lib/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'kip-credentials-'));
after(() => rmSync(root, { recursive: true, force: true }));

let CERT = '';
let KEY = '';
before(() => {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=test-user',
      '-keyout',
      join(root, 'client.key'),
      '-out',
      join(root, 'client.crt'),
    ],
    { stdio: 'ignore' },
  );
  CERT = readFileSync(join(root, 'client.crt'), 'utf8');
  KEY = readFileSync(join(root, 'client.key'), 'utf8');
});

function config(clientCertificate: ClientCertificateSource): ResolvedConfig {
  return {
    source: { kind: 'kubeconfig', description: 'kubeconfig' },
    server: 'https://127.0.0.1:6443',
    insecureSkipTlsVerify: false,
    clientCertificate,
    namespace: 'default',
    namespaceSource: 'default',
    tried: [],
    notes: [],
  };
}

const data = (value: string, field: string) => ({ data: value, origin: `${field} of user "alice"` });

async function configFailure(clientCertificate: ClientCertificateSource): Promise<ExitError> {
  try {
    await loadCredentials(config(clientCertificate));
  } catch (err) {
    assert.ok(err instanceof ExitError, `expected an ExitError, got ${String(err)}`);
    assert.equal(err.exitCode, EXIT.NO_CONFIG);
    assert.ok(!err.message.includes('\n'), 'one line');
    return err;
  }
  assert.fail('loadCredentials accepted a malformed client certificate');
}

describe('loadCredentials client certificate', () => {
  it('accepts a valid certificate and key', async () => {
    const credentials = await loadCredentials(config({ cert: data(CERT, 'client-certificate-data'), key: data(KEY, 'client-key-data') }));
    assert.deepEqual(credentials.clientCertificate, { cert: CERT, key: KEY });
  });

  it('rejects garbage client-certificate-data, naming the field and user', async () => {
    const err = await configFailure({ cert: data('not a certificate', 'client-certificate-data'), key: data(KEY, 'client-key-data') });
    assert.match(err.message, /client certificate client-certificate-data of user "alice" does not contain a PEM certificate/);
  });

  it('rejects garbage client-key-data without printing it', async () => {
    const secret = 'garbage-key-material-s3cr3t';
    const err = await configFailure({ cert: data(CERT, 'client-certificate-data'), key: data(secret, 'client-key-data') });
    assert.match(err.message, /client key client-key-data of user "alice" does not contain a PEM private key/);
    assert.ok(!err.message.includes(secret));
  });

  it('rejects a certificate file given as the key, naming the file', async () => {
    const certFile = join(root, 'client.crt');
    const err = await configFailure({ cert: { file: certFile }, key: { file: certFile } });
    assert.match(err.message, new RegExp(`client key ${certFile} does not contain a PEM private key`));
  });

  it('rejects a key file given as the certificate, without printing the key', async () => {
    const keyFile = join(root, 'client.key');
    const err = await configFailure({ cert: { file: keyFile }, key: { file: keyFile } });
    assert.match(err.message, new RegExp(`client certificate ${keyFile} does not contain a PEM certificate`));
    assert.ok(!err.message.includes(KEY.split('\n')[1]!));
  });
});

describe('readPem', () => {
  it('an unreadable file (a directory) is exit 3 naming it and the errno', () => {
    assert.throws(
      () => readPem({ file: root }, 'CA file'),
      (err: unknown) =>
        err instanceof ExitError && err.exitCode === EXIT.NO_CONFIG && err.message === `cannot read CA file ${root} (EISDIR)`,
    );
  });
});

describe('loadCredentials with an inline token', () => {
  it('rejects a token that cannot be sent, naming its user and the byte, never the token', async () => {
    const inline = { kind: 'inline' as const, token: 'inline-secret\u00e9rest', origin: 'user "alice" in /k' };
    await assert.rejects(
      loadCredentials({ ...config({ cert: { file: '/unused' }, key: { file: '/unused' } }), clientCertificate: undefined, bearer: inline }),
      (err: unknown) =>
        err instanceof ExitError &&
        err.exitCode === EXIT.NO_CONFIG &&
        !err.message.includes('inline-secret') &&
        /^the token of user "alice" in \/k contains a non-ASCII character inside the token \(byte 14\)/.test(err.message),
    );
  });
});
