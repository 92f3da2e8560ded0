// ObjectMeta validated as the apiserver does on create and update (apimachinery pkg/api/validation/objectmeta.go
// ValidateObjectMetaAccessor / ValidateObjectMetaAccessorUpdate, Kubernetes 1.36), over plain JSON metadata.

import {
  fieldForbidden, fieldInvalid, fieldRequired, fieldTooLong, GoRendered, invalid,
} from './errors.ts';
import type { FieldProblem, GroupKind, StatusError } from './errors.ts';
import { goJSON, goQuote } from './gotext.ts';
import { byteLength, isLabelKey, isLabelValue, nameIsDNSLabel, nameIsDNSSubdomain } from './names.ts';
import type { NameValidator } from './names.ts';

/** TotalAnnotationSizeLimitB: keys plus values, in bytes. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

type Meta = Readonly<Record<string, unknown>>;

/** How a kind's metadata is checked: namespaced or not, and its name rule. */
export interface ObjectMetaRules {
  namespaced: boolean;
  /** Custom resources (every Knative kind) and most built-ins: DNS-1123 subdomain; Namespaces: DNS-1123 label. */
  name: NameValidator;
}

/** The rules the apiserver applies, per kind of object. */
export const OBJECT_META_RULES = {
  /** apiextensions-apiserver customResourceValidator: NameIsDNSSubdomain. Knative's own webhook adds DNS-1035 on top. */
  namespacedCustomResource: { namespaced: true, name: nameIsDNSSubdomain },
  clusterCustomResource: { namespaced: false, name: nameIsDNSSubdomain },
  /** core/v1 Namespace: ValidateNamespaceName (a DNS-1123 label), cluster-scoped. */
  namespace: { namespaced: false, name: nameIsDNSLabel },
} as const satisfies Record<string, ObjectMetaRules>;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

// Go ranges over maps in random order; sorting keys makes the message stable.
const sortedEntries = (v: unknown): [string, unknown][] =>
  isRecord(v) ? Object.keys(v).sort().map((k) => [k, v[k]]) : [];

/** v1validation.ValidateLabels: every key a qualified name, every value a label value; one error per message. */
export function validateLabels(labels: unknown, field = 'metadata.labels'): FieldProblem[] {
  const errs: FieldProblem[] = [];
  for (const [k, v] of sortedEntries(labels)) {
    for (const msg of isLabelKey(k)) errs.push(fieldInvalid(field, k, msg));
    if (typeof v === 'string') for (const msg of isLabelValue(v)) errs.push(fieldInvalid(field, v, msg));
  }
  return errs;
}

/** ValidateAnnotations: keys are qualified names (checked lower-cased), and keys plus values total at most 256 KiB. */
export function validateAnnotations(annotations: unknown, field = 'metadata.annotations'): FieldProblem[] {
  const errs: FieldProblem[] = [];
  let total = 0;
  for (const [k, v] of sortedEntries(annotations)) {
    for (const msg of isLabelKey(k.toLowerCase())) errs.push(fieldInvalid(field, k, msg));
    total += byteLength(k) + byteLength(str(v));
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(fieldTooLong(field, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

/** metav1.OwnerReference as json.Marshal writes it: struct field order, empty optionals left out. */
function ownerReferenceJSON(ref: Record<string, unknown>): string {
  const parts = [`"apiVersion":${goJSON(str(ref.apiVersion))}`, `"kind":${goJSON(str(ref.kind))}`, `"name":${goJSON(str(ref.name))}`, `"uid":${goJSON(str(ref.uid))}`];
  if (typeof ref.controller === 'boolean') parts.push(`"controller":${ref.controller}`);
  if (typeof ref.blockOwnerDeletion === 'boolean') parts.push(`"blockOwnerDeletion":${ref.blockOwnerDeletion}`);
  return `{${parts.join(',')}}`;
}

/** schema.FromAPIVersionAndKind's group and version: a malformed apiVersion yields neither. */
function parseGroupVersion(apiVersion: string): { group: string; version: string } {
  if (apiVersion === '' || apiVersion === '/') return { group: '', version: '' };
  const parts = apiVersion.split('/');
  if (parts.length === 1) return { group: '', version: apiVersion };
  if (parts.length === 2) return { group: parts[0], version: parts[1] };
  return { group: '', version: '' };
}

/** ValidateOwnerReferences (1.36: errors carry the list's path, not an index). */
export function validateOwnerReferences(refs: unknown, field = 'metadata.ownerReferences'): FieldProblem[] {
  const errs: FieldProblem[] = [];
  if (!Array.isArray(refs)) return errs;
  let firstController = '';
  for (const raw of refs) {
    const ref = isRecord(raw) ? raw : {};
    const gv = parseGroupVersion(str(ref.apiVersion));
    if (gv.version === '') errs.push(fieldInvalid(`${field}.apiVersion`, str(ref.apiVersion), 'version must not be empty'));
    if (str(ref.kind) === '') errs.push(fieldInvalid(`${field}.kind`, str(ref.kind), 'must not be empty'));
    if (str(ref.name) === '') errs.push(fieldInvalid(`${field}.name`, str(ref.name), 'must not be empty'));
    if (str(ref.uid) === '') errs.push(fieldInvalid(`${field}.uid`, str(ref.uid), 'must not be empty'));
    if (gv.group === '' && gv.version === 'v1' && str(ref.kind) === 'Event') {
      errs.push(fieldInvalid(field, new GoRendered(ownerReferenceJSON(ref)), '/v1, Kind=Event is disallowed from being an owner'));
    }
    if (ref.controller === true) {
      const current = `${str(ref.kind)}/${str(ref.name)}`;
      if (firstController !== '') {
        const all = new GoRendered(`[${refs.map((r) => ownerReferenceJSON(isRecord(r) ? r : {})).join(',')}]`);
        errs.push(fieldInvalid(field, all, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`));
      } else {
        firstController = current;
      }
    }
  }
  return errs;
}

/** ValidateFinalizers: qualified names, and not both orphan and foregroundDeletion. */
export function validateFinalizers(finalizers: unknown, field = 'metadata.finalizers'): FieldProblem[] {
  const errs: FieldProblem[] = [];
  if (!Array.isArray(finalizers)) return errs;
  const names = finalizers.map(str);
  for (const f of names) for (const msg of isLabelKey(f)) errs.push(fieldInvalid(field, f, msg));
  if (names.includes('orphan') && names.includes('foregroundDeletion')) {
    errs.push(fieldInvalid(field, names, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errs;
}

/**
 * ValidateObjectMetaAccessor for a create: generateName, name (required), namespace (required and a DNS-1123 label
 * for namespaced kinds, forbidden otherwise), generation, labels, annotations, ownerReferences, finalizers.
 * Returns the field errors in the apiserver's order (labels and annotations by key).
 */
export function validateObjectMeta(metadata: Meta | undefined, rules: ObjectMetaRules): FieldProblem[] {
  const meta: Meta = metadata ?? {};
  const errs: FieldProblem[] = [];
  const generateName = str(meta.generateName);
  const name = str(meta.name);
  const namespace = str(meta.namespace);
  if (generateName !== '') for (const msg of rules.name(generateName, true)) errs.push(fieldInvalid('metadata.generateName', generateName, msg));
  if (name === '') errs.push(fieldRequired('metadata.name', 'name or generateName is required'));
  else for (const msg of rules.name(name, false)) errs.push(fieldInvalid('metadata.name', name, msg));
  if (rules.namespaced) {
    if (namespace === '') errs.push(fieldRequired('metadata.namespace', ''));
    else for (const msg of nameIsDNSLabel(namespace, false)) errs.push(fieldInvalid('metadata.namespace', namespace, msg));
  } else if (namespace !== '') {
    errs.push(fieldForbidden('metadata.namespace', 'not allowed on this type'));
  }
  if (typeof meta.generation === 'number' && meta.generation < 0) {
    errs.push(fieldInvalid('metadata.generation', meta.generation, 'must be greater than or equal to 0'));
  }
  errs.push(...validateLabels(meta.labels), ...validateAnnotations(meta.annotations));
  errs.push(...validateOwnerReferences(meta.ownerReferences), ...validateFinalizers(meta.finalizers));
  return errs;
}

const sameJSON = (a: unknown, b: unknown): boolean => goJSON(a ?? null) === goJSON(b ?? null);

/**
 * ValidateObjectMetaAccessorUpdate: resourceVersion given, generation not decremented, identity fields immutable
 * (`field is immutable`), no new finalizers once deleting, and the create-time checks on labels, annotations and
 * ownerReferences. (The generic store refuses an update without resourceVersion earlier, with
 * `metadata.resourceVersion: Invalid value: 0: must be specified for an update`.)
 */
export function validateObjectMetaUpdate(next: Meta | undefined, old: Meta | undefined): FieldProblem[] {
  const n: Meta = next ?? {};
  const o: Meta = old ?? {};
  const errs: FieldProblem[] = [];
  if (o.deletionTimestamp != null) {
    const before = new Set(Array.isArray(o.finalizers) ? o.finalizers.map(str) : []);
    const added = [...new Set(Array.isArray(n.finalizers) ? n.finalizers.map(str) : [])].filter((f) => !before.has(f)).sort();
    if (added.length > 0) {
      errs.push(fieldForbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map(goQuote).join(', ')}}`));
    }
  }
  if (str(n.resourceVersion) === '') errs.push(fieldInvalid('metadata.resourceVersion', '', 'must be specified for an update'));
  const gen = (m: Meta): number => (typeof m.generation === 'number' ? m.generation : 0);
  if (gen(n) < gen(o)) errs.push(fieldInvalid('metadata.generation', gen(n), 'must not be decremented'));
  for (const f of ['name', 'namespace', 'uid']) {
    if (str(n[f]) !== str(o[f])) errs.push(fieldInvalid(`metadata.${f}`, str(n[f]), 'field is immutable'));
  }
  // Times and pointers in Go: absent (or the zero time) prints as null.
  for (const f of ['creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds']) {
    if (!sameJSON(n[f], o[f])) errs.push(fieldInvalid(`metadata.${f}`, n[f] ?? null, 'field is immutable'));
  }
  errs.push(...validateLabels(n.labels), ...validateAnnotations(n.annotations), ...validateOwnerReferences(n.ownerReferences));
  return errs;
}

/**
 * The whole refusal for an object: 422 Invalid, message `Kind.group "name" is invalid: [...]`, causes in details.
 * Returns undefined when the metadata is valid.
 */
export function objectMetaRefusal(gk: GroupKind, metadata: Meta | undefined, errs: readonly FieldProblem[]): StatusError | undefined {
  return errs.length === 0 ? undefined : invalid(gk, str(metadata?.name), errs);
}
