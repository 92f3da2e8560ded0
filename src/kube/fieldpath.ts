// Field paths and field sets as server-side apply tracks them, with the FieldsV1 wire format of managedFields.
//
// Semantics follow sigs.k8s.io/structured-merge-diff `fieldpath` (PathElement, Set with Members and
// Children, Set.Union/Intersection/Difference/RecursiveDifference) and its `serialize.go` (FieldsV1:
// `f:<name>`, `k:<key fields as JSON>`, `v:<value as JSON>`, `i:<index>`, and `.` for a path that is both
// a member and has children). Ordering of elements is `PathElement.Compare`: field names, then keys,
// then values, then indexes.

/** A JSON value as decoded by JSON.parse. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One step in a field path. Exactly one of the properties is set. */
export type PathElement =
  | { readonly field: string }
  | { readonly key: ReadonlyArray<readonly [string, Json]> }
  | { readonly value: Json }
  | { readonly index: number };

export type FieldPath = readonly PathElement[];

/** Sets an own property even for names such as `__proto__`, which plain assignment would not store. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

export function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep copy of a JSON value that keeps every key, including `__proto__`. */
export function cloneJson<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => cloneJson(x)) as T;
  if (isObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) setOwn(out, k, cloneJson(v[k]));
    return out as T;
  }
  return v;
}

/** Structural equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

const utf8 = new TextEncoder();
function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  // Go compares strings byte-wise in UTF-8.
  return Buffer.compare(utf8.encode(a), utf8.encode(b));
}

function rank(v: Json): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (Array.isArray(v)) return 3;
  if (v !== null) return 4;
  return 5;
}

/** Order of values as structured-merge-diff `value.Compare`: numbers, strings, booleans, lists, maps, null. */
export function compareValues(a: Json, b: Json): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareValues(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).sort(compareStrings);
    const kb = Object.keys(b).sort(compareStrings);
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
      const c = compareStrings(ka[i], kb[i]) || compareValues(a[ka[i]], b[kb[i]]);
      if (c !== 0) return c;
    }
    return ka.length - kb.length;
  }
  return 0;
}

/** Order of path elements as structured-merge-diff `PathElement.Compare`. */
export function comparePathElements(a: PathElement, b: PathElement): number {
  if ('field' in a) return 'field' in b ? compareStrings(a.field, b.field) : -1;
  if ('field' in b) return 1;
  if ('key' in a) {
    if (!('key' in b)) return -1;
    for (let i = 0; ; i++) {
      if (i >= a.key.length && i >= b.key.length) return 0;
      if (i >= a.key.length) return -1;
      if (i >= b.key.length) return 1;
      const c = compareStrings(a.key[i][0], b.key[i][0]) || compareValues(a.key[i][1], b.key[i][1]);
      if (c !== 0) return c;
    }
  }
  if ('key' in b) return 1;
  if ('value' in a) return 'value' in b ? compareValues(a.value, b.value) : -1;
  if ('value' in b) return 1;
  return (a as { index: number }).index - (b as { index: number }).index;
}

/** JSON text the way Go's encoding/json writes it (HTML-safe escapes), so FieldsV1 keys match the apiserver's. */
export function goJson(v: Json): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** The FieldsV1 key of a path element (structured-merge-diff `SerializePathElement`). */
export function serializePathElement(pe: PathElement): string {
  if ('field' in pe) return 'f:' + pe.field;
  if ('key' in pe) return 'k:{' + pe.key.map(([n, v]) => goJson(n) + ':' + goJson(v)).join(',') + '}';
  if ('value' in pe) return 'v:' + goJson(pe.value);
  return 'i:' + pe.index;
}

/** Parses a FieldsV1 key; undefined for an unknown prefix (which the apiserver skips). */
export function parsePathElement(s: string): PathElement | undefined {
  if (s.length < 2 || s[1] !== ':') throw new Error(`invalid path element: ${s}`);
  const body = s.slice(2);
  switch (s[0]) {
    case 'f':
      return { field: body };
    case 'v':
      return { value: JSON.parse(body) as Json };
    case 'i':
      return { index: Number.parseInt(body, 10) };
    case 'k': {
      const obj = JSON.parse(body) as unknown;
      if (!isObject(obj)) throw new Error(`invalid key path element: ${s}`);
      return keyElement(Object.keys(obj).map((k) => [k, obj[k]] as const));
    }
    default:
      return undefined;
  }
}

/** A key path element with its fields sorted by name, as structured-merge-diff keeps them. */
export function keyElement(fields: ReadonlyArray<readonly [string, Json]>): PathElement {
  return { key: [...fields].sort((x, y) => compareStrings(x[0], y[0])) };
}

/** Go's `%v` of a value in a path (structured-merge-diff `value.ToString`). */
function valueToString(v: Json): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return '[' + v.map(valueToString).join(',') + ']';
  return Object.keys(v).map((k) => `${k}=${valueToString(v[k])}`).join('');
}

/** The human form of a path (structured-merge-diff `Path.String`), e.g. `.spec.containers[name="app"].image`. */
export function pathToString(path: FieldPath): string {
  return path
    .map((pe) => {
      if ('field' in pe) return '.' + pe.field;
      if ('key' in pe) return '[' + pe.key.map(([n, v]) => `${n}=${valueToString(v)}`).join(',') + ']';
      if ('value' in pe) return `[=${valueToString(pe.value)}]`;
      return `[${pe.index}]`;
    })
    .join('');
}

/**
 * A set of field paths. `members` are the paths that end here; `children` hold the paths that go deeper.
 * A path element can be both a member and have children (FieldsV1 writes `.` for that).
 */
export class FieldSet {
  readonly members = new Map<string, PathElement>();
  readonly children = new Map<string, { pe: PathElement; set: FieldSet }>();

  static of(...paths: FieldPath[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  /** Adds a path; its parents are not added. The empty path (the whole object) is not tracked. */
  insert(path: FieldPath): void {
    if (path.length === 0) return;
    let s: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) s = s.descend(path[i]);
    const last = path[path.length - 1];
    s.members.set(serializePathElement(last), last);
  }

  descend(pe: PathElement): FieldSet {
    const k = serializePathElement(pe);
    let c = this.children.get(k);
    if (!c) {
      c = { pe, set: new FieldSet() };
      this.children.set(k, c);
    }
    return c.set;
  }

  /** The paths below `pe`, without `pe` itself (empty set when none). */
  withPrefix(pe: PathElement): FieldSet {
    return this.children.get(serializePathElement(pe))?.set ?? new FieldSet();
  }

  hasMember(pe: PathElement): boolean {
    return this.members.has(serializePathElement(pe));
  }

  has(path: FieldPath): boolean {
    if (path.length === 0) return false;
    let s: FieldSet | undefined = this;
    for (let i = 0; i < path.length - 1 && s; i++) s = s.children.get(serializePathElement(path[i]))?.set;
    return s?.hasMember(path[path.length - 1]) ?? false;
  }

  empty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.set.empty()) return false;
    return true;
  }

  copy(): FieldSet {
    return new FieldSet().unionInPlace(this);
  }

  private unionInPlace(other: FieldSet): this {
    for (const [k, pe] of other.members) this.members.set(k, pe);
    for (const c of other.children.values()) this.descend(c.pe).unionInPlace(c.set);
    return this;
  }

  union(other: FieldSet): FieldSet {
    return this.copy().unionInPlace(other);
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) if (other.members.has(k)) out.members.set(k, pe);
    for (const [k, c] of this.children) {
      const o = other.children.get(k);
      if (!o) continue;
      const i = c.set.intersection(o.set);
      if (!i.empty()) out.children.set(k, { pe: c.pe, set: i });
    }
    return out;
  }

  /** Paths in this set and not in `other`; a member of `other` does not remove this set's deeper paths. */
  difference(other: FieldSet): FieldSet {
    return this.subtract(other, false);
  }

  /** Like difference, but a member of `other` also removes everything below it. */
  recursiveDifference(other: FieldSet): FieldSet {
    return this.subtract(other, true);
  }

  private subtract(other: FieldSet, recursive: boolean): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) if (!other.members.has(k)) out.members.set(k, pe);
    for (const [k, c] of this.children) {
      if (recursive && other.members.has(k)) continue;
      const o = other.children.get(k);
      const d = o ? c.set.subtract(o.set, recursive) : c.set.copy();
      if (!d.empty()) out.children.set(k, { pe: c.pe, set: d });
    }
    return out;
  }

  /** Makes every field name that has children a member too (structured-merge-diff `EnsureNamedFieldsAreMembers`). */
  withNamedFieldsAsMembers(): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) out.members.set(k, pe);
    for (const [k, c] of this.children) {
      if ('field' in c.pe) out.members.set(k, c.pe);
      out.children.set(k, { pe: c.pe, set: c.set.withNamedFieldsAsMembers() });
    }
    return out;
  }

  /** Every path in the set, in structured-merge-diff's order (members first, then children, each sorted). */
  paths(prefix: FieldPath = []): FieldPath[] {
    const out: FieldPath[] = [];
    for (const pe of [...this.members.values()].sort(comparePathElements)) out.push([...prefix, pe]);
    for (const c of [...this.children.values()].sort((a, b) => comparePathElements(a.pe, b.pe))) {
      out.push(...c.set.paths([...prefix, c.pe]));
    }
    return out;
  }

  /** The FieldsV1 object (`metadata.managedFields[].fieldsV1`), keys in the apiserver's order. */
  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.writeFieldsV1(out, false);
    return out;
  }

  private writeFieldsV1(out: Record<string, unknown>, includeSelf: boolean): void {
    if (includeSelf && (this.members.size > 0 || this.children.size > 0)) out['.'] = {};
    const keys = new Map<string, PathElement>();
    for (const [k, pe] of this.members) keys.set(k, pe);
    for (const [k, c] of this.children) keys.set(k, c.pe);
    for (const [k] of [...keys].sort((a, b) => comparePathElements(a[1], b[1]))) {
      const child: Record<string, unknown> = {};
      const c = this.children.get(k);
      if (c) c.set.writeFieldsV1(child, this.members.has(k));
      setOwn(out, k, child);
    }
  }

  /** Reads a FieldsV1 object; keys with an unknown prefix are skipped as the apiserver does. */
  static fromFieldsV1(v: unknown): FieldSet {
    const s = new FieldSet();
    if (!isObject(v)) throw new Error('FieldsV1 must be an object');
    s.readFieldsV1(v);
    return s;
  }

  private readFieldsV1(v: Record<string, Json>): void {
    for (const k of Object.keys(v)) {
      if (k === '.') continue;
      const pe = parsePathElement(k);
      if (!pe) continue;
      const child = v[k];
      if (!isObject(child)) throw new Error(`FieldsV1 entry ${k} must be an object`);
      const keys = Object.keys(child);
      if (keys.length === 0 || keys.includes('.')) this.members.set(k, pe);
      if (keys.some((x) => x !== '.')) {
        const sub = new FieldSet();
        sub.readFieldsV1(child);
        if (!sub.empty()) this.children.set(k, { pe, set: sub });
      }
    }
  }
}
