// kubectl get -o jsonpath=TEMPLATE: the evaluation and printing of k8s.io/client-go/util/jsonpath
// (jsonpath.go) as kubectl's JSONPathPrinter runs it (k8s.io/cli-runtime/pkg/printers/jsonpath.go:
// missing keys allowed, as --allow-missing-template-keys defaults to true). Each action's results
// are printed separated by spaces, strings as they are, maps and lists as compact JSON with sorted
// keys, numbers as Go prints int64 and float64; {range}…{end} repeats its body per result.
//
// Field lookups and wildcards go through the `jsonpath-plus` library, where its semantics are
// kubectl's: `.name`/`['name']` of an object (a present null included), `.*` of an object or a list.
// Where they differ, the step is done here as client-go does it:
//   - a field of a list or a string is nothing in kubectl, where jsonpath-plus reads array
//     properties (`.0`, `.length`): only objects are handed to it;
//   - `..` visits, in pre-order, every value that has children, a string's bytes included
//     (jsonpath-plus skips strings and descends differently): done here, the field after it by the library;
//   - `*` over a string gives its bytes in kubectl (jsonpath-plus: nothing): done here;
//   - indexes and slices fail in kubectl when out of range ("array index out of bounds"), where
//     jsonpath-plus returns nothing, and negative ones count from the end: done here;
//   - filters compare with Go's template rules (an int never equals a float: "incompatible types for
//     comparison"), where jsonpath-plus would evaluate JavaScript: done here (the library's eval is off);
//   - Go visits a map's keys in random order (`*`, `..`), jsonpath-plus in the object's order: where
//     kubectl's order is random, any order is kubectl's.

import { JSONPath } from 'jsonpath-plus';
import { goJsonCompact } from './go-json.ts';
import type { ListNode, Node, SliceParam } from './jsonpath-parse.ts';
import { goFloatString, goValueText } from './go-values.ts';

/** A float64 written in a template ({.x==1.5}): Go keeps it apart from whole JSON numbers (int64). */
class GoFloat {
  constructor(readonly value: number) {}
}

type Value = unknown;

export class JsonPathExecutionError extends Error {}

type Kind = 'bool' | 'int' | 'float' | 'string';

/** basicKind of the forked text/template funcs.go: JSON whole numbers are int64, others float64. */
function basicKind(value: Value): Kind {
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'string';
  if (value instanceof GoFloat) return 'float';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  throw new JsonPathExecutionError('invalid type for comparison');
}

const numberOf = (value: Value) => (value instanceof GoFloat ? value.value : (value as number));

/** template.Equal/Less of client-go's forked text/template. */
function compare(operator: string, left: Value, right: Value): boolean {
  const k1 = basicKind(left);
  const k2 = basicKind(right);
  if (k1 !== k2) throw new JsonPathExecutionError('incompatible types for comparison');
  const equal = k1 === 'int' || k1 === 'float' ? numberOf(left) === numberOf(right) : left === right;
  if (operator === '==') return equal;
  if (operator === '!=') return !equal;
  if (k1 === 'bool') throw new JsonPathExecutionError('invalid type for comparison');
  const less = k1 === 'string' ? (left as string) < (right as string) : numberOf(left) < numberOf(right);
  switch (operator) {
    case '<':
      return less;
    case '<=':
      return less || equal;
    case '>':
      return !less && !equal;
    case '>=':
      return !less;
    default:
      throw new JsonPathExecutionError(`unrecognized filter operator ${operator}`);
  }
}

const isObject = (value: Value): value is Record<string, Value> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The children kubectl's `*` and `..` visit: map values, list items, a string's bytes. */
function children(value: Value): Value[] {
  if (Array.isArray(value)) return value;
  if (isObject(value)) return Object.values(value);
  if (typeof value === 'string') return [...Buffer.from(value, 'utf8')];
  return [];
}

/** jsonpath-plus on one value, with the path as literal segments (`name escapes nothing). */
function select(value: Value, path: string[]): Value[] {
  return JSONPath({ path: ['$', ...path], json: value as object, wrap: true, eval: false }) as Value[];
}

export interface JsonPathOptions {
  allowMissingKeys: boolean;
}

/** One template run (client-go's JSONPath struct: its range bookkeeping is per execution). */
class Execution {
  private rootNodes: Node[];
  private beginRange = 0;
  private inRange = 0;
  private endRange = 0;
  private lastEndNode: Node | undefined;
  private readonly allowMissingKeys: boolean;

  constructor(root: ListNode, options: JsonPathOptions) {
    this.rootNodes = root.nodes;
    this.allowMissingKeys = options.allowMissingKeys;
  }

  findResults(data: Value): Value[][] {
    const current = [data];
    const nodes = this.rootNodes;
    const fullResult: Value[][] = [];
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      const results = this.walk(current, node);
      // An {end}: this block is over.
      if (this.endRange > 0 && this.endRange <= this.inRange) {
        this.endRange--;
        this.lastEndNode = node;
        break;
      }
      // A {range}: the rest of the template, up to its {end}, once per result.
      if (this.beginRange > 0) {
        this.beginRange--;
        this.inRange++;
        this.rootNodes = nodes.slice(i + 1);
        // Go hands the body value.Interface(), or nil when there are no results; reflect.ValueOf(nil)
        // is the zero Value, which a filter prints as <invalid reflect.Value>: here, undefined.
        if (results.length > 0) {
          for (const value of results) {
            this.rootNodes = nodes.slice(i + 1);
            fullResult.push(...this.findResults(value ?? undefined));
          }
        } else this.findResults(undefined);
        this.inRange--;
        const resume = nodes.indexOf(this.lastEndNode as Node, i + 1);
        if (resume !== -1) i = resume;
        continue;
      }
      fullResult.push(results);
    }
    return fullResult;
  }

  private walk(values: Value[], node: Node): Value[] {
    switch (node.type) {
      case 'list':
        return node.nodes.reduce<Value[]>((current, inner) => this.walk(current, inner), values);
      case 'text':
        return [node.text];
      case 'field':
        return this.field(values, node.value);
      case 'array':
        return this.array(values, node.params);
      case 'filter':
        return this.filter(values, node);
      case 'int':
        return values.map(() => node.value);
      case 'float':
        return values.map(() => new GoFloat(node.value));
      case 'bool':
        return values.map(() => node.value);
      case 'wildcard':
        return values.flatMap((value) => (isObject(value) || Array.isArray(value) ? select(value, ['*']) : children(value)));
      case 'recursive':
        return this.recursive(values);
      case 'union':
        return node.nodes.flatMap((list) => this.walk(values, list));
      case 'identifier':
        return this.identifier(values, node.name);
    }
  }

  private field(values: Value[], name: string): Value[] {
    const results = values.flatMap((value) => (isObject(value) ? select(value, [`\`${name}`]) : []));
    if (results.length === 0 && !this.allowMissingKeys && values.length > 0) throw new JsonPathExecutionError(`${name} is not found`);
    return results;
  }

  private identifier(values: Value[], name: string): Value[] {
    if (name === 'range') {
      this.beginRange++;
      return values;
    }
    if (name === 'end') {
      if (this.inRange === 0) throw new JsonPathExecutionError('not in range, nothing to end');
      this.endRange++;
      return [];
    }
    throw new JsonPathExecutionError(`unrecognized identifier ${name}`);
  }

  private array(values: Value[], written: readonly SliceParam[]): Value[] {
    const result: Value[] = [];
    for (const value of values) {
      if (value === null || value === undefined) continue;
      if (!Array.isArray(value)) throw new JsonPathExecutionError(`${goTypeName(value)} is not array or slice`);
      const params = written.map((param) => ({ ...param }));
      const [start, end, step] = params as [SliceParam, SliceParam, SliceParam];
      const length = value.length;
      if (!start.known) start.value = 0;
      if (start.value < 0) start.value += length;
      if (!end.known) end.value = length;
      if (end.value < 0 || (end.value === 0 && end.derived)) end.value += length;
      if (end.value === start.value) return result;
      if (start.value >= length || start.value < 0)
        throw new JsonPathExecutionError(`array index out of bounds: index ${start.value}, length ${length}`);
      if (end.value > length || end.value < 0)
        throw new JsonPathExecutionError(`array index out of bounds: index ${end.value - 1}, length ${length}`);
      if (start.value > end.value)
        throw new JsonPathExecutionError(`starting index ${start.value} is greater than ending index ${end.value}`);
      let stride = 1;
      if (step.known) {
        if (step.value <= 0) throw new JsonPathExecutionError('step must be > 0');
        stride = step.value;
      }
      const slice = value.slice(start.value, end.value);
      for (let i = 0; i < slice.length; i += stride) result.push(slice[i]);
    }
    return result;
  }

  private filter(values: Value[], node: Extract<Node, { type: 'filter' }>): Value[] {
    const results: Value[] = [];
    for (const value of values) {
      if (!Array.isArray(value)) {
        const text = value === undefined ? '<invalid reflect.Value>' : goValueText(value);
        throw new JsonPathExecutionError(`${text} is not array or slice and cannot be filtered`);
      }
      for (const item of value) {
        let lefts: Value[];
        try {
          lefts = this.walk([item], node.left);
        } catch (err) {
          if (node.operator === 'exists') continue;
          throw err;
        }
        if (node.operator === 'exists') {
          if (lefts.length > 0) results.push(item);
          continue;
        }
        if (lefts.length === 0) continue;
        if (lefts.length > 1) throw new JsonPathExecutionError('can only compare one element at a time');
        const rights = this.walk([item], node.right);
        if (rights.length === 0) continue;
        if (rights.length > 1) throw new JsonPathExecutionError('can only compare one element at a time');
        if (compare(node.operator, lefts[0], rights[0])) results.push(item);
      }
    }
    return results;
  }

  /** evalRecursive: every value in pre-order (the value, then its children's trees). */
  private recursive(values: Value[]): Value[] {
    const result: Value[] = [];
    for (const value of values) {
      if (value === null || value === undefined) continue;
      const below = children(value);
      if (below.length === 0) continue;
      result.push(value, ...this.recursive(below));
    }
    return result;
  }
}

/** Go's name for a JSON value's type in messages ("string", "map[string]interface {}", "float64"). */
function goTypeName(value: Value): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64';
  if (value instanceof GoFloat) return 'float64';
  return 'map[string]interface {}';
}

/** PrintResults: one action's results, spaces between them; maps and lists as compact JSON. */
function printResults(results: Value[]): string {
  return results
    .map((value) => {
      if (value !== null && typeof value === 'object' && !(value instanceof GoFloat)) return goJsonCompact(value);
      if (value === null || value === undefined) return 'null';
      if (value instanceof GoFloat) return goFloatString(value.value);
      if (typeof value === 'number') return goFloatString(value);
      return String(value);
    })
    .join(' ');
}

/** JSONPath.Execute: the template's output for `data`. Throws JsonPathExecutionError (nothing printed then). */
export function executeJsonPath(template: ListNode, data: Value, options: JsonPathOptions = { allowMissingKeys: true }): string {
  return new Execution(template, options).findResults(data).map(printResults).join('');
}
