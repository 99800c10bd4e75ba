// Connection upgrades (exec, attach, port-forward over WebSocket or SPDY) through the ambassador:
// our own connection to the API server, the 101 passed back, then bytes copied both ways.

import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { CONNECT_TIMEOUT_MS, type ServerConnection, type ServerTls } from '../connection.ts';
import { EXIT } from '../errors.ts';
import type { Log } from '../log.ts';
import { bareHost } from '../proxy-env.ts';
import type { AccessLog, AccessRecord } from './access-log.ts';
import { explainFailure, textAnswer, writeRawAnswer } from './answers.ts';
import { downstreamResponseHeaders, headerPairs, serializeResponseHead, upstreamRequestHeaders } from './headers.ts';
import type { Route } from './rules.ts';
import type { Exchange } from './server.ts';

/** What a tunnel needs from the proxy that runs it. */
export interface TunnelContext {
  connection: ServerConnection;
  log: Log;
  accessLog: AccessLog;
  /** --keepalive towards the API server, if set. */
  keepAliveMs: number | undefined;
  /** Register the tunnel so shutdown can end or cut it; returns the call that unregisters it. */
  track(exchange: Exchange): () => void;
}

/**
 * Open our own connection to the API server (undici does not hand back a refused upgrade's
 * body), send the request with the pod's Authorization, and if the server switches protocols,
 * pipe bytes both ways until either side closes. A refusal (401, 403, 400…) is passed back as a
 * normal response and the connection closed.
 */
export async function tunnel(
  context: TunnelContext,
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  route: Extract<Route, { kind: 'forward' }>,
  record: AccessRecord,
): Promise<void> {
  const server = new URL(context.connection.origin);
  const { path, url } = context.connection.target(route.pathAndQuery);
  record.upstream = context.connection.name;
  // node's http.request adds no Host when the headers are a list; Go's net/http refuses a request without one.
  const headers = [
    'Host',
    server.host,
    ...upstreamRequestHeaders(req.rawHeaders, { authorization: await context.connection.credentials.authorization(), upgrade: true }),
  ];
  context.accessLog.trace(record.method, url, headers);
  const tls = context.connection.tls;
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
    context.accessLog.write(record);
  };
  let finished = false;
  const finishOnce = () => {
    if (!finished) {
      finished = true;
      finish();
    }
  };
  const untrack = context.track({
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
    if (context.keepAliveMs !== undefined) socket.setKeepAlive(true, context.keepAliveMs);
  });
  upstreamRequest.setTimeout(CONNECT_TIMEOUT_MS, () =>
    upstreamRequest.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })),
  );

  upstreamRequest.on('upgrade', (response: IncomingMessage, socket: Socket, upstreamHead: Buffer) => {
    upstreamRequest.setTimeout(0);
    upstreamSocket = socket;
    record.status = response.statusCode ?? 101;
    context.log.verbose(`< ${record.status} ${response.statusMessage ?? ''}`);
    // The 101 goes back as the server sent it: its Connection and Upgrade headers are the point.
    const responseHead = Buffer.from(
      serializeResponseHead(record.status, response.statusMessage ?? 'Switching Protocols', headerPairs(response.rawHeaders)),
    );
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
      void context.connection.credentials.refreshAfterUnauthorized().then(
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
    const explained = context.connection.explain(err, url);
    if (explained?.exitCode === EXIT.TLS) context.connection.reloadCaIfChanged(); // the next attempt uses a replaced CA
    const message = explainFailure(context.connection, err, url);
    record.status = 500;
    record.notes.push(`error: ${message}`);
    record.always = true;
    const answer = textAnswer(500, message);
    record.bytes = Buffer.byteLength(answer.body);
    writeRawAnswer(client, answer);
  });
  upstreamRequest.end();
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
