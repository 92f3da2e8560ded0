// A subset of Go's text/template, shared by kubectl-style `-o go-template` output (on objects decoded from
// JSON) and Knative's configured templates (domain-template, tag-template, container-name-template, on GoStructs):
// actions with pipelines, fields (`.a.b`), variables (`$`, `$x := …`), `if`/`else if`/`else`, `range`
// (with `$i, $e :=`, `else`, `break`, `continue`), `with`, parenthesized pipelines, string/number/bool/nil
// literals, trim markers (`{{-`, `-}}`), comments, and the functions and, or, not, len, index, print, printf,
// println, eq, ne, lt, le, gt, ge plus kubectl's exists and base64decode. Not supported: define, template,
// block and the html/js/urlquery/slice/call functions.

import { goFloat, goFmtValue, goJsonTypeName } from './fmt.ts';

/** A parse or execution error, worded like Go's (`template: output:1:2: executing "output" at <.x>: …`). */
export class GoTemplateError extends Error {}

/** The template name kubectl gives `-o go-template` (it appears in every error message). */
const DEFAULT_NAME = 'output';

/**
 * A Go struct, for templates that Knative executes on typed values (network.DomainTemplateValues,
 * metav1.ObjectMeta) rather than on decoded JSON: a field it lacks is an execution error naming the
 * type, and its object-valued fields are map[string]string, so `index` of a missing key gives "".
 */
export class GoStruct {
  readonly typeName: string;
  readonly fields: Readonly<Record<string, string | Readonly<Record<string, string>>>>;

  constructor(typeName: string, fields: Readonly<Record<string, string | Readonly<Record<string, string>>>>) {
    this.typeName = typeName;
    this.fields = fields;
  }
}

// ---------------------------------------------------------------------------------------------
// Lexer

type TokType = 'text' | 'left' | 'right' | 'space' | 'field' | 'dot' | 'var' | 'ident' | 'string' | 'number' | 'char' | 'pipe' | 'lparen' | 'rparen' | 'declare' | 'assign' | 'comma' | 'eof';

interface Token {
  typ: TokType;
  val: string;
  pos: number;
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function isAlnum(c: string | undefined): boolean {
  return c !== undefined && /[\p{L}\p{N}_]/u.test(c);
}

function describeRune(c: string): string {
  return `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
}

function lineOf(input: string, pos: number): number {
  let n = 1;
  for (let i = 0; i < pos && i < input.length; i++) if (input[i] === '\n') n++;
  return n;
}

function lex(input: string, name: string): Token[] {
  const toks: Token[] = [];
  let pos = 0;
  const fail = (at: number, msg: string): never => {
    throw new GoTemplateError(`template: ${name}:${lineOf(input, at)}: ${msg}`);
  };
  let trimNextText = false;
  while (pos <= input.length) {
    const open = input.indexOf('{{', pos);
    let text = open < 0 ? input.slice(pos) : input.slice(pos, open);
    if (trimNextText) text = text.replace(/^[ \t\r\n]+/, '');
    trimNextText = false;
    if (open < 0) {
      if (text) toks.push({ typ: 'text', val: text, pos });
      break;
    }
    let p = open + 2;
    const trimLeft = input[p] === '-' && isSpace(input[p + 1]);
    if (trimLeft) {
      text = text.replace(/[ \t\r\n]+$/, '');
      p += 2;
    }
    if (text) toks.push({ typ: 'text', val: text, pos });
    // Comments.
    let q = p;
    while (trimLeft && isSpace(input[q])) q++;
    if (input.startsWith('/*', q)) {
      const end = input.indexOf('*/', q + 2);
      if (end < 0) fail(open, 'unclosed comment');
      let r = end + 2;
      if (input.startsWith('}}', r)) {
        pos = r + 2;
      } else if (isSpace(input[r]) && input.startsWith('-}}', r + 1)) {
        pos = r + 4;
        trimNextText = true;
      } else {
        fail(open, 'comment ends before closing delimiter');
      }
      continue;
    }
    toks.push({ typ: 'left', val: '{{', pos: open });
    // Inside the action.
    let parenDepth = 0;
    for (;;) {
      if (p >= input.length) fail(open, 'unclosed action');
      const c = input[p];
      if (input.startsWith('}}', p)) {
        if (parenDepth > 0) fail(p, 'unclosed left paren');
        toks.push({ typ: 'right', val: '}}', pos: p });
        p += 2;
        break;
      }
      if (isSpace(c)) {
        const start = p;
        while (isSpace(input[p])) p++;
        if (input.startsWith('-}}', p)) {
          if (parenDepth > 0) fail(p, 'unclosed left paren');
          toks.push({ typ: 'right', val: '}}', pos: p });
          p += 3;
          trimNextText = true;
          break;
        }
        toks.push({ typ: 'space', val: ' ', pos: start });
        continue;
      }
      if (c === '|') {
        toks.push({ typ: 'pipe', val: c, pos: p++ });
      } else if (c === '(') {
        parenDepth++;
        toks.push({ typ: 'lparen', val: c, pos: p++ });
      } else if (c === ')') {
        parenDepth--;
        if (parenDepth < 0) fail(p, `unexpected right paren ${describeRune(c)}`);
        toks.push({ typ: 'rparen', val: c, pos: p++ });
      } else if (c === ',') {
        toks.push({ typ: 'comma', val: c, pos: p++ });
      } else if (c === ':' && input[p + 1] === '=') {
        toks.push({ typ: 'declare', val: ':=', pos: p });
        p += 2;
      } else if (c === '=') {
        toks.push({ typ: 'assign', val: '=', pos: p++ });
      } else if (c === '"') {
        const start = p++;
        while (p < input.length && input[p] !== '"') {
          if (input[p] === '\\') p++;
          else if (input[p] === '\n') fail(start, 'unterminated quoted string');
          p++;
        }
        if (p >= input.length) fail(start, 'unterminated quoted string');
        p++;
        toks.push({ typ: 'string', val: input.slice(start, p), pos: start });
      } else if (c === '`') {
        const end = input.indexOf('`', p + 1);
        if (end < 0) fail(p, 'unterminated raw quoted string');
        toks.push({ typ: 'string', val: input.slice(p, end + 1), pos: p });
        p = end + 1;
      } else if (c === "'") {
        const start = p++;
        while (p < input.length && input[p] !== "'") {
          if (input[p] === '\\') p++;
          p++;
        }
        if (p >= input.length) fail(start, 'unterminated character constant');
        p++;
        toks.push({ typ: 'char', val: input.slice(start, p), pos: start });
      } else if (c === '$') {
        const start = p++;
        while (isAlnum(input[p])) p++;
        toks.push({ typ: 'var', val: input.slice(start, p), pos: start });
      } else if (c === '.') {
        if (input[p + 1] !== undefined && /[0-9]/.test(input[p + 1])) {
          const start = p;
          p = scanNumber(input, p);
          toks.push({ typ: 'number', val: input.slice(start, p), pos: start });
        } else {
          const start = p++;
          while (isAlnum(input[p])) p++;
          if (p === start + 1) toks.push({ typ: 'dot', val: '.', pos: start });
          else toks.push({ typ: 'field', val: input.slice(start + 1, p), pos: start });
        }
      } else if (c === '+' || c === '-' || /[0-9]/.test(c)) {
        const start = p;
        p = scanNumber(input, p);
        if (p === start || (p === start + 1 && (c === '+' || c === '-'))) fail(start, `bad number syntax: "${input.slice(start, p + 1)}"`);
        toks.push({ typ: 'number', val: input.slice(start, p), pos: start });
      } else if (isAlnum(c)) {
        const start = p;
        while (isAlnum(input[p])) p++;
        toks.push({ typ: 'ident', val: input.slice(start, p), pos: start });
      } else {
        fail(p, `unrecognized character in action: ${describeRune(c)}`);
      }
    }
    pos = p;
  }
  toks.push({ typ: 'eof', val: '', pos: input.length });
  return toks;
}

function scanNumber(input: string, p: number): number {
  if (input[p] === '+' || input[p] === '-') p++;
  if (input[p] === '0' && /[xXoObB]/.test(input[p + 1] ?? '')) {
    p += 2;
    while (/[0-9a-fA-F_]/.test(input[p] ?? '')) p++;
    return p;
  }
  while (/[0-9_]/.test(input[p] ?? '')) p++;
  if (input[p] === '.') {
    p++;
    while (/[0-9_]/.test(input[p] ?? '')) p++;
  }
  if (/[eE]/.test(input[p] ?? '')) {
    p++;
    if (input[p] === '+' || input[p] === '-') p++;
    while (/[0-9_]/.test(input[p] ?? '')) p++;
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// Parse tree

type Arg =
  | { t: 'field'; path: string[]; pos: number }
  | { t: 'dot'; pos: number }
  | { t: 'var'; name: string; path: string[]; pos: number }
  | { t: 'ident'; name: string; pos: number }
  | { t: 'string'; value: string; text: string; pos: number }
  | { t: 'number'; value: number; text: string; pos: number }
  | { t: 'bool'; value: boolean; pos: number }
  | { t: 'nil'; pos: number }
  | { t: 'pipe'; pipe: Pipe; pos: number }
  | { t: 'chain'; node: Arg; path: string[]; pos: number };

interface Cmd {
  args: Arg[];
  pos: number;
}

interface Pipe {
  decl: string[];
  isAssign: boolean;
  cmds: Cmd[];
  pos: number;
}

interface ControlNode {
  t: 'if' | 'with' | 'range';
  pipe: Pipe;
  list: Node[];
  elseList?: Node[];
  pos: number;
}

type Node = { t: 'text'; text: string } | { t: 'action'; pipe: Pipe; pos: number } | ControlNode | { t: 'break' | 'continue'; pos: number };

const FUNCS = new Set(['and', 'or', 'not', 'len', 'index', 'print', 'printf', 'println', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'exists', 'base64decode']);
const UNSUPPORTED = new Set(['define', 'template', 'block']);

function tokString(t: Token): string {
  switch (t.typ) {
    case 'eof':
      return 'EOF';
    case 'right':
      return '"}}"';
    case 'space':
      return 'space';
    default:
      return JSON.stringify(t.typ === 'field' ? `.${t.val}` : t.val);
  }
}

/** Go's strconv.Unquote for a double-quoted or raw string token. */
function unquoteGo(text: string): string {
  if (text.startsWith('`')) return text.slice(1, -1);
  try {
    // Go's escapes are a superset of JSON's for the common cases; map the others first.
    const body = text
      .slice(1, -1)
      .replace(/\\([abfvnrt\\"'])|\\x([0-9a-fA-F]{2})|\\U([0-9a-fA-F]{8})|\\([0-7]{3})|\\(u[0-9a-fA-F]{4})|(\\.)/g, (_m, simple, hex, big, oct, u, bad) => {
        if (simple) return JSON.stringify({ a: '\x07', b: '\b', f: '\f', v: '\v', n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', "'": "'" }[simple as string]).slice(1, -1);
        if (hex) return `\\u00${hex}`;
        if (big) return JSON.stringify(String.fromCodePoint(parseInt(big, 16))).slice(1, -1);
        if (oct) return `\\u${parseInt(oct, 8).toString(16).padStart(4, '0')}`;
        if (u) return `\\${u}`;
        throw new Error(bad);
      });
    return JSON.parse(`"${body}"`) as string;
  } catch {
    throw new GoTemplateError(`invalid syntax`);
  }
}

class TemplateParser {
  private i = 0;
  private readonly toks: Token[];
  private readonly input: string;
  private readonly name: string;
  private vars: string[] = ['$'];
  private rangeDepth = 0;

  constructor(input: string, name: string) {
    this.input = input;
    this.name = name;
    this.toks = lex(input, name);
  }

  private fail(pos: number, msg: string): never {
    throw new GoTemplateError(`template: ${this.name}:${lineOf(this.input, pos)}: ${msg}`);
  }

  private next(): Token {
    return this.toks[this.i++] ?? this.toks[this.toks.length - 1];
  }

  private peek(): Token {
    return this.toks[this.i] ?? this.toks[this.toks.length - 1];
  }

  private nextNonSpace(): Token {
    let t = this.next();
    while (t.typ === 'space') t = this.next();
    return t;
  }

  private peekNonSpace(): Token {
    const save = this.i;
    const t = this.nextNonSpace();
    this.i = save;
    return t;
  }

  parse(): Node[] {
    const { list, stop } = this.parseList();
    if (stop) this.fail(stop.pos, `unexpected {{${stop.word}}}`);
    return list;
  }

  /** Parses nodes until EOF or an `{{end}}` / `{{else …` (returned as `stop`, positioned after the keyword). */
  private parseList(): { list: Node[]; stop?: { word: 'end' | 'else'; pos: number } } {
    const list: Node[] = [];
    for (;;) {
      const t = this.next();
      if (t.typ === 'eof') return { list };
      if (t.typ === 'text') {
        list.push({ t: 'text', text: t.val });
        continue;
      }
      // t is a left delimiter
      const kw = this.peekNonSpace();
      if (kw.typ === 'ident') {
        switch (kw.val) {
          case 'end':
            this.nextNonSpace();
            this.expectRight('end');
            return { list, stop: { word: 'end', pos: kw.pos } };
          case 'else':
            this.nextNonSpace();
            return { list, stop: { word: 'else', pos: kw.pos } };
          case 'if':
          case 'with':
          case 'range':
            this.nextNonSpace();
            list.push(this.parseControl(kw.val, kw.pos));
            continue;
          case 'break':
          case 'continue':
            this.nextNonSpace();
            if (this.rangeDepth === 0) this.fail(kw.pos, `{{${kw.val}}} outside {{range}}`);
            this.expectRight(kw.val);
            list.push({ t: kw.val, pos: kw.pos });
            continue;
          default:
            if (UNSUPPORTED.has(kw.val)) this.fail(kw.pos, `{{${kw.val}}} is not supported by knit's go-template printer`);
        }
      }
      const pipe = this.parsePipeline('command', 'right', false);
      list.push({ t: 'action', pipe, pos: pipe.pos });
    }
  }

  private expectRight(context: string): void {
    const t = this.nextNonSpace();
    if (t.typ !== 'right') this.fail(t.pos, `unexpected ${tokString(t)} in ${context}`);
  }

  private parseControl(kind: 'if' | 'with' | 'range', pos: number): Node {
    const mark = this.vars.length;
    const pipe = this.parsePipeline(kind, 'right', kind === 'range');
    if (kind === 'range') this.rangeDepth++;
    const body = this.parseList();
    if (kind === 'range') this.rangeDepth--;
    if (!body.stop) this.fail(this.input.length, 'unexpected EOF');
    const node: Node = { t: kind, pipe, list: body.list, pos };
    if (body.stop.word === 'else') {
      const after = this.peekNonSpace();
      if ((kind === 'if' && after.typ === 'ident' && after.val === 'if') || (kind === 'with' && after.typ === 'ident' && after.val === 'with')) {
        // `{{else if …}}` / `{{else with …}}`: a nested control sharing this one's {{end}}.
        this.nextNonSpace();
        node.elseList = [this.parseControl(kind, after.pos)];
      } else {
        this.expectRight('else');
        const rest = this.parseList();
        if (!rest.stop) this.fail(this.input.length, 'unexpected EOF');
        if (rest.stop.word !== 'end') this.fail(rest.stop.pos, 'expected end; found {{else}}');
        node.elseList = rest.list;
      }
    }
    this.vars.length = mark;
    return node;
  }

  private parsePipeline(context: string, end: 'right' | 'rparen', allowTwoVars: boolean): Pipe {
    const start = this.peekNonSpace();
    const pipe: Pipe = { decl: [], isAssign: false, cmds: [], pos: start.pos };
    // Declarations: `$x :=`, `$x =`, `$i, $e :=` (range only).
    const save = this.i;
    const v = this.nextNonSpace();
    if (v.typ === 'var') {
      const after = this.peekNonSpace();
      if (after.typ === 'declare' || after.typ === 'assign') {
        this.nextNonSpace();
        pipe.decl.push(v.val);
        pipe.isAssign = after.typ === 'assign';
        if (pipe.isAssign && !this.vars.includes(v.val)) this.fail(v.pos, `undefined variable "${v.val}"`);
      } else if (after.typ === 'comma' && allowTwoVars) {
        this.nextNonSpace();
        const v2 = this.nextNonSpace();
        if (v2.typ !== 'var') this.fail(v2.pos, `range can only initialize variables`);
        const op = this.nextNonSpace();
        if (op.typ !== 'declare' && op.typ !== 'assign') this.fail(op.pos, `expected := or = in range`);
        pipe.decl.push(v.val, v2.val);
        pipe.isAssign = op.typ === 'assign';
      } else {
        this.i = save;
      }
    } else {
      this.i = save;
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.typ === end) break;
      if (t.typ === 'right' || t.typ === 'rparen' || t.typ === 'eof') this.fail(t.pos, `unexpected ${tokString(t)} in ${context}`);
      this.i--;
      pipe.cmds.push(this.parseCommand(end));
    }
    if (pipe.cmds.length === 0) this.fail(start.pos, `missing value for ${context}`);
    if (!pipe.isAssign) for (const d of pipe.decl) this.vars.push(d);
    return pipe;
  }

  private parseCommand(end: 'right' | 'rparen'): Cmd {
    const cmd: Cmd = { args: [], pos: this.peekNonSpace().pos };
    for (;;) {
      const t = this.peekNonSpace();
      if (t.typ === end || t.typ === 'right' || t.typ === 'rparen' || t.typ === 'eof') break;
      if (t.typ === 'pipe') {
        this.nextNonSpace();
        break;
      }
      this.nextNonSpace();
      cmd.args.push(this.parseOperand(t));
    }
    if (cmd.args.length === 0) this.fail(cmd.pos, 'empty command');
    return cmd;
  }

  private parseOperand(t: Token): Arg {
    let node: Arg;
    switch (t.typ) {
      case 'field': {
        const path = [t.val];
        while (this.peek().typ === 'field') path.push(this.next().val);
        return { t: 'field', path, pos: t.pos };
      }
      case 'dot':
        node = { t: 'dot', pos: t.pos };
        break;
      case 'var':
        if (!this.vars.includes(t.val)) this.fail(t.pos, `undefined variable "${t.val}"`);
        node = { t: 'var', name: t.val, path: [], pos: t.pos };
        break;
      case 'ident':
        if (t.val === 'true' || t.val === 'false') node = { t: 'bool', value: t.val === 'true', pos: t.pos };
        else if (t.val === 'nil') node = { t: 'nil', pos: t.pos };
        else if (FUNCS.has(t.val)) node = { t: 'ident', name: t.val, pos: t.pos };
        else this.fail(t.pos, `function "${t.val}" not defined`);
        break;
      case 'string':
        try {
          node = { t: 'string', value: unquoteGo(t.val), text: t.val, pos: t.pos };
        } catch {
          this.fail(t.pos, `invalid syntax: ${t.val}`);
        }
        break;
      case 'char': {
        let ch: string;
        try {
          ch = unquoteGo(`"${t.val.slice(1, -1).replace(/"/g, '\\"')}"`);
        } catch {
          this.fail(t.pos, `malformed character constant: ${t.val}`);
        }
        if ([...ch].length !== 1) this.fail(t.pos, `malformed character constant: ${t.val}`);
        node = { t: 'number', value: ch.codePointAt(0) ?? 0, text: t.val, pos: t.pos };
        break;
      }
      case 'number': {
        const value = Number(t.val.replaceAll('_', ''));
        if (Number.isNaN(value)) this.fail(t.pos, `illegal number syntax: ${JSON.stringify(t.val)}`);
        node = { t: 'number', value, text: t.val, pos: t.pos };
        break;
      }
      case 'lparen': {
        const pipe = this.parsePipeline('parenthesized pipeline', 'rparen', false);
        node = { t: 'pipe', pipe, pos: t.pos };
        break;
      }
      default:
        this.fail(t.pos, `unexpected ${tokString(t)} in operand`);
    }
    if (this.peek().typ === 'field') {
      const path: string[] = [];
      while (this.peek().typ === 'field') path.push(this.next().val);
      if (node.t === 'var') return { ...node, path };
      if (node.t === 'bool' || node.t === 'string' || node.t === 'number' || node.t === 'nil' || node.t === 'dot') {
        this.fail(t.pos, `unexpected . after term ${JSON.stringify(argString(node))}`);
      }
      return { t: 'chain', node, path, pos: t.pos };
    }
    return node;
  }
}

function argString(a: Arg): string {
  switch (a.t) {
    case 'field':
      return a.path.map((p) => `.${p}`).join('');
    case 'dot':
      return '.';
    case 'var':
      return a.name + a.path.map((p) => `.${p}`).join('');
    case 'ident':
      return a.name;
    case 'string':
      return a.text;
    case 'number':
      return a.text;
    case 'bool':
      return String(a.value);
    case 'nil':
      return 'nil';
    case 'pipe':
      return `(${pipeString(a.pipe)})`;
    case 'chain':
      return argString(a.node) + a.path.map((p) => `.${p}`).join('');
  }
}

function pipeString(p: Pipe): string {
  const decl = p.decl.length > 0 ? `${p.decl.join(', ')} ${p.isAssign ? '=' : ':='} ` : '';
  return decl + p.cmds.map((c) => c.args.map(argString).join(' ')).join(' | ');
}

// ---------------------------------------------------------------------------------------------
// Execution

/** `undefined` stands for Go's invalid reflect.Value (a missing key: prints `<no value>`). */
type Value = unknown;

class BreakSignal {}
class ContinueSignal {}

function isMap(v: Value): v is Record<string, Value> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof GoStruct);
}

function goTypeName(v: Value): string {
  if (v === undefined || v === null) return '<nil>';
  if (v instanceof GoStruct) return v.typeName;
  return goJsonTypeName(v);
}

/** text/template's truth: false, 0, nil, and empty strings, slices and maps are false. */
export function isTrue(v: Value): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  // A struct is always true.
  return true;
}

interface Scope {
  name: string;
  value: Value;
}

class ExecError extends Error {}

class Executor {
  private readonly input: string;
  private readonly name: string;
  private readonly missingKeyError: boolean;
  /** Maps read from a GoStruct's fields: map[string]string, whose missing keys index to "". */
  private readonly stringMaps = new WeakSet<object>();
  private vars: Scope[];
  private at: { pos: number; text: string } = { pos: 0, text: '' };
  out = '';

  constructor(input: string, name: string, root: Value, missingKeyError: boolean) {
    this.input = input;
    this.name = name;
    this.missingKeyError = missingKeyError;
    this.vars = [{ name: '$', value: root }];
  }

  fail(msg: string): never {
    const before = this.input.slice(0, this.at.pos);
    const nl = before.lastIndexOf('\n');
    const col = nl < 0 ? this.at.pos : this.at.pos - nl - 1;
    let context = this.at.text;
    if (context.length > 20) context = `${context.slice(0, 20)}...`;
    throw new ExecError(`template: ${this.name}:${lineOf(this.input, this.at.pos)}:${col}: executing "${this.name}" at <${context}>: ${msg}`);
  }

  private setAt(a: { pos: number }, text: string): void {
    this.at = { pos: a.pos, text };
  }

  walk(dot: Value, nodes: readonly Node[]): void {
    for (const node of nodes) {
      switch (node.t) {
        case 'text':
          this.out += node.text;
          break;
        case 'action': {
          const v = this.evalPipeline(dot, node.pipe);
          if (node.pipe.decl.length === 0) this.out += printValue(v);
          break;
        }
        case 'if':
        case 'with': {
          const mark = this.vars.length;
          const v = this.evalPipeline(dot, node.pipe);
          if (isTrue(v)) this.walk(node.t === 'with' ? v : dot, node.list);
          else if (node.elseList) this.walk(dot, node.elseList);
          this.vars.length = mark;
          break;
        }
        case 'range':
          this.walkRange(dot, node);
          break;
        case 'break':
          throw new BreakSignal();
        case 'continue':
          throw new ContinueSignal();
      }
    }
  }

  private walkRange(dot: Value, node: ControlNode): void {
    const mark = this.vars.length;
    const v = this.evalPipeline(dot, { ...node.pipe, decl: [] });
    const entries: [Value, Value][] = [];
    if (Array.isArray(v)) v.forEach((e, i) => entries.push([i, e]));
    else if (isMap(v)) for (const k of Object.keys(v).sort()) entries.push([k, v[k]]);
    else if (typeof v === 'number' && Number.isInteger(v)) for (let i = 0; i < v; i++) entries.push([i, i]);
    else if (v !== undefined && v !== null) {
      this.setAt(node.pipe, pipeString(node.pipe));
      this.fail(`range can't iterate over ${goFmtValue(v)}`);
    }
    if (entries.length === 0) {
      if (node.elseList) this.walk(dot, node.elseList);
      this.vars.length = mark;
      return;
    }
    for (const [key, elem] of entries) {
      const d = node.pipe.decl;
      if (d.length === 1) this.setVar(d[0], elem, node.pipe.isAssign);
      else if (d.length === 2) {
        this.setVar(d[0], key, node.pipe.isAssign);
        this.setVar(d[1], elem, node.pipe.isAssign);
      }
      const inner = this.vars.length;
      try {
        this.walk(elem, node.list);
      } catch (e) {
        if (e instanceof BreakSignal) {
          this.vars.length = inner;
          break;
        }
        if (!(e instanceof ContinueSignal)) throw e;
      }
      this.vars.length = inner;
    }
    this.vars.length = mark;
  }

  private setVar(name: string, value: Value, assign: boolean): void {
    if (assign) {
      for (let i = this.vars.length - 1; i >= 0; i--) {
        if (this.vars[i].name === name) {
          this.vars[i].value = value;
          return;
        }
      }
    }
    this.vars.push({ name, value });
  }

  private lookupVar(name: string): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    this.fail(`undefined variable: ${name}`);
  }

  private evalPipeline(dot: Value, pipe: Pipe): Value {
    let value: Value = undefined;
    let first = true;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, first ? NO_FINAL : value);
      first = false;
    }
    // text/template turns a nil interface into an invalid value ("lovely!").
    if (value === null) value = undefined;
    for (const d of pipe.decl) this.setVar(d, value, pipe.isAssign);
    return value;
  }

  private evalCommand(dot: Value, cmd: Cmd, final: Value | typeof NO_FINAL): Value {
    const first = cmd.args[0];
    this.setAt(first, cmd.args.map(argString).join(' '));
    switch (first.t) {
      case 'ident':
        return this.evalFunction(dot, first.name, cmd.args.slice(1), final);
      case 'field':
        this.notAFunction(cmd, final);
        return this.evalPath(dot, first.path, first);
      case 'chain':
        this.notAFunction(cmd, final);
        return this.evalPath(this.evalArg(dot, first.node), first.path, first);
      case 'var':
        this.notAFunction(cmd, final);
        return this.evalPath(this.lookupVar(first.name), first.path, first);
      case 'pipe':
        this.notAFunction(cmd, final);
        return this.evalPipeline(dot, first.pipe);
      case 'nil':
        return this.fail('nil is not a command');
      default:
        this.notAFunction(cmd, final);
        return this.evalArg(dot, first);
    }
  }

  private notAFunction(cmd: Cmd, final: Value | typeof NO_FINAL): void {
    if (cmd.args.length > 1 || final !== NO_FINAL) this.fail(`can't give argument to non-function ${argString(cmd.args[0])}`);
  }

  private evalPath(receiver: Value, path: readonly string[], at: Arg): Value {
    let v = receiver;
    for (const name of path) {
      this.setAt(at, argString(at));
      if (v === undefined || v === null) {
        if (this.missingKeyError) this.fail(`nil data; no entry for key ${JSON.stringify(name)}`);
        return undefined;
      }
      if (v instanceof GoStruct) {
        if (!Object.hasOwn(v.fields, name)) this.fail(`can't evaluate field ${name} in type ${v.typeName}`);
        v = v.fields[name];
        if (isMap(v)) this.stringMaps.add(v);
      } else if (isMap(v)) {
        if (Object.hasOwn(v, name)) {
          v = v[name];
        } else {
          if (this.missingKeyError) this.fail(`map has no entry for key ${JSON.stringify(name)}`);
          return undefined;
        }
      } else {
        this.fail(`can't evaluate field ${name} in type ${goTypeName(v)}`);
      }
    }
    return v;
  }

  private evalArg(dot: Value, a: Arg): Value {
    switch (a.t) {
      case 'field':
        return this.evalPath(dot, a.path, a);
      case 'dot':
        return dot;
      case 'var':
        return this.evalPath(this.lookupVar(a.name), a.path, a);
      case 'chain':
        return this.evalPath(this.evalArg(dot, a.node), a.path, a);
      case 'ident':
        this.setAt(a, a.name);
        return this.evalFunction(dot, a.name, [], NO_FINAL);
      case 'string':
        return a.value;
      case 'number':
        return a.value;
      case 'bool':
        return a.value;
      case 'nil':
        return null;
      case 'pipe': {
        const mark = this.vars.length;
        const v = this.evalPipeline(dot, a.pipe);
        this.vars.length = mark;
        return v;
      }
    }
  }

  private evalFunction(dot: Value, name: string, argNodes: readonly Arg[], final: Value | typeof NO_FINAL): Value {
    const at = this.at;
    const argc = argNodes.length + (final === NO_FINAL ? 0 : 1);
    // and / or evaluate lazily.
    if (name === 'and' || name === 'or') {
      if (argc < 1) this.fail(`wrong number of args for ${name}: want at least 1 got 0`);
      let v: Value;
      for (let i = 0; i < argc; i++) {
        v = i < argNodes.length ? this.evalArg(dot, argNodes[i]) : final;
        if (isTrue(v) !== (name === 'and')) return v;
      }
      return v;
    }
    const args = argNodes.map((a) => this.evalArg(dot, a));
    if (final !== NO_FINAL) args.push(final);
    this.at = at;
    const want = (n: number): void => {
      if (args.length !== n) this.fail(`wrong number of args for ${name}: want ${n} got ${args.length}`);
    };
    const atLeast = (n: number): void => {
      if (args.length < n) this.fail(`wrong number of args for ${name}: want at least ${n} got ${args.length}`);
    };
    switch (name) {
      case 'not':
        want(1);
        return !isTrue(args[0]);
      case 'len': {
        want(1);
        const v = args[0];
        if (typeof v === 'string') return Buffer.byteLength(v);
        if (Array.isArray(v)) return v.length;
        if (isMap(v)) return Object.keys(v).length;
        if (v === undefined || v === null) this.fail('error calling len: len of nil pointer');
        return this.fail(`error calling len: len of type ${goTypeName(v)}`);
      }
      case 'index': {
        atLeast(1);
        let v = args[0];
        for (const key of args.slice(1)) {
          if (Array.isArray(v) || typeof v === 'string') {
            if (typeof key !== 'number' || !Number.isInteger(key)) this.fail(`error calling index: cannot index slice/array with type ${goTypeName(key)}`);
            const len = typeof v === 'string' ? Buffer.byteLength(v) : v.length;
            if (key < 0 || key >= len) this.fail(`error calling index: index out of range: ${key}`);
            v = typeof v === 'string' ? Buffer.from(v)[key] : v[key];
          } else if (isMap(v)) {
            if (typeof key !== 'string') this.fail(`error calling index: value has type ${goTypeName(key)}; should be string`);
            v = Object.hasOwn(v, key) ? v[key] : this.stringMaps.has(v) ? '' : null;
          } else if (v === undefined || v === null) {
            this.fail('error calling index: index of untyped nil');
          } else {
            this.fail(`error calling index: can't index item of type ${goTypeName(v)}`);
          }
        }
        return v;
      }
      case 'exists': {
        atLeast(1);
        let v = args[0];
        for (const key of args.slice(1)) {
          if (v === undefined || v === null) return false;
          if (Array.isArray(v) || typeof v === 'string') {
            if (typeof key !== 'number' || !Number.isInteger(key) || key < 0 || key >= v.length) return false;
            v = typeof v === 'string' ? v[key] : v[key];
          } else if (isMap(v)) {
            if (typeof key !== 'string') return false;
            v = Object.hasOwn(v, key) ? v[key] : null;
          } else {
            return false;
          }
        }
        return v !== undefined && v !== null;
      }
      case 'base64decode': {
        want(1);
        if (typeof args[0] !== 'string') this.fail(`error calling base64decode: wrong type for value; expected string; got ${goTypeName(args[0])}`);
        const s = args[0];
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) this.fail('error calling base64decode: base64 decode failed: illegal base64 data');
        return Buffer.from(s, 'base64').toString('utf8');
      }
      case 'print':
        return goSprint(args);
      case 'println':
        return args.map(goFmtValueOrNoValue).join(' ') + '\n';
      case 'printf':
        atLeast(1);
        if (typeof args[0] !== 'string') this.fail(`wrong type for value; expected string; got ${goTypeName(args[0])}`);
        return goSprintf(args[0], args.slice(1));
      case 'eq': {
        atLeast(1);
        if (args.length < 2) this.fail('error calling eq: missing argument for comparison');
        return args.slice(1).some((b) => this.equal(args[0], b, 'eq'));
      }
      case 'ne':
        want(2);
        return !this.equal(args[0], args[1], 'ne');
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge': {
        want(2);
        const [a, b] = args;
        if (!((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string'))) {
          this.fail(`error calling ${name}: ${typeof a === typeof b ? 'invalid type for comparison' : 'incompatible types for comparison'}`);
        }
        const lt = (a as number | string) < (b as number | string);
        const eq = a === b;
        return name === 'lt' ? lt : name === 'le' ? lt || eq : name === 'gt' ? !lt && !eq : !lt;
      }
    }
    this.fail(`function "${name}" not defined`);
  }

  private equal(a: Value, b: Value, fn: string): boolean {
    const nullish = (v: Value): boolean => v === undefined || v === null;
    if (nullish(a) || nullish(b)) return nullish(a) && nullish(b);
    if (typeof a !== typeof b) this.fail(`error calling ${fn}: incompatible types for comparison`);
    if (typeof a === 'object') this.fail(`error calling ${fn}: non-comparable type ${goFmtValue(a)}: ${goTypeName(a)}`);
    return a === b;
  }
}

const NO_FINAL = Symbol('no final value');

function goFmtValueOrNoValue(v: Value): string {
  return v === undefined ? '<no value>' : goFmtValue(v);
}

/** How an action prints its value (text/template's printValue). */
function printValue(v: Value): string {
  if (v instanceof GoStruct) return `{${Object.values(v.fields).map(goFmtValue).join(' ')}}`;
  return goFmtValueOrNoValue(v);
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
function goSprint(args: readonly Value[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += goFmtValueOrNoValue(a);
  });
  return out;
}

function goQuote(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A practical subset of fmt.Sprintf: flags `-+ 0#`, width, precision, verbs v s q d f F e E g G t x X c o b %. */
export function goSprintf(format: string, args: readonly Value[]): string {
  let out = '';
  let argi = 0;
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c !== '%') {
      out += c;
      continue;
    }
    const m = /^([-+# 0]*)(\d+)?(?:\.(\d*))?([a-zA-Z%])/.exec(format.slice(i + 1));
    if (!m) {
      out += '%!(NOVERB)';
      break;
    }
    i += m[0].length;
    const [, flags, widthText, precText, verb] = m;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argi++];
    const prec = precText === undefined ? undefined : precText === '' ? 0 : Number(precText);
    let s: string;
    let numeric = false;
    switch (verb) {
      case 'v':
      case 's':
        s = goFmtValueOrNoValue(arg);
        if (prec !== undefined && verb === 's') s = [...s].slice(0, prec).join('');
        break;
      case 'q':
        s = typeof arg === 'string' ? goQuote(arg) : goFmtValueOrNoValue(arg);
        break;
      case 'd':
      case 'x':
      case 'X':
      case 'o':
      case 'b':
      case 'c':
        if (typeof arg === 'string' && (verb === 'x' || verb === 'X')) {
          s = Buffer.from(arg).toString('hex');
          if (verb === 'X') s = s.toUpperCase();
        } else if (typeof arg === 'number' && Number.isInteger(arg)) {
          numeric = true;
          if (verb === 'c') s = String.fromCodePoint(arg);
          else {
            const radix = verb === 'd' ? 10 : verb === 'o' ? 8 : verb === 'b' ? 2 : 16;
            s = Math.abs(arg).toString(radix);
            if (verb === 'X') s = s.toUpperCase();
            if (arg < 0) s = '-' + s;
            else if (flags.includes('+')) s = '+' + s;
          }
        } else {
          s = `%!${verb}(${goTypeName(arg)}=${goFmtValueOrNoValue(arg)})`;
        }
        break;
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G':
        if (typeof arg !== 'number') {
          s = `%!${verb}(${goTypeName(arg)}=${goFmtValueOrNoValue(arg)})`;
          break;
        }
        numeric = true;
        if (verb === 'f' || verb === 'F') s = arg.toFixed(prec ?? 6);
        else if (verb === 'e' || verb === 'E') s = arg.toExponential(prec ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
        else s = prec === undefined ? goFloat(arg) : Number(arg.toPrecision(prec || 1)).toString();
        if (verb === 'E' || verb === 'G') s = s.toUpperCase();
        if (arg >= 0 && flags.includes('+')) s = '+' + s;
        break;
      case 't':
        s = typeof arg === 'boolean' ? String(arg) : `%!t(${goTypeName(arg)}=${goFmtValueOrNoValue(arg)})`;
        break;
      default:
        s = `%!${verb}(${goTypeName(arg)}=${goFmtValueOrNoValue(arg)})`;
    }
    const width = widthText === undefined ? 0 : Number(widthText);
    const len = [...s].length;
    if (len < width) {
      if (flags.includes('-')) s += ' '.repeat(width - len);
      else if (flags.includes('0') && numeric) {
        const sign = /^[+-]/.test(s) ? s[0] : '';
        s = sign + '0'.repeat(width - len) + s.slice(sign.length);
      } else s = ' '.repeat(width - len) + s;
    }
    out += s;
  }
  if (argi < args.length) {
    out += `%!(EXTRA ${args
      .slice(argi)
      .map((a) => `${goTypeName(a)}=${goFmtValueOrNoValue(a)}`)
      .join(', ')})`;
  }
  return out;
}

/** A parsed template. */
export interface GoTemplate {
  source: string;
  /** template.New(name): the name its error messages carry. */
  name: string;
  root: Node[];
}

/** Parses a template; errors read like Go's (`template: output:1: unclosed action`). */
export function parseGoTemplate(source: string, name = DEFAULT_NAME): GoTemplate {
  return { source, name, root: new TemplateParser(source, name).parse() };
}

/**
 * Executes a template on plain JSON data. `missingKeyError` is text/template's missingkey=error (kubectl's
 * --allow-missing-template-keys=false); by default a missing key prints `<no value>`.
 */
export function executeGoTemplate(t: GoTemplate, data: unknown, opts: { missingKeyError?: boolean } = {}): string {
  const ex = new Executor(t.source, t.name, data, opts.missingKeyError ?? false);
  try {
    ex.walk(data, t.root);
  } catch (e) {
    if (e instanceof ExecError) throw new GoTemplateError(e.message);
    throw e;
  }
  return ex.out;
}
