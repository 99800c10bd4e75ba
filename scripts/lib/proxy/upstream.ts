// The API server end of the ambassador: the origin every request goes to (fixed at start, never
// taken from a request), credentials that re-read themselves, and a connection rebuilt when the CA
// file changes (kubelet swaps ..data when the kube-root-ca.crt ConfigMap changes).

import { statSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import type { ResolvedConfig } from '../config.ts';
import type { Credentials } from '../credentials.ts';
import { EXIT } from '../errors.ts';
import {
  CONNECT_TIMEOUT_MS,
  classifyNetworkError,
  createServerConnection,
  hostAndPort,
  type ServerConnection,
  type ServerConnectionOptions,
  type ServerTls,
} from '../http.ts';
import type { Log } from '../log.ts';

/** How often the CA file's mtime is checked (also right after a TLS verification failure). */
const CA_RECHECK_MS = 60_000;

/**
 * An undici interceptor that lets requests through to `origin` only. The proxy already names no
 * other origin; this makes a future slip fail closed (an error, never a token sent elsewhere).
 */
function pinOrigin(origin: string): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (options, handler) => {
    const asked = URL.canParse(String(options.origin)) ? new URL(String(options.origin)).origin : String(options.origin);
    if (asked !== origin) throw new Error(`refusing to send a request to ${asked}: only ${origin} is the API server`);
    return dispatch(options, handler);
  };
}

export class Upstream {
  readonly config: ResolvedConfig;
  readonly credentials: Credentials;
  readonly server: URL;
  /**
   * The API server's origin, fixed here at start: every request and tunnel goes to it, whatever
   * its path says (a target such as "/\evil:8443/x" must never choose where the token goes).
   */
  readonly origin: string;
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
    this.origin = this.server.origin;
    this.basePath = this.server.pathname.replace(/\/+$/, '');
    this.name = `${this.server.protocol}//${hostAndPort(this.server)}${this.basePath}`;
    this.options = options;
    this.log = log;
    this.current = this.connect();
    this.caStamp = this.caFileStamp();
  }

  /** A connection whose dispatcher refuses any origin but the API server's (defence in depth). */
  private connect(): ServerConnection {
    const connection = createServerConnection(this.config, this.credentials, this.options);
    return { ...connection, dispatcher: connection.dispatcher.compose(pinOrigin(this.origin)) };
  }

  /**
   * The upstream request path for a routed request, and its URL for messages. The URL is made by
   * appending the path to the fixed origin, never by resolving it against the origin, so no path
   * can name another host even in a log line.
   */
  target(pathAndQuery: string): { path: string; url: URL } {
    const path = `${this.basePath}${pathAndQuery}`;
    return { path, url: new URL(`${this.origin}${path}`) };
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
      next = this.connect();
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
