// Per-revision dispatcher: the activator and queue-proxy roles — pick an instance, hold the
// request while none has room (buffering), enforce containerConcurrency, measure concurrency.

import http from 'node:http';
import http2 from 'node:http2';
import type { TimeoutSettings } from './timeouts.ts';
import { UpstreamPool } from './upstream.ts';
import { DataPlaneError } from './errors.ts';

/** A ready instance as the data plane sees it. */
export class Endpoint {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** Requests currently proxied to this instance. */
  inFlight = 0;
  /** False once the instance leaves rotation; in-flight requests finish. */
  active = true;
  /** Set on an instance started while requests waited at zero: the cold start its first response byte ends. */
  cold: ColdStart | undefined;
  readonly agent: http.Agent;
  /** Raw keep-alive connections for the gateway's HTTP/1.1 fast path. */
  readonly raw: UpstreamPool;
  private session: http2.ClientHttp2Session | undefined;

  constructor(id: string, host: string, port: number) {
    this.id = id;
    this.host = host;
    this.port = port;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, keepAliveMsecs: 1000, scheduling: 'lifo' });
    this.raw = new UpstreamPool(host, port);
  }

  /** The shared HTTP/2 (h2c, prior knowledge) connection to this instance. */
  h2Session(): http2.ClientHttp2Session {
    const s = this.session;
    if (s && !s.closed && !s.destroyed) return s;
    const next = http2.connect(`http://${this.host}:${this.port}`);
    next.on('error', () => next.destroy());
    next.once('close', () => {
      if (this.session === next) this.session = undefined;
    });
    next.unref();
    this.session = next;
    return next;
  }

  /** Closes pooled connections (the instance left rotation). */
  close(): void {
    this.agent.destroy();
    this.raw.close();
    this.session?.close();
    this.session = undefined;
  }
}

/** A cold start in progress: requests began waiting at `since` (performance.now()) with no ready instance. */
export interface ColdStart {
  since: number;
  done: boolean;
}

/** What the data plane reports about each request (the metrics); one per revision, kept across scale to zero. */
export interface RequestObserver {
  /**
   * A request is done: the status sent, milliseconds since it arrived, milliseconds since it was sent to the
   * instance (-1 when knit answered it itself) and whether it waited for an instance with room.
   */
  request(status: number, totalMs: number, appMs: number, queued: boolean): void;
  /** A cold start ended after `ms` (see ColdStart). */
  coldStarted(ms: number): void;
}

/** A revision's request-handling settings (from its spec). */
export interface DispatcherSettings {
  /** Hard per-instance limit; 0 = unlimited. */
  containerConcurrency: number;
  timeouts: TimeoutSettings;
  /** `h2c` when the serving port is named so: HTTP/2 prior knowledge to the instance. */
  protocol: 'http1' | 'h2c';
}

/** What a queued request gets: an endpoint (its slot already counted), or why it will not get one. */
export type Admission = (got: Endpoint | DataPlaneError) => void;

/** A request queued in a dispatcher. */
export interface Waiter {
  done: Admission;
  timer: NodeJS.Timeout | undefined;
}

/** Knative's per-revision pending-request bound (activator breaker queue depth). */
export const QUEUE_DEPTH = 10_000;

/** knit's bound on requests waiting across all revisions, so a flood cannot grow memory unbounded. */
export const GLOBAL_QUEUE_DEPTH = 50_000;

/** The count of requests waiting in every dispatcher of one knit, and its bound; one per InstanceManager. */
export class QueueBound {
  readonly limit: number;
  private count = 0;

  constructor(limit: number = GLOBAL_QUEUE_DEPTH) {
    this.limit = limit;
  }

  /** Requests waiting now. */
  get queued(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count >= this.limit;
  }

  /** @internal Dispatchers count their waiters in and out. */
  add(n: number): void {
    this.count += n;
  }
}

/**
 * Time-weighted concurrency and request counts since the last report, the autoscaler's inputs: what
 * the queue-proxy reports every second (knative/serving pkg/network/stats.go RequestStats.Report, as
 * pkg/queue/stats.go ReportStats calls it).
 */
export class ConcurrencyStats {
  private concurrency = 0;
  private integral = 0;
  private lastChange: number;
  private windowStart: number;
  private requests = 0;
  private readonly now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.now = now;
    this.lastChange = this.windowStart = now();
  }

  private advance(): void {
    const t = this.now();
    this.integral += this.concurrency * (t - this.lastChange);
    this.lastChange = t;
  }

  requestIn(): void {
    this.advance();
    this.concurrency++;
    this.requests++;
  }

  requestOut(): void {
    this.advance();
    this.concurrency--;
  }

  get current(): number {
    return this.concurrency;
  }

  /** Average concurrency and request count since the previous report; resets the window. */
  report(): { averageConcurrency: number; requestCount: number; seconds: number } {
    this.advance();
    const elapsed = this.lastChange - this.windowStart;
    const out = {
      averageConcurrency: elapsed > 0 ? this.integral / elapsed : this.concurrency,
      requestCount: this.requests,
      seconds: elapsed / 1000,
    };
    this.integral = 0;
    this.requests = 0;
    this.windowStart = this.lastChange;
    return out;
  }
}

/**
 * Holds the revision's ready endpoints. `acquire` hands out an endpoint with a free slot at once
 * when there is one, otherwise queues the caller (bounded) until one frees up or appears.
 */
export class RevisionDispatcher {
  readonly key: string;
  /** Hard per-instance limit; 0 = unlimited. */
  readonly containerConcurrency: number;
  readonly timeouts: TimeoutSettings;
  readonly protocol: 'http1' | 'h2c';
  readonly stats = new ConcurrencyStats();
  private endpoints: Endpoint[] = [];
  private readonly waiters: Waiter[] = [];
  private rr = 0;
  /** Called when a request arrives while no endpoint exists (scale-from-zero poke). */
  onDemand: (() => void) | undefined;
  /** The metrics' per-request hook, if metrics are on. */
  observer: RequestObserver | undefined;
  /** Set while requests wait at zero ready instances. */
  private coldSince = -1;
  private readonly bound: QueueBound;

  /** `bound` is shared by every dispatcher of one knit (the global queue limit). */
  constructor(key: string, settings: DispatcherSettings, bound: QueueBound) {
    this.key = key;
    this.bound = bound;
    this.containerConcurrency = settings.containerConcurrency;
    this.timeouts = settings.timeouts;
    this.protocol = settings.protocol;
  }

  get readyCount(): number {
    return this.endpoints.length;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** Replaces the set of ready endpoints, keeping counters of those that stay. */
  setEndpoints(next: Endpoint[]): void {
    if (this.coldSince >= 0 && next.length > 0) {
      const cold: ColdStart = { since: this.coldSince, done: false };
      for (const ep of next) if (!this.endpoints.includes(ep)) ep.cold = cold;
      this.coldSince = -1;
    }
    for (const ep of this.endpoints) if (!next.includes(ep)) ep.active = false;
    for (const ep of next) ep.active = true;
    this.endpoints = next;
    this.drain();
  }

  private hasRoom(ep: Endpoint): boolean {
    return this.containerConcurrency === 0 || ep.inFlight < this.containerConcurrency;
  }

  /**
   * The activator's load balancing (knative/serving pkg/activator/net/throttler.go: random choice of two
   * without a limit, first available for small limits, round robin otherwise); undefined when every endpoint is full.
   */
  private pick(): Endpoint | undefined {
    const eps = this.endpoints;
    const n = eps.length;
    if (n === 0) return undefined;
    const cc = this.containerConcurrency;
    if (cc === 0) {
      // Power of two random choices by in-flight count.
      if (n === 1) return eps[0];
      const a = eps[(Math.random() * n) | 0];
      const b = eps[(Math.random() * n) | 0];
      return a.inFlight <= b.inFlight ? a : b;
    }
    if (cc <= 3) {
      for (const ep of eps) if (ep.inFlight < cc) return ep;
      return undefined;
    }
    for (let i = 0; i < n; i++) {
      const ep = eps[(this.rr + i) % n];
      if (ep.inFlight < cc) {
        this.rr = (this.rr + i + 1) % n;
        return ep;
      }
    }
    return undefined;
  }

  /** An endpoint with room right now, or undefined (then call `wait`). */
  tryAcquire(): Endpoint | undefined {
    if (this.waiters.length > 0) return undefined; // keep FIFO order behind queued requests
    const ep = this.pick();
    if (ep) ep.inFlight++;
    return ep;
  }

  /**
   * Queues the caller until an endpoint has room; `done` gets the endpoint (already counted)
   * or a DataPlaneError on overflow (KNIT_ERR_QUEUE_FULL) or after timeoutMs (KNIT_ERR_QUEUE_TIMEOUT).
   * Returns a handle for `cancel`.
   */
  enqueue(timeoutMs: number, done: Admission): Waiter | undefined {
    if (this.waiters.length >= QUEUE_DEPTH || this.bound.full) {
      done(DataPlaneError.queueFull());
      return undefined;
    }
    if (this.endpoints.length === 0) {
      if (this.coldSince < 0) this.coldSince = performance.now();
      this.onDemand?.();
    }
    const w: Waiter = { done, timer: undefined };
    if (timeoutMs > 0) {
      w.timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) {
          this.waiters.splice(i, 1);
          this.bound.add(-1);
          this.forgetCold();
        }
        done(DataPlaneError.queueTimeout());
      }, timeoutMs);
    }
    this.waiters.push(w);
    this.bound.add(1);
    return w;
  }

  /** Drops a queued request whose client went away. */
  cancel(w: Waiter): void {
    const i = this.waiters.indexOf(w);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    this.bound.add(-1);
    if (w.timer) clearTimeout(w.timer);
    this.forgetCold();
  }

  /** Every request that waited at zero left before an instance came: no cold start to measure. */
  private forgetCold(): void {
    if (this.waiters.length === 0 && this.endpoints.length === 0) this.coldSince = -1;
  }

  /** The first response byte from `ep` (a response head): ends the cold start it was started for. */
  firstByte(ep: Endpoint): void {
    const c = ep.cold;
    if (c === undefined) return;
    ep.cold = undefined;
    if (c.done) return;
    c.done = true;
    this.observer?.coldStarted(performance.now() - c.since);
  }

  release(ep: Endpoint): void {
    ep.inFlight--;
    if (this.waiters.length > 0) this.drain();
  }

  private drain(): void {
    while (this.waiters.length > 0) {
      const ep = this.pick();
      if (!ep) return;
      const w = this.waiters.shift()!;
      this.bound.add(-1);
      if (w.timer) clearTimeout(w.timer);
      ep.inFlight++;
      w.done(ep);
    }
  }

  /** Fails every queued request with KNIT_ERR_REVISION_GONE (revision deleted or knit stopping). */
  close(): void {
    const gone = DataPlaneError.revisionGone(this.key);
    for (const w of this.waiters.splice(0)) {
      this.bound.add(-1);
      if (w.timer) clearTimeout(w.timer);
      w.done(gone);
    }
    for (const ep of this.endpoints) ep.close();
    this.endpoints = [];
  }
}
