// CloudEvents SQL Expression Language v1.0.0 (cloudevents/spec cesql/spec.md): a lexer, a parser
// following the ANTLR grammar's precedence (cesql/CESQLParser.g4: function invocation, NOT, unary minus,
// LIKE, EXISTS, IN, * / %, + -, comparisons, then AND/OR/XOR at one right-associative level), and an
// evaluator with the type-casting rules of §3.7 and the error kinds of §3.3. Evaluation is fail-fast
// (§4.1), as cloudevents/sdk-go sql/v2 (the engine Knative's Trigger filters use) is: the first error
// ends the evaluation with the zero value of the failing subexpression's type, and a filter does not
// pass on any error (§1.2).

export type Value = string | number | boolean;
export type ErrorKind = 'parse' | 'math' | 'cast' | 'missingAttribute' | 'missingFunction' | 'functionEvaluation' | 'generic';

const KIND_TEXT: Record<ErrorKind, string> = {
  parse: 'parse error',
  math: 'math error',
  cast: 'cast error',
  missingAttribute: 'missing attribute error',
  missingFunction: 'missing function error',
  functionEvaluation: 'function evaluation error',
  generic: 'generic error',
};

/** A CESQL error; its message reads `<kind> error: <detail>` as sdk-go's errors do. */
export class CesqlError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, detail: string) {
    super(`${KIND_TEXT[kind]}: ${detail}`);
    this.kind = kind;
  }
}

/** The event attributes an expression reads, by lower-case name (absent when not set); knit's events carry strings. */
export type Attributes = Readonly<Record<string, Value | undefined>>;

// ---------------------------------------------------------------- lexer

type TokKind = 'int' | 'str' | 'ident' | 'kw' | 'op' | '(' | ')' | ',' | 'eof';
interface Token {
  kind: TokKind;
  text: string; // keywords and operators upper-cased; identifiers as written
  value?: string; // string literal contents
  pos: number;
}

const KEYWORDS = new Set(['AND', 'OR', 'XOR', 'NOT', 'LIKE', 'EXISTS', 'IN', 'TRUE', 'FALSE']);

function lex(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = input.length;
  while (i < n) {
    const c = input[i];
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
      continue;
    }
    const start = i;
    if (c === '(' || c === ')' || c === ',') {
      out.push({ kind: c, text: c, pos: start });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      // '\\'. | doubled quote | any other character (CESQLLexer.g4 DQUOTA_STRING / SQUOTA_STRING)
      i++;
      let closed = false;
      while (i < n) {
        if (input[i] === '\\' && i + 1 < n) {
          i += 2;
        } else if (input[i] === c) {
          if (input[i + 1] === c) i += 2;
          else {
            i++;
            closed = true;
            break;
          }
        } else i++;
      }
      if (!closed) throw new CesqlError('parse', `syntax error: unterminated string literal at position ${start}`);
      const raw = input.slice(start + 1, i - 1);
      // sdk-go sql/v2 parser: only the escaped delimiter is unescaped.
      out.push({ kind: 'str', text: input.slice(start, i), value: raw.split(`\\${c}`).join(c), pos: start });
      continue;
    }
    // INTEGER_LITERAL includes its sign when a digit follows directly (the lexer's longest match).
    if ((c === '+' || c === '-') && /[0-9]/.test(input[i + 1] ?? '')) {
      let j = i + 1;
      while (j < n && /[0-9]/.test(input[j])) j++;
      // `-1abc` is not an identifier (identifiers have no sign): the integer ends at the digits.
      out.push({ kind: 'int', text: input.slice(i, j), pos: start });
      i = j;
      continue;
    }
    if (/[A-Za-z0-9]/.test(c)) {
      let j = i;
      while (j < n && /[A-Za-z0-9]/.test(input[j])) j++;
      // FUNCTION_IDENTIFIER_WITH_UNDERSCORE: [A-Z][A-Z_]* (after upper-casing), longer than IDENTIFIER when `_` follows.
      if (/[A-Za-z]/.test(c) && input[j] === '_' && /^[A-Za-z]+$/.test(input.slice(i, j))) {
        let k = j;
        while (k < n && /[A-Za-z_]/.test(input[k])) k++;
        if (k >= j) {
          out.push({ kind: 'ident', text: input.slice(i, k), pos: start });
          i = k;
          continue;
        }
      }
      const word = input.slice(i, j);
      const upper = word.toUpperCase();
      if (KEYWORDS.has(upper)) out.push({ kind: 'kw', text: upper, pos: start });
      else if (/^[0-9]+$/.test(word)) out.push({ kind: 'int', text: word, pos: start });
      else out.push({ kind: 'ident', text: word, pos: start });
      i = j;
      continue;
    }
    const two = input.slice(i, i + 2);
    if (two === '!=' || two === '<>' || two === '>=' || two === '<=') {
      out.push({ kind: 'op', text: two, pos: start });
      i += 2;
      continue;
    }
    if ('*/%+-=<>'.includes(c)) {
      out.push({ kind: 'op', text: c, pos: start });
      i++;
      continue;
    }
    throw new CesqlError('parse', `syntax error: token recognition error at: '${c}'`);
  }
  out.push({ kind: 'eof', text: '<EOF>', pos: n });
  return out;
}

// ---------------------------------------------------------------- AST

export type Expr =
  | { t: 'lit'; v: Value }
  | { t: 'id'; name: string }
  | { t: 'not'; e: Expr }
  | { t: 'neg'; e: Expr }
  | { t: 'like'; e: Expr; pattern: string; not: boolean }
  | { t: 'exists'; name: string }
  | { t: 'in'; e: Expr; set: Expr[]; not: boolean }
  | { t: 'bin'; op: string; l: Expr; r: Expr }
  | { t: 'call'; name: string; args: Expr[] };

// ---------------------------------------------------------------- parser

const LOGIC = new Set(['AND', 'OR', 'XOR']);
const COMPARISON = new Set(['=', '!=', '<>', '>=', '<=', '<', '>']);
const ADDITIVE = new Set(['+', '-']);
const MULTIPLICATIVE = new Set(['*', '/', '%']);

class Parser {
  #toks: Token[];
  #i = 0;
  constructor(toks: Token[]) {
    this.#toks = toks;
  }

  #peek(o = 0): Token {
    return this.#toks[Math.min(this.#i + o, this.#toks.length - 1)];
  }
  #next(): Token {
    return this.#toks[this.#i++];
  }
  #fail(t: Token, what: string): never {
    throw new CesqlError('parse', `syntax error: ${t.kind === 'eof' ? `expected ${what} at end of input` : `unexpected '${t.text}' at position ${t.pos}, expected ${what}`}`);
  }
  #expect(kind: TokKind, what: string): Token {
    const t = this.#peek();
    if (t.kind !== kind) this.#fail(t, what);
    return this.#next();
  }

  parse(): Expr {
    const e = this.#logic();
    const t = this.#peek();
    if (t.kind !== 'eof') this.#fail(t, 'end of input');
    return e;
  }

  // AND | OR | XOR, one level, right-associative (<assoc=right> in the grammar).
  #logic(): Expr {
    const l = this.#comparison();
    const t = this.#peek();
    if (t.kind === 'kw' && LOGIC.has(t.text)) {
      this.#next();
      return { t: 'bin', op: t.text, l, r: this.#logic() };
    }
    return l;
  }

  #comparison(): Expr {
    return this.#leftAssociative(COMPARISON, () => this.#additive());
  }

  #additive(): Expr {
    return this.#leftAssociative(ADDITIVE, () => this.#multiplicative());
  }

  #multiplicative(): Expr {
    return this.#leftAssociative(MULTIPLICATIVE, () => this.#postfix());
  }

  /** One left-associative level of binary operators `ops` over `operand`. */
  #leftAssociative(ops: ReadonlySet<string>, operand: () => Expr): Expr {
    let l = operand();
    for (;;) {
      const t = this.#peek();
      if (t.kind === 'op' && ops.has(t.text)) {
        this.#next();
        l = { t: 'bin', op: t.text, l, r: operand() };
      } else return l;
    }
  }

  // expression NOT? LIKE stringLiteral | expression NOT? IN setExpression (postfix, left-associative).
  #postfix(): Expr {
    let e = this.#unary();
    for (;;) {
      const t = this.#peek();
      const negated = t.kind === 'kw' && t.text === 'NOT';
      const op = negated ? this.#peek(1) : t;
      if (op.kind === 'kw' && op.text === 'LIKE') {
        if (negated) this.#next();
        this.#next();
        const p = this.#peek();
        if (p.kind !== 'str') this.#fail(p, 'a string literal pattern');
        this.#next();
        e = { t: 'like', e, pattern: p.value ?? '', not: negated };
      } else if (op.kind === 'kw' && op.text === 'IN') {
        if (negated) this.#next();
        this.#next();
        this.#expect('(', "'('");
        const set = [this.#logic()];
        while (this.#peek().kind === ',') {
          this.#next();
          set.push(this.#logic());
        }
        this.#expect(')', "')'");
        e = { t: 'in', e, set, not: negated };
      } else return e;
    }
  }

  // NOT expression | - expression: the operand binds tighter than any binary or postfix operator.
  #unary(): Expr {
    const t = this.#peek();
    if (t.kind === 'kw' && t.text === 'NOT') {
      this.#next();
      return { t: 'not', e: this.#unary() };
    }
    if (t.kind === 'op' && t.text === '-') {
      this.#next();
      return { t: 'neg', e: this.#unary() };
    }
    if (t.kind === 'kw' && t.text === 'EXISTS') {
      this.#next();
      const id = this.#peek();
      if (id.kind !== 'ident' || id.text.includes('_')) this.#fail(id, 'an attribute name');
      this.#next();
      return { t: 'exists', name: id.text.toLowerCase() };
    }
    return this.#primary();
  }

  #primary(): Expr {
    const t = this.#next();
    switch (t.kind) {
      case '(': {
        const e = this.#logic();
        this.#expect(')', "')'");
        return e;
      }
      case 'int': {
        const v = Number(t.text);
        if (!Number.isInteger(v) || v > 2147483647 || v < -2147483648) throw new CesqlError('parse', `strconv.ParseInt: parsing ${JSON.stringify(t.text)}: value out of range`);
        return { t: 'lit', v };
      }
      case 'str':
        return { t: 'lit', v: t.value ?? '' };
      case 'kw':
        if (t.text === 'TRUE') return { t: 'lit', v: true };
        if (t.text === 'FALSE') return { t: 'lit', v: false };
        return this.#fail(t, 'an expression');
      case 'ident': {
        if (this.#peek().kind === '(' && /^[A-Za-z][A-Za-z_]*$/.test(t.text)) {
          this.#next();
          const args: Expr[] = [];
          if (this.#peek().kind !== ')') {
            args.push(this.#logic());
            while (this.#peek().kind === ',') {
              this.#next();
              args.push(this.#logic());
            }
          }
          this.#expect(')', "')'");
          return { t: 'call', name: t.text.toUpperCase(), args };
        }
        if (t.text.includes('_')) return this.#fail(t, 'an attribute name');
        return { t: 'id', name: t.text.toLowerCase() };
      }
      default:
        this.#i--;
        return this.#fail(t, 'an expression');
    }
  }
}

/** Parses an expression; throws CesqlError('parse') on a syntax error. */
export function parse(expression: string): Expr {
  return new Parser(lex(expression)).parse();
}

// ---------------------------------------------------------------- evaluation

type Type = 'String' | 'Integer' | 'Boolean';

function typeOf(v: Value): Type {
  return typeof v === 'string' ? 'String' : typeof v === 'number' ? 'Integer' : 'Boolean';
}

/** §3.7 casts (sdk-go sql/v2 utils.Cast). */
export function cast(v: Value, to: Type): Value {
  const from = typeOf(v);
  if (from === to) return v;
  switch (to) {
    case 'String':
      return String(v);
    case 'Integer':
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (/^[+-]?[0-9]+$/.test(v as string)) {
        const n = Number(v);
        if (n <= 2147483647 && n >= -2147483648) return n;
        throw new CesqlError('cast', `cannot cast from String to Integer: strconv.ParseInt: parsing ${JSON.stringify(v)}: value out of range`);
      }
      throw new CesqlError('cast', `cannot cast from String to Integer: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
    case 'Boolean':
      if (typeof v === 'number') return v !== 0;
      if ((v as string).toLowerCase() === 'true') return true;
      if ((v as string).toLowerCase() === 'false') return false;
      throw new CesqlError('cast', `cannot cast String to Boolean, actual value: ${v as string}`);
  }
}

const REQUIRED = new Set(['specversion', 'id', 'source', 'type']);

type Fn = { fixed: (Type | 'Any')[]; variadic?: Type; ret: Type; run: (args: Value[]) => Value };

const I32 = (n: number): number => n | 0;
const FUNCTIONS: Record<string, Fn[]> = {
  LENGTH: [{ fixed: ['String'], ret: 'Integer', run: ([s]) => [...(s as string)].length }],
  CONCAT: [{ fixed: [], variadic: 'String', ret: 'String', run: (a) => a.join('') }],
  CONCAT_WS: [{ fixed: ['String'], variadic: 'String', ret: 'String', run: ([sep, ...rest]) => rest.join(sep as string) }],
  LOWER: [{ fixed: ['String'], ret: 'String', run: ([s]) => (s as string).toLowerCase() }],
  UPPER: [{ fixed: ['String'], ret: 'String', run: ([s]) => (s as string).toUpperCase() }],
  TRIM: [{ fixed: ['String'], ret: 'String', run: ([s]) => (s as string).trim() }],
  LEFT: [
    {
      fixed: ['String', 'Integer'],
      ret: 'String',
      run: ([s, y]) => {
        const cps = [...(s as string)];
        if ((y as number) < 0) throw new CesqlError('functionEvaluation', `LEFT y argument is < 0: ${y as number}`);
        return cps.slice(0, y as number).join('');
      },
    },
  ],
  RIGHT: [
    {
      fixed: ['String', 'Integer'],
      ret: 'String',
      run: ([s, y]) => {
        const cps = [...(s as string)];
        if ((y as number) < 0) throw new CesqlError('functionEvaluation', `RIGHT y argument is < 0: ${y as number}`);
        return (y as number) >= cps.length ? (s as string) : cps.slice(cps.length - (y as number)).join('');
      },
    },
  ],
  SUBSTRING: [
    { fixed: ['String', 'Integer'], ret: 'String', run: ([s, pos]) => substring(s as string, pos as number, undefined) },
    { fixed: ['String', 'Integer', 'Integer'], ret: 'String', run: ([s, pos, len]) => substring(s as string, pos as number, len as number) },
  ],
  ABS: [
    {
      fixed: ['Integer'],
      ret: 'Integer',
      run: ([x]) => {
        if (x === -2147483648) throw new CesqlError('math', 'integer overflow while computing ABS');
        return Math.abs(x as number);
      },
    },
  ],
  INT: [{ fixed: ['Any'], ret: 'Integer', run: ([v]) => cast(v, 'Integer') }],
  BOOL: [{ fixed: ['Any'], ret: 'Boolean', run: ([v]) => cast(v, 'Boolean') }],
  STRING: [{ fixed: ['Any'], ret: 'String', run: ([v]) => cast(v, 'String') }],
  IS_INT: [{ fixed: ['Any'], ret: 'Boolean', run: ([v]) => canCast(v, 'Integer') }],
  IS_BOOL: [{ fixed: ['Any'], ret: 'Boolean', run: ([v]) => canCast(v, 'Boolean') }],
};

function canCast(v: Value, to: Type): boolean {
  try {
    cast(v, to);
    return true;
  } catch {
    return false;
  }
}

function substring(s: string, pos: number, len: number | undefined): string {
  const cps = [...s];
  if (pos === 0) return '';
  if (pos < -cps.length || pos > cps.length) throw new CesqlError('functionEvaluation', `SUBSTRING invalid pos argument: ${pos}`);
  const begin = pos < 0 ? cps.length + pos : pos - 1;
  if (len === undefined) return cps.slice(begin).join('');
  if (len < 0) throw new CesqlError('functionEvaluation', `SUBSTRING invalid len argument: ${len}`);
  return cps.slice(begin, Math.min(cps.length, begin + len)).join('');
}

function resolveFunction(name: string, arity: number): Fn | undefined {
  const defs = FUNCTIONS[name];
  if (!defs) return undefined;
  const fixed = defs.find((d) => d.variadic === undefined && d.fixed.length === arity);
  if (fixed) return fixed;
  return defs.find((d) => d.variadic !== undefined && d.fixed.length <= arity);
}

/** `x LIKE pattern`: % any run, _ one character, \% and \_ literal (§3.4.3). */
function likeRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && (pattern[i + 1] === '%' || pattern[i + 1] === '_')) {
      re += pattern[i + 1];
      i++;
    } else if (c === '%') re += '[\\s\\S]*';
    else if (c === '_') re += '[\\s\\S]';
    else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'u');
}

const likeCache = new Map<string, RegExp>();

/** Evaluates a parsed expression against the attributes; throws CesqlError on the first error. */
export function evaluate(e: Expr, attrs: Attributes): Value {
  switch (e.t) {
    case 'lit':
      return e.v;
    case 'id': {
      const v = attrs[e.name];
      if (v === undefined) throw new CesqlError('missingAttribute', e.name);
      return v;
    }
    case 'exists':
      return REQUIRED.has(e.name) || attrs[e.name] !== undefined;
    case 'not':
      return !cast(evaluate(e.e, attrs), 'Boolean');
    case 'neg':
      return I32(-(cast(evaluate(e.e, attrs), 'Integer') as number));
    case 'like': {
      const v = cast(evaluate(e.e, attrs), 'String') as string;
      let re = likeCache.get(e.pattern);
      if (!re) {
        re = likeRegExp(e.pattern);
        if (likeCache.size > 1000) likeCache.clear();
        likeCache.set(e.pattern, re);
      }
      return re.test(v) !== e.not;
    }
    case 'in': {
      const left = evaluate(e.e, attrs);
      const ty = typeOf(left);
      let found = false;
      for (const item of e.set) {
        if (cast(evaluate(item, attrs), ty) === left) {
          found = true;
          break;
        }
      }
      return found !== e.not;
    }
    case 'call': {
      const fn = resolveFunction(e.name, e.args.length);
      if (!fn) throw new CesqlError('missingFunction', e.name);
      const args = e.args.map((a, i) => {
        const v = evaluate(a, attrs);
        const ty = i < fn.fixed.length ? fn.fixed[i] : (fn.variadic as Type);
        return ty === 'Any' ? v : cast(v, ty);
      });
      return fn.run(args);
    }
    case 'bin':
      return binary(e.op, e.l, e.r, attrs);
  }
}

function binary(op: string, l: Expr, r: Expr, attrs: Attributes): Value {
  switch (op) {
    case 'AND': {
      if (!cast(evaluate(l, attrs), 'Boolean')) return false;
      return cast(evaluate(r, attrs), 'Boolean');
    }
    case 'OR': {
      if (cast(evaluate(l, attrs), 'Boolean')) return true;
      return cast(evaluate(r, attrs), 'Boolean');
    }
    case 'XOR':
      return cast(evaluate(l, attrs), 'Boolean') !== cast(evaluate(r, attrs), 'Boolean');
    case '=':
    case '!=':
    case '<>': {
      // Ambiguous operator: the right operand's type is the target of the left's cast (§3.7).
      const lv = evaluate(l, attrs);
      const rv = evaluate(r, attrs);
      return (cast(lv, typeOf(rv)) === rv) === (op === '=');
    }
  }
  const x = cast(evaluate(l, attrs), 'Integer') as number;
  const y = cast(evaluate(r, attrs), 'Integer') as number;
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    case '>=':
      return x >= y;
    case '+':
      return I32(x + y);
    case '-':
      return I32(x - y);
    case '*':
      return Math.imul(x, y);
    case '/':
      if (y === 0) throw new CesqlError('math', 'division by zero');
      return I32(Math.trunc(x / y));
    case '%':
      if (y === 0) throw new CesqlError('math', 'division by zero');
      return I32(x % y);
  }
  throw new CesqlError('generic', `unknown operator ${op}`);
}

/** A compiled filter: true when the expression evaluates to boolean true without error (§1.2). */
export function compileFilter(expression: string): (attrs: Attributes) => boolean {
  const ast = parse(expression);
  return (attrs) => {
    try {
      return evaluate(ast, attrs) === true;
    } catch (err) {
      if (err instanceof CesqlError) return false;
      throw err;
    }
  };
}
