// Defaulting helpers every kind uses, and the creator/lastModifier annotations
// (knative/serving pkg/apis/serving/metadata_validation.go SetUserInfo).

import { isObj, type Obj } from './shape-check.ts';
import { semanticEqual } from './semantic-diff.ts';
import { ANNOTATION, type ObjectMeta } from './types.ts';
import type { DefaultingContext } from './defaults.ts';

/** parent[key] as an object, creating it when absent; null when it holds something else (validation reports it). */
export function objAt(parent: Obj, key: string): Obj | null {
  const v = parent[key];
  if (v === undefined || v === null) {
    const created: Obj = {};
    parent[key] = created;
    return created;
  }
  return isObj(v) ? v : null;
}

/** Go's nil for a JSON field. */
export const unset = (v: unknown): boolean => v === undefined || v === null;

/** The object's metadata, {} when absent or malformed. */
export function metaOf(o: { metadata?: unknown }): ObjectMeta {
  return isObj(o.metadata) ? (o.metadata as ObjectMeta) : {};
}

/** Owned objects (a Service's Configuration and Route) skip user annotations. */
export function hasOwners(o: { metadata?: unknown }): boolean {
  const refs = metaOf(o).ownerReferences;
  return Array.isArray(refs) && refs.length > 0;
}

/** Records the requesting user: creator+lastModifier on create, lastModifier on a spec-changing update. */
export function setUserInfo(obj: Obj, ctx: DefaultingContext<unknown>, oldSpec: unknown): void {
  if (ctx.user === '') return;
  const meta = objAt(obj, 'metadata');
  if (!meta) return;
  const annotations = objAt(meta, 'annotations');
  if (!annotations) return;
  if (ctx.op === 'update') {
    if (ctx.old !== undefined && semanticEqual(oldSpec, obj.spec)) return;
    annotations[ANNOTATION.lastModifier] = ctx.user;
  } else {
    annotations[ANNOTATION.creator] = ctx.user;
    annotations[ANNOTATION.lastModifier] = ctx.user;
  }
}
