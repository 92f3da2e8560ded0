// Unknown-field detection against the registry's schemas, for the API server's `fieldValidation=Strict|Warn` (what kubectl relies on once OpenAPI advertises it).
//
// Exported entry points:
//   - `unknownFields(kind, obj)`: the paths of fields the kind's schema does not declare
//     (`spec.bogus`, `spec.template.spec.containers[0].imagePullPolicyy`), as kube-apiserver finds
//     them: for CRD kinds by pruning (kubernetes/kubernetes staging/src/k8s.io/apiextensions-apiserver
//     pkg/apiserver/schema/pruning/algorithm.go prune/skipPrune: x-kubernetes-preserve-unknown-fields
//     keeps unknown keys but still checks declared ones; paths sorted), for built-in kinds in document
//     order as strict JSON decoding reports them.
//   - `strictDecodingError(kind, obj, paths)`: the message of the 400 BadRequest the apiserver answers
//     with fieldValidation=Strict (handlers/rest.go transformDecodeError around
//     runtime.NewStrictDecodingError): `Service in version "v1" cannot be handled as a Service: strict
//     decoding error: unknown field "spec.bogus"`.
//   - `unknownFieldWarnings(paths)`: the Warning header texts for fieldValidation=Warn (`unknown field "spec.bogus"`).
// The API server, on create/update/patch with fieldValidation Strict (kubectl's default) or Warn,
// calls `unknownFields(kind, body)` before admission and answers or warns accordingly.

import { CORE_DEFINITIONS, type Schema } from './core-schemas.ts';
import { registry as defaultRegistry, type KindInfo, type KindRegistry } from './registry.ts';

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function definitions(reg: KindRegistry): Map<string, Schema> {
  const defs = new Map<string, Schema>(Object.entries(CORE_DEFINITIONS));
  for (const k of reg.kinds) defs.set(k.definition, k.schema);
  return defs;
}

const defsCache = new WeakMap<KindRegistry, Map<string, Schema>>();

/** The schema `s` stands for, following `$ref` (siblings of a reference only document it). */
function resolve(s: Schema | undefined, defs: Map<string, Schema>): Schema | undefined {
  let cur = s;
  for (let i = 0; cur && typeof cur.$ref === 'string' && i < 32; i++) cur = defs.get(cur.$ref);
  return cur;
}

/** A schema that says nothing about its members: an untyped value, or an object without properties/additionalProperties. */
function isOpaque(s: Schema): boolean {
  if (s['x-kubernetes-int-or-string'] === true) return true;
  if (s.type === undefined && s.properties === undefined && s.items === undefined && s.additionalProperties === undefined) return true;
  return s.type === 'object' && s.properties === undefined && s.additionalProperties === undefined;
}

class Walker {
  readonly found: string[] = [];
  private readonly defs: Map<string, Schema>;
  constructor(defs: Map<string, Schema>) {
    this.defs = defs;
  }

  private record(path: string, key: string): void {
    this.found.push(path ? `${path}.${key}` : key);
  }

  /** prune(): unknown keys are recorded unless the schema preserves them. */
  walk(x: unknown, schema: Schema | undefined, path: string): void {
    const s = resolve(schema, this.defs);
    if (!s || isOpaque(s)) return;
    const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
    if (isMap(x)) {
      const props = isMap(s.properties) ? (s.properties as Record<string, Schema>) : undefined;
      const ap = s.additionalProperties;
      for (const [k, v] of Object.entries(x)) {
        const child = props?.[k];
        const at = path ? `${path}.${k}` : k;
        if (child) this.walk(v, child, at);
        else if (isMap(ap)) this.walk(v, ap as Schema, at);
        else if (ap === true || preserve) continue;
        else this.record(path, k);
      }
    } else if (Array.isArray(x) && isMap(s.items)) {
      x.forEach((v, i) => this.walk(v, s.items as Schema, `${path}[${i}]`));
    }
  }
}

/** The paths of the fields of `obj` that `kind`'s schema does not declare. */
export function unknownFields(kind: KindInfo, obj: unknown, reg: KindRegistry = defaultRegistry): string[] {
  let defs = defsCache.get(reg);
  if (!defs) defsCache.set(reg, (defs = definitions(reg)));
  if (!isMap(obj)) return [];
  const w = new Walker(defs);
  const crd = !kind.definition.startsWith('io.k8s.');
  if (!crd) {
    w.walk(obj, kind.schema, '');
    return w.found;
  }
  // A CRD's root is an embedded resource: apiVersion and kind are free, metadata is checked as ObjectMeta.
  const { apiVersion: _a, kind: _k, metadata, ...rest } = obj;
  w.walk(rest, kind.schema, '');
  if (metadata !== undefined) w.walk(metadata, { $ref: OBJECT_META }, 'metadata');
  return w.found.sort();
}

/** The message of kube-apiserver's 400 for unknown fields under fieldValidation=Strict. */
export function strictDecodingError(kind: KindInfo, obj: unknown, paths: readonly string[]): string {
  const body = isMap(obj) ? obj : {};
  const bodyKind = typeof body.kind === 'string' && body.kind ? body.kind : kind.kind;
  const apiVersion = typeof body.apiVersion === 'string' && body.apiVersion ? body.apiVersion : kind.groupVersion;
  const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
  return `${bodyKind} in version ${JSON.stringify(version)} cannot be handled as a ${kind.kind}: strict decoding error: ${paths.map((p) => `unknown field ${JSON.stringify(p)}`).join(', ')}`;
}

/** The Warning texts kube-apiserver sends under fieldValidation=Warn, one per unknown field. */
export function unknownFieldWarnings(paths: readonly string[]): string[] {
  return paths.map((p) => `unknown field ${JSON.stringify(p)}`);
}
