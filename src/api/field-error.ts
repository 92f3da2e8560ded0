// Knative's apis.FieldError (knative.dev/pkg/apis/field_error.go): field-path errors that nest and render identically.

/** Severity of a diagnostic; Error rejects admission, Warning is only reported. */
export type DiagnosticLevel = 'Error' | 'Warning';

/** The path to pass when the problem is with the current field itself. */
export const CURRENT_FIELD = '';

/** One merged, sorted diagnostic as rendered by `FieldError.error`. */
export interface FieldDiagnostic {
  message: string;
  paths: string[];
  details: string;
  level: DiagnosticLevel;
}

const LEVEL_ORDER: Record<DiagnosticLevel, number> = { Error: 0, Warning: 1 };

/**
 * A collection of field errors. The object itself carries the first diagnostic (`message`,
 * `paths`, `details`, `level`, public like the Go struct's fields); further ones are kept flat,
 * like the normalized form Knative works with. The combinators never mutate their receiver.
 */
export class FieldError {
  message: string;
  paths: string[];
  details: string;
  level: DiagnosticLevel;
  #rest: readonly FieldError[] = [];

  constructor(message: string, paths: readonly string[] = [], details = '', level: DiagnosticLevel = 'Error') {
    this.message = message;
    this.paths = [...paths];
    this.details = details;
    this.level = level;
  }

  // ---- constructors mirroring apis.Err* ----

  /** "missing field(s)" */
  static missing(...paths: string[]): FieldError {
    return new FieldError('missing field(s)', paths);
  }

  /** "must not set the field(s)" */
  static disallowed(...paths: string[]): FieldError {
    return new FieldError('must not set the field(s)', paths);
  }

  /** "must not update deprecated field(s)" */
  static disallowedUpdateDeprecated(...paths: string[]): FieldError {
    return new FieldError('must not update deprecated field(s)', paths);
  }

  /** "invalid value: <value>"; several details are joined with ", " as in Go. */
  static invalidValue(value: unknown, path: string, ...details: string[]): FieldError {
    return new FieldError(`invalid value: ${goSprint(value)}`, [path], details.join(', '));
  }

  /** ErrInvalidArrayValue: invalid value at `field[index]`. */
  static invalidArrayValue(value: unknown, field: string, index: number): FieldError {
    return FieldError.invalidValue(value, CURRENT_FIELD).viaFieldIndex(field, index);
  }

  /** "expected exactly one, got neither" */
  static oneOfNone(...paths: string[]): FieldError {
    return new FieldError('expected exactly one, got neither', paths);
  }

  /** "expected exactly one, got both" */
  static oneOfBoth(...paths: string[]): FieldError {
    return new FieldError('expected exactly one, got both', paths);
  }

  /** Fields that may not be set together; Knative reports these as ErrMultipleOneOf. */
  static mutuallyExclusive(...paths: string[]): FieldError {
    return FieldError.oneOfBoth(...paths);
  }

  /** `invalid key name "<key>"` */
  static invalidKey(key: string, path: string, ...details: string[]): FieldError {
    return new FieldError(`invalid key name ${goQuote(key)}`, [path], details.join(', '));
  }

  /** "expected <lower> <= <value> <= <upper>" */
  static outOfBounds(value: unknown, lower: unknown, upper: unknown, path: string): FieldError {
    return new FieldError(`expected ${goSprint(lower)} <= ${goSprint(value)} <= ${goSprint(upper)}`, [path]);
  }

  /** ErrGeneric: a free-form message at the given paths. */
  static generic(message: string, ...paths: string[]): FieldError {
    return new FieldError(message, paths);
  }

  /** Merges any number of possibly-absent errors; null when there is nothing to report. */
  static combine(...errs: (FieldError | null | undefined)[]): FieldError | null {
    return FieldError.#fromLeaves(errs.flatMap((e) => (e ? e.normalized() : [])));
  }

  // ---- combinators (all non-mutating) ----

  /** Every diagnostic as a leaf, in insertion order (apis.FieldError.Normalized). */
  normalized(): FieldError[] {
    const own = this.message !== '' ? [leaf(this.message, this.paths, this.details, this.level)] : [];
    return [...own, ...this.#rest.flatMap((e) => e.normalized())];
  }

  /** Prefixes every path with the given field names. */
  viaField(...prefix: string[]): FieldError {
    return this.#map((e) => leaf(e.message, e.paths.map((p) => flatten([...prefix, p])), e.details, e.level));
  }

  /** Attaches `[index]` to the next viaField. */
  viaIndex(index: number): FieldError {
    return this.viaField(`[${index}]`);
  }

  /** Shorthand for viaIndex(index).viaField(field). */
  viaFieldIndex(field: string, index: number): FieldError {
    return this.viaIndex(index).viaField(field);
  }

  /** Attaches `[key]` to the next viaField. */
  viaKey(key: string): FieldError {
    return this.viaField(`[${key}]`);
  }

  /** Shorthand for viaKey(key).viaField(field). */
  viaFieldKey(field: string, key: string): FieldError {
    return this.viaKey(key).viaField(field);
  }

  /** Returns a copy with every diagnostic at the given level. */
  at(level: DiagnosticLevel): FieldError {
    return this.#map((e) => leaf(e.message, e.paths, e.details, level));
  }

  /** Collects this and the other errors; absent ones are ignored. */
  also(...errs: (FieldError | null | undefined)[]): FieldError {
    if (errs.every((e) => !e || e.normalized().length === 0)) return this;
    return FieldError.combine(this, ...errs) ?? this;
  }

  /** Only the diagnostics of one level, or null when there are none. */
  filter(level: DiagnosticLevel): FieldError | null {
    return FieldError.#fromLeaves(this.normalized().filter((e) => e.level === level));
  }

  /** Diagnostics merged by (level, message, details), paths de-duplicated and sorted, list sorted. */
  merged(): FieldDiagnostic[] {
    const byKey = new Map<string, FieldDiagnostic>();
    for (const e of this.normalized()) {
      const key = `${e.level}-${e.message}-${e.details}`;
      const seen = byKey.get(key);
      if (seen) {
        for (const p of e.paths) if (!seen.paths.includes(p)) seen.paths.push(p);
      } else {
        byKey.set(key, { message: e.message, paths: [...e.paths], details: e.details, level: e.level });
      }
    }
    const list = [...byKey.values()];
    for (const d of list) d.paths.sort(compareStrings);
    list.sort((a, b) =>
      a.message !== b.message ? compareStrings(a.message, b.message)
        : a.details !== b.details ? compareStrings(a.details, b.details)
          : LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level]);
    return list;
  }

  /** The rendered text, exactly as FieldError.Error() in Go. */
  get error(): string {
    return this.merged()
      .map((e) => `${e.message}: ${e.paths.join(', ')}${e.details === '' ? '' : `\n${e.details}`}`)
      .join('\n');
  }

  toString(): string {
    return this.error;
  }

  #map(f: (e: FieldError) => FieldError): FieldError {
    return FieldError.#fromLeaves(this.normalized().map(f)) ?? this;
  }

  /** A root carrying the first leaf, with the others kept flat behind it; null for none. */
  static #fromLeaves(leaves: FieldError[]): FieldError | null {
    if (leaves.length === 0) return null;
    const [first, ...rest] = leaves;
    const root = leaf(first.message, first.paths, first.details, first.level);
    root.#rest = rest;
    return root;
  }
}

/** True when the error carries at least one Error-level diagnostic (admission is refused). */
export function rejects(err: FieldError | null | undefined): boolean {
  return !!err && err.normalized().some((e) => e.level === 'Error');
}

function leaf(message: string, paths: readonly string[], details: string, level: DiagnosticLevel): FieldError {
  return new FieldError(message, paths, details, level);
}

// Go compares strings bytewise; for the ASCII we render this equals UTF-16 order.
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isIndex(part: string): boolean {
  return part.startsWith('[') && part.endsWith(']');
}

/** Joins path parts, folding index parts onto their field: foo.[0].bar → foo[0].bar (as Go's flatten). */
function flatten(parts: string[]): string {
  const out: string[] = [];
  for (const part of parts) {
    for (const p of part.split('.')) {
      if (p === CURRENT_FIELD) continue;
      if (out.length > 0 && isIndex(p)) out[out.length - 1] += p;
      else out.push(p);
    }
  }
  return out.join('.');
}

/** fmt.Sprint for the values we put in messages. */
export function goSprint(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? String(value);
}

/** %v of a number: integers in full (Go int types), other floats like Go's shortest %g. */
function goNumber(n: number): string {
  if (Number.isInteger(n) || !Number.isFinite(n)) {
    if (n === Infinity) return '+Inf';
    if (n === -Infinity) return '-Inf';
    if (Number.isNaN(n)) return 'NaN';
    return Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
  }
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 6) {
    const [mant, e] = n.toExponential().split('e');
    const sign = e.startsWith('-') ? '-' : '+';
    const digits = e.replace(/^[+-]/, '').padStart(2, '0');
    return `${mant}e${sign}${digits}`;
  }
  return String(n);
}

/** %q for strings. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}
