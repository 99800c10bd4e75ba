// How kubectl proxy reads a request target and what path it sends upstream, as Go does it:
// net/url's unescaping and EscapedPath/validEncoded, net/http ServeMux's path cleaning and 301,
// and stripLeaveSlash for --api-prefix (k8s.io/kubectl/pkg/proxy/proxy_server.go).

import type { TextAnswer } from './answers.ts';

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

const ASCII_WITHOUT_ESCAPES = /^[\x20-\x24\x26-\x7e]*$/;

/** Go's url.PathUnescape as URL.Path is made: %XX decoded ("+" stays); undefined for a bad escape (Go answers 400). */
export function unescapePath(rawPath: string): string | undefined {
  // Nothing escaped and all ASCII (nearly every request): the bytes decode to the same string.
  if (ASCII_WITHOUT_ESCAPES.test(rawPath)) return rawPath;
  const bytes: number[] = [];
  for (let i = 0; i < rawPath.length; i++) {
    const char = rawPath[i] as string;
    if (char === '%') {
      const hex = rawPath.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (char.charCodeAt(0) < 0x80) {
      bytes.push(char.charCodeAt(0));
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

/** A "/" followed by another "/", by "." or ".." and then "/", or by nothing: a segment Clean removes. */
const UNCLEAN_SEGMENT = /\/(?:\.{1,2})?(?:\/|$)/;

/** Go's path.Clean for a rooted path: no empty or "." segments, ".." resolved, never above "/". */
function cleanRooted(path: string): string {
  // No empty, "." or ".." segment (nearly every request): already clean.
  if (!UNCLEAN_SEGMENT.test(path)) return path;
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
 * Go's validEncoded(s, encodePath): whether a raw path may be sent as it is. Only unreserved
 * characters, sub-delims, ":", "@", "/", "[", "]" and "%" qualify; a backslash, a quote, a space,
 * a control or non-ASCII byte does not, so such a path is re-escaped (net/url's EscapedPath).
 */
const VALID_ENCODED_PATH = /^[A-Za-z0-9\-_.~!$&'()*+,;=:@[\]%/]*$/;

/**
 * The path to send upstream for a served `path` (decoded, prefix stripped), as Go's
 * URL.EscapedPath picks it: the client's own encoding when it is validly encoded and still spells
 * that path (so %2F and friends reach the API server as sent), otherwise the path escaped the way
 * Go escapes it. Either way the API server decodes exactly the path the filter judged, and the
 * result is origin-form: it starts with "/" and holds no byte that a parser could read as an
 * authority ("/\host" is sent as "/%5Chost", as kubectl proxy sends it).
 */
export function upstreamPath(rawPath: string, path: string, prefix: string): string {
  const rawStripped = routeApiPrefix(rawPath, prefix);
  if (rawStripped.kind === 'serve' && VALID_ENCODED_PATH.test(rawStripped.path) && unescapePath(rawStripped.path) === path) {
    return rawStripped.path;
  }
  return escapePath(path);
}

const TRUE_VALUES = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

/**
 * Whether a request streams until someone stops it: a watch (?watch=true or a /watch/ path, as the
 * API server's RequestInfo reads it) or a followed log. Shutdown ends these at once instead of
 * waiting for them.
 */
export function isLongRunning(path: string, rawQuery: string | undefined): boolean {
  // The query is parsed only when it can name watch or follow (a name may be percent-encoded).
  if (rawQuery !== undefined && /watch|follow|%/.test(rawQuery)) {
    const query = new URLSearchParams(rawQuery);
    if (TRUE_VALUES.has(query.get('watch') ?? '') || TRUE_VALUES.has(query.get('follow') ?? '')) return true;
  }
  return /^\/(api\/[^/]+|apis\/[^/]+\/[^/]+)\/watch(\/|$)/.test(path);
}
