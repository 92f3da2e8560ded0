// Three-way JSON merge patch for `service apply` (kubectl's last-applied-configuration model).

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Deep equality of JSON values (object key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ak = Object.keys(a);
    const bk = Object.keys(b);
    return ak.length === bk.length && ak.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/** True if everything `a` says is also in `b` (extra fields in `b` are server defaults). */
function isSubset(a: unknown, b: unknown): boolean {
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => isSubset(x, b[i]));
  if (isObject(a)) return isObject(b) && Object.keys(a).every((k) => k in b && isSubset(a[k], b[k]));
  return deepEqual(a, b);
}

/** Deletions the user made between the last applied and the new configuration (null values only). */
function deletions(original: JsonObject, modified: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(original)) {
    if (!(key in modified)) out[key] = null;
    else if (isObject(original[key]) && isObject(modified[key])) {
      const sub = deletions(original[key] as JsonObject, modified[key] as JsonObject);
      if (Object.keys(sub).length > 0) out[key] = sub;
    }
  }
  return out;
}

/**
 * Additions and changes from the live object to the new configuration. Fields only the server set are left alone;
 * an array the user did not change and that the live object still contains (plus server defaults) is kept.
 */
function changes(current: JsonObject, modified: JsonObject, original: JsonObject | undefined): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(modified)) {
    const mod = modified[key];
    const cur = current[key];
    const orig = original?.[key];
    if (!(key in current)) out[key] = mod;
    else if (isObject(mod) && isObject(cur)) {
      const sub = changes(cur, mod, isObject(orig) ? orig : undefined);
      if (Object.keys(sub).length > 0) out[key] = sub;
    } else if (Array.isArray(mod) && Array.isArray(cur)) {
      const unchangedByUser = original !== undefined && deepEqual(orig, mod);
      if (!deepEqual(cur, mod) && !(unchangedByUser && isSubset(mod, cur))) out[key] = mod;
    } else if (!deepEqual(cur, mod)) {
      out[key] = mod;
    }
  }
  return out;
}

function mergePatches(a: JsonObject, b: JsonObject): JsonObject {
  const out: JsonObject = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObject(out[k]) && isObject(v) ? mergePatches(out[k] as JsonObject, v) : v;
  return out;
}

/**
 * Computes the merge patch that turns `current` into `modified`, deleting what the user removed since `original`
 * (the last applied configuration; undefined when the object was not created by apply). Empty object = no changes.
 */
export function threeWayMergePatch(original: object | undefined, modified: object, current: object): Record<string, unknown> {
  const o = original as JsonObject | undefined;
  const m = modified as JsonObject;
  return mergePatches(o ? deletions(o, m) : {}, changes(current as JsonObject, m, o));
}

/** JSON with object keys sorted, so the same configuration always serializes identically. */
export function stableStringify(v: unknown): string {
  return JSON.stringify(v, (_k, value: unknown) => {
    if (isObject(value)) {
      const sorted: JsonObject = {};
      for (const k of Object.keys(value).sort()) sorted[k] = value[k];
      return sorted;
    }
    return value;
  });
}
