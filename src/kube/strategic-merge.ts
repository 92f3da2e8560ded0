// Strategic merge patch for the built-in kinds.
//
// Lists merge by their patch merge key (containers and env by name, ports by containerPort, volumes by
// name), primitive lists with strategy `merge` as sets, with the directives kubectl sends:
// `$patch: replace|delete`, `$retainKeys`, `$setElementOrder/<field>` and
// `$deleteFromPrimitiveList/<field>`.
//
// Follows k8s.io/apimachinery `pkg/util/strategicpatch/patch.go` (mergeMap, mergeSlice,
// mergeSliceWithoutSpecialElements, normalizeElementOrder) for the cases kubectl produces; the schema
// facts (`patchStrategy`, `patchMergeKey`) come from merge-schema.ts.
//
// Entry point: `strategicMergePatch(original, patch, schema)`; throws `StatusError` as the
// apiserver's patch handler answers (interpretStrategicMergePatchError): 400 with the text for malformed
// directives (including a patch that contradicts `$retainKeys`), and 500 with the text for other errors
// such as an item without its merge key.

import { cloneJson, isObject, jsonEqual, setOwn } from './fieldpath.ts';
import { OPEN, childOf, type SchemaNode } from './merge-schema.ts';
import { StatusError, badRequest } from './status.ts';

/** A plain Go error, which the apiserver answers with 500 and no reason. */
function serverError(message: string): StatusError {
  return new StatusError(500, '', message);
}

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

function isDirectiveKey(k: string): boolean {
  return k === PATCH || k === RETAIN_KEYS || k.startsWith(SET_ORDER) || k.startsWith(DELETE_PRIMITIVE);
}

/** Applies `patch` to `original`; returns a new object (inputs are not modified). */
export function strategicMergePatch(
  original: Record<string, unknown>,
  patch: Record<string, unknown>,
  schema: SchemaNode,
): Record<string, unknown> {
  return mergeMap(original, patch, schema);
}

function fieldNode(node: SchemaNode, k: string): SchemaNode {
  return childOf(node.type === 'struct' || node.type === 'map' || node.type === 'open' ? node : OPEN, k).node;
}

const isMergeList = (node: SchemaNode) => (node.patchStrategy ?? '').split(',').includes('merge');

function mergeMap(original: Record<string, unknown>, patch: Record<string, unknown>, node: SchemaNode): Record<string, unknown> {
  const directive = patch[PATCH];
  if (directive !== undefined) {
    // handleDirectiveInMergeMap: `replace` takes the patch as is, `delete` leaves an empty map.
    if (directive === 'replace') return withoutDirectives(patch) as Record<string, unknown>;
    if (directive === 'delete') return {};
    throw serverError(`unknown patch type: ${String(directive)} in map: ${goMap(patch)}`);
  }
  let out = cloneJson(original) as Record<string, unknown>;
  const has = (o: Record<string, unknown>, k: string) => Object.prototype.hasOwnProperty.call(o, k);

  // applyRetainKeysDirective: every patched field must be listed; unlisted live fields go.
  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw badRequest('invalid patch format of retainKeys');
    for (const k of Object.keys(patch)) {
      if (k === RETAIN_KEYS || patch[k] === null || k.startsWith(SET_ORDER) || k.startsWith(DELETE_PRIMITIVE)) continue;
      if (!retain.includes(k)) throw badRequest('invalid patch format of retainKeys');
    }
    const kept: Record<string, unknown> = {};
    for (const k of Object.keys(out)) if (retain.includes(k)) setOwn(kept, k, out[k]);
    out = kept;
  }

  // mergePatchIntoOriginal: each `$setElementOrder/<field>` merges its list and then orders it.
  const done = new Set<string>();
  for (const k of Object.keys(patch)) {
    if (!k.startsWith(SET_ORDER)) continue;
    const order = patch[k];
    if (!Array.isArray(order)) throw badRequest('invalid patch format of setElementOrder list');
    const field = k.slice(SET_ORDER.length);
    const child = fieldNode(node, field);
    const key = child.patchMergeKey;
    const inOriginal = has(out, field) && Array.isArray(out[field]);
    const inPatch = has(patch, field) && Array.isArray(patch[field]);
    let merged: unknown[];
    if (inOriginal && !inPatch) merged = out[field] as unknown[];
    else if (!inOriginal && inPatch) merged = mergeList([], patch[field] as unknown[], child);
    else if (inOriginal && inPatch) merged = mergeList(out[field] as unknown[], patch[field] as unknown[], child);
    else continue;
    const [listed, serverOnly] = partition(merged, order, key);
    setOwn(out, field, orderItems(listed, serverOnly, order, inOriginal ? (out[field] as unknown[]) : [], key));
    done.add(field);
  }

  for (const k of Object.keys(patch)) {
    if (k === PATCH || k === RETAIN_KEYS || k.startsWith(SET_ORDER) || k.startsWith(DELETE_PRIMITIVE) || done.has(k)) continue;
    const pv = patch[k];
    if (pv === null) {
      delete out[k];
      continue;
    }
    const child = fieldNode(node, k);
    const ov = has(out, k) ? out[k] : undefined;
    if (isObject(pv) && (ov === undefined || isObject(ov))) {
      setOwn(out, k, child.patchStrategy === 'replace' ? withoutDirectives(pv) : mergeMap(isObject(ov) ? ov : {}, pv, child));
    } else if (Array.isArray(pv) && (ov === undefined || Array.isArray(ov))) {
      setOwn(out, k, mergeList(Array.isArray(ov) ? ov : [], pv, child));
    } else {
      setOwn(out, k, withoutDirectives(pv));
    }
  }

  // `$deleteFromPrimitiveList/<field>`: remove those values from a primitive merge list.
  for (const k of Object.keys(patch)) {
    if (!k.startsWith(DELETE_PRIMITIVE)) continue;
    const del = patch[k];
    if (!Array.isArray(del)) throw badRequest('invalid patch format of primitive list');
    const field = k.slice(DELETE_PRIMITIVE.length);
    const cur = out[field];
    if (Array.isArray(cur)) setOwn(out, field, cur.filter((x) => !del.some((d) => jsonEqual(d, x))));
  }
  return out;
}

/**
 * mergeSlice: a list without the `merge` strategy is replaced; a primitive merge list is the union;
 * a merge list of maps merges items by the merge key, honours `$patch: delete|replace` items, and
 * then orders patch items as the patch does and server-only items around them as they were.
 */
function mergeList(original: unknown[], patch: unknown[], node: SchemaNode): unknown[] {
  if (!isMergeList(node)) return patch.map(withoutDirectives);
  if (original.length === 0 && patch.length === 0) return [];
  const key = node.patchMergeKey;
  const items = node.items ?? OPEN;
  if (!key) {
    if ([...original, ...patch].some(isObject)) throw serverError('cannot merge lists without merge key for type map');
    const merged: unknown[] = [];
    for (const v of [...original, ...patch]) if (!merged.some((x) => jsonEqual(x, v))) merged.push(cloneJson(v));
    const [listed, serverOnly] = partition(merged, patch, undefined);
    return orderItems(listed, serverOnly, patch, original, undefined);
  }
  let base = cloneJson(original);
  const plain: Record<string, unknown>[] = [];
  let replace = false;
  for (const p of patch) {
    if (!isObject(p)) throw serverError(`expected a map, but received a ${Array.isArray(p) ? 'slice' : typeof p}`);
    const d = p[PATCH];
    if (d === undefined) plain.push(p);
    else if (d === 'delete') {
      if (!Object.prototype.hasOwnProperty.call(p, key)) throw serverError(`map: ${goMap(p)} does not contain declared merge key: ${key}`);
      base = base.filter((x) => !(isObject(x) && jsonEqual(x[key], p[key])));
    } else if (d === 'replace') replace = true;
    else if (d === 'merge') throw serverError('merging lists cannot yet be specified in the patch');
    else throw serverError(`unknown patch type: ${String(d)} in map: ${goMap(p)}`);
  }
  if (replace) return plain.map(withoutDirectives);
  const merged = [...base];
  for (const p of plain) {
    if (!Object.prototype.hasOwnProperty.call(p, key)) throw serverError(`map: ${goMap(p)} does not contain declared merge key: ${key}`);
    const i = merged.findIndex((x) => isObject(x) && jsonEqual(x[key], p[key]));
    if (i >= 0) merged[i] = mergeMap(merged[i] as Record<string, unknown>, p, items);
    else merged.push(mergeMap({}, p, items));
  }
  const [listed, serverOnly] = partition(merged, plain, key);
  return orderItems(listed, serverOnly, plain, base, key);
}

const identity = (x: unknown, key: string | undefined): unknown => (key ? (isObject(x) ? x[key] : undefined) : x);

function indexIn(list: unknown[], x: unknown, key: string | undefined): number {
  const id = identity(x, key);
  return list.findIndex((v) => jsonEqual(identity(v, key), id));
}

/** Splits items into those `by` mentions and the rest (partitionMapsByPresentInList). */
function partition(items: unknown[], by: unknown[], key: string | undefined): [unknown[], unknown[]] {
  const listed: unknown[] = [];
  const rest: unknown[] = [];
  for (const x of items) (indexIn(by, x, key) >= 0 ? listed : rest).push(x);
  return [listed, rest];
}

/**
 * normalizeElementOrder and mergeSortedSlice: patch items in `patchOrder`, server-only items in
 * `serverOrder`, interleaved so a server-only item goes first only when it came before the next
 * patch item in the live list.
 */
function orderItems(listed: unknown[], serverOnly: unknown[], patchOrder: unknown[], serverOrder: unknown[], key: string | undefined): unknown[] {
  const sortBy = (xs: unknown[], order: unknown[]) =>
    xs.map((x, i) => [x, indexIn(order, x, key), i] as const).sort((a, b) => (a[1] >= 0 && b[1] >= 0 ? a[1] - b[1] : 0) || a[2] - b[2]).map((e) => e[0]);
  const right = sortBy(listed, patchOrder);
  const left = sortBy(serverOnly, serverOrder);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], key);
      const ri = indexIn(serverOrder, right[j], key);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

function withoutDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutDirectives);
  if (!isObject(v)) return cloneJson(v);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) if (!isDirectiveKey(k)) setOwn(out, k, withoutDirectives(v[k]));
  return out;
}

/** Go's `%v` of a map[string]interface{} (sorted keys), for error texts. */
function goMap(m: Record<string, unknown>): string {
  const fmt = (v: unknown): string =>
    isObject(v) ? goMap(v) : Array.isArray(v) ? `[${v.map(fmt).join(' ')}]` : v === null ? '<nil>' : String(v);
  return `map[${Object.keys(m).sort().map((k) => `${k}:${fmt(m[k])}`).join(' ')}]`;
}
