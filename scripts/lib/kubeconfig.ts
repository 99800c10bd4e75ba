// kubeconfig files: parse, merge several the way kubectl does, pick a context.
//
// Merging ($KUBECONFIG=a:b:c): every cluster, user and context keeps the
// definition from the FIRST file that names it, and current-context comes from
// the first file that sets one. Relative paths inside a file
// (certificate-authority, client-certificate, client-key, tokenFile, an exec
// command containing a "/") are resolved against that file's directory, as
// kubectl does, so a merged entry keeps pointing at the right file.

import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument, type YAMLError } from 'yaml';
import { configError } from './errors.ts';
import { readConfigFile } from './files.ts';

export interface KubeconfigCluster {
  server?: string;
  certificateAuthority?: string;
  /** PEM text, already base64-decoded from certificate-authority-data. */
  certificateAuthorityData?: string;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  proxyUrl?: string;
}

export interface ExecEnvVar {
  name: string;
  value: string;
}

/** users[].user.exec: a credential plugin (client.authentication.k8s.io). */
export interface ExecConfig {
  apiVersion: string;
  command: string;
  args: string[];
  env: ExecEnvVar[];
  provideClusterInfo: boolean;
  interactiveMode?: string;
  installHint?: string;
}

export interface KubeconfigUser {
  token?: string;
  tokenFile?: string;
  clientCertificate?: string;
  /** PEM text, decoded from client-certificate-data. */
  clientCertificateData?: string;
  clientKey?: string;
  /** PEM text, decoded from client-key-data. */
  clientKeyData?: string;
  exec?: ExecConfig;
  /** Set when the user uses something we do not implement (auth-provider, username/password). */
  unsupported?: string;
}

export interface KubeconfigContext {
  cluster: string;
  user: string;
  namespace?: string;
}

/** A definition together with the file it came from (for messages and --verbose). */
export interface Defined<T> {
  value: T;
  file: string;
}

export interface KubeconfigFile {
  path: string;
  currentContext?: string;
  clusters: Map<string, KubeconfigCluster>;
  users: Map<string, KubeconfigUser>;
  contexts: Map<string, KubeconfigContext>;
}

export interface MergedKubeconfig {
  files: string[];
  currentContext?: Defined<string>;
  clusters: Map<string, Defined<KubeconfigCluster>>;
  users: Map<string, Defined<KubeconfigUser>>;
  contexts: Map<string, Defined<KubeconfigContext>>;
}

export interface SelectedContext {
  contextName: string;
  context: Defined<KubeconfigContext>;
  clusterName: string;
  cluster: Defined<KubeconfigCluster>;
  userName: string;
  /** Undefined when the context names no user (e.g. a kubectl-proxy server that needs none). */
  user?: Defined<KubeconfigUser>;
}

type YamlMap = Record<string, unknown>;

function isMap(value: unknown): value is YamlMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(map: YamlMap, key: string, where: string): string | undefined {
  const value = map[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`${where}.${key} must be a string`);
  return value;
}

function decodeBase64Field(map: YamlMap, key: string, where: string): string | undefined {
  const encoded = optionalString(map, key, where);
  if (encoded === undefined) return undefined;
  const compact = encoded.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) throw new Error(`${where}.${key} is not valid base64`);
  return Buffer.from(compact, 'base64').toString('utf8');
}

function resolvePath(baseDir: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** A list of `{name, <field>: {...}}` entries as a name → entry map; the first entry with a name wins. */
function namedEntries(doc: YamlMap, listKey: string, field: string): Map<string, YamlMap> {
  const entries = new Map<string, YamlMap>();
  const list = doc[listKey];
  if (list === undefined || list === null) return entries;
  if (!Array.isArray(list)) throw new Error(`${listKey} must be a list`);
  list.forEach((item: unknown, index) => {
    const where = `${listKey}[${index}]`;
    if (!isMap(item) || typeof item.name !== 'string' || item.name === '') {
      throw new Error(`${where} needs a name`);
    }
    const body = item[field] ?? {};
    if (!isMap(body)) throw new Error(`${where}.${field} must be a map`);
    if (!entries.has(item.name)) entries.set(item.name, body);
  });
  return entries;
}

function parseCluster(map: YamlMap, where: string, baseDir: string): KubeconfigCluster {
  return {
    server: optionalString(map, 'server', where),
    certificateAuthority: resolvePath(baseDir, optionalString(map, 'certificate-authority', where)),
    certificateAuthorityData: decodeBase64Field(map, 'certificate-authority-data', where),
    insecureSkipTlsVerify: map['insecure-skip-tls-verify'] === true,
    tlsServerName: optionalString(map, 'tls-server-name', where),
    proxyUrl: optionalString(map, 'proxy-url', where),
  };
}

function parseExec(map: YamlMap, where: string, baseDir: string): ExecConfig {
  const command = optionalString(map, 'command', where);
  if (command === undefined) throw new Error(`${where}.command is required`);
  const apiVersion = optionalString(map, 'apiVersion', where);
  if (apiVersion === undefined) throw new Error(`${where}.apiVersion is required`);
  const args = map.args ?? [];
  if (!Array.isArray(args) || !args.every((arg) => typeof arg === 'string')) {
    throw new Error(`${where}.args must be a list of strings`);
  }
  const envList = map.env ?? [];
  if (!Array.isArray(envList)) throw new Error(`${where}.env must be a list`);
  const env = envList.map((entry: unknown, index) => {
    if (!isMap(entry) || typeof entry.name !== 'string') throw new Error(`${where}.env[${index}] needs a name`);
    return { name: entry.name, value: String(entry.value ?? '') };
  });
  return {
    apiVersion,
    // kubectl resolves the command against the kubeconfig's directory only when it is a path
    // ("./bin/helper"), not a bare name looked up on $PATH ("aws").
    command: command.includes('/') ? (resolvePath(baseDir, command) ?? command) : command,
    args,
    env,
    provideClusterInfo: map.provideClusterInfo === true,
    interactiveMode: optionalString(map, 'interactiveMode', where),
    installHint: optionalString(map, 'installHint', where),
  };
}

function parseUser(map: YamlMap, where: string, baseDir: string): KubeconfigUser {
  const exec = map.exec;
  if (exec !== undefined && exec !== null && !isMap(exec)) throw new Error(`${where}.exec must be a map`);
  let unsupported: string | undefined;
  if (map['auth-provider'] !== undefined) unsupported = 'auth-provider';
  else if (map.username !== undefined || map.password !== undefined) unsupported = 'username/password (basic auth)';
  return {
    token: optionalString(map, 'token', where),
    tokenFile: resolvePath(baseDir, optionalString(map, 'tokenFile', where)),
    clientCertificate: resolvePath(baseDir, optionalString(map, 'client-certificate', where)),
    clientCertificateData: decodeBase64Field(map, 'client-certificate-data', where),
    clientKey: resolvePath(baseDir, optionalString(map, 'client-key', where)),
    clientKeyData: decodeBase64Field(map, 'client-key-data', where),
    exec: isMap(exec) ? parseExec(exec, `${where}.exec`, baseDir) : undefined,
    unsupported,
  };
}

function parseContext(map: YamlMap, where: string): KubeconfigContext {
  return {
    cluster: optionalString(map, 'cluster', where) ?? '',
    user: optionalString(map, 'user', where) ?? '',
    namespace: optionalString(map, 'namespace', where),
  };
}

/** What the yaml package's error codes mean, for the ones a hand-edited kubeconfig hits. */
const YAML_ERROR_TEXT: Record<string, string> = {
  BAD_INDENT: 'bad indentation',
  TAB_AS_INDENT: 'a tab used for indentation',
  DUPLICATE_KEY: 'a duplicate key',
  MISSING_CHAR: 'a missing quote, bracket, comma or colon',
  UNEXPECTED_TOKEN: 'an unexpected character',
  MULTIPLE_DOCS: 'more than one document',
  BAD_DQ_ESCAPE: 'an invalid escape in a double-quoted string',
};

/**
 * A YAML syntax error as "bad indentation at line 8, column 1". Built from the error's code and
 * offset only: the parser's own message can quote the text around the error, and in a kubeconfig
 * that text may be an inline token or key.
 */
function describeYamlError(error: YAMLError, text: string): string {
  const before = text.slice(0, error.pos[0]).split('\n');
  const what = YAML_ERROR_TEXT[error.code] ?? error.code.toLowerCase().replace(/_/g, ' ');
  return `${what} at line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

/** Parse one kubeconfig document. `path` is used for messages and to resolve relative paths. */
export function parseKubeconfig(text: string, path: string): KubeconfigFile {
  const baseDir = dirname(resolve(path));
  const yaml = parseDocument(text, { prettyErrors: false });
  const syntaxError = yaml.errors[0];
  if (syntaxError !== undefined) {
    throw configError(`kubeconfig ${path} is not valid YAML: ${describeYamlError(syntaxError, text)}: fix it there`);
  }
  // No cause is kept on these errors (--verbose prints a cause): a parse failure's details may quote the file.
  try {
    const doc: unknown = yaml.toJS() ?? {};
    if (!isMap(doc)) throw new Error('the document is not a map');
    const mapEntries = <T>(listKey: string, field: string, parseOne: (map: YamlMap, where: string) => T) =>
      new Map([...namedEntries(doc, listKey, field)].map(([name, map]) => [name, parseOne(map, `${listKey}["${name}"].${field}`)]));
    return {
      path,
      currentContext: optionalString(doc, 'current-context', 'kubeconfig'),
      clusters: mapEntries('clusters', 'cluster', (map, where) => parseCluster(map, where, baseDir)),
      users: mapEntries('users', 'user', (map, where) => parseUser(map, where, baseDir)),
      contexts: mapEntries('contexts', 'context', parseContext),
    };
  } catch (err) {
    throw configError(`kubeconfig ${path} is invalid: ${(err as Error).message}`);
  }
}

/** Read and parse one kubeconfig file; a missing or unreadable file is a configuration error. */
export function readKubeconfig(path: string): KubeconfigFile {
  return parseKubeconfig(readConfigFile(path, 'kubeconfig'), path);
}

/** Merge parsed files in order: the first file to define a name (or current-context) wins. */
export function mergeKubeconfigs(files: readonly KubeconfigFile[]): MergedKubeconfig {
  const merged: MergedKubeconfig = {
    files: files.map((file) => file.path),
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
  };
  const addAll = <T>(into: Map<string, Defined<T>>, from: Map<string, T>, file: string) => {
    for (const [name, value] of from) if (!into.has(name)) into.set(name, { value, file });
  };
  for (const file of files) {
    if (merged.currentContext === undefined && file.currentContext !== undefined) {
      merged.currentContext = { value: file.currentContext, file: file.path };
    }
    addAll(merged.clusters, file.clusters, file.path);
    addAll(merged.users, file.users, file.path);
    addAll(merged.contexts, file.contexts, file.path);
  }
  return merged;
}

/**
 * The context to use: `contextName` (from --context) or current-context.
 * Returns undefined when neither names one; throws when a name points at nothing.
 */
export function selectContext(merged: MergedKubeconfig, contextName?: string): SelectedContext | undefined {
  const name = contextName ?? merged.currentContext?.value;
  if (name === undefined) return undefined;
  const files = merged.files.join(', ');
  const context = merged.contexts.get(name);
  if (context === undefined) {
    const known = [...merged.contexts.keys()].join(', ') || 'none';
    throw configError(`context "${name}" not found in kubeconfig ${files} (contexts: ${known})`);
  }
  const clusterName = context.value.cluster;
  const cluster = merged.clusters.get(clusterName);
  if (cluster === undefined) {
    throw configError(`context "${name}" uses cluster "${clusterName}", which is not defined in kubeconfig ${files}`);
  }
  if (!cluster.value.server) {
    throw configError(`cluster "${clusterName}" in kubeconfig ${cluster.file} has no server`);
  }
  const userName = context.value.user;
  const user = userName === '' ? undefined : merged.users.get(userName);
  if (userName !== '' && user === undefined) {
    throw configError(`context "${name}" uses user "${userName}", which is not defined in kubeconfig ${files}`);
  }
  return { contextName: name, context, clusterName, cluster, userName, user };
}
