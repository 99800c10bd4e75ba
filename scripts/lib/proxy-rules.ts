// The rules of `kubectl proxy`, as pure functions, so proxy.ts reads top-down and every rule has a
// unit test: which requests it serves (the filter), how it reads the path (decoded, cleaned,
// --api-prefix stripped), and which headers cross it in each direction.
//
// Sources (kubernetes/kubernetes, staging/src/k8s.io/kubectl/):
//   pkg/cmd/proxy/proxy.go       flags, defaults, "Starting to serve on", --unix-socket vs --port
//   pkg/proxy/proxy_server.go    FilterServer (the regexps, their order, 403 "Forbidden"),
//                                stripLeaveSlash (--api-prefix), the 500 on an upstream error
// plus Go's net/http ServeMux (path cleaning and its 301) and net.SplitHostPort (the Host check).
//
// Where kube-in-pod deliberately differs from kubectl proxy (proxy.ts documents each):
//   - the caller's Authorization is replaced by the pod's (client-go's bearer round tripper keeps
//     a caller's header, so through kubectl proxy any caller can present its own token);
//   - X-Forwarded-For/-Host/-Proto and Forwarded are dropped (Go's ReverseProxy appends to them).

import { usageError } from './errors.ts';
import { WEBSOCKET_TOKEN_PROTOCOL_PREFIX } from './redact.ts';

// pkg/cmd/proxy/proxy.go: defaultPort, defaultAddress, defaultAPIPrefix.
export const DEFAULT_PORT = 8001;
export const DEFAULT_ADDRESS = '127.0.0.1';
export const DEFAULT_API_PREFIX = '/';
// pkg/proxy/proxy_server.go: DefaultHostAcceptRE, DefaultPathAcceptRE, DefaultPathRejectRE, DefaultMethodRejectRE.
export const DEFAULT_ACCEPT_HOSTS = '^localhost$,^127\\.0\\.0\\.1$,^\\[::1\\]$';
export const DEFAULT_ACCEPT_PATHS = '^.*';
export const DEFAULT_REJECT_PATHS = '^/api/.*/pods/.*/exec,^/api/.*/pods/.*/attach';
export const DEFAULT_REJECT_METHODS = '^$';

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

// ---------------------------------------------------------------------------
// The filter

/**
 * MakeRegexpArray: a comma-separated list of regular expressions, "" → none. Go's RE2 and
 * JavaScript agree on the usual patterns; a leading (?i), which JavaScript lacks, becomes the i flag.
 * Like Go's MatchString, a pattern matches anywhere unless anchored.
 */
export function parseRegexpList(text: string, flag: string): Pattern[] {
  if (text === '') return [];
  return text.split(',').map((part) => {
    const caseInsensitive = part.startsWith('(?i)');
    try {
      return { text: part, regexp: new RegExp(caseInsensitive ? part.slice(4) : part, caseInsensitive ? 'i' : '') };
    } catch (err) {
      throw usageError(`${flag}: ${part} is not a valid regular expression (${(err as Error).message})`);
    }
  });
}

/** One regular expression of a filter flag, with the text it was written as (for the log). */
export interface Pattern {
  text: string;
  regexp: RegExp;
}

export interface RequestFilter {
  acceptPaths: Pattern[];
  rejectPaths: Pattern[];
  acceptHosts: Pattern[];
  rejectMethods: Pattern[];
}

export interface FilterFlags {
  acceptPaths: string;
  rejectPaths: string;
  acceptHosts: string;
  rejectMethods: string;
}

export function createFilter(flags: FilterFlags): RequestFilter {
  return {
    acceptPaths: parseRegexpList(flags.acceptPaths, '--accept-paths'),
    rejectPaths: parseRegexpList(flags.rejectPaths, '--reject-paths'),
    acceptHosts: parseRegexpList(flags.acceptHosts, '--accept-hosts'),
    rejectMethods: parseRegexpList(flags.rejectMethods, '--reject-methods'),
  };
}

export type FilterDecision = { accepted: true } | { accepted: false; reason: string };

const firstMatch = (text: string, patterns: readonly Pattern[]) => patterns.find((pattern) => pattern.regexp.test(text));

/**
 * FilterServer.accept, in its order: a --reject-paths match or a --reject-methods match refuses;
 * otherwise the path must match --accept-paths and the host --accept-hosts. `path` is the decoded
 * path after --api-prefix is stripped; `host` is extractHost(Host header).
 */
export function filterRequest(filter: RequestFilter, method: string, path: string, host: string): FilterDecision {
  const rejectedPath = firstMatch(path, filter.rejectPaths);
  if (rejectedPath) return { accepted: false, reason: `path matches --reject-paths ${rejectedPath.text}` };
  const rejectedMethod = firstMatch(method, filter.rejectMethods);
  if (rejectedMethod) return { accepted: false, reason: `method ${method} matches --reject-methods ${rejectedMethod.text}` };
  if (!firstMatch(path, filter.acceptPaths)) return { accepted: false, reason: 'path matches no --accept-paths' };
  if (!firstMatch(host, filter.acceptHosts)) return { accepted: false, reason: `host "${host}" matches no --accept-hosts` };
  return { accepted: true };
}

/**
 * extractHost: the host of a Host header as Go's net.SplitHostPort splits it, or the whole value
 * when it does not split. So "localhost:8001" → "localhost", "[::1]" → "[::1]", but "[::1]:8001" →
 * "::1", which the default --accept-hosts (^\[::1\]$) does not accept: kubectl behaves the same.
 */
export function extractHost(header: string): string {
  const lastColon = header.lastIndexOf(':');
  if (lastColon < 0) return header;
  let host: string;
  let afterHostStart = 0;
  let portSearchStart = 0;
  if (header.startsWith('[')) {
    const end = header.indexOf(']');
    if (end < 0 || end + 1 !== lastColon) return header; // missing ']', missing port, or too many colons
    host = header.slice(1, end);
    afterHostStart = 1;
    portSearchStart = end + 1;
  } else {
    host = header.slice(0, lastColon);
    if (host.includes(':')) return header; // too many colons
  }
  if (header.slice(afterHostStart).includes('[') || header.slice(portSearchStart).includes(']')) return header;
  return host;
}

// ---------------------------------------------------------------------------
// The path

export interface RequestTarget {
  /** The path as the client sent it, still percent-encoded. */
  rawPath: string;
  /** Everything after the first "?", or undefined without one. */
  rawQuery: string | undefined;
  /** The host of an absolute-form target ("GET http://localhost:8001/api"): Go then ignores the Host header. */
  authority: string | undefined;
}

/** Split the request line's target (node's req.url) into path, query and, for absolute form, the authority. */
export function parseRequestTarget(url: string): RequestTarget {
  let rest = url;
  let authority: string | undefined;
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)(.*)$/is.exec(url);
  if (absolute) {
    authority = absolute[1];
    rest = absolute[2] || '/';
  }
  const question = rest.indexOf('?');
  return question < 0
    ? { rawPath: rest, rawQuery: undefined, authority }
    : { rawPath: rest.slice(0, question), rawQuery: rest.slice(question + 1), authority };
}

/** Go's url.PathUnescape as URL.Path is made: %XX decoded ("+" stays); undefined for a bad escape (Go answers 400). */
export function unescapePath(rawPath: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < rawPath.length; i++) {
    const char = rawPath[i] as string;
    if (char === '%') {
      const hex = rawPath.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(char, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

const PATH_SAFE_BYTE = /[A-Za-z0-9\-_.~$&+,/:;=@]/;

/** Go's url.URL.EscapedPath for a path without a usable raw form: every byte but unreserved and $&+,/:;=@ escaped. */
export function escapePath(path: string): string {
  let escaped = '';
  for (const byte of Buffer.from(path, 'utf8')) {
    const char = String.fromCharCode(byte);
    escaped += byte < 0x80 && PATH_SAFE_BYTE.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return escaped;
}

/** Go's path.Clean for a rooted path: no empty or "." segments, ".." resolved, never above "/". */
function cleanRooted(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return `/${segments.join('/')}`;
}

/** net/http's cleanPath: the path ServeMux serves; a request for any other spelling is redirected (301) to it. */
export function cleanPath(path: string): string {
  if (path === '') return '/';
  const rooted = path.startsWith('/') ? path : `/${path}`;
  const cleaned = cleanRooted(rooted);
  return rooted.endsWith('/') && cleaned !== '/' ? `${cleaned}/` : cleaned;
}

/** http.Redirect(w, r, url, 301) for a GET: the tiny HTML body ServeMux sends with its redirect. */
export function movedPermanently(location: string, method: string): TextAnswer {
  const escaped = location.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;');
  const headers: Record<string, string> = { Location: location };
  if (method === 'GET' || method === 'HEAD') headers['Content-Type'] = 'text/html; charset=utf-8';
  return { status: 301, body: method === 'GET' ? `<a href="${escaped}">Moved Permanently</a>.\n\n` : '', headers };
}

/** --api-prefix as kubectl completes it: always ending in "/". */
export function normaliseApiPrefix(prefix: string): string {
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

export type PrefixRoute = { kind: 'serve'; path: string } | { kind: 'redirect'; location: string } | { kind: 'not-found' };

/**
 * Where --api-prefix sends a (decoded, clean) path. ServeMux serves the prefix's subtree, answers
 * 404 outside it and redirects the prefix without its slash ("/custom" → "/custom/"). A prefix that
 * does not start with /api is then stripped leaving a slash (stripLeaveSlash: "/custom/api" → "/api");
 * one that does (e.g. /api/) is served unchanged. The filter sees the resulting path.
 */
export function routeApiPrefix(path: string, prefix: string): PrefixRoute {
  if (!path.startsWith(prefix)) {
    return prefix !== '/' && `${path}/` === prefix ? { kind: 'redirect', location: prefix } : { kind: 'not-found' };
  }
  if (prefix.startsWith('/api')) return { kind: 'serve', path };
  const stripped = path.slice(prefix.length - 1);
  return { kind: 'serve', path: stripped.startsWith('/') ? stripped : `/${stripped}` };
}

/**
 * The path to send upstream for a served `path` (decoded, prefix stripped): the client's own
 * encoding when it still spells that path (so %2F and friends reach the API server as sent),
 * otherwise the path escaped the way Go would.
 */
export function upstreamPath(rawPath: string, path: string, prefix: string): string {
  const rawStripped = routeApiPrefix(rawPath, prefix);
  if (rawStripped.kind === 'serve' && unescapePath(rawStripped.path) === path) return rawStripped.path;
  return escapePath(path);
}

const TRUE_VALUES = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

/**
 * Whether a request streams until someone stops it: a watch (?watch=true or a /watch/ path, as the
 * API server's RequestInfo reads it) or a followed log. Shutdown ends these at once instead of
 * waiting for them.
 */
export function isLongRunning(path: string, rawQuery: string | undefined): boolean {
  const query = new URLSearchParams(rawQuery ?? '');
  if (TRUE_VALUES.has(query.get('watch') ?? '') || TRUE_VALUES.has(query.get('follow') ?? '')) return true;
  return /^\/(api\/[^/]+|apis\/[^/]+\/[^/]+)\/watch(\/|$)/.test(path);
}

// ---------------------------------------------------------------------------
// A request, start to finish

export interface ProxyRules {
  /** normaliseApiPrefix(--api-prefix). */
  apiPrefix: string;
  /** undefined with --disable-filter. */
  filter: RequestFilter | undefined;
}

export type Route =
  | { kind: 'answer'; answer: TextAnswer; rejected?: string }
  | { kind: 'forward'; pathAndQuery: string; longRunning: boolean };

/**
 * What kubectl proxy does with a request before any byte goes upstream: decode the path (400 on a
 * bad escape), redirect to the clean path (ServeMux), route --api-prefix (404 outside it), apply
 * the filter (403 "Forbidden"), or forward it with the path the API server should see.
 * `host` is the Host header (absolute-form targets bring their own).
 */
export function routeRequest(method: string, url: string, host: string, rules: ProxyRules): Route {
  const target = parseRequestTarget(url);
  const withQuery = (path: string) => (target.rawQuery === undefined ? path : `${path}?${target.rawQuery}`);
  const path = unescapePath(target.rawPath);
  if (path === undefined) return { kind: 'answer', answer: textAnswer(400, '400 Bad Request: invalid URL escape') };
  const cleaned = cleanPath(path);
  if (cleaned !== path) return { kind: 'answer', answer: movedPermanently(withQuery(escapePath(cleaned)), method) };
  const routed = routeApiPrefix(path, rules.apiPrefix);
  if (routed.kind === 'redirect') return { kind: 'answer', answer: movedPermanently(withQuery(routed.location), method) };
  if (routed.kind === 'not-found') return { kind: 'answer', answer: NOT_FOUND_ANSWER };
  if (rules.filter !== undefined) {
    const decision = filterRequest(rules.filter, method, routed.path, extractHost(target.authority ?? host));
    if (!decision.accepted) return { kind: 'answer', answer: FORBIDDEN_ANSWER, rejected: decision.reason };
  }
  return {
    kind: 'forward',
    pathAndQuery: withQuery(upstreamPath(target.rawPath, routed.path, rules.apiPrefix)),
    longRunning: isLongRunning(routed.path, target.rawQuery),
  };
}

// ---------------------------------------------------------------------------
// Headers

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
      const protocols = value.split(',').map((p) => p.trim()).filter((p) => p !== '' && !p.startsWith(WEBSOCKET_TOKEN_PROTOCOL_PREFIX));
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
