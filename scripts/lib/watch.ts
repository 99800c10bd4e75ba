// Follow one object with a watch, the way client-go's reflector keeps an informer alive:
//
//   GET <collection>?fieldSelector=metadata.name%3DNAME&watch=1&resourceVersion=RV&timeoutSeconds=T&allowWatchBookmarks=true
//
// The server sends one JSON event per line ({"type":"MODIFIED","object":{…}}) and ends the stream
// after T seconds; we reconnect from the last resourceVersion we saw (BOOKMARK events move it on
// while nothing changes). When that version is too old (410 Gone, as an HTTP status or as an ERROR
// event), we list the object again and watch from the list's resourceVersion. A stream broken by
// the network (exit-4 class) is reopened the same way; any other failure ends the watch.
//
// Every (re)connect is an ordinary ApiClient request, so it takes the token path of http.ts: the
// token file is re-read when our copy is older than a minute and once more after a 401. That is
// what keeps a watch alive for hours while kubelet rotates the projected token underneath it.
//
// watchCollection is that loop for any collection and selector (get.ts -w); watchObject follows one
// object by name on top of it (get-daemonset.ts --watch).

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT, ExitError } from './errors.ts';
import { statusError } from './failure.ts';
import { requestUrl, type ApiClient, type ApiRequest, type ApiResponse } from './http.ts';
import { parseJson } from './json.ts';
import { SILENT_LOG, type Log } from './log.ts';
import { prettyJson } from './output.ts';

/** Server-side length of one watch stream (timeoutSeconds), as --watch-timeout's default. */
export const DEFAULT_WATCH_TIMEOUT_SECONDS = 300;
/** Silence allowed beyond timeoutSeconds before a stream counts as dead (the server should have ended it). */
export const WATCH_IDLE_MARGIN_MS = 30_000;
/** At most one new watch connection per this long, so a server that keeps closing at once is not hammered. */
export const MIN_RECONNECT_INTERVAL_MS = 1000;

export interface KubeObject {
  kind?: string;
  apiVersion?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  [field: string]: unknown;
}

const EVENT_TYPES = ['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR'] as const;
export type WatchEventType = (typeof EVENT_TYPES)[number];

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

/** A new version of the watched object. */
export interface ObjectChange {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

/** One line of a JSON watch stream. A line that is not an event is an API error (exit 9). */
export function parseWatchEvent(line: string): WatchEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new ExitError(EXIT.API_ERROR, `the watch stream sent a line that is not JSON: ${line.slice(0, 80)}`, { cause: err });
  }
  const { type, object } = (value ?? {}) as { type?: unknown; object?: unknown };
  if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type) || typeof object !== 'object' || object === null) {
    throw new ExitError(EXIT.API_ERROR, `the watch stream sent something that is not a watch event: ${line.slice(0, 80)}`);
  }
  return { type: type as WatchEventType, object: object as KubeObject };
}

function nameSelector(name: string): string {
  return `fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`;
}

/** The watch of object `name` in `collectionPath` (e.g. /apis/apps/v1/namespaces/test/daemonsets) from `resourceVersion`. */
export function watchRequest(collectionPath: string, name: string, resourceVersion: string, timeoutSeconds: number): ApiRequest {
  return collectionWatchRequest(collectionPath, nameSelector(name), resourceVersion, timeoutSeconds);
}

/**
 * The watch of `collectionPath` from `resourceVersion`: `selector` is the query the list had
 * ("labelSelector=…&fieldSelector=…", or ""), `accept` a media type (kubectl get -w asks for Tables).
 */
export function collectionWatchRequest(
  collectionPath: string,
  selector: string,
  resourceVersion: string,
  timeoutSeconds: number,
  accept?: string,
): ApiRequest {
  const query = `${selector === '' ? '' : `${selector}&`}watch=1&resourceVersion=${encodeURIComponent(resourceVersion)}&timeoutSeconds=${timeoutSeconds}&allowWatchBookmarks=true`;
  return { method: 'GET', path: `${collectionPath}?${query}`, ...(accept !== undefined && { accept }) };
}

/** A consistent (not cached) list of object `name`: where a watch restarts after 410 Gone. */
export function listRequest(collectionPath: string, name: string): ApiRequest {
  return { method: 'GET', path: `${collectionPath}?${nameSelector(name)}` };
}

/** What a relist means for the watcher: the version to watch from, and the change (if any) since `last`. */
export function changeFromList(list: unknown, last: KubeObject | undefined): { resourceVersion: string; change?: ObjectChange } {
  const { metadata, items } = (list ?? {}) as { metadata?: { resourceVersion?: unknown }; items?: unknown };
  if (typeof metadata?.resourceVersion !== 'string' || !Array.isArray(items)) {
    throw new ExitError(EXIT.API_ERROR, 'the API server answered the list with something that is not a list');
  }
  const current = items[0] as KubeObject | undefined;
  const resourceVersion = metadata.resourceVersion;
  if (current === undefined)
    return last === undefined ? { resourceVersion } : { resourceVersion, change: { type: 'DELETED', object: last } };
  if (last === undefined) return { resourceVersion, change: { type: 'ADDED', object: current } };
  if (current.metadata?.resourceVersion === last.metadata?.resourceVersion) return { resourceVersion };
  return { resourceVersion, change: { type: 'MODIFIED', object: current } };
}

/** The HTTP code of an ERROR event's Status (0 when it has none). */
function errorEventCode(object: KubeObject): number {
  return typeof object.code === 'number' ? object.code : 0;
}

export interface WatchObjectOptions {
  /** The collection, e.g. /apis/apps/v1/namespaces/test/daemonsets. */
  collectionPath: string;
  name: string;
  /** The version already shown; the watch starts after its resourceVersion. */
  initial: KubeObject;
  /** Server-side length of each stream (timeoutSeconds). */
  timeoutSeconds: number;
  /** Ends the watch: the generator returns (an overall deadline, or the caller is done). */
  signal?: AbortSignal;
  log?: Log;
  minReconnectIntervalMs?: number;
}

type WatchClient = Pick<ApiClient, 'send' | 'stream' | 'config' | 'credentials'>;

/**
 * Every later version of one object (after `initial`), until `signal` aborts or the caller stops.
 * Throws ExitError when the server refuses (401/403 after the token logic, an ERROR event other
 * than 410) or cannot be reached.
 */
export async function* watchObject(client: WatchClient, options: WatchObjectOptions): AsyncGenerator<ObjectChange, void, undefined> {
  const { collectionPath, name, signal } = options;
  let last: KubeObject | undefined = options.initial;
  const changes = watchCollection(client, {
    ...options,
    selector: nameSelector(name),
    resourceVersion: options.initial.metadata?.resourceVersion,
    relist: async () => {
      const response = await client.send(listRequest(collectionPath, name), { signal });
      const listed = changeFromList(parseJson(response.body), last);
      return { resourceVersion: listed.resourceVersion, changes: listed.change === undefined ? [] : [listed.change] };
    },
  });
  for await (const change of changes) {
    last = change.type === 'DELETED' ? undefined : change.object;
    yield change;
  }
}

export interface WatchCollectionOptions {
  /** The collection, e.g. /api/v1/namespaces/test/pods or /api/v1/pods (all namespaces). */
  collectionPath: string;
  /** The list's selectors as a query ("labelSelector=app%3Dx&fieldSelector=…"), or "". */
  selector: string;
  /** Where the watch starts (a list's resourceVersion); undefined: relist first. */
  resourceVersion: string | undefined;
  /** The Accept header of the streams (e.g. kubectl's as=Table); default: the objects. */
  accept?: string;
  /** Server-side length of each stream (timeoutSeconds). */
  timeoutSeconds: number;
  /**
   * List again after 410 Gone: the resourceVersion to watch from, and the changes since what the
   * caller has seen (it knows what it printed).
   */
  relist(): Promise<{ resourceVersion: string; changes: ObjectChange[] }>;
  /** Ends the watch: the generator returns (an overall deadline, or the caller is done). */
  signal?: AbortSignal;
  log?: Log;
  minReconnectIntervalMs?: number;
}

/**
 * Every change in a collection after `resourceVersion`, until `signal` aborts or the caller stops:
 * streams reopened from the last resourceVersion seen (bookmarks included) when the server ends them
 * or the network breaks them, and a relist on 410 Gone. Throws ExitError when the server refuses
 * (401/403 after the token logic, an ERROR event other than 410) or cannot be reached.
 */
export async function* watchCollection(
  client: WatchClient,
  options: WatchCollectionOptions,
): AsyncGenerator<ObjectChange, void, undefined> {
  const { collectionPath, selector, accept, timeoutSeconds, signal } = options;
  const log = options.log ?? SILENT_LOG;
  const minInterval = options.minReconnectIntervalMs ?? MIN_RECONNECT_INTERVAL_MS;
  const stopped = () => signal?.aborted === true;
  let resourceVersion = options.resourceVersion;
  let lastOpened = -Infinity;

  while (!stopped()) {
    if (resourceVersion === undefined) {
      let listed: Awaited<ReturnType<WatchCollectionOptions['relist']>>;
      try {
        listed = await options.relist();
      } catch (err) {
        if (stopped()) return;
        throw err;
      }
      resourceVersion = listed.resourceVersion;
      yield* listed.changes;
      continue;
    }

    const wait = lastOpened + minInterval - performance.now();
    if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
    if (stopped()) return;
    lastOpened = performance.now();

    const request = collectionWatchRequest(collectionPath, selector, resourceVersion, timeoutSeconds, accept);
    let stream: Awaited<ReturnType<WatchClient['stream']>>;
    try {
      stream = await client.stream(request, { acceptStatuses: [410], idleTimeoutMs: timeoutSeconds * 1000 + WATCH_IDLE_MARGIN_MS, signal });
    } catch (err) {
      if (stopped()) return;
      throw err;
    }
    try {
      if (stream.status === 410) {
        log.verbose(`* watch: resourceVersion ${resourceVersion} is too old (410 Gone); listing again`);
        resourceVersion = undefined;
        continue;
      }
      for await (const line of stream.lines()) {
        const event = parseWatchEvent(line);
        if (event.type === 'ERROR') {
          if (errorEventCode(event.object) === 410) {
            log.verbose(`* watch: resourceVersion ${resourceVersion} is too old (ERROR event, 410 Gone); listing again`);
            resourceVersion = undefined;
            break;
          }
          throw errorEventFailure(client, request, event.object);
        }
        resourceVersion = event.object.metadata?.resourceVersion ?? resourceVersion;
        if (event.type === 'BOOKMARK') continue;
        yield { type: event.type, object: event.object };
      }
      if (resourceVersion !== undefined && !stopped()) log.verbose(`* watch: reconnecting from resourceVersion ${resourceVersion}`);
    } catch (err) {
      if (stopped()) return;
      if (!(err instanceof ExitError) || err.exitCode !== EXIT.CONNECTION) throw err;
      log.verbose(`* watch: the stream broke (${err.message}); reconnecting from resourceVersion ${resourceVersion}`);
    } finally {
      stream.close();
    }
  }
}

/** An ERROR event's Status as the same ExitError an HTTP status would give (the Status goes to stdout). */
function errorEventFailure(client: WatchClient, request: ApiRequest, status: KubeObject): ExitError {
  const response: ApiResponse = {
    status: errorEventCode(status) || 500,
    headers: {},
    body: Buffer.from(prettyJson(status)),
  };
  return statusError(request, requestUrl(client.config.server, request.path), response, client.credentials.description);
}
