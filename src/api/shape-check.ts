// Structural checks on raw JSON, as the API server's decoding and Knative's field masks apply them:
// every field must be known, allowed and of the right type. Helpers for building FieldErrors along paths.

import { CURRENT_FIELD, FieldError } from './field-error.ts';
import { parseQuantity, QUANTITY_ERROR } from './go-values.ts';

/** A JSON object. */
export type Obj = Record<string, unknown>;
/** Errors collected before they are combined. */
export type Errs = (FieldError | null | undefined)[];

/** FieldError.combine over a list. */
export const combine = (errs: Errs): FieldError | null => FieldError.combine(...errs);
/** The error under `fields`, or null. */
export const via = (err: FieldError | null | undefined, ...fields: string[]): FieldError | null => err ? err.viaField(...fields) : null;
/** The error under `field[i]`, or null. */
export const viaIdx = (err: FieldError | null | undefined, field: string, i: number): FieldError | null =>
  err ? err.viaFieldIndex(field, i) : null;

/** A JSON object (not null, not a list). */
export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** math.MaxInt32. */
export const INT32_MAX = 2147483647;

/** The JSON type a field must have. */
export type FieldKind =
  | 'string' | 'bool' | 'int64' | 'int32' | 'number' | 'object' | 'array'
  | 'stringArray' | 'stringMap' | 'intOrString' | 'quantity' | 'quantityMap';

/** The detail line for a value of the wrong type. */
export const KIND_DETAILS: Record<FieldKind, string> = {
  string: 'must be a string',
  bool: 'must be a boolean',
  int64: 'must be an integer',
  int32: 'must be a 32-bit integer',
  number: 'must be a number',
  object: 'must be an object',
  array: 'must be a list',
  stringArray: 'must be a list of strings',
  stringMap: 'must be a map of strings to strings',
  intOrString: 'must be an integer or a string',
  quantity: QUANTITY_ERROR,
  quantityMap: 'must be a map of resource names to quantities',
};

/** An object's allowed fields and their types. */
export interface Shape {
  /** Fields that may be set, with their JSON types. */
  allowed: Record<string, FieldKind>;
  /** Known fields that are refused, but whose Go zero value (false, "", 0) means "not set". */
  zeroOk?: readonly string[];
}

/** The result of checkShape. */
export interface Checked {
  errs: FieldError | null;
  /** Only the allowed, well-typed, non-null fields. */
  v: Obj;
}

const isQuantity = (v: unknown): boolean =>
  (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) && parseQuantity(v) !== null;

/** Checks one value; returns an error (path relative to the value) and the cleaned value to keep. */
function checkValue(val: unknown, kind: FieldKind): { err: FieldError | null; keep?: unknown } {
  const bad = (): { err: FieldError } => ({ err: FieldError.invalidValue(val, CURRENT_FIELD, KIND_DETAILS[kind]) });
  switch (kind) {
    case 'string': return typeof val === 'string' ? { err: null, keep: val } : bad();
    case 'bool': return typeof val === 'boolean' ? { err: null, keep: val } : bad();
    case 'int64': return Number.isSafeInteger(val) ? { err: null, keep: val } : bad();
    case 'int32': return Number.isInteger(val) && (val as number) >= -INT32_MAX - 1 && (val as number) <= INT32_MAX
      ? { err: null, keep: val } : bad();
    case 'number': return typeof val === 'number' && Number.isFinite(val) ? { err: null, keep: val } : bad();
    case 'object': return isObj(val) ? { err: null, keep: val } : bad();
    case 'array': return Array.isArray(val) ? { err: null, keep: val } : bad();
    case 'intOrString': return Number.isInteger(val) || typeof val === 'string' ? { err: null, keep: val } : bad();
    case 'quantity': return isQuantity(val) ? { err: null, keep: val } : bad();
    case 'stringArray': {
      if (!Array.isArray(val)) return bad();
      const errs = val.map((e, i) => typeof e === 'string' ? null
        : FieldError.invalidValue(e, CURRENT_FIELD, KIND_DETAILS.string).viaIndex(i));
      return { err: combine(errs), keep: val.filter((e) => typeof e === 'string') };
    }
    case 'stringMap':
    case 'quantityMap': {
      if (!isObj(val)) return bad();
      const errs: Errs = [];
      const keep: Obj = {};
      for (const [k, e] of Object.entries(val)) {
        const ok = kind === 'stringMap' ? typeof e === 'string' : isQuantity(e);
        if (ok) keep[k] = e;
        else errs.push(FieldError.invalidValue(e, k, kind === 'stringMap' ? KIND_DETAILS.string : QUANTITY_ERROR));
      }
      return { err: combine(errs), keep };
    }
  }
}

const isGoZero = (v: unknown): boolean => v === false || v === '' || v === 0;

/** Type-checks an object against a shape; unknown or refused fields are reported as disallowed. */
export function checkShape(raw: unknown, shape: Shape): Checked {
  if (raw === undefined || raw === null) return { errs: null, v: {} };
  if (!isObj(raw)) return { errs: FieldError.invalidValue(raw, CURRENT_FIELD, KIND_DETAILS.object), v: {} };
  const errs: Errs = [];
  const disallowed: string[] = [];
  const v: Obj = {};
  for (const [k, val] of Object.entries(raw)) {
    if (val === undefined || val === null) continue;
    const kind = Object.hasOwn(shape.allowed, k) ? shape.allowed[k] : undefined;
    if (kind) {
      const r = checkValue(val, kind);
      errs.push(via(r.err, k));
      if (r.err === null || kind === 'stringArray' || kind === 'stringMap' || kind === 'quantityMap') {
        if (r.keep !== undefined) v[k] = r.keep;
      }
    } else if (!(shape.zeroOk?.includes(k) && isGoZero(val))) {
      disallowed.push(k);
    }
  }
  if (disallowed.length > 0) errs.push(FieldError.disallowed(...disallowed));
  return { errs: combine(errs), v };
}

/** Object elements of a list with their indexes; non-objects are reported at `[i]`. */
export function objectsOf(list: unknown, field: string): { errs: FieldError | null; items: [number, unknown][] } {
  if (!Array.isArray(list)) return { errs: null, items: [] };
  const errs: Errs = [];
  const items: [number, unknown][] = [];
  list.forEach((e, i) => {
    if (isObj(e)) items.push([i, e]);
    else errs.push(viaIdx(FieldError.invalidValue(e, CURRENT_FIELD, KIND_DETAILS.object), field, i));
  });
  return { errs: combine(errs), items };
}

/** A string field's value, '' when unset. */
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
/** A number field's value, 0 when unset. */
export const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
/** A string map's value, {} when unset. */
export const strMap = (v: unknown): Record<string, string> => (isObj(v) ? (v as Record<string, string>) : {});

/**
 * The members of a one-of (probe handlers, volume sources, projections): each member that is set is
 * type-checked under its own name, and `set` lists them for the none/several checks.
 */
export class OneOf {
  readonly set: string[] = [];
  private readonly parent: Obj;
  private readonly errs: Errs;

  /** Errors found are pushed onto `errs`. */
  constructor(parent: Obj, errs: Errs) {
    this.parent = parent;
    this.errs = errs;
  }

  /** The member's well-typed fields, or null when it is not set. */
  member(key: string, shape: Shape): Obj | null {
    const raw = this.parent[key];
    if (!isObj(raw)) return null;
    this.set.push(key);
    const c = checkShape(raw, shape);
    this.errs.push(via(c.errs, key));
    return c.v;
  }
}
