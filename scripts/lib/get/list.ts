// A list read in pages, handed on page by page so that memory does not grow with the list, as
// kubectl's --chunk-size reads it (default 500; k8s.io/cli-runtime/pkg/resource/visitor.go
// FollowContinue): GET …?limit=N, then …?limit=N&continue=TOKEN until the server sends no token.
//
// Where kubectl gives up when a continue token has expired (410: more than the server's window of
// writes happened while it read), this lists again from the start and skips what was already
// handed on: the objects come in key order (namespace/name, as etcd stores them), so everything up
// to the last key seen was printed once. The rest then comes from the newer list; a warning on
// stderr says so.

import { keepHeapSmall } from '../heap.ts';
import type { ApiClient } from '../http.ts';
import { parseJson } from '../json.ts';
import type { Log } from '../log.ts';
import { isExpired } from './kubectl-errors.ts';
import { listRequest, type Scope } from './requests.ts';
import type { ServerTable, TableRow } from './table.ts';

/** kubectl's --chunk-size default (cmdutil.DefaultChunkSize). */
export const DEFAULT_CHUNK_SIZE = 500;

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

/** A list page: the objects of a PodList, or the rows of a Table. */
export interface ListBody extends ServerTable {
  apiVersion?: string;
  kind?: string;
  items?: KubeObject[];
  metadata?: { resourceVersion?: string; continue?: string };
}

/** The objects (or rows) of a page. */
export function entriesOf(body: ListBody): (KubeObject | TableRow)[] {
  return body.kind === 'Table' ? (body.rows ?? []) : (body.items ?? []);
}

/** An object's metadata, or a Table row's object's (includeObject=Metadata). */
export function metadataOf(entry: KubeObject | TableRow): ObjectMeta | undefined {
  return Array.isArray((entry as TableRow).cells) ? ((entry as TableRow).object?.metadata ?? undefined) : (entry as KubeObject).metadata;
}

/** Where an object or a row sits in the store's order: "namespace/name" or "name"; undefined without a name. */
export function keyOf(entry: KubeObject | TableRow): string | undefined {
  const metadata = metadataOf(entry);
  if (!metadata?.name) return undefined;
  return metadata.namespace ? `${metadata.namespace}/${metadata.name}` : metadata.name;
}

/** `body` with only the entries after `key` (a restarted list skipping what was printed). */
export function entriesAfter(body: ListBody, key: string): ListBody {
  const after = (entry: KubeObject | TableRow) => {
    const entryKey = keyOf(entry);
    return entryKey === undefined || entryKey > key;
  };
  return body.kind === 'Table' ? { ...body, rows: (body.rows ?? []).filter(after) } : { ...body, items: (body.items ?? []).filter(after) };
}

export interface ListOptions {
  /** Objects per page (--chunk-size); 0: one request for the whole list. */
  chunkSize: number;
  log: Log;
  signal?: AbortSignal;
}

/** Each page of the list as it arrives. An API error is thrown as ApiClient throws it. */
export async function* listPages(client: Pick<ApiClient, 'send'>, scope: Scope, options: ListOptions): AsyncGenerator<ListBody> {
  let continueToken: string | undefined;
  let lastKey: string | undefined;
  let skipThrough: string | undefined;
  let handedOn = 0;
  keepHeapSmall();
  for (;;) {
    let body: ListBody;
    try {
      const response = await client.send(listRequest(scope, options.chunkSize, continueToken), { signal: options.signal });
      body = parseJson(response.body) as ListBody;
    } catch (err) {
      if (continueToken === undefined || !isExpired(err)) throw err;
      options.log.warn(
        `the list changed too much while it was read (410: its continue token expired after ${handedOn} objects); ` +
          'listing again from the start and leaving out the objects already printed',
      );
      continueToken = undefined;
      skipThrough = lastKey;
      continue;
    }
    const page = skipThrough === undefined ? body : entriesAfter(body, skipThrough);
    const entries = entriesOf(page);
    handedOn += entries.length;
    for (const entry of entries) lastKey = keyOf(entry) ?? lastKey;
    yield page;
    continueToken = body.metadata?.continue || undefined;
    if (continueToken === undefined) return;
  }
}
