// Server-side Tables printed as kubectl prints them: the HumanReadablePrinter of
// k8s.io/cli-runtime/pkg/printers/tableprinter.go (PrintObj, decorateTable, printTable) fed
// by kubectl get (k8s.io/kubectl/pkg/cmd/get/get.go). The rows come out as tab-separated
// lines for the TabWriter (tabwriter.ts), which lays out kubectl's columns.
//
// - Headers are the column names upper-cased, printed once per run of tables with the same
//   columns (pages of one list, the events of a watch), and only above at least one row.
// - Columns with priority > 0 only with -o wide.
// - -A prepends NAMESPACE, --show-labels appends LABELS, both from the row's object
//   (includeObject=Metadata, the server's default).
// - A string cell is cut at its first \n, \r or \f with "..." appended, then ESC and CR are
//   escaped (printers.WriteEscaped); other cells print as Go's fmt.Sprint would.

import { goFloatString } from './go-values.ts';

export interface TableColumn {
  name: string;
  type?: string;
  format?: string;
  description?: string;
  priority?: number;
}

export interface TableRow {
  cells: unknown[];
  object?: { metadata?: { name?: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> } } | null;
}

/** A meta.k8s.io/v1 Table as the server sends it (a list page, an object, a watch event's object). */
export interface ServerTable {
  kind?: string;
  columnDefinitions?: TableColumn[] | null;
  rows?: TableRow[] | null;
  metadata?: { resourceVersion?: string; continue?: string };
}

export interface TableOptions {
  wide: boolean;
  noHeaders: boolean;
  /** -A: a NAMESPACE column first (not for cluster-scoped types). */
  withNamespace: boolean;
  showLabels: boolean;
}

/** labels.FormatLabels: "k=v,…" sorted by key, or "<none>". */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length === 0 ? '<none>' : keys.map((key) => `${key}=${labels![key]}`).join(',');
}

/** printers.WriteEscaped: terminal escapes made visible (issue #101695). */
export function escapeTerminal(text: string): string {
  return text.replaceAll('\x1b', '^[').replaceAll('\r', '\\r');
}

/** Go's fmt.Sprint for a cell value decoded from JSON (int64, float64, bool, string). */
export function sprintValue(value: unknown): string {
  if (typeof value === 'number') return goFloatString(value);
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** One cell as printTable writes it. */
export function cellText(cell: unknown): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell !== 'string') return escapeTerminal(sprintValue(cell));
  const cut = cell.search(/[\f\n\r]/);
  return cut >= 0 ? `${escapeTerminal(cell.slice(0, cut))}...` : escapeTerminal(cell);
}

function sameColumns(a: readonly TableColumn[] | undefined, b: readonly TableColumn[] | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * The HumanReadablePrinter: remembers the last columns printed, so later tables with the same
 * columns (or none, as watch events after the first) add rows under the same header.
 */
export class TablePrinter {
  private lastColumns: TableColumn[] | undefined;
  private printedHeaders = false;
  private readonly options: TableOptions;

  constructor(options: TableOptions) {
    this.options = options;
  }

  /** The lines (each ending in "\n", cells separated by "\t") that print `table`. */
  lines(table: ServerTable): string {
    const defined = table.columnDefinitions ?? [];
    let noHeaders = this.options.noHeaders;
    if (this.printedHeaders && (defined.length === 0 || sameColumns(defined, this.lastColumns))) noHeaders = true;
    let columns = defined;
    if (defined.length === 0) columns = this.lastColumns ?? [];
    else if (!sameColumns(defined, this.lastColumns)) {
      this.lastColumns = defined;
      this.printedHeaders = false;
    }
    const rows = table.rows ?? [];
    if (rows.length > 0) this.printedHeaders = true;
    return this.print(columns, rows, noHeaders);
  }

  private print(columns: readonly TableColumn[], rows: readonly TableRow[], noHeaders: boolean): string {
    const { wide, withNamespace, showLabels } = this.options;
    const shown = (column: TableColumn) => wide || (column.priority ?? 0) === 0;
    let text = '';
    if (!noHeaders && rows.length > 0) {
      const names = columns.filter(shown).map((column) => column.name.toUpperCase());
      text += `${[...(withNamespace ? ['NAMESPACE'] : []), ...names, ...(showLabels ? ['LABELS'] : [])].join('\t')}\n`;
    }
    for (const row of rows) {
      const metadata = row.object?.metadata;
      const cells: string[] = [];
      if (withNamespace) cells.push(cellText(metadata?.namespace ?? null));
      // Cells beyond the column definitions are dropped (https://issue.k8s.io/66379).
      row.cells.slice(0, columns.length).forEach((cell, i) => {
        if (shown(columns[i]!)) cells.push(cellText(cell));
      });
      if (showLabels) cells.push(row.object ? cellText(formatLabels(metadata?.labels)) : '');
      text += `${cells.join('\t')}\n`;
    }
    return text;
  }
}
