// The proxy's own answers, as opposed to the API server's: readiness, shutting down, failures it
// explains itself, written on a normal response or on the raw socket of an upgrade request.

import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ServerConnection } from '../connection.ts';
import { isExitError } from '../errors.ts';
import { redact } from '../redact.ts';
import { serializeResponseHead } from './headers.ts';

/** A plain-text answer of the proxy itself, as Go's http.Error writes it (the body ends in "\n"). */
export interface TextAnswer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

const TEXT_HEADERS = { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' };

/** http.Error(w, msg, code): text/plain, nosniff, msg + "\n". */
export function textAnswer(status: number, message: string): TextAnswer {
  return { status, body: `${message}\n`, headers: { ...TEXT_HEADERS } };
}

/** What a filtered request gets: http.Error(rw, http.StatusText(403), 403). */
export const FORBIDDEN_ANSWER = textAnswer(403, 'Forbidden');
/** What ServeMux answers for a path outside --api-prefix: http.NotFound. */
export const NOT_FOUND_ANSWER = textAnswer(404, '404 page not found');

export const HEALTHY: TextAnswer = { status: 200, body: 'ok', headers: { 'Content-Type': 'text/plain; charset=utf-8' } };
export const SHUTTING_DOWN: TextAnswer = textAnswer(503, 'shutting down');

/** One line for a failure outside the HTTP exchange: the core's message (e.g. the token file), or a bug. */
export function failureMessage(err: unknown): string {
  if (isExitError(err)) return redact(err.message);
  return redact(`unexpected: ${err instanceof Error ? err.message : String(err)} (a bug in the proxy)`);
}

/** One line for a request that failed on the way to the API server (the core's classification, as every script says it). */
export function explainFailure(connection: ServerConnection, err: unknown, url: URL): string {
  return redact(
    connection.explain(err, url)?.message ?? `request to ${url.origin} failed: ${err instanceof Error ? err.message : String(err)}`,
  );
}

/** Our own answer on a raw socket (an upgrade request that we answer, not the API server). */
export function writeRawAnswer(socket: Duplex, answer: TextAnswer): void {
  const body = Buffer.from(answer.body);
  const head = serializeResponseHead(answer.status, STATUS_CODES[answer.status] ?? '', [
    ...Object.entries(answer.headers),
    ['Content-Length', String(body.length)],
    ['Connection', 'close'],
  ]);
  socket.end(Buffer.concat([Buffer.from(head), body]));
}

export function sendAnswer(res: ServerResponse, answer: TextAnswer, closeConnection: boolean): void {
  const body = Buffer.from(answer.body);
  res.writeHead(answer.status, { ...answer.headers, 'Content-Length': body.length, ...(closeConnection && { Connection: 'close' }) });
  res.end(body);
}
