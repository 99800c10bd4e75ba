// One forwarded request's two ends: the caller's body, kept when a 401 may make us send it twice,
// the signal that stops the request upstream, and the API server's answer relayed back as it arrives.

import { EventEmitter } from 'node:events';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { buffer } from 'node:stream/consumers';
import type { Dispatcher } from 'undici';
import type { Log } from '../log.ts';
import type { AccessRecord } from './access-log.ts';
import { downstreamResponseHeaders, pairsFromHeaderRecord } from './headers.ts';

/** Request bodies up to this size are kept so a 401 can be retried (kube-apiserver's own limit is 3 MiB). */
const RETRY_BODY_LIMIT = 3 * 1024 * 1024;

export type RequestBody = { kind: 'none' } | { kind: 'kept'; data: Buffer } | { kind: 'stream' };

/** Read a request body we may have to send twice (after a 401); stream anything larger or of unknown length. */
export async function requestBody(req: IncomingMessage): Promise<RequestBody> {
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
export class UpstreamAbort extends EventEmitter {
  aborted = false;
  reason: DOMException | undefined;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = new DOMException('This operation was aborted', 'AbortError'); // as AbortController's
    this.emit('abort');
  }
}

export interface RelayOptions {
  /** Send the headers at once and each chunk as it comes (a watch, a followed log, a body of unknown length). */
  streaming: boolean;
  /** When the caller goes away, drain the answer rather than cut it, so the upstream connection is kept. */
  keepsUpstream: boolean;
  shuttingDown: boolean;
  log: Log;
}

export interface Relay {
  done: Promise<void>;
  /** End cleanly now: the final chunk, as when the API server ends a watch itself. */
  end(): void;
}

/** Pass the API server's response on as it arrives: status, headers minus hop-by-hop, body chunk by chunk. */
export function relay(response: Dispatcher.ResponseData, res: ServerResponse, record: AccessRecord, how: RelayOptions): Relay {
  const { streaming, keepsUpstream } = how;
  const headers = downstreamResponseHeaders(pairsFromHeaderRecord(response.headers));
  if (how.shuttingDown) headers.push(['Connection', 'close']);
  how.log.verbose(`< ${response.statusCode} ${response.statusText || STATUS_CODES[response.statusCode] || ''}`);
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
        if (keepsUpstream) {
          body.unpipe(res);
          void body.dump().catch(() => {});
        } else {
          body.destroy();
        }
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
