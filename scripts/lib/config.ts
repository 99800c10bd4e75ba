// Where the API server and the credentials come from. First match wins:
//
//   1. explicit flags: --server (then only flags are used: --token-file, --certificate-authority),
//      or --kubeconfig FILE / --context NAME
//   2. $KUBECONFIG, a ":"-separated list of files merged as kubectl merges them
//      (when it is set, ~/.kube/config is not read, exactly as with kubectl)
//   3. ~/.kube/config
//   4. in-cluster: $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT and the service-account
//      files kubelet mounts at /var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace}
//      (or in the directory --sa-dir names)
//   5. otherwise an error listing everything that was tried.
//
// --token-file, --certificate-authority and --insecure-skip-tls-verify also override
// whatever a kubeconfig or the in-cluster files would have supplied.
// The namespace: --namespace → the context's namespace → the service-account
// namespace file → "default".
//
// Everything here is a pure function of the flags and a ConfigEnvironment (env
// variables, home directory, service-account directory), so tests pass their own.

import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { configError, usageError } from './errors.ts';
import {
  mergeKubeconfigs,
  readKubeconfig,
  selectContext,
  type ExecConfig,
  type KubeconfigUser,
  type SelectedContext,
} from './kubeconfig.ts';

/** Where kubelet mounts the service-account token, CA bundle and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
export const DEFAULT_NAMESPACE = 'default';
/** ResolvedConfig.namespaceSource when -n/--namespace chose the namespace. */
export const NAMESPACE_FLAG_SOURCE = '--namespace flag';

/** The connection flags every script accepts (see cli.ts). */
export interface ConnectionFlags {
  server?: string;
  tokenFile?: string;
  certificateAuthority?: string;
  insecureSkipTlsVerify?: boolean;
  namespace?: string;
  kubeconfig?: string;
  context?: string;
  /** --sa-dir: the service-account files are read from here instead of SERVICE_ACCOUNT_DIR. */
  serviceAccountDir?: string;
}

/** Everything outside the flags that configuration depends on. */
export interface ConfigEnvironment {
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
  serviceAccountDir: string;
}

export function processEnvironment(): ConfigEnvironment {
  return { env: process.env, homeDir: homedir(), serviceAccountDir: SERVICE_ACCOUNT_DIR };
}

/**
 * The environment with --sa-dir applied: in a `kubectl debug` container the pod's volume is not
 * mounted, but its files are readable under PID 1's root, /proc/1/root (doctor.ts names the path).
 */
export function withServiceAccountDir(
  flags: Pick<ConnectionFlags, 'serviceAccountDir'>,
  environment: ConfigEnvironment,
): ConfigEnvironment {
  if (flags.serviceAccountDir === undefined) return environment;
  if (flags.serviceAccountDir === '') throw usageError('--sa-dir needs a directory');
  return { ...environment, serviceAccountDir: flags.serviceAccountDir };
}

export interface ServiceAccountFiles {
  dir: string;
  token: string;
  caCert: string;
  namespace: string;
}

export function serviceAccountFiles(dir: string): ServiceAccountFiles {
  return { dir, token: join(dir, 'token'), caCert: join(dir, 'ca.crt'), namespace: join(dir, 'namespace') };
}

/** PEM material: a file we pass by path (as curl --cacert does) or inline data from a kubeconfig. */
export type PemSource = { file: string } | { data: string; origin: string };

/** Where the bearer token comes from. */
export type BearerSource =
  | { kind: 'file'; path: string }
  | { kind: 'inline'; token: string; origin: string }
  | { kind: 'exec'; exec: ExecConfig; origin: string };

export interface ClientCertificateSource {
  cert: PemSource;
  key: PemSource;
}

export type ConfigSourceKind = 'flags' | 'kubeconfig' | 'in-cluster';

export interface ConfigSource {
  kind: ConfigSourceKind;
  /** One line for --verbose: which source won and where exactly it came from. */
  description: string;
}

export interface ResolvedConfig {
  source: ConfigSource;
  /** Base URL, e.g. https://10.96.0.1:443 (no trailing slash). */
  server: string;
  /** CA to verify the server with; undefined means the system trust store. */
  ca?: PemSource;
  insecureSkipTlsVerify: boolean;
  /** Name to verify the server certificate against instead of the URL's host (kubeconfig tls-server-name). */
  tlsServerName?: string;
  /** kubeconfig proxy-url; when unset, http.ts applies the proxy environment variables. */
  proxyUrl?: string;
  bearer?: BearerSource;
  clientCertificate?: ClientCertificateSource;
  namespace: string;
  namespaceSource: string;
  /** What was looked at before the winner, for --verbose and error messages. */
  tried: string[];
  /** Things worth knowing for --verbose (e.g. ca.crt missing, a flag overriding the kubeconfig). */
  notes: string[];
}

/** Like Go's net.JoinHostPort: an IPv6 literal gets brackets, so "::1" + 443 → "[::1]:443". */
export function joinHostPort(host: string, port: string): string {
  const alreadyBracketed = host.startsWith('[') && host.endsWith(']');
  return host.includes(':') && !alreadyBracketed ? `[${host}]:${port}` : `${host}:${port}`;
}

function readTrimmed(path: string): string | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return text === '' ? undefined : text;
  } catch {
    return undefined;
  }
}

function normaliseServer(server: string, from: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw from === '--server'
      ? usageError(`--server ${server} is not a URL (expected e.g. https://kubernetes.default.svc)`)
      : configError(`server ${server} from ${from} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    const message = `server ${server} from ${from} must be an http:// or https:// URL`;
    throw from === '--server' ? usageError(message) : configError(message);
  }
  return server.replace(/\/+$/, '');
}

interface KubeconfigLocation {
  paths: string[];
  origin: string;
}

/** Which kubeconfig files apply, recording in `tried` the places that did not. */
function findKubeconfig(flags: ConnectionFlags, environment: ConfigEnvironment, tried: string[]): KubeconfigLocation | undefined {
  if (flags.kubeconfig !== undefined) return { paths: [flags.kubeconfig], origin: '--kubeconfig' };
  const fromEnv = environment.env.KUBECONFIG;
  if (fromEnv !== undefined && fromEnv !== '') {
    const listed = [...new Set(fromEnv.split(delimiter).filter((path) => path !== ''))];
    const existing = listed.filter((path) => existsSync(path));
    if (existing.length > 0) return { paths: existing, origin: '$KUBECONFIG' };
    tried.push(`$KUBECONFIG=${fromEnv} (no such file)`);
    return undefined;
  }
  tried.push('$KUBECONFIG (not set)');
  const homeConfig = join(environment.homeDir, '.kube', 'config');
  if (existsSync(homeConfig)) return { paths: [homeConfig], origin: '~/.kube/config' };
  tried.push(`${homeConfig} (not found)`);
  return undefined;
}

function bearerFromUser(user: KubeconfigUser, origin: string): BearerSource | undefined {
  // client-go: a token file beats an inline token, and either beats an exec plugin.
  if (user.tokenFile !== undefined) return { kind: 'file', path: user.tokenFile };
  if (user.token !== undefined) return { kind: 'inline', token: user.token, origin };
  if (user.exec !== undefined) return { kind: 'exec', exec: user.exec, origin };
  return undefined;
}

function clientCertificateFromUser(user: KubeconfigUser, origin: string): ClientCertificateSource | undefined {
  const cert: PemSource | undefined =
    user.clientCertificate !== undefined
      ? { file: user.clientCertificate }
      : user.clientCertificateData !== undefined
        ? { data: user.clientCertificateData, origin: `client-certificate-data of ${origin}` }
        : undefined;
  const key: PemSource | undefined =
    user.clientKey !== undefined
      ? { file: user.clientKey }
      : user.clientKeyData !== undefined
        ? { data: user.clientKeyData, origin: `client-key-data of ${origin}` }
        : undefined;
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    throw configError(`${origin} has a client ${cert ? 'certificate' : 'key'} but no client ${cert ? 'key' : 'certificate'}`);
  }
  return { cert, key };
}

type BaseConfig = Omit<ResolvedConfig, 'namespace' | 'namespaceSource' | 'tried' | 'notes'>;

function fromKubeconfig(selected: SelectedContext, location: KubeconfigLocation): BaseConfig {
  const cluster = selected.cluster.value;
  const clusterOrigin = `cluster "${selected.clusterName}" in ${selected.cluster.file}`;
  const userOrigin = `user "${selected.userName}" in ${selected.user?.file ?? ''}`;
  const user = selected.user?.value;
  if (user?.unsupported !== undefined) {
    throw configError(
      `${userOrigin} uses ${user.unsupported}, which kube-in-pod does not support: use token, tokenFile, a client certificate or an exec plugin`,
    );
  }
  return {
    source: {
      kind: 'kubeconfig',
      description: `kubeconfig ${location.paths.join(':')} (from ${location.origin}), context "${selected.contextName}"`,
    },
    server: normaliseServer(cluster.server ?? '', clusterOrigin),
    ca:
      cluster.certificateAuthority !== undefined
        ? { file: cluster.certificateAuthority }
        : cluster.certificateAuthorityData !== undefined
          ? { data: cluster.certificateAuthorityData, origin: `certificate-authority-data of ${clusterOrigin}` }
          : undefined,
    insecureSkipTlsVerify: cluster.insecureSkipTlsVerify,
    tlsServerName: cluster.tlsServerName,
    proxyUrl: cluster.proxyUrl,
    bearer: user === undefined ? undefined : bearerFromUser(user, userOrigin),
    clientCertificate: user === undefined ? undefined : clientCertificateFromUser(user, userOrigin),
  };
}

function fromInCluster(environment: ConfigEnvironment, tried: string[], notes: string[]): BaseConfig {
  const files = serviceAccountFiles(environment.serviceAccountDir);
  const host = environment.env.KUBERNETES_SERVICE_HOST ?? '';
  const port = environment.env.KUBERNETES_SERVICE_PORT ?? '';
  const tokenExists = existsSync(files.token);
  if (host === '' || port === '') {
    tried.push('in-cluster (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set)');
    const tokenHint = tokenExists
      ? `; a service-account token exists at ${files.token}, so pass --server https://kubernetes.default.svc --token-file ${files.token} --certificate-authority ${files.caCert}`
      : '';
    throw configError(`no configuration found, tried: ${tried.join('; ')}: run inside a pod, or pass --server or --kubeconfig${tokenHint}`);
  }
  if (!tokenExists) {
    throw configError(
      `in a pod (KUBERNETES_SERVICE_HOST=${host}) but the service-account token ${files.token} does not exist: ` +
        `is automountServiceAccountToken: false set on the Pod or its ServiceAccount? ` +
        `set it to true or mount a projected serviceAccountToken volume (tried: ${tried.join('; ')})`,
    );
  }
  const caExists = existsSync(files.caCert);
  if (!caExists) notes.push(`${files.caCert} does not exist: verifying the server with the system trust store`);
  return {
    source: {
      kind: 'in-cluster',
      description: `in-cluster: KUBERNETES_SERVICE_HOST=${host} KUBERNETES_SERVICE_PORT=${port}, service account files in ${files.dir}`,
    },
    server: normaliseServer(`https://${joinHostPort(host, port)}`, 'KUBERNETES_SERVICE_HOST/PORT'),
    ca: caExists ? { file: files.caCert } : undefined,
    insecureSkipTlsVerify: false,
    bearer: { kind: 'file', path: files.token },
  };
}

function fromServerFlag(flags: ConnectionFlags & { server: string }): BaseConfig {
  return {
    source: { kind: 'flags', description: `--server ${flags.server} (kubeconfig and in-cluster files not read)` },
    server: normaliseServer(flags.server, '--server'),
    insecureSkipTlsVerify: false,
  };
}

/** Resolve server, TLS, credentials and namespace. Throws ExitError (exit 2 or 3) when it cannot. */
export function resolveConfig(flags: ConnectionFlags, givenEnvironment: ConfigEnvironment): ResolvedConfig {
  const environment = withServiceAccountDir(flags, givenEnvironment);
  const tried: string[] = [];
  const notes: string[] = [];
  let base: BaseConfig | undefined;
  let selected: SelectedContext | undefined;

  if (flags.server !== undefined) {
    if (flags.kubeconfig !== undefined || flags.context !== undefined) {
      throw usageError('--server cannot be combined with --kubeconfig or --context');
    }
    base = fromServerFlag({ ...flags, server: flags.server });
  } else {
    if (flags.kubeconfig === undefined) tried.push('--server/--kubeconfig flags (not given)');
    const location = findKubeconfig(flags, environment, tried);
    if (location !== undefined) {
      const merged = mergeKubeconfigs(location.paths.map(readKubeconfig));
      selected = selectContext(merged, flags.context);
      if (selected !== undefined) base = fromKubeconfig(selected, location);
      else tried.push(`kubeconfig ${location.paths.join(':')} (no current-context)`);
    }
    if (base === undefined && flags.context !== undefined) {
      throw configError(`--context ${flags.context} given but no kubeconfig was found (tried: ${tried.join('; ')})`);
    }
    base ??= fromInCluster(environment, tried, notes);
  }

  if (flags.tokenFile !== undefined) {
    if (base.bearer !== undefined || base.clientCertificate !== undefined) {
      notes.push(`--token-file ${flags.tokenFile} replaces the credentials from ${base.source.kind}`);
    }
    base = { ...base, bearer: { kind: 'file', path: flags.tokenFile }, clientCertificate: undefined };
  }
  if (flags.certificateAuthority !== undefined) {
    // As with kubectl, an explicit CA also turns off an insecure-skip-tls-verify from the kubeconfig.
    base = { ...base, ca: { file: flags.certificateAuthority }, insecureSkipTlsVerify: false };
  }
  if (flags.insecureSkipTlsVerify === true) base = { ...base, insecureSkipTlsVerify: true };

  const namespace = resolveNamespace(flags, selected, environment);
  return { ...base, ...namespace, tried, notes };
}

/** --namespace → the context's namespace → the service-account namespace file → "default". */
export function resolveNamespace(
  flags: Pick<ConnectionFlags, 'namespace'>,
  selected: Pick<SelectedContext, 'contextName' | 'context'> | undefined,
  environment: Pick<ConfigEnvironment, 'serviceAccountDir'>,
): { namespace: string; namespaceSource: string } {
  if (flags.namespace !== undefined && flags.namespace !== '') {
    return { namespace: flags.namespace, namespaceSource: NAMESPACE_FLAG_SOURCE };
  }
  const fromContext = selected?.context.value.namespace;
  if (fromContext !== undefined) {
    return { namespace: fromContext, namespaceSource: `context "${selected?.contextName}" in ${selected?.context.file}` };
  }
  const namespaceFile = serviceAccountFiles(environment.serviceAccountDir).namespace;
  const fromFile = readTrimmed(namespaceFile);
  if (fromFile !== undefined) return { namespace: fromFile, namespaceSource: namespaceFile };
  return { namespace: DEFAULT_NAMESPACE, namespaceSource: 'default' };
}
