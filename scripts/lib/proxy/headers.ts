// Which headers cross the ambassador in each direction: Go's ReverseProxy hop-by-hop list, the
// caller's identity headers replaced or dropped, and heads written on raw upgrade sockets.

import { WEBSOCKET_TOKEN_PROTOCOL_PREFIX } from '../redact.ts';

/**
 * The caller's token may ride in a subprotocol; anything that carries the marker is dropped, however it
 * is padded (Go's strings.TrimSpace strips more than JavaScript's trim(), e.g. U+0085).
 */
const WEBSOCKET_TOKEN_MARK = WEBSOCKET_TOKEN_PROTOCOL_PREFIX.replace(/^base64url\./, '');

/** RFC 9110 §7.6.1 hop-by-hop headers plus the de facto Proxy-Connection and Keep-Alive (Go's ReverseProxy list). */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Headers a caller must not be able to set upstream: who it is (we say that) and where it came from. */
const CALLER_IDENTITY_HEADERS: ReadonlySet<string> = new Set(['authorization', 'forwarded']);

/** Pairs from node's flat rawHeaders ["Name", "value", "Name", "value", …]. */
export function headerPairs(rawHeaders: readonly string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) pairs.push([rawHeaders[i] as string, rawHeaders[i + 1] as string]);
  return pairs;
}

/** The extra hop-by-hop names a Connection header lists ("Connection: close, X-Foo" → x-foo). */
function connectionTokens(pairs: ReadonlyArray<readonly [string, string]>): Set<string> {
  const tokens = new Set<string>();
  for (const [name, value] of pairs) {
    if (name.toLowerCase() !== 'connection') continue;
    for (const token of value.split(',')) if (token.trim() !== '') tokens.add(token.trim().toLowerCase());
  }
  return tokens;
}

export interface UpstreamHeaderOptions {
  /** The pod's "Bearer …", or undefined to send no Authorization at all. */
  authorization: string | undefined;
  /** A connection upgrade (exec, attach, port-forward): keep Upgrade and send Connection: Upgrade. */
  upgrade?: boolean;
}

/**
 * The request headers sent to the API server, in the caller's order and spelling: everything but
 * Host (the connection sets it), the caller's Authorization (replaced by the pod's), hop-by-hop
 * headers and those its Connection header names, Expect (node already answered 100-continue), and
 * X-Forwarded-* / Forwarded (a caller could claim any address). The caller's User-Agent stays, as
 * with kubectl proxy: that is why `curl localhost:8001/api` gets the API server's pretty JSON.
 */
export function upstreamRequestHeaders(rawHeaders: readonly string[], options: UpstreamHeaderOptions): string[] {
  const pairs = headerPairs(rawHeaders);
  const listed = connectionTokens(pairs);
  const out: string[] = [];
  let upgrade: string | undefined;
  for (const [name, value] of pairs) {
    const lower = name.toLowerCase();
    if (lower === 'upgrade') upgrade ??= value;
    if (
      lower === 'host' ||
      lower === 'expect' ||
      lower.startsWith('x-forwarded-') ||
      CALLER_IDENTITY_HEADERS.has(lower) ||
      HOP_BY_HOP_HEADERS.has(lower) ||
      listed.has(lower)
    ) {
      continue;
    }
    if (lower === 'sec-websocket-protocol') {
      // The caller's own token may ride in a subprotocol; like its Authorization, it is not passed on.
      const protocols = value
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== '' && !p.includes(WEBSOCKET_TOKEN_MARK));
      if (protocols.length > 0) out.push(name, protocols.join(', '));
      continue;
    }
    out.push(name, value);
  }
  if (options.authorization !== undefined) out.push('Authorization', options.authorization);
  if (options.upgrade && upgrade !== undefined) out.push('Connection', 'Upgrade', 'Upgrade', upgrade);
  return out;
}

/** The API server's response headers minus hop-by-hop ones (node frames the body to the caller itself). */
export function downstreamResponseHeaders(pairs: ReadonlyArray<readonly [string, string]>): Array<[string, string]> {
  const listed = connectionTokens(pairs);
  return pairs
    .filter(([name]) => !HOP_BY_HOP_HEADERS.has(name.toLowerCase()) && !listed.has(name.toLowerCase()))
    .map(([name, value]) => [name, value]);
}

/** undici's response headers ({name: value | value[]}) as pairs, repeated headers (Set-Cookie, Warning) kept apart. */
export function pairsFromHeaderRecord(headers: Readonly<Record<string, string | string[] | undefined>>): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) pairs.push([name, one]);
  }
  return pairs;
}

/** An HTTP/1.1 response head for a raw socket (answers on an upgrade request that was not upgraded). */
export function serializeResponseHead(status: number, statusText: string, pairs: ReadonlyArray<readonly [string, string]>): string {
  return `HTTP/1.1 ${status} ${statusText}\r\n${pairs.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
}
