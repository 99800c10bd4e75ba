// The ambassador's server, kubectl proxy's handler chain (k8s.io/kubectl/pkg/proxy/proxy_server.go)
// in one class: route and filter each request (rules.ts), forward it to the API server with the
// pod's credentials (upstream.ts) and stream the answer back, or tunnel an upgrade (tunnel.ts);
// keep track of what is in flight so SIGTERM can end watches and let the rest finish.

import { EventEmitter } from 'node:events';
import { statSync, unlinkSync } from 'node:fs';
import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { joinHostPort } from '../config.ts';
import { EXIT, ExitError } from '../errors.ts';
import type { AttemptResult, RetryReason, Sent, ServerConnection } from '../connection.ts';
import { formatDuration } from '../duration.ts';
import type { Log } from '../log.ts';
import { AccessLog, newRecord, type AccessRecord } from './access-log.ts';
import { HEALTHY, SHUTTING_DOWN, explainFailure, failureMessage, sendAnswer, textAnswer, writeRawAnswer } from './answers.ts';
import { downstreamResponseHeaders, pairsFromHeaderRecord, upstreamRequestHeaders } from './headers.ts';
import { routeRequest, type ProxyRules, type Route } from './rules.ts';
import { tunnel, type TunnelContext } from './tunnel.ts';
import { keepOptimisingCompiler } from '../undici.ts';

// A proxy parses a response per request for as long as it runs: give undici's HTTP parser V8's
// optimising compiler (a one-time cost at the first connection), which short-lived tools skip.
keepOptimisingCompiler();

/** The proxy's own readiness answer; "/." paths are not API paths, so it can never shadow one. */
export const HEALTH_PATH = '/.kube-in-pod/healthz';
/** Request bodies up to this size are kept so a 401 can be retried (kube-apiserver's own limit is 3 MiB). */
const RETRY_BODY_LIMIT = 3 * 1024 * 1024;
/** After --shutdown-timeout, how long closing what is left may take before we exit anyway. */
const FINAL_CLOSE_MS = 1_000;

/** The API server's response as the proxy relays it. */
interface ProxiedResponse extends AttemptResult {
  response: Dispatcher.ResponseData;
}

export type ListenTarget = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

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

type RequestBody = { kind: 'none' } | { kind: 'kept'; data: Buffer } | { kind: 'stream' };

/** Read a request body we may have to send twice (after a 401); stream anything larger or of unknown length. */
async function requestBody(req: IncomingMessage): Promise<RequestBody> {
  const length = req.headers['content-length'];
  if (length === undefined && req.headers['transfer-encoding'] === undefined) return { kind: 'none' };
  if (length !== undefined && Number(length) <= RETRY_BODY_LIMIT) return { kind: 'kept', data: await buffer(req) };
  return { kind: 'stream' };
}

/**
 * What stops a forwarded request when its caller goes away or shutdown cuts it: undici takes an
 * EventEmitter as the `signal` of a request (its docs/api/Dispatcher.md), which costs a fraction of
 * an AbortController's EventTarget, made for every request. (The retry policy needs no signal here:
 * the proxy never waits between attempts, and undici reports the abort itself.)
 */
class UpstreamAbort extends EventEmitter {
  aborted = false;
  reason: DOMException | undefined;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = new DOMException('This operation was aborted', 'AbortError'); // as AbortController's
    this.emit('abort');
  }
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
      const { path, url } = this.connection.target(route.pathAndQuery);
      record.upstream = this.connection.name;
      let body: RequestBody;
      try {
        body = await requestBody(req);
      } catch {
        record.notes.push('the client closed the connection while sending the body');
        return;
      }
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
      // A watch, a followed log, or a body of unknown length may be slow to come: stream it as it does.
      const streaming = route.longRunning || sent.result.response.headers['content-length'] === undefined;
      const relaying = this.relay(sent.result.response, res, record, streaming);
      relay = relaying;
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

  /** Pass the API server's response on as it arrives: status, headers minus hop-by-hop, body chunk by chunk. */
  private relay(
    response: Dispatcher.ResponseData,
    res: ServerResponse,
    record: AccessRecord,
    streaming: boolean,
  ): { done: Promise<void>; end(): void } {
    const headers = downstreamResponseHeaders(pairsFromHeaderRecord(response.headers));
    if (this.shuttingDown) headers.push(['Connection', 'close']);
    this.log.verbose(`< ${response.statusCode} ${response.statusText || STATUS_CODES[response.statusCode] || ''}`);
    res.writeHead(response.statusCode, response.statusText || STATUS_CODES[response.statusCode], headers.flat());
    // A watch's client should see the 200 before the first event. Any other answer is sent with its
    // first chunk of body: one write instead of two.
    if (streaming) res.flushHeaders();
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

function listenError(err: unknown, where: string): ExitError {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const why: Record<string, string> = {
    EADDRINUSE: 'the address is already in use: is another proxy running? pick another --port (0 = any free port)',
    EACCES: 'permission denied: ports below 1024 need privileges; or the socket directory is not writable',
    EADDRNOTAVAIL: 'no network interface has that address: check --address',
    ENOTFOUND: 'no such host: check --address',
    ENOENT: 'the socket directory does not exist',
  };
  return new ExitError(EXIT.CONNECTION, `cannot listen on ${where} (${code || 'error'}): ${why[code] ?? (err as Error).message}`, {
    cause: err,
  });
}
