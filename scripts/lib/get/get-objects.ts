// What kubectl get does with a resolved type (k8s.io/kubectl/pkg/cmd/get/get.go Run, printGeneric
// and watch), with the printing of printers.ts:
//   - NAMEs: one GET each; a missing or refused one is reported after the others (kubectl's
//     ContinueOnError), one name with -o json/yaml/name/jsonpath prints the object itself;
//   - no NAME: the list, page by page, printed as it arrives;
//   - a table that printed no row: "No resources found in NS namespace." (or "No resources found")
//     on stderr;
//   - -w: then the changes, from the list's resourceVersion, until stopped (watching.ts).
// Errors the API server answers are kubectl's lines on stderr and exit status 1 (kubectl-errors.ts).

import { writeStdout } from '../cli.ts';
import { EXIT, type ExitCode } from '../errors.ts';
import type { ApiClient } from '../http.ts';
import { parseJson } from '../json.ts';
import type { Log } from '../log.ts';
import { watchCollection } from '../watch.ts';
import { KUBECTL_ERROR_EXIT, kubectlMessage, writeStderrLines } from './kubectl-errors.ts';
import { type KubeObject, type ListBody, listPages } from './list.ts';
import { type GetPrinter, listPrinter, type OutputFormat, PrintError, singleObjectText, WatchPrinter } from './printers.ts';
import { collectionPath, objectRequest, type Scope, selectorQuery, TABLE_ACCEPT } from './requests.ts';
import { SeenObjects } from './watching.ts';

export interface WatchSettings {
  /** --watch-only: the list is read (for its resourceVersion) but not printed. */
  only: boolean;
  /** timeoutSeconds of each watch request. */
  streamSeconds: number;
  /** Stop watching after this long (--timeout); 0: never. */
  timeoutMs: number;
}

export interface GetSettings {
  scope: Scope;
  names: string[];
  format: OutputFormat;
  noHeaders: boolean;
  showLabels: boolean;
  chunkSize: number;
  watch?: WatchSettings;
}

interface Context {
  client: ApiClient;
  log: Log;
  settings: GetSettings;
}

/** A failure the API server answered: kubectl's line; anything else (connection, TLS, bugs) is rethrown. */
function kubectlLine(err: unknown): string {
  if (err instanceof PrintError) return `error: ${err.message}`;
  const line = kubectlMessage(err);
  if (line === undefined) throw err;
  return line;
}

function tableOptions(settings: GetSettings) {
  const { scope } = settings;
  return {
    noHeaders: settings.noHeaders,
    withNamespace: scope.allNamespaces && scope.resource.namespaced,
    showLabels: settings.showLabels,
  };
}

/** kubectl's message when a table printed no row. */
function noResources(settings: GetSettings): string {
  const { scope } = settings;
  return !scope.allNamespaces && scope.resource.namespaced ? `No resources found in ${scope.namespace} namespace.` : 'No resources found';
}

/** The objects NAMEs name, one GET each; the errors come after what could be printed. */
async function getNamed(context: Context, printer: GetPrinter | undefined): Promise<{ errors: string[]; last?: unknown }> {
  const { client, settings } = context;
  const errors: string[] = [];
  let last: unknown;
  for (const name of settings.names) {
    try {
      const body = parseJson((await client.send(objectRequest(settings.scope, name))).body);
      last = body;
      if (printer) await writeStdout(printer.object(body));
      else await writeStdout(singleObjectText(settings.format as Exclude<OutputFormat, { kind: 'table' }>, body as KubeObject));
    } catch (err) {
      errors.push(kubectlLine(err));
    }
  }
  return { errors, last };
}

/** The list, page by page; the first page's resourceVersion is where a watch starts. */
async function getList(context: Context, print: (body: ListBody) => string): Promise<string | undefined> {
  let resourceVersion: string | undefined;
  for await (const body of listPages(context.client, context.settings.scope, { chunkSize: context.settings.chunkSize, log: context.log })) {
    resourceVersion ??= body.metadata?.resourceVersion;
    await writeStdout(print(body));
  }
  return resourceVersion;
}

/** kubectl get without -w: returns the exit code (kubectl's 1 after any error). */
export async function getObjects(client: ApiClient, log: Log, settings: GetSettings): Promise<ExitCode> {
  const context = { client, log, settings };
  const errors: string[] = [];
  const single = settings.names.length === 1 && settings.format.kind !== 'table' && settings.format.kind !== 'name';
  let printer: GetPrinter | undefined;
  try {
    printer = single ? undefined : listPrinter(settings.format, tableOptions(settings));
    if (settings.names.length > 0) errors.push(...(await getNamed(context, printer)).errors);
    else await getList(context, (body) => printer!.page(body));
  } catch (err) {
    errors.push(kubectlLine(err));
  }
  // kubectl ends the List even after an error (a refused list prints an empty one with -o json or yaml).
  try {
    if (printer) await writeStdout(printer.end());
  } catch (err) {
    errors.push(kubectlLine(err));
  }
  if (printer?.printed === false && settings.format.kind === 'table' && errors.length === 0) writeStderrLines([noResources(settings)]);
  writeStderrLines(errors);
  return errors.length > 0 ? KUBECTL_ERROR_EXIT : EXIT.OK;
}

/** kubectl get -w / --watch-only: the list (or the named object), then every change until stopped. */
export async function watchObjects(client: ApiClient, log: Log, settings: GetSettings & { watch: WatchSettings }): Promise<ExitCode> {
  const { scope, names, watch } = settings;
  if (names.length > 1) {
    writeStderrLines(['error: watch is only supported on individual resources and resource collections - more than 1 resource was found']);
    return KUBECTL_ERROR_EXIT;
  }
  const printer = new WatchPrinter(settings.format, tableOptions(settings));
  const seen = new SeenObjects();
  const context = { client, log, settings };
  // --watch-only prints no object of the list; a table still learns its columns (kubectl's skipPrinter).
  const show = (body: ListBody) => {
    seen.notePage(body);
    if (!watch.only) return printer.page(body);
    if (body.kind === 'Table') printer.page({ ...body, rows: [] });
    return '';
  };
  const deadline = new AbortController();
  const timer = watch.timeoutMs > 0 ? setTimeout(() => deadline.abort(), watch.timeoutMs) : undefined;
  try {
    let resourceVersion: string | undefined;
    if (names.length === 1) {
      const body = parseJson((await client.send(objectRequest(scope, names[0]!))).body) as ListBody;
      resourceVersion = body.metadata?.resourceVersion;
      await writeStdout(show(body.kind === 'Table' ? body : { kind: 'List', items: [body as KubeObject] }));
    } else resourceVersion = await getList(context, show);
    const relistScope =
      names.length === 1
        ? { ...scope, fieldSelector: [scope.fieldSelector, `metadata.name=${names[0]}`].filter(Boolean).join(',') }
        : scope;
    const changes = watchCollection(client, {
      collectionPath: collectionPath(scope),
      selector: selectorQuery(scope, names[0]),
      resourceVersion,
      ...(scope.table && { accept: TABLE_ACCEPT }),
      timeoutSeconds: watch.streamSeconds,
      signal: deadline.signal,
      log,
      relist: async () => {
        const pages: ListBody[] = [];
        for await (const body of listPages(client, relistScope, { chunkSize: settings.chunkSize, log })) pages.push(body);
        return { resourceVersion: pages[0]?.metadata?.resourceVersion ?? '', changes: seen.changesFrom(pages) };
      },
    });
    for await (const change of changes) {
      seen.noteEvent(change);
      await writeStdout(printer.object(change.object));
    }
  } catch (err) {
    writeStderrLines([kubectlLine(err)]);
    return KUBECTL_ERROR_EXIT;
  } finally {
    clearTimeout(timer);
  }
  return EXIT.OK;
}
