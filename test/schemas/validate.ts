// A JSON Schema (draft 2020-12) validator for the keywords test/schemas/*.schema.json use, so the
// bats suites can check -o json documents without a dependency: `node --import tsx
// test/schemas/validate.ts SCHEMA FILE` exits 0 when FILE is valid, else 1 with one line per error
// (its JSON Pointer and what is wrong). A keyword it does not implement is an error in the schema,
// never silently ignored: a check that cannot fail would be worse than none.
// Semantics: https://json-schema.org/draft/2020-12/json-schema-core and json-schema-validation.

import { readFileSync } from 'node:fs';

type Schema = boolean | { [keyword: string]: unknown };

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', '$defs']);
const ASSERTIONS = new Set([
  'type',
  'const',
  'enum',
  'required',
  'properties',
  'additionalProperties',
  'prefixItems',
  'items',
  'minItems',
  'maxItems',
  'minLength',
  'pattern',
  '$ref',
  'allOf',
  'anyOf',
  'not',
  'if',
  'then',
  'else',
]);

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class Validator {
  private readonly root: Schema;

  constructor(root: Schema) {
    this.root = root;
  }

  /** Every error of `value` against `schema`, as "pointer: message". */
  errors(value: unknown, schema: Schema = this.root, pointer = ''): string[] {
    if (schema === true) return [];
    if (schema === false) return [`${pointer || '/'}: not allowed here`];
    const errors: string[] = [];
    const at = (message: string) => errors.push(`${pointer || '/'}: ${message}`);
    for (const keyword of Object.keys(schema)) {
      if (!ANNOTATIONS.has(keyword) && !ASSERTIONS.has(keyword)) throw new Error(`schema keyword ${keyword} is not implemented`);
    }
    const s = schema as Record<string, any>;
    if (s.$ref !== undefined) errors.push(...this.errors(value, this.resolve(s.$ref), pointer));
    if (s.type !== undefined) {
      const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
      const actual = typeOf(value);
      if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) at(`is ${actual}, not ${types.join(' or ')}`);
    }
    if ('const' in s && !deepEqual(value, s.const)) at(`is ${JSON.stringify(value)}, not ${JSON.stringify(s.const)}`);
    if (s.enum !== undefined && !(s.enum as unknown[]).some((option) => deepEqual(option, value))) {
      at(`${JSON.stringify(value)} is not one of ${JSON.stringify(s.enum)}`);
    }
    if (typeof value === 'string') {
      if (s.minLength !== undefined && [...value].length < s.minLength) at(`is shorter than ${s.minLength}`);
      if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(value)) at(`does not match ${s.pattern}`);
    }
    if (typeOf(value) === 'object') {
      const object = value as Record<string, unknown>;
      for (const name of (s.required as string[] | undefined) ?? []) if (!(name in object)) at(`lacks the required property ${name}`);
      const properties = (s.properties as Record<string, Schema> | undefined) ?? {};
      for (const [name, item] of Object.entries(object)) {
        if (name in properties) errors.push(...this.errors(item, properties[name] as Schema, `${pointer}/${name}`));
        else if (s.additionalProperties !== undefined) errors.push(...this.errors(item, s.additionalProperties, `${pointer}/${name}`));
      }
    }
    if (Array.isArray(value)) {
      if (s.minItems !== undefined && value.length < s.minItems) at(`has ${value.length} items, fewer than ${s.minItems}`);
      if (s.maxItems !== undefined && value.length > s.maxItems) at(`has ${value.length} items, more than ${s.maxItems}`);
      const prefix = (s.prefixItems as Schema[] | undefined) ?? [];
      value.forEach((item, index) => {
        const itemSchema = index < prefix.length ? prefix[index] : s.items;
        if (itemSchema !== undefined) errors.push(...this.errors(item, itemSchema as Schema, `${pointer}/${index}`));
      });
    }
    for (const sub of (s.allOf as Schema[] | undefined) ?? []) errors.push(...this.errors(value, sub, pointer));
    if (s.anyOf !== undefined && !(s.anyOf as Schema[]).some((sub) => this.errors(value, sub, pointer).length === 0)) {
      at('matches none of anyOf');
    }
    if (s.not !== undefined && this.errors(value, s.not, pointer).length === 0) at('matches the schema under not');
    if (s.if !== undefined) {
      const branch = this.errors(value, s.if, pointer).length === 0 ? s.then : s.else;
      if (branch !== undefined) errors.push(...this.errors(value, branch, pointer));
    }
    return errors;
  }

  /** A local reference: "#/$defs/name". */
  private resolve(ref: string): Schema {
    if (!ref.startsWith('#/')) throw new Error(`$ref ${ref}: only local references (#/…) are implemented`);
    let node: unknown = this.root;
    for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (node === undefined) throw new Error(`$ref ${ref} points nowhere`);
    return node as Schema;
  }
}

if (process.argv[1]?.endsWith('validate.ts')) {
  const [schemaFile, documentFile] = process.argv.slice(2);
  if (schemaFile === undefined || documentFile === undefined) {
    process.stderr.write('usage: validate.ts SCHEMA FILE\n');
    process.exit(2);
  }
  const errors = new Validator(JSON.parse(readFileSync(schemaFile, 'utf8'))).errors(JSON.parse(readFileSync(documentFile, 'utf8')));
  for (const error of errors) process.stderr.write(`${documentFile}${error.startsWith('/') ? '' : ' '}${error}\n`);
  process.exit(errors.length === 0 ? 0 : 1);
}
