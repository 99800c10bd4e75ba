// The client of every flow script: a request as a value (ApiRequest, also rendered as curl by
// curl.ts), sent over the one ServerConnection (connection.ts: CA, proxy, retries, the token
// refresh after a 401) with our User-Agent and pretty=true, its status >= 400 turned into one
// ExitError (failure.ts), and streams (watches) read line by line as they arrive.

import { STATUS_CODES } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Dispatcher } from 'undici';
import type { ResolvedConfig } from './config.ts';
import {
  BODY_TIMEOUT_MS,
  HEADERS_TIMEOUT_MS,
  ServerConnection,
  describeTransientRetry,
  logServerConnection,
  type AttemptResult,
  type RetryReason,
  type Sent,
} from './connection.ts';
import { loadCredentials, type Credentials, type LoadCredentialsOptions } from './credentials.ts';
import { formatDuration } from './duration.ts';
import { classifyNetworkError, statusError, type FailureContext } from './failure.ts';
import { SILENT_LOG, type Log } from './log.ts';
import type { Env } from './proxy-env.ts';
import { redactHeaders } from './redact.ts';

/** Product token of our User-Agent; keep the version in step with package.json. */
export const USER_AGENT_PRODUCT = 'kube-in-pod/0.1.0';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A request as a value: sent by ApiClient, or rendered as a curl command by curl.ts. */
export interface ApiRequest {
  method: HttpMethod;
  /** Path and query as the user would write it: "/api", "/apis/apps/v1/…?resourceVersion=0". */
  path: string;
  /** JSON request body (POST/PUT/PATCH). */
  body?: string;
  contentType?: string;
  /** The Accept header (default: any media type): e.g. aggregated discovery, or kubectl get's as=Table. */
  accept?: string;
  /** false: compact JSON, for bodies that are parsed, never printed as sent (get.ts's list pages: half the bytes). */
  pretty?: false;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body exactly as the server sent it. */
  body: Buffer;
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
 * The guide's recipe uses curl, so curl's output is the reference; asking for
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

/** `Warning: 299 - "text"` headers (deprecations, policy warnings) → the texts, as kubectl shows them. */
export function warningTexts(headers: ApiResponse['headers']): string[] {
  const raw = headers.warning;
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return values.map((value) => /^\d{3} \S+ "((?:[^"\\]|\\.)*)"/.exec(value)?.[1]?.replace(/\\(.)/g, '$1') ?? value);
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
interface Attempt extends AttemptResult {
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
    this.timer =
      timeoutMs > 0 ? setTimeout(() => controller.abort(new DOMException('request timed out', 'TimeoutError')), timeoutMs) : undefined;
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
  private readonly connection: ServerConnection;
  private readonly userAgent: string;
  private readonly requestTimeoutMs: number;
  private readonly log: Log;

  private constructor(connection: ServerConnection, options: ApiClientOptions) {
    this.connection = connection;
    this.config = connection.config;
    this.credentials = connection.credentials;
    this.userAgent = `${USER_AGENT_PRODUCT} (${options.scriptName})`;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 0;
    this.log = options.log ?? SILENT_LOG;
  }

  /** Read the CA and credentials, decide on a proxy, and open the one connection. */
  static async create(config: ResolvedConfig, options: ApiClientOptions): Promise<ApiClient> {
    return ApiClient.connect(config, await loadCredentials(config, options.credentials), options);
  }

  /** As create(), with the credentials already read (loadCredentials): the CA is read here. */
  static async connect(config: ResolvedConfig, credentials: Credentials, options: ApiClientOptions): Promise<ApiClient> {
    const log = options.log ?? SILENT_LOG;
    // A --request-timeout longer than the default headers timeout must not be cut short by it.
    const connection = new ServerConnection(config, credentials, {
      env: options.env,
      headersTimeout: Math.max(HEADERS_TIMEOUT_MS, options.requestTimeoutMs ?? 0),
      bodyTimeout: BODY_TIMEOUT_MS,
      log,
    });
    logServerConnection(log, connection);
    return new ApiClient(connection, options);
  }

  /** Send `request`; retries and the 401 token refresh happen in the connection. Throws ExitError for failures and statuses >= 400. */
  async send(request: ApiRequest, options: { signal?: AbortSignal } = {}): Promise<ApiResponse> {
    const url = requestUrl(this.config.server, request.path);
    return (
      await this.sendWithPolicy(request, url, options.signal, (authorization) => this.attempt(request, url, undefined, authorization), [])
    ).response;
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
    const { response, body, opened } = await this.sendWithPolicy(
      request,
      url,
      options.signal,
      (authorization) => this.attempt(request, url, options, authorization),
      options.acceptStatuses ?? [],
    );
    const failure = this.failureContext(url, { bodyTimeoutMs: options.idleTimeoutMs ?? BODY_TIMEOUT_MS });
    return new ResponseStream(response, body, { failure, log: this.log, signal: options.signal, opened });
  }

  private failureContext(url: URL, overrides: Partial<FailureContext> = {}): FailureContext {
    return this.connection.failureContext(url, { requestTimeoutMs: this.requestTimeoutMs, ...overrides });
  }

  /** The connection's retry policy for one API request; a status >= 400 not in `acceptStatuses` is thrown. */
  private async sendWithPolicy(
    request: ApiRequest,
    url: URL,
    signal: AbortSignal | undefined,
    attempt: (authorization: string | undefined) => Promise<Attempt>,
    acceptStatuses: readonly number[],
  ): Promise<Attempt> {
    let sent: Sent<Attempt>;
    try {
      sent = await this.connection.send(
        {
          method: request.method,
          replayable: true,
          retryTransient: true,
          signal,
          onRetry: (reason) => this.log.verbose(`* ${retryTrace(reason)}`),
        },
        attempt,
      );
    } catch (err) {
      throw classifyNetworkError(err, this.failureContext(url)) ?? err;
    }
    const { result, retries } = sent;
    if (result.response.status >= 400 && !acceptStatuses.includes(result.response.status)) {
      throw statusError(request, url, result.response, this.credentials.description, retries);
    }
    return result;
  }

  /** One request on the wire. `stream` set: a 2xx body is left unread for ResponseStream. */
  private async attempt(apiRequest: ApiRequest, url: URL, stream: ApiStreamOptions | undefined, authorization?: string): Promise<Attempt> {
    const sentUrl = apiRequest.pretty === false ? url : withPretty(url);
    const headers: Record<string, string> = { 'user-agent': this.userAgent, accept: apiRequest.accept ?? '*/*' };
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
      response = await this.connection.dispatcher.request({
        origin: this.connection.origin,
        path: `${sentUrl.pathname}${sentUrl.search}`,
        method: apiRequest.method,
        headers,
        body: apiRequest.body,
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
    return {
      status: response.statusCode,
      headers: response.headers,
      discard: async () => {
        unread?.destroy();
      },
      response: { status: response.statusCode, headers: response.headers, body },
      body: unread,
      opened: started,
    };
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

/** How the client traces a retry on stderr (--verbose). */
function retryTrace(reason: RetryReason): string {
  if (reason.kind === 'token') return '401: the credential changed since it was read (rotated?); retrying once with the new one';
  if (reason.kind === 'ca') return 'TLS verification failed and the CA file changed: retrying once with the new CA';
  return describeTransientRetry(reason);
}
