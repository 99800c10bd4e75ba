// kubectl's column layout: Go's text/tabwriter as kubectl configures it
// (k8s.io/cli-runtime/pkg/printers/tabwriter.go: minwidth 6, tabwidth 4, padding 3, pad with
// spaces, RememberWidths), ported from github.com/liggitt/tabwriter (text/tabwriter plus the
// RememberWidths flag, so that a watch's later rows keep the columns of its first ones).
//
// Cells end with a tab; a line's last cell is not aligned. A column is as wide as its widest cell
// plus 3, at least 6; widths count characters (runes), not bytes. A line without a tab ends the
// block: the writer flushes there. flush() writes what is buffered; the widths it used are
// remembered, and a later flush only ever widens a column (as kubectl get -w prints).
// Only what kubectl uses is ported: no AlignRight, DiscardEmptyColumns, FilterHTML or escapes.

const MIN_WIDTH = 6;
const PADDING = 3;

interface Cell {
  /** The cell's text. */
  text: string;
  /** Its width in runes. */
  width: number;
  /** Terminated by a tab (a column cell) rather than by the end of the line. */
  htab: boolean;
}

/** The width of `text` as tabwriter counts it: one per rune (code point). */
export function runeCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

export class TabWriter {
  private lines: Cell[][] = [[]];
  private pending = '';
  private widths: number[] = [];
  private maxWidths: number[] = [];
  private readonly out: (text: string) => void;

  constructor(out: (text: string) => void) {
    this.out = out;
  }

  /** Add text; "\t" ends a cell, "\n" a line (and the block, when the line has one cell). */
  write(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch !== '\t' && ch !== '\v' && ch !== '\n' && ch !== '\f') continue;
      this.pending += text.slice(start, i);
      start = i + 1;
      const cells = this.terminateCell(ch === '\t');
      if (ch === '\n' || ch === '\f') {
        this.lines.push([]);
        if (ch === '\f' || cells === 1) this.flush();
      }
    }
    this.pending += text.slice(start);
  }

  /** Write out every complete line (and a last partial one), then start a new block. */
  flush(): void {
    if (this.pending !== '') this.terminateCell(false);
    const chunks: string[] = [];
    this.format(chunks, 0, this.lines.length);
    this.lines = [[]];
    this.widths = [];
    if (chunks.length > 0) this.out(chunks.join(''));
  }

  private terminateCell(htab: boolean): number {
    const line = this.lines[this.lines.length - 1]!;
    line.push({ text: this.pending, width: runeCount(this.pending), htab });
    this.pending = '';
    return line.length;
  }

  private writeLines(chunks: string[], line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i]!;
      line.forEach((cell, j) => {
        chunks.push(cell.text);
        if (j < this.widths.length) chunks.push(' '.repeat(Math.max(0, this.widths[j]! - cell.width)));
      });
      // The last buffered line is the one still being written: no newline of its own yet.
      if (i + 1 < this.lines.length) chunks.push('\n');
    }
  }

  private format(chunks: string[], line0: number, line1: number): void {
    const column = this.widths.length;
    for (let current = line0; current < line1; current++) {
      if (column >= this.lines[current]!.length - 1) continue;
      // A block of consecutive lines with a cell in this column starts here.
      this.writeLines(chunks, line0, current);
      line0 = current;
      let width = MIN_WIDTH;
      for (; current < line1; current++) {
        const line = this.lines[current]!;
        if (column >= line.length - 1) break;
        width = Math.max(width, line[column]!.width + PADDING);
      }
      // RememberWidths: a column never gets narrower than it was in an earlier flush.
      if (this.maxWidths.length < this.widths.length) this.maxWidths.push(...this.widths.slice(this.maxWidths.length));
      if (this.maxWidths.length === this.widths.length) this.maxWidths.push(width);
      else if (this.maxWidths[column]! > width) width = this.maxWidths[column]!;
      else this.maxWidths[column] = width;
      this.widths.push(width);
      this.format(chunks, line0, current);
      this.widths.pop();
      line0 = current;
    }
    this.writeLines(chunks, line0, line1);
  }
}
