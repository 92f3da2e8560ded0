// The brokers' delivery engine: fans an accepted event out to the broker's matching triggers (one durable
// row each, src/eventing/queue.ts), sends each row to its trigger's subscriber through send.ts, retries as
// the trigger's (else the broker's) DeliverySpec says, dead-letters with Knative's error extensions, and
// puts reply events back into the broker (knative/eventing pkg/broker/filter/filter_handler.go,
// pkg/kncloudevents/event_dispatcher.go).

import type { Store } from '../store/store.ts';
import { InvalidEventError, looksLikeEvent, parseEvents, type EventRecord } from './cloudevents.ts';
import type { EventingContext, EventingMetrics } from './manager.ts';
import { DeliveryQueue, PHASE_DEAD_LETTER, PHASE_SUBSCRIBER, type Delivery, type NewDelivery } from './queue.ts';
import { backoffMs, isFailure, isRetryable, retryConfig, type RetryConfig } from './retry.ts';
import { sendEvent, type SinkResponse } from './send.ts';
import { triggerMatches } from './filters.ts';
import { RESOURCE, type Broker, type DeliverySpec, type Trigger } from './types.ts';

/** knative/eventing pkg/broker ttl.go TTLAttribute and the ingress' default (the reply-loop guard). */
export const TTL_ATTRIBUTE = 'knativebrokerttl';
export const DEFAULT_TTL = 255;
/** attributes.KnativeErrorDataExtensionMaxLength: the base64 of the failed response body is cut to this. */
export const ERROR_DATA_MAX = 1024;


/** The engine's clock and timers (injected in tests). */
export interface Clock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const REAL_CLOCK: Clock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};

type Sender = (url: string, event: EventRecord, timeoutMs: number) => Promise<SinkResponse>;

/**
 * Where an engine's rows go when they are not a broker's (channels, src/eventing/channel-fanout.ts): the row's
 * target and DeliverySpec, looked up at each attempt (undefined: the owner is gone, the row is dropped), and
 * what to do with reply events. A route's rows may use phases of its own besides PHASE_DEAD_LETTER; a
 * failure in any phase but that one goes to the dead-letter phase.
 */
export interface DeliveryRoute {
  resolve(d: Delivery): { spec: DeliverySpec | undefined; target: string | undefined } | undefined;
  /** A 2xx answer to a phase-PHASE_SUBSCRIBER row carried these events; called before the row is acked. */
  replied(d: Delivery, events: EventRecord[]): void;
}

interface Live {
  d: Delivery;
  timer?: unknown;
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

/** The event as a subscriber gets it: the broker's TTL extension removed (filter_handler.go DeleteTTL). */
function withoutTtl(event: EventRecord): EventRecord {
  if (!(TTL_ATTRIBUTE in event.attributes)) return event;
  const attributes = { ...event.attributes };
  delete attributes[TTL_ATTRIBUTE];
  return { ...event, attributes };
}

/** Removes user info from a URL as sanitizeURL does before it goes into knativeerrordest. */
function sanitized(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

/** The knativeerror* extensions for a failed delivery (dispatchExecutionInfoTransformers). */
export function deadLetterEvent(event: EventRecord, dest: string, status: number, body: Buffer): EventRecord {
  return {
    ...event,
    attributes: { ...event.attributes, knativeerrordest: sanitized(dest), knativeerrorcode: String(status), knativeerrordata: body.toString('base64').slice(0, ERROR_DATA_MAX) },
  };
}

/** Where a trigger's failed events go: its own dead-letter sink if it has one, else its broker's. */
function deadLetterTarget(trigger: Readonly<Trigger>, broker: Readonly<Broker>): string | undefined {
  return trigger.spec.delivery?.deadLetterSink ? trigger.status?.deadLetterSinkUri : broker.status?.deadLetterSinkUri;
}

/** The delivery engine of every broker of one knit process. */
export class BrokerDelivery {
  readonly queue: DeliveryQueue;
  private readonly store: Store;
  private readonly send: Sender;
  private readonly clock: Clock;
  private readonly live = new Map<number, Live>();
  private ready: number[] = [];
  private readyHead = 0;
  private inFlight = 0;
  private readonly maxInFlight: number;
  private readonly configs = new WeakMap<DeliverySpec, RetryConfig>();
  private stopped = false;
  private readonly metrics: EventingMetrics | undefined;
  private readonly route: DeliveryRoute | undefined;

  constructor(opts: { store: Store; queue: DeliveryQueue; send: Sender; clock?: Clock; maxInFlight?: number; metrics?: EventingMetrics; route?: DeliveryRoute }) {
    this.metrics = opts.metrics;
    this.route = opts.route;
    this.store = opts.store;
    this.queue = opts.queue;
    this.send = opts.send;
    this.clock = opts.clock ?? REAL_CLOCK;
    this.maxInFlight = opts.maxInFlight ?? 256;
  }

  /** An engine sending through the cluster-local gateway (send.ts), its queue in `file`. */
  static forContext(ctx: EventingContext, file: string, route?: DeliveryRoute): BrokerDelivery {
    // The broker metrics name brokers and triggers: a route's rows (channels) are not reported there.
    const metrics = route ? undefined : ctx.metrics;
    return new BrokerDelivery({ store: ctx.store, queue: new DeliveryQueue(file), metrics, send: (url, event, timeoutMs) => sendEvent(ctx, url, event, { timeoutMs, headers: { prefer: 'reply' } }), route });
  }

  /** Stores `rows` and schedules them once committed; `done` gets the queue's error, if any (a route's fan-out). */
  enqueue(rows: NewDelivery[], done: (err?: Error) => void): void {
    if (rows.length === 0) {
      done();
      return;
    }
    this.queue.append(rows, (err, stored) => {
      done(err);
      if (!err) for (const d of stored) this.schedule(d);
    });
  }

  /** Resumes what a previous run left queued. */
  start(): void {
    for (const d of this.queue.all()) this.schedule(d);
  }

  /** Deliveries waiting or in flight (tests, metrics). */
  get pending(): number {
    return this.live.size;
  }

  /**
   * Accepts events sent to broker `brokerKey`: one row per matching trigger, stored before `done` is called
   * with the status to answer (202; 500 if the queue could not store them).
   */
  accept(brokerKey: string, events: EventRecord[], ttl: number | undefined, done: (status: number) => void): void {
    const rows: NewDelivery[] = [];
    const now = this.clock.now();
    const [ns, name] = splitKey(brokerKey);
    const triggers: Trigger[] = [];
    this.store.scan<Trigger>(RESOURCE.triggers, ns, (t) => {
      if (t.spec.broker === name && t.status?.subscriberUri && !t.metadata.deletionTimestamp) triggers.push(t);
    });
    for (const ev of events) {
      const evTtl = ttl ?? DEFAULT_TTL;
      for (const t of triggers) {
        if (!triggerMatches(t.spec, ev)) continue;
        rows.push({ broker: brokerKey, trigger: `${ns}/${t.metadata.name}`, triggerUid: t.metadata.uid ?? '', event: ev, ttl: evTtl, nextAt: now });
      }
    }
    if (rows.length === 0) {
      done(202);
      return;
    }
    this.queue.append(rows, (err, stored) => {
      if (err) {
        done(500);
        return;
      }
      done(202);
      for (const d of stored) this.schedule(d);
    });
  }

  /** Stops delivering to a deleted broker and drops its queued events. */
  dropBroker(brokerKey: string): void {
    for (const [id, l] of this.live) {
      if (l.d.broker !== brokerKey) continue;
      if (l.timer !== undefined) this.clock.clearTimer(l.timer);
      this.live.delete(id);
    }
    this.queue.dropBroker(brokerKey);
  }

  /** Drops the deliveries of a deleted trigger (or of an older trigger of that name when `keepUid` is given). */
  dropTrigger(triggerKey: string, keepUid?: string): void {
    for (const [id, l] of this.live) {
      if (l.d.trigger !== triggerKey || (keepUid !== undefined && l.d.triggerUid === keepUid)) continue;
      if (l.timer !== undefined) this.clock.clearTimer(l.timer);
      this.live.delete(id);
    }
    this.queue.dropTrigger(triggerKey, keepUid);
  }

  stop(): void {
    this.stopped = true;
    for (const l of this.live.values()) if (l.timer !== undefined) this.clock.clearTimer(l.timer);
    this.live.clear();
    this.queue.close();
  }

  private schedule(d: Delivery): void {
    if (this.stopped) return;
    const l: Live = { d };
    this.live.set(d.id, l);
    const wait = d.nextAt - this.clock.now();
    if (wait <= 0) this.makeReady(d.id);
    else
      l.timer = this.clock.setTimer(() => {
        l.timer = undefined;
        if (this.live.get(d.id) === l) this.makeReady(d.id);
      }, wait);
  }

  private makeReady(id: number): void {
    this.ready.push(id);
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.readyHead < this.ready.length) {
      const id = this.ready[this.readyHead++];
      const l = this.live.get(id);
      if (l !== undefined) this.attempt(l);
    }
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
  }

  private finish(l: Live): void {
    this.live.delete(l.d.id);
    this.queue.ack(l.d.id);
  }

  private config(spec: DeliverySpec | undefined): RetryConfig {
    if (!spec) return retryConfig(undefined);
    let c = this.configs.get(spec);
    if (!c) {
      c = retryConfig(spec);
      this.configs.set(spec, c);
    }
    return c;
  }

  /** A route's row: its target and compiled DeliverySpec, or undefined when handled here (dropped). */
  private routed(l: Live): { cfg: RetryConfig; target: string } | undefined {
    const r = this.route?.resolve(l.d);
    if (!r) {
      this.finish(l);
      return undefined;
    }
    let cfg: RetryConfig;
    try {
      cfg = this.config(r.spec);
    } catch {
      cfg = retryConfig(undefined);
    }
    return this.missingTarget(l, cfg, r.target);
  }

  /** No target: a dead letter without a sink is dropped, any other row fails (and is retried or dead-lettered). */
  private missingTarget(l: Live, cfg: RetryConfig, target: string | undefined): { cfg: RetryConfig; target: string } | undefined {
    if (target) return { cfg, target };
    if (l.d.phase === PHASE_DEAD_LETTER) this.finish(l);
    else this.failed(l, cfg, -1, undefined, Buffer.alloc(0), '');
    return undefined;
  }

  /**
   * A broker row's trigger subscriber or dead-letter sink, the trigger's (else the broker's) DeliverySpec, and
   * the dispatch metric's report for a subscriber attempt.
   */
  private brokerTarget(l: Live): { cfg: RetryConfig; target: string; report?: (status: number, ms: number) => void } | undefined {
    const d = l.d;
    const [ns, tname] = splitKey(d.trigger);
    const trigger = this.store.peek<Trigger>(RESOURCE.triggers, ns, tname);
    const broker = this.store.peek<Broker>(RESOURCE.brokers, ...splitKey(d.broker));
    // The trigger or broker is gone (or re-created): nothing to deliver to.
    if (!trigger || (trigger.metadata.uid ?? '') !== d.triggerUid || !broker) {
      this.finish(l);
      return undefined;
    }
    const spec = trigger.spec.delivery ?? broker.spec.delivery;
    let cfg: RetryConfig;
    try {
      cfg = this.config(spec);
    } catch {
      cfg = retryConfig(undefined);
    }
    const target = d.phase === PHASE_SUBSCRIBER ? trigger.status?.subscriberUri : deadLetterTarget(trigger, broker);
    const found = this.missingTarget(l, cfg, target);
    if (!found || this.metrics === undefined || d.phase !== PHASE_SUBSCRIBER) return found;
    const metrics = this.metrics;
    const brokerName = trigger.spec.broker;
    const filterType = trigger.spec.filter?.attributes?.type || 'any';
    return { ...found, report: (status, ms) => metrics.dispatch(ns, brokerName, tname, filterType, status, ms) };
  }

  private attempt(l: Live): void {
    const d = l.d;
    const routed: { cfg: RetryConfig; target: string; report?: (status: number, ms: number) => void } | undefined = this.route ? this.routed(l) : this.brokerTarget(l);
    if (routed === undefined) return;
    const { cfg, target } = routed;
    this.inFlight++;
    const t0 = performance.now();
    const report = routed.report === undefined ? undefined : (status: number) => routed.report!(status, performance.now() - t0);
    this.send(target, d.phase === PHASE_SUBSCRIBER ? withoutTtl(d.event) : d.event, cfg.timeoutMs).then(
      (res) => {
        this.inFlight--;
        report?.(res.status);
        if (this.live.get(d.id) === l) {
          if (!isFailure(res.status)) this.delivered(l, res);
          else this.failed(l, cfg, res.status, typeof res.headers['retry-after'] === 'string' ? res.headers['retry-after'] : undefined, res.body, target);
        }
        this.pump();
      },
      () => {
        this.inFlight--;
        report?.(-1);
        if (this.live.get(d.id) === l) this.failed(l, cfg, -1, undefined, Buffer.alloc(0), target);
        this.pump();
      },
    );
  }

  /** A 2xx: done; a CloudEvent in the answer (to the subscriber) is a reply, which goes back into the broker. */
  private delivered(l: Live, res: SinkResponse): void {
    const d = l.d;
    // A 202 is never a reply, even when it reads as an event (the data-plane spec, Derived (Reply) Events).
    if (d.phase === PHASE_SUBSCRIBER && res.status !== 202 && res.body.length > 0 && looksLikeEvent(res.headers)) {
      let replies: EventRecord[] = [];
      try {
        replies = parseEvents(res.headers, res.body);
      } catch (err) {
        if (!(err instanceof InvalidEventError)) throw err;
      }
      // The ingress decrements the TTL the filter re-attached; at 0 the reply is dropped (the loop guard).
      const ttl = d.ttl - 1;
      if (this.route) {
        if (replies.length > 0) this.route.replied(d, replies);
      } else if (replies.length > 0 && ttl > 0) {
        this.accept(
          d.broker,
          replies.map((e) => withoutTtl(e)),
          ttl,
          () => {},
        );
      }
    }
    this.finish(l);
  }

  private failed(l: Live, cfg: RetryConfig, status: number, retryAfter: string | undefined, body: Buffer, target: string): void {
    const d = l.d;
    const now = this.clock.now();
    if (isRetryable(status) && d.attempts < cfg.retryMax) {
      const wait = backoffMs(cfg, d.attempts, status, retryAfter, now);
      const next: Delivery = { ...d, attempts: d.attempts + 1, nextAt: now + wait };
      this.live.delete(d.id);
      this.queue.reschedule(next);
      this.schedule(next);
      return;
    }
    if (d.phase !== PHASE_DEAD_LETTER) {
      const next: Delivery = { ...d, phase: PHASE_DEAD_LETTER, attempts: 0, nextAt: now, event: deadLetterEvent(withoutTtl(d.event), target, status, body) };
      this.live.delete(d.id);
      this.queue.reschedule(next);
      this.schedule(next);
      return;
    }
    this.finish(l);
  }
}
