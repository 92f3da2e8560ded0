// The REST verbs for every kind in the registry (k8s.io/apiserver pkg/endpoints/handlers and
// pkg/registry/generic/registry/store.go): get, list, watch, create, update, patch, delete and
// deletecollection over the store, with Kubernetes' ObjectMeta checks, field validation, server-side
// apply and managedFields, Table output, selectors, paging and watch bookmarks.

import type http from 'node:http';
import path from 'node:path';
import { registry, type KindInfo } from '../kube/registry.ts';
import { knativeCrd } from '../kube/crds.ts';
import { rfc3339 } from '../api/time.ts';
import { StatusError, badRequest, notFound } from '../api/status-error.ts';
import { Store, randomSuffix, type FieldRecorder, type StoredObject, type WatchEvent } from '../store/store.ts';
import { GoJSONSyntaxError, checkJSONSyntax, decodeObjectBody, jsonDepth, type JSONValue } from '../kube/json-safety.ts';
import { parseDeleteOptions, parseListOptions, parseWriteOptions, type ListOptions, type WriteOptions } from '../kube/query.ts';
import { FIELD_SELECTABLE, type FieldSelectableKind } from '../kube/selectors.ts';
import { planList, planWatch, takePage } from '../kube/paging.ts';
import { OBJECT_META_RULES, validateObjectMeta, validateObjectMetaUpdate, objectMetaRefusal, type ObjectMetaRules } from '../kube/objectmeta.ts';
import { strictDecodingError, unknownFields, unknownFieldWarnings } from '../kube/field-validation.ts';
import { tableContentType, tableOptions, tableRequested, toTable, TableOptionsError } from '../kube/table.ts';
import { patchObject } from '../kube/patch.ts';
import { recordUpdate, managerFromUserAgent, resetFieldsFor } from '../kube/managed-fields.ts';
import { builtinSchema, schemaFromCRD, type SchemaNode } from '../kube/merge-schema.ts';
import { accessReview, admitObject, served, stored, verbNotAllowed } from './kinds.ts';
import type { Admission } from './admission.ts';
import type { Namespaces } from './namespaces.ts';
import type { ResourceRequest } from './request.ts';
import { revisionLogDir, streamRevisionLogs } from './logs.ts';
import { servePodLog } from './pod-logs.ts';
import type { ProjectedWrites } from '../controllers/projector.ts';
import { readOnlyRefusal, scaleOf, scaleRefusal } from '../kube/projections/refusals.ts';

/** knit's bound on object nesting; Kubernetes' is 10000, which Node's recursive JSON and clone functions cannot take. */
export const MAX_OBJECT_DEPTH = 1000;

/** How often a watch that asked for bookmarks gets one (the watch cache sends them about once a minute). */
const BOOKMARK_INTERVAL_MS = 30_000;

/** What the API server hands a REST verb besides the request. */
export interface RestContext {
  store: Store;
  admission: Admission;
  namespaces: Namespaces;
  user: string;
  now: () => Date;
  logDir: string | undefined;
  /** The projector's write paths (delete a pod, its logs). */
  pods: ProjectedWrites | undefined;
  watches: Set<http.ServerResponse>;
}

/** An answer: status, body, and Warning texts. */
export interface RestAnswer {
  status: number;
  body: unknown;
  contentType?: string;
  warnings?: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

const schemas = new Map<KindInfo, SchemaNode>();

/** The merge schema of a kind: Kubernetes' for built-ins, the CRD's for Knative's kinds. */
function mergeSchemaOf(kind: KindInfo): SchemaNode {
  let s = schemas.get(kind);
  if (!s) {
    s = kind.crd
      ? schemaFromCRD(knativeCrd(kind.crd), kind.version)
      // events.k8s.io/v1 Events are merged on their stored core/v1 form's rules (scalars and atomic structs alike).
      : builtinSchema(kind.group === 'events.k8s.io' ? 'v1' : kind.groupVersion, kind.kind);
    if (!s) throw new Error(`no merge schema for ${kind.groupVersion} ${kind.kind}`);
    schemas.set(kind, s);
  }
  return s;
}

function fieldsOf(kind: KindInfo): FieldSelectableKind {
  switch (`${kind.group}/${kind.kind}`) {
    case '/Pod': return FIELD_SELECTABLE.pod;
    case '/Event': case 'events.k8s.io/Event': return FIELD_SELECTABLE.event;
    case '/Secret': return FIELD_SELECTABLE.secret;
    case '/Namespace': return FIELD_SELECTABLE.namespace;
    case '/Service': return FIELD_SELECTABLE.service;
    case 'apps/Deployment': return FIELD_SELECTABLE.deployment;
    case 'apps/ReplicaSet': return FIELD_SELECTABLE.replicaSet;
    default: return FIELD_SELECTABLE.customResource(kind.namespaced);
  }
}

function metaRules(kind: KindInfo): ObjectMetaRules {
  if (kind.group === '' && kind.kind === 'Namespace') return OBJECT_META_RULES.namespace;
  return kind.namespaced ? OBJECT_META_RULES.namespacedCustomResource : OBJECT_META_RULES.clusterCustomResource;
}

const groupKind = (kind: KindInfo): { group: string; kind: string } => ({ group: kind.group, kind: kind.kind });

/** The object's `metadata`, created when missing. */
function metaOf(o: Obj): Obj {
  if (!isObj(o.metadata)) o.metadata = {};
  return o.metadata as Obj;
}

/** The verbs of a request, over one kind. */
export class RestHandler {
  private readonly ctx: RestContext;

  constructor(ctx: RestContext) {
    this.ctx = ctx;
  }

  private get store(): Store {
    return this.ctx.store;
  }

  private mustGet(kind: KindInfo, ns: string | undefined, name: string): StoredObject {
    const obj = this.store.get(kind.storageKey, ns ?? '', name);
    if (!obj) throw notFound(kind.storageKey, name);
    return obj;
  }

  // -------------------------------------------------------------------------------------------
  // Reads

  get(r: ResourceRequest, accept: string | undefined, query: URLSearchParams): RestAnswer {
    const obj = served(r.kind, this.mustGet(r.kind, r.namespace, r.name ?? ''));
    if (r.subresource === 'scale') return { status: 200, body: scaleOf(obj) };
    return this.maybeTable(r.kind, obj, accept, query);
  }

  private maybeTable(kind: KindInfo, body: Obj | StoredObject, accept: string | undefined, query: URLSearchParams): RestAnswer {
    const version = tableRequested(accept);
    if (!version) return { status: 200, body };
    let opts;
    try {
      opts = tableOptions(query);
    } catch (err) {
      if (err instanceof TableOptionsError) throw badRequest(err.message, err);
      throw err;
    }
    return { status: 200, body: toTable(kind, body as Obj, { ...opts, version, now: this.ctx.now().getTime() }), contentType: tableContentType(version) };
  }

  private listOptions(r: ResourceRequest, query: URLSearchParams): ListOptions {
    return parseListOptions(query, { fields: fieldsOf(r.kind), name: r.name });
  }

  private matcher(r: ResourceRequest, opts: ListOptions): (o: StoredObject) => boolean {
    const fields = fieldsOf(r.kind);
    return (o) => {
      if (r.namespace !== undefined && o.metadata.namespace !== r.namespace) return false;
      if (!opts.labelSelector.matches(o.metadata.labels ?? {})) return false;
      return opts.fieldSelector.matches(fields.fields(o as unknown as Obj));
    };
  }

  list(r: ResourceRequest, accept: string | undefined, query: URLSearchParams): RestAnswer {
    const opts = this.listOptions(r, query);
    const current = Number(this.store.resourceVersion);
    const plan = planList(opts, { current, oldest: this.store.oldestResourceVersion() });
    const matches = this.matcher(r, opts);
    const items = this.store.list(r.kind.storageKey, r.namespace === undefined ? {} : { namespace: r.namespace });
    const page = takePage(items, plan, { listNamespace: r.namespace, matches: opts.labelSelector.empty() && opts.fieldSelector.empty() ? undefined : matches });
    const metadata: Obj = { resourceVersion: page.resourceVersion };
    if (page.continue) metadata.continue = page.continue;
    if (page.remainingItemCount !== undefined) metadata.remainingItemCount = page.remainingItemCount;
    const list = { apiVersion: r.kind.groupVersion, kind: r.kind.listKind, metadata, items: page.items.map((o) => served(r.kind, o)) };
    return this.maybeTable(r.kind, list, accept, query);
  }

  /** A watch (`?watch=true`, or the WatchList form with sendInitialEvents): ADDED/MODIFIED/DELETED, BOOKMARK and ERROR lines. */
  watch(r: ResourceRequest, req: http.IncomingMessage, res: http.ServerResponse, query: URLSearchParams): void {
    const opts = this.listOptions(r, query);
    const matches = this.matcher(r, opts);
    const tableVersion = tableRequested(req.headers.accept);
    const tableOpts = tableVersion ? tableOptions(query) : undefined;
    let start: { from: number; initialEvents: boolean };
    try {
      start = planWatch(opts.resourceVersion, { current: Number(this.store.resourceVersion), oldestEvent: this.store.oldestResourceVersion() + 1 }, opts.sendInitialEvents);
    } catch (err) {
      // A watch that cannot start answers 200 with one ERROR event carrying the Status, as the apiserver does.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify({ type: 'ERROR', object: (err as StatusError).toStatus() })}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': tableVersion ? tableContentType(tableVersion) : 'application/json', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache' });
    res.flushHeaders();
    let first = true;
    const write = (type: string, obj: StoredObject): void => {
      let object: unknown = served(r.kind, obj);
      if (tableVersion) {
        object = toTable(r.kind, object as Obj, { ...tableOpts, version: tableVersion, noHeaders: !first, now: this.ctx.now().getTime() });
        first = false;
      }
      res.write(`${JSON.stringify({ type, object })}\n`);
    };
    // Objects this watch has shown as matching: a change that stops (or starts) matching is a DELETED (or ADDED), as the watch cache sends.
    const shown = new Set<string>();
    const keyOf = (o: StoredObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
    let lastRv = String(start.from);
    const send = (ev: WatchEvent): void => {
      lastRv = ev.object.metadata.resourceVersion ?? lastRv;
      const key = keyOf(ev.object);
      const was = shown.has(key);
      if (ev.type === 'DELETED') {
        if (was || matches(ev.object)) write('DELETED', ev.object);
        shown.delete(key);
      } else if (matches(ev.object)) {
        shown.add(key);
        write(ev.type === 'ADDED' || !was ? 'ADDED' : 'MODIFIED', ev.object);
      } else if (was) {
        shown.delete(key);
        write('DELETED', ev.object);
      }
    };
    const bookmark = (extra: Obj = {}): void => {
      const object = { kind: r.kind.kind, apiVersion: r.kind.groupVersion, metadata: { resourceVersion: lastRv, ...extra } };
      res.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
    };
    let unwatch: () => void;
    if (start.initialEvents) {
      for (const obj of this.store.list(r.kind.storageKey, r.namespace === undefined ? {} : { namespace: r.namespace })) {
        if (!matches(obj)) continue;
        shown.add(keyOf(obj));
        write('ADDED', obj);
      }
      lastRv = this.store.resourceVersion;
      unwatch = this.store.watch(r.kind.storageKey, send);
      if (opts.sendInitialEvents && opts.allowWatchBookmarks) bookmark({ annotations: { 'k8s.io/initial-events-end': 'true' } });
    } else {
      // What matched at `from` is not kept; what matches now stands in for it, so a replayed change to it is MODIFIED.
      for (const obj of this.store.list(r.kind.storageKey, r.namespace === undefined ? {} : { namespace: r.namespace })) {
        if (matches(obj)) shown.add(keyOf(obj));
      }
      try {
        unwatch = this.store.watch(r.kind.storageKey, send, String(start.from));
      } catch (err) {
        res.end(`${JSON.stringify({ type: 'ERROR', object: (err as StatusError).toStatus() })}\n`);
        return;
      }
    }
    this.ctx.watches.add(res);
    const timers: NodeJS.Timeout[] = [];
    if (opts.allowWatchBookmarks) timers.push(setInterval(() => bookmark(), BOOKMARK_INTERVAL_MS));
    if (opts.timeoutSeconds !== undefined && opts.timeoutSeconds > 0) timers.push(setTimeout(() => res.end(), opts.timeoutSeconds * 1000));
    const stop = (): void => {
      unwatch();
      this.ctx.watches.delete(res);
      for (const t of timers) clearTimeout(t);
    };
    res.once('close', stop);
    req.once('close', stop);
  }

  /** `pods/NAME/log` and `revisions/NAME/log`. */
  log(r: ResourceRequest, res: http.ServerResponse, query: URLSearchParams): void {
    const ns = r.namespace ?? 'default';
    const name = r.name ?? '';
    const tail = query.get('tailLines');
    const tailLines = tail === null ? undefined : Number(tail);
    if (tailLines !== undefined && (!Number.isInteger(tailLines) || tailLines < 0)) throw badRequest(`invalid tailLines "${tail}"`);
    const follow = query.get('follow') === 'true';
    const obj = this.mustGet(r.kind, ns, name);
    if (r.kind.kind === 'Revision') {
      if (!this.ctx.logDir) throw new StatusError(404, 'NotFound', 'logs are not kept by this server');
      streamRevisionLogs(revisionLogDir(this.ctx.logDir, obj, query.get('container') ?? undefined), res, { tailLines, follow });
      return;
    }
    if (!this.ctx.pods) throw verbNotAllowed();
    servePodLog(this.ctx.pods, ns, name, res, { tailLines, follow, container: query.get('container') ?? undefined, previous: query.get('previous') === 'true' });
  }

  // -------------------------------------------------------------------------------------------
  // Writes

  /** Parses and checks a body for create or update: JSON, depth, apiVersion/kind, field validation. */
  private decode(kind: KindInfo, body: Buffer, opts: WriteOptions): { obj: Obj; warnings: string[] } {
    const obj = decodeObjectBody(body, kind.kind) as Obj;
    if (jsonDepth(obj as JSONValue) > MAX_OBJECT_DEPTH) {
      throw badRequest(`the object provided is unrecognized (must be of type ${kind.kind}): couldn't get version/kind; json parse error: exceeded max depth`);
    }
    this.checkTypeMeta(kind, obj);
    return { obj, warnings: this.fieldValidation(kind, obj, opts) };
  }

  private checkTypeMeta(kind: KindInfo, obj: Obj): void {
    const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
    const k = typeof obj.kind === 'string' ? obj.kind : '';
    if (apiVersion !== '' && apiVersion !== kind.groupVersion) {
      throw badRequest(`the API version in the data (${apiVersion}) does not match the expected API version (${kind.groupVersion})`);
    }
    if (k !== '' && k !== kind.kind) throw badRequest(`the kind in the data (${k}) does not match the expected kind (${kind.kind})`);
    obj.apiVersion = kind.groupVersion;
    obj.kind = kind.kind;
  }

  private fieldValidation(kind: KindInfo, obj: Obj, opts: WriteOptions): string[] {
    if (opts.fieldValidation === 'Ignore') return [];
    const unknown = unknownFields(kind, obj);
    if (unknown.length === 0) return [];
    if (opts.fieldValidation === 'Strict') throw badRequest(strictDecodingError(kind, obj, unknown));
    return unknownFieldWarnings(unknown);
  }

  /** The managedFields manager of a non-apply write. */
  private manager(opts: WriteOptions, req: http.IncomingMessage): string {
    return opts.fieldManager || managerFromUserAgent(req.headers['user-agent']);
  }

  create(r: ResourceRequest, req: http.IncomingMessage, body: Buffer, query: URLSearchParams): RestAnswer {
    if (r.name !== undefined || r.subresource !== undefined) throw verbNotAllowed();
    const opts = parseWriteOptions(query, 'create');
    const { obj, warnings } = this.decode(r.kind, body, opts);
    if (r.kind.group === 'authorization.k8s.io') return { status: 201, body: accessReview(r.kind, obj) };
    if (r.kind.storage === 'projected') throw readOnlyRefusal(r.kind.qualifiedResource, typeof metaOf(obj).name === 'string' ? String(metaOf(obj).name) : '');
    if (!r.kind.verbs.includes('create')) throw verbNotAllowed();
    const md = metaOf(obj);
    if (r.kind.namespaced) {
      if (md.namespace !== undefined && md.namespace !== '' && md.namespace !== r.namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      md.namespace = r.namespace;
    }
    return this.createObject(r.kind, obj, opts, warnings, this.manager(opts, req));
  }

  private createObject(kind: KindInfo, obj: Obj, opts: WriteOptions, warnings: string[], manager: string | undefined): RestAnswer {
    const md = metaOf(obj);
    if (kind.namespaced) this.ctx.namespaces.mustAccept(String(md.namespace ?? ''));
    if ((md.name === undefined || md.name === '') && typeof md.generateName === 'string' && md.generateName !== '') {
      md.name = md.generateName + randomSuffix(5);
    }
    // System fields a client may not set on create (k8s.io/apiserver pkg/registry/rest create.go FillObjectMetaSystemFields).
    for (const f of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'generation', 'selfLink']) delete md[f];
    const refusal = objectMetaRefusal(groupKind(kind), md, validateObjectMeta(md, metaRules(kind)));
    if (refusal) throw refusal;
    if (this.store.get(kind.storageKey, String(md.namespace ?? ''), String(md.name))) {
      throw new StatusError(409, 'AlreadyExists', `${kind.qualifiedResource} "${String(md.name)}" already exists`, { details: { name: String(md.name), group: kind.group, kind: kind.resource } });
    }
    // The apiserver records managedFields before mutating admission (handlers/create.go), so what Knative's
    // webhook defaults is nobody's; built-in defaults come from decoding, before it.
    const record = (o: Obj): Obj => manager === undefined ? o : recordUpdate(undefined, o, { manager, apiVersion: kind.groupVersion, now: this.ctx.now(), schema: mergeSchemaOf(kind), ignoredFields: resetFieldsFor(undefined, hasStatus(kind)) });
    const webhook = kind.webhook === true;
    const admitted = admitObject(kind, stored(kind, webhook ? record(obj) : obj), { op: 'create', old: undefined, user: this.ctx.user, admission: this.ctx.admission });
    const object = webhook ? (admitted.object as unknown as Obj) : record(admitted.object as unknown as Obj);
    const all = [...warnings, ...admitted.warnings];
    if (opts.dryRun) {
      const preview = structuredClone(object) as Obj;
      const pm = metaOf(preview);
      pm.uid ??= crypto.randomUUID();
      pm.creationTimestamp = rfc3339(this.ctx.now());
      if (kind.crd) pm.generation = 1;
      return { status: 201, body: served(kind, preview as unknown as StoredObject), warnings: all };
    }
    if (!kind.namespaced) metaOf(object).namespace = ''; // the store's scope for cluster-scoped objects
    const created = this.store.create(kind.storageKey, object as unknown as StoredObject, { recorded: true });
    return { status: 201, body: served(kind, created), warnings: all };
  }

  update(r: ResourceRequest, req: http.IncomingMessage, body: Buffer, query: URLSearchParams): RestAnswer {
    if (r.kind.storage === 'projected') throw this.projectedRefusal(r);
    if (!r.kind.verbs.includes('update')) throw verbNotAllowed();
    const opts = parseWriteOptions(query, 'update');
    const { obj, warnings } = this.decode(r.kind, body, opts);
    return this.updateObject(r, obj, opts, warnings, this.manager(opts, req));
  }

  private updateObject(r: ResourceRequest, input: Obj, opts: WriteOptions, warnings: string[], manager: string | undefined, alreadyRecorded = false): RestAnswer {
    const kind = r.kind;
    const name = r.name ?? '';
    const current = this.mustGet(kind, r.namespace, name);
    const md = metaOf(input);
    if (md.name !== undefined && md.name !== name) {
      throw badRequest(`the name of the object (${String(md.name)}) does not match the name on the URL (${name})`);
    }
    if (kind.namespaced && md.namespace !== undefined && md.namespace !== '' && md.namespace !== r.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    md.name = name;
    if (kind.namespaced) md.namespace = r.namespace;
    const rv = md.resourceVersion;
    if (typeof rv === 'string' && rv !== '' && rv !== current.metadata.resourceVersion) {
      throw new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${kind.qualifiedResource} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { details: { name, group: kind.group, kind: kind.resource } });
    }
    // An update without a resourceVersion is unconditional (the generic store allows it for these kinds).
    md.resourceVersion = current.metadata.resourceVersion;
    // Unset, null or empty is Go's zero value, which BeforeUpdate replaces (k8s.io/apiserver pkg/registry/rest update.go).
    for (const f of ['uid', 'creationTimestamp']) if (md[f] === undefined || md[f] === null || md[f] === '') md[f] = (current.metadata as Obj)[f];
    const errs = validateObjectMetaUpdate(md, current.metadata as unknown as Obj);
    const refusal = objectMetaRefusal(groupKind(kind), md, errs);
    if (refusal) throw refusal;
    const record = (o: Obj): Obj => manager === undefined || alreadyRecorded ? o : recordUpdate(current as unknown as Obj, o, {
      manager, apiVersion: kind.groupVersion, now: this.ctx.now(), schema: mergeSchemaOf(kind),
      ignoredFields: resetFieldsFor(r.subresource, hasStatus(kind)), ...(r.subresource ? { subresource: r.subresource } : {}),
    });
    let next: Obj;
    let admittedWarnings: string[] = [];
    if (r.subresource === 'status') {
      next = { ...structuredClone(current), status: input.status, metadata: { ...current.metadata, managedFields: metaOf(input).managedFields ?? (current.metadata as Obj).managedFields } } as unknown as Obj;
      if (input.status === undefined) delete next.status;
      next = record(next);
    } else {
      // As for create: managedFields first, then Knative's webhook (handlers/update.go).
      const webhook = kind.webhook === true;
      const admitted = admitObject(kind, stored(kind, webhook ? record(input) : input), { op: 'update', old: current, user: this.ctx.user, admission: this.ctx.admission });
      next = webhook ? (admitted.object as unknown as Obj) : record(admitted.object as unknown as Obj);
      admittedWarnings = admitted.warnings;
    }
    const all = [...warnings, ...admittedWarnings];
    if (opts.dryRun) return { status: 200, body: served(kind, next as unknown as StoredObject), warnings: all };
    const updated = this.store.update(kind.storageKey, next as unknown as StoredObject, { recorded: true, ...(r.subresource === 'status' ? { subresource: 'status' } : {}) });
    return { status: 200, body: served(kind, updated), warnings: all };
  }

  patch(r: ResourceRequest, req: http.IncomingMessage, body: Buffer, query: URLSearchParams): RestAnswer {
    if (r.kind.storage === 'projected') throw this.projectedRefusal(r);
    if (!r.kind.verbs.includes('patch')) throw verbNotAllowed();
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
    const opts = parseWriteOptions(query, 'patch', contentType);
    refuseDeepPatch(contentType, body);
    const live = this.store.get(r.kind.storageKey, r.namespace ?? '', r.name ?? '');
    const servedLive = live ? (served(r.kind, live) as unknown as Obj) : undefined;
    const result = patchObject({
      contentType,
      body,
      live: servedLive,
      target: {
        apiVersion: r.kind.groupVersion, kind: r.kind.kind, group: r.kind.group, resource: r.kind.resource, name: r.name ?? '',
        schema: mergeSchemaOf(r.kind), strategic: r.kind.crd === undefined, hasStatusSubresource: hasStatus(r.kind),
      },
      fieldManager: opts.fieldManager || undefined,
      force: opts.force,
      dryRun: opts.dryRun,
      userAgent: req.headers['user-agent'],
      subresource: r.subresource,
      now: this.ctx.now(),
    });
    const obj = result.object as Obj;
    if (jsonDepth(obj as JSONValue) > MAX_OBJECT_DEPTH) throw badRequest('error decoding patch: exceeded max depth');
    this.checkTypeMeta(r.kind, obj);
    const warnings = this.fieldValidation(r.kind, obj, opts);
    if (result.created) {
      const md = metaOf(obj);
      if (r.kind.namespaced) md.namespace = r.namespace;
      md.name = r.name;
      return this.createObject(r.kind, obj, opts, warnings, undefined);
    }
    return this.updateObject(r, obj, opts, warnings, 'patch', true);
  }

  /** The refusal of a write to a projected kind: its scale belongs to the autoscaler, the rest to the Knative objects. */
  private projectedRefusal(r: ResourceRequest): StatusError {
    const name = r.name ?? '';
    if (r.subresource === 'scale') return scaleRefusal(r.kind.qualifiedResource, this.mustGet(r.kind, r.namespace, name));
    return readOnlyRefusal(r.kind.qualifiedResource, name);
  }

  delete(r: ResourceRequest, body: Buffer, query: URLSearchParams): RestAnswer {
    if (r.subresource !== undefined) throw verbNotAllowed();
    const parsedBody = body.length > 0 ? decodeObjectBody(body, 'DeleteOptions') : undefined;
    const opts = parseDeleteOptions(query, parsedBody as Obj | undefined);
    const name = r.name ?? '';
    const current = this.mustGet(r.kind, r.namespace, name);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== current.metadata.uid) {
      throw new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${r.kind.qualifiedResource} "${name}": Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid ?? ''}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${r.kind.qualifiedResource} "${name}": Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion ?? ''}`);
    }
    if (r.kind.storage === 'projected') {
      if (r.kind.group !== '' || r.kind.kind !== 'Pod' || !this.ctx.pods) throw readOnlyRefusal(r.kind.qualifiedResource, name);
      if (opts.dryRun) return { status: 200, body: current };
      if (!this.ctx.pods.deletePod(r.namespace ?? '', name)) throw notFound(r.kind.storageKey, name);
      // The projector marks the pod Terminating at once; its instance stops and the revision replaces it.
      return { status: 200, body: this.store.get(r.kind.storageKey, r.namespace ?? '', name) ?? current };
    }
    const namespace = r.kind.group === '' && r.kind.kind === 'Namespace';
    if (opts.dryRun) return { status: 200, body: namespace ? served(r.kind, current) : deletedStatus(r.kind, current) };
    if (namespace) return { status: 200, body: this.ctx.namespaces.delete(name) };
    return { status: 200, body: deletedStatus(r.kind, this.store.delete(r.kind.storageKey, r.namespace ?? '', name, pre?.uid ? { uid: pre.uid } : undefined)) };
  }

  /** DELETE on a collection: every object the selectors match (k8s.io/apiserver registry store.go DeleteCollection). */
  deleteCollection(r: ResourceRequest, query: URLSearchParams): RestAnswer {
    if (!r.kind.verbs.includes('deletecollection')) throw verbNotAllowed();
    const opts = this.listOptions(r, query);
    const matches = this.matcher(r, opts);
    const deleted: StoredObject[] = [];
    const dry = parseDeleteOptions(query).dryRun;
    for (const obj of this.store.list(r.kind.storageKey, r.namespace === undefined ? {} : { namespace: r.namespace })) {
      if (!matches(obj)) continue;
      if (!dry) {
        try {
          deleted.push(this.store.delete(r.kind.storageKey, obj.metadata.namespace ?? '', obj.metadata.name ?? ''));
        } catch {
          // deleted meanwhile
        }
      } else {
        deleted.push(obj);
      }
    }
    return { status: 200, body: { apiVersion: r.kind.groupVersion, kind: r.kind.listKind, metadata: { resourceVersion: this.store.resourceVersion }, items: deleted.map((o) => served(r.kind, o)) } };
  }
}

/**
 * managedFields for the writes of knit's own controllers under `manager` (Knative's controllers write as
 * `controller`, their client-go user agent's program name).
 */
export function controllerFieldRecorder(manager: string, now: () => Date = () => new Date()): FieldRecorder {
  // The first kind of a store key is its stored form (core/v1 Event before events.k8s.io/v1).
  const byKey = new Map<string, KindInfo>();
  for (const k of registry.kinds) if (!byKey.has(k.storageKey)) byKey.set(k.storageKey, k);
  return (resource, old, next, subresource) => {
    const kind = byKey.get(resource);
    if (!kind || kind.group === 'authorization.k8s.io') return next;
    return recordUpdate(old as unknown as Obj | undefined, next as unknown as Obj, {
      manager, apiVersion: kind.groupVersion, now: now(), schema: mergeSchemaOf(kind),
      ignoredFields: resetFieldsFor(subresource, hasStatus(kind)), ...(subresource ? { subresource } : {}),
    }) as unknown as StoredObject;
  };
}

/**
 * The patch helpers recurse, so a JSON patch body nested deeper than any object knit stores (a JSON patch
 * wraps its values in two levels) is refused before they run, with the answer a too-deep patched object
 * gets; other syntax errors are left to the patch decoders and their messages.
 */
function refuseDeepPatch(contentType: string, body: Buffer): void {
  if (contentType === 'application/apply-patch+yaml') return;
  try {
    checkJSONSyntax(body, MAX_OBJECT_DEPTH + 2);
  } catch (err) {
    if (err instanceof GoJSONSyntaxError && err.message === 'exceeded max depth') throw badRequest('error decoding patch: exceeded max depth');
  }
}

/**
 * What a delete of a stored kind answers once the object is gone: a Status naming it, since neither custom
 * resources nor ConfigMaps, Secrets and Events set ReturnDeletedObject (k8s.io/apiserver
 * pkg/registry/generic/registry/store.go finalizeDelete, whose details carry the resource as `kind`).
 */
function deletedStatus(kind: KindInfo, obj: StoredObject): Obj {
  const details: Obj = { name: obj.metadata.name ?? '' };
  if (kind.group) details.group = kind.group;
  details.kind = kind.resource;
  if (obj.metadata.uid) details.uid = obj.metadata.uid;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

function hasStatus(kind: KindInfo): boolean {
  return kind.subresources.some((s) => s.name === 'status');
}

