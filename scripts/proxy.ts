#!/usr/bin/env -S npx tsx
/**
 * proxy — `kubectl proxy` for a sidecar, in one file: listen on 127.0.0.1:8001 and forward every
 * request to the API server with the pod's token and CA, so the other containers of the pod can
 * `curl localhost:8001/apis/batch/v1` with no token, no CA and no client library. It is seed 003's
 * ambassador container without the kubectl binary, and without its flaw: the seed's
 * `--token="$(cat …/token)"` reads the token once, and kubelet rotates it within the hour.
 *
 * Usage: proxy.ts [flags]
 *        proxy.ts --print-curl [PATH]
 *
 * Flags and defaults are kubectl proxy's (--help lists them). On top of what kubectl proxy does:
 *   - the token file is re-read every minute and right after a 401; a request whose body is small
 *     enough to keep (no body, or Content-Length <= 3 MiB) is then retried once, others carry the
 *     401 back and the next request uses the new token;
 *   - the CA file is re-read when it changes (checked every minute and after a TLS verification
 *     failure): new connections verify with it, open ones (watches) finish on the old one;
 *   - the caller's Authorization header is replaced by the pod's, and X-Forwarded-* / Forwarded
 *     are dropped (kubectl proxy passes a caller's own token through and appends X-Forwarded-For);
 *   - GET /.kube-in-pod/healthz is answered "ok" by the proxy itself, never forwarded and never
 *     touching the API server (a path the API cannot have): use it for the readiness probe;
 *   - one access-log line per request on stderr: method, path, status, bytes, duration, upstream
 *     (--quiet leaves only rejections and failures); the token is never logged;
 *   - SIGTERM/SIGINT: stop listening, end open watches and upgrades cleanly, let other requests
 *     finish within --shutdown-timeout (10s), exit 0. A second signal stops at once.
 * Watches and chunked lists stream through as they arrive; connection upgrades (exec, attach,
 * port-forward, WebSocket or SPDY) pass through when --reject-paths lets them (by default it
 * rejects exec and attach, as kubectl proxy does).
 * Kept from kubectl: 403 "Forbidden" for a filtered request, 500 with a one-line text body when
 * the API server cannot be reached, "Starting to serve on ADDRESS" as the only stdout line.
 * Not kept: --www/--www-prefix (static files) and --append-server-path (a path in the server URL,
 * e.g. https://rancher/k8s/clusters/c-1, is always kept, as every kube-in-pod script does).
 *
 * Reads (first match wins): the connection flags; $KUBECONFIG or ~/.kube/config; in a pod,
 * $KUBERNETES_SERVICE_HOST, $KUBERNETES_SERVICE_PORT and
 * /var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt}.
 * Honours HTTPS_PROXY/https_proxy, ALL_PROXY and NO_PROXY as curl does for ordinary requests;
 * connection upgrades always connect to the API server directly.
 *
 * Run it with node where signals matter (a container): the bundle, `node dist/proxy.mjs`, or
 * `node --import tsx scripts/proxy.ts`. Under `npx tsx` a SIGTERM sent to npx never reaches the
 * script (npm runs it through `sh -c`, which does not pass signals on).
 *
 * Exit codes: 0 stopped by SIGTERM/SIGINT (or --help, --print-curl), 1 bug, 2 usage,
 * 3 no configuration (no pod, no kubeconfig, unreadable token or CA), 4 cannot listen (address in
 * use, not ours, no permission), 7 --print-curl for a path the proxy would reject.
 *
 * Equivalent: the seed's `kubectl proxy --server="$API_SERVER" --certificate-authority="$CA_CRT"
 * --token="$TOKEN" --accept-paths='^.*'`; and each request `curl localhost:8001/PATH` becomes
 *   SERVICEACCOUNT=/var/run/secrets/kubernetes.io/serviceaccount
 *   curl --cacert $SERVICEACCOUNT/ca.crt -H "Authorization: Bearer $(cat $SERVICEACCOUNT/token)" \
 *     https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/PATH
 * (`proxy.ts --print-curl /PATH` prints exactly that command for your configuration).
 */

import { statSync, unlinkSync } from 'node:fs';
import {
  STATUS_CODES,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type RequestOptions,
  type Server,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { runScript, type Cli, type OptionSpecs } from './lib/cli.ts';
import { joinHostPort, type ResolvedConfig } from './lib/config.ts';
import { loadCredentials, type Credentials } from './lib/credentials.ts';
import { shellQuote } from './lib/curl.ts';
import { EXIT, ExitError, isExitError, usageError } from './lib/errors.ts';
import {
  CONNECT_TIMEOUT_MS,
  classifyNetworkError,
  createServerConnection,
  formatDuration,
  hostAndPort,
  logServerConnection,
  parseGoDuration,
  type ServerConnection,
  type ServerConnectionOptions,
  type ServerTls,
} from './lib/http.ts';
import type { Log } from './lib/log.ts';
import { bareHost } from './lib/proxy-env.ts';
import {
  DEFAULT_ACCEPT_HOSTS,
  DEFAULT_ACCEPT_PATHS,
  DEFAULT_ADDRESS,
  DEFAULT_API_PREFIX,
  DEFAULT_PORT,
  DEFAULT_REJECT_METHODS,
  DEFAULT_REJECT_PATHS,
  createFilter,
  downstreamResponseHeaders,
  headerPairs,
  normaliseApiPrefix,
  pairsFromHeaderRecord,
  routeRequest,
  serializeResponseHead,
  textAnswer,
  upstreamRequestHeaders,
  type ProxyRules,
  type Route,
  type TextAnswer,
} from './lib/proxy-rules.ts';
import { redact, redactHeaders } from './lib/redact.ts';

/** The proxy's own readiness answer; "/." paths are not API paths, so it can never shadow one. */
const HEALTH_PATH = '/.kube-in-pod/healthz';
const DEFAULT_SHUTDOWN_TIMEOUT = '10s';
/** Request bodies up to this size are kept so a 401 can be retried (kube-apiserver's own limit is 3 MiB). */
const RETRY_BODY_LIMIT = 3 * 1024 * 1024;
/** How often the CA file's mtime is checked (also right after a TLS verification failure). */
const CA_RECHECK_MS = 60_000;
/** After --shutdown-timeout, how long closing what is left may take before we exit anyway. */
const FINAL_CLOSE_MS = 1_000;
const DEFAULT_PRINT_PATH = '/api';

const OPTIONS = {
  port: { type: 'string', short: 'p' },
  address: { type: 'string' },
  'accept-hosts': { type: 'string' },
  'accept-paths': { type: 'string' },
  'reject-paths': { type: 'string' },
  'reject-methods': { type: 'string' },
  'api-prefix': { type: 'string' },
  'unix-socket': { type: 'string', short: 'u' },
  'disable-filter': { type: 'boolean' },
  keepalive: { type: 'string' },
  'shutdown-timeout': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
} as const satisfies OptionSpecs;

const USAGE = `Usage: proxy.ts [flags]
       proxy.ts --print-curl [PATH]

Run kubectl proxy's job in a sidecar: listen on ${DEFAULT_ADDRESS}:${DEFAULT_PORT} and forward each request to
the API server with the pod's token and CA, so the pod's other containers can run
curl localhost:${DEFAULT_PORT}/apis/batch/v1. Prints "Starting to serve on ADDRESS" once listening.
The token file is re-read every minute and after a 401, the CA when its file changes.
GET ${HEALTH_PATH} answers "ok" without touching the API server (readiness probe).

Proxy flags (kubectl proxy's names and defaults):
  -p, --port PORT               port to listen on; 0 picks a free one (printed) (default ${DEFAULT_PORT})
      --address IP              address to listen on (default ${DEFAULT_ADDRESS})
  -u, --unix-socket PATH        listen on this unix socket instead (owner only: umask 077, as kubectl)
      --api-prefix PREFIX       serve the API under this prefix (default ${DEFAULT_API_PREFIX})
      --accept-hosts REGEXPS    Host headers to accept (default '${DEFAULT_ACCEPT_HOSTS}')
      --accept-paths REGEXPS    paths to accept (default '${DEFAULT_ACCEPT_PATHS}')
      --reject-paths REGEXPS    paths to reject even if accepted
                                (default '${DEFAULT_REJECT_PATHS}')
      --reject-methods REGEXPS  HTTP methods to reject, e.g. 'POST,PUT,PATCH' (default '${DEFAULT_REJECT_METHODS}')
      --disable-filter          accept every request (dangerous on a reachable port: XSRF)
      --keepalive DURATION      TCP keep-alive period towards the API server, e.g. 30s (default 0: the
                                platform's, first probe after 60s)
REGEXPS are comma-separated regular expressions, matched anywhere unless anchored; the filter
answers 403 "Forbidden" and logs why.

kube-in-pod flags:
      --shutdown-timeout DURATION  on SIGTERM/SIGINT, how long in-flight requests may take (default ${DEFAULT_SHUTDOWN_TIMEOUT})
  -q, --quiet                   log only rejected and failed requests, not every request
      --request-timeout DURATION  (a connection flag, below) here: how long to wait for the API
                                server's response headers; 0, the default, waits as long as it takes
      --print-curl [PATH]       print the curl command the proxy runs for GET PATH (default ${DEFAULT_PRINT_PATH}), and on
                                stderr the kubectl proxy command this replaces; sends nothing

Examples:
  proxy.ts                                   # in a pod: in-cluster config, 127.0.0.1:8001
  proxy.ts --port 0 --quiet                  # any free port, only problems logged
  proxy.ts --reject-paths '^/api/.*/pods/.*/attach'   # allow exec (the service account needs pods/exec create)
  proxy.ts --print-curl /apis/batch/v1`;

// ---------------------------------------------------------------------------
// Settings

type ListenTarget = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

interface ProxySettings extends ProxyRules {
  listen: ListenTarget;
  keepAliveMs: number | undefined;
  shutdownTimeoutMs: number;
  headersTimeoutMs: number;
  quiet: boolean;
}

function parsePort(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw usageError(`--port ${text}: expected a port number from 0 to 65535`);
  return Number(text);
}

function parseDurationFlag(flag: string, text: string): number {
  const ms = parseGoDuration(text);
  if (ms === undefined) throw usageError(`${flag} ${text}: expected a duration such as 10s, 1m30s or 0`);
  return ms;
}

function proxySettings(cli: Cli<typeof OPTIONS>): ProxySettings {
  const options = cli.options;
  const port = options.port === undefined ? DEFAULT_PORT : parsePort(options.port);
  if (options['unix-socket'] !== undefined && port !== DEFAULT_PORT) {
    throw usageError('cannot set --unix-socket and --port at the same time'); // kubectl's Validate()
  }
  const keepalive = options.keepalive === undefined ? 0 : parseDurationFlag('--keepalive', options.keepalive);
  return {
    listen:
      options['unix-socket'] !== undefined
        ? { kind: 'unix', path: options['unix-socket'] }
        : { kind: 'tcp', host: options.address ?? DEFAULT_ADDRESS, port },
    apiPrefix: normaliseApiPrefix(options['api-prefix'] ?? DEFAULT_API_PREFIX),
    filter: options['disable-filter']
      ? undefined
      : createFilter({
          acceptHosts: options['accept-hosts'] ?? DEFAULT_ACCEPT_HOSTS,
          acceptPaths: options['accept-paths'] ?? DEFAULT_ACCEPT_PATHS,
          rejectPaths: options['reject-paths'] ?? DEFAULT_REJECT_PATHS,
          rejectMethods: options['reject-methods'] ?? DEFAULT_REJECT_METHODS,
        }),
    keepAliveMs: keepalive > 0 ? keepalive : undefined,
    shutdownTimeoutMs: parseDurationFlag('--shutdown-timeout', options['shutdown-timeout'] ?? DEFAULT_SHUTDOWN_TIMEOUT),
    headersTimeoutMs: cli.requestTimeoutMs,
    quiet: options.quiet === true,
  };
}

// ---------------------------------------------------------------------------
// The API server end: credentials that re-read themselves, a dispatcher rebuilt when the CA changes

class Upstream {
  readonly config: ResolvedConfig;
  readonly credentials: Credentials;
  readonly server: URL;
  /** A path in the server URL (https://rancher/k8s/clusters/c-1), prepended to every request. */
  readonly basePath: string;
  /** How the access log names it: "https://10.96.0.1:443". */
  readonly name: string;
  private readonly options: ServerConnectionOptions;
  private readonly log: Log;
  private current: ServerConnection;
  private readonly retired: Dispatcher[] = [];
  private caStamp: string | undefined;
  private caCheckedAt = Date.now();

  constructor(config: ResolvedConfig, credentials: Credentials, options: ServerConnectionOptions, log: Log) {
    this.config = config;
    this.credentials = credentials;
    this.server = new URL(config.server);
    this.basePath = this.server.pathname.replace(/\/+$/, '');
    this.name = `${this.server.protocol}//${hostAndPort(this.server)}${this.basePath}`;
    this.options = options;
    this.log = log;
    this.current = createServerConnection(config, credentials, options);
    this.caStamp = this.caFileStamp();
  }

  get connection(): ServerConnection {
    return this.current;
  }

  /** The dispatcher for the next request, rebuilt first if the CA file changed (checked every CA_RECHECK_MS). */
  dispatcher(): Dispatcher {
    if (Date.now() - this.caCheckedAt >= CA_RECHECK_MS) this.reloadCaIfChanged();
    return this.current.dispatcher;
  }

  tls(): ServerTls {
    if (Date.now() - this.caCheckedAt >= CA_RECHECK_MS) this.reloadCaIfChanged();
    return this.current.tls;
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
    let next: ServerConnection;
    try {
      next = createServerConnection(this.config, this.credentials, this.options);
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

  /** One line explaining a failed request (the core's classification, as every script says it). */
  explain(err: unknown, url: URL): { message: string; tls: boolean } {
    const classified = classifyNetworkError(err, {
      url,
      caDescription: this.current.caDescription,
      proxy: this.current.proxy,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      headersTimeoutMs: this.current.headersTimeout,
      requestTimeoutMs: 0,
    });
    if (classified !== undefined) return { message: classified.message, tls: classified.exitCode === EXIT.TLS };
    return { message: `request to ${url.origin} failed: ${err instanceof Error ? err.message : String(err)}`, tls: false };
  }

  async close(force: boolean): Promise<void> {
    const all = [...this.retired, this.current.dispatcher];
    await Promise.all(all.map((dispatcher) => (force ? dispatcher.destroy() : dispatcher.close()).catch(() => undefined)));
  }
}

// ---------------------------------------------------------------------------
// The proxy

/** A request or tunnel in progress, so shutdown can wait for it, end it or cut it. */
interface Exchange {
  /** Watches, followed logs and upgrades: shutdown ends these at once rather than waiting. */
  readonly longRunning: boolean;
  /** End cleanly now (a watch gets its final chunk, a tunnel its FIN). */
  end(): void;
  /** Cut it off. */
  destroy(): void;
}

/** What one access-log line says. */
interface AccessRecord {
  method: string;
  target: string;
  started: number;
  status: number;
  bytes: number;
  upstream?: string;
  /** "rejected: …", "error: …", "upgrade websocket", "ended by shutdown"… */
  notes: string[];
  /** Shown even with --quiet (rejections and failures). */
  always: boolean;
  /** Not shown without --verbose (the readiness probe, every few seconds). */
  verboseOnly: boolean;
}

type RequestBody = { kind: 'none' } | { kind: 'kept'; data: Buffer } | { kind: 'stream' };

const HEALTHY: TextAnswer = { status: 200, body: 'ok', headers: { 'Content-Type': 'text/plain; charset=utf-8' } };
const SHUTTING_DOWN: TextAnswer = textAnswer(503, 'shutting down');

/** Read a request body we may have to send twice (after a 401); stream anything larger or of unknown length. */
async function requestBody(req: IncomingMessage): Promise<RequestBody> {
  const length = req.headers['content-length'];
  if (length === undefined && req.headers['transfer-encoding'] === undefined) return { kind: 'none' };
  if (length !== undefined && Number(length) <= RETRY_BODY_LIMIT) return { kind: 'kept', data: await buffer(req) };
  return { kind: 'stream' };
}

/** One line for a failure outside the HTTP exchange: the core's message (e.g. the token file), or a bug. */
function failureMessage(err: unknown): string {
  if (isExitError(err)) return err.message;
  return `unexpected: ${err instanceof Error ? err.message : String(err)} (a bug in the proxy)`;
}

/** Our own answer on a raw socket (an upgrade request that we answer, not the API server). */
function writeRawAnswer(socket: Duplex, answer: TextAnswer): void {
  const body = Buffer.from(answer.body);
  const head = serializeResponseHead(answer.status, STATUS_CODES[answer.status] ?? '', [
    ...Object.entries(answer.headers),
    ['Content-Length', String(body.length)],
    ['Connection', 'close'],
  ]);
  socket.end(Buffer.concat([Buffer.from(head), body]));
}

function sendAnswer(res: ServerResponse, answer: TextAnswer, closeConnection: boolean): void {
  const body = Buffer.from(answer.body);
  res.writeHead(answer.status, { ...answer.headers, 'Content-Length': body.length, ...(closeConnection && { Connection: 'close' }) });
  res.end(body);
}

class KubeProxy {
  private readonly settings: ProxySettings;
  private readonly upstream: Upstream;
  private readonly log: Log;
  private readonly server: Server;
  private readonly exchanges = new Set<Exchange>();
  private idleWaiters: Array<() => void> = [];
  private shuttingDown = false;

  constructor(settings: ProxySettings, upstream: Upstream, log: Log) {
    this.settings = settings;
    this.upstream = upstream;
    this.log = log;
    this.server = createServer((req, res) => this.handleRequest(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.handleUpgrade(req, socket, head));
  }

  /** Listen; resolves with the address as kubectl prints it ("127.0.0.1:8001", "[::1]:8001", or the socket path). */
  async listen(): Promise<string> {
    const target = this.settings.listen;
    const where = target.kind === 'unix' ? target.path : joinHostPort(target.host, String(target.port));
    let restoreUmask: number | undefined;
    if (target.kind === 'unix') {
      // As kubectl: replace a stale socket (never another kind of file), and make it ours only.
      try {
        if (statSync(target.path).isSocket()) unlinkSync(target.path);
      } catch {
        // nothing there
      }
      restoreUmask = process.umask(0o077);
    }
    try {
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        const listening = () => {
          this.server.off('error', reject);
          resolve();
        };
        if (target.kind === 'unix') this.server.listen(target.path, listening);
        else this.server.listen(target.port, target.host, listening);
      });
    } catch (err) {
      throw listenError(err, where);
    } finally {
      if (restoreUmask !== undefined) process.umask(restoreUmask);
    }
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? joinHostPort((address as AddressInfo).address, String(address.port)) : where;
  }

  // ---- plain requests -----------------------------------------------------------------------

  private handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const record = this.newRecord(req);
    res.on('close', () => {
      record.status = res.statusCode;
      this.logAccess(record);
    });
    const route = this.route(req, record);
    if (route.kind === 'answer') {
      record.bytes = Buffer.byteLength(route.answer.body);
      sendAnswer(res, route.answer, this.shuttingDown);
      return;
    }
    void this.forward(req, res, route, record).catch((err: unknown) => {
      // Not a network failure (forward answers those): an unreadable token file, or a bug.
      const message = failureMessage(err);
      record.notes.push(`error: ${message}`);
      record.always = true;
      if (!res.headersSent) sendAnswer(res, textAnswer(500, message), true);
      else res.destroy();
    });
  }

  /** Our own answers first (readiness, during shutdown), then kubectl proxy's routing and filter. */
  private route(req: IncomingMessage, record: AccessRecord): Route {
    const url = req.url ?? '/';
    if (url === HEALTH_PATH || url.startsWith(`${HEALTH_PATH}?`)) {
      record.verboseOnly = true;
      return { kind: 'answer', answer: this.shuttingDown ? SHUTTING_DOWN : HEALTHY };
    }
    const route = routeRequest(record.method, url, req.headers.host ?? '', this.settings);
    if (route.kind === 'answer' && route.rejected !== undefined) {
      record.notes.push(`rejected: ${route.rejected}`);
      record.always = true;
    }
    return route;
  }

  private async forward(
    req: IncomingMessage,
    res: ServerResponse,
    route: Extract<Route, { kind: 'forward' }>,
    record: AccessRecord,
  ): Promise<void> {
    const abort = new AbortController();
    let relay: { end(): void } | undefined;
    let endedByShutdown = false;
    const untrack = this.track({
      longRunning: route.longRunning,
      end: () => {
        endedByShutdown = true;
        record.notes.push('ended by shutdown');
        if (relay !== undefined) relay.end();
        else abort.abort();
      },
      destroy: () => {
        abort.abort();
        res.destroy();
      },
    });
    // The caller went away: stop asking the API server.
    let callerGone = false;
    res.on('close', () => {
      if (res.writableFinished) return;
      callerGone = true;
      abort.abort();
    });
    try {
      const url = new URL(`${this.upstream.basePath}${route.pathAndQuery}`, this.upstream.server.origin);
      record.upstream = this.upstream.name;
      let body: RequestBody;
      try {
        body = await requestBody(req);
      } catch {
        record.notes.push('the client closed the connection while sending the body');
        return;
      }
      // At most one retry for each reason: a CA that was replaced, a token that was rotated.
      let caRetried = false;
      let tokenRetried = false;
      for (;;) {
        const replayable = body.kind !== 'stream';
        const authorization = await this.upstream.credentials.authorization();
        const headers = upstreamRequestHeaders(req.rawHeaders, { authorization });
        this.traceRequest(record.method, url, headers);
        let response: Dispatcher.ResponseData;
        try {
          response = await this.upstream.dispatcher().request({
            origin: url.origin,
            path: `${this.upstream.basePath}${route.pathAndQuery}`,
            method: record.method as Dispatcher.HttpMethod,
            headers,
            body: body.kind === 'kept' ? body.data : body.kind === 'stream' ? req : undefined,
            signal: abort.signal,
          });
        } catch (err) {
          if (endedByShutdown) return sendAnswer(res, SHUTTING_DOWN, true);
          if (callerGone) return; // undici reports our own abort
          const explained = this.upstream.explain(err, url);
          if (explained.tls && replayable && !caRetried && this.upstream.reloadCaIfChanged()) {
            caRetried = true;
            continue;
          }
          record.notes.push(`error: ${explained.message}`);
          record.always = true;
          if (res.headersSent) res.destroy();
          else sendAnswer(res, textAnswer(500, explained.message), true);
          return;
        }
        if (response.statusCode === 401 && !tokenRetried) {
          // Compared with what we sent rather than trusting `changed`: with several requests in flight,
          // another one may have re-read the file first.
          await this.upstream.credentials.refreshAfterUnauthorized().catch(() => false);
          const changed = (await this.upstream.credentials.authorization()) !== authorization;
          if (changed && replayable) {
            this.log.verbose('* 401: the token file holds a new token (rotated); retrying once with it');
            record.notes.push('retried after a 401 with the re-read token');
            tokenRetried = true;
            await response.body.dump();
            continue;
          }
          if (changed) record.notes.push('401: token re-read; the next request uses the new one');
        }
        const relaying = this.relay(response, res, record);
        relay = relaying;
        await relaying.done;
        return;
      }
    } finally {
      untrack();
    }
  }

  /** Pass the API server's response on as it arrives: status, headers minus hop-by-hop, body chunk by chunk. */
  private relay(response: Dispatcher.ResponseData, res: ServerResponse, record: AccessRecord): { done: Promise<void>; end(): void } {
    const headers = downstreamResponseHeaders(pairsFromHeaderRecord(response.headers));
    if (this.shuttingDown) headers.push(['Connection', 'close']);
    this.log.verbose(`< ${response.statusCode} ${response.statusText || STATUS_CODES[response.statusCode] || ''}`);
    res.writeHead(response.statusCode, response.statusText || STATUS_CODES[response.statusCode], headers.flat());
    res.flushHeaders(); // a watch's client should see the 200 before the first event
    const body = response.body;
    let ending = false;
    const done = new Promise<void>((resolve) => {
      body.on('data', (chunk: Buffer) => {
        record.bytes += chunk.length;
      });
      body.on('error', (err) => {
        if (ending) return;
        record.notes.push(`error: the API server's response broke off (${(err as NodeJS.ErrnoException).code ?? err.message})`);
        record.always = true;
        res.destroy();
      });
      res.on('close', () => {
        if (!res.writableFinished && !ending && !body.readableEnded) {
          record.notes.push('the client closed the connection');
          body.destroy();
        }
        resolve();
      });
      body.pipe(res);
    });
    return {
      done,
      end: () => {
        // A clean end for the client: the final chunk, as when the API server ends a watch itself.
        ending = true;
        body.unpipe(res);
        body.destroy();
        res.end();
      },
    };
  }

  // ---- connection upgrades (exec, attach, port-forward) ------------------------------------------

  private handleUpgrade(req: IncomingMessage, client: Duplex, head: Buffer): void {
    const record = this.newRecord(req);
    record.notes.push(`upgrade ${String(req.headers.upgrade ?? '')}`);
    client.on('error', () => client.destroy());
    const route = this.route(req, record);
    if (route.kind === 'answer') {
      record.status = route.answer.status;
      record.bytes = Buffer.byteLength(route.answer.body);
      writeRawAnswer(client, route.answer);
      this.logAccess(record);
      return;
    }
    void this.tunnel(req, client, head, route, record).catch((err: unknown) => {
      const message = failureMessage(err);
      record.notes.push(`error: ${message}`);
      record.always = true;
      record.status = 500;
      writeRawAnswer(client, textAnswer(500, message));
      this.logAccess(record);
    });
  }

  /**
   * Open our own connection to the API server (undici does not hand back a refused upgrade's
   * body), send the request with the pod's Authorization, and if the server switches protocols,
   * pipe bytes both ways until either side closes. A refusal (401, 403, 400…) is passed back as a
   * normal response and the connection closed.
   */
  private async tunnel(
    req: IncomingMessage,
    client: Duplex,
    head: Buffer,
    route: Extract<Route, { kind: 'forward' }>,
    record: AccessRecord,
  ): Promise<void> {
    const server = this.upstream.server;
    const path = `${this.upstream.basePath}${route.pathAndQuery}`;
    const url = new URL(path, server.origin);
    record.upstream = this.upstream.name;
    const headers = upstreamRequestHeaders(req.rawHeaders, {
      authorization: await this.upstream.credentials.authorization(),
      upgrade: true,
    });
    this.traceRequest(record.method, url, headers);
    const tls = this.upstream.tls();
    const options: RequestOptions & Partial<ServerTls> = {
      host: bareHost(server),
      port: server.port || (server.protocol === 'https:' ? 443 : 80),
      method: record.method,
      path,
      headers,
      agent: false,
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      servername: tls.servername,
      rejectUnauthorized: tls.rejectUnauthorized,
    };
    const upstreamRequest = (server.protocol === 'https:' ? httpsRequest : httpRequest)(options);
    let upstreamSocket: Socket | undefined;
    const finish = () => {
      untrack();
      this.logAccess(record);
    };
    let finished = false;
    const finishOnce = () => {
      if (!finished) {
        finished = true;
        finish();
      }
    };
    const untrack = this.track({
      longRunning: true,
      end: () => {
        record.notes.push('ended by shutdown');
        client.end();
        upstreamSocket?.end();
        upstreamRequest.destroy();
      },
      destroy: () => {
        client.destroy();
        upstreamSocket?.destroy();
        upstreamRequest.destroy();
      },
    });
    client.on('close', () => {
      upstreamRequest.destroy();
      upstreamSocket?.destroy();
      finishOnce();
    });
    upstreamRequest.on('socket', (socket: Socket) => {
      if (this.settings.keepAliveMs !== undefined) socket.setKeepAlive(true, this.settings.keepAliveMs);
    });
    upstreamRequest.setTimeout(CONNECT_TIMEOUT_MS, () => upstreamRequest.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })));

    upstreamRequest.on('upgrade', (response: IncomingMessage, socket: Socket, upstreamHead: Buffer) => {
      upstreamRequest.setTimeout(0);
      upstreamSocket = socket;
      record.status = response.statusCode ?? 101;
      this.log.verbose(`< ${record.status} ${response.statusMessage ?? ''}`);
      // The 101 goes back as the server sent it: its Connection and Upgrade headers are the point.
      const responseHead = Buffer.from(serializeResponseHead(record.status, response.statusMessage ?? 'Switching Protocols', headerPairs(response.rawHeaders)));
      client.write(responseHead);
      if (upstreamHead.length > 0) client.write(upstreamHead);
      if (head.length > 0) socket.write(head);
      splice(client, socket, (bytes) => {
        record.bytes += bytes;
      });
    });

    upstreamRequest.on('response', (response: IncomingMessage) => {
      upstreamRequest.setTimeout(0);
      record.status = response.statusCode ?? 502;
      if (record.status === 401) {
        // The client cannot be retried for (its bytes may follow the handshake); the next one gets the new token.
        void this.upstream.credentials.refreshAfterUnauthorized().then(
          (changed) => changed && record.notes.push('401: token re-read; the next request uses the new one'),
          () => undefined,
        );
      }
      const pairs = downstreamResponseHeaders(headerPairs(response.rawHeaders));
      pairs.push(['Connection', 'close']);
      client.write(serializeResponseHead(record.status, response.statusMessage ?? '', pairs));
      response.on('data', (chunk: Buffer) => {
        record.bytes += chunk.length;
      });
      response.pipe(client);
    });

    upstreamRequest.on('error', (err: Error) => {
      if (client.destroyed || upstreamSocket !== undefined) return;
      const explained = this.upstream.explain(err, url);
      if (explained.tls) this.upstream.reloadCaIfChanged(); // the next attempt uses a replaced CA
      record.status = 500;
      record.notes.push(`error: ${explained.message}`);
      record.always = true;
      const answer = textAnswer(500, explained.message);
      record.bytes = Buffer.byteLength(answer.body);
      writeRawAnswer(client, answer);
    });
    upstreamRequest.end();
  }

  // ---- bookkeeping --------------------------------------------------------------------------

  private newRecord(req: IncomingMessage): AccessRecord {
    return {
      method: req.method ?? 'GET',
      target: req.url ?? '/',
      started: performance.now(),
      status: 0,
      bytes: 0,
      notes: [],
      always: false,
      verboseOnly: false,
    };
  }

  private logAccess(record: AccessRecord): void {
    if (record.verboseOnly ? !this.log.verboseEnabled : this.settings.quiet && !record.always) return;
    const ms = Math.round(performance.now() - record.started);
    const upstream = record.upstream === undefined ? '' : ` upstream=${record.upstream}`;
    const notes = record.notes.length === 0 ? '' : ` ${record.notes.join('; ')}`;
    process.stderr.write(`${redact(`${record.method} ${record.target} ${record.status} ${record.bytes}B ${ms}ms${upstream}${notes}`)}\n`);
  }

  private traceRequest(method: string, url: URL, headers: string[]): void {
    if (!this.log.verboseEnabled) return;
    this.log.verbose(`> ${method} ${url.href}`);
    const record: Record<string, string> = {};
    for (const [name, value] of headerPairs(headers)) record[name] = record[name] === undefined ? value : `${record[name]}, ${value}`;
    for (const [name, value] of Object.entries(redactHeaders(record))) this.log.verbose(`> ${name}: ${value}`);
  }

  private track(exchange: Exchange): () => void {
    this.exchanges.add(exchange);
    return () => {
      if (!this.exchanges.delete(exchange)) return;
      if (this.shuttingDown) this.server.closeIdleConnections();
      if (this.exchanges.size === 0) {
        for (const wake of this.idleWaiters.splice(0)) wake();
      }
    };
  }

  private allDone(): Promise<void> {
    if (this.exchanges.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // ---- shutdown -----------------------------------------------------------------------------

  /** Stop listening, end watches and tunnels, give the rest --shutdown-timeout, then close everything. */
  async shutdown(signal: string, forced: Promise<void>): Promise<void> {
    this.shuttingDown = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const open = [...this.exchanges];
    const longRunning = open.filter((exchange) => exchange.longRunning);
    process.stderr.write(
      `shutting down (${signal}): no new connections; ending open watches and upgrades (${longRunning.length}), ` +
        `waiting up to ${formatDuration(this.settings.shutdownTimeoutMs)} for other requests (${open.length - longRunning.length})\n`,
    );
    for (const exchange of longRunning) exchange.end();
    const outcome = await Promise.race([
      this.allDone().then(() => 'done' as const),
      sleep(this.settings.shutdownTimeoutMs).then(() => 'timeout' as const),
      forced.then(() => 'forced' as const),
    ]);
    if (outcome !== 'done') {
      const reason = outcome === 'timeout' ? `still open after ${formatDuration(this.settings.shutdownTimeoutMs)}` : 'second signal';
      process.stderr.write(`shutting down: ${this.exchanges.size} requests ${reason}: closing them\n`);
      for (const exchange of this.exchanges) exchange.destroy();
    }
    this.server.closeAllConnections();
    // Sockets report their close on a later turn of the event loop: give them that, so every access line is written.
    await Promise.race([Promise.all([closed, this.allDone()]), sleep(FINAL_CLOSE_MS)]);
    await Promise.race([this.upstream.close(outcome !== 'done'), sleep(FINAL_CLOSE_MS)]);
    process.stderr.write('stopped\n');
  }
}

/** How long a client may keep its half of a tunnel open after the API server closed its half. */
const TUNNEL_LINGER_MS = 5_000;

/**
 * Copy bytes both ways between the client and the API server until both are done. A side that
 * finishes sending passes its FIN on (what the server said last, e.g. an exec's exit status, still
 * arrives); once the server has closed, the client's remaining bytes are read and dropped so its
 * close is seen, and a client that lingers is cut after TUNNEL_LINGER_MS. An error closes both.
 */
function splice(client: Duplex, server: Socket, countDownstream: (bytes: number) => void): void {
  const closeBoth = () => {
    client.destroy();
    server.destroy();
  };
  client.on('error', closeBoth);
  server.on('error', closeBoth);
  server.on('data', (chunk: Buffer) => {
    countDownstream(chunk.length);
    if (!client.write(chunk)) server.pause();
  });
  client.on('drain', () => server.resume());
  client.on('data', (chunk: Buffer) => {
    if (server.writable && !server.write(chunk)) client.pause();
  });
  server.on('drain', () => client.resume());
  server.on('end', () => client.end());
  client.on('end', () => server.end());
  server.on('close', () => {
    client.end();
    client.resume();
    setTimeout(() => client.destroy(), TUNNEL_LINGER_MS).unref();
  });
  client.on('close', () => server.destroy());
}

function listenError(err: unknown, where: string): ExitError {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const why: Record<string, string> = {
    EADDRINUSE: 'the address is already in use: is another proxy running? pick another --port (0 = any free port)',
    EACCES: 'permission denied: ports below 1024 need privileges; or the socket directory is not writable',
    EADDRNOTAVAIL: 'no network interface has that address: check --address',
    ENOTFOUND: 'no such host: check --address',
    ENOENT: 'the socket directory does not exist',
  };
  return new ExitError(EXIT.CONNECTION, `cannot listen on ${where} (${code || 'error'}): ${why[code] ?? (err as Error).message}`, { cause: err });
}

/** Resolves with the first SIGTERM/SIGINT; `second` resolves on the one after. */
function signals(): { first: Promise<string>; second: Promise<void> } {
  let count = 0;
  let resolveFirst: (signal: string) => void = () => undefined;
  let resolveSecond: () => void = () => undefined;
  const first = new Promise<string>((resolve) => (resolveFirst = resolve));
  const second = new Promise<void>((resolve) => (resolveSecond = resolve));
  const onSignal = (signal: string) => {
    count += 1;
    if (count === 1) resolveFirst(signal);
    else resolveSecond();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return { first, second };
}

// ---------------------------------------------------------------------------
// --print-curl

/** The kubectl proxy command line this run replaces (for a note on stderr). */
function kubectlProxyCommand(cli: Cli<typeof OPTIONS>): string {
  const args = ['kubectl', 'proxy'];
  const { flags, options } = cli;
  if (flags.kubeconfig !== undefined) args.push(`--kubeconfig=${shellQuote(flags.kubeconfig)}`);
  if (flags.context !== undefined) args.push(`--context=${shellQuote(flags.context)}`);
  if (flags.server !== undefined) args.push(`--server=${shellQuote(flags.server)}`);
  if (flags.certificateAuthority !== undefined) args.push(`--certificate-authority=${shellQuote(flags.certificateAuthority)}`);
  if (flags.insecureSkipTlsVerify) args.push('--insecure-skip-tls-verify');
  if (flags.tokenFile !== undefined) args.push(`--token="$(cat ${shellQuote(flags.tokenFile)})"`);
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined || name === 'shutdown-timeout' || name === 'quiet') continue;
    args.push(value === true ? `--${name}` : `--${name}=${shellQuote(String(value))}`);
  }
  return args.join(' ');
}

/** --print-curl [PATH]: the curl for what the proxy sends upstream for GET PATH. */
async function printCurl(cli: Cli<typeof OPTIONS>, settings: ProxySettings): Promise<void> {
  const requested = cli.positionals[0] ?? DEFAULT_PRINT_PATH;
  if (!requested.startsWith('/')) throw usageError(`PATH must start with "/" (got ${requested})`);
  const route = routeRequest('GET', requested, 'localhost', settings);
  if (route.kind === 'answer') {
    const why = route.rejected ?? route.answer.body.trim();
    throw new ExitError(EXIT.FORBIDDEN, `the proxy answers ${route.answer.status} for GET ${requested} and sends nothing upstream: ${why}`);
  }
  const listen = settings.listen;
  const through = listen.kind === 'unix' ? `curl --unix-socket ${shellQuote(listen.path)} http://localhost${requested}` : `curl ${shellQuote(`http://${joinHostPort(listen.host, String(listen.port || DEFAULT_PORT))}${requested}`)}`;
  const tokenNote = cli.flags.tokenFile !== undefined ? ' (it reads the token once; this proxy re-reads it)' : '';
  await cli.printCurl(
    { method: 'GET', path: route.pathAndQuery },
    `through the proxy this is: ${through}`,
    `the proxy replaces: ${kubectlProxyCommand(cli)}${tokenNote}`,
  );
}

// ---------------------------------------------------------------------------

async function main(cli: Cli<typeof OPTIONS>): Promise<void> {
  const settings = proxySettings(cli);
  if (cli.printCurlOnly) return printCurl(cli, settings);
  if (cli.positionals.length > 0) throw usageError(`unexpected argument ${cli.positionals[0]} (PATH goes with --print-curl)`);
  if (settings.filter === undefined && settings.listen.kind === 'tcp') {
    cli.log.warn('request filter disabled, your proxy is vulnerable to XSRF attacks, please be cautious'); // kubectl's words
  }

  const config = cli.config();
  const credentials = await loadCredentials(config);
  const upstream = new Upstream(
    config,
    credentials,
    { headersTimeout: settings.headersTimeoutMs, bodyTimeout: 0, keepAliveInitialDelay: settings.keepAliveMs },
    cli.log,
  );
  logServerConnection(cli.log, config, credentials, upstream.connection);
  if (upstream.connection.proxy.proxy !== undefined) {
    cli.log.note(`connection upgrades (exec, attach, port-forward) go to ${config.server} directly, not through the proxy`);
  }

  const proxy = new KubeProxy(settings, upstream, cli.log);
  const received = signals();
  const address = await proxy.listen();
  // kubectl's one line on stdout (with --port 0 it is how the caller learns the port).
  process.stdout.write(`Starting to serve on ${address}\n`);
  await proxy.shutdown(await received.first, received.second);
}

await runScript({ name: 'proxy', usage: USAGE, options: OPTIONS, arguments: [{ name: 'PATH', required: false }] }, main);
