// How the bench tells its results: Markdown tables for people (the README quotes one run), the
// same numbers as JSON for machines (--json). A cell is a number with its unit, so both forms come
// from one value.

export type Unit = 'ms' | 's' | 'MiB' | 'x' | 'req/s' | 'count' | 'text';

export interface Cell {
  value: number | string | null;
  unit: Unit;
}

export interface Table {
  id: string;
  title: string;
  columns: string[];
  rows: Cell[][];
  notes: string[];
}

export const text = (value: string): Cell => ({ value, unit: 'text' });
export const ms = (value: number): Cell => ({ value, unit: 'ms' });
export const mib = (value: number): Cell => ({ value, unit: 'MiB' });
export const times = (value: number): Cell => ({ value, unit: 'x' });
export const seconds = (value: number): Cell => ({ value, unit: 's' });
export const perSecond = (value: number): Cell => ({ value, unit: 'req/s' });
export const count = (value: number): Cell => ({ value, unit: 'count' });

function show(cell: Cell): string {
  if (typeof cell.value === 'string') return cell.value;
  // NaN: not measured, or no base to divide by (JSON, between the sandbox and here, makes it null).
  if (cell.value === null || Number.isNaN(cell.value)) return 'n/a';
  switch (cell.unit) {
    case 'ms':
      return `${cell.value.toFixed(cell.value < 10 ? 2 : cell.value < 100 ? 1 : 0)} ms`;
    case 's':
      return `${cell.value.toFixed(3)} s`;
    case 'MiB':
      return `${cell.value.toFixed(1)} MiB`;
    case 'x':
      return `${cell.value.toFixed(2)}×`;
    case 'req/s':
      return cell.value.toFixed(0);
    default:
      return String(cell.value);
  }
}

export function markdown(table: Table): string {
  const align = table.rows[0]?.map((cell) => (cell.unit === 'text' ? '---' : '---:')) ?? table.columns.map(() => '---');
  const lines = [
    `## ${table.title}`,
    '',
    `| ${table.columns.join(' | ')} |`,
    `|${align.join('|')}|`,
    ...table.rows.map((row) => `| ${row.map(show).join(' | ')} |`),
  ];
  if (table.notes.length > 0) lines.push('', ...table.notes);
  return `${lines.join('\n')}\n`;
}

/** One table as JSON: rows as objects keyed by column, numbers as numbers. */
export function asJson(table: Table): unknown {
  return {
    id: table.id,
    title: table.title,
    rows: table.rows.map((row) =>
      Object.fromEntries(
        row.map((cell, i) => [table.columns[i], typeof cell.value === 'number' && Number.isNaN(cell.value) ? null : cell.value]),
      ),
    ),
    notes: table.notes,
  };
}
