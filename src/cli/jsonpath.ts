// kubectl's JSONPath templates (-o jsonpath=…, -o jsonpath-as-json=…), after k8s.io/client-go/util/jsonpath:
// text with `{…}` actions holding paths (`.a.b`, `[n]`, `[a:b:c]`, `[*]`, `.*`, `..x`, `['k']`, `[a,b]`,
// `[?(@.x=="y")]`), quoted literals (`{"\n"}`), and `{range …}…{end}` blocks.

import { goFmtValue, goJsonCompact, goJsonIndent, goJsonTypeName, isMap } from '../gotemplate/fmt.ts';

/** A parse or execution error of a JSONPath template (message as client-go words it). */
export class JsonPathError extends Error {}

interface Slice {
  start?: number;
  end?: number;
  step?: number;
  /** `[n]`: end is n+1, derived (so `[-1]` means the last element). */
  derivedEnd: boolean;
}

type PathNode =
  | { t: 'field'; name: string }
  | { t: 'wildcard' }
  | { t: 'recursive' }
  | { t: 'array'; slice: Slice }
  | { t: 'union'; branches: PathNode[][] }
  | { t: 'filter'; left: PathNode[]; op: string; right: PathNode[] }
  | { t: 'text'; text: string }
  | { t: 'number'; value: number }
  | { t: 'bool'; value: boolean };

type Segment = { t: 'text'; text: string } | { t: 'action'; nodes: PathNode[] } | { t: 'range'; nodes: PathNode[]; body: Segment[] };

/** A parsed template. */
export interface JsonPath {
  segments: Segment[];
}

const TERMINATORS = new Set([' ', '\t', '\n', '\r', '.', ',', '[', ']', '$', '@', '{', '}']);

function describeRune(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
}

/** Go's strconv.Unquote for "…" (escapes) and '…' (as client-go accepts single quotes for strings). */
function unquote(body: string, quote: string): string {
  if (quote === '`') return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[++i];
    switch (n) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
      case '"':
      case "'":
        out += n;
        break;
      case 'x': {
        const hex = body.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new JsonPathError('invalid syntax');
        out += String.fromCharCode(parseInt(hex, 16));
        i += 2;
        break;
      }
      case 'u':
      case 'U': {
        const len = n === 'u' ? 4 : 8;
        const hex = body.slice(i + 1, i + 1 + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw new JsonPathError('invalid syntax');
        out += String.fromCodePoint(parseInt(hex, 16));
        i += len;
        break;
      }
      default:
        throw new JsonPathError('invalid syntax');
    }
  }
  return out;
}

class Parser {
  private pos = 0;
  private readonly input: string;

  constructor(input: string) {
    this.input = input;
  }

  /** The whole template: text and `{…}` actions, `range`/`end` folded into blocks. */
  parseTemplate(): Segment[] {
    const root: Segment[] = [];
    const stack: Segment[][] = [root];
    const s = this.input;
    while (this.pos < s.length) {
      const open = s.indexOf('{', this.pos);
      if (open < 0) {
        stack[stack.length - 1].push({ t: 'text', text: s.slice(this.pos) });
        break;
      }
      if (open > this.pos) stack[stack.length - 1].push({ t: 'text', text: s.slice(this.pos, open) });
      this.pos = open + 1;
      const { nodes, keyword } = this.parseAction();
      const cur = stack[stack.length - 1];
      if (keyword === 'range') {
        const block: Segment = { t: 'range', nodes, body: [] };
        cur.push(block);
        stack.push(block.body);
      } else if (keyword === 'end') {
        if (stack.length === 1) throw new JsonPathError('not in range, nothing to end');
        stack.pop();
      } else {
        cur.push({ t: 'action', nodes });
      }
    }
    return root;
  }

  /** Parses one action after its `{` up to and including the closing `}`. */
  private parseAction(): { nodes: PathNode[]; keyword?: 'range' | 'end' } {
    const nodes: PathNode[] = [];
    let keyword: 'range' | 'end' | undefined;
    const s = this.input;
    for (;;) {
      if (this.pos >= s.length) throw new JsonPathError('unclosed action');
      const c = s[this.pos];
      if (c === '}') {
        this.pos++;
        return { nodes, keyword };
      }
      if (s.startsWith('[?(', this.pos)) {
        nodes.push(this.parseFilter());
        continue;
      }
      if (s.startsWith('..', this.pos)) {
        this.pos += 2;
        nodes.push({ t: 'recursive' });
        // `..name` is recursive descent followed by a field.
        if (this.pos < s.length && !TERMINATORS.has(s[this.pos])) this.pos--;
        continue;
      }
      if (c === '\n' || c === '\r') throw new JsonPathError('unclosed action');
      if (c === ' ' || c === '\t' || c === '@' || c === '$') {
        this.pos++;
        continue;
      }
      if (c === '[') {
        nodes.push(...this.parseArray());
        continue;
      }
      if (c === '"' || c === "'") {
        nodes.push({ t: 'text', text: this.parseQuote(c) });
        continue;
      }
      if (c === '.') {
        this.pos++;
        nodes.push(this.parseField());
        continue;
      }
      if (c === '+' || c === '-' || (c >= '0' && c <= '9')) {
        nodes.push(this.parseNumber());
        continue;
      }
      if (/[A-Za-z_]/.test(c)) {
        const start = this.pos;
        while (this.pos < s.length && /[A-Za-z0-9_]/.test(s[this.pos])) this.pos++;
        const word = s.slice(start, this.pos);
        if (word === 'range' || word === 'end') {
          if (keyword || nodes.length > 0) throw new JsonPathError(`unrecognized identifier ${word}`);
          keyword = word;
        } else if (word === 'true' || word === 'false') {
          nodes.push({ t: 'bool', value: word === 'true' });
        } else {
          throw new JsonPathError(`unrecognized identifier ${word}`);
        }
        continue;
      }
      throw new JsonPathError(`unrecognized character in action: ${describeRune(c)}`);
    }
  }

  private parseField(): PathNode {
    const s = this.input;
    let name = '';
    while (this.pos < s.length && !TERMINATORS.has(s[this.pos])) {
      if (s[this.pos] === '\\' && this.pos + 1 < s.length) {
        name += s[this.pos + 1];
        this.pos += 2;
        continue;
      }
      name += s[this.pos++];
    }
    return name === '*' ? { t: 'wildcard' } : { t: 'field', name };
  }

  private parseQuote(quote: string): string {
    const s = this.input;
    const start = ++this.pos;
    while (this.pos < s.length) {
      const c = s[this.pos];
      if (c === '\\') {
        this.pos += 2;
        continue;
      }
      if (c === '\n') break;
      if (c === quote) {
        const body = s.slice(start, this.pos);
        this.pos++;
        try {
          return unquote(body, quote);
        } catch {
          throw new JsonPathError(`unquote string ${quote}${body}${quote} error: invalid syntax`);
        }
      }
      this.pos++;
    }
    throw new JsonPathError('unterminated quoted string');
  }

  private parseNumber(): PathNode {
    const s = this.input;
    const start = this.pos;
    if (s[this.pos] === '+' || s[this.pos] === '-') this.pos++;
    while (this.pos < s.length && /[0-9.eE]/.test(s[this.pos])) this.pos++;
    const text = s.slice(start, this.pos);
    const value = Number(text);
    if (text === '' || Number.isNaN(value)) throw new JsonPathError(`cannot parse number ${text}`);
    return { t: 'number', value };
  }

  private parseArray(): PathNode[] {
    const s = this.input;
    const close = s.indexOf(']', this.pos);
    const nl = s.slice(this.pos, close < 0 ? undefined : close).search(/[\n\r]/);
    if (close < 0 || nl >= 0) throw new JsonPathError('unterminated array');
    let text = s.slice(this.pos + 1, close);
    this.pos = close + 1;
    if (text === '*') text = ':';
    const parts = text.split(',');
    if (parts.length > 1) {
      return [{ t: 'union', branches: parts.map((p) => parseNodes(`[${p.trim()}]`)) }];
    }
    const key = /^'([^']*)'$/.exec(text);
    if (key) return parseNodes(`.${key[1]}`);
    const m = /^(-?\d*)(:-?\d*)?(:-?\d*)?$/.exec(text);
    if (!m) throw new JsonPathError(`invalid array index ${text}`);
    const num = (v: string): number => {
      const n = Number.parseInt(v, 10);
      if (Number.isNaN(n)) throw new JsonPathError(`array index ${v} is not a number`);
      return n;
    };
    const slice: Slice = { derivedEnd: false };
    if (m[1] !== '') slice.start = num(m[1]);
    if (m[2] === undefined) {
      slice.end = (slice.start ?? 0) + 1;
      slice.derivedEnd = true;
    } else if (m[2].length > 1) {
      slice.end = num(m[2].slice(1));
    }
    if (m[3] !== undefined && m[3].length > 1) slice.step = num(m[3].slice(1));
    return [{ t: 'array', slice }];
  }

  private parseFilter(): PathNode {
    const s = this.input;
    this.pos += 3;
    const start = this.pos;
    let begun = false;
    let ended = false;
    let pair = '';
    for (;;) {
      if (this.pos >= s.length || s[this.pos] === '\n') throw new JsonPathError('unterminated filter');
      const c = s[this.pos++];
      if (c === '"' || c === "'") {
        if (!begun) {
          begun = true;
          pair = c;
          continue;
        }
        if (s[this.pos - 2] !== '\\' && c === pair) ended = true;
      } else if (c === ')' && begun === ended) {
        break;
      }
    }
    if (s[this.pos] !== ']') throw new JsonPathError('unclosed array expect ]');
    const text = s.slice(start, this.pos - 1);
    this.pos++;
    const m = /^([^!<>=]+)([!<>=]+)(.+?)$/.exec(text);
    if (!m) return { t: 'filter', left: parseNodes(text), op: 'exists', right: [] };
    return { t: 'filter', left: parseNodes(m[1]), op: m[2], right: parseNodes(m[3]) };
  }
}

/** Parses the path of one action body (`.a.b`, `@.x`, `"lit"`) as client-go's parseAction does. */
function parseNodes(text: string): PathNode[] {
  const p = new Parser(`{${text}}`);
  const segs = p.parseTemplate();
  const first = segs[0];
  return first && first.t === 'action' ? first.nodes : [];
}

/** Parses a JSONPath template; errors carry client-go's wording. */
export function parseJsonPath(template: string): JsonPath {
  return { segments: new Parser(template).parseTemplate() };
}

// ---------------------------------------------------------------------------------------------
// Evaluation

type Value = unknown;

interface EvalOptions {
  allowMissingKeys: boolean;
}

function evalField(input: Value[], name: string, opts: EvalOptions): Value[] {
  if (input.length === 0) return [];
  if (name === '') return input;
  const out: Value[] = [];
  for (const v of input) {
    if (isMap(v) && Object.hasOwn(v, name)) {
      const r = v[name];
      out.push(r);
    }
  }
  if (out.length === 0 && !opts.allowMissingKeys) throw new JsonPathError(`${name} is not found`);
  return out;
}

function evalArray(input: Value[], slice: Slice): Value[] {
  const out: Value[] = [];
  for (const v of input) {
    if (v === null || v === undefined) continue;
    if (!Array.isArray(v)) throw new JsonPathError(`${goJsonTypeName(v)} is not array or slice`);
    const len = v.length;
    let start = slice.start ?? 0;
    let end = slice.end ?? len;
    if (start < 0) start += len;
    if (end < 0 || (end === 0 && slice.derivedEnd)) end += len;
    if (start === end) continue;
    if (start >= len || start < 0) throw new JsonPathError(`array index out of bounds: index ${start}, length ${len}`);
    if (end > len || end < 0) throw new JsonPathError(`array index out of bounds: index ${end - 1}, length ${len}`);
    if (start > end) throw new JsonPathError(`starting index ${start} is greater than ending index ${end}`);
    let step = 1;
    if (slice.step !== undefined) {
      if (slice.step <= 0) throw new JsonPathError('step must be > 0');
      step = slice.step;
    }
    for (let i = start; i < end; i += step) out.push(v[i]);
  }
  return out;
}

function evalWildcard(input: Value[]): Value[] {
  const out: Value[] = [];
  for (const v of input) {
    if (Array.isArray(v)) out.push(...v);
    else if (isMap(v)) for (const k of Object.keys(v).sort()) out.push(v[k]);
  }
  return out;
}

function evalRecursive(input: Value[]): Value[] {
  const out: Value[] = [];
  for (const v of input) {
    let children: Value[] = [];
    if (isMap(v)) children = Object.keys(v).sort().map((k) => v[k]);
    else if (Array.isArray(v)) children = v;
    if (children.length > 0) {
      out.push(v);
      out.push(...evalRecursive(children));
    }
  }
  return out;
}

function compare(left: Value, right: Value, op: string): boolean {
  if (op === '==' || op === '!=') {
    let eq: boolean;
    if (typeof left === typeof right || left === null || right === null) eq = left === right;
    else throw new JsonPathError('incompatible types for comparison');
    return op === '==' ? eq : !eq;
  }
  if (!((typeof left === 'number' && typeof right === 'number') || (typeof left === 'string' && typeof right === 'string'))) {
    throw new JsonPathError(typeof left === typeof right ? 'invalid type for comparison' : 'incompatible types for comparison');
  }
  switch (op) {
    case '<':
      return left < right;
    case '>':
      return left > right;
    case '<=':
      return left <= right;
    case '>=':
      return left >= right;
  }
  throw new JsonPathError(`unrecognized filter operator ${op}`);
}

function evalFilter(input: Value[], node: Extract<PathNode, { t: 'filter' }>, opts: EvalOptions): Value[] {
  const out: Value[] = [];
  for (const v of input) {
    if (!Array.isArray(v)) throw new JsonPathError(`${goFmtValue(v)} is not array or slice and cannot be filtered`);
    for (const item of v) {
      if (node.op === 'exists') {
        let lefts: Value[] = [];
        try {
          lefts = evalNodes([item], node.left, opts);
        } catch {
          lefts = [];
        }
        if (lefts.length > 0) out.push(item);
        continue;
      }
      const lefts = evalNodes([item], node.left, opts);
      if (lefts.length === 0) continue;
      if (lefts.length > 1) throw new JsonPathError('can only compare one element at a time');
      const rights = evalNodes([item], node.right, opts);
      if (rights.length === 0) continue;
      if (rights.length > 1) throw new JsonPathError('can only compare one element at a time');
      if (compare(lefts[0], rights[0], node.op)) out.push(item);
    }
  }
  return out;
}

function evalNodes(input: Value[], nodes: readonly PathNode[], opts: EvalOptions): Value[] {
  let cur = input;
  for (const node of nodes) {
    switch (node.t) {
      case 'field':
        cur = evalField(cur, node.name, opts);
        break;
      case 'wildcard':
        cur = evalWildcard(cur);
        break;
      case 'recursive':
        cur = evalRecursive(cur);
        break;
      case 'array':
        cur = evalArray(cur, node.slice);
        break;
      case 'union': {
        const out: Value[] = [];
        for (const b of node.branches) out.push(...evalNodes(cur, b, opts));
        cur = out;
        break;
      }
      case 'filter':
        cur = evalFilter(cur, node, opts);
        break;
      case 'text':
        cur = [node.text];
        break;
      case 'number':
      case 'bool':
        cur = [node.value];
        break;
    }
  }
  return cur;
}

/** client-go's PrintResults for the results of one action. */
function printResults(results: Value[], asJson: boolean): string {
  if (asJson) return goJsonIndent(results) + '\n';
  return results
    .map((r) => {
      if (Array.isArray(r) || isMap(r)) return goJsonCompact(r);
      if (r === null || r === undefined) return 'null';
      return goFmtValue(r);
    })
    .join(' ');
}

function execSegments(segments: readonly Segment[], data: Value, opts: EvalOptions & { asJson: boolean }): string {
  let out = '';
  for (const seg of segments) {
    switch (seg.t) {
      case 'text':
        out += opts.asJson ? printResults([seg.text], true) : seg.text;
        break;
      case 'action':
        out += printResults(evalNodes([data], seg.nodes, opts), opts.asJson);
        break;
      case 'range':
        for (const item of evalNodes([data], seg.nodes, opts)) out += execSegments(seg.body, item, opts);
        break;
    }
  }
  return out;
}

/** Runs a parsed template on plain JSON data (kubectl's JSONPathPrinter). */
export function executeJsonPath(jp: JsonPath, data: unknown, opts: { allowMissingKeys?: boolean; asJson?: boolean } = {}): string {
  return execSegments(jp.segments, data, { allowMissingKeys: opts.allowMissingKeys ?? true, asJson: opts.asJson ?? false });
}
