// Gathering every fact the checks judge: first the local ones (environment, mount, token, CA), then,
// all at once since none waits for another, the network ones (DNS, proxy, TCP, TLS) and the API
// server's answers (version, who am I, what may I do), each bounded by --timeout. A step that cannot
// run for want of an earlier one is left out, and the checks say why.

import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { joinHostPort, serviceAccountFiles, type ConfigEnvironment, type ConnectionFlags, type ResolvedConfig } from '../config.ts';
import { readPem } from '../credentials.ts';
import { formatDuration } from '../duration.ts';
import { isExitError } from '../errors.ts';
import { ApiClient } from '../http.ts';
import type { Log } from '../log.ts';
import { bareHost, normaliseProxyUrl, proxyFromEnvironment, type ProxyChoice } from '../proxy-env.ts';
import { redactUrl } from '../redact.ts';
import { askPermissions, askVersion, askWhoAmI } from './api-probes.ts';
import type { CanRequest } from './can.ts';
import type { EnvironmentFacts, Facts, MountFacts, Outcome, ProxyFacts, Target } from './facts.ts';
import { gatherCa, gatherEnvironment, gatherMount, gatherToken } from './gather-local.ts';
import { probeDns, probeTcp, probeTls, readResolvConf } from './probes.ts';
import { SERVICE_NAME } from './texts.ts';

/** How long closing the API clients may take once the facts are in. */
const CLOSE_WAIT_MS = 200;

const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY', 'no_proxy', 'NO_PROXY'];

export interface GatherOptions {
  flags: ConnectionFlags;
  environment: ConfigEnvironment;
  timeoutMs: number;
  canRequests: readonly CanRequest[];
  log: Log;
}

function targetOf(config: ResolvedConfig | undefined, environment: EnvironmentFacts): Target | undefined {
  const inPod = environment.serviceHost !== undefined && environment.servicePort !== undefined;
  const server =
    config?.server ?? (inPod ? `https://${joinHostPort(environment.serviceHost ?? '', environment.servicePort ?? '')}` : undefined);
  if (server === undefined) return undefined;
  const url = new URL(server);
  const host = bareHost(url);
  return {
    url,
    host,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    serverName: config?.tlsServerName ?? host,
    isIp: isIP(host) !== 0,
    inPod,
  };
}

/** Where the network steps aim when there is no configuration: the service environment, the mounted CA if any, no credentials. */
function serviceEnvironmentConfig(target: Target, mount: MountFacts): ResolvedConfig {
  return {
    source: { kind: 'in-cluster', description: 'the service environment only (no usable configuration)' },
    server: target.url.origin,
    ...(mount.caCrt.exists && { ca: { file: serviceAccountFiles(mount.dir).caCert } }),
    insecureSkipTlsVerify: false,
    namespace: 'default',
    namespaceSource: 'default',
    tried: [],
    notes: [],
  };
}

function gatherProxyChoice(config: ResolvedConfig, target: Target, env: ConfigEnvironment['env']): Omit<ProxyFacts, 'proxyConnect'> {
  const choice: ProxyChoice =
    config.proxyUrl !== undefined ? { proxy: config.proxyUrl, variable: 'kubeconfig proxy-url' } : proxyFromEnvironment(target.url, env);
  return {
    choice,
    variables: PROXY_VARIABLES.filter((name) => env[name] !== undefined && env[name] !== '').map(
      (name) => `${name}=${redactUrl(env[name] ?? '')}`,
    ),
    nodeUsesEnvProxy: env.NODE_USE_ENV_PROXY === '1',
  };
}

async function gatherProxy(config: ResolvedConfig, target: Target, options: GatherOptions): Promise<ProxyFacts> {
  const facts: ProxyFacts = gatherProxyChoice(config, target, options.environment.env);
  const proxy = facts.choice.proxy;
  if (proxy === undefined) return facts;
  let url: URL;
  try {
    url = new URL(normaliseProxyUrl(proxy));
  } catch {
    return facts; // a malformed proxy URL: the API client refuses it, and the checks say so
  }
  const host = bareHost(url);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  facts.proxyConnect = { address: joinHostPort(host, String(port)), connect: await probeTcp(host, port, options.timeoutMs) };
  return facts;
}

/** An ApiClient, or why none can be made (a CA or token that cannot be used: the local checks say which). */
async function client(config: ResolvedConfig, options: GatherOptions, anonymous: boolean): Promise<ApiClient | string> {
  const quiet: Log = { ...options.log, warn() {}, note() {} };
  try {
    return await ApiClient.create(anonymous ? { ...config, bearer: undefined, clientCertificate: undefined } : config, {
      scriptName: 'doctor',
      // A little longer than the step's own deadline, so the doctor's "no answer within" is what is said.
      requestTimeoutMs: options.timeoutMs + 250,
      log: anonymous ? quiet : options.log,
      env: options.environment.env,
    });
  } catch (err) {
    if (isExitError(err)) return err.message;
    throw err;
  }
}

function caPem(config: ResolvedConfig): string | undefined {
  try {
    return config.ca === undefined ? undefined : readPem(config.ca, 'CA file');
  } catch {
    return undefined; // the ca check reports it
  }
}

function trace(log: Log, what: string, outcome: Outcome<unknown> | undefined): void {
  if (outcome === undefined) return;
  log.verbose(`* doctor: ${what}: ${outcome.ok ? 'ok' : outcome.failure.message} (${formatDuration(outcome.ms)})`);
}

export async function gatherFacts(options: GatherOptions): Promise<{ facts: Facts; close(): Promise<void> }> {
  const { flags, environment: env, timeoutMs, log } = options;
  const now = new Date();
  const environment = gatherEnvironment(flags, env);
  const mount = gatherMount(flags, env);
  const config = environment.config.ok ? environment.config.value : undefined;
  const facts: Facts = {
    now,
    timeoutMs,
    environment,
    mount,
    token: gatherToken(config, mount, now),
    ca: gatherCa(config, mount),
  };
  const target = targetOf(config, environment);
  if (target === undefined) return { facts, close: async () => {} };
  facts.target = target;
  const reach = config ?? serviceEnvironmentConfig(target, mount);

  const dnsName = target.isIp ? (target.inPod ? SERVICE_NAME : undefined) : target.host;
  const resolvConf = readResolvConf();
  const anonymous = await client(reach, options, true);
  const authenticated = config === undefined ? 'no usable configuration' : await client(config, options, false);
  const [dns, proxy, tcp, tls, version, authn, authz] = await Promise.all([
    dnsName === undefined ? undefined : probeDns(dnsName, resolvConf, timeoutMs),
    gatherProxy(reach, target, options),
    probeTcp(target.host, target.port, timeoutMs),
    target.url.protocol === 'https:' ? probeTls(target, caPem(reach), timeoutMs) : undefined,
    typeof anonymous === 'string' ? undefined : askVersion(anonymous, timeoutMs),
    typeof authenticated === 'string' ? undefined : askWhoAmI(authenticated, timeoutMs),
    typeof authenticated === 'string' || config === undefined
      ? undefined
      : askPermissions(authenticated, config.namespace, options.canRequests, timeoutMs),
  ]);
  facts.dns = {
    ...(dnsName !== undefined && { name: dnsName }),
    crossCheck: target.isIp,
    ...(resolvConf !== undefined && { resolvConf }),
    ...(dns !== undefined && { lookup: dns }),
  };
  facts.proxy = proxy;
  facts.tcp = { address: joinHostPort(target.host, String(target.port)), connect: tcp };
  if (tls !== undefined) facts.tls = tls;
  if (version !== undefined) facts.version = version;
  if (authn !== undefined) facts.authn = authn;
  if (authz !== undefined) facts.authz = authz;
  if (typeof authenticated === 'string') facts.apiSkipped = authenticated;
  for (const [what, outcome] of [
    ['dns', dns],
    ['proxy', proxy.proxyConnect?.connect],
    ['tcp', tcp],
    ['tls', tls],
    ['version', version],
    ['authn', authn],
    ['authz rules review', authz?.rules],
  ] as const) {
    trace(log, what, outcome);
  }
  const clients = [anonymous, authenticated].filter((value): value is ApiClient => typeof value !== 'string');
  // close() waits for requests in flight; one the doctor gave up on (discovery to a silent server) must not hold the report.
  const close = async () => void (await Promise.race([Promise.all(clients.map((each) => each.close())), sleep(CLOSE_WAIT_MS)]));
  return { facts, close };
}
