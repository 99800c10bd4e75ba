// One access-log line per request on stderr (method, target, status, bytes, duration, upstream,
// notes) and the --verbose trace of what is sent upstream; both pass through the redactor, so the
// token never reaches the log.

import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Log } from '../log.ts';
import { redact, redactHeaders } from '../redact.ts';
import { headerPairs } from './headers.ts';

/** What one access-log line says. */
export interface AccessRecord {
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

/** A fresh record for a request that just arrived. */
export function newRecord(req: IncomingMessage): AccessRecord {
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

export class AccessLog {
  private readonly log: Log;
  /** --quiet: only rejections and failures. */
  private readonly quiet: boolean;

  constructor(log: Log, quiet: boolean) {
    this.log = log;
    this.quiet = quiet;
  }

  write(record: AccessRecord): void {
    if (record.verboseOnly ? !this.log.verboseEnabled : this.quiet && !record.always) return;
    const ms = Math.round(performance.now() - record.started);
    const upstream = record.upstream === undefined ? '' : ` upstream=${record.upstream}`;
    const notes = record.notes.length === 0 ? '' : ` ${record.notes.join('; ')}`;
    process.stderr.write(`${redact(`${record.method} ${record.target} ${record.status} ${record.bytes}B ${ms}ms${upstream}${notes}`)}\n`);
  }

  /** --verbose: the request line and headers sent upstream, Authorization redacted. */
  trace(method: string, url: URL, headers: string[]): void {
    if (!this.log.verboseEnabled) return;
    this.log.verbose(`> ${method} ${url.href}`);
    const record: Record<string, string> = {};
    for (const [name, value] of headerPairs(headers)) record[name] = record[name] === undefined ? value : `${record[name]}, ${value}`;
    for (const [name, value] of Object.entries(redactHeaders(record))) this.log.verbose(`> ${name}: ${value}`);
  }
}
