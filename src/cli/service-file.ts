// Decoding a `-f` Service file as kn does (k8s.io/apimachinery pkg/util/yaml NewYAMLOrJSONDecoder): JSON when it
// starts with `{`, with encoding/json's syntax errors; YAML otherwise, with go-yaml's wording for the common
// mistakes; then encoding/json's type errors naming the Go field. Every error names the file and the position.

import { CliError } from './errors.ts';

/** encoding/json quoteChar. */
function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return "'\"'";
  const q = JSON.stringify(c);
  return `'${q.slice(1, -1)}'`;
}

class JsonSyntaxError extends Error {
  override name = 'JsonSyntaxError';
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

/** encoding/json's scanner, reduced to finding the first syntax error in its words. */
function checkJson(text: string): void {
  let i = 0;
  const bad = (context: string): never => {
    if (i >= text.length) throw new JsonSyntaxError('unexpected EOF', i);
    throw new JsonSyntaxError(`invalid character ${quoteChar(text[i])} ${context}`, i);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) bad('');
      const c = text[i];
      if (c === '"') {
        i++;
        return;
      }
      if (c < ' ') bad('in string literal');
      if (c === '\\') {
        i++;
        if (i >= text.length) bad('');
        if (text[i] === 'u') {
          for (let k = 0; k < 4; k++) {
            i++;
            if (!/[0-9a-fA-F]/.test(text[i] ?? '')) bad('in \\u hexadecimal character escape');
          }
        } else if (!'"\\/bfnrt'.includes(text[i])) bad('in string escape code');
      }
      i++;
    }
  };
  const number = (): void => {
    if (text[i] === '-') {
      i++;
      if (!isDigit(text[i])) bad('in numeric literal');
    }
    if (text[i] === '0') i++;
    else while (isDigit(text[i])) i++;
    if (text[i] === '.') {
      i++;
      if (!isDigit(text[i])) bad('after decimal point in numeric literal');
      while (isDigit(text[i])) i++;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!isDigit(text[i])) bad('in exponent of numeric literal');
      while (isDigit(text[i])) i++;
    }
  };
  const literal = (word: string): void => {
    for (let k = 0; k < word.length; k++, i++) {
      if (text[i] !== word[k]) bad(`in literal ${word} (expecting ${quoteChar(word[k])})`);
    }
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') bad('looking for beginning of object key string');
        string();
        ws();
        if (text[i] !== ':') bad('after object key');
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        bad('after object key:value pair');
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        bad('after array element');
      }
    }
    if (c === '"') return string();
    if (c === '-' || isDigit(c)) return number();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    bad('looking for beginning of value');
  };
  value();
  ws();
  if (i < text.length) bad('after top-level value');
}

/** 1-based line and column of an offset. */
function position(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const col = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${col}`;
}

/** go-yaml's texts for what the `yaml` library reports by code. */
const YAML_MESSAGES: Record<string, string> = {
  BLOCK_AS_IMPLICIT_KEY: 'mapping values are not allowed in this context',
  MULTILINE_IMPLICIT_KEY: 'mapping values are not allowed in this context',
  TAB_AS_INDENT: 'found a tab character that violates indentation',
  DUPLICATE_KEY: 'duplicate key',
};

// ---------------------------------------------------------------------------------------------
// encoding/json's type errors for the Service fields knit reads.

type Shape = { go: string; kind: 'object'; fields?: Record<string, Shape>; values?: Shape } | { go: string; kind: 'array'; items: Shape } | { go: string; kind: 'string' | 'number' | 'bool' };

const str: Shape = { go: 'string', kind: 'string' };
const strMap: Shape = { go: 'map[string]string', kind: 'object', values: str };
const OBJECT_META: Shape = { go: 'v1.ObjectMeta', kind: 'object', fields: { name: str, namespace: str, generateName: str, labels: strMap, annotations: strMap } };
const ENV_VAR: Shape = { go: 'v1.EnvVar', kind: 'object', fields: { name: str, value: str } };
const CONTAINER: Shape = {
  go: 'v1.Container', kind: 'object',
  fields: { name: str, image: str, command: { go: '[]string', kind: 'array', items: str }, args: { go: '[]string', kind: 'array', items: str }, env: { go: '[]v1.EnvVar', kind: 'array', items: ENV_VAR } },
};
const REVISION_SPEC: Shape = { go: 'v1.RevisionSpec', kind: 'object', fields: { containers: { go: '[]v1.Container', kind: 'array', items: CONTAINER }, serviceAccountName: str } };
const TEMPLATE: Shape = { go: 'v1.RevisionTemplateSpec', kind: 'object', fields: { metadata: OBJECT_META, spec: REVISION_SPEC } };
const SERVICE: Shape = {
  go: 'v1.Service', kind: 'object',
  fields: { apiVersion: str, kind: str, metadata: OBJECT_META, spec: { go: 'v1.ServiceSpec', kind: 'object', fields: { template: TEMPLATE } } },
};

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

/** The first value of the wrong JSON type, as `json: cannot unmarshal T into Go struct field Service.PATH of type GO`. */
function typeError(v: unknown, shape: Shape, path: string, struct: string): string | undefined {
  if (v === null || v === undefined) return undefined; // null leaves the Go value alone
  const kind = jsonKind(v);
  if (kind !== shape.kind) {
    const where = path === '' ? `Go value of type ${shape.go}` : `Go struct field ${struct}.${path} of type ${shape.go}`;
    return `json: cannot unmarshal ${kind} into ${where}`;
  }
  if (shape.kind === 'array') {
    for (const item of v as unknown[]) {
      const e = typeError(item, shape.items, path, struct);
      if (e) return e;
    }
  } else if (shape.kind === 'object') {
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      const field = shape.fields?.[k] ?? shape.values;
      if (!field) continue;
      const e = typeError(child, field, shape.values && !shape.fields ? path : path === '' ? k : `${path}.${k}`, struct);
      if (e) return e;
    }
  }
  return undefined;
}

/** Decodes the first document of a Service file. */
export async function parseServiceDocument(text: string, file: string): Promise<unknown> {
  let doc: unknown;
  const start = text.search(/\S/);
  if (start >= 0 && text[start] === '{') {
    try {
      checkJson(text);
    } catch (e) {
      if (e instanceof JsonSyntaxError) throw new CliError(`error parsing ${file}: ${e.message} (${position(text, e.offset)})`);
      throw e;
    }
    doc = JSON.parse(text);
  } else {
    const YAML = await import('yaml');
    const first = YAML.parseAllDocuments(text)[0] as ReturnType<typeof YAML.parseDocument> | undefined;
    const err = first && 'errors' in first ? first.errors[0] : undefined;
    if (err) {
      const line = err.linePos?.[0]?.line;
      const message = YAML_MESSAGES[err.code] ?? err.message.split(' at line ')[0];
      throw new CliError(`error parsing ${file}: error converting YAML to JSON: yaml: ${line !== undefined ? `line ${line}: ` : ''}${message}`);
    }
    doc = first ? first.toJS() : undefined;
  }
  if (doc === null || doc === undefined) return doc;
  const e = typeError(doc, SERVICE, '', 'Service');
  if (e) throw new CliError(`error parsing ${file}: error unmarshaling JSON: while decoding JSON: ${e}`);
  return doc;
}
