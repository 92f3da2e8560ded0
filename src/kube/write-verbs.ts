// One import for the write verbs as the Kubernetes apiserver has them: server-side apply with managedFields, JSON patch, merge patch, strategic merge patch.
//
// Everything here is pure: functions take plain JSON objects and return new ones, never modifying
// their inputs, so `dryRun=All` is "do everything, store nothing". Errors are `StatusError`, whose
// `status` is the `meta/v1` Status to answer with (HTTP code `status.code`).
//
// How the API server calls it:
// - Schema of a kind: `builtinSchema(apiVersion, kind)` for core/v1 Namespace, Pod, Service, Secret,
//   ConfigMap, Event and apps/v1 Deployment, ReplicaSet; `schemaFromCRD(crdObject, version)` for CRD
//   kinds (the Knative ones), from the parsed CustomResourceDefinition.
// - POST (create): `recordUpdate(undefined, obj, { manager, apiVersion, now, schema, ignoredFields })`
//   after defaulting and before storing, with `manager` = `fieldManager` query or
//   `managerFromUserAgent(User-Agent)`, so the creator owns the defaulted fields as on a cluster.
// - PUT (update): `recordUpdate(stored, obj, { ... })`; on the status subresource pass
//   `subresource: 'status'` (then `spec` is ignored by default).
// - PATCH: `patchObject({ contentType, body, live, target, fieldManager, force, dryRun, userAgent,
//   subresource, now })` with `target` = { apiVersion, kind, group, resource, name, namespace,
//   schema, strategic, hasStatusSubresource }. It checks content type, PatchOptions, uid, name and
//   namespace as the apiserver does. Then default and validate `object` as for an update (or a create
//   when `created`: apply of a new object; fill in uid, creationTimestamp and the other system
//   metadata), check `metadata.resourceVersion` if the body had one, store it unless `dryRun`, and
//   answer 201 when `created`, else 200.
// - Query `dryRun` on any verb: `parseDryRun(values, 'CreateOptions' | 'UpdateOptions' | ...)`.
// - `ignoredFields`: `resetFieldsFor(subresource, hasStatusSubresource)`; the endpoint itself still
//   resets the object's status (main resource) or spec (status subresource) as the strategies do.

export { applyPatch, conflictError, printManager, type ApplyConflict, type ApplyOptions } from './apply.ts';
export { FieldSet, pathToString, type FieldPath, type Json, type PathElement } from './fieldpath.ts';
export {
  capUpdateManagers,
  decodeManagedFields,
  encodeManagedFields,
  managerFromUserAgent,
  recordUpdate,
  resetFieldsFor,
  type KubeObject,
  type ManagedFieldsEntry,
  type UpdateOptions,
} from './managed-fields.ts';
export { builtinSchema, schemaFromCRD, schemaFromOpenAPI, type SchemaNode } from './merge-schema.ts';
export {
  APPLY_PATCH,
  JSON_PATCH,
  MERGE_PATCH,
  STRATEGIC_MERGE_PATCH,
  acceptedPatchTypes,
  applyJsonPatch,
  decodeApplyBody,
  mergePatch,
  parseDryRun,
  patchObject,
  type PatchRequest,
  type PatchResult,
  type PatchTarget,
} from './patch.ts';
export { strategicMergePatch } from './strategic-merge.ts';
export { StatusError } from './status.ts';
