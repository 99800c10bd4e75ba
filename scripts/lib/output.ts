// Output helpers for what curl does not print itself: kubectl-style tables and JSON in the
// API server's own pretty format (for objects we print that did not come as a body, e.g. watch events).

const COLUMN_GAP = '   ';

/** The width of each column: the longest cell in it. */
export function columnWidths(rows: readonly (readonly string[])[]): number[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return widths;
}

/**
 * Rows of cells as left-aligned columns separated by three spaces (kubectl's table look), each row
 * ending in a newline. `widths` fixes the columns (a watch keeps those of its first rows, as
 * kubectl get -w does); a longer cell pushes the rest of its row to the right.
 */
export function formatColumns(rows: readonly (readonly string[])[], widths: readonly number[] = columnWidths(rows)): string {
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join(COLUMN_GAP))
    .map((line) => `${line}\n`)
    .join('');
}

const GO_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/**
 * `value` as kube-apiserver pretty-prints JSON (?pretty=true, or curl's User-Agent): two-space indent,
 * no trailing newline, and <, >, &, U+2028, U+2029 escaped as Go's encoding/json escapes them.
 */
export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/[<>&\u2028\u2029]/g, (char) => GO_ESCAPES[char] ?? char);
}
