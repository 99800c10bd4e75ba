#!/usr/bin/env -S npx tsx
/**
 * proxy — `kubectl proxy` for a sidecar, in one file: listen on 127.0.0.1:8001 and forward every
 * request to the API server with the pod's token and CA, so the other containers of the pod can
 * `curl localhost:8001/apis/batch/v1` with no token, no CA and no client library. It is the
 * kubectl-proxy sidecar of "Accessing the Kubernetes API from a Pod" ("Using kubectl proxy",
 * https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/) without the kubectl
 * binary, and without the flaw of the usual recipe: `--token="$(cat …/token)"` reads the token
 * once, and kubelet rotates it within the hour.
 *
 * Flags and defaults are kubectl proxy's (USAGE below, --help). On top of what kubectl proxy does:
 *   - the token file is re-read every minute and right after a 401; a request whose body is small
 *     enough to keep (no body, or Content-Length <= 3 MiB) is then retried once, others carry the
 *     401 back and the next request uses the new token;
 *   - the CA file is re-read when it changes (checked every minute and after a TLS verification
 *     failure): new connections verify with it, open ones (watches) finish on the old one;
 *   - the caller's Authorization header is replaced by the pod's, and X-Forwarded-* / Forwarded
 *     are dropped (kubectl proxy passes a caller's own token through and appends X-Forwarded-For);
 *   - a request with Impersonate-* headers is refused (403) unless --allow-impersonation;
 *   - every request goes to the configured API server, whatever its target says: the path is
 *     re-escaped as Go's net/url escapes it ("/\host" goes upstream as "/%5Chost"), so the API
 *     server decodes exactly the path the filter judged;
 *   - GET /.kube-in-pod/healthz is answered "ok" by the proxy itself, never forwarded and never
 *     touching the API server (a path the API cannot have): use it for the readiness probe;
 *   - one access-log line per request on stderr: method, path, status, bytes, duration, upstream
 *     (--quiet leaves only rejections and failures); the token is never logged;
 *   - SIGTERM/SIGINT: stop listening, end open watches and upgrades cleanly, let other requests
 *     finish within --shutdown-timeout (10s), exit 0. A second signal stops at once.
 * Watches and chunked lists stream through as they arrive; connection upgrades (exec, attach,
 * port-forward, WebSocket or SPDY) pass through when --reject-paths lets them (by default it
 * rejects exec and attach, as kubectl proxy does).
 * Kept from kubectl: 403 "Forbidden" for a filtered request, 500 with a one-line text body when
 * the API server cannot be reached, "Starting to serve on ADDRESS" as the only stdout line.
 * Not kept: --www/--www-prefix (static files) and --append-server-path (a path in the server URL,
 * e.g. https://rancher/k8s/clusters/c-1, is always kept, as every kube-in-pod script does).
 *
 * Reads (first match wins): the connection flags; $KUBECONFIG or ~/.kube/config; in a pod,
 * $KUBERNETES_SERVICE_HOST, $KUBERNETES_SERVICE_PORT and
 * /var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt}.
 * Honours HTTPS_PROXY/https_proxy, ALL_PROXY and NO_PROXY as curl does for ordinary requests;
 * connection upgrades always connect to the API server directly.
 *
 * Run it with node where signals matter (a container): the bundle, `node dist/proxy.mjs`, or
 * `node --import tsx scripts/proxy.ts`. Under `npx tsx` a SIGTERM sent to npx never reaches the
 * script (npm runs it through `sh -c`, which does not pass signals on).
 *
 * Exit codes: 0 stopped by SIGTERM/SIGINT (or --help, --print-curl), 1 bug, 2 usage,
 * 3 no configuration (no pod, no kubeconfig, unreadable token or CA), 4 cannot listen (address in
 * use, not ours, no permission), 7 --print-curl for a path the proxy would reject.
 *
 * Equivalent: the sidecar's `kubectl proxy --server="$API_SERVER" --certificate-authority="$CA_CRT"
 * --token="$TOKEN" --accept-paths='^.*'`; and each request `curl localhost:8001/PATH` becomes
 *   SERVICEACCOUNT=/var/run/secrets/kubernetes.io/serviceaccount
 *   curl --cacert $SERVICEACCOUNT/ca.crt -H "Authorization: Bearer $(cat $SERVICEACCOUNT/token)" \
 *     https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/PATH
 * (`proxy.ts --print-curl /PATH` prints exactly that command for your configuration).
 */

import { requireApiPath, runScript, type Cli, type OptionSpecs } from './lib/cli.ts';
import { joinHostPort } from './lib/config.ts';
import { loadCredentials } from './lib/credentials.ts';
import { shellQuote, withoutUserinfo } from './lib/curl.ts';
import { EXIT, ExitError, usageError } from './lib/errors.ts';
import { ServerConnection, logServerConnection } from './lib/connection.ts';
import { parseDurationFlag } from './lib/duration.ts';
import { normaliseApiPrefix } from './lib/proxy/path.ts';
import {
  DEFAULT_ACCEPT_HOSTS,
  DEFAULT_ACCEPT_PATHS,
  DEFAULT_ADDRESS,
  DEFAULT_API_PREFIX,
  DEFAULT_PORT,
  DEFAULT_REJECT_METHODS,
  DEFAULT_REJECT_PATHS,
  createFilter,
  routeRequest,
} from './lib/proxy/rules.ts';
import { HEALTH_PATH, KubeProxy, type ProxySettings } from './lib/proxy/server.ts';

const DEFAULT_SHUTDOWN_TIMEOUT = '10s';
const DEFAULT_PRINT_PATH = '/api';

const OPTIONS = {
  port: { type: 'string', short: 'p' },
  address: { type: 'string' },
  'accept-hosts': { type: 'string' },
  'accept-paths': { type: 'string' },
  'reject-paths': { type: 'string' },
  'reject-methods': { type: 'string' },
  'api-prefix': { type: 'string' },
  'unix-socket': { type: 'string', short: 'u' },
  'disable-filter': { type: 'boolean' },
  'allow-impersonation': { type: 'boolean' },
  keepalive: { type: 'string' },
  'shutdown-timeout': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
} as const satisfies OptionSpecs;

const USAGE = `Usage: proxy.ts [flags]
       proxy.ts --print-curl [PATH]

Run kubectl proxy's job in a sidecar: listen on ${DEFAULT_ADDRESS}:${DEFAULT_PORT} and forward each request to
the API server with the pod's token and CA, so the pod's other containers can run
curl localhost:${DEFAULT_PORT}/apis/batch/v1. Prints "Starting to serve on ADDRESS" once listening.
The token file is re-read every minute and after a 401, the CA when its file changes.
GET ${HEALTH_PATH} answers "ok" without touching the API server (readiness probe).

Proxy flags (kubectl proxy's names and defaults):
  -p, --port PORT               port to listen on; 0 picks a free one (printed) (default ${DEFAULT_PORT})
      --address IP              address to listen on (default ${DEFAULT_ADDRESS})
  -u, --unix-socket PATH        listen on this unix socket instead (owner only: umask 077, as kubectl)
      --api-prefix PREFIX       serve the API under this prefix (default ${DEFAULT_API_PREFIX})
      --accept-hosts REGEXPS    Host headers to accept (default '${DEFAULT_ACCEPT_HOSTS}')
      --accept-paths REGEXPS    paths to accept (default '${DEFAULT_ACCEPT_PATHS}')
      --reject-paths REGEXPS    paths to reject even if accepted
                                (default '${DEFAULT_REJECT_PATHS}')
      --reject-methods REGEXPS  HTTP methods to reject, e.g. 'POST,PUT,PATCH' (default '${DEFAULT_REJECT_METHODS}')
      --disable-filter          accept every request (dangerous on a reachable port: XSRF)
      --keepalive DURATION      TCP keep-alive period towards the API server, e.g. 30s (default 0: the
                                platform's, first probe after 60s)
REGEXPS are comma-separated regular expressions, matched anywhere unless anchored; the filter
answers 403 "Forbidden" and logs why.

kube-in-pod flags:
      --shutdown-timeout DURATION  on SIGTERM/SIGINT, how long in-flight requests may take (default ${DEFAULT_SHUTDOWN_TIMEOUT})
  -q, --quiet                   log only rejected and failed requests, not every request
      --allow-impersonation     pass Impersonate-User/-Group/-Uid/-Extra-* headers on, so callers may act
                                as anyone the service account may impersonate (default: refuse them, 403)
      --request-timeout DURATION  (a connection flag, below) here: how long to wait for the API
                                server's response headers; 0, the default, waits as long as it takes
      --print-curl [PATH]       print the curl command the proxy runs for GET PATH (default ${DEFAULT_PRINT_PATH}), and on
                                stderr the kubectl proxy command this replaces; sends nothing

Examples:
  proxy.ts                                   # in a pod: in-cluster config, 127.0.0.1:8001
  proxy.ts --port 0 --quiet                  # any free port, only problems logged
  proxy.ts --reject-paths '^/api/.*/pods/.*/attach'   # allow exec (the service account needs pods/exec create)
  proxy.ts --print-curl /apis/batch/v1`;

async function main(cli: Cli<typeof OPTIONS>): Promise<void> {
  const settings = proxySettings(cli);
  if (cli.printCurlOnly) return printCurl(cli, settings);
  if (cli.positionals.length > 0) throw usageError(`unexpected argument ${cli.positionals[0]} (PATH goes with --print-curl)`);
  if (settings.filter === undefined && settings.listen.kind === 'tcp') {
    cli.log.warn('request filter disabled, your proxy is vulnerable to XSRF attacks, please be cautious'); // kubectl's words
  }

  const config = cli.config();
  const credentials = await loadCredentials(config);
  const connection = new ServerConnection(config, credentials, {
    headersTimeout: settings.headersTimeoutMs,
    bodyTimeout: 0, // a watch may be silent for as long as it likes
    keepAliveInitialDelay: settings.keepAliveMs,
    log: cli.log,
  });
  logServerConnection(cli.log, connection);
  if (connection.proxy.proxy !== undefined) {
    cli.log.note(`connection upgrades (exec, attach, port-forward) go to ${config.server} directly, not through the proxy`);
  }

  const proxy = new KubeProxy(settings, connection, cli.log);
  const received = signals();
  const address = await proxy.listen();
  // kubectl's one line on stdout (with --port 0 it is how the caller learns the port).
  process.stdout.write(`Starting to serve on ${address}\n`);
  await proxy.shutdown(await received.first, received.second);
}

// ---------------------------------------------------------------------------
// Settings

function parsePort(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw usageError(`--port ${text}: expected a port number from 0 to 65535`);
  return Number(text);
}

function proxySettings(cli: Cli<typeof OPTIONS>): ProxySettings {
  const options = cli.options;
  const port = options.port === undefined ? DEFAULT_PORT : parsePort(options.port);
  if (options['unix-socket'] !== undefined && port !== DEFAULT_PORT) {
    throw usageError('cannot set --unix-socket and --port at the same time'); // kubectl's Validate()
  }
  const keepalive = options.keepalive === undefined ? 0 : parseDurationFlag('--keepalive', options.keepalive);
  return {
    listen:
      options['unix-socket'] !== undefined
        ? { kind: 'unix', path: options['unix-socket'] }
        : { kind: 'tcp', host: options.address ?? DEFAULT_ADDRESS, port },
    apiPrefix: normaliseApiPrefix(options['api-prefix'] ?? DEFAULT_API_PREFIX),
    allowImpersonation: options['allow-impersonation'] === true,
    filter: options['disable-filter']
      ? undefined
      : createFilter({
          acceptHosts: options['accept-hosts'] ?? DEFAULT_ACCEPT_HOSTS,
          acceptPaths: options['accept-paths'] ?? DEFAULT_ACCEPT_PATHS,
          rejectPaths: options['reject-paths'] ?? DEFAULT_REJECT_PATHS,
          rejectMethods: options['reject-methods'] ?? DEFAULT_REJECT_METHODS,
        }),
    keepAliveMs: keepalive > 0 ? keepalive : undefined,
    shutdownTimeoutMs: parseDurationFlag('--shutdown-timeout', options['shutdown-timeout'] ?? DEFAULT_SHUTDOWN_TIMEOUT),
    headersTimeoutMs: cli.requestTimeoutMs,
    quiet: options.quiet === true,
  };
}

/** Resolves with the first SIGTERM/SIGINT; `second` resolves on the one after. */
function signals(): { first: Promise<string>; second: Promise<void> } {
  let count = 0;
  let resolveFirst: (signal: string) => void = () => undefined;
  let resolveSecond: () => void = () => undefined;
  const first = new Promise<string>((resolve) => (resolveFirst = resolve));
  const second = new Promise<void>((resolve) => (resolveSecond = resolve));
  const onSignal = (signal: string) => {
    count += 1;
    if (count === 1) resolveFirst(signal);
    else resolveSecond();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return { first, second };
}

// ---------------------------------------------------------------------------
// --print-curl

/** The kubectl proxy command line this run replaces (for a note on stderr). */
function kubectlProxyCommand(cli: Cli<typeof OPTIONS>): string {
  const args = ['kubectl', 'proxy'];
  const { flags, options } = cli;
  if (flags.kubeconfig !== undefined) args.push(`--kubeconfig=${shellQuote(flags.kubeconfig)}`);
  if (flags.context !== undefined) args.push(`--context=${shellQuote(flags.context)}`);
  if (flags.server !== undefined) {
    const server = URL.canParse(flags.server) ? withoutUserinfo(new URL(flags.server)).href.replace(/\/$/, '') : flags.server;
    args.push(`--server=${shellQuote(server)}`);
  }
  if (flags.certificateAuthority !== undefined) args.push(`--certificate-authority=${shellQuote(flags.certificateAuthority)}`);
  if (flags.insecureSkipTlsVerify) args.push('--insecure-skip-tls-verify');
  if (flags.tokenFile !== undefined) args.push(`--token="$(cat ${shellQuote(flags.tokenFile)})"`);
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined || name === 'shutdown-timeout' || name === 'quiet' || name === 'allow-impersonation') continue;
    args.push(value === true ? `--${name}` : `--${name}=${shellQuote(String(value))}`);
  }
  return args.join(' ');
}

/** --print-curl [PATH]: the curl for what the proxy sends upstream for GET PATH. */
async function printCurl(cli: Cli<typeof OPTIONS>, settings: ProxySettings): Promise<void> {
  const requested = requireApiPath(cli.positionals[0] ?? DEFAULT_PRINT_PATH);
  const route = routeRequest('GET', requested, 'localhost', settings);
  if (route.kind === 'answer') {
    const why = route.rejected ?? route.answer.body.trim();
    throw new ExitError(EXIT.FORBIDDEN, `the proxy answers ${route.answer.status} for GET ${requested} and sends nothing upstream: ${why}`);
  }
  const listen = settings.listen;
  const through =
    listen.kind === 'unix'
      ? `curl --unix-socket ${shellQuote(listen.path)} http://localhost${requested}`
      : `curl ${shellQuote(`http://${joinHostPort(listen.host, String(listen.port || DEFAULT_PORT))}${requested}`)}`;
  const tokenNote = cli.flags.tokenFile !== undefined ? ' (it reads the token once; this proxy re-reads it)' : '';
  await cli.printCurl(
    { method: 'GET', path: route.pathAndQuery },
    `through the proxy this is: ${through}`,
    `the proxy replaces: ${kubectlProxyCommand(cli)}${tokenNote}`,
  );
}

await runScript({ name: 'proxy', usage: USAGE, options: OPTIONS, arguments: [{ name: 'PATH', required: false }] }, main);
