// kubectl get -o yaml: k8s.io/cli-runtime/pkg/printers/yaml.go calls sigs.k8s.io/yaml Marshal,
// which turns the object's JSON into YAML with its fork of go-yaml v2 (goyaml.v2: encode.go,
// sorter.go, resolve.go, emitterc.go). This is a port of what that emitter does with JSON values,
// so that the bytes match: keys in go-yaml's "natural" order, block mappings and sequences
// (sequences under a key not indented), empty ones as {} and [], and each string in the style
// go-yaml picks: plain when it would read back as the same string, "double quoted" when it would
// read as a number, bool, null or timestamp, 'single quoted' when it starts or ends with a space
// or an indicator, a | literal block when it has a newline; plain and quoted strings longer than
// 80 columns are folded at a space after column 80, as the emitter's best_width says.
// Not ported (never produced from JSON): anchors, tags, flow style, canonical output, complex keys
// longer than 128 bytes (written as simple keys here).

import { goFloatString } from './go-values.ts';
import { analyzeScalar, isBreak, isPrintable, naturalLess, readsAsNonString } from './go-yaml-scalars.ts';

const BEST_INDENT = 2;
const BEST_WIDTH = 80;

type Style = 'plain' | 'single' | 'double' | 'literal';

const DOUBLE_QUOTED_ESCAPES: Record<number, string> = {
  0: '0',
  7: 'a',
  8: 'b',
  9: 't',
  10: 'n',
  11: 'v',
  12: 'f',
  13: 'r',
  27: 'e',
  34: '"',
  92: '\\',
  133: 'N',
  160: '_',
  8232: 'L',
  8233: 'P',
};

/** The emitter's state while it writes one document (yaml_emitter_t, the fields JSON needs). */
class Emitter {
  private readonly out: string[] = [];
  private column = 0;
  private indent = -1;
  private readonly indents: number[] = [];
  private whitespace = true;
  private indention = true;

  text(): string {
    return this.out.join('');
  }

  private put(text: string): void {
    this.out.push(text);
    this.column++;
  }

  private putBreak(): void {
    this.out.push('\n');
    this.column = 0;
  }

  private increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.indent += BEST_INDENT;
  }

  private popIndent(): void {
    this.indent = this.indents.pop()!;
  }

  writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    for (const c of indicator) this.put(c);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  /** yaml_emitter_emit_node for a JSON value; `mapping`: the value of a key, `simpleKey`: a key. */
  node(value: unknown, mapping: boolean, simpleKey: boolean): void {
    if (Array.isArray(value)) return value.length === 0 ? this.emptyFlow('[', ']') : this.sequence(value, mapping);
    if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>);
      return entries.length === 0 ? this.emptyFlow('{', '}') : this.mapping(entries);
    }
    if (typeof value === 'string') {
      const style: Style = value.includes('\n') ? 'literal' : readsAsNonString(value) ? 'double' : 'plain';
      return this.scalar(value, style, simpleKey);
    }
    if (typeof value === 'number') return this.scalar(goFloatString(value), 'plain', simpleKey);
    return this.scalar(value === null || value === undefined ? 'null' : String(value), 'plain', simpleKey);
  }

  private emptyFlow(open: string, close: string): void {
    this.writeIndicator(open, true, true, false);
    this.writeIndicator(close, false, false, false);
  }

  private sequence(items: readonly unknown[], mapping: boolean): void {
    this.increaseIndent(false, mapping && !this.indention);
    for (const item of items) {
      this.writeIndent();
      this.writeIndicator('-', true, false, true);
      this.node(item, false, false);
    }
    this.popIndent();
  }

  private mapping(entries: [string, unknown][]): void {
    this.increaseIndent(false, false);
    entries.sort(([a], [b]) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0));
    for (const [key, value] of entries) {
      this.writeIndent();
      this.node(key, true, true);
      this.writeIndicator(':', false, false, false);
      this.node(value, true, false);
    }
    this.popIndent();
  }

  /** yaml_emitter_select_scalar_style, then the writer for the style. */
  private scalar(value: string, requested: Style, simpleKey: boolean): void {
    const chars = [...value];
    const analysis = analyzeScalar(chars);
    let style = requested;
    if (simpleKey && analysis.multiline) style = 'double';
    if (style === 'plain' && (!analysis.blockPlainAllowed || (chars.length === 0 && simpleKey))) style = 'single';
    if (style === 'single' && !analysis.singleQuotedAllowed) style = 'double';
    if (style === 'literal' && (!analysis.blockAllowed || simpleKey)) style = 'double';
    this.increaseIndent(true, false);
    const allowBreaks = !simpleKey;
    if (style === 'plain' || style === 'single') this.plainOrSingleQuoted(chars, allowBreaks, style === 'single');
    else if (style === 'double') this.doubleQuoted(chars, allowBreaks);
    else this.literal(chars);
    this.popIndent();
  }

  /** The line breaks of a plain or single-quoted scalar (shared by their writers). */
  private writeBreak(c: string, breaks: boolean): void {
    if (!breaks && c === '\n') this.putBreak();
    if (c === '\n') this.putBreak();
    else {
      this.out.push(c);
      this.column = 0;
    }
    this.indention = true;
  }

  /**
   * yaml_emitter_write_plain_scalar and yaml_emitter_write_single_quoted_scalar, which differ only in
   * the quotes, the doubled ' inside them, and not folding at the first or last character.
   */
  private plainOrSingleQuoted(chars: readonly string[], allowBreaks: boolean, quoted: boolean): void {
    if (quoted) this.writeIndicator("'", true, false, false);
    else if (!this.whitespace) this.put(' ');
    let spaces = false;
    let breaks = false;
    chars.forEach((c, i) => {
      if (c === ' ') {
        const inside = !quoted || (i > 0 && i < chars.length - 1);
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && inside && chars[i + 1] !== ' ') this.writeIndent();
        else this.put(c);
        spaces = true;
      } else if (isBreak(c)) {
        this.writeBreak(c, breaks);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (quoted && c === "'") this.put("'");
        this.put(c);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    });
    if (quoted) this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private doubleQuoted(chars: readonly string[], allowBreaks: boolean): void {
    this.writeIndicator('"', true, false, false);
    const bom = chars[0] === '\ufeff';
    let spaces = false;
    chars.forEach((c, i) => {
      if (!isPrintable(c) || bom || isBreak(c) || c === '"' || c === '\\') {
        const code = c.codePointAt(0)!;
        this.put('\\');
        const short = DOUBLE_QUOTED_ESCAPES[code];
        if (short !== undefined) this.put(short);
        else {
          const [prefix, digits] = code <= 0xff ? ['x', 2] : code <= 0xffff ? ['u', 4] : ['U', 8];
          this.put(prefix);
          for (const digit of code.toString(16).toUpperCase().padStart(digits, '0')) this.put(digit);
        }
        spaces = false;
      } else if (c === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < chars.length - 1) {
          this.writeIndent();
          if (chars[i + 1] === ' ') this.put('\\');
        } else this.put(c);
        spaces = true;
      } else {
        this.put(c);
        spaces = false;
      }
    });
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private literal(chars: readonly string[]): void {
    this.writeIndicator('|', true, false, false);
    // yaml_emitter_write_block_scalar_hints: an indentation hint for a leading space, and chomping.
    if (chars[0] === ' ' || isBreak(chars[0])) this.writeIndicator(String(BEST_INDENT), false, false, false);
    const last = chars.length - 1;
    if (!isBreak(chars[last])) this.writeIndicator('-', false, false, false);
    else if (last === 0 || isBreak(chars[last - 1])) this.writeIndicator('+', false, false, false);
    this.putBreak();
    this.indention = true;
    this.whitespace = true;
    let breaks = true;
    for (const c of chars) {
      if (isBreak(c)) {
        if (c === '\n') this.putBreak();
        else {
          this.out.push(c);
          this.column = 0;
        }
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(c);
        this.indention = false;
        breaks = false;
      }
    }
  }
}

/** sigs.k8s.io/yaml Marshal of a JSON value: one YAML document, ending in a newline. */
export function goYaml(value: unknown): string {
  const emitter = new Emitter();
  emitter.node(value, false, false);
  // yaml_emitter_emit_document_end: a final line break.
  emitter.writeIndent();
  return emitter.text();
}

/** `item` as one entry of a block sequence at the top level ("- key: …\n  …"): a streamed List's items. */
export function goYamlSequenceItem(item: unknown): string {
  return goYaml([item]);
}
