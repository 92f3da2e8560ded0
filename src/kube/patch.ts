// PATCH as the apiserver does it, dispatched by content type.
//
// PatchOptions checks, JSON patch (RFC 6902), merge patch (RFC 7386), strategic merge patch (built-in
// kinds only) and server-side apply.
//
// Follows k8s.io/apiserver `pkg/endpoints/handlers/patch.go` (PatchResource, applyJSPatch,
// strategicPatchObject, applyPatcher), k8s.io/apimachinery `pkg/apis/meta/v1/validation`
// (ValidatePatchOptions, ValidateDryRun) and the JSON patch semantics of the evanphx/json-patch v4
// package the apiserver uses (e.g. `replace` of a missing object key adds it; `test` treats null and
// absent alike; negative array indexes count from the end). Keys such as `__proto__` are stored.
//
// Entry point for the API server's PATCH handler:
//
//   const { object, created } = patchObject({ contentType, body, live, target, fieldManager, force,
//     dryRun, userAgent, subresource, now });
//   // store `object` unless dryRun is All; answer 201 when `created`, else 200;
//   // on StatusError answer err.status with HTTP code err.status.code.
//
// `target.strategic` is true for the built-in kinds (merge-schema.ts builtinSchema) and false for
// CRD kinds such as Knative's, which then get 415 for strategic merge patch as on a real cluster.

import { parseAllDocuments } from 'yaml';
import { cloneJson, isObject, jsonEqual, setOwn, type FieldSet } from './fieldpath.ts';
import { applyPatch } from './apply.ts';
import { managerFromUserAgent, recordUpdate, resetFieldsFor, type KubeObject } from './managed-fields.ts';
import type { SchemaNode } from './merge-schema.ts';
import { strategicMergePatch } from './strategic-merge.ts';
import {
  StatusError,
  badRequest,
  invalidOptions,
  notFound,
  unprocessablePatch,
  unsupportedMediaType,
  type FieldError,
} from './status.ts';

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

/** The patch types an endpoint accepts, in the order the apiserver lists them. */
export function acceptedPatchTypes(strategic: boolean): string[] {
  return strategic ? [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH] : [JSON_PATCH, MERGE_PATCH, APPLY_PATCH];
}

/** What is being patched. */
export interface PatchTarget {
  /** e.g. `v1`, `apps/v1`, `serving.knative.dev/v1` */
  apiVersion: string;
  kind: string;
  /** API group ('' for core) and plural resource, for the 404 text. */
  group: string;
  resource: string;
  name: string;
  /** The namespace of the request; undefined for cluster-scoped kinds such as Namespace. */
  namespace?: string;
  schema: SchemaNode;
  /** Built-in kinds accept strategic merge patch; CRD kinds do not. */
  strategic: boolean;
  /** Whether the kind has a status subresource (then `status` is not owned through the main resource). */
  hasStatusSubresource?: boolean;
}

export interface PatchRequest {
  /** The Content-Type header (parameters such as `; charset=utf-8` are ignored). */
  contentType: string | undefined;
  body: string | Uint8Array;
  /** The stored object, or undefined when there is none. */
  live: KubeObject | undefined;
  target: PatchTarget;
  /** Query `fieldManager`. */
  fieldManager?: string;
  /** Query `force` as given (`'true'`, `'false'`), or a boolean; undefined when absent. */
  force?: string | boolean;
  /** Query `dryRun` values. */
  dryRun?: readonly string[];
  userAgent?: string;
  subresource?: string;
  now: Date;
}

export interface PatchResult {
  object: KubeObject;
  /** True when apply created the object. */
  created: boolean;
  /** True when `dryRun=All`: the caller must not store. */
  dryRun: boolean;
}

/**
 * Checks `dryRun` query values as metav1 validation ValidateDryRun does; returns true for `All`.
 * `kind` is the options kind of the verb (CreateOptions, UpdateOptions, PatchOptions, DeleteOptions).
 */
export function parseDryRun(values: readonly string[] | undefined, kind = 'PatchOptions'): boolean {
  const errors = dryRunErrors(values);
  if (errors.length > 0) throw invalidOptions(kind, errors);
  return (values ?? []).length > 0;
}

function dryRunErrors(values: readonly string[] | undefined): FieldError[] {
  const v = values ?? [];
  if (v.every((x) => x === 'All')) return [];
  return [
    {
      field: 'dryRun',
      reason: 'FieldValueNotSupported',
      body: `Unsupported value: []string{${v.map((x) => JSON.stringify(x)).join(', ')}}: supported values: "All"`,
    },
  ];
}

function fieldManagerErrors(m: string | undefined): FieldError[] {
  if (!m) return [];
  const out: FieldError[] = [];
  if (Buffer.byteLength(m) > 128) {
    out.push({ field: 'fieldManager', reason: 'FieldValueTooLong', body: 'Too long: may not be more than 128 bytes' });
  }
  return out;
}

function bodyText(body: string | Uint8Array): string {
  return typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
}

/** Query booleans as metav1's conversion reads them: `0` and `false` (any case) are false, all else true. */
function parseForce(f: string | boolean | undefined): boolean | undefined {
  if (f === undefined) return undefined;
  if (typeof f === 'boolean') return f;
  return !(f === '0' || f.toLowerCase() === 'false');
}

/** Runs one PATCH; pure (inputs are not modified). Throws StatusError with the apiserver's answer. */
export function patchObject(req: PatchRequest): PatchResult {
  let type = req.contentType ?? '';
  const semi = type.indexOf(';');
  if (semi > 0) type = type.slice(0, semi);
  type = type.trim();
  const accepted = acceptedPatchTypes(req.target.strategic);
  if (!accepted.includes(type)) throw unsupportedMediaType(accepted);

  const force = parseForce(req.force);
  const errors: FieldError[] = [];
  if (type !== APPLY_PATCH) {
    if (force !== undefined) errors.push({ field: 'force', reason: 'FieldValueForbidden', body: 'Forbidden: may not be specified for non-apply patch' });
  } else if (!req.fieldManager) {
    errors.push({ field: 'fieldManager', reason: 'FieldValueRequired', body: 'Required value: is required for apply patch' });
  }
  errors.push(...fieldManagerErrors(req.fieldManager), ...dryRunErrors(req.dryRun));
  if (errors.length > 0) throw invalidOptions('PatchOptions', errors);
  const dryRun = (req.dryRun ?? []).length > 0;

  const { target } = req;
  const ignoredFields: FieldSet = resetFieldsFor(req.subresource, target.hasStatusSubresource ?? false);
  const text = bodyText(req.body);

  if (type === APPLY_PATCH) {
    const applied = decodeApplyBody(text);
    const object = applyPatch(req.live, applied, {
      manager: req.fieldManager ?? '',
      force: force ?? false,
      apiVersion: target.apiVersion,
      kind: target.kind,
      now: req.now,
      schema: target.schema,
      ignoredFields,
      ...(req.subresource ? { subresource: req.subresource } : {}),
    });
    return { object: checkIdentity(object, req.live === undefined, target), created: req.live === undefined, dryRun };
  }

  if (!req.live) throw notFound(target.group, target.resource, target.name);
  let patched: KubeObject;
  if (type === JSON_PATCH) patched = applyJsonPatch(req.live, decodeJsonPatch(text));
  else if (type === MERGE_PATCH) patched = mergePatch(req.live, text);
  else patched = strategicMergePatch(req.live, decodeStrategicPatch(text), target.schema);

  const object = recordUpdate(req.live, patched, {
    manager: req.fieldManager || managerFromUserAgent(req.userAgent),
    apiVersion: target.apiVersion,
    now: req.now,
    schema: target.schema,
    ignoredFields,
    ...(req.subresource ? { subresource: req.subresource } : {}),
  });
  return { object: checkIdentity(object, false, target), created: false, dryRun };
}

/**
 * What the patch handler checks after patching (handlers/patch.go applyPatch): a uid on an object
 * that does not exist is a conflict, a create wipes system metadata, the namespace must match the
 * request's (and is filled in when absent), and the name must match the URL's.
 */
function checkIdentity(object: KubeObject, created: boolean, target: PatchTarget): KubeObject {
  const md = (isObject(object.metadata) ? object.metadata : (object.metadata = {})) as Record<string, unknown>;
  const qualified = target.group ? `${target.resource}.${target.group}` : target.resource;
  if (created && typeof md.uid === 'string' && md.uid !== '') {
    throw new StatusError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified} "${target.name}": uid mismatch: the provided object specified uid ${md.uid}, and no existing object was found`,
      { details: { name: target.name, ...(target.group ? { group: target.group } : {}), kind: target.resource } },
    );
  }
  if (created) {
    // rest.WipeObjectMetaSystemFields
    for (const f of ['creationTimestamp', 'uid', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink']) delete md[f];
  }
  const ns = typeof md.namespace === 'string' ? md.namespace : '';
  const want = target.namespace ?? '';
  if (ns !== want) {
    if (ns === '') md.namespace = want;
    else if (want === '') delete md.namespace;
    else throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  const name = typeof md.name === 'string' ? md.name : '';
  if (name === '') {
    throw badRequest(`the name of the object (${target.name} based on URL) was undeterminable: name must be provided`);
  }
  if (name !== target.name) {
    throw badRequest(`the name of the object (${name}) does not match the name on the URL (${target.name})`);
  }
  return object;
}

// ---------------------------------------------------------------- apply body

/**
 * Decodes an apply body (YAML or JSON) into an object, as sigs.k8s.io/yaml Unmarshal does: YAML 1.1
 * (goyaml.v2: `yes` is true, `0755` is octal), timestamps stay strings, later duplicate keys win, and
 * only the first document counts.
 */
export function decodeApplyBody(text: string): KubeObject {
  let v: unknown;
  try {
    const docs = parseAllDocuments(text, {
      version: '1.1',
      uniqueKeys: false,
      customTags: (tags) => tags.filter((t) => typeof t === 'string' || t.tag !== 'tag:yaml.org,2002:timestamp'),
    });
    const first = Array.isArray(docs) ? docs[0] : docs;
    if (first && first.errors.length > 0) throw first.errors[0];
    v = first ? first.toJS() : null;
  } catch (e) {
    // A document nested past what the parser's recursion takes is refused as go-yaml refuses deep documents.
    const why = e instanceof RangeError ? 'yaml: exceeded max depth of 10000' : (e as Error).message.split('\n')[0];
    throw badRequest(`error decoding YAML: error converting YAML to JSON: ${why}`);
  }
  if (v === null || v === undefined) return {};
  if (!isObject(v)) {
    const what = Array.isArray(v) ? 'array' : typeof v === 'string' ? 'string' : typeof v === 'number' ? 'number' : 'bool';
    throw badRequest(`error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${what} into Go value of type map[string]interface {}`);
  }
  return v as KubeObject;
}

// ---------------------------------------------------------------- JSON patch (RFC 6902)

type Operation = Record<string, unknown>;

function goTypeName(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/** Decodes a JSON patch document; 400 with Go's decoding error text when it is not a list of objects. */
export function decodeJsonPatch(text: string): Operation[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw badRequest((e as Error).message);
  }
  if (v === null) return [];
  if (!Array.isArray(v)) throw badRequest(`json: cannot unmarshal ${goTypeName(v)} into Go value of type jsonpatch.Patch`);
  for (const op of v) {
    if (op !== null && !isObject(op)) {
      throw badRequest(`json: cannot unmarshal ${goTypeName(op)} into Go value of type jsonpatch.Operation`);
    }
  }
  if (v.length > 10000) {
    throw new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: The allowed maximum operations in a JSON patch is 10000, got ${v.length}`);
  }
  return v.map((op) => (op ?? {}) as Operation);
}

class PatchFailure extends Error {}

function decodeKey(k: string): string {
  return k.replace(/~1/g, '/').replace(/~0/g, '~');
}

function arrayIndex(key: string, length: number, forAdd: boolean): number {
  if (!/^[+-]?\d+$/.test(key)) throw new PatchFailure(`value was not a proper array index: '${key}'`);
  let i = Number.parseInt(key, 10);
  const size = forAdd ? length + 1 : length;
  if (i < 0) {
    if (i < -size) throw new PatchFailure(`Unable to access invalid index: ${i}`);
    i += size;
  }
  if (i >= size) throw new PatchFailure(`Unable to access invalid index: ${i}`);
  return i;
}

/** A reference to the parent container of `path` and the last key, or undefined (evanphx findObject). */
function findParent(doc: { root: unknown }, path: string): { get: () => unknown; has: () => boolean; add: (v: unknown) => void; set: (v: unknown) => void; remove: () => void } | undefined {
  const parts = path.split('/');
  if (parts.length < 2) return undefined;
  const key = decodeKey(parts[parts.length - 1]);
  let holder: { value: unknown; assign: (v: unknown) => void } = { value: doc.root, assign: (v) => (doc.root = v) };
  for (const raw of parts.slice(1, -1)) {
    const part = decodeKey(raw);
    const cur = holder.value;
    if (Array.isArray(cur)) {
      let i: number;
      try {
        i = arrayIndex(part, cur.length, false);
      } catch {
        return undefined;
      }
      holder = { value: cur[i], assign: (v) => (cur[i] = v) };
    } else if (isObject(cur)) {
      if (!Object.prototype.hasOwnProperty.call(cur, part) || cur[part] === null) return undefined;
      holder = { value: cur[part], assign: (v) => setOwn(cur, part, v) };
    } else return undefined;
    if (!Array.isArray(holder.value) && !isObject(holder.value)) return undefined;
  }
  const c = holder.value;
  if (Array.isArray(c)) {
    return {
      get: () => c[arrayIndex(key, c.length, false)],
      has: () => true,
      add: (v) => {
        if (key === '-') c.push(v);
        else c.splice(arrayIndex(key, c.length, true), 0, v);
      },
      set: (v) => {
        c[arrayIndex(key, c.length, false)] = v;
      },
      remove: () => {
        c.splice(arrayIndex(key, c.length, false), 1);
      },
    };
  }
  if (isObject(c)) {
    const o = c as Record<string, unknown>;
    const own = () => Object.prototype.hasOwnProperty.call(o, key);
    return {
      get: () => (own() ? o[key] : undefined),
      has: own,
      add: (v) => setOwn(o, key, v),
      set: (v) => setOwn(o, key, v),
      remove: () => {
        if (!own()) throw new PatchFailure(`Unable to remove nonexistent key: ${key}`);
        delete o[key];
      },
    };
  }
  return undefined;
}

function stringField(op: Operation, name: string): string {
  const v = op[name];
  if (typeof v !== 'string') throw new PatchFailure(`operation missing ${name} field`);
  return v;
}

/**
 * Applies RFC 6902 operations to a copy of `doc`. Any failure is the apiserver's 422 ("the server
 * rejected our request due to an error in our request"), since it answers NewGenericServerResponse.
 */
export function applyJsonPatch(doc: KubeObject, ops: Operation[]): KubeObject {
  const state = { root: cloneJson(doc) as unknown };
  try {
    for (const op of ops) {
      const kind = op.op;
      const value = Object.prototype.hasOwnProperty.call(op, 'value') ? cloneJson(op.value) : undefined;
      switch (kind) {
        case 'add': {
          const ref = findParent(state, stringField(op, 'path'));
          if (!ref) throw new PatchFailure('add operation does not apply: doc is missing path');
          ref.add(value ?? null);
          break;
        }
        case 'remove': {
          const ref = findParent(state, stringField(op, 'path'));
          if (!ref) throw new PatchFailure('remove operation does not apply: doc is missing path');
          ref.remove();
          break;
        }
        case 'replace': {
          const path = stringField(op, 'path');
          if (path === '') {
            if (!isObject(value) && !Array.isArray(value)) throw new PatchFailure('replace operation value must be object or array');
            state.root = value;
            break;
          }
          const ref = findParent(state, path);
          if (!ref) throw new PatchFailure('replace operation does not apply: doc is missing path');
          ref.get();
          ref.set(value ?? null);
          break;
        }
        case 'move':
        case 'copy': {
          const from = findParent(state, stringField(op, 'from'));
          if (!from) throw new PatchFailure(`${kind} operation does not apply: doc is missing from path`);
          const v = from.get();
          if (kind === 'move') from.remove();
          const to = findParent(state, stringField(op, 'path'));
          if (!to) throw new PatchFailure(`${kind} operation does not apply: doc is missing destination path`);
          to.add(kind === 'copy' ? cloneJson(v ?? null) : (v ?? null));
          break;
        }
        case 'test': {
          const path = stringField(op, 'path');
          if (path === '') {
            if (!jsonEqual(state.root, value)) throw new PatchFailure('test failed');
            break;
          }
          const ref = findParent(state, path);
          if (!ref) throw new PatchFailure('test operation does not apply: is missing path');
          const cur = ref.get();
          const expectNull = value === undefined || value === null;
          if (cur === undefined || cur === null) {
            if (!expectNull) throw new PatchFailure('test failed');
          } else if (expectNull || !jsonEqual(cur, value)) throw new PatchFailure('test failed');
          break;
        }
        default:
          throw new PatchFailure(`Unexpected kind: ${String(kind)}`);
      }
    }
  } catch (e) {
    if (e instanceof PatchFailure) throw unprocessablePatch();
    throw e;
  }
  if (!isObject(state.root)) throw unprocessablePatch();
  return state.root as KubeObject;
}

// ---------------------------------------------------------------- merge patch (RFC 7386)

function pruneNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => (isObject(x) ? pruneNulls(x) : x));
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) if (v[k] !== null) setOwn(out, k, pruneNulls(v[k]));
  return out;
}

function mergeInto(doc: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const k of Object.keys(patch)) {
    const pv = patch[k];
    if (pv === null) {
      delete doc[k];
      continue;
    }
    const cur = Object.prototype.hasOwnProperty.call(doc, k) ? doc[k] : undefined;
    if (isObject(cur) && isObject(pv)) mergeInto(cur, pv);
    else setOwn(doc, k, isObject(cur) ? cloneJson(pv) : pruneNulls(cloneJson(pv)));
  }
}

/** RFC 7386 merge patch of `doc` by the JSON text `patchText`; 400 "Invalid JSON Patch" as evanphx's MergePatch. */
export function mergePatch(doc: KubeObject, patchText: string): KubeObject {
  let patch: unknown;
  try {
    patch = JSON.parse(patchText);
  } catch {
    throw badRequest('Invalid JSON Patch');
  }
  if (patch === null || (!isObject(patch) && !Array.isArray(patch))) throw badRequest('Invalid JSON Patch');
  if (Array.isArray(patch)) {
    // The patched document is the array itself, which then fails to decode as an object.
    const body = `Invalid value: ${JSON.stringify(JSON.stringify(pruneNulls(patch)))}: json: cannot unmarshal array into Go value of type map[string]interface {}`;
    throw new StatusError(422, 'Invalid', ` "" is invalid: patch: ${body}`, { details: {
      causes: [{ reason: 'FieldValueInvalid', message: body, field: 'patch' }],
    } });
  }
  const out = cloneJson(doc);
  mergeInto(out, patch);
  return out;
}

function decodeStrategicPatch(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw badRequest((e as Error).message);
  }
  if (v === null) return {};
  if (!isObject(v)) throw badRequest(`json: cannot unmarshal ${goTypeName(v)} into Go value of type map[string]interface {}`);
  return v;
}
