// What differs per kind when an object is written: Knative's admission for serving.knative.dev, the core
// strategies' defaults and checks for Namespaces, Secrets and ConfigMaps, and the two Event versions.

import type { KindInfo } from '../kube/registry.ts';
import { StatusError, badRequest } from '../api/status-error.ts';
import { fieldInvalid, fieldRequired, fieldTooLong, invalid, type FieldProblem } from '../kube/errors.ts';
import type { StoredObject } from '../store/store.ts';
import type { Admission, AdmittedResource } from './admission.ts';
import { admitEventing } from '../eventing/admission.ts';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Everything a kind's write hook may use. */
export interface WriteContext {
  op: 'create' | 'update';
  old: StoredObject | undefined;
  user: string;
  admission: Admission;
}

/** Defaults and validates an object of `kind` before it is stored; returns it with the warnings to send. */
export function admitObject(kind: KindInfo, raw: Obj, ctx: WriteContext): { object: StoredObject; warnings: string[] } {
  if (kind.group === 'serving.knative.dev') return ctx.admission.admit(kind.resource as AdmittedResource, ctx.op, raw, ctx.old, ctx.user);
  if (kind.webhook) return admitEventing(kind, raw, ctx);
  const obj = raw as unknown as StoredObject;
  switch (`${kind.group}/${kind.kind}`) {
    case '/Namespace':
      defaultNamespace(obj);
      break;
    case '/Secret':
      admitSecret(obj);
      break;
    case '/ConfigMap':
      admitConfigMap(obj);
      break;
    case 'networking.internal.knative.dev/ClusterDomainClaim':
      admitClusterDomainClaim(obj);
      break;
  }
  return { object: obj, warnings: [] };
}

/** k8s.io/kubernetes pkg/registry/core/namespace strategy.go PrepareForCreate and the name label the apiserver adds. */
function defaultNamespace(ns: StoredObject): void {
  const o = ns as unknown as Obj;
  const spec = isObj(o.spec) ? o.spec : {};
  if (!Array.isArray(spec.finalizers)) spec.finalizers = ['kubernetes'];
  o.spec = spec;
  o.status = { phase: 'Active' };
  ns.metadata.labels = { ...ns.metadata.labels, 'kubernetes.io/metadata.name': ns.metadata.name ?? '' };
}

/** k8s.io/apimachinery pkg/util/validation IsConfigMapKey. */
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
/** k8s.io/kubernetes pkg/apis/core/validation MaxSecretSize (also the ConfigMap limit). */
const MAX_DATA_BYTES = 1024 * 1024;

function configKeyErrors(key: string, field: string): FieldProblem[] {
  const errs: FieldProblem[] = [];
  if (key.length > 253) errs.push(fieldTooLong(field, 253));
  if (!CONFIG_KEY.test(key)) {
    errs.push(fieldInvalid(field, key, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
  } else if (key === '.' || key === '..' || key.startsWith('..')) {
    errs.push(fieldInvalid(field, key, key === '.' ? "must not be '.'" : key === '..' ? "must not be '..'" : "must not start with '..'"));
  }
  return errs;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A map of base64 values, as encoding/json decodes []byte: anything else is a 400 decoding error. */
function base64Map(o: Obj, field: 'data' | 'binaryData', kind: string): Record<string, string> {
  const v = o[field];
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw badRequest(`${kind} in version "v1" cannot be handled as a ${kind}: json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go struct field ${kind}.${field} of type map[string][]uint8`);
  for (const [k, s] of Object.entries(v)) {
    if (typeof s !== 'string' || !BASE64.test(s)) {
      throw badRequest(`${kind} in version "v1" cannot be handled as a ${kind}: illegal base64 data at input byte ${typeof s === 'string' ? firstBadBase64(s) : 0}`);
    }
    void k;
  }
  return v as Record<string, string>;
}

function firstBadBase64(s: string): number {
  for (let i = 0; i < s.length; i++) if (!/[A-Za-z0-9+/=]/.test(s[i])) return i;
  return s.length;
}

/** k8s.io/kubernetes pkg/registry/core/secret strategy.go and validation ValidateSecret. */
function admitSecret(secret: StoredObject): void {
  const o = secret as unknown as Obj;
  const data = { ...base64Map(o, 'data', 'Secret') };
  if (o.stringData !== undefined && o.stringData !== null) {
    if (!isObj(o.stringData)) throw badRequest('Secret in version "v1" cannot be handled as a Secret: json: cannot unmarshal into Go struct field Secret.stringData of type map[string]string');
    for (const [k, v] of Object.entries(o.stringData)) {
      if (typeof v !== 'string') throw badRequest(`Secret in version "v1" cannot be handled as a Secret: json: cannot unmarshal ${typeof v} into Go struct field Secret.stringData of type string`);
      data[k] = Buffer.from(v).toString('base64');
    }
    delete o.stringData;
  }
  if (Object.keys(data).length > 0) o.data = data;
  if (typeof o.type !== 'string' || o.type === '') o.type = 'Opaque';
  const errs: FieldProblem[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    errs.push(...configKeyErrors(k, `data[${k}]`));
    total += Buffer.from(v, 'base64').length;
  }
  if (total > MAX_DATA_BYTES) errs.push(fieldTooLong('data', MAX_DATA_BYTES));
  if (o.type === 'kubernetes.io/tls') {
    for (const k of ['tls.crt', 'tls.key']) if (!(k in data)) errs.push(fieldRequired(`data[${k}]`, ''));
  }
  if (errs.length > 0) throw invalid({ group: '', kind: 'Secret' }, secret.metadata.name ?? '', errs);
}

/** k8s.io/kubernetes pkg/apis/core/validation ValidateConfigMap. */
function admitConfigMap(cm: StoredObject): void {
  const o = cm as unknown as Obj;
  const errs: FieldProblem[] = [];
  let total = 0;
  if (o.data !== undefined && o.data !== null) {
    if (!isObj(o.data)) throw badRequest('ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal into Go struct field ConfigMap.data of type map[string]string');
    for (const [k, v] of Object.entries(o.data)) {
      if (typeof v !== 'string') throw badRequest(`ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal ${typeof v} into Go struct field ConfigMap.data of type string`);
      errs.push(...configKeyErrors(k, `data[${k}]`));
      total += Buffer.byteLength(v);
    }
  }
  const binary = base64Map(o, 'binaryData', 'ConfigMap');
  for (const [k, v] of Object.entries(binary)) {
    errs.push(...configKeyErrors(k, `binaryData[${k}]`));
    if (isObj(o.data) && k in o.data) errs.push(fieldInvalid(`binaryData[${k}]`, k, 'duplicate of key present in data'));
    total += Buffer.from(v, 'base64').length;
  }
  if (total > MAX_DATA_BYTES) errs.push(fieldTooLong('', MAX_DATA_BYTES));
  if (errs.length > 0) throw invalid({ group: '', kind: 'ConfigMap' }, cm.metadata.name ?? '', errs);
}

/**
 * The ClusterDomainClaim CRD's schema (knative/networking config/domain-claim.yaml) requires spec.namespace,
 * which names the namespace whose DomainMappings may use the claimed domain.
 */
function admitClusterDomainClaim(cdc: StoredObject): void {
  const spec = (cdc as unknown as Obj).spec;
  const ns = isObj(spec) ? spec.namespace : undefined;
  if (typeof ns !== 'string' || ns === '') {
    throw invalid({ group: 'networking.internal.knative.dev', kind: 'ClusterDomainClaim' }, cdc.metadata.name ?? '', [fieldRequired('spec.namespace', '')]);
  }
}

// ---------------------------------------------------------------------------------------------
// Events: one stored form (core/v1), two served versions (k8s.io/kubernetes pkg/apis/events/v1 conversion.go).

/** core/v1 Event field ↔ events.k8s.io/v1 field (pkg/apis/events/v1 conversion.go). */
const EVENT_FIELDS: readonly [string, string][] = [
  ['metadata', 'metadata'], ['eventTime', 'eventTime'], ['reportingComponent', 'reportingController'],
  ['reportingInstance', 'reportingInstance'], ['action', 'action'], ['reason', 'reason'], ['involvedObject', 'regarding'],
  ['related', 'related'], ['message', 'note'], ['type', 'type'], ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'], ['lastTimestamp', 'deprecatedLastTimestamp'], ['count', 'deprecatedCount'],
  ['series', 'series'],
];

function convertEvent(ev: Obj, apiVersion: string, from: 0 | 1): Obj {
  const out: Obj = { apiVersion, kind: 'Event' };
  for (const pair of EVENT_FIELDS) if (ev[pair[from]] !== undefined) out[pair[1 - from]] = ev[pair[from]];
  return out;
}

/** A stored core/v1 Event as events.k8s.io/v1 shows it. */
export function toEventsV1(ev: Obj): Obj {
  const out = convertEvent(ev, 'events.k8s.io/v1', 0);
  out.eventTime ??= null;
  if (out.reportingController === undefined && isObj(ev.source)) out.reportingController = ev.source.component;
  return out;
}

/** An events.k8s.io/v1 Event in its stored core/v1 form. */
export function fromEventsV1(ev: Obj): Obj {
  const out = convertEvent(ev, 'v1', 1);
  out.involvedObject ??= {};
  return out;
}

/** The object as `kind`'s version shows it (only the Events differ from the stored form). */
export function served(kind: KindInfo, obj: StoredObject): StoredObject {
  if (kind.group === 'events.k8s.io') return toEventsV1(obj as unknown as Obj) as unknown as StoredObject;
  return obj;
}

/** The stored form of an object written through `kind`. */
export function stored(kind: KindInfo, obj: Obj): Obj {
  if (kind.group === 'events.k8s.io') return fromEventsV1(obj);
  return obj;
}

// ---------------------------------------------------------------------------------------------
// Access reviews: the token holder is knit's one user, allowed everything (as cluster-admin is).

/** SelfSubjectAccessReview / SelfSubjectRulesReview, answered for the token holder (k8s.io/api authorization/v1). */
export function accessReview(kind: KindInfo, body: Obj): Obj {
  const spec = isObj(body.spec) ? body.spec : {};
  if (kind.kind === 'SelfSubjectAccessReview') {
    if (!isObj(spec.resourceAttributes) && !isObj(spec.nonResourceAttributes)) {
      throw invalid({ group: 'authorization.k8s.io', kind: 'SelfSubjectAccessReview' }, '', [
        fieldInvalid('spec.resourceAttributes', '', 'exactly one of nonResourceAttributes or resourceAttributes must be specified'),
      ]);
    }
    return { kind: kind.kind, apiVersion: kind.groupVersion, metadata: { creationTimestamp: null }, spec, status: { allowed: true, reason: 'knit: the API token holder may do everything' } };
  }
  return {
    kind: kind.kind,
    apiVersion: kind.groupVersion,
    metadata: { creationTimestamp: null },
    spec,
    status: {
      resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
      nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      incomplete: false,
    },
  };
}

/** The 405 the apiserver gives for a verb a resource does not have. */
export function verbNotAllowed(): StatusError {
  return new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', { details: {} });
}
