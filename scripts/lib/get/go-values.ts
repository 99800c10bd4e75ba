// JSON values as Go's fmt prints what it decoded them into: k8s.io/apimachinery's unstructured
// JSON gives map[string]interface{}, []interface{}, string, bool, nil, int64 for whole numbers and
// float64 for the others. kubectl prints table cells and jsonpath results with %v, and shows the
// object in a jsonpath error with %#v.

/**
 * A JSON number as Go prints what it decoded: a whole number is an int64 (all its digits), any other
 * a float64 as strconv.FormatFloat(f, 'g', -1, 64) (and fmt's %v) writes it: the shortest digits,
 * with an exponent of at least two digits when it is < -4 or >= 6 ("1.5e+06", "1e-05").
 */
export function goFloatString(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf';
  if (Number.isInteger(value) && Math.abs(value) < 2 ** 63) return BigInt(value).toString();
  const [mantissa = '', power = '0'] = value.toExponential().split('e');
  const exponent = Number(power);
  if (exponent < -4 || exponent >= 6) return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  return String(value);
}

const isMap = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** fmt's %v: maps as map[k:v …] with sorted keys, lists as [a b], nil as <nil>. */
export function goValueText(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'number') return goFloatString(value);
  if (Array.isArray(value)) return `[${value.map(goValueText).join(' ')}]`;
  if (isMap(value))
    return `map[${Object.keys(value)
      .sort()
      .map((key) => `${key}:${goValueText(value[key])}`)
      .join(' ')}]`;
  return String(value);
}

/** strconv.Quote: a Go string literal ("\t", "\u00a0" for what is not printable, UTF-8 kept). */
export function goQuote(text: string): string {
  let out = '"';
  for (const c of text) {
    const code = c.codePointAt(0)!;
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '\r') out += '\\r';
    else if (c === '\x07') out += '\\a';
    else if (c === '\b') out += '\\b';
    else if (c === '\f') out += '\\f';
    else if (c === '\v') out += '\\v';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (/[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}]|[^\P{Z} ]/u.test(c))
      out += code > 0xffff ? `\\U${code.toString(16).padStart(8, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return `${out}"`;
}

/** fmt's %#v of an interface{} holding a JSON value, as kubectl shows the object in a jsonpath error. */
export function goSyntax(value: unknown): string {
  if (value === null || value === undefined) return 'interface {}(nil)';
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number') return goFloatString(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[]interface {}{${value.map(goSyntax).join(', ')}}`;
  const entries = Object.keys(value as object)
    .sort()
    .map((key) => `${goQuote(key)}:${goSyntax((value as Record<string, unknown>)[key])}`);
  return `map[string]interface {}{${entries.join(', ')}}`;
}
