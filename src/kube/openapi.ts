// OpenAPI v2 (/openapi/v2) and v3 (/openapi/v3, /openapi/v3/apis/GROUP/VERSION) documents for every group-version in the kind registry.
//
// Exported entry points:
//   - `openapiResponse(pathAndQuery, accept?, opts?)`: the whole answer to a GET of `/openapi/v2`,
//     `/openapi/v3` or `/openapi/v3/<api|apis/GROUP>/VERSION[?hash=…]` — `{ status, contentType, body, etag, headers }`
//     (406 when the Accept header allows nothing served) — or undefined for other paths. The API
//     server calls it before REST routing, as it does `discoveryResponse`:
//     `const o = openapiResponse(req.url, req.headers.accept); if (o) { res.writeHead(o.status, { ...o.headers, 'content-type': o.contentType }); res.end(o.body); }`
//     (`headers` holds the ETag too).
//   - `openapiV2()`, `openapiV3Index()`, `openapiV3Document(gvPath)`: the documents as objects.
// Options: `fieldValidation` (default true) advertises the `fieldValidation` query parameter on
// writes, as kube-apiserver ≥ 1.27 does; kubectl then leaves unknown-field checks to the server
// (kubectl pkg/cmd/util factory_client_access.go Validator, cli-runtime resource
// query_param_verifier_v3.go supportsQueryParamV3). With `fieldValidation: false` kubectl
// validates client-side against /openapi/v2.
// Schemas: Knative's kinds come from their CRDs (./schemas/, published as
// apiextensions-apiserver pkg/controller/openapi/builder does: v3 as is, v2 through
// ToStructuralOpenAPIV2's pruning), Kubernetes' from core-schemas.ts. Every top-level definition
// carries x-kubernetes-group-version-kind, which `kubectl explain` and validation look kinds up by.

import { createHash } from 'node:crypto';
import { CORE_DEFINITIONS, listKind, type Schema } from './core-schemas.ts';
import { KUBE_VERSION } from './discovery.ts';
import { encodeOpenAPIV2 } from './openapi-proto.ts';
import { registry as defaultRegistry, type KindInfo, type KindRegistry } from './registry.ts';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** Options of the generated documents. */
export interface OpenAPIOptions {
  /** Advertise the fieldValidation query parameter on create/update/patch (default true). */
  fieldValidation?: boolean;
  registry?: KindRegistry;
}

const EXTRA_META: Record<string, Schema> = {
  [`${META}.Patch`]: { description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.', type: 'object' },
  [`${META}.DeleteOptions`]: {
    description: 'DeleteOptions may be provided when deleting an API object.',
    type: 'object',
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
      dryRun: { type: 'array', items: { type: 'string' }, description: 'When present, indicates that modifications should not be persisted.' },
      gracePeriodSeconds: { type: 'integer', format: 'int64', description: 'The duration in seconds before the object should be deleted.' },
      kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
      propagationPolicy: { type: 'string', description: "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background', 'Foreground'." },
    },
  },
};

const isObj = (v: unknown): v is Schema => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Every definition, by name: the registry's kinds and their lists, plus the Kubernetes types they use. */
function allDefinitions(reg: KindRegistry): Map<string, Schema> {
  const defs = new Map<string, Schema>(Object.entries({ ...CORE_DEFINITIONS, ...EXTRA_META }));
  for (const k of reg.kinds) {
    defs.set(k.definition, k.schema);
    defs.set(`${k.definition}List`, listKind({ group: k.group, version: k.version, kind: k.listKind }, k.definition, `${k.listKind} is a list of ${k.kind}`));
  }
  return defs;
}

function collectRefs(s: unknown, out: Set<string>): void {
  if (Array.isArray(s)) for (const x of s) collectRefs(x, out);
  else if (isObj(s)) {
    if (typeof s.$ref === 'string') out.add(s.$ref);
    for (const v of Object.values(s)) collectRefs(v, out);
  }
}

/** `roots` and every definition they reach. */
function closure(defs: Map<string, Schema>, roots: Iterable<string>): string[] {
  const seen = new Set<string>();
  const todo = [...roots];
  while (todo.length) {
    const name = todo.pop()!;
    if (seen.has(name) || !defs.has(name)) continue;
    seen.add(name);
    const refs = new Set<string>();
    collectRefs(defs.get(name), refs);
    todo.push(...refs);
  }
  return [...seen].sort();
}

/** A v3 schema with refs pointing into components; a `$ref` with siblings becomes `allOf: [{$ref}]` as kube-apiserver writes it. */
function toV3(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(toV3);
  if (!isObj(s)) return s;
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === '$ref') continue;
    out[k] = k === 'default' || k === 'example' || k === 'enum' || k === 'x-kubernetes-group-version-kind' ? v : toV3(v);
  }
  if (typeof s.$ref === 'string') {
    const ref = { $ref: `#/components/schemas/${s.$ref}` };
    return Object.keys(out).length ? { allOf: [ref], ...out } : ref;
  }
  return out;
}

/**
 * A v2 schema: refs point into definitions, and what Swagger 2 cannot say is pruned as
 * apiextensions-apiserver pkg/controller/openapi/v2 ToStructuralOpenAPIV2 does (no anyOf/oneOf/
 * allOf/not; nullable and x-kubernetes-preserve-unknown-fields drop type/items/properties; an array
 * without items loses its type).
 */
function toV2(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(toV2);
  if (!isObj(s)) return s;
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'anyOf' || k === 'oneOf' || k === 'allOf' || k === 'not' || k === 'nullable') continue;
    if (k === '$ref') out.$ref = `#/definitions/${v as string}`;
    else out[k] = k === 'default' || k === 'example' || k === 'enum' || k === 'x-kubernetes-group-version-kind' ? v : k === 'properties' ? mapValues(v, toV2) : toV2(v);
  }
  if (s.nullable === true) {
    delete out.type;
    delete out.items;
    delete out.properties;
  }
  if (s['x-kubernetes-preserve-unknown-fields'] === true) {
    delete out.items;
    delete out.properties;
  }
  if (out.type === 'array' && out.items === undefined) delete out.type;
  return out;
}

function mapValues(v: unknown, f: (x: unknown) => unknown): unknown {
  if (!isObj(v)) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, f(x)]));
}

/** `servingKnativeDev`, `core`, `apps`, `authorization` (Kubernetes' operation-id prefix of a group). */
function groupIdentifier(group: string): string {
  if (group === '') return 'core';
  const parts = group.replace(/\.k8s\.io$/, '').split('.');
  return parts.map((p, i) => (i === 0 ? p : p[0].toUpperCase() + p.slice(1))).join('');
}

const upper = (s: string) => s[0].toUpperCase() + s.slice(1);

interface Param {
  name: string;
  in: 'query' | 'path' | 'body';
  description: string;
  type?: string;
  required?: boolean;
  uniqueItems?: boolean;
  schema?: Schema;
}

const P = {
  name: (kind: string): Param => ({ name: 'name', in: 'path', description: `name of the ${kind}`, type: 'string', required: true, uniqueItems: true }),
  namespace: { name: 'namespace', in: 'path', description: 'object name and auth scope, such as for teams and projects', type: 'string', required: true, uniqueItems: true } as Param,
  pretty: { name: 'pretty', in: 'query', description: "If 'true', then the output is pretty printed.", type: 'string', uniqueItems: true } as Param,
  dryRun: { name: 'dryRun', in: 'query', description: 'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed', type: 'string', uniqueItems: true } as Param,
  fieldManager: { name: 'fieldManager', in: 'query', description: 'fieldManager is a name associated with the actor or entity that is making these changes.', type: 'string', uniqueItems: true } as Param,
  fieldValidation: {
    name: 'fieldValidation',
    in: 'query',
    description:
      'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.',
    type: 'string',
    uniqueItems: true,
  } as Param,
  force: { name: 'force', in: 'query', description: 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people.', type: 'boolean', uniqueItems: true } as Param,
  watch: { name: 'watch', in: 'query', description: 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.', type: 'boolean', uniqueItems: true } as Param,
  labelSelector: { name: 'labelSelector', in: 'query', description: 'A selector to restrict the list of returned objects by their labels. Defaults to everything.', type: 'string', uniqueItems: true } as Param,
  fieldSelector: { name: 'fieldSelector', in: 'query', description: 'A selector to restrict the list of returned objects by their fields. Defaults to everything.', type: 'string', uniqueItems: true } as Param,
  limit: { name: 'limit', in: 'query', description: 'limit is a maximum number of responses to return for a list call.', type: 'integer', uniqueItems: true } as Param,
  continue: { name: 'continue', in: 'query', description: 'The continue option should be set when retrieving more results from the server.', type: 'string', uniqueItems: true } as Param,
  resourceVersion: { name: 'resourceVersion', in: 'query', description: 'resourceVersion sets a constraint on what resource versions a request may be served from.', type: 'string', uniqueItems: true } as Param,
  body: (definition: string): Param => ({ name: 'body', in: 'body', description: '', required: true, schema: { $ref: definition } }),
};

interface Operation {
  method: 'get' | 'put' | 'post' | 'patch' | 'delete';
  action: string;
  id: string;
  description: string;
  params: Param[];
  response?: string;
  /** For patch and writes: the accepted request body definition. */
  body?: string;
  consumes?: string[];
}

interface PathSpec {
  path: string;
  params: Param[];
  kind: KindInfo;
  ops: Operation[];
}

/** The REST paths of one kind, as kube-apiserver's installer lays them out (pkg/endpoints/installer.go). */
function pathsOf(k: KindInfo, fieldValidation: boolean): PathSpec[] {
  const prefix = k.group === '' ? `/api/${k.version}` : `/apis/${k.group}/${k.version}`;
  const id = `${upper(groupIdentifier(k.group))}${upper(k.version)}`;
  const scope = k.namespaced ? 'Namespaced' : '';
  const base = k.namespaced ? `${prefix}/namespaces/{namespace}/${k.resource}` : `${prefix}/${k.resource}`;
  const nsParams = k.namespaced ? [P.namespace] : [];
  const can = (v: string) => k.verbs.includes(v);
  const write = (extra: Param[] = []) => [P.dryRun, P.fieldManager, ...(fieldValidation ? [P.fieldValidation] : []), ...extra];
  const listParams = [P.labelSelector, P.fieldSelector, P.limit, P.continue, P.resourceVersion, P.watch];
  const patchTypes = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml', ...(k.group.includes('knative') ? [] : ['application/strategic-merge-patch+json'])];
  const out: PathSpec[] = [];

  const collection: Operation[] = [];
  if (can('list')) collection.push({ method: 'get', action: 'list', id: `list${id}${scope}${k.kind}`, description: `list or watch objects of kind ${k.kind}`, params: listParams, response: `${k.definition}List` });
  if (can('create')) collection.push({ method: 'post', action: 'post', id: `create${id}${scope}${k.kind}`, description: `create a ${k.kind}`, params: write(), body: k.definition, response: k.definition });
  if (can('deletecollection')) collection.push({ method: 'delete', action: 'deletecollection', id: `deletecollection${id}${scope}${k.kind}`, description: `delete collection of ${k.kind}`, params: [...listParams.filter((p) => p !== P.watch), P.dryRun], response: `${META}.Status` });
  if (collection.length) out.push({ path: base, params: [...nsParams, P.pretty], kind: k, ops: collection });

  const item: Operation[] = [];
  if (can('get')) item.push({ method: 'get', action: 'get', id: `read${id}${scope}${k.kind}`, description: `read the specified ${k.kind}`, params: [], response: k.definition });
  if (can('update')) item.push({ method: 'put', action: 'put', id: `replace${id}${scope}${k.kind}`, description: `replace the specified ${k.kind}`, params: write(), body: k.definition, response: k.definition });
  if (can('patch')) item.push({ method: 'patch', action: 'patch', id: `patch${id}${scope}${k.kind}`, description: `partially update the specified ${k.kind}`, params: write([P.force]), body: `${META}.Patch`, consumes: patchTypes, response: k.definition });
  if (can('delete')) item.push({ method: 'delete', action: 'delete', id: `delete${id}${scope}${k.kind}`, description: `delete a ${k.kind}`, params: [P.dryRun], body: `${META}.DeleteOptions`, response: `${META}.Status` });
  if (item.length) out.push({ path: `${base}/{name}`, params: [P.name(k.kind), ...nsParams, P.pretty], kind: k, ops: item });

  if (k.namespaced && can('list')) {
    out.push({ path: `${prefix}/${k.resource}`, params: [P.pretty], kind: k, ops: [{ method: 'get', action: 'list', id: `list${id}${k.kind}ForAllNamespaces`, description: `list or watch objects of kind ${k.kind}`, params: listParams, response: `${k.definition}List` }] });
  }

  const status = k.subresources.find((s) => s.name === 'status');
  if (status) {
    const ops: Operation[] = [{ method: 'get', action: 'get', id: `read${id}${scope}${k.kind}Status`, description: `read status of the specified ${k.kind}`, params: [], response: k.definition }];
    if (status.verbs.includes('update')) ops.push({ method: 'put', action: 'put', id: `replace${id}${scope}${k.kind}Status`, description: `replace status of the specified ${k.kind}`, params: write(), body: k.definition, response: k.definition });
    if (status.verbs.includes('patch')) ops.push({ method: 'patch', action: 'patch', id: `patch${id}${scope}${k.kind}Status`, description: `partially update status of the specified ${k.kind}`, params: write([P.force]), body: `${META}.Patch`, consumes: patchTypes, response: k.definition });
    out.push({ path: `${base}/{name}/status`, params: [P.name(k.kind), ...nsParams, P.pretty], kind: k, ops });
  }
  return out;
}

function gvkOf(k: KindInfo) {
  return { group: k.group, version: k.version, kind: k.kind };
}

function v2Param(p: Param): Schema {
  const out: Schema = { name: p.name, in: p.in, description: p.description };
  if (p.in === 'body') {
    out.required = true;
    out.schema = { $ref: `#/definitions/${(p.schema as { $ref: string }).$ref}` };
    return out;
  }
  if (p.required) out.required = true;
  out.type = p.type;
  if (p.uniqueItems) out.uniqueItems = true;
  return out;
}

function v3Param(p: Param): Schema {
  const out: Schema = { name: p.name, in: p.in, description: p.description };
  if (p.required) out.required = true;
  out.schema = p.uniqueItems ? { type: p.type, uniqueItems: true } : { type: p.type };
  return out;
}

function v2Paths(specs: PathSpec[]): Schema {
  const paths: Schema = {};
  for (const s of specs) {
    const item: Schema = {};
    for (const op of s.ops) {
      const params = [...op.params];
      if (op.body && op.method !== 'delete') params.unshift(P.body(op.body));
      item[op.method] = {
        description: op.description,
        consumes: op.consumes ?? ['*/*'],
        produces: ['application/json', 'application/yaml'],
        schemes: ['https'],
        tags: [`${groupIdentifier(s.kind.group)}_${s.kind.version}`],
        operationId: op.id,
        parameters: params.map(v2Param),
        responses: { '200': { description: 'OK', schema: op.response ? { $ref: `#/definitions/${op.response}` } : undefined }, '401': { description: 'Unauthorized' } },
        'x-kubernetes-action': op.action,
        'x-kubernetes-group-version-kind': gvkOf(s.kind),
      };
    }
    item.parameters = s.params.map(v2Param);
    paths[s.path] = item;
  }
  return paths;
}

function v3Paths(specs: PathSpec[]): Schema {
  const paths: Schema = {};
  const content = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } }, 'application/yaml': { schema: { $ref: `#/components/schemas/${ref}` } } });
  for (const s of specs) {
    const item: Schema = {};
    for (const op of s.ops) {
      const o: Schema = {
        tags: [`${groupIdentifier(s.kind.group)}_${s.kind.version}`],
        description: op.description,
        operationId: op.id,
        parameters: op.params.map(v3Param),
      };
      if (op.body && op.method !== 'delete') {
        o.requestBody = { content: Object.fromEntries((op.consumes ?? ['*/*']).map((t) => [t, { schema: { $ref: `#/components/schemas/${op.body}` } }])), required: true };
      }
      o.responses = { '200': { description: 'OK', ...(op.response ? { content: content(op.response) } : {}) }, '401': { description: 'Unauthorized' } };
      o['x-kubernetes-action'] = op.action;
      o['x-kubernetes-group-version-kind'] = gvkOf(s.kind);
      item[op.method] = o;
    }
    item.parameters = s.params.map(v3Param);
    paths[s.path] = item;
  }
  return paths;
}

/** The definitions a document of these kinds carries: theirs, their lists', Status, Patch, DeleteOptions and all they refer to. */
function documentDefinitions(reg: KindRegistry, kinds: readonly KindInfo[], convert: (s: unknown) => unknown): Record<string, unknown> {
  const defs = allDefinitions(reg);
  const roots = kinds.flatMap((k) => [k.definition, `${k.definition}List`]).concat([`${META}.Status`, `${META}.Patch`, `${META}.DeleteOptions`]);
  return Object.fromEntries(closure(defs, roots).map((n) => [n, convert(defs.get(n))]));
}

/** The Swagger 2.0 document of every kind (kube-apiserver's /openapi/v2). */
export function openapiV2(opts: OpenAPIOptions = {}): Schema {
  const reg = opts.registry ?? defaultRegistry;
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: KUBE_VERSION.gitVersion },
    paths: v2Paths(reg.kinds.flatMap((k) => pathsOf(k, opts.fieldValidation ?? true))),
    definitions: documentDefinitions(reg, reg.kinds, toV2),
    securityDefinitions: { BearerToken: { description: 'Bearer Token authentication', type: 'apiKey', name: 'authorization', in: 'header' } },
    security: [{ BearerToken: [] }],
  };
}

/** `api/v1` or `apis/GROUP/VERSION`: the key of a group-version in the v3 index. */
function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

/** The OpenAPI v3 document of one group-version (`api/v1`, `apis/apps/v1`), or undefined when not served. */
export function openapiV3Document(path: string, opts: OpenAPIOptions = {}): Schema | undefined {
  const reg = opts.registry ?? defaultRegistry;
  const gv = reg.groupVersions().find((g) => gvPath(g.group, g.version) === path.replace(/^\/+|\/+$/g, ''));
  if (!gv) return undefined;
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: KUBE_VERSION.gitVersion },
    paths: v3Paths(gv.kinds.flatMap((k) => pathsOf(k, opts.fieldValidation ?? true))),
    components: {
      schemas: documentDefinitions(reg, gv.kinds, toV3),
      securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } },
    },
  };
}

/** kube-openapi's hash of a served document: SHA-512, upper-case hex. */
function hashOf(body: string | Buffer): string {
  return createHash('sha512').update(body).digest('hex').toUpperCase();
}

const cache = new WeakMap<KindRegistry, Map<string, { body: string; hash: string }>>();

function v3Body(path: string, opts: OpenAPIOptions): { body: string; hash: string } | undefined {
  const reg = opts.registry ?? defaultRegistry;
  let m = cache.get(reg);
  if (!m) cache.set(reg, (m = new Map()));
  const key = `${opts.fieldValidation ?? true}:${path}`;
  let hit = m.get(key);
  if (!hit) {
    const doc = openapiV3Document(path, opts);
    if (!doc) return undefined;
    const body = JSON.stringify(doc);
    hit = { body, hash: hashOf(body) };
    m.set(key, hit);
  }
  return hit;
}

/** The /openapi/v3 index: each group-version's document URL, with its hash so clients can cache it. */
export function openapiV3Index(opts: OpenAPIOptions = {}): { paths: Record<string, { serverRelativeURL: string }> } {
  const reg = opts.registry ?? defaultRegistry;
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of reg.groupVersions()) {
    const p = gvPath(gv.group, gv.version);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${v3Body(p, opts)!.hash}` };
  }
  return { paths };
}

/** An answer to an OpenAPI request. */
export interface OpenAPIResponse {
  status: number;
  contentType: string;
  body: string | Buffer;
  etag?: string;
  /** Further headers to send (ETag, Location of a redirect, caching of hashed v3 documents). */
  headers?: Record<string, string>;
}

/** `r` with its ETag among its headers too. */
function withEtag(r: OpenAPIResponse): OpenAPIResponse {
  return r.etag ? { ...r, headers: { ...r.headers, etag: r.etag } } : r;
}

/**
 * The v2 protobuf MIME type kube-openapi answers with (pkg/handler/handler.go). Clients ask for the
 * deprecated `…spec.v2@v1.0+protobuf` too, but Go's mime parser rejects `@` in a Content-Type, so
 * both are answered with this one.
 */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
const V2_TYPES = ['application/json', 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf', OPENAPI_V2_PROTOBUF];
const V3_TYPES = ['application/json'];

/** The first of `offered` that `accept` allows (`*\/*` and `type/*` included); no Accept header means the first. */
function negotiate(accept: string | undefined, offered: string[]): string | undefined {
  if (!accept || !accept.trim()) return offered[0];
  const ranges = accept
    .split(',')
    .map((r) => {
      const [type, ...params] = r.split(';').map((s) => s.trim());
      const q = params.find((p) => p.startsWith('q='));
      return { type: type.toLowerCase(), q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((r) => r.q > 0);
  for (const r of ranges) {
    if (r.type === '*/*') return offered[0];
    const hit = offered.find((o) => o === r.type || (r.type.endsWith('/*') && o.startsWith(r.type.slice(0, -1))));
    if (hit) return hit;
  }
  return undefined;
}

const v2Cache = new WeakMap<KindRegistry, Map<string, { json: string; proto: Buffer; hash: string }>>();

function v2Bodies(opts: OpenAPIOptions) {
  const reg = opts.registry ?? defaultRegistry;
  let m = v2Cache.get(reg);
  if (!m) v2Cache.set(reg, (m = new Map()));
  const key = String(opts.fieldValidation ?? true);
  let hit = m.get(key);
  if (!hit) {
    const doc = openapiV2(opts);
    const json = JSON.stringify(doc);
    hit = { json, proto: encodeOpenAPIV2(doc), hash: hashOf(json) };
    m.set(key, hit);
  }
  return hit;
}

function notAcceptable(offered: string[]): OpenAPIResponse {
  const status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `only the following media types are accepted: ${offered.join(', ')}`,
    reason: 'NotAcceptable',
    code: 406,
  };
  return { status: 406, contentType: 'application/json', body: JSON.stringify(status) };
}

/**
 * The response to a GET of an OpenAPI path (`pathAndQuery` may carry the `?hash=` of a v3
 * document), or undefined when it is not one. A v3 document asked for by a stale hash is a 301 to
 * its current URL, and one asked for by its current hash may be cached for good, as kube-openapi's
 * handler3 answers (pkg/handler3/handler.go).
 */
export function openapiResponse(pathAndQuery: string, accept?: string, opts: OpenAPIOptions = {}): OpenAPIResponse | undefined {
  // Prefixed rather than resolved, so that `//host:port/…` stays a path (as Go's url.ParseRequestURI reads it).
  const url = new URL(pathAndQuery.startsWith('/') ? `http://localhost${pathAndQuery}` : 'http://localhost/');
  const p = url.pathname.replace(/\/+$/, '');
  if (p === '/openapi/v2') {
    const type = negotiate(accept, V2_TYPES);
    if (!type) return notAcceptable(V2_TYPES);
    const b = v2Bodies(opts);
    return withEtag(type === 'application/json' ? { status: 200, contentType: 'application/json', body: b.json, etag: `"${b.hash}"` } : { status: 200, contentType: OPENAPI_V2_PROTOBUF, body: b.proto, etag: `"${b.hash}"` });
  }
  if (p === '/openapi/v3') {
    const type = negotiate(accept, V3_TYPES);
    if (!type) return notAcceptable(V3_TYPES);
    return { status: 200, contentType: 'application/json', body: JSON.stringify(openapiV3Index(opts)) };
  }
  const m = /^\/openapi\/v3\/(.+)$/.exec(p);
  if (m) {
    const b = v3Body(m[1], opts);
    if (!b) return { status: 404, contentType: 'application/json', body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `the server could not find the requested resource`, reason: 'NotFound', code: 404 }) };
    const type = negotiate(accept, V3_TYPES);
    if (!type) return notAcceptable(V3_TYPES);
    const hash = url.searchParams.get('hash');
    if (hash !== null && hash !== b.hash) {
      const location = `/openapi/v3/${m[1]}?hash=${b.hash}`;
      return { status: 301, contentType: 'text/html; charset=utf-8', body: `<a href="${location}">Moved Permanently</a>.\n`, headers: { location } };
    }
    const headers: Record<string, string> = hash === null ? {} : { vary: 'Accept', 'cache-control': 'public, immutable', expires: new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString() };
    return withEtag({ status: 200, contentType: 'application/json', body: b.body, etag: `"${b.hash}"`, headers });
  }
  return undefined;
}
