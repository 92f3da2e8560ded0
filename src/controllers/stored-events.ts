// core/v1 Events written to the store as client-go's recorder and EventCorrelator write them: named, counted, aggregated, rate-limited, bounded per namespace and expired after an hour.

import { randomUUID } from 'node:crypto';
import { rfc3339 } from '../api/time.ts';
import { API_VERSION } from '../api/types.ts';
import type { Store, StoredObject } from '../store/store.ts';
import { controllerComponent, type EventOptions, type EventRecorder, type EventSource, type EventType, type InvolvedObject } from './events.ts';

/** The store's resource key for Events (both core/v1 and events.k8s.io/v1 read it; see src/kube/registry.ts storageKeyOf). */
export const EVENTS_RESOURCE = 'core.events';

/** core/v1 ObjectReference as an event's involvedObject (k8s.io/client-go tools/reference GetReference). */
export interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

/** A core/v1 Event as the apiserver returns it. */
export interface CoreEvent extends StoredObject {
  involvedObject: ObjectReference;
  reason: string;
  message: string;
  source: { component?: string; host?: string };
  firstTimestamp: string | null;
  lastTimestamp: string | null;
  count: number;
  type: string;
  eventTime: string | null;
  reportingComponent: string;
  reportingInstance: string;
}

/** What bounds the stored events. */
export interface StoredEventsOptions {
  now?: () => Date;
  /** Events kept per namespace; the least recently written go first (default 1000). */
  maxPerNamespace?: number;
  /**
   * How long an event lives after its last write: kube-apiserver's --event-ttl default, 1 h (every
   * create and update renews the lease, kubernetes pkg/registry/core/event/storage/storage.go NewREST TTLFunc).
   */
  ttlMs?: number;
  /** How often expired events are deleted (default every minute). */
  sweepIntervalMs?: number;
  /** Where a dropped write is reported (default: stderr). */
  log?: (message: string) => void;
}

/** kube-apiserver's --event-ttl default (cmd/kube-apiserver/app/options/options.go NewServerRunOptions EventTTL). */
export const DEFAULT_EVENT_TTL_MS = 60 * 60 * 1000;
export const DEFAULT_MAX_EVENTS_PER_NAMESPACE = 1000;

// client-go tools/record/events_cache.go: the correlator's defaults.
const LRU_ENTRIES = 4096;
const AGGREGATE_MAX_EVENTS = 10;
const AGGREGATE_INTERVAL_MS = 600 * 1000;
const SPAM_BURST = 25;
const SPAM_QPS = 1 / 300;

/** A least-recently-used map (github.com/golang/groupcache/lru, as client-go's caches use it). */
class Lru<V> {
  private readonly max: number;
  private readonly map = new Map<string, V>();
  constructor(max: number) {
    this.max = max;
  }
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, v: V): void {
    this.map.delete(key);
    this.map.set(key, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
}

/** A token bucket that starts full and refills at `qps` (client-go util/flowcontrol NewTokenBucketPassiveRateLimiterWithClock). */
class TokenBucket {
  private readonly qps: number;
  private readonly burst: number;
  private tokens: number;
  private lastMs: number;
  constructor(qps: number, burst: number, nowMs: number) {
    this.qps = qps;
    this.burst = burst;
    this.tokens = burst;
    this.lastMs = nowMs;
  }
  tryAccept(nowMs: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, nowMs - this.lastMs) / 1000) * this.qps);
    this.lastMs = nowMs;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

const join = (parts: (string | undefined)[]): string => parts.map((p) => p ?? '').join('\u0000');

/** client-go events_cache.go getEventKey: source, involvedObject (with fieldPath), type, reason, message. */
function eventKey(e: CoreEvent): string {
  const o = e.involvedObject;
  return join([e.source.component, e.source.host, o.kind, o.namespace, o.name, o.fieldPath, o.uid, o.apiVersion, e.type, e.reason, e.message]);
}

/** client-go events_cache.go getSpamKey: source and involvedObject. */
function spamKey(e: CoreEvent): string {
  const o = e.involvedObject;
  return join([e.source.component, e.source.host, o.kind, o.namespace, o.name, o.uid, o.apiVersion]);
}

/** client-go events_cache.go EventAggregatorByReasonFunc: everything but the message, which is the local key. */
function aggregateKey(e: CoreEvent): string {
  const o = e.involvedObject;
  return join([e.source.component, e.source.host, o.kind, o.namespace, o.name, o.uid, o.apiVersion, e.type, e.reason, e.reportingComponent, e.reportingInstance]);
}

interface EventLog {
  count: number;
  firstTimestamp: string | null;
  name: string;
  resourceVersion: string | undefined;
}

/** What the correlator decided for one event. */
export interface Correlated {
  event: CoreEvent;
  /** The logger's cache key, for `observed` after the write. */
  key: string;
}

/**
 * client-go tools/record/events_cache.go EventCorrelator: aggregation of events that differ only
 * by message (10 distinct messages within 10 minutes become one "(combined from similar events)"
 * event), counting of repeats onto the first event's name, then the per source+object spam filter
 * (a burst of 25, refilled by one every 5 minutes). `correlate` returns undefined for a filtered event.
 */
export class EventCorrelator {
  private readonly aggregates = new Lru<{ messages: Set<string>; lastMs: number }>(LRU_ENTRIES);
  private readonly logs = new Lru<EventLog>(LRU_ENTRIES);
  private readonly spam = new Lru<TokenBucket>(LRU_ENTRIES);
  private readonly name: (objectName: string, at: Date) => string;

  /** `name` makes a new event's name (makeEvent's `<object>.<unix nanos in hex>`). */
  constructor(name: (objectName: string, at: Date) => string) {
    this.name = name;
  }

  correlate(incoming: CoreEvent, at: Date): Correlated | undefined {
    const nowMs = at.getTime();
    // EventAggregator.EventAggregate
    let ev = incoming;
    let key = eventKey(incoming);
    const akey = aggregateKey(incoming);
    let rec = this.aggregates.get(akey);
    if (!rec || nowMs - rec.lastMs > AGGREGATE_INTERVAL_MS) rec = { messages: new Set(), lastMs: nowMs };
    rec.messages.add(incoming.message);
    rec.lastMs = nowMs;
    this.aggregates.set(akey, rec);
    if (rec.messages.size >= AGGREGATE_MAX_EVENTS) {
      rec.messages.delete(rec.messages.values().next().value as string);
      const t = rfc3339(at);
      ev = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: this.name(incoming.involvedObject.name ?? '', at), namespace: incoming.metadata.namespace },
        involvedObject: incoming.involvedObject,
        reason: incoming.reason,
        message: `(combined from similar events): ${incoming.message}`,
        source: incoming.source,
        firstTimestamp: t,
        lastTimestamp: t,
        count: 1,
        type: incoming.type,
        eventTime: null,
        reportingComponent: '',
        reportingInstance: '',
      };
      key = akey;
    }
    // eventLogger.eventObserve: a repeat takes the first occurrence's name and firstTimestamp, count + 1.
    const observed = structuredClone(ev);
    const last = this.logs.get(key);
    if (last && last.count > 0) {
      observed.metadata.name = last.name;
      if (last.resourceVersion !== undefined) observed.metadata.resourceVersion = last.resourceVersion;
      observed.firstTimestamp = last.firstTimestamp;
      observed.count = last.count + 1;
    }
    this.logs.set(key, { count: observed.count, firstTimestamp: observed.firstTimestamp, name: observed.metadata.name ?? '', resourceVersion: observed.metadata.resourceVersion });
    // EventSourceObjectSpamFilter.Filter, applied after the observation as EventCorrelate does.
    const skey = spamKey(observed);
    let bucket = this.spam.get(skey);
    if (!bucket) bucket = new TokenBucket(SPAM_QPS, SPAM_BURST, nowMs);
    const accepted = bucket.tryAccept(nowMs);
    this.spam.set(skey, bucket);
    return accepted ? { event: observed, key } : undefined;
  }

  /** EventCorrelator.UpdateState: remembers the stored event's name and resourceVersion. */
  observed(key: string, stored: CoreEvent): void {
    this.logs.set(key, { count: stored.count, firstTimestamp: stored.firstTimestamp, name: stored.metadata.name ?? '', resourceVersion: stored.metadata.resourceVersion });
  }
}

/** k8s.io/apimachinery pkg/api/validation NameIsDNSSubdomain. */
function isDnsSubdomain(s: string): boolean {
  return s.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(s);
}

/** The involvedObject of an event about `object` (client-go tools/reference GetReference; empty fields are omitted). */
export function referenceOf(object: InvolvedObject, fieldPath?: string): ObjectReference {
  const md = object.metadata;
  const ref: ObjectReference = { kind: object.kind };
  if (md.namespace) ref.namespace = md.namespace;
  if (md.name) ref.name = md.name;
  if (md.uid) ref.uid = md.uid;
  ref.apiVersion = object.apiVersion ?? API_VERSION;
  if (md.resourceVersion) ref.resourceVersion = md.resourceVersion;
  if (fieldPath) ref.fieldPath = fieldPath;
  return ref;
}

/** The latest time an event says it was written (for events found in the store at start). */
function latestTimestamp(e: Partial<CoreEvent> & { series?: { lastObservedTime?: string }; deprecatedLastTimestamp?: string }): number | undefined {
  let best: number | undefined;
  for (const t of [e.metadata?.creationTimestamp, e.lastTimestamp, e.eventTime, e.series?.lastObservedTime, e.deprecatedLastTimestamp]) {
    const ms = typeof t === 'string' ? Date.parse(t) : NaN;
    if (!Number.isNaN(ms) && (best === undefined || ms > best)) best = ms;
  }
  return best;
}

/**
 * The EventRecorder of a running knit: each event goes through an EventCorrelator and is created
 * (or, for a repeat, updated in place with the new count, lastTimestamp and message) under
 * `core.events`, as client-go's recordToSink does. Writes never throw: a failed one is logged and
 * dropped. Every event (also those clients create) expires `ttlMs` after its last write, and a
 * namespace keeps at most `maxPerNamespace`; `start()` runs the sweep that enforces both.
 */
export class StoredEventRecorder implements EventRecorder {
  private readonly store: Store;
  private readonly now: () => Date;
  private readonly maxPerNamespace: number;
  private readonly ttlMs: number;
  private readonly sweepIntervalMs: number;
  private readonly log: (message: string) => void;
  private readonly correlator: EventCorrelator;
  /** namespace → event name → when it was last written (ms), for every stored event. */
  private readonly writtenAt = new Map<string, Map<string, number>>();
  private readonly unwatch: () => void;
  private lastNanos = 0n;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(store: Store, opts: StoredEventsOptions = {}) {
    this.store = store;
    this.now = opts.now ?? (() => new Date());
    this.maxPerNamespace = opts.maxPerNamespace ?? DEFAULT_MAX_EVENTS_PER_NAMESPACE;
    this.ttlMs = opts.ttlMs ?? DEFAULT_EVENT_TTL_MS;
    this.sweepIntervalMs = opts.sweepIntervalMs ?? 60_000;
    this.log = opts.log ?? ((m) => console.error(m));
    this.correlator = new EventCorrelator((name, at) => this.eventName(name, at));
    const nowMs = this.now().getTime();
    store.scan<CoreEvent>(EVENTS_RESOURCE, undefined, (e) => this.track(e.metadata.namespace ?? '', e.metadata.name ?? '', latestTimestamp(e) ?? nowMs));
    this.unwatch = store.watchReadOnly(EVENTS_RESOURCE, (ev) => {
      const ns = ev.object.metadata.namespace ?? '';
      const name = ev.object.metadata.name ?? '';
      if (ev.type === 'DELETED') {
        const m = this.writtenAt.get(ns);
        m?.delete(name);
        if (m?.size === 0) this.writtenAt.delete(ns);
      } else this.track(ns, name, this.now().getTime());
    });
  }

  private track(ns: string, name: string, ms: number): void {
    let m = this.writtenAt.get(ns);
    if (!m) {
      m = new Map();
      this.writtenAt.set(ns, m);
    }
    m.set(name, ms);
  }

  /** client-go tools/record/util GenerateEventName: `<name>.<unix nanos in hex>`, or a UUID when that is no valid name. */
  private eventName(objectName: string, at: Date): string {
    // Nanoseconds from a millisecond clock: later events of the same millisecond take the next nanosecond.
    let nanos = BigInt(at.getTime()) * 1_000_000n;
    if (nanos <= this.lastNanos) nanos = this.lastNanos + 1n;
    this.lastNanos = nanos;
    const name = `${objectName}.${nanos.toString(16)}`;
    return isDnsSubdomain(name) ? name : randomUUID();
  }

  event(object: InvolvedObject, type: EventType, reason: string, message: string, opts: EventOptions = {}): void {
    if (this.stopped) return;
    try {
      this.record(object, type, reason, message, opts.source ?? { component: controllerComponent(object.kind) }, opts.fieldPath);
    } catch (err) {
      this.log(`knit: event ${type} ${reason} about ${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''} not recorded: ${(err as Error).message}`);
    }
  }

  /** client-go tools/record event.go makeEvent and generateEvent, then recordToSink's create or update. */
  private record(object: InvolvedObject, type: EventType, reason: string, message: string, source: EventSource, fieldPath: string | undefined): void {
    const at = this.now();
    const t = rfc3339(at);
    const ref = referenceOf(object, fieldPath);
    const src: CoreEvent['source'] = { component: source.component };
    if (source.host) src.host = source.host;
    const made: CoreEvent = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: this.eventName(ref.name ?? '', at), namespace: ref.namespace || 'default' },
      involvedObject: ref,
      reason,
      message,
      source: src,
      firstTimestamp: t,
      lastTimestamp: t,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: source.component,
      reportingInstance: source.host ?? '',
    };
    const c = this.correlator.correlate(made, at);
    if (!c) return;
    const ev = c.event;
    const ns = ev.metadata.namespace ?? 'default';
    const name = ev.metadata.name ?? '';
    const current = ev.count > 1 ? this.store.get<CoreEvent>(EVENTS_RESOURCE, ns, name) : undefined;
    let stored: CoreEvent;
    if (current) {
      // The correlator's patch: count, lastTimestamp and message.
      stored = this.store.update<CoreEvent>(EVENTS_RESOURCE, { ...current, count: ev.count, lastTimestamp: ev.lastTimestamp, message: ev.message });
    } else {
      // New, or a repeat whose event expired: created (under its first name) as recordEvent does after a NotFound.
      this.makeRoom(ns);
      delete ev.metadata.resourceVersion;
      stored = this.store.create<CoreEvent>(EVENTS_RESOURCE, ev);
    }
    this.correlator.observed(c.key, stored);
  }

  /** Deletes the least recently written events of `ns` until one more fits. */
  private makeRoom(ns: string): void {
    const m = this.writtenAt.get(ns);
    while (m && m.size >= this.maxPerNamespace) if (!this.deleteOldest(ns, m)) break;
  }

  private deleteOldest(ns: string, m: Map<string, number>): boolean {
    let oldest: [string, number] | undefined;
    for (const [name, ms] of m) if (!oldest || ms < oldest[1] || (ms === oldest[1] && name < oldest[0])) oldest = [name, ms];
    if (!oldest) return false;
    this.remove(ns, oldest[0]);
    return true;
  }

  private remove(ns: string, name: string): void {
    try {
      this.store.delete(EVENTS_RESOURCE, ns, name);
    } catch {
      // already gone
    }
    // The watch forgets it; a delete the store refused must not stall the sweep either.
    this.writtenAt.get(ns)?.delete(name);
  }

  /** Deletes the events written more than ttlMs ago and each namespace's excess; returns how many went. */
  sweep(): number {
    const nowMs = this.now().getTime();
    let n = 0;
    for (const [ns, m] of [...this.writtenAt]) {
      for (const [name, ms] of [...m]) {
        if (ms + this.ttlMs <= nowMs) {
          this.remove(ns, name);
          n++;
        }
      }
      while (m.size > this.maxPerNamespace && this.deleteOldest(ns, m)) n++;
      if (m.size === 0) this.writtenAt.delete(ns);
    }
    return n;
  }

  /** Sweeps now and then every sweepIntervalMs. */
  start(): void {
    if (this.timer || this.stopped) return;
    this.safeSweep();
    this.timer = setInterval(() => this.safeSweep(), this.sweepIntervalMs);
    this.timer.unref();
  }

  private safeSweep(): void {
    try {
      this.sweep();
    } catch (err) {
      this.log(`knit: event sweep failed: ${(err as Error).message}`);
    }
  }

  /** Stops the sweep and the store subscription; later events are dropped (the store is closing). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.unwatch();
  }
}
