// managedFields on every object: the schema-aware walks over JSON objects and the bookkeeping of Update operations.
//
// The walks are the ones server-side apply needs (field set, compare, merge, remove).
//
// The walks follow sigs.k8s.io/structured-merge-diff `typed/tofieldset.go`, `typed/compare.go`,
// `typed/merge.go` and `typed/remove.go`; the bookkeeping follows `merge/update.go` (Updater.Update)
// and k8s.io/apimachinery `pkg/util/managedfields/internal` (managedfieldsupdater.go, stripmeta.go,
// managedfields.go: decode/encode, sort order, manager identifiers, reset with `[]` or `[{}]`).
//
// Entry points:
// - `recordUpdate(old, next, opts)`: after a create, update or non-apply patch, returns `next` with its
//   managedFields updated (the manager gets the fields it changed; other managers lose them).
// - `managerFromUserAgent(userAgent)`: the manager name of a request without `fieldManager`.
// - `fieldSetOf`, `compareObjects`, `mergeObjects`, `removeFields`: the schema-aware walks apply.ts uses.

import {
  FieldSet,
  cloneJson,
  pathToString,
  isObject,
  jsonEqual,
  keyElement,
  setOwn,
  type FieldPath,
  type Json,
  type PathElement,
} from './fieldpath.ts';
import { UNTYPED, childOf, resolve, type SchemaNode } from './merge-schema.ts';
import { StatusError } from './status.ts';

/** A Kubernetes object as JSON. */
export type KubeObject = Record<string, unknown>;

export type Operation = 'Apply' | 'Update';

/** One `metadata.managedFields[]` entry as written on the wire. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: Operation;
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** A decoded entry: who manages which fields. */
export interface Manager {
  manager: string;
  operation: Operation;
  apiVersion: string;
  time?: string;
  subresource?: string;
  set: FieldSet;
}

/** Managers keyed by their identifier (see `managerIdentifier`). */
export type Managers = Map<string, Manager>;

/** An error the apiserver would answer with 500 (a schema the object does not fit). */
function internalError(message: string): StatusError {
  return new StatusError(500, '', message);
}

// ---------------------------------------------------------------- list items

/** The path element of a list item (structured-merge-diff `listItemToPathElement`). */
function listItemElement(list: SchemaNode, item: unknown, path: FieldPath, index = 0): PathElement {
  const fail = (msg: string) => internalError(`${pathToString(path)}: element ${index}: ${msg}`);
  if (list.listType === 'set') {
    if (item === null) throw fail("associative list without keys has an element that's an explicit null");
    if (Array.isArray(item)) throw fail('not supported: associative list with lists as elements');
    if (typeof item === 'object') throw fail("associative list without keys has an element that's a map type");
    return { value: item as Json };
  }
  if (item === null) throw fail('associative list with keys may not have a null element');
  if (!isObject(item)) throw fail('associative list with keys may not have non-map elements');
  const fields: Array<readonly [string, Json]> = [];
  for (const k of list.keys ?? []) {
    if (Object.prototype.hasOwnProperty.call(item, k)) fields.push([k, item[k]]);
    else if (list.keyDefaults && k in list.keyDefaults) fields.push([k, list.keyDefaults[k]]);
  }
  if ((list.keys ?? []).length > 0 && fields.length === 0) {
    throw fail(
      `associative list with keys has an element that omits all key fields ${JSON.stringify(list.keys)} (and doesn't have default values for any key fields)`,
    );
  }
  return keyElement(fields);
}

function isEmptyContainer(v: unknown): boolean {
  if (v === undefined) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isObject(v) && Object.keys(v).length === 0;
}

function granular(node: SchemaNode, v: unknown): 'object' | 'list' | undefined {
  const r = resolve(node, v);
  if (r.kind === 'object' && !r.atomic) return 'object';
  if (r.kind === 'list' && r.listType !== 'atomic') return 'list';
  return undefined;
}

function listNodeOf(node: SchemaNode, v: unknown): SchemaNode {
  const r = resolve(node, v);
  return r.kind === 'list' ? r.node : node;
}

function objectNodeOf(node: SchemaNode, v: unknown): SchemaNode {
  const r = resolve(node, v);
  return r.kind === 'object' ? r.node : node;
}

// ---------------------------------------------------------------- field set

/**
 * The fields a value sets, as structured-merge-diff `TypedValue.ToFieldSet`. With `strict`, duplicate
 * keys in map and set lists are refused as its validation does for an applied configuration.
 */
export function fieldSetOf(value: unknown, schema: SchemaNode, strict = false): FieldSet {
  const set = new FieldSet();
  walkSet(value, schema, [], set, strict);
  return set;
}

function walkSet(v: unknown, node: SchemaNode, path: PathElement[], set: FieldSet, strict = false): void {
  const g = granular(node, v);
  if (!g) {
    set.insert(path);
    return;
  }
  if (g === 'list') {
    const list = listNodeOf(node, v);
    const items = v as unknown[];
    const pes = items.map((it, i) => listItemElement(list, it, path, i));
    const counts = new Map<string, number>();
    const keyOf = (pe: PathElement) => JSON.stringify(pe);
    for (const pe of pes) counts.set(keyOf(pe), (counts.get(keyOf(pe)) ?? 0) + 1);
    const done = new Set<string>();
    items.forEach((it, i) => {
      const k = keyOf(pes[i]);
      if (done.has(k)) return;
      done.add(k);
      const p = [...path, pes[i]];
      if ((counts.get(k) ?? 0) > 1) {
        if (strict) throw internalError(`${pathToString(path)}: duplicate entries for key ${pathToString([pes[i]])}`);
        set.insert(p);
        return;
      }
      walkSet(it, list.items ?? UNTYPED, p, set, strict);
      set.insert(p);
    });
    return;
  }
  const obj = v as Record<string, unknown>;
  const on = objectNodeOf(node, v);
  for (const k of Object.keys(obj)) {
    const c = childOf(on, k);
    const child = obj[k];
    const p = [...path, { field: k }];
    walkSet(child, c.node, p, set, strict);
    if (child === null || (isObject(child) && Object.keys(child).length === 0) || !c.named) set.insert(p);
  }
}

// ---------------------------------------------------------------- compare

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** The fields added, modified and removed from `before` to `after` (structured-merge-diff `Compare`). */
export function compareObjects(before: unknown, after: unknown, schema: SchemaNode): Comparison {
  const cmp: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  walkCompare(before, after, schema, [], cmp);
  return cmp;
}

function walkCompare(l: unknown, r: unknown, node: SchemaNode, path: PathElement[], cmp: Comparison): void {
  let gl = l === undefined ? undefined : granular(node, l);
  let gr = r === undefined ? undefined : granular(node, r);
  // A null on one side of a granular value is an empty value that is present (structured-merge-diff
  // compares a null list or map as empty, without adding or removing the field itself).
  if (l === null && gr) gl = gr;
  if (r === null && gl) gr = gl;
  const shape = r !== undefined ? gr : gl;
  const leaf =
    !shape || (l !== undefined && r !== undefined && gl !== gr) || (isEmptyContainer(l ?? undefined) && isEmptyContainer(r ?? undefined));
  if (leaf) {
    if (l === undefined) cmp.added.insert(path);
    else if (r === undefined) cmp.removed.insert(path);
    else if (!jsonEqual(l, r)) cmp.modified.insert(path);
    return;
  }
  if (shape === 'object') {
    const lo = isObject(l) ? l : {};
    const ro = isObject(r) ? r : {};
    const on = objectNodeOf(node, r ?? l);
    const keys = new Set([...Object.keys(lo), ...Object.keys(ro)]);
    for (const k of keys) {
      const has = (o: Record<string, unknown>) => Object.prototype.hasOwnProperty.call(o, k);
      walkCompare(has(lo) ? lo[k] : undefined, has(ro) ? ro[k] : undefined, childOf(on, k).node, [...path, { field: k }], cmp);
    }
  } else {
    const list = listNodeOf(node, r ?? l);
    const items = list.items ?? UNTYPED;
    const index = (v: unknown) => {
      const m = new Map<string, { pe: PathElement; values: unknown[] }>();
      for (const it of Array.isArray(v) ? v : []) {
        const pe = listItemElement(list, it, path);
        const k = JSON.stringify(pe);
        const e = m.get(k);
        if (e) e.values.push(it);
        else m.set(k, { pe, values: [it] });
      }
      return m;
    };
    const li = index(l);
    const ri = index(r);
    const keys = new Set([...li.keys(), ...ri.keys()]);
    for (const k of keys) {
      const le = li.get(k);
      const re = ri.get(k);
      const pe = (le ?? re)!.pe;
      const lv = le?.values ?? [];
      const rv = re?.values ?? [];
      const p = [...path, pe];
      if (lv.length <= 1 && rv.length <= 1) walkCompare(lv[0], rv[0], items, p, cmp);
      else if (lv.length >= 2 && rv.length >= 2) {
        if (!jsonEqual(lv, rv)) cmp.modified.insert(p);
      } else if (lv.length >= 2) {
        if (rv.length === 1) walkCompare(undefined, rv[0], items, p, cmp);
        cmp.removed.insert(p);
      } else {
        if (lv.length === 1) walkCompare(lv[0], undefined, items, p, cmp);
        cmp.added.insert(p);
      }
    }
  }
  if (l === undefined) cmp.added.insert(path);
  else if (r === undefined) cmp.removed.insert(path);
}

// ---------------------------------------------------------------- merge

/**
 * Merges an applied configuration into a live object (structured-merge-diff `Merge`): the applied value
 * wins at leaves and atomic fields; maps and structs merge key by key; map and set lists merge by item,
 * keeping the live order for live-only items and the applied order for the others. A `null` in the
 * applied configuration removes the field, as decoding into the built-in Go types does; with
 * `keepNulls` it stays, which is the object structured-merge-diff compares for conflicts.
 */
export function mergeObjects(live: unknown, applied: unknown, schema: SchemaNode, keepNulls = false): Json {
  return (walkMerge(live, applied, schema, [], keepNulls) ?? {}) as Json;
}

function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) if (v[k] !== null) setOwn(out, k, withoutNulls(v[k]));
  return out;
}

function walkMerge(l: unknown, r: unknown, node: SchemaNode, path: PathElement[], keepNulls: boolean): unknown {
  if (r === undefined) return cloneJson(l);
  const fromConfig = (v: unknown) => (keepNulls ? cloneJson(v) : withoutNulls(cloneJson(v)));
  if (l === undefined) return fromConfig(r);
  const gl = granular(node, l);
  const gr = granular(node, r);
  if (!gr || gl !== gr || (isEmptyContainer(l) && isEmptyContainer(r))) return fromConfig(r);
  if (gr === 'object') {
    const lo = l as Record<string, unknown>;
    const ro = r as Record<string, unknown>;
    const on = objectNodeOf(node, r);
    const out: Record<string, unknown> = {};
    const has = (o: Record<string, unknown>, k: string) => Object.prototype.hasOwnProperty.call(o, k);
    for (const k of Object.keys(lo)) {
      if (!has(ro, k)) setOwn(out, k, cloneJson(lo[k]));
      else if (ro[k] !== null || keepNulls) {
        setOwn(out, k, walkMerge(lo[k], ro[k], childOf(on, k).node, [...path, { field: k }], keepNulls));
      }
    }
    for (const k of Object.keys(ro)) if (!has(lo, k) && (ro[k] !== null || keepNulls)) setOwn(out, k, fromConfig(ro[k]));
    return out;
  }
  return mergeList(l as unknown[], r as unknown[], listNodeOf(node, r), path, keepNulls);
}

function mergeList(l: unknown[], r: unknown[], list: SchemaNode, path: PathElement[], keepNulls: boolean): unknown[] {
  const items = list.items ?? UNTYPED;
  const key = (it: unknown) => JSON.stringify(listItemElement(list, it, path));
  const rKeys = r.map(key);
  const lKeys = l.map(key);
  const lByKey = new Map<string, unknown>();
  lKeys.forEach((k, i) => lByKey.set(k, lByKey.has(k) ? undefined : l[i]));
  const rByKey = new Map(rKeys.map((k, i) => [k, r[i]] as const));
  const merged = (k: string) => walkMerge(lByKey.get(k), rByKey.get(k), items, path, keepNulls);
  // Shared items (in both lists) appear in the applied order; live-only items stay where they were.
  const shared = rKeys.filter((k) => lByKey.has(k));
  let nextShared = 0;
  const emitted = new Set<string>();
  const out: unknown[] = [];
  let li = 0;
  let ri = 0;
  while (li < lKeys.length || ri < rKeys.length) {
    if (li < lKeys.length && ri < rKeys.length) {
      if (lKeys[li] === rKeys[ri]) {
        emitted.add(rKeys[ri]);
        out.push(merged(rKeys[ri]));
        li++;
        ri++;
        nextShared++;
        continue;
      }
      if (rByKey.has(lKeys[li]) && nextShared < shared.length && shared[nextShared] !== lKeys[li]) {
        li++;
        continue;
      }
    }
    if (li < lKeys.length) {
      if (!rByKey.has(lKeys[li])) {
        out.push(cloneJson(l[li]));
        li++;
        continue;
      }
      if (emitted.has(lKeys[li])) li++;
    }
    if (ri < rKeys.length) {
      const k = rKeys[ri];
      emitted.add(k);
      out.push(merged(k));
      ri++;
      if (nextShared < shared.length && shared[nextShared] === k) nextShared++;
    }
  }
  return out;
}

// ---------------------------------------------------------------- remove

/** The value without the fields of `set` (structured-merge-diff `RemoveItems`); emptied containers go too. */
export function removeFields(value: unknown, set: FieldSet, schema: SchemaNode): Json {
  return (walkRemove(value, set, schema) ?? {}) as Json;
}

function walkRemove(v: unknown, set: FieldSet, node: SchemaNode): unknown {
  const g = granular(node, v);
  if (!g || isEmptyContainer(v)) return cloneJson(v);
  if (g === 'object') {
    const obj = v as Record<string, unknown>;
    const on = objectNodeOf(node, v);
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(obj)) {
      const pe = { field: k };
      if (set.hasMember(pe)) continue;
      const sub = set.withPrefix(pe);
      if (sub.empty()) {
        setOwn(out, k, cloneJson(obj[k]));
        continue;
      }
      const nv = walkRemove(obj[k], sub, childOf(on, k).node);
      if (nv !== undefined) setOwn(out, k, nv);
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  const list = listNodeOf(node, v);
  const out: unknown[] = [];
  for (const it of v as unknown[]) {
    const pe = listItemElement(list, it, []);
    if (set.hasMember(pe)) continue;
    const sub = set.withPrefix(pe);
    if (sub.empty()) out.push(cloneJson(it));
    else {
      const nv = walkRemove(it, sub, list.items ?? UNTYPED);
      if (nv !== undefined) out.push(nv);
    }
  }
  return out.length > 0 ? out : undefined;
}

// ---------------------------------------------------------------- managedFields encode/decode

/** Fields no manager owns (k8s.io/apimachinery managedfields internal/stripmeta.go). */
export const STRIPPED_FIELDS: FieldSet = FieldSet.of(
  [{ field: 'apiVersion' }],
  [{ field: 'kind' }],
  [{ field: 'metadata' }],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'].map(
    (f) => [{ field: 'metadata' }, { field: f }],
  ),
);

/**
 * The identifier the apiserver keys managers by (internal BuildManagerIdentifier): the entry without
 * fields and time, and for appliers without apiVersion, as Go's encoding/json writes it.
 */
export function managerIdentifier(m: Pick<Manager, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  const id: Record<string, string> = {};
  if (m.manager) id.manager = m.manager;
  if (m.operation) id.operation = m.operation;
  if (m.operation !== 'Apply' && m.apiVersion) id.apiVersion = m.apiVersion;
  if (m.subresource) id.subresource = m.subresource;
  return JSON.stringify(id);
}

function metadataOf(obj: unknown): Record<string, unknown> | undefined {
  return isObject(obj) && isObject(obj.metadata) ? (obj.metadata as Record<string, unknown>) : undefined;
}

/** Decodes `metadata.managedFields`; throws on an entry the apiserver would not decode. */
export function decodeManagedFields(obj: unknown): Managers {
  const managers: Managers = new Map();
  const list = metadataOf(obj)?.managedFields;
  if (list === undefined || list === null) return managers;
  if (!Array.isArray(list)) throw new Error('managedFields must be a list');
  for (const e of list) {
    if (!isObject(e)) throw new Error('managedFields entries must be objects');
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new Error('operation must be `Apply` or `Update`');
    if (e.fieldsType !== 'FieldsV1') throw new Error(`invalid fieldsType: ${String(e.fieldsType)}`);
    const m: Manager = {
      manager: typeof e.manager === 'string' ? e.manager : '',
      operation: e.operation,
      apiVersion: typeof e.apiVersion === 'string' ? e.apiVersion : '',
      set: FieldSet.fromFieldsV1(e.fieldsV1 ?? {}),
      ...(typeof e.time === 'string' ? { time: e.time } : {}),
      ...(typeof e.subresource === 'string' && e.subresource ? { subresource: e.subresource } : {}),
    };
    // Entries that name the same manager collapse into the last one, as decodeManagedFields keys them.
    const id = managerIdentifier(m);
    managers.delete(id);
    managers.set(id, m);
  }
  return managers;
}

function decodeOrEmpty(obj: unknown): Managers {
  try {
    return decodeManagedFields(obj);
  } catch {
    return new Map();
  }
}

function seconds(t: string | undefined): number {
  if (!t) return 0;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

/** Encodes managers in the apiserver's order: operation, time, manager, apiVersion, subresource. */
export function encodeManagedFields(managers: Managers): ManagedFieldsEntry[] {
  const entries = [...managers.values()].filter((m) => !m.set.empty());
  entries.sort(
    (p, q) =>
      cmpStr(p.operation, q.operation) ||
      seconds(p.time) - seconds(q.time) ||
      cmpStr(p.manager, q.manager) ||
      cmpStr(p.apiVersion, q.apiVersion) ||
      cmpStr(p.subresource ?? '', q.subresource ?? ''),
  );
  return entries.map((m) => ({
    manager: m.manager,
    operation: m.operation,
    apiVersion: m.apiVersion,
    ...(m.time ? { time: m.time } : {}),
    fieldsType: 'FieldsV1',
    fieldsV1: m.set.toFieldsV1(),
    ...(m.subresource ? { subresource: m.subresource } : {}),
  }));
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** RFC 3339 at second precision, as metav1.Time is written. */
export function rfc3339(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A copy of the object without `metadata.managedFields`. */
export function withoutManagedFields(obj: unknown): KubeObject {
  const copy = cloneJson(isObject(obj) ? obj : {}) as KubeObject;
  const md = metadataOf(copy);
  if (md) delete md.managedFields;
  return copy;
}

/** Writes the managers into a copy-owned object (removes the field when there are none). */
export function setManagedFields(obj: KubeObject, managers: Managers): KubeObject {
  const entries = encodeManagedFields(managers);
  let md = metadataOf(obj);
  if (!md) {
    if (entries.length === 0) return obj;
    md = {};
    obj.metadata = md;
  }
  if (entries.length === 0) delete md.managedFields;
  else md.managedFields = entries;
  return obj;
}

/** `[]` or `[{}]` in a request clears managedFields (internal isResetManagedFields). */
function isReset(obj: unknown): boolean {
  const list = metadataOf(obj)?.managedFields;
  if (!Array.isArray(list)) return false;
  if (list.length === 0) return true;
  return list.length === 1 && isObject(list[0]) && Object.keys(list[0]).length === 0;
}

/**
 * The manager name of a request without `fieldManager`: the user agent up to its first `/`, without
 * unprintable characters, at most 128 bytes (apiserver handlers/rest.go prefixFromUserAgent).
 */
export function managerFromUserAgent(userAgent: string | undefined): string {
  const head = (userAgent ?? '').split('/')[0];
  let out = '';
  let bytes = 0;
  for (const ch of head) {
    if (/[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u.test(ch) || (/\s/u.test(ch) && ch !== ' ')) continue;
    const n = Buffer.byteLength(ch);
    if (bytes + n > 128) break;
    out += ch;
    bytes += n;
  }
  return out;
}

// ---------------------------------------------------------------- Update

export interface UpdateOptions {
  /** The manager: `fieldManager` of the request, else `managerFromUserAgent(userAgent)`. */
  manager: string;
  /** The apiVersion the request used (e.g. `v1`, `serving.knative.dev/v1`). */
  apiVersion: string;
  now: Date;
  schema: SchemaNode;
  /** `status` for writes to the status subresource. */
  subresource?: string;
  /**
   * Fields the endpoint resets, never owned through it: `resetFieldsFor(subresource, hasStatus)`.
   * Defaults to `spec` on the status subresource and nothing on the main resource.
   */
  ignoredFields?: FieldSet;
  /** Always `Update` here; accepted so callers can pass one options object around. */
  operation?: 'Update';
}

/**
 * Records a create, update or non-apply patch: returns a copy of `next` whose managedFields give the
 * manager the fields it added or changed and take them (and removed fields) from every other manager.
 * `old` is undefined for a create. An existing object without managedFields stays untracked, as on a
 * cluster, until it is applied to. Inputs are not modified.
 */
export function recordUpdate(old: KubeObject | undefined, next: KubeObject, opts: UpdateOptions): KubeObject {
  let managers: Managers;
  if (opts.subresource) managers = decodeOrEmpty(old);
  else if (isReset(next)) managers = new Map();
  else {
    managers = decodeOrEmpty(next);
    if (managers.size === 0) managers = decodeOrEmpty(old);
  }
  const after = withoutManagedFields(next);
  // skipNonAppliedManager: an existing object that tracks no managers is not tracked by updates
  // (managers start with the first apply); a create is.
  if (managers.size === 0 && old !== undefined) return after;
  // Built-in objects are compared as the apiserver sees them, decoded into Go types: always-present
  // structs are there even when the stored JSON leaves them out.
  const zero = opts.schema.zero;
  const before = withZero(withoutManagedFields(old ?? {}), zero);
  const cmp = compareObjects(before, withZero(after, zero), opts.schema);
  const ignored = opts.ignoredFields ?? resetFieldsFor(opts.subresource, false);
  const changed = cmp.modified.union(cmp.added).recursiveDifference(ignored);
  const removed = cmp.removed.recursiveDifference(ignored);
  for (const [id, m] of managers) {
    const set = m.set.difference(changed).difference(removed);
    if (set.empty()) managers.delete(id);
    else managers.set(id, { ...m, set });
  }
  const opSet = changed.difference(STRIPPED_FIELDS);
  if (!opSet.empty()) {
    const entry = {
      manager: opts.manager,
      operation: 'Update' as const,
      apiVersion: opts.apiVersion,
      ...(opts.subresource ? { subresource: opts.subresource } : {}),
    };
    const id = managerIdentifier(entry);
    const prev = managers.get(id);
    managers.set(id, { ...entry, set: prev ? prev.set.union(opSet) : opSet, time: rfc3339(opts.now) });
  }
  capUpdateManagers(managers, MAX_UPDATE_MANAGERS);
  return setManagedFields(after, managers);
}

/** How many Update entries an object keeps (internal DefaultMaxUpdateManagers). */
export const MAX_UPDATE_MANAGERS = 10;

/**
 * Merges the oldest Update entries into one `ancient-changes` entry per apiVersion until at most `max`
 * remain (internal/capmanagers.go capUpdateManagers).
 */
export function capUpdateManagers(managers: Managers, max: number): void {
  const updaters = [...managers.entries()].filter(([, m]) => m.operation === 'Update').map(([id]) => id);
  if (updaters.length <= max) return;
  updaters.sort((a, b) => seconds(managers.get(a)?.time) - seconds(managers.get(b)?.time) || cmpStr(a, b));
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > max; i++) {
    const id = updaters[i];
    const m = managers.get(id);
    if (!m) continue;
    const bucket = { manager: 'ancient-changes', operation: 'Update' as const, apiVersion: m.apiVersion };
    const bucketId = managerIdentifier(bucket);
    const first = firstOfVersion.get(m.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(m.apiVersion, id);
      continue;
    }
    if (!managers.has(bucketId)) {
      const f = managers.get(first);
      managers.delete(first);
      if (f) managers.set(bucketId, { ...bucket, set: f.set, ...(f.time ? { time: f.time } : {}) });
    }
    const b = managers.get(bucketId);
    managers.delete(id);
    managers.set(bucketId, { ...bucket, set: m.set.union(b?.set ?? new FieldSet()), ...(m.time ? { time: m.time } : {}) });
    length--;
  }
}

/** `obj` with the keys of `zero` it lacks, recursively (a copy; `obj` is not modified). */
function withZero(obj: KubeObject, zero: Json | undefined): KubeObject {
  if (!isObject(zero)) return obj;
  const fill = (o: unknown, z: Json): unknown => {
    if (o === undefined) return cloneJson(z);
    if (!isObject(o) || !isObject(z)) return o;
    const out: Record<string, unknown> = { ...o };
    for (const k of Object.keys(z)) setOwn(out, k, fill(Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined, z[k]));
    return out;
  };
  return fill(obj, zero) as KubeObject;
}

/** The fields an endpoint resets: `status` on the main resource, all but `status` on the status subresource. */
export function resetFieldsFor(subresource: string | undefined, hasStatusSubresource: boolean): FieldSet {
  if (subresource === 'status') return FieldSet.of([{ field: 'spec' }]);
  return hasStatusSubresource ? FieldSet.of([{ field: 'status' }]) : new FieldSet();
}
