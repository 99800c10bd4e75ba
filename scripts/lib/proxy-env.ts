// Which proxy, if any, a request should go through, decided from the environment
// exactly as curl 7.88 decides it (lib/url.c detect_proxy, lib/noproxy.c), so that
// the script and the equivalent curl command take the same path (a cluster-wide HTTPS_PROXY
// without the API server in NO_PROXY is a classic in-pod failure: the proxy answers instead).
//
// - https:// URLs use https_proxy, then HTTPS_PROXY; http:// URLs use only the
//   lower-case http_proxy (curl ignores HTTP_PROXY: in CGI it is a request header).
//   Then all_proxy / ALL_PROXY. Empty variables count as unset.
// - no_proxy (or NO_PROXY): "*" alone bypasses every proxy; otherwise a list separated
//   by commas or blanks. A name matches itself and its subdomains (".svc" and "svc"
//   both match "kubernetes.default.svc"); an IP address matches only IP entries,
//   exactly or by CIDR (curl ≥ 7.86). Name entries never match an IP: NO_PROXY=.svc
//   does not cover https://10.96.0.1, the address in-cluster config uses.
//
// Node's own fetch/http ignore these variables (unless NODE_USE_ENV_PROXY=1), and
// undici's EnvHttpProxyAgent differs from curl (no CIDR, http_proxy used for https),
// so we decide here and hand undici a ProxyAgent when a proxy applies.

import { BlockList, isIP } from 'node:net';
import { configError } from './errors.ts';
import { redactUrl } from './redact.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface ProxyChoice {
  /** Proxy URL to use; undefined means connect directly. */
  proxy?: string;
  /** The variable the proxy came from (or that was bypassed). */
  variable?: string;
  /** Set when a proxy variable applied but no_proxy matched: "NO_PROXY=…". */
  bypassedBy?: string;
}

function firstSet(env: Env, names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== '') return { name, value };
  }
  return undefined;
}

/** "proxy:3128" → "http://proxy:3128": curl assumes http:// when the scheme is missing. */
export function normaliseProxyUrl(proxy: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}

/** A URL's host without IPv6 brackets. */
export function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

function matchesAddress(address: string, family: 4 | 6, entry: string): boolean {
  const [network = '', bitsText] = entry.split('/', 2);
  const maxBits = family === 4 ? 32 : 128;
  // curl treats "/0" (and no prefix) as "the whole address".
  const bits = bitsText === undefined ? maxBits : Number.parseInt(bitsText, 10) || maxBits;
  if (bits > maxBits || isIP(network) !== family) return false;
  const list = new BlockList();
  list.addSubnet(network, bits, family === 4 ? 'ipv4' : 'ipv6');
  return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

function matchesName(host: string, entry: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  const pattern = entry.toLowerCase().replace(/\.$/, '').replace(/^\./, '');
  if (pattern === '') return false;
  return name === pattern || name.endsWith(`.${pattern}`);
}

/** Whether `host` (no brackets) is excluded from proxying by a no_proxy value, as curl decides. */
export function matchesNoProxy(host: string, noProxy: string): boolean {
  if (host === '' || noProxy === '') return false;
  if (noProxy === '*') return true;
  const family = isIP(host);
  return noProxy
    .split(/[\s,]+/)
    .filter((entry) => entry !== '')
    .some((entry) => (family === 0 ? matchesName(host, entry) : matchesAddress(host, family as 4 | 6, entry)));
}

/** The proxy curl would use for `target` given `env`. */
export function proxyFromEnvironment(target: URL, env: Env): ProxyChoice {
  const candidates =
    target.protocol === 'https:' ? ['https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY'] : ['http_proxy', 'all_proxy', 'ALL_PROXY'];
  const proxy = firstSet(env, candidates);
  if (proxy === undefined) return {};
  const noProxy = firstSet(env, ['no_proxy', 'NO_PROXY']);
  if (noProxy !== undefined && matchesNoProxy(bareHost(target), noProxy.value)) {
    return { variable: proxy.name, bypassedBy: `${noProxy.name}=${noProxy.value}` };
  }
  return { proxy: normaliseProxyUrl(proxy.value), variable: proxy.name };
}

/** The proxy's URL; a malformed one is a configuration error naming where it came from. */
export function parseProxyUrl(url: string, variable: string | undefined): URL {
  try {
    return new URL(url);
  } catch {
    throw configError(`proxy ${redactUrl(url)} (from ${variable}) is not a valid URL: use http://HOST:PORT`);
  }
}

/** undici percent-decodes the proxy's user and password: bad escapes are a configuration error, found here. */
export function checkProxyCredential(text: string, url: string, variable: string | undefined): void {
  try {
    decodeURIComponent(text);
  } catch {
    throw configError(`proxy ${redactUrl(url)} (from ${variable}) has a user or password that is not valid percent-encoding`);
  }
}
