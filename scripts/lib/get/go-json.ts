// kubectl get -o json: k8s.io/cli-runtime/pkg/printers/json.go marshals the unstructured object
// with json.MarshalIndent(obj, "", "    ") and a newline. Unstructured objects are Go maps, and
// encoding/json writes map keys sorted, escapes <, >, & and U+2028/U+2029 (HTML-safe), and
// writes numbers as they were read (a whole number as an int64).
//
// JavaScript numbers are float64: an integer beyond 2^53 (rare in Kubernetes objects, where big
// quantities are strings) loses digits that kubectl would keep.

const GO_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };
const INDENT = '    ';

/** `value` with the keys of every object sorted, as Go writes a map. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}

/** JSON text with Go's HTML-safe escapes. */
function goEscape(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (char) => GO_ESCAPES[char] ?? char);
}

/** json.MarshalIndent(value, "", "    ") plus "\n": what kubectl -o json prints for one object. */
export function goJson(value: unknown): string {
  return `${goEscape(JSON.stringify(sortKeys(value), null, INDENT))}\n`;
}

/** json.Marshal(value): compact, keys sorted (jsonpath prints maps and lists this way). */
export function goJsonCompact(value: unknown): string {
  return goEscape(JSON.stringify(sortKeys(value)));
}

/**
 * The List kubectl -o json prints for several objects ({"apiVersion":"v1","items":[…],"kind":"List",
 * "metadata":{"resourceVersion":""}}, keys sorted), written item by item so that a long list is
 * never held whole: begin(), item() for each, end().
 */
export class JsonListWriter {
  private count = 0;
  private readonly out: (text: string) => void;

  constructor(out: (text: string) => void) {
    this.out = out;
  }

  begin(): void {
    this.out(`{\n${INDENT}"apiVersion": "v1",\n${INDENT}"items": [`);
  }

  item(object: unknown): void {
    const indented = goJson(object).trimEnd().replaceAll('\n', `\n${INDENT}${INDENT}`);
    this.out(`${this.count++ === 0 ? '\n' : ',\n'}${INDENT}${INDENT}${indented}`);
  }

  end(): void {
    const close = this.count === 0 ? ']' : `\n${INDENT}]`;
    this.out(`${close},\n${INDENT}"kind": "List",\n${INDENT}"metadata": {\n${INDENT}${INDENT}"resourceVersion": ""\n${INDENT}}\n}\n`);
  }
}
