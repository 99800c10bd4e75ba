// Turn the configured credential sources into what a request needs:
// an Authorization header (fresh on every request) and, optionally, a TLS
// client certificate for the one undici Agent.

import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { PemSource, ResolvedConfig } from './config.ts';
import { configError } from './errors.ts';
import { ExecCredentialSource, type ExecClusterInfo, type ExecRunner } from './exec-credential.ts';
import { registerSecret } from './redact.ts';
import { TokenFile } from './token.ts';

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
  if (!('file' in source)) return source.data;
  try {
    return readFileSync(source.file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw configError(`cannot read ${what} ${source.file} (${code})`, err);
  }
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
    config.clientCertificate === undefined
      ? undefined
      : {
          cert: readPem(config.clientCertificate.cert, 'client certificate'),
          key: readPem(config.clientCertificate.key, 'client key'),
        };
  registerSecret(fileCertificate?.key);
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
