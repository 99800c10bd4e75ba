// The one connection to the API server that every request of a run takes, ApiClient's and the
// ambassador's alike: the origin fixed at start (no request can send the token elsewhere), the CA
// (re-read when its file changes, as kubelet swaps ..data when kube-root-ca.crt changes), the
// proxy choice, undici's dispatcher (one Agent per process: undici's docs/api/Agent.md), and the
// one retry policy: 429/503 with Retry-After and reset connections for GET/HEAD, one retry after a
// 401 when the token changed, one after a TLS failure when the CA file changed.

import { statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import type { ResolvedConfig } from './config.ts';
import { describePem, readCaBundle, type Credentials } from './credentials.ts';
import { formatDuration } from './duration.ts';
import { EXIT, configError, type ExitError } from './errors.ts';
import { classifyNetworkError, errorCode, hostAndPort, type FailureContext } from './failure.ts';
import { SILENT_LOG, type Log } from './log.ts';
import { checkProxyCredential, parseProxyUrl, proxyFromEnvironment, type Env, type ProxyChoice } from './proxy-env.ts';
import { redactUrl, registerUrlPassword } from './redact.ts';
import { undiciAgent, undiciProxyAgent } from './undici.ts';

export const CONNECT_TIMEOUT_MS = 10_000;
export const HEADERS_TIMEOUT_MS = 60_000;
export const BODY_TIMEOUT_MS = 300_000;
/** Retries (after the first attempt) of GET/HEAD on 429, 503 and a reset connection. */
export const MAX_RETRIES = 3;
export const MAX_RETRY_DELAY_MS = 10_000;
export const FIRST_BACKOFF_MS = 500;
/** How often the CA file's identity is checked (also right after a TLS verification failure). */
const CA_RECHECK_MS = 60_000;

const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 503]);
const RESET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE']);

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
  /** Where a CA reload is reported. */
  log?: Log;
}

/** Why the policy sends a request again; each caller says it in its own words (a trace, an access-log note). */
export type RetryReason =
  | { kind: 'token' }
  | { kind: 'ca' }
  | { kind: 'transient'; cause: string; delayMs: number; retry: number; of: number };

export interface RetryPolicy {
  method: string;
  /** Whether the request can be sent again: no body, or one kept in memory (a streamed body cannot). */
  replayable: boolean;
  /** Retry 429/503 and reset connections for GET/HEAD (a proxy hands those back to its caller instead). */
  retryTransient: boolean;
  /** Stops the waits between attempts too. */
  signal?: AbortSignal;
  onRetry?: (reason: RetryReason) => void;
}

/** What the policy needs to know of one attempt's response. */
export interface AttemptResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Drop the body of a response that is not passed on (before a retry). */
  discard(): Promise<void>;
}

export interface Sent<R> {
  result: R;
  /** Retries spent on 429/503 for the final status (0 when it is not one of those). */
  retries: number;
  /** The token was re-read after a 401 and changed, but the request could not be replayed with it. */
  tokenChanged: boolean;
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

/**
 * `dispatcher`, letting requests through to `origin` only. Callers already name no other origin;
 * this makes a future slip fail closed (an error, never a token sent elsewhere). It replaces
 * `dispatch` as Dispatcher.compose() does, but without compose's WrapHandler: that converts every
 * response's headers between undici's two handler APIs and back, a third of the proxy's own
 * per-request JavaScript (measured with node --cpu-prof under npm run bench's load).
 */
function pinOrigin(dispatcher: Dispatcher, origin: string): Dispatcher {
  const dispatch: Dispatcher['dispatch'] = (options, handler) => {
    // Every caller passes the origin string itself; anything else is parsed to compare.
    if (options.origin !== origin) {
      const asked = URL.canParse(String(options.origin)) ? new URL(String(options.origin)).origin : String(options.origin);
      if (asked !== origin) throw new Error(`refusing to send a request to ${asked}: only ${origin} is the API server`);
    }
    return dispatcher.dispatch(options, handler);
  };
  return new Proxy(dispatcher, { get: (target, key) => (key === 'dispatch' ? dispatch : Reflect.get(target, key)) });
}

/** What is rebuilt when the CA changes. */
interface Transport {
  dispatcher: Dispatcher;
  tls: ServerTls;
  /** "CA /var/run/…/ca.crt" or "the system trust store (no CA configured)". */
  caDescription: string;
}

export class ServerConnection {
  readonly config: ResolvedConfig;
  readonly credentials: Credentials;
  /** The API server's origin, fixed here: every request and tunnel goes to it, whatever its path says. */
  readonly origin: string;
  /** A path in the server URL (https://rancher/k8s/clusters/c-1), prepended to every request. */
  readonly basePath: string;
  /** How logs name the server: "https://10.96.0.1:443". */
  readonly name: string;
  readonly proxy: ProxyChoice;
  readonly headersTimeout: number;
  private readonly options: ServerConnectionOptions;
  private readonly log: Log;
  private current: Transport;
  private readonly retired: Dispatcher[] = [];
  private caStamp: string | undefined;
  private caCheckedAt = Date.now();

  /** Read the CA now, decide on a proxy, and build the dispatcher. Throws a configuration error for a bad CA or proxy. */
  constructor(config: ResolvedConfig, credentials: Credentials, options: ServerConnectionOptions) {
    this.config = config;
    this.credentials = credentials;
    this.options = options;
    this.log = options.log ?? SILENT_LOG;
    const server = new URL(config.server);
    this.origin = server.origin;
    this.basePath = server.pathname.replace(/\/+$/, '');
    this.name = `${server.protocol}//${hostAndPort(server)}${this.basePath}`;
    this.headersTimeout = options.headersTimeout;
    this.proxy =
      config.proxyUrl !== undefined
        ? { proxy: config.proxyUrl, variable: 'kubeconfig proxy-url' }
        : proxyFromEnvironment(server, options.env ?? process.env);
    this.current = this.transport();
    this.caStamp = this.caFileStamp();
  }

  private transport(): Transport {
    const { config, options, proxy } = this;
    const ca = config.ca !== undefined && !config.insecureSkipTlsVerify ? readCaBundle(config.ca) : undefined;
    const caDescription = config.ca !== undefined ? `CA ${describePem(config.ca)}` : 'the system trust store (no CA configured)';
    const tls: ServerTls = {
      ca,
      cert: this.credentials.clientCertificate?.cert,
      key: this.credentials.clientCertificate?.key,
      servername: config.tlsServerName,
      rejectUnauthorized: !config.insecureSkipTlsVerify,
      timeout: CONNECT_TIMEOUT_MS,
    };
    const socket =
      options.keepAliveInitialDelay === undefined ? {} : { keepAlive: true, keepAliveInitialDelay: options.keepAliveInitialDelay };
    const timeouts = { headersTimeout: options.headersTimeout, bodyTimeout: options.bodyTimeout };
    let dispatcher: Dispatcher;
    if (proxy.proxy !== undefined) {
      const proxyUrl = parseProxyUrl(proxy.proxy, proxy.variable);
      if (proxyUrl.protocol !== 'http:' && proxyUrl.protocol !== 'https:') {
        throw configError(
          `proxy ${redactUrl(proxy.proxy)} (from ${proxy.variable}) uses ${proxyUrl.protocol}; only http:// and https:// proxies are supported`,
        );
      }
      checkProxyCredential(proxyUrl.username, proxy.proxy, proxy.variable);
      checkProxyCredential(proxyUrl.password, proxy.proxy, proxy.variable);
      registerUrlPassword(proxyUrl);
      const ProxyAgent = undiciProxyAgent();
      dispatcher = new ProxyAgent({ uri: proxy.proxy, requestTls: tls, proxyTls: { timeout: CONNECT_TIMEOUT_MS, ...socket }, ...timeouts });
    } else {
      const Agent = undiciAgent();
      dispatcher = new Agent({ connect: { ...tls, ...socket }, ...timeouts });
    }
    return { dispatcher: pinOrigin(dispatcher, this.origin), tls, caDescription };
  }

  /** The dispatcher for the next request, rebuilt first if the CA file changed (checked every CA_RECHECK_MS). */
  get dispatcher(): Dispatcher {
    this.recheckCa();
    return this.current.dispatcher;
  }

  /** The TLS settings, for connections made outside the dispatcher (connection upgrades). */
  get tls(): ServerTls {
    this.recheckCa();
    return this.current.tls;
  }

  get caDescription(): string {
    return this.current.caDescription;
  }

  /**
   * The request path for `pathAndQuery` under the server's base path, and its URL for messages. The
   * URL is made by appending the path to the fixed origin, never by resolving it against the
   * origin, so no path can name another host, even in a log line.
   */
  target(pathAndQuery: string): { path: string; url: URL } {
    const path = `${this.basePath}${pathAndQuery.startsWith('/') ? '' : '/'}${pathAndQuery}`;
    return { path, url: new URL(`${this.origin}${path}`) };
  }

  /** What classifyNetworkError needs to explain a failure of a request to `url`. */
  failureContext(url: URL, overrides: Partial<FailureContext> = {}): FailureContext {
    return {
      url,
      caDescription: this.current.caDescription,
      proxy: this.proxy,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      headersTimeoutMs: this.headersTimeout,
      requestTimeoutMs: 0,
      bodyTimeoutMs: this.options.bodyTimeout,
      ...overrides,
    };
  }

  /** The ExitError for a failed request to `url`, or undefined when `err` is not a network failure (a bug). */
  explain(err: unknown, url: URL, overrides: Partial<FailureContext> = {}): ExitError | undefined {
    return classifyNetworkError(err, this.failureContext(url, overrides));
  }

  private recheckCa(): void {
    if (Date.now() - this.caCheckedAt >= CA_RECHECK_MS) this.reloadCaIfChanged();
  }

  private caFile(): string | undefined {
    const ca = this.config.ca;
    return ca !== undefined && 'file' in ca && !this.config.insecureSkipTlsVerify ? ca.file : undefined;
  }

  /** Identity of the CA file's current content: kubelet swaps ..data, so the inode changes too. */
  private caFileStamp(): string | undefined {
    const file = this.caFile();
    if (file === undefined) return undefined;
    try {
      const stat = statSync(file);
      return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    } catch {
      return undefined;
    }
  }

  /** Re-read the CA if its file changed; true when new connections now verify with the new one. */
  reloadCaIfChanged(): boolean {
    this.caCheckedAt = Date.now();
    const stamp = this.caFileStamp();
    if (stamp === undefined || stamp === this.caStamp) return false;
    this.caStamp = stamp;
    let next: Transport;
    try {
      next = this.transport();
    } catch (err) {
      this.log.warn(`the CA file ${this.caFile()} changed but cannot be used (${(err as Error).message}); keeping the previous CA`);
      return false;
    }
    this.retired.push(this.current.dispatcher);
    // Requests in flight (watches) finish on the old connections; close() waits for them.
    this.current.dispatcher.close().catch(() => undefined);
    this.current = next;
    this.log.note(`the CA file ${this.caFile()} changed: new connections verify the API server with it`);
    return true;
  }

  /**
   * Send a request by calling `attempt` with the current Authorization value (undefined: none), as
   * many times as the retry policy allows. A network failure that is not retried is thrown as it
   * came (explain() turns it into one line); a response is returned, whatever its status.
   */
  async send<R extends AttemptResult>(policy: RetryPolicy, attempt: (authorization: string | undefined) => Promise<R>): Promise<Sent<R>> {
    const transient = policy.retryTransient && IDEMPOTENT_METHODS.has(policy.method);
    let retries = 0;
    let tokenRetried = false;
    let caRetried = false;
    for (;;) {
      const authorization = await this.credentials.authorization();
      let result: R;
      try {
        result = await attempt(authorization);
      } catch (err) {
        if (policy.signal?.aborted) throw err;
        const code = errorCode(err);
        if (transient && code !== undefined && RESET_CODES.has(code) && retries < MAX_RETRIES) {
          await this.pause(
            { kind: 'transient', cause: code, delayMs: retryDelayMs(retries, undefined), retry: ++retries, of: MAX_RETRIES },
            policy,
          );
          continue;
        }
        const tlsFailure = this.explain(err, new URL(this.origin))?.exitCode === EXIT.TLS;
        if (tlsFailure && policy.replayable && !caRetried && this.reloadCaIfChanged()) {
          caRetried = true;
          policy.onRetry?.({ kind: 'ca' });
          continue;
        }
        throw err;
      }
      let tokenChanged = false;
      if (result.status === 401 && !tokenRetried) {
        tokenRetried = true;
        // Compared with what was sent rather than trusting the refresh's answer: with several
        // requests in flight (the proxy), another one may have re-read the file first.
        await this.credentials.refreshAfterUnauthorized();
        tokenChanged = (await this.credentials.authorization()) !== authorization;
        if (tokenChanged && policy.replayable) {
          await result.discard();
          policy.onRetry?.({ kind: 'token' });
          continue;
        }
      }
      if (transient && RETRYABLE_STATUSES.has(result.status) && retries < MAX_RETRIES) {
        const retryAfter = parseRetryAfter(firstHeader(result.headers['retry-after']));
        await result.discard();
        await this.pause(
          {
            kind: 'transient',
            cause: String(result.status),
            delayMs: retryDelayMs(retries, retryAfter),
            retry: ++retries,
            of: MAX_RETRIES,
          },
          policy,
        );
        continue;
      }
      return { result, retries: RETRYABLE_STATUSES.has(result.status) ? retries : 0, tokenChanged };
    }
  }

  /** Report a retry and wait for it; an abort ends the wait at once (the caller is stopping). */
  private async pause(reason: Extract<RetryReason, { kind: 'transient' }>, policy: RetryPolicy): Promise<void> {
    policy.onRetry?.(reason);
    await sleep(reason.delayMs, undefined, { signal: policy.signal });
  }

  /** Close every dispatcher this connection made; `force` cuts requests still in flight. */
  async close(force = false): Promise<void> {
    const all = [...this.retired, this.current.dispatcher];
    await Promise.all(all.map((dispatcher) => (force ? dispatcher.destroy() : dispatcher.close()).catch(() => undefined)));
  }
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The warnings and the --verbose trace of where and how we connect (once per run). */
export function logServerConnection(log: Log, connection: ServerConnection): void {
  const { config, credentials, proxy } = connection;
  const server = new URL(config.server);
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
  log.verbose(
    `* TLS: ${config.insecureSkipTlsVerify ? 'NOT verified (--insecure-skip-tls-verify)' : `verified with ${connection.caDescription}`}${config.tlsServerName ? `, server name ${config.tlsServerName}` : ''}`,
  );
  log.verbose(`* credentials: ${credentials.description}`);
  log.verbose(`* namespace: ${config.namespace} (from ${config.namespaceSource})`);
  if (proxy.proxy !== undefined) log.verbose(`* proxy: ${redactUrl(proxy.proxy)} (from ${proxy.variable})`);
  else if (proxy.bypassedBy !== undefined)
    log.verbose(`* proxy: none (${proxy.variable} set, but ${proxy.bypassedBy} matches ${server.hostname})`);
}

/** "retrying in 1s (2/3)": how a transient retry is traced. */
export function describeTransientRetry(reason: Extract<RetryReason, { kind: 'transient' }>): string {
  return `${reason.cause}: retrying in ${formatDuration(reason.delayMs)} (${reason.retry}/${reason.of})`;
}
