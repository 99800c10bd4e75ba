// The one HTTP path every request takes: undici with ONE dispatcher that holds
// the cluster CA, timeouts, bounded retries, token refresh after a 401, and the
// single place where a failure becomes an ExitError (exit code + one line that
// names the failing step and the fix).

import { STATUS_CODES } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, ProxyAgent, request, type Dispatcher } from 'undici';
import type { ResolvedConfig } from './config.ts';
import { describePem, loadCredentials, readCaBundle, type Credentials, type LoadCredentialsOptions } from './credentials.ts';
import { EXIT, ExitError, configError, usageError, type ExitCode } from './errors.ts';
import { SILENT_LOG, type Log } from './log.ts';
import { bareHost, proxyFromEnvironment, type Env, type ProxyChoice } from './proxy-env.ts';
import { redactHeaders, redactUrl, registerUrlPassword } from './redact.ts';

/** Product token of our User-Agent; keep the version in step with package.json. */
export const USER_AGENT_PRODUCT = 'kube-in-pod/0.1.0';
export const CONNECT_TIMEOUT_MS = 10_000;
export const HEADERS_TIMEOUT_MS = 60_000;
export const BODY_TIMEOUT_MS = 300_000;
/** Retries (after the first attempt) of GET/HEAD on 429, 503 and a reset connection. */
export const MAX_RETRIES = 3;
export const MAX_RETRY_DELAY_MS = 10_000;
export const FIRST_BACKOFF_MS = 500;

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A request as a value: sent by ApiClient, or rendered as a curl command by curl.ts. */
export interface ApiRequest {
  method: HttpMethod;
  /** Path and query as the user would write it: "/api", "/apis/apps/v1/…?resourceVersion=0". */
  path: string;
  /** JSON request body (POST/PUT/PATCH). */
  body?: string;
  contentType?: string;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body exactly as the server sent it. */
  body: Buffer;
}

const IDEMPOTENT_METHODS: ReadonlySet<HttpMethod> = new Set(['GET', 'HEAD']);
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 503]);
const RESET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE']);

// ---------------------------------------------------------------------------
// Timeouts

const DURATION_UNITS_MS: Record<string, number> = {
  ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000,
};
const INVALID_TIMEOUT =
  'invalid --request-timeout: use a single integer in seconds, or an integer followed by a unit (e.g. 1s | 2m | 3h); 0 means no timeout';

/**
 * kubectl's --request-timeout (clientcmd.ParseTimeout): "0" = no timeout, a bare integer = seconds,
 * otherwise a Go duration ("30s", "1m", "1m30s", "500ms"). Returns milliseconds.
 */
export function parseRequestTimeout(text: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const duration = parseGoDuration(trimmed);
  if (duration === undefined) throw usageError(INVALID_TIMEOUT);
  return duration;
}

/** A Go duration as kubectl's duration flags take it ("0", "30s", "1m30s", "500ms") in milliseconds; undefined if it is not one. */
export function parseGoDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  if (!/^(\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))*$/.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, , unit] of trimmed.matchAll(/(\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(amount) * (DURATION_UNITS_MS[unit ?? ''] ?? 0);
  }
  return Math.ceil(total);
}

/** 1500 → "1.5s", 250 → "250ms". */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${Number((ms / 1000).toFixed(3))}s`;
}

// ---------------------------------------------------------------------------
// URLs

/** server + path, keeping a path prefix on the server (https://rancher/k8s/clusters/c-1 + /api). */
export function requestUrl(server: string, path: string): URL {
  return new URL(`${server.replace(/\/+$/, '')}${path.startsWith('/') ? '' : '/'}${path}`);
}

/**
 * The URL we actually send: with pretty=true added.
 *
 * kube-apiserver pretty-prints JSON (2-space indent, no trailing newline) when the
 * User-Agent starts with curl/, Wget/ or Mozilla/5.0, and compacts it otherwise.
 * The seed recipe uses curl, so curl's output is the reference; asking for
 * pretty=true gets exactly those bytes with our own User-Agent. This is the only
 * place the parameter is added, and the curl command we print leaves it out
 * because curl gets the same output through its User-Agent.
 */
export function withPretty(url: URL): URL {
  // An explicit pretty=… from the user wins; appending (rather than searchParams.set) keeps the
  // user's own query bytes exactly as written.
  if (url.searchParams.has('pretty')) return url;
  const sent = new URL(url);
  sent.search = url.search === '' ? '?pretty=true' : `${url.search}&pretty=true`;
  return sent;
}

/** "GET https://…/api" without the pretty parameter: how we name a request in messages. */
function describeRequest(request: ApiRequest, url: URL): string {
  return `${request.method} ${url.href}`;
}

// ---------------------------------------------------------------------------
// Error classification: every failure is explained here, once.

export interface FailureContext {
  url: URL;
  /** "CA file /var/run/…/ca.crt", "certificate-authority-data of …", or "the system trust store". */
  caDescription: string;
  proxy?: ProxyChoice;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** The body idle timeout in force, when not BODY_TIMEOUT_MS (a stream's own, see ApiClient.stream). */
  bodyTimeoutMs?: number;
}

/** err.code of the error, or of its cause / first aggregated error (happy-eyeballs connects). */
export function errorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const candidate = current as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown[] };
    if (typeof candidate.code === 'string') return candidate.code;
    if (candidate.name === 'TimeoutError') return 'TimeoutError';
    current = candidate.cause ?? candidate.errors?.[0];
  }
  return undefined;
}

const TLS_VERIFY_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);
const TLS_CLOCK_CODES: ReadonlySet<string> = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/** "10.96.0.1:443": host and port, the default port included (URL.host drops it). */
export function hostAndPort(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

/** Whether a system error (it carries address and port, or the hostname it looked up) was about the proxy. */
function isProxyEndpoint(err: unknown, proxy: URL, target: URL): boolean {
  const { address, port, hostname } = err as { address?: string; port?: number; hostname?: string };
  if (hostname !== undefined) return hostname === bareHost(proxy);
  if (port === undefined) return false;
  return `${address ?? ''}:${port}` !== hostAndPort(target) && hostAndPort(proxy).endsWith(`:${port}`);
}

function proxyNote(proxy: ProxyChoice | undefined): string {
  return proxy?.proxy ? ` through proxy ${redactUrl(proxy.proxy)} (from ${proxy.variable})` : '';
}

const PROXY_FIX = 'if the API server should not be proxied, add its address (and kubernetes.default.svc, .svc, .cluster.local) to NO_PROXY';

/** One ExitError for a failed connection, TLS handshake or timeout; undefined if `err` is none of those. */
export function classifyNetworkError(err: unknown, context: FailureContext): ExitError | undefined {
  const code = errorCode(err);
  if (code === undefined) return undefined;
  const detail = err instanceof Error ? err.message : String(err);
  const origin = context.url.origin;
  const proxyFix = context.proxy?.proxy ? `; ${PROXY_FIX}` : '';
  // A refused, unreachable or unresolvable proxy is the proxy's failure, not the API server's.
  const failedAtProxy = context.proxy?.proxy !== undefined && isProxyEndpoint(err, new URL(context.proxy.proxy), context.url);
  const hostPort = failedAtProxy ? `proxy ${redactUrl(context.proxy?.proxy ?? '')} (from ${context.proxy?.variable})` : hostAndPort(context.url);
  const via = failedAtProxy ? '' : proxyNote(context.proxy);
  const connection = (message: string) => new ExitError(EXIT.CONNECTION, message, { cause: err });
  const tls = (message: string) => new ExitError(EXIT.TLS, message, { cause: err });

  if (TLS_VERIFY_CODES.has(code)) {
    return tls(
      `TLS verification of ${origin} failed (${detail}) using ${context.caDescription}${via}: ` +
        (context.proxy?.proxy
          ? `the proxy may be presenting its own certificate; ${PROXY_FIX}`
          : 'pass the cluster CA with --certificate-authority (in a pod: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt)'),
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return tls(
      `TLS verification of ${origin} failed: ${detail}: connect to a name or address the certificate lists ` +
        `(in a pod, $KUBERNETES_SERVICE_HOST or kubernetes.default.svc), or set tls-server-name in the kubeconfig`,
    );
  }
  if (TLS_CLOCK_CODES.has(code)) {
    return tls(`TLS verification of ${origin} failed (${detail}): check the clock in the pod, or renew the API server certificate`);
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    return tls(`TLS handshake with ${origin} failed: the server does not speak TLS on ${hostPort}; is it plain http (e.g. kubectl proxy)? use an http:// URL`);
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO') {
    return tls(`TLS handshake with ${origin} failed (${code}): check the client certificate and the server address`);
  }
  switch (code) {
    case 'ECONNREFUSED':
      return connection(
        failedAtProxy
          ? `connection to ${hostPort} refused (ECONNREFUSED): is the proxy up?${proxyFix}`
          : `connection to ${hostPort}${via} refused (ECONNREFUSED): is the API server (or the Istio sidecar, if the pod has one) up? check the address with --verbose${proxyFix}`,
      );
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return connection(
        `connecting to ${hostPort}${via} timed out after ${formatDuration(context.connectTimeoutMs)}: ` +
          `an egress NetworkPolicy may block the API server endpoint (allow its IP and port, often 6443)${proxyFix}`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN': {
      const host = (err as { hostname?: string }).hostname ?? context.url.hostname;
      const why = code === 'ENOTFOUND' ? 'no such host' : 'temporary DNS failure';
      return connection(
        failedAtProxy
          ? `cannot resolve the proxy host ${host} (${why}) from ${context.proxy?.variable}: check the proxy setting${proxyFix}`
          : `cannot resolve ${host} (${why}): use $KUBERNETES_SERVICE_HOST's address or a fully-qualified name with a trailing dot, and check /etc/resolv.conf`,
      );
    }
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return connection(`no route to ${hostPort}${via} (${code}): check the pod's network and the server address`);
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return connection(
        `connection to ${hostPort}${via} was closed by the other side (${code}): ` +
          (context.url.protocol === 'http:' ? 'is it an https:// server? ' : '') +
          `a proxy or load balancer may be cutting it${proxyFix}`,
      );
    case 'UND_ERR_HEADERS_TIMEOUT':
      return connection(`${origin} accepted the connection but sent no response within ${formatDuration(context.headersTimeoutMs)}`);
    case 'UND_ERR_BODY_TIMEOUT':
      return connection(`${origin} stopped sending the response body for ${formatDuration(context.bodyTimeoutMs ?? BODY_TIMEOUT_MS)}`);
    case 'TimeoutError':
      return connection(`request to ${origin} timed out after ${formatDuration(context.requestTimeoutMs)} (--request-timeout)`);
    case 'UND_ERR_ABORTED':
    case 'UND_ERR_PRX_TLS':
      return connection(`the proxy refused to connect to ${hostPort}${via} (${detail}): ${PROXY_FIX}`);
    default:
      return connection(`request to ${origin}${via} failed (${code}): ${detail}`);
  }
}

interface KubernetesStatus {
  message?: string;
  reason?: string;
}

function parseStatus(body: Buffer): KubernetesStatus | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    if (typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Status') {
      const { message, reason } = value as Record<string, unknown>;
      return { message: typeof message === 'string' ? message : undefined, reason: typeof reason === 'string' ? reason : undefined };
    }
  } catch {
    // not JSON: no Status to quote
  }
  return undefined;
}

function statusExitCode(status: number): ExitCode {
  if (status === 401) return EXIT.UNAUTHORIZED;
  if (status === 403) return EXIT.FORBIDDEN;
  if (status === 404) return EXIT.NOT_FOUND;
  return EXIT.API_ERROR;
}

/** The ExitError for an HTTP status >= 400; the body goes to stdout, as curl would print it. */
export function statusError(request: ApiRequest, url: URL, response: ApiResponse, credentials: string): ExitError {
  const status = parseStatus(response.body);
  const reasonPhrase = STATUS_CODES[response.status] ?? 'Error';
  const said = status?.message && status.message !== reasonPhrase ? `: ${status.message}` : '';
  let fix = '';
  if (response.status === 401) {
    fix = credentials.startsWith('no credentials')
      ? ': no credentials were sent; pass --token-file'
      : ': the token was rejected (expired, wrong audience, or its pod or service account was recreated); decode it with serviceaccount.ts';
  } else if (response.status === 403) {
    fix = /system:anonymous/.test(status?.message ?? '')
      ? ': no token reached the server, so it treated us as system:anonymous; send one with --token-file'
      : ': authenticated, but RBAC does not allow this; grant it with a Role or ClusterRole and a binding';
  } else if (response.status === 404) {
    fix = ': check the name, the namespace (-n) and the API group/version in the path';
  } else if (RETRYABLE_STATUSES.has(response.status) && IDEMPOTENT_METHODS.has(request.method)) {
    fix = `: still ${response.status} after ${MAX_RETRIES} retries`;
  }
  return new ExitError(statusExitCode(response.status), `${describeRequest(request, url)}: ${response.status} ${reasonPhrase}${said}${fix}`, {
    stdout: response.body,
  });
}

/** Retry-After as milliseconds: delta-seconds or an HTTP-date; undefined if absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Wait before retry number `attempt` (0-based): Retry-After if given, else exponential backoff; capped. */
export function retryDelayMs(attempt: number, retryAfterMs: number | undefined): number {
  return Math.min(retryAfterMs ?? FIRST_BACKOFF_MS * 2 ** attempt, MAX_RETRY_DELAY_MS);
}

function headerValue(headers: ApiResponse['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `Warning: 299 - "text"` headers (deprecations, policy warnings) → the texts, as kubectl shows them. */
export function warningTexts(headers: ApiResponse['headers']): string[] {
  const raw = headers.warning;
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return values.map((value) => /^\d{3} \S+ "((?:[^"\\]|\\.)*)"/.exec(value)?.[1]?.replace(/\\(.)/g, '$1') ?? value);
}

// ---------------------------------------------------------------------------
// The connection to the API server

/** TLS settings of every connection to the API server: undici's connect options, and tls.connect's. */
export interface ServerTls {
  ca?: string;
  cert?: string;
  key?: string;
  servername?: string;
  rejectUnauthorized: boolean;
  /** Connect timeout (undici); not a socket idle timeout. */
  timeout: number;
}

export interface ServerConnectionOptions {
  env?: Env;
  headersTimeout: number;
  bodyTimeout: number;
  /** TCP keep-alive: first probe after this many ms (undici's own default, 60 s, when unset). */
  keepAliveInitialDelay?: number;
}

/** The one dispatcher of a run, and what error messages and out-of-band connections need to know about it. */
export interface ServerConnection {
  dispatcher: Dispatcher;
  /** The TLS settings the dispatcher uses, for connections made outside it (connection upgrades). */
  tls: ServerTls;
  proxy: ProxyChoice;
  /** "CA /var/run/…/ca.crt" or "the system trust store (no CA configured)". */
  caDescription: string;
  headersTimeout: number;
}

/** The proxy's URL; a malformed one is a configuration error naming where it came from. */
export function parseProxyUrl(url: string, variable: string | undefined): URL {
  try {
    return new URL(url);
  } catch {
    throw configError(`proxy ${redactUrl(url)} (from ${variable}) is not a valid URL: use http://HOST:PORT`);
  }
}

/** undici percent-decodes the proxy's user and password: bad escapes are a configuration error, found here. */
function checkProxyCredential(text: string, url: string, variable: string | undefined): void {
  try {
    decodeURIComponent(text);
  } catch {
    throw configError(`proxy ${redactUrl(url)} (from ${variable}) has a user or password that is not valid percent-encoding`);
  }
}

/** Read the CA now, decide on a proxy, and build the dispatcher for `config` (ApiClient.create; proxy.ts on a CA change). */
export function createServerConnection(
  config: ResolvedConfig,
  credentials: Pick<Credentials, 'clientCertificate'>,
  options: ServerConnectionOptions,
): ServerConnection {
  const server = new URL(config.server);
  const ca = config.ca !== undefined && !config.insecureSkipTlsVerify ? readCaBundle(config.ca) : undefined;
  const caDescription = config.ca !== undefined ? `CA ${describePem(config.ca)}` : 'the system trust store (no CA configured)';
  const tls: ServerTls = {
    ca,
    cert: credentials.clientCertificate?.cert,
    key: credentials.clientCertificate?.key,
    servername: config.tlsServerName,
    rejectUnauthorized: !config.insecureSkipTlsVerify,
    timeout: CONNECT_TIMEOUT_MS,
  };
  const socket = options.keepAliveInitialDelay === undefined ? {} : { keepAlive: true, keepAliveInitialDelay: options.keepAliveInitialDelay };
  const proxy: ProxyChoice =
    config.proxyUrl !== undefined
      ? { proxy: config.proxyUrl, variable: 'kubeconfig proxy-url' }
      : proxyFromEnvironment(server, options.env ?? process.env);
  const timeouts = { headersTimeout: options.headersTimeout, bodyTimeout: options.bodyTimeout };
  let dispatcher: Dispatcher;
  if (proxy.proxy !== undefined) {
    const proxyUrl = parseProxyUrl(proxy.proxy, proxy.variable);
    if (proxyUrl.protocol !== 'http:' && proxyUrl.protocol !== 'https:') {
      throw configError(`proxy ${redactUrl(proxy.proxy)} (from ${proxy.variable}) uses ${proxyUrl.protocol}; only http:// and https:// proxies are supported`);
    }
    checkProxyCredential(proxyUrl.username, proxy.proxy, proxy.variable);
    checkProxyCredential(proxyUrl.password, proxy.proxy, proxy.variable);
    registerUrlPassword(proxyUrl);
    dispatcher = new ProxyAgent({ uri: proxy.proxy, requestTls: tls, proxyTls: { timeout: CONNECT_TIMEOUT_MS, ...socket }, ...timeouts });
  } else {
    dispatcher = new Agent({ connect: { ...tls, ...socket }, ...timeouts });
  }
  return { dispatcher, tls, proxy, caDescription, headersTimeout: options.headersTimeout };
}

/** The warnings and the --verbose trace of where and how we connect (once per run). */
export function logServerConnection(log: Log, config: ResolvedConfig, credentials: Credentials, connection: ServerConnection): void {
  const server = new URL(config.server);
  const { proxy, caDescription } = connection;
  if (server.protocol === 'http:' && config.bearer !== undefined) {
    log.warn(`sending the token over plain http to ${server.origin}: anyone in between can read it`);
  }
  if (config.insecureSkipTlsVerify && server.protocol === 'https:') {
    log.warn(`--insecure-skip-tls-verify: the certificate of ${server.origin} is NOT verified; anyone in between can read the token`);
  }
  log.verbose(`* config: ${config.source.description}`);
  for (const line of config.tried) log.verbose(`* config: tried ${line}`);
  for (const line of config.notes) log.verbose(`* config: ${line}`);
  log.verbose(`* server: ${config.server}`);
  log.verbose(`* TLS: ${config.insecureSkipTlsVerify ? 'NOT verified (--insecure-skip-tls-verify)' : `verified with ${caDescription}`}${config.tlsServerName ? `, server name ${config.tlsServerName}` : ''}`);
  log.verbose(`* credentials: ${credentials.description}`);
  log.verbose(`* namespace: ${config.namespace} (from ${config.namespaceSource})`);
  if (proxy.proxy !== undefined) log.verbose(`* proxy: ${redactUrl(proxy.proxy)} (from ${proxy.variable})`);
  else if (proxy.bypassedBy !== undefined) log.verbose(`* proxy: none (${proxy.variable} set, but ${proxy.bypassedBy} matches ${server.hostname})`);
}

// ---------------------------------------------------------------------------
// The client

export interface ApiStreamOptions {
  /** Statuses >= 400 to hand back (their body read whole) instead of throwing, e.g. 410 Gone for a watch. */
  acceptStatuses?: readonly number[];
  /** Longest silence allowed between two chunks of the body (default BODY_TIMEOUT_MS). */
  idleTimeoutMs?: number;
  /** Abort the opening or the stream (an overall deadline); lines() then just ends. */
  signal?: AbortSignal;
}

/** An open streaming response. */
export interface ApiStream {
  readonly status: number;
  readonly headers: ApiResponse['headers'];
  /**
   * The body's non-empty lines (without the newline) as they arrive; ends when the server ends the
   * response, close() is called or the signal aborts. A failure while reading is an ExitError
   * (classified as send() classifies it: a reset or a silent server is exit 4).
   * For a status passed through acceptStatuses, the lines of the body already read.
   */
  lines(): AsyncGenerator<string, void, undefined>;
  /** Stop reading and drop the connection. */
  close(): void;
}

/** What one attempt produced: the response (body read unless streaming) and, when streaming, the unread body. */
interface Attempt {
  response: ApiResponse;
  body?: Readable;
  /** performance.now() when the request was sent. */
  opened: number;
}

/** --request-timeout for opening a stream, combined with the caller's own signal. */
class OpeningDeadline {
  readonly signal: AbortSignal;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number, callerSignal: AbortSignal | undefined) {
    const controller = new AbortController();
    // name TimeoutError: errorCode() and classifyNetworkError() read it as --request-timeout, as with AbortSignal.timeout.
    this.timer = timeoutMs > 0 ? setTimeout(() => controller.abort(new DOMException('request timed out', 'TimeoutError')), timeoutMs) : undefined;
    this.signal = callerSignal === undefined ? controller.signal : AbortSignal.any([controller.signal, callerSignal]);
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

/** What a ResponseStream needs to explain a failure and trace the end of the stream. */
interface StreamContext {
  failure: FailureContext;
  log: Log;
  signal?: AbortSignal;
  /** performance.now() when the request was sent. */
  opened: number;
}

/** Lines of a body, as they arrive (stream) or from bytes already read. */
class ResponseStream implements ApiStream {
  readonly status: number;
  readonly headers: ApiResponse['headers'];
  private readonly buffered: Buffer;
  private readonly body: Readable | undefined;
  private readonly context: StreamContext;
  private closed = false;

  constructor(response: ApiResponse, body: Readable | undefined, context: StreamContext) {
    this.status = response.status;
    this.headers = response.headers;
    this.buffered = response.body;
    this.body = body;
    this.context = context;
  }

  async *lines(): AsyncGenerator<string, void, undefined> {
    if (this.body === undefined) {
      yield* splitLines(this.buffered.toString('utf8')).lines;
      return;
    }
    const decoder = new StringDecoder('utf8');
    let pending = '';
    try {
      for await (const chunk of this.body) {
        const split = splitLines(pending + decoder.write(chunk as Buffer));
        pending = split.rest;
        yield* split.lines;
      }
    } catch (err) {
      if (this.closed || this.context.signal?.aborted === true) return;
      throw classifyNetworkError(err, this.context.failure) ?? err;
    }
    const last = (pending + decoder.end()).trim();
    if (last !== '') yield last;
    this.context.log.verbose(`* stream ended by the server after ${formatDuration(Math.round(performance.now() - this.context.opened))}`);
  }

  close(): void {
    this.closed = true;
    this.body?.destroy();
  }
}

/** Complete non-empty lines of `text`, and the unterminated rest. */
export function splitLines(text: string): { lines: string[]; rest: string } {
  const parts = text.split('\n');
  const rest = parts.pop() ?? '';
  return { lines: parts.map((line) => line.replace(/\r$/, '')).filter((line) => line.trim() !== ''), rest };
}

export interface ApiClientOptions {
  /** Script name for the User-Agent: "kube-in-pod/0.1.0 (get-api)". */
  scriptName: string;
  /** Overall time per attempt, 0 = none (--request-timeout). */
  requestTimeoutMs?: number;
  log?: Log;
  /** Environment for proxy variables. */
  env?: Env;
  credentials?: LoadCredentialsOptions;
}

export class ApiClient {
  readonly config: ResolvedConfig;
  readonly credentials: Credentials;
  private readonly dispatcher: Dispatcher;
  private readonly userAgent: string;
  private readonly requestTimeoutMs: number;
  private readonly log: Log;
  private readonly failure: Omit<FailureContext, 'url'>;

  private constructor(
    config: ResolvedConfig,
    credentials: Credentials,
    dispatcher: Dispatcher,
    options: ApiClientOptions,
    failure: Omit<FailureContext, 'url'>,
  ) {
    this.config = config;
    this.credentials = credentials;
    this.dispatcher = dispatcher;
    this.userAgent = `${USER_AGENT_PRODUCT} (${options.scriptName})`;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 0;
    this.log = options.log ?? SILENT_LOG;
    this.failure = failure;
  }

  /** Read the CA and credentials, decide on a proxy, and build the one dispatcher. */
  static async create(config: ResolvedConfig, options: ApiClientOptions): Promise<ApiClient> {
    const log = options.log ?? SILENT_LOG;
    const credentials = await loadCredentials(config, options.credentials);
    // A --request-timeout longer than the default headers timeout must not be cut short by it.
    const connection = createServerConnection(config, credentials, {
      env: options.env,
      headersTimeout: Math.max(HEADERS_TIMEOUT_MS, options.requestTimeoutMs ?? 0),
      bodyTimeout: BODY_TIMEOUT_MS,
    });
    logServerConnection(log, config, credentials, connection);
    return new ApiClient(config, credentials, connection.dispatcher, options, {
      caDescription: connection.caDescription,
      proxy: connection.proxy,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      headersTimeoutMs: connection.headersTimeout,
      requestTimeoutMs: options.requestTimeoutMs ?? 0,
    });
  }

  /** Send `request`; retries and the 401 token refresh happen here. Throws ExitError for failures and statuses >= 400. */
  async send(request: ApiRequest): Promise<ApiResponse> {
    const url = requestUrl(this.config.server, request.path);
    return (await this.withRetries(request, url, () => this.attempt(request, url, undefined), [])).response;
  }

  /**
   * Open a streaming response (a watch) and hand back its body as it arrives. Opening takes the same
   * path as send(): the token (re-read when old, and once more after a 401), retries, and one
   * classification of every failure. A 2xx answer is streamed; any other status is read whole and,
   * unless listed in `acceptStatuses`, thrown as send() would throw it. --request-timeout bounds the
   * opening only (a watch is meant to stay open); `idleTimeoutMs` bounds the silence between chunks.
   * pretty=true is sent as everywhere: kube-apiserver applies it to a refusal's Status (printed as
   * curl prints it) but never to watch events, which its stream serializer keeps one per line.
   */
  async stream(request: ApiRequest, options: ApiStreamOptions = {}): Promise<ApiStream> {
    const url = requestUrl(this.config.server, request.path);
    const { response, body, opened } = await this.withRetries(request, url, () => this.attempt(request, url, options), options.acceptStatuses ?? []);
    const failure: FailureContext = { ...this.failure, url, bodyTimeoutMs: options.idleTimeoutMs ?? BODY_TIMEOUT_MS };
    return new ResponseStream(response, body, { failure, log: this.log, signal: options.signal, opened });
  }

  /** The one retry loop: resets and 429/503 for GET/HEAD, one retry after a 401 with a changed credential. */
  private async withRetries(request: ApiRequest, url: URL, attempt: () => Promise<Attempt>, acceptStatuses: readonly number[]): Promise<Attempt> {
    const idempotent = IDEMPOTENT_METHODS.has(request.method);
    let retries = 0;
    let refreshedAfter401 = false;
    for (;;) {
      let result: Attempt;
      try {
        result = await attempt();
      } catch (err) {
        const code = errorCode(err);
        if (idempotent && code !== undefined && RESET_CODES.has(code) && retries < MAX_RETRIES) {
          const delay = retryDelayMs(retries, undefined);
          this.log.verbose(`* ${code}: retrying in ${formatDuration(delay)} (${retries + 1}/${MAX_RETRIES})`);
          retries++;
          await sleep(delay);
          continue;
        }
        const classified = classifyNetworkError(err, { ...this.failure, url });
        if (classified !== undefined) throw classified;
        throw err;
      }
      const { response } = result;
      if (response.status === 401 && !refreshedAfter401) {
        refreshedAfter401 = true;
        if (await this.credentials.refreshAfterUnauthorized()) {
          this.log.verbose('* 401: the credential changed since it was read (rotated?); retrying once with the new one');
          continue;
        }
      }
      if (idempotent && RETRYABLE_STATUSES.has(response.status) && retries < MAX_RETRIES) {
        const delay = retryDelayMs(retries, parseRetryAfter(headerValue(response.headers, 'retry-after')));
        this.log.verbose(`* ${response.status}: retrying in ${formatDuration(delay)} (${retries + 1}/${MAX_RETRIES})`);
        retries++;
        await sleep(delay);
        continue;
      }
      if (response.status >= 400 && !acceptStatuses.includes(response.status)) {
        throw statusError(request, url, response, this.credentials.description);
      }
      return result;
    }
  }

  /** One request on the wire. `stream` set: a 2xx body is left unread for ResponseStream. */
  private async attempt(apiRequest: ApiRequest, url: URL, stream: ApiStreamOptions | undefined): Promise<Attempt> {
    const sentUrl = withPretty(url);
    const headers: Record<string, string> = { 'user-agent': this.userAgent, accept: '*/*' };
    const authorization = await this.credentials.authorization();
    if (authorization !== undefined) headers.authorization = authorization;
    if (apiRequest.body !== undefined) headers['content-type'] = apiRequest.contentType ?? 'application/json';

    if (this.log.verboseEnabled) {
      this.log.verbose(`> ${apiRequest.method} ${sentUrl.href}`);
      for (const [name, value] of Object.entries(redactHeaders(headers))) this.log.verbose(`> ${name}: ${value}`);
    }
    const started = performance.now();
    // A stream's --request-timeout must stop at the headers, so it is a timer we can clear, not AbortSignal.timeout.
    const opening = stream === undefined ? undefined : new OpeningDeadline(this.requestTimeoutMs, stream.signal);
    let response: Dispatcher.ResponseData;
    let body: Buffer;
    let unread: Readable | undefined;
    try {
      response = await request(sentUrl, {
        method: apiRequest.method,
        headers,
        body: apiRequest.body,
        dispatcher: this.dispatcher,
        signal: opening !== undefined ? opening.signal : this.requestTimeoutMs > 0 ? AbortSignal.timeout(this.requestTimeoutMs) : undefined,
        ...(stream !== undefined && { bodyTimeout: stream.idleTimeoutMs ?? BODY_TIMEOUT_MS }),
      });
      if (stream !== undefined && response.statusCode >= 200 && response.statusCode < 300) {
        unread = response.body;
        body = Buffer.alloc(0);
      } else {
        body = Buffer.from(await response.body.arrayBuffer());
      }
    } finally {
      opening?.clear();
    }
    const elapsed = Math.round(performance.now() - started);

    if (this.log.verboseEnabled) {
      this.log.verbose(`< ${response.statusCode} ${STATUS_CODES[response.statusCode] ?? ''}`);
      for (const [name, value] of Object.entries(response.headers)) this.log.verbose(`< ${name}: ${String(value)}`);
      this.log.verbose(unread === undefined ? `* ${body.length} bytes in ${elapsed} ms` : `* streaming after ${elapsed} ms`);
    }
    for (const text of warningTexts(response.headers)) this.log.warn(`the API server says: ${text}`);
    return { response: { status: response.statusCode, headers: response.headers, body }, body: unread, opened: started };
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
