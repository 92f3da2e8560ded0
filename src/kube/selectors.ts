// Label selectors as k8s.io/apimachinery pkg/labels Parse and field selectors as pkg/fields ParseSelector, with the
// per-kind field tables the apiserver converts them through (ConvertFieldLabel), over plain JSON objects.

import { aggregateMessage, fieldInvalid } from './errors.ts';
import type { FieldProblem } from './errors.ts';
import { goQuote, parseGoInt64 } from './gotext.ts';
import { isLabelKey, isLabelValue } from './names.ts';

/** A selector that could not be parsed; `message` is exactly what labels.Parse / fields.ParseSelector return. */
export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Label selectors

/** selection.Operator spellings as labels.Requirement keeps them. */
export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

/** One requirement: key, operator and its sorted, de-duplicated values. */
export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  readonly values: readonly string[];
}

type Labels = Readonly<Record<string, string>> | undefined | null;

const lookup = (labels: Labels, key: string): string | undefined =>
  labels != null && Object.hasOwn(labels, key) ? labels[key] : undefined;

function requirementMatches(r: LabelRequirement, labels: Labels): boolean {
  const value = lookup(labels, r.key);
  switch (r.operator) {
    case 'in': case '=': case '==':
      return value !== undefined && r.values.includes(value);
    case 'notin': case '!=':
      return value === undefined || !r.values.includes(value);
    case 'exists':
      return value !== undefined;
    case '!':
      return value === undefined;
    case 'gt': case 'lt': {
      if (value === undefined || r.values.length !== 1) return false;
      let have: bigint;
      let want: bigint;
      try {
        have = parseGoInt64(value);
        want = parseGoInt64(r.values[0]);
      } catch {
        return false;
      }
      return r.operator === 'gt' ? have > want : have < want;
    }
  }
}

/** A parsed label selector: the AND of its requirements, sorted by key as labels.Parse leaves them. */
export class LabelSelector {
  readonly requirements: readonly LabelRequirement[];

  constructor(requirements: readonly LabelRequirement[]) {
    this.requirements = requirements;
  }

  /** True when the selector selects everything (the empty string). */
  empty(): boolean {
    return this.requirements.length === 0;
  }

  /** labels.Selector.Matches over an object's `metadata.labels`. */
  matches(labels: Labels): boolean {
    return this.requirements.every((r) => requirementMatches(r, labels));
  }
}

type Token =
  | 'error' | 'eos' | 'closedPar' | 'comma' | 'doesNotExist' | 'doubleEquals' | 'equals'
  | 'greaterThan' | 'identifier' | 'in' | 'lessThan' | 'notEquals' | 'notIn' | 'openPar';

const STRING_TO_TOKEN: ReadonlyMap<string, Token> = new Map<string, Token>([
  [')', 'closedPar'], [',', 'comma'], ['!', 'doesNotExist'], ['==', 'doubleEquals'], ['=', 'equals'],
  ['>', 'greaterThan'], ['in', 'in'], ['<', 'lessThan'], ['!=', 'notEquals'], ['notin', 'notIn'], ['(', 'openPar'],
]);

const BINARY_OPERATORS = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];

const isWhitespace = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
const isSpecialSymbol = (ch: string): boolean => '=!(),><'.includes(ch) && ch.length === 1;

interface Scanned {
  tok: Token;
  lit: string;
}

/** The lexer of pkg/labels: identifiers run until whitespace or a special symbol; operators are the longest match. */
function lex(s: string): Scanned[] {
  const items: Scanned[] = [];
  let pos = 0;
  const read = (): string => (pos < s.length ? s[pos++] : '');
  for (;;) {
    let ch = read();
    while (ch !== '' && isWhitespace(ch)) ch = read();
    if (ch === '') {
      items.push({ tok: 'eos', lit: '' });
      return items;
    }
    if (isSpecialSymbol(ch)) {
      let buffer = ch;
      let last: Scanned | undefined = STRING_TO_TOKEN.has(buffer) ? { tok: STRING_TO_TOKEN.get(buffer)!, lit: buffer } : undefined;
      for (;;) {
        const next = pos < s.length ? s[pos] : '';
        if (next === '' || !isSpecialSymbol(next)) break;
        const candidate = buffer + next;
        const tok = STRING_TO_TOKEN.get(candidate);
        if (tok !== undefined) {
          buffer = candidate;
          last = { tok, lit: candidate };
          pos++;
        } else if (last !== undefined) {
          break;
        } else {
          buffer = candidate;
          pos++;
        }
      }
      items.push(last ?? { tok: 'error', lit: `error expected: keyword found '${buffer}'` });
      continue;
    }
    let buffer = ch;
    while (pos < s.length && !isSpecialSymbol(s[pos]) && !isWhitespace(s[pos])) buffer += s[pos++];
    items.push({ tok: STRING_TO_TOKEN.get(buffer) ?? 'identifier', lit: buffer });
  }
}

type Context = 'keyAndOperator' | 'values';

class LabelParser {
  #items: Scanned[];
  #pos = 0;

  constructor(selector: string) {
    this.#items = lex(selector);
  }

  #view(item: Scanned, ctx: Context): Scanned {
    // "in" and "notin" are plain identifiers where a value is expected.
    if (ctx === 'values' && (item.tok === 'in' || item.tok === 'notIn')) return { tok: 'identifier', lit: item.lit };
    return item;
  }

  #lookahead(ctx: Context): Scanned {
    return this.#view(this.#items[this.#pos], ctx);
  }

  #consume(ctx: Context): Scanned {
    return this.#view(this.#items[this.#pos++], ctx);
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.#lookahead('values');
      switch (tok) {
        case 'identifier': case 'doesNotExist': {
          let r: LabelRequirement;
          try {
            r = this.#parseRequirement();
          } catch (err) {
            throw new SelectorError(`unable to parse requirement: ${(err as Error).message}`);
          }
          requirements.push(r);
          const next = this.#consume('values');
          if (next.tok === 'eos') return requirements;
          if (next.tok === 'comma') {
            const after = this.#lookahead('values');
            if (after.tok !== 'identifier' && after.tok !== 'doesNotExist') {
              throw new SelectorError(`found '${after.lit}', expected: identifier after ','`);
            }
            continue;
          }
          throw new SelectorError(`found '${next.lit}', expected: ',' or 'end of string'`);
        }
        case 'eos':
          return requirements;
        default:
          throw new SelectorError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  #parseRequirement(): LabelRequirement {
    const { key, operator } = this.#parseKeyAndInferOperator();
    if (operator === 'exists' || operator === '!') return newRequirement(key, operator, []);
    const op = this.#parseOperator();
    const values = op === 'in' || op === 'notin' ? this.#parseValues() : this.#parseExactValue();
    return newRequirement(key, op, [...values].sort());
  }

  #parseKeyAndInferOperator(): { key: string; operator: LabelOperator | undefined } {
    let operator: LabelOperator | undefined;
    let item = this.#consume('values');
    if (item.tok === 'doesNotExist') {
      operator = '!';
      item = this.#consume('values');
    }
    if (item.tok !== 'identifier') throw new Error(`found '${item.lit}', expected: identifier`);
    const keyErrs = isLabelKey(item.lit);
    // validateLabelKey runs with the parser's nil field path, which Go prints as "<nil>".
    if (keyErrs.length > 0) throw new Error(aggregateMessage([fieldInvalid('<nil>', item.lit, keyErrs.join('; '))]));
    const next = this.#lookahead('values').tok;
    if ((next === 'eos' || next === 'comma') && operator !== '!') operator = 'exists';
    return { key: item.lit, operator };
  }

  #parseOperator(): LabelOperator {
    const { tok, lit } = this.#consume('keyAndOperator');
    switch (tok) {
      case 'in': return 'in';
      case 'equals': return '=';
      case 'doubleEquals': return '==';
      case 'greaterThan': return 'gt';
      case 'lessThan': return 'lt';
      case 'notIn': return 'notin';
      case 'notEquals': return '!=';
      default: throw new Error(`found '${lit}', expected: ${BINARY_OPERATORS.join(', ')}`);
    }
  }

  #parseValues(): Set<string> {
    const open = this.#consume('values');
    if (open.tok !== 'openPar') throw new Error(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.#lookahead('values');
    switch (tok) {
      case 'identifier': case 'comma': {
        const s = this.#parseIdentifiersList();
        if (this.#consume('values').tok !== 'closedPar') throw new Error(`found '${lit}', expected: ')'`);
        return s;
      }
      case 'closedPar':
        this.#consume('values');
        return new Set(['']);
      default:
        throw new Error(`found '${lit}', expected: ',', ')' or identifier`);
    }
  }

  #parseIdentifiersList(): Set<string> {
    const s = new Set<string>();
    for (;;) {
      const { tok, lit } = this.#consume('values');
      if (tok === 'identifier') {
        s.add(lit);
        const next = this.#lookahead('values');
        if (next.tok === 'comma') continue;
        if (next.tok === 'closedPar') return s;
        throw new Error(`found '${next.lit}', expected: ',' or ')'`);
      }
      if (tok === 'comma') {
        if (s.size === 0) s.add(''); // "(,"
        const next = this.#lookahead('values').tok;
        if (next === 'closedPar') {
          s.add(''); // ",)"
          return s;
        }
        if (next === 'comma') s.add(''); // ",,"
        continue;
      }
      throw new Error(`found '${lit}', expected: ',', or identifier`);
    }
  }

  #parseExactValue(): Set<string> {
    const next = this.#lookahead('values').tok;
    if (next === 'eos' || next === 'comma') return new Set(['']);
    const { tok, lit } = this.#consume('values');
    if (tok === 'identifier') return new Set([lit]);
    throw new Error(`found '${lit}', expected: identifier`);
  }
}

/** labels.NewRequirement's checks on what the parser produced (values sorted, as sets.String.List gives them). */
function newRequirement(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
  const errs: FieldProblem[] = [];
  const keyErrs = isLabelKey(key);
  if (keyErrs.length > 0) errs.push(fieldInvalid('key', key, keyErrs.join('; ')));
  switch (operator) {
    case 'in': case 'notin':
      if (values.length === 0) errs.push(fieldInvalid('values', values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=': case '==': case '!=':
      if (values.length !== 1) errs.push(fieldInvalid('values', values, 'exact-match compatibility requires one single value'));
      break;
    case 'exists': case '!':
      if (values.length !== 0) errs.push(fieldInvalid('values', values, 'values set must be empty for exists and does not exist'));
      break;
    case 'gt': case 'lt':
      if (values.length !== 1) errs.push(fieldInvalid('values', values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        try {
          parseGoInt64(v);
        } catch {
          errs.push(fieldInvalid(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      });
      break;
  }
  values.forEach((v, i) => {
    const msgs = isLabelValue(v);
    if (msgs.length > 0) errs.push(fieldInvalid(`values[${i}][${key}]`, v, msgs.join('; ')));
  });
  if (errs.length > 0) throw new Error(aggregateMessage(errs));
  return { key, operator, values };
}

/**
 * labels.Parse: the full selector grammar (`=`, `==`, `!=`, `in`, `notin`, `key`, `!key`, `>`, `<`, comma-AND).
 * Throws SelectorError with the apiserver's text, e.g. "unable to parse requirement: found '', expected: ',' or ')'".
 */
export function parseLabelSelector(selector: string): LabelSelector {
  const reqs = new LabelParser(selector).parse();
  // sort.Sort(ByKey) is not stable; requirements with equal keys keep their parse order here.
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return new LabelSelector(reqs);
}

// ---------------------------------------------------------------------------------------------------------------
// Field selectors

/** One term of a field selector: `field=value` (also written `==`) or `field!=value`. */
export interface FieldTerm {
  readonly field: string;
  readonly operator: '=' | '!=';
  readonly value: string;
}

/** A parsed field selector: the AND of its terms. */
export class FieldSelector {
  readonly terms: readonly FieldTerm[];

  constructor(terms: readonly FieldTerm[]) {
    this.terms = terms;
  }

  empty(): boolean {
    return this.terms.length === 0;
  }

  /** Selector.Matches over the field set of an object (a missing field reads as ""). */
  matches(fields: Readonly<Record<string, string>>): boolean {
    return this.terms.every((t) => {
      const have = Object.hasOwn(fields, t.field) ? fields[t.field] : '';
      return t.operator === '=' ? have === t.value : have !== t.value;
    });
  }

  /** Selector.RequiresExactMatch: the value an `=` term demands of `field`, if any. */
  requiresExactMatch(field: string): string | undefined {
    return this.terms.find((t) => t.field === field && t.operator === '=')?.value;
  }

  /** Selector.Transform: run every term through a kind's field-label conversion (throws its error). */
  transform(convert: (field: string, value: string) => [string, string]): FieldSelector {
    const next: FieldTerm[] = [];
    for (const t of this.terms) {
      const [field, value] = convert(t.field, t.value);
      if (field === '' && value === '') continue; // Everything()
      next.push({ field, operator: t.operator, value });
    }
    return new FieldSelector(next);
  }
}

/** fields.splitTerms: commas split terms unless escaped with a backslash (kept in the term). */
function splitTerms(selector: string): string[] {
  if (selector.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

/** fields.UnescapeValue: `\\`, `\,` and `\=` are the only escapes; a bare `,` or `=` is an error. */
function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') throw new SelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
      continue;
    }
    if (c === '\\') inSlash = true;
    // UnescapedRune prints the rune with %v, i.e. its code point number.
    else if (c === ',' || c === '=') throw new SelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    else out += c;
  }
  if (inSlash) throw new SelectorError('invalid field selector: invalid escape sequence: \\');
  return out;
}

/**
 * fields.ParseSelector: comma-separated `field=value`, `field==value`, `field!=value` terms; values use backslash
 * escapes for `\`, `,` and `=`. Throws SelectorError with the apiserver's text.
 */
export function parseFieldSelector(selector: string): FieldSelector {
  const parts = splitTerms(selector).sort();
  const terms: FieldTerm[] = [];
  for (const part of parts) {
    if (part === '') continue;
    let split: { lhs: string; op: string; rhs: string } | undefined;
    for (let i = 0; i < part.length && split === undefined; i++) {
      for (const op of ['!=', '==', '=']) {
        if (part.startsWith(op, i)) {
          split = { lhs: part.slice(0, i), op, rhs: part.slice(i + op.length) };
          break;
        }
      }
    }
    if (split === undefined) throw new SelectorError(`invalid selector: '${selector}'; can't understand '${part}'`);
    terms.push({ field: split.lhs, operator: split.op === '!=' ? '!=' : '=', value: unescapeValue(split.rhs) });
  }
  return new FieldSelector(terms);
}

// ---------------------------------------------------------------------------------------------------------------
// Per-kind field tables

type Obj = Readonly<Record<string, unknown>>;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const get = (obj: Obj, ...path: string[]): unknown => {
  let cur: unknown = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, p)) return undefined;
    cur = (cur as Obj)[p];
  }
  return cur;
};

/** How one kind takes field selectors: which labels its ConvertFieldLabel accepts, and the values its objects have. */
export interface FieldSelectableKind {
  /** ConvertFieldLabel: the canonical label and value, or throws SelectorError with the apiserver's message. */
  convert(label: string, value: string): [string, string];
  /** The selectable-fields set of an object (GetAttrs / *ToSelectableFields). */
  fields(obj: Obj): Record<string, string>;
}

const unsupported = (label: string): SelectorError => new SelectorError(`field label not supported: ${label}`);

/** generic.ObjectMetaFieldsSet: metadata.name, plus metadata.namespace for namespaced kinds. */
function objectMetaFields(obj: Obj, namespaced: boolean): Record<string, string> {
  const out: Record<string, string> = { 'metadata.name': str(get(obj, 'metadata', 'name')) };
  if (namespaced) out['metadata.namespace'] = str(get(obj, 'metadata', 'namespace'));
  return out;
}

function table(labels: readonly string[], namespaced: boolean, extra: (obj: Obj) => Record<string, string>, aliases: Readonly<Record<string, string>> = {}): FieldSelectableKind {
  const known = new Set(labels);
  return {
    convert(label, value) {
      if (known.has(label)) return [label, value];
      if (Object.hasOwn(aliases, label)) return [aliases[label], value];
      throw unsupported(label);
    },
    fields: (obj) => ({ ...objectMetaFields(obj, namespaced), ...extra(obj) }),
  };
}

const META = ['metadata.name', 'metadata.namespace'];

/**
 * Field selectors per kind, as Kubernetes registers them (kubernetes pkg/apis/core/v1/conversion.go
 * addConversionFuncs and AddFieldLabelConversionsFor*, the registry strategies' *ToSelectableFields).
 */
export const FIELD_SELECTABLE = {
  /** core/v1 Pod (`spec.host` is the old spelling of `spec.nodeName`). */
  pod: table([
    ...META, 'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork',
    'status.phase', 'status.podIP', 'status.podIPs', 'status.nominatedNodeName',
  ], true, (o) => {
    const podIPs = get(o, 'status', 'podIPs');
    const firstIP = Array.isArray(podIPs) && podIPs.length > 0 ? str(get(podIPs[0] as Obj, 'ip')) : str(get(o, 'status', 'podIP'));
    return {
      'spec.nodeName': str(get(o, 'spec', 'nodeName')),
      'spec.restartPolicy': str(get(o, 'spec', 'restartPolicy')),
      'spec.schedulerName': str(get(o, 'spec', 'schedulerName')),
      'spec.serviceAccountName': str(get(o, 'spec', 'serviceAccountName')),
      'spec.hostNetwork': String(get(o, 'spec', 'hostNetwork') === true),
      'status.phase': str(get(o, 'status', 'phase')),
      'status.podIP': firstIP,
      'status.nominatedNodeName': str(get(o, 'status', 'nominatedNodeName')),
    };
  }, { 'spec.host': 'spec.nodeName' }),
  /** core/v1 Event: what `kubectl describe` and `kubectl events --for` select on. */
  event: table([
    'involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid',
    'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath',
    'reason', 'reportingComponent', 'source', 'type', ...META,
  ], true, (o) => {
    const io = (k: string): string => str(get(o, 'involvedObject', k));
    const source = str(get(o, 'source', 'component')) || str(get(o, 'reportingComponent'));
    return {
      'involvedObject.kind': io('kind'), 'involvedObject.namespace': io('namespace'), 'involvedObject.name': io('name'),
      'involvedObject.uid': io('uid'), 'involvedObject.apiVersion': io('apiVersion'),
      'involvedObject.resourceVersion': io('resourceVersion'), 'involvedObject.fieldPath': io('fieldPath'),
      reason: str(get(o, 'reason')), reportingComponent: str(get(o, 'reportingComponent')), source, type: str(get(o, 'type')),
    };
  }),
  /** core/v1 Secret. */
  secret: table(['type', ...META], true, (o) => ({ type: str(get(o, 'type')) })),
  /** core/v1 Namespace (cluster-scoped: no metadata.namespace). */
  namespace: table(['status.phase', 'metadata.name'], false, (o) => ({ 'status.phase': str(get(o, 'status', 'phase')) })),
  /** core/v1 Service. */
  service: table([...META, 'spec.clusterIP', 'spec.type'], true, (o) => ({
    'spec.clusterIP': str(get(o, 'spec', 'clusterIP')), 'spec.type': str(get(o, 'spec', 'type')),
  })),
  /** core/v1 Node. */
  node: table(['metadata.name', 'spec.unschedulable'], false, (o) => ({ 'spec.unschedulable': String(get(o, 'spec', 'unschedulable') === true) })),
  /** apps/v1 Deployment and ReplicaSet register no conversion: runtime.DefaultMetaV1FieldSelectorConversion applies. */
  deployment: defaultMeta(),
  replicaSet: defaultMeta(),
  /** A custom resource (every Knative kind): apiextensions-apiserver crConverter.ConvertFieldLabel. */
  customResource: (namespaced: boolean): FieldSelectableKind => ({
    convert(label, value) {
      if (label === 'metadata.name' || (namespaced && label === 'metadata.namespace')) return [label, value];
      throw unsupported(label);
    },
    fields: (obj) => objectMetaFields(obj, namespaced),
  }),
} as const;

function defaultMeta(): FieldSelectableKind {
  return {
    convert(label, value) {
      if (label === 'metadata.name' || label === 'metadata.namespace') return [label, value];
      throw new SelectorError(`${goQuote(label)} is not a known field selector: only "metadata.name", "metadata.namespace"`);
    },
    fields: (obj) => objectMetaFields(obj, true),
  };
}
