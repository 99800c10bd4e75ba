// Turn the configured credential sources into what a request needs:
// an Authorization header (fresh on every request) and, optionally, a TLS
// client certificate for the one undici Agent.

import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { ClientCertificateSource, PemSource, ResolvedConfig } from './config.ts';
import { configError } from './errors.ts';
import { readConfigFile } from './files.ts';
import { ExecCredentialSource, type ExecClusterInfo, type ExecRunner } from './exec-credential.ts';
import { registerSecret } from './redact.ts';
import { TOKEN_FIX, TokenFile, tokenDefect } from './token.ts';

export interface ClientCertificatePem {
  cert: string;
  key: string;
}

export interface Credentials {
  /** What authenticates us, e.g. "token from file /var/run/…/token" (never the token itself). */
  readonly description: string;
  readonly clientCertificate?: ClientCertificatePem;
  /** The Authorization header value for the next request, or undefined to send none. */
  authorization(): Promise<string | undefined>;
  /** Called once after a 401: re-read or re-run the source; true if the credential changed, so a retry can help. */
  refreshAfterUnauthorized(): Promise<boolean>;
}

/** How a PEM source is named in messages: a file path, or "certificate-authority-data of …". */
export function describePem(source: PemSource): string {
  return 'file' in source ? source.file : source.origin;
}

/** The PEM text of a source; a missing file is a configuration error naming `what` it was for. */
export function readPem(source: PemSource, what: string): string {
  return 'file' in source ? readConfigFile(source.file, what) : source.data;
}

/** The CA bundle as PEM, checked to hold a certificate so a wrong file fails here, not as a TLS mystery. */
export function readCaBundle(source: PemSource): string {
  const pem = readPem(source, 'CA file');
  try {
    new X509Certificate(pem);
  } catch (err) {
    throw configError(`CA ${describePem(source)} does not contain a PEM certificate`, err);
  }
  return pem;
}

/**
 * The client certificate and key as PEM, checked to parse so a wrong file or garbage
 * client-certificate-data fails here as a configuration error (exit 3) naming its source,
 * not at connect time as a TLS or connection mystery. Messages never include the key itself.
 */
export function readClientCertificate(source: ClientCertificateSource): ClientCertificatePem {
  const cert = readPem(source.cert, 'client certificate');
  const key = readPem(source.key, 'client key');
  registerSecret(key);
  try {
    new X509Certificate(cert);
  } catch (err) {
    throw configError(`client certificate ${describePem(source.cert)} does not contain a PEM certificate`, err);
  }
  try {
    createPrivateKey(key);
  } catch (err) {
    throw configError(`client key ${describePem(source.key)} does not contain a PEM private key`, err);
  }
  return { cert, key };
}

/** spec.cluster for exec plugins that set provideClusterInfo. */
export function execClusterInfo(config: ResolvedConfig): ExecClusterInfo {
  const info: ExecClusterInfo = { server: config.server };
  if (config.ca !== undefined) info['certificate-authority-data'] = Buffer.from(readPem(config.ca, 'CA file')).toString('base64');
  if (config.tlsServerName !== undefined) info['tls-server-name'] = config.tlsServerName;
  if (config.insecureSkipTlsVerify) info['insecure-skip-tls-verify'] = true;
  if (config.proxyUrl !== undefined) info['proxy-url'] = config.proxyUrl;
  return info;
}

export interface LoadCredentialsOptions {
  now?: () => number;
  runExec?: ExecRunner;
}

const NO_REFRESH = async () => false;

/** Build the credentials for `config`. Runs an exec plugin once (it may supply a client certificate). */
export async function loadCredentials(config: ResolvedConfig, options: LoadCredentialsOptions = {}): Promise<Credentials> {
  const fileCertificate: ClientCertificatePem | undefined =
    config.clientCertificate === undefined ? undefined : readClientCertificate(config.clientCertificate);
  const certificateNote = fileCertificate ? ` and client certificate ${describePem(config.clientCertificate!.cert)}` : '';
  const bearer = config.bearer;

  if (bearer === undefined) {
    return {
      description: fileCertificate ? `client certificate ${describePem(config.clientCertificate!.cert)}` : 'no credentials (anonymous)',
      clientCertificate: fileCertificate,
      authorization: async () => undefined,
      refreshAfterUnauthorized: NO_REFRESH,
    };
  }

  if (bearer.kind === 'inline') {
    registerSecret(bearer.token);
    const defect = tokenDefect(bearer.token);
    if (defect !== undefined) throw configError(`the token of ${bearer.origin} ${defect}: ${TOKEN_FIX}`);
    return {
      description: `token from ${bearer.origin}${certificateNote}`,
      clientCertificate: fileCertificate,
      authorization: async () => `Bearer ${bearer.token}`,
      refreshAfterUnauthorized: NO_REFRESH,
    };
  }

  if (bearer.kind === 'file') {
    const tokenFile = new TokenFile(bearer.path, { now: options.now });
    tokenFile.get(); // fail now, before connecting, if the file is missing
    return {
      description: `token from file ${bearer.path}${certificateNote}`,
      clientCertificate: fileCertificate,
      authorization: async () => `Bearer ${tokenFile.get()}`,
      refreshAfterUnauthorized: async () => tokenFile.reload().changed,
    };
  }

  const source = new ExecCredentialSource(bearer.exec, bearer.origin, {
    cluster: bearer.exec.provideClusterInfo ? execClusterInfo(config) : undefined,
    run: options.runExec,
    now: options.now,
  });
  const first = await source.get();
  const execCertificate =
    first.clientCertificateData !== undefined && first.clientKeyData !== undefined
      ? { cert: first.clientCertificateData, key: first.clientKeyData }
      : undefined;
  return {
    description: `${source.describe}${execCertificate ? ' (client certificate)' : ''}${certificateNote}`,
    clientCertificate: execCertificate ?? fileCertificate,
    authorization: async () => {
      const { token } = await source.get();
      return token === undefined ? undefined : `Bearer ${token}`;
    },
    refreshAfterUnauthorized: async () => {
      const before = (await source.get()).token;
      source.invalidate();
      const after = (await source.get()).token;
      return after !== undefined && after !== before;
    },
  };
}
