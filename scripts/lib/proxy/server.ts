// The ambassador's server, kubectl proxy's handler chain (k8s.io/kubectl/pkg/proxy/proxy_server.go)
// in one class: route and filter each request (rules.ts), forward it to the API server with the
// pod's credentials (../connection.ts) and relay the answer back (relay.ts), or tunnel an upgrade (tunnel.ts);
// keep track of what is in flight so SIGTERM can end watches and let the rest finish.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import type { AttemptResult, RetryReason, Sent, ServerConnection } from '../connection.ts';
import { formatDuration } from '../duration.ts';
import type { Log } from '../log.ts';
import { AccessLog, newRecord, type AccessRecord } from './access-log.ts';
import { HEALTHY, SHUTTING_DOWN, explainFailure, failureMessage, sendAnswer, textAnswer, writeRawAnswer } from './answers.ts';
import { upstreamRequestHeaders } from './headers.ts';
import { listenOn, type ListenTarget } from './listen.ts';
import { relay, requestBody, UpstreamAbort, type Relay, type RequestBody } from './relay.ts';
import { routeRequest, type ProxyRules, type Route } from './rules.ts';
import { tunnel, type TunnelContext } from './tunnel.ts';
import { keepOptimisingCompiler } from '../undici.ts';

// A proxy parses a response per request for as long as it runs: give undici's HTTP parser V8's
// optimising compiler (a one-time cost at the first connection), which short-lived tools skip.
keepOptimisingCompiler();

/** The proxy's own readiness answer; "/." paths are not API paths, so it can never shadow one. */
export const HEALTH_PATH = '/.kube-in-pod/healthz';
/** After --shutdown-timeout, how long closing what is left may take before we exit anyway. */
const FINAL_CLOSE_MS = 1_000;

/** The API server's response as the proxy relays it. */
interface ProxiedResponse extends AttemptResult {
  response: Dispatcher.ResponseData;
}

export interface ProxySettings extends ProxyRules {
  listen: ListenTarget;
  keepAliveMs: number | undefined;
  shutdownTimeoutMs: number;
  headersTimeoutMs: number;
  quiet: boolean;
}

/** A request or tunnel in progress, so shutdown can wait for it, end it or cut it. */
export interface Exchange {
  /** Watches, followed logs and upgrades: shutdown ends these at once rather than waiting. */
  readonly longRunning: boolean;
  /** End cleanly now (a watch gets its final chunk, a tunnel its FIN). */
  end(): void;
  /** Cut it off. */
  destroy(): void;
}

export class KubeProxy {
  private readonly settings: ProxySettings;
  private readonly connection: ServerConnection;
  private readonly log: Log;
  private readonly server: Server;
  private readonly accessLog: AccessLog;
  private readonly tunnelContext: TunnelContext;
  private readonly exchanges = new Set<Exchange>();
  private idleWaiters: Array<() => void> = [];
  private shuttingDown = false;

  constructor(settings: ProxySettings, connection: ServerConnection, log: Log) {
    this.settings = settings;
    this.connection = connection;
    this.log = log;
    this.accessLog = new AccessLog(log, settings.quiet);
    this.tunnelContext = {
      connection,
      log,
      accessLog: this.accessLog,
      keepAliveMs: settings.keepAliveMs,
      track: (exchange) => this.track(exchange),
    };
    this.server = createServer((req, res) => this.handleRequest(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.handleUpgrade(req, socket, head));
  }

  /** Listen; resolves with the address as kubectl prints it ("127.0.0.1:8001", "[::1]:8001", or the socket path). */
  listen(): Promise<string> {
    return listenOn(this.server, this.settings.listen);
  }

  // ---- plain requests -----------------------------------------------------------------------

  private handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const record = newRecord(req);
    res.on('close', () => {
      record.status = res.statusCode;
      this.accessLog.write(record);
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
    const route = routeRequest(record.method, url, req.headers.host ?? '', this.settings, req.rawHeaders);
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
    const abort = new UpstreamAbort();
    let relaying: Relay | undefined;
    let endedByShutdown = false;
    const untrack = this.track({
      longRunning: route.longRunning,
      end: () => {
        endedByShutdown = true;
        record.notes.push('ended by shutdown');
        if (relaying !== undefined) relaying.end();
        else abort.abort();
      },
      destroy: () => {
        abort.abort();
        res.destroy();
      },
    });
    // The caller went away. A watch, a followed log or an upload is stopped at once; any other answer
    // is left to arrive and is thrown away (undici's dump, up to 128 KiB), so its connection to the API
    // server stays open for the next request: over HTTP/1.1, cancelling a request means closing its
    // connection, and a new one costs a TLS handshake (kubectl proxy, over HTTP/2, resets one stream).
    let callerGone = false;
    let keepsUpstream = false;
    res.on('close', () => {
      if (res.writableFinished) return;
      callerGone = true;
      if (!keepsUpstream) abort.abort();
    });
    try {
      const { path, url } = this.connection.target(route.pathAndQuery);
      record.upstream = this.connection.name;
      let body: RequestBody;
      try {
        body = await requestBody(req);
      } catch {
        record.notes.push('the client closed the connection while sending the body');
        return;
      }
      keepsUpstream = !route.longRunning && body.kind !== 'stream' && !callerGone;
      let sent: Sent<ProxiedResponse>;
      try {
        // The connection's retry policy, less its 429/503 retries: those go back to the caller's own client.
        sent = await this.connection.send(
          {
            method: record.method,
            replayable: body.kind !== 'stream',
            retryTransient: false,
            onRetry: (reason) => this.noteRetry(record, reason),
          },
          async (authorization) => {
            const headers = upstreamRequestHeaders(req.rawHeaders, { authorization });
            this.accessLog.trace(record.method, url, headers);
            const response = await this.connection.dispatcher.request({
              origin: this.connection.origin,
              path,
              method: record.method as Dispatcher.HttpMethod,
              headers,
              body: body.kind === 'kept' ? body.data : body.kind === 'stream' ? req : undefined,
              signal: abort,
            });
            return { status: response.statusCode, headers: response.headers, discard: () => response.body.dump(), response };
          },
        );
      } catch (err) {
        if (endedByShutdown) return sendAnswer(res, SHUTTING_DOWN, true);
        if (callerGone) return; // undici reports our own abort
        const message = explainFailure(this.connection, err, url);
        record.notes.push(`error: ${message}`);
        record.always = true;
        if (res.headersSent) res.destroy();
        else sendAnswer(res, textAnswer(500, message), true);
        return;
      }
      if (sent.tokenChanged) record.notes.push('401: token re-read; the next request uses the new one');
      if (callerGone) {
        void sent.result.response.body.dump().catch(() => {});
        return;
      }
      // A watch, a followed log, or a body of unknown length may be slow to come: stream it as it does.
      const streaming = route.longRunning || sent.result.response.headers['content-length'] === undefined;
      relaying = relay(sent.result.response, res, record, {
        streaming,
        keepsUpstream,
        shuttingDown: this.shuttingDown,
        log: this.log,
      });
      await relaying.done;
    } finally {
      untrack();
    }
  }

  private noteRetry(record: AccessRecord, reason: RetryReason): void {
    if (reason.kind === 'token') {
      this.log.verbose('* 401: the token file holds a new token (rotated); retrying once with it');
      record.notes.push('retried after a 401 with the re-read token');
    } else if (reason.kind === 'ca') {
      record.notes.push('retried with the reloaded CA');
    }
  }

  // ---- connection upgrades (exec, attach, port-forward) ------------------------------------------

  private handleUpgrade(req: IncomingMessage, client: Duplex, head: Buffer): void {
    const record = newRecord(req);
    record.notes.push(`upgrade ${String(req.headers.upgrade ?? '')}`);
    client.on('error', () => client.destroy());
    const route = this.route(req, record);
    if (route.kind === 'answer') {
      record.status = route.answer.status;
      record.bytes = Buffer.byteLength(route.answer.body);
      writeRawAnswer(client, route.answer);
      this.accessLog.write(record);
      return;
    }
    void tunnel(this.tunnelContext, req, client, head, route, record).catch((err: unknown) => {
      const message = failureMessage(err);
      record.notes.push(`error: ${message}`);
      record.always = true;
      record.status = 500;
      writeRawAnswer(client, textAnswer(500, message));
      this.accessLog.write(record);
    });
  }

  // ---- bookkeeping --------------------------------------------------------------------------

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
    await Promise.race([this.connection.close(outcome !== 'done'), sleep(FINAL_CLOSE_MS)]);
    process.stderr.write('stopped\n');
  }
}
