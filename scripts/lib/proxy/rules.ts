// The rules of `kubectl proxy`, as pure functions, so the proxy reads top-down and every rule has a
// unit test: which requests it serves (the filter) and what it does with a request before any
// byte goes upstream. How it reads a path is in path.ts, which headers cross it in headers.ts.
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
//   - X-Forwarded-For/-Host/-Proto and Forwarded are dropped (Go's ReverseProxy appends to them);
//   - a request with Impersonate-* headers is refused unless --allow-impersonation (kubectl proxy
//     passes them on, lending the service account's impersonate rights to every caller).

import { usageError } from '../errors.ts';
import { FORBIDDEN_ANSWER, NOT_FOUND_ANSWER, textAnswer, type TextAnswer } from './answers.ts';
import {
  cleanPath,
  escapePath,
  isLongRunning,
  movedPermanently,
  parseRequestTarget,
  routeApiPrefix,
  unescapePath,
  upstreamPath,
} from './path.ts';

// pkg/cmd/proxy/proxy.go: defaultPort, defaultAddress, defaultAPIPrefix.
export const DEFAULT_PORT = 8001;
export const DEFAULT_ADDRESS = '127.0.0.1';
export const DEFAULT_API_PREFIX = '/';
// pkg/proxy/proxy_server.go: DefaultHostAcceptRE, DefaultPathAcceptRE, DefaultPathRejectRE, DefaultMethodRejectRE.
export const DEFAULT_ACCEPT_HOSTS = '^localhost$,^127\\.0\\.0\\.1$,^\\[::1\\]$';
export const DEFAULT_ACCEPT_PATHS = '^.*';
export const DEFAULT_REJECT_PATHS = '^/api/.*/pods/.*/exec,^/api/.*/pods/.*/attach';
export const DEFAULT_REJECT_METHODS = '^$';

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
// A request, start to finish

export interface ProxyRules {
  /** normaliseApiPrefix(--api-prefix). */
  apiPrefix: string;
  /** undefined with --disable-filter. */
  filter: RequestFilter | undefined;
  /** --allow-impersonation: pass Impersonate-* headers on (kubectl proxy always does). */
  allowImpersonation?: boolean;
}

/**
 * The first Impersonate-* header of a request (Impersonate-User, -Group, -Uid, -Extra-KEY: the
 * headers kube-apiserver's WithImpersonation filter reads), or undefined. With the pod's token
 * they ask the API server to treat the caller as someone else, within the service account's
 * `impersonate` rights: a power the pod's other containers do not get unless asked for.
 */
export function impersonationHeader(rawHeaders: readonly string[]): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.toLowerCase().startsWith('impersonate-')) return name;
  }
  return undefined;
}

export type Route =
  | { kind: 'answer'; answer: TextAnswer; rejected?: string }
  | { kind: 'forward'; pathAndQuery: string; longRunning: boolean };

/**
 * What kubectl proxy does with a request before any byte goes upstream: decode the path (400 on a
 * bad escape), redirect to the clean path (ServeMux), route --api-prefix (404 outside it), apply
 * the filter (403 "Forbidden"), refuse impersonation unless allowed (403 too), or forward it with
 * the path the API server should see. `host` is the Host header (absolute-form targets bring
 * their own); `rawHeaders` are node's flat request headers.
 */
export function routeRequest(method: string, url: string, host: string, rules: ProxyRules, rawHeaders: readonly string[] = []): Route {
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
  const impersonation = rules.allowImpersonation ? undefined : impersonationHeader(rawHeaders);
  if (impersonation !== undefined) {
    return {
      kind: 'answer',
      answer: FORBIDDEN_ANSWER,
      rejected: `${impersonation} header: impersonation is off (--allow-impersonation passes it on)`,
    };
  }
  return {
    kind: 'forward',
    pathAndQuery: withQuery(upstreamPath(target.rawPath, routed.path, rules.apiPrefix)),
    longRunning: isLongRunning(routed.path, target.rawQuery),
  };
}
