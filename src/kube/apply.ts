// Server-side apply with managedFields and the apiserver's conflict errors.
//
// Merges an applied configuration into the live object, owns its fields for the applying manager,
// prunes what that manager applied before and no longer applies, and reports conflicts with other
// managers the way the apiserver does.
//
// Follows sigs.k8s.io/structured-merge-diff `merge/update.go` (Updater.Apply, prune, addBackOwnedItems,
// addBackDanglingItems, update) and k8s.io/apimachinery `pkg/util/managedfields/internal`
// (conflict.go NewConflictError, stripmeta.go, managedfieldsupdater.go, fieldmanager.go).
//
// Entry point: `applyPatch(live | undefined, applied, opts)` returns the new object with managedFields, or
// throws `StatusError` (409 Conflict with `details.causes[].reason: FieldManagerConflict`, or 400).
// The API server calls it for PATCH with `application/apply-patch+yaml` (through patch.ts), stores the
// result unless `dryRun=All`, and for a new object (live undefined) fills in uid, creationTimestamp and
// the rest of the system metadata as on create.

import { FieldSet, goJson, isObject, jsonEqual, pathToString, type FieldPath, type Json } from './fieldpath.ts';
import {
  STRIPPED_FIELDS,
  compareObjects,
  decodeManagedFields,
  fieldSetOf,
  managerIdentifier,
  mergeObjects,
  recordUpdate,
  removeFields,
  resetFieldsFor,
  rfc3339,
  setManagedFields,
  withoutManagedFields,
  type KubeObject,
  type Manager,
  type Managers,
} from './managed-fields.ts';
import type { SchemaNode } from './merge-schema.ts';
import { StatusError, badRequest } from './status.ts';

export interface ApplyOptions {
  /** `fieldManager` of the request (required for apply). */
  manager: string;
  /** `force=true`: take ownership of conflicting fields instead of failing. */
  force?: boolean;
  /** The apiVersion of the endpoint, e.g. `apps/v1` or `serving.knative.dev/v1`. */
  apiVersion: string;
  /** The kind of the endpoint; when given, the applied object must have the same apiVersion and kind. */
  kind?: string;
  now: Date;
  schema: SchemaNode;
  subresource?: string;
  /** Fields the endpoint resets (managed-fields.ts `resetFieldsFor`); defaults as for recordUpdate. */
  ignoredFields?: FieldSet;
}

/** One conflict: the manager identifier (managed-fields.ts `managerIdentifier`) and the field. */
export interface ApplyConflict {
  manager: string;
  path: FieldPath;
}

/** How the apiserver names a manager in conflict texts (internal/conflict.go printManager). */
export function printManager(identifier: string): string {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(identifier) as Record<string, unknown>;
  } catch {
    return JSON.stringify(identifier);
  }
  let s = JSON.stringify(typeof m.manager === 'string' ? m.manager : '');
  if (typeof m.subresource === 'string' && m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') {
    const v = typeof m.apiVersion === 'string' ? m.apiVersion : '';
    return typeof m.time === 'string' ? `${s} using ${v} at ${m.time}` : `${s} using ${v}`;
  }
  return s;
}

/** The 409 Status for apply conflicts (internal/conflict.go NewConflictError, errors.NewApplyConflict). */
export function conflictError(conflicts: ApplyConflict[]): StatusError {
  const causes = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c.manager)}`,
    field: pathToString(c.path),
  }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0].manager)}: ${pathToString(conflicts[0].path)}`;
  } else {
    const byManager = new Map<string, FieldPath[]>();
    for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.path]);
    const lines: string[] = [];
    for (const m of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${printManager(m)}:`);
      for (const p of byManager.get(m) ?? []) lines.push(`- ${pathToString(p)}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError(409, 'Conflict', message, { details: { causes } });
}

function gvkString(apiVersion: string, kind: string): string {
  const i = apiVersion.lastIndexOf('/');
  const group = i >= 0 ? apiVersion.slice(0, i) : '';
  const version = i >= 0 ? apiVersion.slice(i + 1) : apiVersion;
  return `${group}/${version}, Kind=${kind}`;
}

/** The annotation client-side `kubectl apply` keeps its last applied configuration in. */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Server-side apply of `applied` (the decoded YAML/JSON body) to `live` (undefined when the object does
 * not exist yet, and apply creates it). Returns a new object; inputs are not modified.
 *
 * For the manager `kubectl`, as internal/lastappliedmanager.go and lastappliedupdater.go: conflicts on
 * fields whose live value is still what the client-side apply annotation says are taken over without
 * `force` (upgrading from `kubectl apply` to `kubectl apply --server-side`), and an existing annotation
 * is rewritten to the applied configuration.
 */
export function applyPatch(live: KubeObject | undefined, applied: KubeObject, opts: ApplyOptions): KubeObject {
  let result: KubeObject;
  try {
    result = applyOnce(live, applied, opts, opts.force ?? false);
  } catch (e) {
    if (!(e instanceof ApplyConflictError)) throw e;
    if (opts.manager !== 'kubectl') throw conflictError(e.conflicts);
    const allowed = allowedByLastApplied(live, opts);
    const left = allowed ? e.conflicts.filter((c) => !allowed.has(c.path)) : e.conflicts;
    if (left.length > 0) throw conflictError(left);
    result = applyOnce(live, applied, opts, true);
  }
  if (opts.manager === 'kubectl') {
    const annotations = (result.metadata as Record<string, unknown> | undefined)?.annotations;
    if (isObject(annotations) && typeof annotations[LAST_APPLIED] === 'string' && annotations[LAST_APPLIED] !== '') {
      const config = withoutManagedFields(applied);
      const md = isObject(config.metadata) ? config.metadata : undefined;
      if (md && isObject(md.annotations)) {
        delete md.annotations[LAST_APPLIED];
        if (Object.keys(md.annotations).length === 0) delete md.annotations;
      }
      annotations[LAST_APPLIED] = goJsonSorted(config) + '\n';
    }
  }
  return result;
}

/** The fields of the client-side apply annotation whose live values still match it. */
function allowedByLastApplied(live: KubeObject | undefined, opts: ApplyOptions): FieldSet | undefined {
  const annotations = (live?.metadata as Record<string, unknown> | undefined)?.annotations;
  const text = isObject(annotations) ? annotations[LAST_APPLIED] : undefined;
  if (typeof text !== 'string' || text === '') return undefined;
  let last: unknown;
  try {
    last = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(last) || last.apiVersion !== opts.apiVersion) return undefined;
  try {
    const liveObj = withoutManagedFields(live);
    const cmp = compareObjects(last, liveObj, opts.schema);
    return fieldSetOf(last, opts.schema).difference(cmp.modified).difference(cmp.added).difference(cmp.removed);
  } catch {
    return undefined;
  }
}

/** JSON as Go's encoding/json writes a map: keys sorted, HTML characters escaped. */
function goJsonSorted(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map(goJsonSorted).join(',') + ']';
  if (isObject(v)) {
    return '{' + Object.keys(v).sort().map((k) => goJson(k) + ':' + goJsonSorted(v[k])).join(',') + '}';
  }
  return goJson(v as Json);
}

class ApplyConflictError extends Error {
  readonly conflicts: ApplyConflict[];
  constructor(conflicts: ApplyConflict[]) {
    super('apply conflicts');
    this.conflicts = conflicts;
  }
}

function applyOnce(live: KubeObject | undefined, applied: KubeObject, opts: ApplyOptions, force: boolean): KubeObject {
  // versionCheckManager runs before structuredMergeManager's managedFields check.
  if (opts.kind !== undefined) {
    const av = typeof applied.apiVersion === 'string' ? applied.apiVersion : '';
    const k = typeof applied.kind === 'string' ? applied.kind : '';
    if (av !== opts.apiVersion || k !== opts.kind) throw badRequest(`invalid object type: ${gvkString(av, k)}`);
  }
  const md = isObject(applied.metadata) ? applied.metadata : undefined;
  if (md && md.managedFields !== undefined && md.managedFields !== null) {
    throw badRequest('metadata.managedFields must be nil');
  }
  let managers: Managers;
  try {
    managers = decodeManagedFields(live);
  } catch {
    managers = new Map();
  }
  const liveObj = withoutManagedFields(live ?? {});
  const ignored = opts.ignoredFields ?? resetFieldsFor(opts.subresource, false);
  if (managers.size === 0 && live !== undefined) {
    // skipNonAppliedManager: the first apply to an untracked object gives its fields to `before-first-apply`.
    const tracked = recordUpdate(undefined, liveObj, {
      manager: 'before-first-apply',
      apiVersion: opts.apiVersion,
      now: opts.now,
      schema: opts.schema,
      ignoredFields: ignored,
    });
    managers = decodeManagedFields(tracked);
  }
  const me: Omit<Manager, 'set'> = {
    manager: opts.manager,
    operation: 'Apply',
    apiVersion: opts.apiVersion,
    ...(opts.subresource ? { subresource: opts.subresource } : {}),
  };
  const myId = managerIdentifier(me);
  const lastSet = managers.get(myId)?.set;
  const lastTime = managers.get(myId)?.time;
  let appliedSet: FieldSet;
  try {
    appliedSet = fieldSetOf(applied, opts.schema, true).recursiveDifference(ignored);
  } catch (e) {
    if (!(e instanceof StatusError)) throw e;
    const ns = typeof md?.namespace === 'string' ? md.namespace : '';
    const name = typeof md?.name === 'string' ? md.name : '';
    const gvk = gvkString(String(applied.apiVersion ?? ''), String(applied.kind ?? ''));
    throw new StatusError(500, '', `failed to create typed patch object (${ns}/${name}; ${gvk}): ${e.message}`);
  }
  managers.set(myId, { ...me, set: appliedSet });

  // Conflicts are found on the merge that keeps applied nulls (a null changes the field); the stored
  // object drops them.
  const withNulls = prune(mergeObjects(liveObj, applied, opts.schema, true) as KubeObject, managers, lastSet, opts.schema);
  const merged = prune(mergeObjects(liveObj, applied, opts.schema) as KubeObject, managers, lastSet, opts.schema);

  const cmp = compareObjects(liveObj, withNulls, opts.schema);
  const changed = cmp.modified.union(cmp.added).recursiveDifference(ignored);
  const removed = cmp.removed.recursiveDifference(ignored);
  const conflicts: ApplyConflict[] = [];
  const conflictSets = new Map<string, FieldSet>();
  for (const [id, m] of managers) {
    if (id === myId) continue;
    const c = m.set.intersection(changed);
    if (!c.empty()) {
      conflictSets.set(id, c);
      for (const path of c.paths()) conflicts.push({ manager: id, path });
    }
  }
  if (conflicts.length > 0 && !force) {
    conflicts.sort((a, b) => (a.manager < b.manager ? -1 : a.manager > b.manager ? 1 : 0));
    throw new ApplyConflictError(conflicts);
  }
  for (const [id, m] of managers) {
    if (id === myId) continue;
    const set = m.set.difference(conflictSets.get(id) ?? new FieldSet()).difference(removed);
    if (set.empty()) managers.delete(id);
    else managers.set(id, { ...m, set });
  }
  const mine = appliedSet.difference(STRIPPED_FIELDS);
  if (mine.empty()) managers.delete(myId);
  else {
    const unchanged = jsonEqual(liveObj, merged);
    const time = unchanged && lastTime ? lastTime : rfc3339(opts.now);
    managers.set(myId, { ...me, set: mine, time });
  }
  return setManagedFields(merged, managers);
}

/**
 * Removes what the applier owned before (`lastSet`) and no longer applies, unless another manager owns
 * it; fields nobody owned stay (structured-merge-diff Updater.prune).
 */
function prune(merged: KubeObject, managers: Managers, lastSet: FieldSet | undefined, schema: SchemaNode): KubeObject {
  if (!lastSet || lastSet.empty()) return merged;
  const last = lastSet.withNamedFieldsAsMembers();
  const setOf = (v: unknown) => fieldSetOf(v, schema).withNamedFieldsAsMembers();
  let owned = new FieldSet();
  for (const m of managers.values()) owned = owned.union(m.set);
  owned = owned.withNamedFieldsAsMembers();
  const mergedSet = setOf(merged);
  const pruned = removeFields(merged, last, schema);
  const addedBack = removeFields(merged, mergedSet.difference(setOf(pruned).union(owned)), schema);
  return removeFields(merged, mergedSet.difference(setOf(addedBack)).intersection(last), schema) as KubeObject;
}
