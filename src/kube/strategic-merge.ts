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
// Entry point: `strategicMergePatch(original, patch, schema)`; throws `KubeStatusError` as the
// apiserver's patch handler answers (interpretStrategicMergePatchError): 400 with the text for malformed
// directives, the generic 422 for a patch that contradicts `$retainKeys`, and 500 with the text for
// other errors such as an item without its merge key.

import { cloneJson, isObject, jsonEqual, setOwn, type Json } from './fieldpath.ts';
import { OPEN, childOf, type SchemaNode } from './merge-schema.ts';
import { KubeStatusError, badRequest, unprocessablePatch } from './status.ts';

/** A plain Go error, which the apiserver answers with 500 and no reason. */
function serverError(message: string): KubeStatusError {
  return new KubeStatusError(500, '', message);
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

function mergeMap(original: Record<string, unknown>, patch: Record<string, unknown>, node: SchemaNode): Record<string, unknown> {
  const directive = patch[PATCH];
  if (directive !== undefined) {
    // handleDirectiveInMergeMap: `replace` takes the patch as is, `delete` leaves an empty map.
    if (directive === 'replace') return withoutDirectives(patch) as Record<string, unknown>;
    if (directive === 'delete') return {};
    throw serverError(`unknown patch type: ${String(directive)} in map: ${goMap(patch)}`);
  }
  let out = cloneJson(original) as Record<string, unknown>;
  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) {
    if (!Array.isArray(retain) || retain.some((k) => typeof k !== 'string')) {
      throw badRequest('invalid patch format of retainKeys');
    }
    for (const k of Object.keys(patch)) {
      if (!isDirectiveKey(k) && patch[k] !== null && !retain.includes(k)) {
        throw unprocessablePatch();
      }
    }
    const kept: Record<string, unknown> = {};
    for (const k of Object.keys(out)) if (retain.includes(k)) setOwn(kept, k, out[k]);
    out = kept;
  }
  for (const k of Object.keys(patch)) {
    if (isDirectiveKey(k)) continue;
    const pv = patch[k];
    const child = childOf(node.type === 'struct' || node.type === 'map' || node.type === 'open' ? node : OPEN, k).node;
    if (pv === null) {
      delete out[k];
      continue;
    }
    const ov = Object.prototype.hasOwnProperty.call(out, k) ? out[k] : undefined;
    if (isObject(pv)) {
      setOwn(out, k, mergeMap(isObject(ov) ? ov : {}, pv, child));
    } else if (Array.isArray(pv)) {
      setOwn(out, k, mergeList(Array.isArray(ov) ? ov : [], pv, child, patch[SET_ORDER + k]));
    } else {
      setOwn(out, k, cloneJson(pv));
    }
  }
  for (const k of Object.keys(patch)) {
    if (k.startsWith(DELETE_PRIMITIVE)) {
      const field = k.slice(DELETE_PRIMITIVE.length);
      const del = patch[k];
      if (!Array.isArray(del)) throw badRequest('invalid patch format of primitive list');
      const cur = out[field];
      if (Array.isArray(cur)) setOwn(out, field, cur.filter((x) => !del.some((d) => jsonEqual(d, x))));
    } else if (k.startsWith(SET_ORDER)) {
      const field = k.slice(SET_ORDER.length);
      const order = patch[k];
      if (!Array.isArray(order)) throw badRequest('invalid patch format of setElementOrder list');
      const cur = out[field];
      if (!Object.prototype.hasOwnProperty.call(patch, field) && Array.isArray(cur)) {
        const child = childOf(node.type === 'struct' || node.type === 'map' ? node : OPEN, field).node;
        setOwn(out, field, applyOrder(cur, order, child.patchMergeKey));
      }
    }
  }
  return out;
}

function mergeList(original: unknown[], patch: unknown[], node: SchemaNode, order: unknown): unknown[] {
  const merge = (node.patchStrategy ?? '').split(',').includes('merge');
  if (!merge) return patch.map(withoutDirectives);
  const key = node.patchMergeKey;
  const items = node.items ?? OPEN;
  let out: unknown[];
  if (!key) {
    out = [...cloneJson(original)];
    for (const p of patch) {
      if (isObject(p)) throw serverError('expected a string, but received a map');
      if (!out.some((x) => jsonEqual(x, p))) out.push(cloneJson(p));
    }
  } else {
    if (patch.some((p) => isObject(p) && p[PATCH] === 'replace')) {
      return patch.filter((p) => !(isObject(p) && p[PATCH] === 'replace')).map(withoutDirectives);
    }
    out = cloneJson(original);
    for (const p of patch) {
      if (!isObject(p)) throw serverError(`expected a map, but received a ${Array.isArray(p) ? 'slice' : typeof p}`);
      if (!Object.prototype.hasOwnProperty.call(p, key)) {
        throw serverError(`map: ${goMap(p)} does not contain declared merge key: ${key}`);
      }
      const i = out.findIndex((x) => isObject(x) && jsonEqual(x[key], p[key]));
      if (p[PATCH] === 'delete') {
        out = out.filter((x) => !(isObject(x) && jsonEqual(x[key], p[key])));
        continue;
      }
      const merged = mergeMap(i >= 0 && isObject(out[i]) ? (out[i] as Record<string, unknown>) : {}, p, items);
      if (i >= 0) out[i] = merged;
      else out.push(merged);
    }
  }
  return Array.isArray(order) ? applyOrder(out, order, key) : out;
}

/**
 * Orders a merged list as `$setElementOrder` says: the slots held by listed items are refilled in the
 * listed order; items the order does not list (server-only) keep their places.
 */
function applyOrder(list: unknown[], order: unknown[], key: string | undefined): unknown[] {
  const id = (x: unknown): Json | undefined => (key ? (isObject(x) ? (x[key] as Json) : undefined) : (x as Json));
  const rank = (x: unknown) => order.findIndex((o) => jsonEqual(key ? (isObject(o) ? o[key] : undefined) : o, id(x)));
  const listed = list.filter((x) => rank(x) >= 0).sort((a, b) => rank(a) - rank(b));
  let next = 0;
  return list.map((x) => (rank(x) >= 0 ? listed[next++] : x));
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
