// ObjectMeta and TypeMeta rules shared by the four kinds (knative/pkg apis/metadata_validation.go,
// knative/serving pkg/apis/serving/metadata_validation.go).

import { CURRENT_FIELD, FieldError } from './field-error.ts';
import { getAnnotation } from './autoscaling-annotations.ts';
import { parseGoDuration } from './go-values.ts';
import { notDNS1035Label } from './name-validation.ts';
import { semanticEqual } from './semantic-diff.ts';
import { checkShape, combine, isObj, KIND_DETAILS, objectsOf, str, strMap, via, viaIdx, type Errs, type Obj, type Shape } from './shape-check.ts';
import { ANNOTATION, API_VERSION, LABEL, type Kind } from './types.ts';

const OBJECT_META: Shape = {
  allowed: {
    name: 'string', generateName: 'string', namespace: 'string', selfLink: 'string', uid: 'string',
    resourceVersion: 'string', generation: 'int64', creationTimestamp: 'string', deletionTimestamp: 'string',
    deletionGracePeriodSeconds: 'int64', labels: 'stringMap', annotations: 'stringMap', ownerReferences: 'array',
    finalizers: 'stringArray', managedFields: 'array',
  },
};

const OWNER_REFERENCE: Shape = {
  allowed: { apiVersion: 'string', kind: 'string', name: 'string', uid: 'string', controller: 'bool', blockOwnerDeletion: 'bool' },
};

/** TypeMeta and the top-level field mask: apiVersion, kind, metadata, spec, status. */
function checkTypeMeta(obj: unknown, kind: Kind): { errs: FieldError | null; top: Obj | null } {
  if (!isObj(obj)) return { errs: FieldError.invalidValue(obj, CURRENT_FIELD, `expected a ${kind} object`), top: null };
  const errs: Errs = [];
  const { apiVersion, kind: k } = obj;
  if (apiVersion === undefined || apiVersion === null || apiVersion === '') errs.push(FieldError.missing('apiVersion'));
  else if (apiVersion !== API_VERSION) errs.push(FieldError.invalidValue(apiVersion, 'apiVersion', `expected "${API_VERSION}"`));
  if (k === undefined || k === null || k === '') errs.push(FieldError.missing('kind'));
  else if (k !== kind) errs.push(FieldError.invalidValue(k, 'kind', `expected "${kind}"`));
  const unknown = Object.keys(obj).filter((key) =>
    !['apiVersion', 'kind', 'metadata', 'spec', 'status'].includes(key) && obj[key] !== undefined && obj[key] !== null);
  if (unknown.length > 0) errs.push(FieldError.disallowed(...unknown));
  if (obj.status !== undefined && obj.status !== null && !isObj(obj.status)) {
    errs.push(FieldError.invalidValue(obj.status, 'status', KIND_DETAILS.object));
  }
  return { errs: combine(errs), top: obj };
}

/** The ObjectMeta values validation reads. */
export interface Meta {
  name: string;
  generateName: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ownerReferences: Obj[];
}

/** Type-checks ObjectMeta (paths relative to metadata) and returns the values validation reads. */
export function checkMeta(raw: unknown): { errs: FieldError | null; meta: Meta } {
  const c = checkShape(raw, OBJECT_META);
  const errs: Errs = [c.errs];
  const owners = objectsOf(c.v.ownerReferences, 'ownerReferences');
  errs.push(owners.errs);
  const ownerReferences: Obj[] = [];
  for (const [i, o] of owners.items) {
    const oc = checkShape(o, OWNER_REFERENCE);
    errs.push(viaIdx(oc.errs, 'ownerReferences', i));
    ownerReferences.push(oc.v);
  }
  return {
    errs: combine(errs),
    meta: {
      name: str(c.v.name), generateName: str(c.v.generateName),
      labels: strMap(c.v.labels), annotations: strMap(c.v.annotations), ownerReferences,
    },
  };
}

/** A top-level object with its TypeMeta and ObjectMeta type-checked. */
export interface CheckedObject {
  /** TypeMeta and top-level field errors. */
  errs: FieldError | null;
  /** The object, or null when it is not one (then `errs` says so). */
  top: Obj | null;
  meta: Meta;
  /** ObjectMeta type errors, relative to metadata. */
  metaErrs: FieldError | null;
}

/** checkTypeMeta and checkMeta of a top-level object. */
export function checkObject(obj: unknown, kind: Kind): CheckedObject {
  const { errs, top } = checkTypeMeta(obj, kind);
  const m = checkMeta(top?.metadata);
  return { errs, top, meta: m.meta, metaErrs: m.errs };
}

/** The metadata errors of a top-level object: its types, its names, and the kind's own `rules` (relative to metadata). */
export function validateObjectMeta(o: CheckedObject, ...rules: (FieldError | null)[]): FieldError | null {
  return via(combine([o.metaErrs, validateNames(o.meta), ...rules]), 'metadata');
}

/** knative/pkg apis/metadata_validation.go ValidateObjectMetadata: DNS-1035 name/generateName, one of them required. */
function validateNames(meta: Meta): FieldError | null {
  const badPrefix = meta.generateName === '' ? null : notDNS1035Label(meta.generateName, true);
  if (badPrefix) return new FieldError(badPrefix, ['generateName']);
  const badName = meta.name === '' ? null : notDNS1035Label(meta.name, false);
  if (badName) return new FieldError(badName, ['name']);
  if (meta.generateName === '' && meta.name === '') return new FieldError('name or generateName is required', ['name']);
  return null;
}

/** Service, Configuration and Route may not carry autoscaling annotations (they belong on the template). */
export function validateNoAutoscalingAnnotations(annotations: Record<string, string>): FieldError | null {
  return combine(Object.keys(annotations).filter((k) => k.startsWith('autoscaling.knative.dev')).map((k) =>
    FieldError.invalidKey(k, CURRENT_FIELD, 'autoscaling annotations must be put under "spec.template.metadata.annotations" to work')));
}

/** A label naming an owner (serving.knative.dev/service, .../configuration) must match an ownerReference of that kind. */
export function verifyOwnerLabel(meta: Meta, label: string, kind: string): FieldError | null {
  const value = meta.labels[label];
  if (value === undefined) return null;
  return meta.ownerReferences.some((o) => o.kind === kind && o.name === value) ? null : FieldError.missing(label);
}

/** networking.knative.dev/visibility may only be cluster-local. */
export function validateVisibilityLabel(labels: Record<string, string>): FieldError | null {
  const v = labels[LABEL.visibility];
  return v === undefined || v === 'cluster-local' ? null : FieldError.invalidValue(v, LABEL.visibility);
}

/** Duration annotations: Go duration, whole seconds, not negative (rollout-duration, progress-deadline). */
export function validateSecondsAnnotation(annotations: Record<string, string>, keys: readonly string[], label: string): FieldError | null {
  const found = getAnnotation(annotations, keys);
  if (!found || found.value === '') return null;
  const ns = parseGoDuration(found.value);
  if (ns === null) return FieldError.invalidValue(found.value, found.key);
  if (ns % 1_000_000_000n !== 0n) return new FieldError(`${label}=${found.value} is not at second precision`, [found.key]);
  if (ns < 0n) return new FieldError(`${label}=${found.value} must be positive`, [found.key]);
  return null;
}

/** serving.knative.dev/rollout-duration (knative/serving pkg/apis/serving/metadata_validation.go ValidateRolloutDurationAnnotation). */
export function validateRolloutDuration(annotations: Record<string, string>): FieldError | null {
  return validateSecondsAnnotation(annotations, [ANNOTATION.rolloutDuration, ANNOTATION.rolloutDurationAlias], 'rollout-duration');
}

/** knative/pkg apis/metadata_validation.go ValidateCreatorAndModifier. */
function validateCreatorAndModifier(oldSpec: unknown, newSpec: unknown, oldAnn: Record<string, string>, newAnn: Record<string, string>): FieldError | null {
  const errs: Errs = [];
  if ((oldAnn[ANNOTATION.creator] ?? '') !== (newAnn[ANNOTATION.creator] ?? '')) {
    errs.push(new FieldError('annotation value is immutable', [ANNOTATION.creator]));
  }
  if (semanticEqual(oldSpec, newSpec) && (oldAnn[ANNOTATION.lastModifier] ?? '') !== (newAnn[ANNOTATION.lastModifier] ?? '')) {
    errs.push(FieldError.invalidValue(newAnn[ANNOTATION.lastModifier] ?? '', ANNOTATION.lastModifier));
  }
  return combine(errs);
}

/**
 * On update of an unowned object: the creator annotation is immutable, and lastModifier changes only
 * with the spec. Paths are under metadata.annotations.
 */
export function validateUserInfoUpdate(old: { spec?: unknown; metadata?: { annotations?: Record<string, string> } }, top: Obj, meta: Meta): FieldError | null {
  const newSpec = isObj(top.spec) ? top.spec : {};
  return via(validateCreatorAndModifier(old.spec, newSpec, old.metadata?.annotations ?? {}, meta.annotations), 'metadata.annotations');
}
