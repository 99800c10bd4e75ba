#!/usr/bin/env -S npx tsx
/**
 * get — kubectl get for a pod that has no kubectl: list or read objects of any resource type with
 * the pod's credentials, found as the guide "Accessing the Kubernetes API from a Pod"
 * (https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/) finds them, and print
 * them as kubectl 1.32 prints them: the server's Table with kubectl's columns, -o wide, name, json,
 * yaml or jsonpath=TEMPLATE. Lists are read in pages (--chunk-size) and printed as they arrive;
 * -w then follows every change with a watch that survives the server ending it, a broken
 * connection, an expired resourceVersion and the token's rotation. The flags are in USAGE (--help).
 *
 * Reads (first match wins): the connection flags; $KUBECONFIG or ~/.kube/config; in a pod,
 * $KUBERNETES_SERVICE_HOST/PORT and /var/run/secrets/kubernetes.io/serviceaccount/
 * {token,ca.crt,namespace} (the namespace file is the default for -n).
 *
 * Exit codes are kubectl's where kubectl does the same job: 0 ok (also "No resources found", and a
 * watch ended by --timeout), 1 whatever the API server refused or kubectl would reject (NotFound,
 * Forbidden, an unknown resource type, a failing template), with kubectl's words on stderr and
 * nothing else; then the project's: 2 usage (a flag get.ts does not know or cannot read),
 * 3 no configuration, 4 connection failed, 5 TLS verification failed, 130 SIGINT, 143 SIGTERM.
 *
 * Equivalent curl (in a pod), for `get.ts pods`:
 *   SERVICEACCOUNT=/var/run/secrets/kubernetes.io/serviceaccount
 *   curl --cacert $SERVICEACCOUNT/ca.crt -H "Authorization: Bearer $(cat $SERVICEACCOUNT/token)" \
 *     -H 'Accept: application/json;as=Table;v=v1;g=meta.k8s.io' \
 *     "https://kubernetes.default.svc/api/v1/namespaces/$(cat $SERVICEACCOUNT/namespace)/pods?limit=500"
 *   # then again with &continue=<.metadata.continue> until there is none; kubectl get does the same
 */

import { runScript, type Cli } from './lib/cli.ts';
import { parseDurationFlag } from './lib/duration.ts';
import { usageError } from './lib/errors.ts';
import { DEFAULT_WATCH_TIMEOUT_SECONDS } from './lib/watch.ts';
import { discoverTypes, NoResourceType, resolveType } from './lib/get/discovery.ts';
import { getObjects, type GetSettings, watchObjects, type WatchSettings } from './lib/get/get-objects.ts';
import { KUBECTL_ERROR_EXIT, writeStderrLines } from './lib/get/kubectl-errors.ts';
import { DEFAULT_CHUNK_SIZE } from './lib/get/list.ts';
import { parseOutputFormat, type OutputFormat } from './lib/get/printers.ts';

const USAGE = `Usage: get.ts RESOURCE [NAME...] [-n NS | -A] [-l SELECTOR] [--field-selector SELECTOR]
              [-o json|yaml|name|wide|jsonpath=TEMPLATE] [--no-headers] [--show-labels]
              [--chunk-size N] [-w | --watch-only] [flags]

kubectl get: list or read objects and print them as kubectl prints them.

  RESOURCE                 a resource type as kubectl takes it: plural (pods), singular (pod), short
                           name (po, ds, cm), kind (Pod), resource.group (daemonsets.apps) or
                           resource.version.group (daemonsets.v1.apps); TYPE/NAME reads one object
  NAME...                  these objects (default: the whole list)
  -A, --all-namespaces     every namespace (a NAMESPACE column first)
  -l, --selector SELECTOR  label selector, e.g. app=web,tier!=db
      --field-selector SEL field selector, e.g. status.phase=Running (the fields the server supports)
  -o, --output FORMAT      wide (more columns), name (kind.group/name), json, yaml (kubectl's List for
                           several objects), jsonpath=TEMPLATE (kubectl's template: {.items[*].metadata.name},
                           {range .items[*]}{.metadata.name}{"\\n"}{end}, filters [?(@.x=="y")])
      --no-headers         no header line in the table
      --show-labels        a LABELS column last in the table
      --chunk-size N       objects per request while listing (default ${DEFAULT_CHUNK_SIZE}; 0: one request)
  -w, --watch              after the list, print every change (a row per change in the table) until stopped
      --watch-only         print the changes only
      --timeout D          with -w: stop watching after D (30, 30s, 5m) and exit 0
      --watch-timeout S    with -w: the server ends each watch request after S seconds (default
                           ${DEFAULT_WATCH_TIMEOUT_SECONDS}); get.ts reconnects from the last resourceVersion

Examples:
  get.ts pods
  get.ts ds gateway -n test -o wide
  get.ts configmaps -A -o name
  get.ts pods -o jsonpath='{range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}'
  get.ts pods -w`;

const OPTIONS = {
  'all-namespaces': { type: 'boolean', short: 'A' },
  selector: { type: 'string', short: 'l' },
  'field-selector': { type: 'string' },
  output: { type: 'string', short: 'o' },
  'no-headers': { type: 'boolean' },
  'show-labels': { type: 'boolean' },
  'chunk-size': { type: 'string' },
  watch: { type: 'boolean', short: 'w' },
  'watch-only': { type: 'boolean' },
  timeout: { type: 'string' },
  'watch-timeout': { type: 'string' },
} as const;

type Options = Cli<typeof OPTIONS>['options'];

/** What was asked: the type as typed, the names, and how to print. */
interface GetArgs {
  resource: string;
  names: string[];
  format: OutputFormat;
}

/** RESOURCE NAME... or TYPE/NAME...: kubectl's two ways to name objects (one type at a time here). */
function typeAndNames(positionals: string[]): { resource: string; names: string[] } {
  const [first = '', ...rest] = positionals;
  if (first.includes(',')) throw usageError(`get.ts reads one resource type at a time (got ${first})`);
  if (!first.includes('/')) return { resource: first, names: rest };
  const pairs = positionals.map((arg) => arg.split('/'));
  if (pairs.some((pair) => pair.length !== 2 || pair[0] !== pairs[0]![0] || pair[1] === '')) {
    throw usageError('with TYPE/NAME, every argument is TYPE/NAME of the same type, e.g. get.ts ds/gateway ds/other');
  }
  return { resource: pairs[0]![0]!, names: pairs.map((pair) => pair[1]!) };
}

function count(flag: string, value: string | undefined, fallback: number, minimum: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < minimum)
    throw usageError(`${flag} must be a whole number${minimum > 0 ? ' above 0' : ''} (got ${value})`);
  return Number(value);
}

/** -w/--watch-only and their flags; undefined without them (then the others are usage errors). */
function watchSettings(options: Options): WatchSettings | undefined {
  if (options.watch !== true && options['watch-only'] !== true) {
    const stray = (['timeout', 'watch-timeout'] as const).find((flag) => options[flag] !== undefined);
    if (stray !== undefined) throw usageError(`--${stray} only applies with --watch or --watch-only`);
    return undefined;
  }
  return {
    only: options['watch-only'] === true,
    streamSeconds: count('--watch-timeout', options['watch-timeout'], DEFAULT_WATCH_TIMEOUT_SECONDS, 1),
    timeoutMs: options.timeout === undefined ? 0 : parseDurationFlag('--timeout', options.timeout),
  };
}

/** What kubectl's Validate and Complete refuse, in kubectl's words (its exit 1). */
function kubectlRefusal(args: GetArgs, options: Options): string | undefined {
  if (options['show-labels'] === true && args.format.kind !== 'table') {
    return `error: --show-labels option cannot be used with ${args.format.kind} printer`;
  }
  if (options['all-namespaces'] === true && args.names.length > 0)
    return 'error: a resource cannot be retrieved by name across all namespaces';
  return undefined;
}

async function main(cli: Cli<typeof OPTIONS>): Promise<void> {
  const { options } = cli;
  const args: GetArgs = { ...typeAndNames(cli.positionals), format: parseOutputFormat(options.output) };
  const watch = watchSettings(options);
  const chunkSize = count('--chunk-size', options['chunk-size'], DEFAULT_CHUNK_SIZE, 0);
  const refusal = kubectlRefusal(args, options);
  if (refusal !== undefined) {
    writeStderrLines([refusal]);
    cli.exitCode = KUBECTL_ERROR_EXIT;
    return;
  }
  // APISERVER, TOKEN, CACERT, NAMESPACE: the recipe's variables, resolved once (lib/config.ts).
  const { namespace } = cli.config();
  if (cli.printCurlOnly) {
    return cli.printCurl(
      { method: 'GET', path: '/apis' },
      `get.ts first reads discovery (/api and /apis) to learn which group and version serve ${JSON.stringify(args.resource)}, ` +
        `then lists it: GET /api/v1 or /apis/GROUP/VERSION, then /namespaces/${namespace}/RESOURCE?limit=${chunkSize}, following ` +
        ".metadata.continue; for the table it asks for kubectl's columns with -H 'Accept: application/json;as=Table;v=v1;g=meta.k8s.io'",
    );
  }
  const client = await cli.client();
  let type: ReturnType<typeof resolveType>;
  try {
    type = resolveType(args.resource, await discoverTypes(client, cli.log), (warning) => cli.log.warn(warning));
  } catch (err) {
    if (!(err instanceof NoResourceType)) throw err;
    writeStderrLines([`error: ${err.message}`]);
    cli.exitCode = KUBECTL_ERROR_EXIT;
    return;
  }
  const settings: GetSettings = {
    scope: {
      resource: type,
      namespace,
      allNamespaces: options['all-namespaces'] === true,
      labelSelector: options.selector,
      fieldSelector: options['field-selector'],
      table: args.format.kind === 'table',
    },
    names: args.names,
    format: args.format,
    noHeaders: options['no-headers'] === true,
    showLabels: options['show-labels'] === true,
    chunkSize,
  };
  cli.exitCode = watch ? await watchObjects(client, cli.log, { ...settings, watch }) : await getObjects(client, cli.log, settings);
}

await runScript(
  {
    name: 'get',
    usage: USAGE,
    options: OPTIONS,
    arguments: [
      { name: 'RESOURCE', required: true },
      { name: 'NAME', required: false, repeated: true },
    ],
  },
  main,
);
