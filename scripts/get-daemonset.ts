#!/usr/bin/env -S npx tsx
/**
 * get-daemonset — read one DaemonSet the way the in-pod curl article does:
 * GET /apis/apps/v1/namespaces/NS/daemonsets/NAME?resourceVersion=0
 * (resourceVersion=0 lets the API server answer from its watch cache instead of etcd).
 *
 * Usage: get-daemonset.ts NAME [-n NS] [-o json|yaml|status] [flags]
 *   -o json    the body exactly as the server sent it (default)
 *   -o yaml    the same object as YAML (keys sorted, as kubectl -o yaml prints them)
 *   -o status  desired/current/ready/up-to-date/available/unavailable counts
 *
 * Reads: the connection flags; $KUBECONFIG or ~/.kube/config; in a pod,
 * $KUBERNETES_SERVICE_HOST/PORT and /var/run/secrets/kubernetes.io/serviceaccount/
 * {token,ca.crt,namespace} (the namespace file is the default for -n).
 *
 * Exit codes: 0 ok, 1 bug, 2 usage, 3 no configuration, 4 connection failed,
 * 5 TLS verification failed, 6 HTTP 401, 7 HTTP 403, 8 HTTP 404 (no such DaemonSet),
 * 9 other HTTP error. On an HTTP error the Status document is printed on stdout.
 *
 * Equivalent curl (in a pod):
 *   SERVICEACCOUNT=/var/run/secrets/kubernetes.io/serviceaccount
 *   NAMESPACE=$(cat $SERVICEACCOUNT/namespace)
 *   curl --cacert $SERVICEACCOUNT/ca.crt -H "Authorization: Bearer $(cat $SERVICEACCOUNT/token)" \
 *     "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/apis/apps/v1/namespaces/$NAMESPACE/daemonsets/NAME?resourceVersion=0"
 */

import { stringify as toYaml } from 'yaml';
import { runScript, writeStdout, type Cli } from './lib/cli.ts';
import { EXIT, ExitError, usageError } from './lib/errors.ts';
import type { ApiRequest } from './lib/http.ts';

const OUTPUT_FORMATS = ['json', 'yaml', 'status'] as const;
type OutputFormat = (typeof OUTPUT_FORMATS)[number];
/** Object names are DNS subdomains (RFC 1123), which also keeps the URL path safe. */
const NAME_PATTERN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const COLUMN_GAP = '   ';

const USAGE = `Usage: get-daemonset.ts NAME [-n NS] [-o json|yaml|status] [flags]

GET /apis/apps/v1/namespaces/NS/daemonsets/NAME?resourceVersion=0 and print it.

  NAME                DaemonSet name
  -o, --output FMT    json (default: the body exactly as sent), yaml (as kubectl -o yaml),
                      or status (the rollout counts as a table)

Examples:
  get-daemonset.ts gateway -n test
  get-daemonset.ts gateway -n test -o status
  get-daemonset.ts gateway -n test --print-curl`;

const OPTIONS = { output: { type: 'string', short: 'o' } } as const;

interface DaemonSetStatus {
  desiredNumberScheduled?: number;
  currentNumberScheduled?: number;
  numberReady?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberUnavailable?: number;
}

interface DaemonSet {
  metadata?: { name?: string; namespace?: string };
  status?: DaemonSetStatus;
}

function outputFormat(value: string | undefined): OutputFormat {
  const format = value ?? 'json';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
    throw usageError(`--output must be one of ${OUTPUT_FORMATS.join(', ')} (got ${format})`);
  }
  return format as OutputFormat;
}

function daemonSetRequest(namespace: string, name: string): ApiRequest {
  if (!NAME_PATTERN.test(name)) throw usageError(`NAME must be a lower-case DNS name (got ${name})`);
  if (!NAME_PATTERN.test(namespace)) throw usageError(`the namespace must be a lower-case DNS name (got ${namespace})`);
  return { method: 'GET', path: `/apis/apps/v1/namespaces/${namespace}/daemonsets/${name}?resourceVersion=0` };
}

function parseDaemonSet(body: Buffer): DaemonSet {
  try {
    return JSON.parse(body.toString('utf8')) as DaemonSet;
  } catch (err) {
    throw new ExitError(EXIT.API_ERROR, 'the API server answered 200 but the body is not JSON', { cause: err });
  }
}

/** Rows of cells as left-aligned columns separated by three spaces (kubectl's table look). */
function formatColumns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join(COLUMN_GAP))
    .join('\n')
    .concat('\n');
}

function statusTable(daemonSet: DaemonSet): string {
  const status = daemonSet.status ?? {};
  const count = (value: number | undefined) => String(value ?? 0);
  return formatColumns([
    ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'UNAVAILABLE'],
    [
      daemonSet.metadata?.name ?? '',
      count(status.desiredNumberScheduled),
      count(status.currentNumberScheduled),
      count(status.numberReady),
      count(status.updatedNumberScheduled),
      count(status.numberAvailable),
      count(status.numberUnavailable),
    ],
  ]);
}

async function main(cli: Cli<typeof OPTIONS>): Promise<void> {
  const format = outputFormat(cli.options.output);
  const name = cli.positionals[0] ?? '';
  const request = daemonSetRequest(cli.config().namespace, name);
  if (cli.printCurlOnly) {
    const extra = format === 'json' ? [] : [`curl prints the JSON; -o ${format} is computed from it`];
    return cli.printCurl(request, ...extra);
  }
  const response = await (await cli.client()).send(request);
  if (format === 'json') return writeStdout(response.body);
  const daemonSet = parseDaemonSet(response.body);
  if (format === 'yaml') return writeStdout(toYaml(daemonSet, { sortMapEntries: true, indentSeq: false, lineWidth: 0 }));
  return writeStdout(statusTable(daemonSet));
}

await runScript(
  { name: 'get-daemonset', usage: USAGE, options: OPTIONS, arguments: [{ name: 'NAME', required: true }] },
  main,
);
