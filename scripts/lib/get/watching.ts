// What get.ts -w has printed, so that a relist after 410 Gone prints only what changed meanwhile,
// and nothing twice. kubectl get -w never relists (watchtools.UntilWithoutRetry: the watch ends
// with the server's stream); get.ts keeps going: it resumes from the last resourceVersion when a
// stream ends or breaks (nothing lost, nothing repeated: the server replays only what came after),
// and when that version is too old it lists again and compares with what it printed:
// new objects are ADDED, objects with another resourceVersion MODIFIED, objects gone DELETED
// (printed as they last were, as a watch's DELETED event shows them).

import type { ObjectChange, KubeObject as WatchedObject } from '../watch.ts';
import { entriesOf, keyOf, type KubeObject, type ListBody, metadataOf } from './list.ts';
import type { TableRow } from './table.ts';

interface Seen {
  resourceVersion: string;
  /** What printed it: the object, or (for tables) a one-row Table. */
  printable: WatchedObject;
}

function resourceVersionOf(entry: KubeObject | TableRow): string {
  return metadataOf(entry)?.resourceVersion ?? '';
}

/** A list entry as a watch event would carry it: the object, or its row as a one-row Table (no columns: the last ones). */
function printableOf(entry: KubeObject | TableRow, body: ListBody): WatchedObject {
  if (body.kind !== 'Table') return entry as WatchedObject;
  return {
    kind: 'Table',
    apiVersion: body.apiVersion,
    metadata: { resourceVersion: resourceVersionOf(entry) },
    columnDefinitions: null,
    rows: [entry],
  };
}

/** The entry a watch event's object stands for (its single row, for a Table). */
function entryOfEvent(object: WatchedObject): KubeObject | TableRow | undefined {
  if (object.kind !== 'Table') return object as KubeObject;
  return (object.rows as TableRow[] | undefined)?.[0];
}

export class SeenObjects {
  private readonly seen = new Map<string, Seen>();

  /** Remember a list page's entries (the starting list, or a relist's). */
  notePage(body: ListBody): void {
    for (const entry of entriesOf(body)) {
      const key = keyOf(entry);
      if (key !== undefined) this.seen.set(key, { resourceVersion: resourceVersionOf(entry), printable: printableOf(entry, body) });
    }
  }

  /** Remember what an event printed. */
  noteEvent(change: ObjectChange): void {
    const entry = entryOfEvent(change.object);
    const key = entry === undefined ? undefined : keyOf(entry);
    if (entry === undefined || key === undefined) return;
    if (change.type === 'DELETED') this.seen.delete(key);
    else this.seen.set(key, { resourceVersion: resourceVersionOf(entry), printable: change.object });
  }

  /** A relist's pages against what was printed: the changes to print, in list order then the deleted ones. */
  changesFrom(pages: readonly ListBody[]): ObjectChange[] {
    const changes: ObjectChange[] = [];
    const listed = new Set<string>();
    for (const body of pages) {
      for (const entry of entriesOf(body)) {
        const key = keyOf(entry);
        if (key === undefined) continue;
        listed.add(key);
        const before = this.seen.get(key);
        const resourceVersion = resourceVersionOf(entry);
        if (before?.resourceVersion === resourceVersion) continue;
        changes.push({ type: before === undefined ? 'ADDED' : 'MODIFIED', object: printableOf(entry, body) });
      }
    }
    for (const [key, before] of this.seen) if (!listed.has(key)) changes.push({ type: 'DELETED', object: before.printable });
    for (const change of changes) this.noteEvent(change);
    return changes;
  }
}
