// The object store: SQLite (node:sqlite) on disk, an in-memory index for reads, ordered watch events.

import { rfc3339 } from '../api/time.ts';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { ObjectMeta } from '../api/types.ts';
import { StatusError, alreadyExists, badRequest, conflict, gone, invalid, notFound } from '../api/status-error.ts';

/** Any stored object: Kubernetes-shaped JSON with metadata. */
export interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent<T extends StoredObject = StoredObject> {
  type: WatchEventType;
  resource: string;
  object: T;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: Record<string, string>;
  name?: string;
}

export interface UpdateOptions {
  /** 'status' updates only the status; otherwise status is kept from the stored object. */
  subresource?: 'status';
  /** The writer recorded managedFields itself (the API server does); otherwise `fieldRecorder` does. */
  recorded?: boolean;
  /**
   * The caller gives up `input` (it made it for this write and does not touch it again) and takes the stored
   * object itself as the result, not a copy (a hot writer such as the projector; as with peek, it must not
   * mutate what it gets).
   */
  handOver?: boolean;
}

/**
 * Records a write in the object's managedFields (kube/managed-fields.ts recordUpdate), for the writes of
 * knit's own controllers, as client-go writes are recorded by the apiserver.
 */
export type FieldRecorder = (resource: string, old: StoredObject | undefined, next: StoredObject, subresource: 'status' | undefined) => StoredObject;

type Listener = (ev: WatchEvent) => void;

const EVENT_HISTORY = 20_000;

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** Store keys of the core group start `core.` (kube/registry.ts storageKeyOf). */
function tracksGeneration(resource: string): boolean {
  return !resource.startsWith('core.');
}

function matchesLabels(obj: StoredObject, selector: Record<string, string> | undefined): boolean {
  if (!selector) return true;
  const labels = obj.metadata.labels ?? {};
  for (const [k, v] of Object.entries(selector)) {
    if (labels[k] !== v) return false;
  }
  return true;
}


/**
 * One SQLite file holds every object and a bounded history of watch events.
 * Writes are synchronous transactions (acknowledged = on disk); reads come from memory.
 */
export class Store {
  private readonly db: DatabaseSync;
  private readonly cache = new Map<string, Map<string, StoredObject>>();
  private readonly listeners = new Set<{ resource?: string; fn: Listener; readOnly?: boolean }>();
  private rv = 0;
  private writesSinceTrim = 0;
  private readonly insertEvent: StatementSync;
  private readonly upsertObject: StatementSync;
  private readonly deleteObject: StatementSync;
  private readonly now: () => Date;
  /** Set by `knit serve`: managedFields for writes that do not record their own. */
  fieldRecorder: FieldRecorder | undefined;

  constructor(path: string, now: () => Date = () => new Date()) {
    this.now = now;
    this.db = new DatabaseSync(path);
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      CREATE TABLE IF NOT EXISTS objects (
        resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
        rv INTEGER NOT NULL, body TEXT NOT NULL,
        PRIMARY KEY (resource, namespace, name));
      CREATE TABLE IF NOT EXISTS events (
        rv INTEGER PRIMARY KEY AUTOINCREMENT, resource TEXT NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL);
    `);
    this.insertEvent = this.db.prepare('INSERT INTO events (rv, resource, type, body) VALUES (?, ?, ?, ?)');
    this.upsertObject = this.db.prepare(
      'INSERT INTO objects (resource, namespace, name, rv, body) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT (resource, namespace, name) DO UPDATE SET rv = excluded.rv, body = excluded.body',
    );
    this.deleteObject = this.db.prepare('DELETE FROM objects WHERE resource = ? AND namespace = ? AND name = ?');
    for (const row of this.db.prepare('SELECT resource, body FROM objects').iterate()) {
      const obj = JSON.parse(row.body as string) as StoredObject;
      this.bucket(row.resource as string).set(key(obj.metadata.namespace ?? '', obj.metadata.name ?? ''), obj);
    }
    const seq = this.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").get();
    this.rv = seq ? Number(seq.seq) : 0;
  }

  close(): void {
    this.listeners.clear();
    if (this.db.isOpen) this.db.close();
  }

  /**
   * The oldest resourceVersion a watch can resume from (one before the oldest kept event), or the newest one
   * when no event is kept.
   */
  oldestResourceVersion(): number {
    const oldest = this.db.prepare('SELECT MIN(rv) AS rv FROM events').get();
    return oldest?.rv == null ? this.rv : Number(oldest.rv) - 1;
  }

  /** The newest resourceVersion as a string (list metadata). */
  get resourceVersion(): string {
    return String(this.rv);
  }

  private bucket(resource: string): Map<string, StoredObject> {
    let b = this.cache.get(resource);
    if (!b) {
      b = new Map();
      this.cache.set(resource, b);
    }
    return b;
  }

  get<T extends StoredObject>(resource: string, namespace: string, name: string): T | undefined {
    const obj = this.cache.get(resource)?.get(key(namespace, name));
    return obj ? (structuredClone(obj) as T) : undefined;
  }

  /** Like get, without the copy (hot read-only paths such as event delivery); the caller must not mutate or keep it. */
  peek<T extends StoredObject>(resource: string, namespace: string, name: string): Readonly<T> | undefined {
    return this.cache.get(resource)?.get(key(namespace, name)) as T | undefined;
  }

  /** Like get, but throws a NotFound StatusError. */
  mustGet<T extends StoredObject>(resource: string, namespace: string, name: string): T {
    const obj = this.get<T>(resource, namespace, name);
    if (!obj) throw notFound(resource, name);
    return obj;
  }

  list<T extends StoredObject>(resource: string, opts: ListOptions = {}): T[] {
    const out: T[] = [];
    const b = this.cache.get(resource);
    if (!b) return out;
    for (const obj of b.values()) {
      if (opts.namespace !== undefined && obj.metadata.namespace !== opts.namespace) continue;
      if (opts.name !== undefined && obj.metadata.name !== opts.name) continue;
      if (!matchesLabels(obj, opts.labelSelector)) continue;
      out.push(structuredClone(obj) as T);
    }
    out.sort((a, b) => {
      const ka = key(a.metadata.namespace ?? '', a.metadata.name ?? '');
      const kb = key(b.metadata.namespace ?? '', b.metadata.name ?? '');
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
    return out;
  }

  /**
   * Visits stored objects without copying them (for hot read-only scans by controllers);
   * `fn` must not mutate or keep what it is given.
   */
  scan<T extends StoredObject>(resource: string, namespace: string | undefined, fn: (obj: Readonly<T>) => void): void {
    const b = this.cache.get(resource);
    if (!b) return;
    for (const obj of b.values()) {
      if (namespace !== undefined && obj.metadata.namespace !== namespace) continue;
      fn(obj as T);
    }
  }

  /** Objects that name `uid` as an owner, not copied (as scan: the caller must not mutate them). */
  ownedBy(uid: string): { resource: string; object: Readonly<StoredObject> }[] {
    const out: { resource: string; object: Readonly<StoredObject> }[] = [];
    for (const [resource, b] of this.cache) {
      for (const obj of b.values()) {
        if (obj.metadata.ownerReferences?.some((o) => o.uid === uid)) out.push({ resource, object: obj });
      }
    }
    return out;
  }

  private commit(resource: string, type: WatchEventType, obj: StoredObject): void {
    const ns = obj.metadata.namespace ?? '';
    const name = obj.metadata.name ?? '';
    this.db.exec('BEGIN IMMEDIATE');
    try {
      // One writer process: the next event id is the new resourceVersion.
      const rv = this.rv + 1;
      obj.metadata.resourceVersion = String(rv);
      const body = JSON.stringify(obj);
      this.insertEvent.run(rv, resource, type, body);
      if (type === 'DELETED') this.deleteObject.run(resource, ns, name);
      else this.upsertObject.run(resource, ns, name, rv, body);
      this.db.exec('COMMIT');
      this.rv = rv;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
    if (type === 'DELETED') this.bucket(resource).delete(key(ns, name));
    else this.bucket(resource).set(key(ns, name), obj);
    if (++this.writesSinceTrim >= 1000) this.trimEvents();
    this.emit({ type, resource, object: obj });
  }

  private trimEvents(): void {
    this.writesSinceTrim = 0;
    this.db.prepare('DELETE FROM events WHERE rv <= ?').run(this.rv - EVENT_HISTORY);
  }

  private emit(ev: WatchEvent): void {
    for (const l of [...this.listeners]) {
      if (l.resource !== undefined && l.resource !== ev.resource) continue;
      try {
        l.fn({ type: ev.type, resource: ev.resource, object: l.readOnly ? ev.object : structuredClone(ev.object) });
      } catch (err) {
        console.error('knit: watch listener failed:', err);
      }
    }
  }

  /** Creates an object: assigns uid, resourceVersion, generation 1 and creationTimestamp. */
  create<T extends StoredObject>(resource: string, input: T, opts: Pick<UpdateOptions, 'recorded' | 'handOver'> = {}): T {
    let obj = opts.handOver ? input : structuredClone(input);
    const md = obj.metadata;
    // '' is the scope of cluster-scoped objects (Namespaces): kept under '', written without a namespace.
    const ns = md.namespace ?? 'default';
    if (ns === '') delete md.namespace;
    else md.namespace = ns;
    if (!md.name && md.generateName) {
      for (let i = 0; i < 10 && !md.name; i++) {
        const candidate = md.generateName + randomSuffix(5);
        if (!this.cache.get(resource)?.has(key(ns, candidate))) md.name = candidate;
      }
    }
    if (!md.name) throw invalid('name or generateName is required');
    if (this.cache.get(resource)?.has(key(ns, md.name))) throw alreadyExists(resource, md.name);
    md.uid = randomUUID();
    // Custom resources and apps/v1 kinds track spec generations; the core group's Namespaces, Secrets,
    // ConfigMaps, Events, Pods and Services carry none (their registry strategies never set it).
    if (tracksGeneration(resource)) md.generation = 1;
    else delete md.generation;
    md.creationTimestamp = rfc3339(this.now());
    delete md.deletionTimestamp;
    if (!opts.recorded) obj = this.record(resource, undefined, obj, undefined);
    this.commit(resource, 'ADDED', obj);
    return opts.handOver ? obj : structuredClone(obj);
  }

  /**
   * Replaces an object. A non-empty metadata.resourceVersion must match (else Conflict).
   * Spec changes bump generation; the status subresource only replaces status.
   */
  update<T extends StoredObject>(resource: string, input: T, opts: UpdateOptions = {}): T {
    const name = input.metadata.name ?? '';
    const ns = input.metadata.namespace ?? (this.cache.get(resource)?.has(key('', name)) ? '' : 'default');
    const current = this.cache.get(resource)?.get(key(ns, name));
    if (!current) throw notFound(resource, name);
    const rv = input.metadata.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion) {
      // k8s.io/apiserver pkg/registry/generic/registry/store.go Update: a stale resourceVersion is a Conflict with OptimisticLockErrorMsg.
      throw conflict(resource, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    let next: StoredObject;
    if (opts.subresource === 'status') {
      next = structuredClone(current);
      if (input.status === undefined) delete next.status;
      else next.status = opts.handOver ? input.status : structuredClone(input.status);
    } else {
      next = opts.handOver ? input : (structuredClone(input) as StoredObject);
      if (current.status === undefined) delete next.status;
      else next.status = structuredClone(current.status);
      // System-owned metadata cannot be changed by an update.
      next.metadata.uid = current.metadata.uid;
      next.metadata.creationTimestamp = current.metadata.creationTimestamp;
      if (ns !== '') next.metadata.namespace = ns;
      if (current.metadata.generation === undefined) delete next.metadata.generation;
      else next.metadata.generation = current.metadata.generation;
      if (current.metadata.deletionTimestamp) next.metadata.deletionTimestamp = current.metadata.deletionTimestamp;
      if (tracksGeneration(resource) && !isDeepStrictEqual(current.spec, next.spec)) next.metadata.generation = (current.metadata.generation ?? 0) + 1;
    }
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    if (isDeepStrictEqual(next, current)) return (opts.handOver ? current : structuredClone(current)) as T;
    if (!opts.recorded) next = this.record(resource, current, next, opts.subresource);
    this.commit(resource, 'MODIFIED', next);
    return (opts.handOver ? next : structuredClone(next)) as T;
  }

  private record<T extends StoredObject>(resource: string, old: StoredObject | undefined, next: T, subresource: 'status' | undefined): T {
    if (!this.fieldRecorder) return next;
    try {
      return this.fieldRecorder(resource, old, next, subresource) as T;
    } catch (err) {
      // Bookkeeping must never fail a controller's write.
      console.error(`knit: managedFields of ${resource} "${next.metadata.name ?? ''}" not recorded:`, err);
      return next;
    }
  }

  /** Deletes an object (dependents are removed by the garbage collector). */
  delete<T extends StoredObject>(resource: string, namespace: string, name: string, precondition?: { uid?: string }): T {
    const current = this.cache.get(resource)?.get(key(namespace, name));
    if (!current) throw notFound(resource, name);
    if (precondition?.uid && precondition.uid !== current.metadata.uid) {
      throw new StatusError(409, 'Conflict', `Precondition failed: UID in precondition: ${precondition.uid}, UID in object meta: ${current.metadata.uid}`);
    }
    const obj = structuredClone(current);
    this.commit(resource, 'DELETED', obj);
    return structuredClone(obj) as T;
  }

  /**
   * Subscribes to events of one resource (or all). With `fromResourceVersion`, first replays
   * the stored events after it, so a client can resume where it stopped.
   */
  watch(resource: string | undefined, fn: Listener, fromResourceVersion?: string): () => void {
    return this.subscribe(resource, fn, fromResourceVersion, false);
  }

  /**
   * Like watch, but `fn` is given the stored object itself, not a copy (controllers that only read an
   * event's object to enqueue keys: one copy per listener per write is most of a write's cost while
   * many instances start). `fn` must not mutate or keep it, as with peek and scan.
   */
  watchReadOnly(resource: string | undefined, fn: (ev: Readonly<WatchEvent<Readonly<StoredObject>>>) => void): () => void {
    return this.subscribe(resource, fn as Listener, undefined, true);
  }

  private subscribe(resource: string | undefined, fn: Listener, fromResourceVersion: string | undefined, readOnly: boolean): () => void {
    if (fromResourceVersion !== undefined && fromResourceVersion !== '' && fromResourceVersion !== '0') {
      const from = Number(fromResourceVersion);
      if (!Number.isInteger(from) || from < 0) throw badRequest(`invalid resourceVersion "${fromResourceVersion}"`);
      const oldest = this.db.prepare('SELECT MIN(rv) AS rv FROM events').get();
      const oldestRv = oldest?.rv == null ? this.rv + 1 : Number(oldest.rv);
      if (from < oldestRv - 1 && from < this.rv) {
        throw gone(`too old resource version: ${from} (${oldestRv - 1})`);
      }
      const rows = resource
        ? this.db.prepare('SELECT resource, type, body FROM events WHERE rv > ? AND resource = ? ORDER BY rv').all(from, resource)
        : this.db.prepare('SELECT resource, type, body FROM events WHERE rv > ? ORDER BY rv').all(from);
      for (const row of rows) {
        fn({ type: row.type as WatchEventType, resource: row.resource as string, object: JSON.parse(row.body as string) });
      }
    }
    const entry = { resource, fn, readOnly };
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }
}

const ALPHANUM = 'bcdfghjklmnpqrstvwxz2456789';

/** Kubernetes-style random suffix for generateName. */
export function randomSuffix(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHANUM[Math.floor(Math.random() * ALPHANUM.length)];
  return s;
}
