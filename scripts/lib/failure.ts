// Every failure explained once: a connection, TLS or timeout error by its err.code (undici's
// docs/api/Errors.md and Node's system and TLS codes), and an HTTP status >= 400 by its code and
// Status body. Each becomes one ExitError: the exit code of its class and one line naming the
// failing step and the fix.

import { STATUS_CODES } from 'node:http';
import { formatDuration } from './duration.ts';
import { EXIT, ExitError, type ExitCode } from './errors.ts';
import type { ApiRequest, ApiResponse } from './http.ts';
import { bareHost, type ProxyChoice } from './proxy-env.ts';
import { redactUrl } from './redact.ts';

/** "GET https://…/api" without the pretty parameter: how we name a request in messages. */
function describeRequest(request: ApiRequest, url: URL): string {
  return `${request.method} ${url.href}`;
}

export interface FailureContext {
  url: URL;
  /** "CA file /var/run/…/ca.crt", "certificate-authority-data of …", or "the system trust store". */
  caDescription: string;
  proxy?: ProxyChoice;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** The body idle timeout in force (the connection's, or a stream's own: see ApiClient.stream). */
  bodyTimeoutMs: number;
}

/** err.code of the error, or of its cause / first aggregated error (happy-eyeballs connects). */
export function errorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const candidate = current as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown[] };
    if (typeof candidate.code === 'string') return candidate.code;
    if (candidate.name === 'TimeoutError') return 'TimeoutError';
    current = candidate.cause ?? candidate.errors?.[0];
  }
  return undefined;
}

const TLS_VERIFY_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);
const TLS_CLOCK_CODES: ReadonlySet<string> = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/** "10.96.0.1:443": host and port, the default port included (URL.host drops it). */
export function hostAndPort(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

/** Whether a system error (it carries address and port, or the hostname it looked up) was about the proxy. */
function isProxyEndpoint(err: unknown, proxy: URL, target: URL): boolean {
  const { address, port, hostname } = err as { address?: string; port?: number; hostname?: string };
  if (hostname !== undefined) return hostname === bareHost(proxy);
  if (port === undefined) return false;
  return `${address ?? ''}:${port}` !== hostAndPort(target) && hostAndPort(proxy).endsWith(`:${port}`);
}

function proxyNote(proxy: ProxyChoice | undefined): string {
  return proxy?.proxy ? ` through proxy ${redactUrl(proxy.proxy)} (from ${proxy.variable})` : '';
}

const PROXY_FIX = 'if the API server should not be proxied, add its address (and kubernetes.default.svc, .svc, .cluster.local) to NO_PROXY';

/** One ExitError for a failed connection, TLS handshake or timeout; undefined if `err` is none of those. */
export function classifyNetworkError(err: unknown, context: FailureContext): ExitError | undefined {
  const code = errorCode(err);
  if (code === undefined) return undefined;
  const detail = err instanceof Error ? err.message : String(err);
  const origin = context.url.origin;
  const proxyFix = context.proxy?.proxy ? `; ${PROXY_FIX}` : '';
  // A refused, unreachable or unresolvable proxy is the proxy's failure, not the API server's.
  const failedAtProxy = context.proxy?.proxy !== undefined && isProxyEndpoint(err, new URL(context.proxy.proxy), context.url);
  const hostPort = failedAtProxy
    ? `proxy ${redactUrl(context.proxy?.proxy ?? '')} (from ${context.proxy?.variable})`
    : hostAndPort(context.url);
  const via = failedAtProxy ? '' : proxyNote(context.proxy);
  const connection = (message: string) => new ExitError(EXIT.CONNECTION, message, { cause: err });
  const tls = (message: string) => new ExitError(EXIT.TLS, message, { cause: err });

  if (TLS_VERIFY_CODES.has(code)) {
    return tls(
      `TLS verification of ${origin} failed (${detail}) using ${context.caDescription}${via}: ` +
        (context.proxy?.proxy
          ? `the proxy may be presenting its own certificate; ${PROXY_FIX}`
          : 'pass the cluster CA with --certificate-authority (in a pod: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt)'),
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return tls(
      `TLS verification of ${origin} failed: ${detail}: connect to a name or address the certificate lists ` +
        `(in a pod, $KUBERNETES_SERVICE_HOST or kubernetes.default.svc), or set tls-server-name in the kubeconfig`,
    );
  }
  if (TLS_CLOCK_CODES.has(code)) {
    return tls(`TLS verification of ${origin} failed (${detail}): check the clock in the pod, or renew the API server certificate`);
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    return tls(
      `TLS handshake with ${origin} failed: the server does not speak TLS on ${hostPort}; is it plain http (e.g. kubectl proxy)? use an http:// URL`,
    );
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO') {
    return tls(`TLS handshake with ${origin} failed (${code}): check the client certificate and the server address`);
  }
  switch (code) {
    case 'ECONNREFUSED':
      return connection(
        failedAtProxy
          ? `connection to ${hostPort} refused (ECONNREFUSED): is the proxy up?${proxyFix}`
          : `connection to ${hostPort}${via} refused (ECONNREFUSED): is the API server (or the Istio sidecar, if the pod has one) up? check the address with --verbose${proxyFix}`,
      );
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return connection(
        `connecting to ${hostPort}${via} timed out after ${formatDuration(context.connectTimeoutMs)}: ` +
          `an egress NetworkPolicy may block the API server endpoint (allow its IP and port, often 6443)${proxyFix}`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN': {
      const host = (err as { hostname?: string }).hostname ?? context.url.hostname;
      const why = code === 'ENOTFOUND' ? 'no such host' : 'temporary DNS failure';
      return connection(
        failedAtProxy
          ? `cannot resolve the proxy host ${host} (${why}) from ${context.proxy?.variable}: check the proxy setting${proxyFix}`
          : `cannot resolve ${host} (${why}): use $KUBERNETES_SERVICE_HOST's address or a fully-qualified name with a trailing dot, and check /etc/resolv.conf`,
      );
    }
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return connection(`no route to ${hostPort}${via} (${code}): check the pod's network and the server address`);
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return connection(
        `connection to ${hostPort}${via} was closed by the other side (${code}): ` +
          (context.url.protocol === 'http:' ? 'is it an https:// server? ' : '') +
          `a proxy or load balancer may be cutting it${proxyFix}`,
      );
    case 'UND_ERR_HEADERS_TIMEOUT':
      return connection(`${origin} accepted the connection but sent no response within ${formatDuration(context.headersTimeoutMs)}`);
    case 'UND_ERR_BODY_TIMEOUT':
      return connection(`${origin} stopped sending the response body for ${formatDuration(context.bodyTimeoutMs)}`);
    case 'TimeoutError':
      return connection(`request to ${origin} timed out after ${formatDuration(context.requestTimeoutMs)} (--request-timeout)`);
    case 'UND_ERR_ABORTED':
    case 'UND_ERR_PRX_TLS':
      return connection(`the proxy refused to connect to ${hostPort}${via} (${detail}): ${PROXY_FIX}`);
    default:
      return connection(`request to ${origin}${via} failed (${code}): ${detail}`);
  }
}

interface KubernetesStatus {
  message?: string;
  reason?: string;
}

function parseStatus(body: Buffer): KubernetesStatus | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    if (typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Status') {
      const { message, reason } = value as Record<string, unknown>;
      return { message: typeof message === 'string' ? message : undefined, reason: typeof reason === 'string' ? reason : undefined };
    }
  } catch {
    // not JSON: no Status to quote
  }
  return undefined;
}

function statusExitCode(status: number): ExitCode {
  if (status === 401) return EXIT.UNAUTHORIZED;
  if (status === 403) return EXIT.FORBIDDEN;
  if (status === 404) return EXIT.NOT_FOUND;
  return EXIT.API_ERROR;
}

/**
 * The ExitError for an HTTP status >= 400; the body goes to stdout, as curl would print it.
 * `retries`: how many times the request was retried for this status (429/503) before giving up.
 */
export function statusError(request: ApiRequest, url: URL, response: ApiResponse, credentials: string, retries = 0): ExitError {
  const status = parseStatus(response.body);
  const reasonPhrase = STATUS_CODES[response.status] ?? 'Error';
  const said = status?.message && status.message !== reasonPhrase ? `: ${status.message}` : '';
  let fix = '';
  if (response.status === 401) {
    fix = credentials.startsWith('no credentials')
      ? ': no credentials were sent; pass --token-file'
      : ': the token was rejected (expired, wrong audience, or its pod or service account was recreated); decode it with serviceaccount.ts';
  } else if (response.status === 403) {
    fix = /system:anonymous/.test(status?.message ?? '')
      ? ': no token reached the server, so it treated us as system:anonymous; send one with --token-file'
      : ': authenticated, but RBAC does not allow this; grant it with a Role or ClusterRole and a binding';
  } else if (response.status === 404) {
    fix = ': check the name, the namespace (-n) and the API group/version in the path';
  } else if (retries > 0) {
    fix = `: still ${response.status} after ${retries} retries`;
  }
  return new ExitError(
    statusExitCode(response.status),
    `${describeRequest(request, url)}: ${response.status} ${reasonPhrase}${said}${fix}`,
    {
      stdout: response.body,
    },
  );
}
