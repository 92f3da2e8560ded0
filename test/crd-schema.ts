// Validates objects against Knative Serving's CRD schemas (src/kube/schemas/, unchanged from knative/serving
// config/core/300-resources/) with ajv, as a cluster's apiserver with `fieldValidation=Strict` (kubectl's default) would.

import { Ajv, type ValidateFunction } from 'ajv';
import { knativeCrd } from '../src/kube/crds.ts';

const FILES: Record<string, string> = { Service: 'service.yaml', Configuration: 'configuration.yaml', Revision: 'revision.yaml', Route: 'route.yaml' };

type Node = Record<string, unknown>;

/**
 * The apiserver's structural-schema rules, made explicit for a JSON-schema validator: an object schema with
 * `properties` and without `x-kubernetes-preserve-unknown-fields` or `additionalProperties` prunes unknown fields,
 * which Strict field validation reports as errors (k8s.io/apiextensions-apiserver pkg/apiserver/schema/pruning),
 * so here they are refused; `x-kubernetes-int-or-string` admits an integer or a string.
 */
function structural(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(structural);
  if (!schema || typeof schema !== 'object') return schema;
  const s: Node = {};
  for (const [k, v] of Object.entries(schema as Node)) {
    s[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as Node).map(([p, ps]) => [p, structural(ps)])) : structural(v);
  }
  if (s['x-kubernetes-int-or-string'] === true && !s.anyOf) s.anyOf = [{ type: 'integer' }, { type: 'string' }];
  if (s.properties && s['x-kubernetes-preserve-unknown-fields'] !== true && s.additionalProperties === undefined) s.additionalProperties = false;
  return s;
}

/** Every top-level object also needs its apiVersion/kind/metadata, which the CRD schemas declare as plain fields. */
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const compiled = new Map<string, ValidateFunction>();

function validatorOf(kind: string): ValidateFunction {
  let v = compiled.get(kind);
  if (!v) {
    const crd = knativeCrd(FILES[kind]);
    const version = crd.spec.versions.find((x) => x.name === 'v1');
    if (!version) throw new Error(`${FILES[kind]}: no v1 version`);
    v = ajv.compile(structural(version.schema.openAPIV3Schema) as object);
    compiled.set(kind, v);
  }
  return v;
}

/** The schema errors of one serving.knative.dev/v1 object (a List's items are checked one by one); [] when valid. */
export function crdErrors(obj: unknown): string[] {
  if (!obj || typeof obj !== 'object') return ['not an object'];
  const o = obj as { apiVersion?: unknown; kind?: unknown; items?: unknown[] };
  if (o.apiVersion === 'v1' && o.kind === 'List') return (o.items ?? []).flatMap((item, i) => crdErrors(item).map((e) => `items[${i}]: ${e}`));
  if (o.apiVersion !== 'serving.knative.dev/v1') return [`apiVersion ${String(o.apiVersion)} is not serving.knative.dev/v1`];
  if (typeof o.kind !== 'string' || !FILES[o.kind]) return [`kind ${String(o.kind)} is not a Knative Serving v1 kind`];
  const v = validatorOf(o.kind);
  if (v(obj)) return [];
  return (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
}
