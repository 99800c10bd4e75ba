// What kubectl's Go prints, where the auth commands print Go values: fmt's %v of a []string
// (https://pkg.go.dev/fmt, "[elem0 elem1 ...]" for slices, "[]" for nil), the byte order of
// strings.Compare / sort.Strings (which differs from JavaScript's UTF-16 order beyond the BMP), and
// whole lines laid out by kubectl's tabwriter (printers.GetNewTabWriter, ported in get/tabwriter.ts).

import { TabWriter } from '../get/tabwriter.ts';

/** fmt.Sprintf("%v", list) for a []string: "[get list watch]"; nil or empty is "[]". */
export function goStringSlice(list: readonly string[] | undefined): string {
  return `[${(list ?? []).join(' ')}]`;
}

/** strings.Compare: the UTF-8 bytes compared, as Go sorts strings. */
export function compareGoStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Rows written to kubectl's tabwriter as "cell\tcell\n" lines, then flushed: the aligned text. */
export function tabulate(rows: readonly (readonly string[])[]): string {
  let text = '';
  const writer = new TabWriter((chunk) => {
    text += chunk;
  });
  for (const cells of rows) writer.write(`${cells.join('\t')}\n`);
  writer.flush();
  return text;
}
