#!/usr/bin/env -S npx tsx
/**
 * get-daemonset — read one DaemonSet the way the 2018 post "容器内访问k8s api-server"
 * (companion code https://github.com/moshucong/client-go-example) reads its `gateway` DaemonSet
 * with curl from inside a pod: GET /apis/apps/v1/namespaces/NS/daemonsets/NAME?resourceVersion=0
 * (resourceVersion=0 lets the API server answer from its watch cache instead of etcd), with the
 * pod's credentials as the guide "Accessing the Kubernetes API from a Pod"
 * (https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/) finds them. It prints
 * the body as sent, as YAML or as kubectl's rollout counts, and can keep printing it as it
 * changes, the way kubectl get -w does. The flags are in USAGE below (--help).
 *
 * The watch is GET …/daemonsets?fieldSelector=metadata.name%3DNAME&watch=1&resourceVersion=RV
 * &timeoutSeconds=S; when the server ends it after S seconds the script reconnects from the last
 * resourceVersion (and lists again on 410 Gone). Each reconnect re-reads the token file when it is
 * older than a minute and after a 401, so kubelet's rotation never ends a long run.
 *
 * Reads: the connection flags; $KUBECONFIG or ~/.kube/config; in a pod,
 * $KUBERNETES_SERVICE_HOST/PORT and /var/run/secrets/kubernetes.io/serviceaccount/
 * {token,ca.crt,namespace} (the namespace file is the default for -n).
 *
 * Exit codes: 0 ok (also when --watch-count or --timeout ends a watch), 1 bug, 2 usage,
 * 3 no configuration, 4 connection failed, 5 TLS verification failed, 6 HTTP 401, 7 HTTP 403,
 * 8 HTTP 404 (no such DaemonSet), 9 other HTTP error, 130 SIGINT (Ctrl-C), 143 SIGTERM (a watch stops there too;
 * under `npx tsx` a SIGTERM to npx never reaches the script: run it with node). On an HTTP error the Status document
 * is printed on stdout. NAME must be a lowercase RFC 1123 subdomain and -n a label (else exit 2).
 *
 * Equivalent curl (in a pod):
 *   SERVICEACCOUNT=/var/run/secrets/kubernetes.io/serviceaccount
 *   NAMESPACE=$(cat $SERVICEACCOUNT/namespace)
 *   curl --cacert $SERVICEACCOUNT/ca.crt -H "Authorization: Bearer $(cat $SERVICEACCOUNT/token)" \
 *     "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/apis/apps/v1/namespaces/$NAMESPACE/daemonsets/NAME?resourceVersion=0"
 *   # --watch: then, with RV the .metadata.resourceVersion of that answer (curl -N prints events as they come)
 *   curl -N --cacert … -H "Authorization: Bearer $(cat $SERVICEACCOUNT/token)" \
 *     "https://…/apis/apps/v1/namespaces/$NAMESPACE/daemonsets?fieldSelector=metadata.name%3DNAME&watch=1&resourceVersion=$RV&timeoutSeconds=300"
 */

import { outputFormat, runScript, writeStdout, type Cli } from './lib/cli.ts';
import { renderCurl } from './lib/curl.ts';
import { NAMESPACE_FLAG_SOURCE } from './lib/config.ts';
import { loadCredentials } from './lib/credentials.ts';
import { configError, usageError } from './lib/errors.ts';
import { parseDurationFlag } from './lib/duration.ts';
import { goYaml } from './lib/get/go-yaml.ts';
import type { ApiClient, ApiRequest } from './lib/http.ts';
import { dnsLabelProblem, dnsSubdomainProblem, quoteName } from './lib/names.ts';
import { columnWidths, formatColumns, prettyJson } from './lib/output.ts';
import { parseJson } from './lib/json.ts';
import { DEFAULT_WATCH_TIMEOUT_SECONDS, watchObject, watchRequest, type KubeObject } from './lib/watch.ts';

const OUTPUT_FORMATS = ['json', 'yaml', 'status'] as const;
type OutputFormat = (typeof OUTPUT_FORMATS)[number];
const STATUS_HEADER = ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'UNAVAILABLE'] as const;

const USAGE = `Usage: get-daemonset.ts NAME [-n NS] [-o json|yaml|status] [-w] [flags]

GET /apis/apps/v1/namespaces/NS/daemonsets/NAME?resourceVersion=0 and print it.

  NAME                    DaemonSet name
  -o, --output FMT        json (default: the body exactly as sent), yaml (keys sorted, as kubectl
                          -o yaml), or status (the desired/current/ready/up-to-date/available/
                          unavailable counts as a table)
  -w, --watch             then print it again on every change (json: one object per change;
                          yaml: "---" between objects; status: one row per change), until interrupted
      --watch-count N     with --watch: stop after N changes
      --timeout D         with --watch: stop watching after D (30, 30s, 5m); exit 0
      --watch-timeout S   with --watch: the server ends each watch request after S seconds
                          (timeoutSeconds, default ${DEFAULT_WATCH_TIMEOUT_SECONDS}); the script reconnects from the last
                          resourceVersion, re-reading the token when it is old or after a 401

Examples:
  get-daemonset.ts gateway -n test
  get-daemonset.ts gateway -n test -o status
  get-daemonset.ts gateway -n test -o status --watch
  get-daemonset.ts gateway -n test --watch --watch-count 1 -o yaml     # wait for the next change
  get-daemonset.ts gateway -n test --print-curl`;

const OPTIONS = {
  output: { type: 'string', short: 'o' },
  watch: { type: 'boolean', short: 'w' },
  'watch-count': { type: 'string' },
  timeout: { type: 'string' },
  'watch-timeout': { type: 'string' },
} as const;

interface DaemonSetStatus {
  desiredNumberScheduled?: number;
  currentNumberScheduled?: number;
  numberReady?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberUnavailable?: number;
}

interface DaemonSet extends KubeObject {
  status?: DaemonSetStatus;
}

interface WatchSettings {
  /** Stop after this many changes; undefined = no limit. */
  count?: number;
  /** Stop watching after this long; 0 = never. */
  timeoutMs: number;
  /** timeoutSeconds of each watch request. */
  streamSeconds: number;
}

function positiveInteger(flag: string, value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw usageError(`${flag} must be a positive integer (got ${value})`);
  return Number(value);
}

/** --watch and its flags; undefined without --watch (then the others are usage errors). */
function watchSettings(options: Cli<typeof OPTIONS>['options']): WatchSettings | undefined {
  if (options.watch !== true) {
    const stray = (['watch-count', 'timeout', 'watch-timeout'] as const).find((flag) => options[flag] !== undefined);
    if (stray !== undefined) throw usageError(`--${stray} only applies with --watch`);
    return undefined;
  }
  const count = options['watch-count'];
  const timeout = options.timeout;
  const stream = options['watch-timeout'];
  return {
    count: count === undefined ? undefined : positiveInteger('--watch-count', count),
    timeoutMs: timeout === undefined ? 0 : parseDurationFlag('--timeout', timeout),
    streamSeconds: stream === undefined ? DEFAULT_WATCH_TIMEOUT_SECONDS : positiveInteger('--watch-timeout', stream),
  };
}

/** DaemonSet names are DNS subdomains (which also keeps the URL path safe): anything else is a typo, exit 2. */
function checkName(name: string): void {
  const problem = dnsSubdomainProblem(name);
  if (problem !== undefined) throw usageError(`NAME ${quoteName(name)} is not a valid DaemonSet name: ${problem}`);
}

/** Namespaces are DNS labels: a bad -n is a usage error, a bad one from a kubeconfig or the pod's file a configuration error. */
function checkNamespace(namespace: string, source: string): void {
  const problem = dnsLabelProblem(namespace);
  if (problem === undefined) return;
  const message = `namespace ${quoteName(namespace)} (from ${source}) is not a valid namespace: ${problem}`;
  throw source === NAMESPACE_FLAG_SOURCE ? usageError(message) : configError(message);
}

/** /apis/apps/v1/namespaces/NS/daemonsets: where the watch looks. */
function collectionPath(namespace: string): string {
  return `/apis/apps/v1/namespaces/${namespace}/daemonsets`;
}

function daemonSetRequest(namespace: string, name: string): ApiRequest {
  return { method: 'GET', path: `${collectionPath(namespace)}/${name}?resourceVersion=0` };
}

function parseDaemonSet(body: Buffer): DaemonSet {
  return parseJson(body) as DaemonSet;
}

function statusRow(daemonSet: DaemonSet): string[] {
  const status = daemonSet.status ?? {};
  const count = (value: number | undefined) => String(value ?? 0);
  return [
    daemonSet.metadata?.name ?? '',
    count(status.desiredNumberScheduled),
    count(status.currentNumberScheduled),
    count(status.numberReady),
    count(status.updatedNumberScheduled),
    count(status.numberAvailable),
    count(status.numberUnavailable),
  ];
}

/** Prints the first version and every change after it in the chosen format (kubectl get [-w] semantics). */
class DaemonSetPrinter {
  private printed = 0;
  private widths: number[] = [];

  constructor(
    private readonly format: OutputFormat,
    private readonly watching: boolean,
  ) {}

  /** The GET's answer: for json, the body exactly as the server sent it. */
  async printBody(body: Buffer): Promise<void> {
    if (this.format !== 'json') return this.printObject(parseDaemonSet(body));
    this.printed++;
    await writeStdout(body);
    // The pretty body has no trailing newline; a watch's next object must start on a line of its own.
    if (this.watching && !body.toString('utf8').endsWith('\n')) await writeStdout('\n');
  }

  /** A version that came as an object (a watch event), or the first one for yaml and status. */
  async printObject(daemonSet: DaemonSet): Promise<void> {
    const first = this.printed === 0;
    this.printed++;
    if (this.format === 'json') return writeStdout(`${prettyJson(daemonSet)}\n`);
    if (this.format === 'yaml') return writeStdout(`${first ? '' : '---\n'}${goYaml(daemonSet)}`);
    const row = statusRow(daemonSet);
    if (!first) return writeStdout(formatColumns([row], this.widths));
    const rows = [[...STATUS_HEADER], row];
    this.widths = columnWidths(rows);
    return writeStdout(formatColumns(rows, this.widths));
  }
}

/** --print-curl: the GET on stdout; with --watch, the watch request as a note. */
function watchCurlNote(cli: Cli<typeof OPTIONS>, namespace: string, name: string, watch: WatchSettings): string {
  const request = watchRequest(collectionPath(namespace), name, 'RV', watch.streamSeconds);
  const command = renderCurl(cli.config(), request).command.replace(/^curl /, 'curl -N ');
  return `--watch then streams changes with: ${command} (RV: .metadata.resourceVersion of the first answer; reconnect when it ends)`;
}

// The recipe of "容器内访问k8s api-server" and of the guide, step by step; each comment names its variable.
async function main(cli: Cli<typeof OPTIONS>): Promise<void> {
  const format = outputFormat(cli.options.output, OUTPUT_FORMATS);
  const watch = watchSettings(cli.options);
  const name = cli.positionals[0] ?? '';
  checkName(name);
  // APISERVER=https://kubernetes.default.svc, SERVICEACCOUNT=/var/run/secrets/kubernetes.io/serviceaccount: in a pod
  // the address comes from $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT; flags or a kubeconfig first (lib/config.ts)
  const config = cli.config();
  const { namespace, namespaceSource } = config; // NAMESPACE=$(cat ${SERVICEACCOUNT}/namespace), unless -n
  checkNamespace(namespace, namespaceSource);
  if (cli.printCurlOnly) {
    const extra = format === 'json' ? [] : [`curl prints the JSON; -o ${format} is computed from it`];
    if (watch !== undefined) extra.push(watchCurlNote(cli, namespace, name, watch));
    return cli.printCurl(daemonSetRequest(namespace, name), ...extra);
  }
  const token = await loadCredentials(config); // TOKEN=$(cat ${SERVICEACCOUNT}/token), read again as kubelet rotates it
  const client = await cli.connect(config, token); // CACERT=${SERVICEACCOUNT}/ca.crt: the server is verified with it
  const request = daemonSetRequest(namespace, name); // ${APISERVER}/apis/apps/v1/namespaces/${NAMESPACE}/daemonsets/NAME?resourceVersion=0
  const response = await client.send(request); // curl --cacert ${CACERT} --header "Authorization: Bearer ${TOKEN}" "${APISERVER}/…"
  const printer = new DaemonSetPrinter(format, watch !== undefined);
  await printer.printBody(response.body);
  if (watch !== undefined) await followChanges(cli, client, printer, { namespace, name, initial: parseDaemonSet(response.body), watch });
}

/** --watch: every later version, from the one printed, until --watch-count, --timeout or a signal. */
async function followChanges(
  cli: Cli<typeof OPTIONS>,
  client: ApiClient,
  printer: DaemonSetPrinter,
  target: { namespace: string; name: string; initial: DaemonSet; watch: WatchSettings },
): Promise<void> {
  const { watch } = target;
  const deadline = new AbortController();
  const timer = watch.timeoutMs > 0 ? setTimeout(() => deadline.abort(), watch.timeoutMs) : undefined;
  let changes = 0;
  try {
    const changesOf = watchObject(client, {
      collectionPath: collectionPath(target.namespace),
      name: target.name,
      initial: target.initial,
      timeoutSeconds: watch.streamSeconds,
      signal: deadline.signal,
      log: cli.log,
    });
    for await (const change of changesOf) {
      await printer.printObject(change.object as DaemonSet);
      if (watch.count !== undefined && ++changes >= watch.count) break;
    }
  } finally {
    clearTimeout(timer);
  }
}

await runScript({ name: 'get-daemonset', usage: USAGE, options: OPTIONS, arguments: [{ name: 'NAME', required: true }] }, main);
