// Output helpers for what curl does not print itself: kubectl-style tables and JSON in the
// API server's own pretty format (for objects we print that did not come as a body, e.g. watch events);
// and where stdout left off, so an error on stderr never glues onto the end of a body.

import { fstatSync } from 'node:fs';

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

// ---------------------------------------------------------------------------
// Where stdout left off, so a message on stderr starts on its own line

/** The last byte written to stdout through writeStdout (cli.ts), undefined before the first. */
let lastStdoutByte: number | undefined;

/** Record what went to stdout (called by cli.ts writeStdout, the one way the scripts write it). */
export function noteStdoutWritten(data: string | Uint8Array): void {
  if (data.length === 0) return;
  lastStdoutByte = typeof data === 'string' ? data.charCodeAt(data.length - 1) : data[data.length - 1];
}

/**
 * Whether fds 1 and 2 are one open file: the same terminal, or `2>&1` into one file or pipe.
 * Compared by device and inode, as two descriptors for one terminal have different numbers but
 * the same (dev, ino); two pipes or a pipe and a terminal differ.
 */
export function stdoutIsStderr(): boolean {
  try {
    const out = fstatSync(1);
    const err = fstatSync(2);
    return out.dev === err.dev && out.ino === err.ino;
  } catch {
    return false;
  }
}

/**
 * What to write to stderr before a line so it starts on a line of its own: "\n" when stdout ended
 * mid-line (an API Status body has no final newline, as curl prints it) and the reader sees both
 * streams in one place; otherwise nothing, so stdout stays byte for byte what curl prints.
 */
export function stderrLineBreak(): string {
  return lastStdoutByte !== undefined && lastStdoutByte !== 0x0a && stdoutIsStderr() ? '\n' : '';
}
