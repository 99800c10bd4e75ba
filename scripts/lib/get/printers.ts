// kubectl get's output formats (-o), each as text to write as soon as objects arrive:
//   (none), wide   the server's Table, kubectl's columns (table.ts, tabwriter.ts)
//   name           "daemonset.apps/gateway", one per line (cli-runtime printers/name.go)
//   json, yaml     one object as it is; several (a list, several names) in kubectl's List wrapper,
//                  written item by item (get.go printGeneric; go-json.ts, go-yaml.ts)
//   jsonpath=T     kubectl's template over the object or the List (jsonpath.ts); the only format
//                  that needs the whole list before it can print
// and as kubectl get -w prints them: the table's rows under one header, every other format one
// object per event (yaml with "---" between them).

import { usageError } from '../errors.ts';
import { goJson, JsonListWriter } from './go-json.ts';
import { goSyntax } from './go-values.ts';
import { goYaml, goYamlSequenceItem } from './go-yaml.ts';
import { executeJsonPath, JsonPathExecutionError } from './jsonpath.ts';
import { JsonPathSyntaxError, type ListNode, parseJsonPath } from './jsonpath-parse.ts';
import type { KubeObject, ListBody } from './list.ts';
import { TablePrinter, type ServerTable, type TableOptions } from './table.ts';
import { TabWriter } from './tabwriter.ts';

export type OutputFormat =
  | { kind: 'table'; wide: boolean }
  | { kind: 'json' }
  | { kind: 'yaml' }
  | { kind: 'name' }
  | { kind: 'jsonpath'; template: string };

const FORMATS = ['json', 'jsonpath', 'name', 'wide', 'yaml'];

/** -o's value; an unknown one is a usage error in kubectl's words (NoCompatiblePrinterError). */
export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === '') return { kind: 'table', wide: false };
  if (value === 'wide') return { kind: 'table', wide: true };
  if (value === 'json' || value === 'yaml' || value === 'name') return { kind: value };
  const jsonpath = /^jsonpath=(.*)$/s.exec(value);
  if (jsonpath) return { kind: 'jsonpath', template: jsonpath[1]! };
  throw usageError(
    `unable to match a printer suitable for the output format ${JSON.stringify(value)}, allowed formats are: ${FORMATS.join(',')}`,
  );
}

/** A failure kubectl reports with exit 1 and these words (a bad template, a template that fails). */
export class PrintError extends Error {}

/** The parsed template; a syntax error is kubectl's "error parsing jsonpath T, reason". */
export function parseTemplate(template: string): ListNode {
  try {
    return parseJsonPath(template);
  } catch (err) {
    if (err instanceof JsonPathSyntaxError) throw new PrintError(`error parsing jsonpath ${template}, ${err.message}\n`);
    throw err;
  }
}

/** The template's output for `data`; a failure is kubectl's message, the object dumped as Go shows it. */
function runTemplate(template: string, parsed: ListNode, data: unknown): string {
  try {
    return executeJsonPath(parsed, data);
  } catch (err) {
    if (!(err instanceof JsonPathExecutionError)) throw err;
    const debug =
      `Error executing template: ${err.message}. Printing more information for debugging the template:\n` +
      `\ttemplate was:\n\t\t${template}\n\tobject given to jsonpath engine was:\n\t\t${goSyntax(data)}\n\n`;
    throw new PrintError(`error executing jsonpath ${JSON.stringify(template)}: ${debug}\n`);
  }
}

/** A list's items as kubectl hands them to its printers: each with the list's apiVersion and kind. */
export function listItems(body: ListBody): KubeObject[] {
  const kind = (body.kind ?? '').replace(/List$/, '');
  return (body.items ?? []).map((item) => ({ ...item, apiVersion: item.apiVersion ?? body.apiVersion, kind: item.kind ?? kind }));
}

/** name.go: "kind.group/name" (lowercase kind; no ".group" for the core group). */
export function nameLine(object: KubeObject): string {
  const apiVersion = object.apiVersion ?? '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const kind = (object.kind ?? '').toLowerCase();
  const name = object.metadata?.name || '<unknown>';
  return `${kind}${group === '' ? '' : `.${group}`}/${name}\n`;
}

const EMPTY_LIST_YAML = 'apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: ""\n';
const LIST_YAML_END = 'kind: List\nmetadata:\n  resourceVersion: ""\n';

/** Prints what a get fetched: object() per object fetched by name, page() per list page, then end(). */
export interface GetPrinter {
  object(object: unknown): string;
  page(body: ListBody): string;
  end(): string;
  /** Whether any row or object was printed (kubectl's "No resources found" otherwise, for tables). */
  readonly printed: boolean;
}

/**
 * The table: kubectl's HumanReadablePrinter through its tabwriter, flushed after every table (a list
 * page, a watch event). kubectl get buffers a whole list and aligns it once; get.ts prints each page
 * as it comes, so for a list longer than --chunk-size a later page's wider cell widens its column
 * from that row on (the tabwriter remembers widths, as in kubectl get -w), where kubectl would have
 * widened the rows above it too. Lists of one page print byte for byte alike.
 */
export class TableOutput implements GetPrinter {
  printed = false;
  private readonly printer: TablePrinter;
  private readonly writer: TabWriter;
  private chunks: string[] = [];

  constructor(options: TableOptions) {
    this.printer = new TablePrinter(options);
    this.writer = new TabWriter((text) => this.chunks.push(text));
  }

  object(table: unknown): string {
    const lines = this.printer.lines(table as ServerTable);
    if (lines !== '') this.printed = true;
    this.writer.write(lines);
    this.writer.flush();
    const text = this.chunks.join('');
    this.chunks = [];
    return text;
  }

  page(body: ListBody): string {
    return this.object(body);
  }

  end(): string {
    return '';
  }
}

/** -o name, json, yaml or jsonpath over a list or several names: one List, printed as it comes where the format allows. */
class ListOutput implements GetPrinter {
  printed = false;
  private readonly format: Exclude<OutputFormat, { kind: 'table' }>;
  private readonly json = new JsonListWriter((text) => this.chunks.push(text));
  private readonly template: ListNode | undefined;
  private readonly buffered: KubeObject[] = [];
  private chunks: string[] = [];
  private count = 0;

  constructor(format: Exclude<OutputFormat, { kind: 'table' }>) {
    this.format = format;
    this.template = format.kind === 'jsonpath' ? parseTemplate(format.template) : undefined;
  }

  object(object: unknown): string {
    return this.items([object as KubeObject]);
  }

  page(body: ListBody): string {
    return this.items(listItems(body));
  }

  private items(objects: KubeObject[]): string {
    for (const object of objects) {
      this.printed = true;
      const first = this.count++ === 0;
      if (this.format.kind === 'name') this.chunks.push(nameLine(object));
      else if (this.format.kind === 'json') {
        if (first) this.json.begin();
        this.json.item(object);
      } else if (this.format.kind === 'yaml') this.chunks.push(`${first ? 'apiVersion: v1\nitems:\n' : ''}${goYamlSequenceItem(object)}`);
      else this.buffered.push(object);
    }
    return this.take();
  }

  end(): string {
    if (this.format.kind === 'json') {
      if (this.count === 0) this.json.begin();
      this.json.end();
    } else if (this.format.kind === 'yaml') this.chunks.push(this.count === 0 ? EMPTY_LIST_YAML : LIST_YAML_END);
    else if (this.format.kind === 'jsonpath') {
      const list = { apiVersion: 'v1', items: this.buffered, kind: 'List', metadata: { resourceVersion: '' } };
      this.chunks.push(runTemplate(this.format.template, this.template!, list));
    }
    return this.take();
  }

  private take(): string {
    const text = this.chunks.join('');
    this.chunks = [];
    return text;
  }
}

/** The printer for a list, or for objects fetched by name (several, or one shown as a table or names). */
export function listPrinter(format: OutputFormat, table: Omit<TableOptions, 'wide'>): GetPrinter {
  return format.kind === 'table' ? new TableOutput({ ...table, wide: format.wide }) : new ListOutput(format);
}

/** One object fetched by name, printed as itself (json, yaml, jsonpath: kubectl's "single item implied"). */
export function singleObjectText(format: Exclude<OutputFormat, { kind: 'table' }>, object: KubeObject): string {
  if (format.kind === 'json') return goJson(object);
  if (format.kind === 'yaml') return goYaml(object);
  if (format.kind === 'name') return nameLine(object);
  return runTemplate(format.template, parseTemplate(format.template), object);
}

/** kubectl get -w: every object (the list's, then each event's) on its own; tables as rows under one header. */
export class WatchPrinter {
  private readonly format: OutputFormat;
  private readonly table: TableOutput | undefined;
  private readonly template: ListNode | undefined;
  private count = 0;

  constructor(format: OutputFormat, table: Omit<TableOptions, 'wide'>) {
    this.format = format;
    this.table = format.kind === 'table' ? new TableOutput({ ...table, wide: format.wide }) : undefined;
    this.template = format.kind === 'jsonpath' ? parseTemplate(format.template) : undefined;
  }

  /** A list page (the watch's starting list). */
  page(body: ListBody): string {
    if (this.table) return this.table.page(body);
    return listItems(body)
      .map((object) => this.object(object))
      .join('');
  }

  /** One object: a watch event's, or one fetched by name (a Table for the table format). */
  object(object: unknown): string {
    if (this.table) return this.table.object(object);
    const item = object as KubeObject;
    const first = this.count++ === 0;
    if (this.format.kind === 'yaml') return `${first ? '' : '---\n'}${goYaml(item)}`;
    if (this.format.kind === 'jsonpath') return runTemplate(this.format.template, this.template!, item);
    return singleObjectText(this.format as Exclude<OutputFormat, { kind: 'table' }>, item);
  }

  get printed(): boolean {
    return this.table ? this.table.printed : this.count > 0;
  }
}
