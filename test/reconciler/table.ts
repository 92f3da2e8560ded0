// Table-test runner for the reconcilers, after knative.dev/pkg reconciler/testing TableTest: each
// row seeds a real in-memory store, reconciles one key with a fixed clock, and checks every write.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { rfc3339 } from '../../src/api/time.ts';
import type { Condition, ConditionStatus, ObjectMeta, Status } from '../../src/api/types.ts';
import type { HostRule, MappedTLS } from '../../src/dataplane/routing.ts';
import { Store, type StoredObject, type WatchEvent } from '../../src/store/store.ts';
import type { ControllerContext, ControllerSettings, Instances, Routing, Scaler } from '../../src/controllers/context.ts';
import { MemoryEventRecorder } from '../../src/controllers/events.ts';

/** The reconcile time of every row: new conditions get this lastTransitionTime. */
export const NOW = new Date('2026-03-04T05:06:07Z');
export const NOW_S = rfc3339(NOW);
/** A time before NOW, for seeded conditions. */
export const EARLIER = '2026-03-01T00:00:00Z';

/** A seeded or expected object. */
export interface Obj {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: Status & Record<string, unknown>;
}

/** Deep-partial: every key given must match; `undefined` means absent. */
export type DeepPartial<T> = T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

export interface Row {
  name: string;
  /** Seeded in order; `metadata.uid` values are replaced by the store's and mapped back. */
  objects?: Obj[];
  /** `namespace/name` of the object to reconcile. */
  key: string;
  /** Objects the reconcile must create, in order (deep-partial). */
  wantCreates?: DeepPartial<Obj>[];
  /** Spec/metadata updates the reconcile must make, in order (deep-partial). */
  wantUpdates?: DeepPartial<Obj>[];
  /** Objects the reconcile must delete, as `kind/name`. */
  wantDeletes?: string[];
  /** The status the reconcile must (last) write on the key's object; absent: no status write. */
  wantStatus?: Status & Record<string, unknown>;
  /** How many status writes the reconcile makes (default 1 when wantStatus is given). */
  wantStatusWrites?: number;
  /** Events, as `Type Reason message`. */
  wantEvents?: string[];
  /** What the reconcile returns (milliseconds until the next look). */
  wantResult?: number;
  settings?: Partial<ControllerSettings>;
}

export const DEFAULT_SETTINGS: ControllerSettings = {
  domain: 'example.com',
  domainTemplate: '{{.Name}}.{{.Namespace}}.{{.Domain}}',
  tagTemplate: '{{.Tag}}-{{.Name}}',
  clusterDomain: 'cluster.local',
  progressDeadlineSeconds: 600,
  initialScale: 1,
  rolloutDurationSeconds: 0,
  tagHeaderBasedRouting: false,
};

const RESOURCE: Record<string, string> = {
  Service: 'services',
  Configuration: 'configurations',
  Revision: 'revisions',
  Route: 'routes',
  Ingress: 'ingresses',
  DomainMapping: 'domainmappings',
  ClusterDomainClaim: 'networking.internal.knative.dev.clusterdomainclaims',
  Channel: 'messaging.knative.dev.channels',
  InMemoryChannel: 'messaging.knative.dev.inmemorychannels',
  Subscription: 'messaging.knative.dev.subscriptions',
  Sequence: 'flows.knative.dev.sequences',
  Parallel: 'flows.knative.dev.parallels',
};

export function resourceOf(kind: string): string {
  const r = RESOURCE[kind];
  if (!r) throw new Error(`no resource for kind ${kind}`);
  return r;
}

/** A condition as the condition manager writes it (severity Info for non-dependents). */
export function cond(type: string, status: ConditionStatus, reason?: string, message?: string, opts: { at?: string; info?: boolean } = {}): Condition {
  const c: Condition = { type, status };
  if (opts.info) c.severity = 'Info';
  if (reason) c.reason = reason;
  if (message) c.message = message;
  c.lastTransitionTime = opts.at ?? NOW_S;
  return c;
}

/** Replaces every string equal to a key of `map` (uids) anywhere in `v`. */
function mapStrings<T>(v: T, map: Map<string, string>): T {
  if (typeof v === 'string') {
    const whole = map.get(v);
    if (whole !== undefined) return whole as T;
    // A uid inside a longer string (a certificate name `route-<uid>` in a condition message).
    let out: string = v;
    for (const [from, to] of map) if (out.includes(from)) out = out.split(from).join(to);
    return out as T;
  }
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, map)) as T;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = mapStrings(x, map);
    return out as T;
  }
  return v;
}

/**
 * Seeds `objects` through the store's public API: generation N is reached by N-1 spec changes,
 * status by a status update. Returns row uid → store uid.
 */
function seed(store: Store, objects: Obj[]): Map<string, string> {
  const uids = new Map<string, string>();
  for (const o of objects) {
    const obj = mapStrings(structuredClone(o), uids) as StoredObject & Obj;
    const resource = resourceOf(obj.kind);
    const generation = obj.metadata.generation ?? 1;
    const rowUid = obj.metadata.uid;
    const { status } = obj;
    delete obj.status;
    const spec = obj.spec;
    if (generation > 1) obj.spec = { seeding: 1 };
    let stored = store.create(resource, obj);
    for (let g = 2; g <= generation; g++) {
      stored.spec = g === generation ? spec : { seeding: g };
      stored = store.update(resource, stored);
    }
    if (status) {
      stored.status = mapStrings(structuredClone(status), uids);
      store.update(resource, stored, { subresource: 'status' });
    }
    if (rowUid) uids.set(rowUid, stored.metadata.uid ?? '');
  }
  return uids;
}

/** Asserts that `actual` has every key `expected` gives (arrays: same length, element-wise). */
export function assertPartial(actual: unknown, expected: unknown, path = '$'): void {
  if (expected === undefined) {
    assert.equal(actual, undefined, `${path}: want absent, got ${JSON.stringify(actual)}`);
  } else if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: want an array, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `${path}: want ${expected.length} items, got ${JSON.stringify(actual)}`);
    expected.forEach((e, i) => assertPartial(actual[i], e, `${path}[${i}]`));
  } else if (expected && typeof expected === 'object') {
    assert.ok(actual && typeof actual === 'object', `${path}: want an object, got ${JSON.stringify(actual)}`);
    for (const [k, e] of Object.entries(expected)) assertPartial((actual as Record<string, unknown>)[k], e, `${path}.${k}`);
  } else {
    assert.equal(actual, expected, `${path}`);
  }
}

/** A port a reconciler must not use: any call fails the row. */
function unused<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get: (_t, p) => {
      if (p === 'onChange' || p === 'onActivate') return () => {};
      return () => {
        throw new Error(`${what}.${String(p)} called by a reconciler that should not use it`);
      };
    },
  });
}

/** The routing port, keeping what each route programmed (the gateway's table is tested on its own). */
export class RecordingRouting implements Routing {
  readonly routes = new Map<string, HostRule[]>();
  readonly deleted: string[] = [];
  setRoute(route: string, rules: HostRule[]): void {
    this.routes.set(route, structuredClone(rules));
  }
  deleteRoute(route: string): void {
    this.routes.delete(route);
    this.deleted.push(route);
  }
  /** DomainMapping key → [host, target host]. */
  readonly mappings = new Map<string, [string, string]>();
  /** DomainMapping key → the TLS Secret its host presents. */
  readonly mappedTLS = new Map<string, MappedTLS>();
  setDomainMapping(owner: string, host: string, targetHost: string, tls?: MappedTLS): void {
    this.mappings.set(owner, [host, targetHost]);
    if (tls) this.mappedTLS.set(owner, tls);
    else this.mappedTLS.delete(owner);
  }
  deleteDomainMapping(owner: string): void {
    this.mappings.delete(owner);
    this.mappedTLS.delete(owner);
    this.deleted.push(owner);
  }
}

/** What a row's reconcile is run with. */
export interface TableEnv {
  ctx: ControllerContext;
  store: Store;
  table: RecordingRouting;
  events: MemoryEventRecorder;
  /** Row uid → store uid. */
  uids: Map<string, string>;
}

interface Write {
  resource: string;
  object: StoredObject;
}

function stripped(o: StoredObject): unknown {
  const c = structuredClone(o) as StoredObject & { status?: unknown };
  delete c.status;
  delete c.metadata.resourceVersion;
  return c;
}

export interface TableOptions<R extends Row> {
  /** Ports for the row (instances, autoscaler); the defaults fail when used. */
  ports?: (row: R) => { instances?: Instances; autoscaler?: Scaler };
  /** Row-specific checks after the standard ones. */
  check?: (env: TableEnv, row: R) => void;
}

/** Runs one test per row: seed, reconcile `row.key` with `reconcile`, check every write and event. */
export function runTable<R extends Row>(
  suite: string,
  rows: R[],
  reconcile: (env: TableEnv, row: R) => Promise<number | undefined> | number | undefined,
  opts: TableOptions<R> = {},
): void {
  const names = new Set<string>();
  for (const row of rows) {
    assert.ok(!names.has(row.name), `duplicate row name ${row.name}`);
    names.add(row.name);
    test(`${suite}: ${row.name}`, async () => {
      const store = new Store(':memory:', () => NOW);
      const table = new RecordingRouting();
      const events = new MemoryEventRecorder(100, () => NOW);
      let unwatch = (): void => {};
      try {
        const uids = seed(store, row.objects ?? []);
        const back = new Map([...uids].map(([k, v]) => [v, k]));
        const last = new Map<string, StoredObject>();
        for (const r of Object.values(RESOURCE)) for (const o of store.list(r)) last.set(`${r}/${o.metadata.namespace}/${o.metadata.name}`, o);
        const creates: Write[] = [];
        const updates: Write[] = [];
        const statusUpdates: Write[] = [];
        const deletes: Write[] = [];
        unwatch = store.watch(undefined, (ev: WatchEvent) => {
          const id = `${ev.resource}/${ev.object.metadata.namespace}/${ev.object.metadata.name}`;
          const w = { resource: ev.resource, object: mapStrings(ev.object, back) };
          if (ev.type === 'ADDED') creates.push(w);
          else if (ev.type === 'DELETED') deletes.push(w);
          else {
            const prev = last.get(id);
            if (prev && isDeepStrictEqual(stripped(prev), stripped(ev.object))) statusUpdates.push(w);
            else updates.push(w);
          }
          last.set(id, ev.object);
        });
        const ports = opts.ports?.(row) ?? {};
        const ctx: ControllerContext = {
          store,
          now: () => NOW,
          table,
          instances: ports.instances ?? unused<Instances>('instances'),
          autoscaler: ports.autoscaler ?? unused<Scaler>('autoscaler'),
          settings: { ...DEFAULT_SETTINGS, ...row.settings },
          events,
        };
        const env: TableEnv = { ctx, store, table, events, uids };
        const result = await reconcile(env, row);

        const label = (w: Write): string => `${w.object.kind ?? w.resource}/${w.object.metadata.name}`;
        assert.deepEqual(creates.map(label), (row.wantCreates ?? []).map((c) => `${c.kind}/${c.metadata?.name}`), 'creates');
        creates.forEach((w, i) => assertPartial(w.object, row.wantCreates![i], `create ${label(w)}`));
        assert.deepEqual(updates.map(label), (row.wantUpdates ?? []).map((c) => `${c.kind}/${c.metadata?.name}`), 'updates');
        updates.forEach((w, i) => assertPartial(w.object, row.wantUpdates![i], `update ${label(w)}`));
        assert.deepEqual(deletes.map(label), row.wantDeletes ?? [], 'deletes');
        const [ns, name] = [row.key.slice(0, row.key.indexOf('/')), row.key.slice(row.key.indexOf('/') + 1)];
        const ours = statusUpdates.filter((w) => w.object.metadata.namespace === ns && w.object.metadata.name === name);
        assert.deepEqual(
          statusUpdates.filter((w) => !ours.includes(w)).map(label),
          [],
          'status updates of other objects',
        );
        if (row.wantStatus === undefined) {
          assert.deepEqual(ours.map((w) => w.object.status), [], 'want no status update');
        } else {
          assert.equal(ours.length, row.wantStatusWrites ?? 1, `status updates: ${JSON.stringify(ours.map((w) => w.object.status))}`);
          assert.deepEqual(ours.at(-1)?.object.status, row.wantStatus, 'status');
        }
        assert.deepEqual(
          events.list().flatMap((e) => Array<string>(e.count).fill(`${e.type} ${e.reason} ${e.message}`)),
          row.wantEvents ?? [],
          'events',
        );
        assert.equal(result, row.wantResult, 'result');
        opts.check?.(env, row);
      } finally {
        unwatch();
        store.close();
      }
    });
  }
}
