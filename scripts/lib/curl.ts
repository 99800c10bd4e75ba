// --print-curl: the curl command that does what a script is about to do.
//
// The command follows the guide's recipe (curl --cacert CA -H "Authorization: Bearer
// $(cat TOKEN)" URL) and must print the same stdout as the script when run in the
// same place. The token is never printed: a token file appears as $(cat FILE), an
// inline kubeconfig token or an exec plugin as $TOKEN, with a note (for stderr) on
// how to set it; a client key as "$CLIENT_KEY_FILE"; a kubeconfig proxy-url password
// as --proxy-user reading $PROXY_PASSWORD. A user:password in the server URL is left
// out: the scripts never send it (undici ignores URL credentials, and kube-apiserver
// has no basic auth), and a note says how to add it back from $SERVER_PASSWORD.
// The URL has no pretty=true: curl's User-Agent already gets the pretty-printed JSON
// (see withPretty in http.ts).

import type { PemSource, ResolvedConfig } from './config.ts';
import { execCredentialRequest } from './exec-credential.ts';
import { parseProxyUrl } from './proxy-env.ts';
import { requestUrl, type ApiRequest } from './http.ts';

export interface CurlCommand {
  /** One line of shell. */
  command: string;
  /** Things the reader must do or know before running it (print on stderr). */
  notes: string[];
}

const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** POSIX shell quoting: bare when safe, otherwise '…' with ' written as '\''. */
export function shellQuote(value: string): string {
  if (SHELL_SAFE.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Inline PEM data as a file argument, via bash/zsh process substitution. */
function pemArgument(source: PemSource, notes: string[]): string {
  if ('file' in source) return shellQuote(source.file);
  notes.push(`${source.origin} is inline, so the command uses process substitution <(…): run it with bash or zsh`);
  const base64 = Buffer.from(source.data).toString('base64');
  return `<(printf %s ${shellQuote(base64)} | base64 -d)`;
}

function authorizationHeader(config: ResolvedConfig, notes: string[]): string | undefined {
  const bearer = config.bearer;
  if (bearer === undefined) return undefined;
  if (bearer.kind === 'file') return `-H "Authorization: Bearer $(cat ${shellQuote(bearer.path)})"`;
  if (bearer.kind === 'inline') {
    notes.push(`the token of ${bearer.origin} is stored inline and is not printed: set TOKEN to it first`);
  } else {
    const { exec } = bearer;
    const info = shellQuote(execCredentialRequest(exec));
    const envPrefix = exec.env.map(({ name, value }) => `${name}=${shellQuote(value)} `).join('');
    const command = [exec.command, ...exec.args].map(shellQuote).join(' ');
    notes.push(
      `the token comes from an exec plugin; set it first: TOKEN=$(${envPrefix}KUBERNETES_EXEC_INFO=${info} ${command} | jq -r .status.token)`,
    );
  }
  return '-H "Authorization: Bearer $TOKEN"';
}

/** `url` without its user:password (the scripts never send them, so no printed command shows them). */
export function withoutUserinfo(url: URL): URL {
  const bare = new URL(url);
  bare.username = '';
  bare.password = '';
  return bare;
}

/** `url` without its user:password; the curl --user/--proxy-user value for it reads the password from `variable`. */
function splitCredentials(url: URL, variable: string): { bare: URL; user?: string } {
  if (url.username === '' && url.password === '') return { bare: url };
  const bare = withoutUserinfo(url);
  // A password is never printed: the shell expands the variable inside the double quotes.
  let user = url.username;
  try {
    user = decodeURIComponent(user);
  } catch {
    // not valid percent-encoding: curl gets it as written
  }
  return { bare, user: `${shellQuote(`${user}:`)}"$${variable}"` };
}

/** The curl command for `request` against `config`. */
export function renderCurl(config: ResolvedConfig, request: ApiRequest, options: { requestTimeoutMs?: number } = {}): CurlCommand {
  const notes: string[] = [];
  const args: string[] = ['curl'];
  const server = splitCredentials(requestUrl(config.server, request.path), 'SERVER_PASSWORD');
  let url = server.bare;
  if (server.user !== undefined) {
    notes.push(
      `the user and password in the server URL are left out, as the script never sends them; to send them anyway add: --user ${server.user}`,
    );
  }

  if (url.protocol === 'https:') {
    if (config.insecureSkipTlsVerify) args.push('-k');
    else if (config.ca !== undefined) args.push('--cacert', pemArgument(config.ca, notes));
    if (config.tlsServerName !== undefined && !config.insecureSkipTlsVerify) {
      // curl verifies the certificate against the URL's host, so put the TLS name in the URL
      // and let --connect-to send the connection to the real address.
      const port = url.port || '443';
      args.push('--connect-to', shellQuote(`${config.tlsServerName}:${port}:${url.hostname}:${port}`));
      url = new URL(url);
      url.hostname = config.tlsServerName;
    }
  }
  if (config.clientCertificate !== undefined) {
    args.push('--cert', pemArgument(config.clientCertificate.cert, notes));
    const key = config.clientCertificate.key;
    if ('file' in key) {
      args.push('--key', shellQuote(key.file));
    } else {
      notes.push(`${key.origin} is a private key and is not printed: save it to a file and set CLIENT_KEY_FILE`);
      args.push('--key', '"$CLIENT_KEY_FILE"');
    }
  }
  if (config.proxyUrl !== undefined) {
    const proxy = splitCredentials(parseProxyUrl(config.proxyUrl, 'kubeconfig proxy-url'), 'PROXY_PASSWORD');
    args.push('--proxy', shellQuote(proxy.bare.origin));
    if (proxy.user !== undefined) {
      notes.push('the proxy-url password is not printed: set PROXY_PASSWORD to it first');
      args.push('--proxy-user', proxy.user);
    }
  }
  if (options.requestTimeoutMs !== undefined && options.requestTimeoutMs > 0) {
    args.push('--max-time', String(options.requestTimeoutMs / 1000));
  }
  const authorization = authorizationHeader(config, notes);
  if (authorization !== undefined) args.push(authorization);
  if (request.method === 'HEAD') args.push('--head');
  else if (request.method !== 'GET' || request.body !== undefined) args.push('-X', request.method);
  if (request.body !== undefined) {
    args.push('-H', shellQuote(`Content-Type: ${request.contentType ?? 'application/json'}`));
    args.push('--data-binary', shellQuote(request.body));
  }
  // Without --globoff curl reads [ ] { } in a URL as ranges, which breaks https://[::1]:443/…
  if (/[[\]{}]/.test(url.href)) args.push('--globoff');
  args.push(shellQuote(url.href));
  return { command: args.join(' '), notes };
}
