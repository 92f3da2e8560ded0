// Per-revision dispatcher: the activator and queue-proxy roles — pick an instance, hold the
// request while none has room (buffering), enforce containerConcurrency, measure concurrency.

import http from 'node:http';
import http2 from 'node:http2';
import type { TimeoutSettings } from './timeouts.ts';
import { UpstreamPool } from './upstream.ts';
import { DataPlaneError } from './errors.ts';
import { GLOBAL_QUEUED, REV_GEN, REV_QUEUED, type RequestStats } from './shared.ts';

/** Where a counter lives: an Int32Array cell, private or shared with the gateway threads (shared.ts). */
export interface Cell {
  i32: Int32Array;
  index: number;
}

function privateCell(): Cell {
  return { i32: new Int32Array(1), index: 0 };
}

/** A ready instance as the data plane sees it. */
export class Endpoint {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** The in-flight counter (shared by every gateway thread in thread mode). */
  private readonly counter: Int32Array;
  private readonly index: number;
  /** False once the instance leaves rotation; in-flight requests finish. */
  active = true;
  /** Set on an instance started while requests waited at zero: the cold start its first response byte ends. */
  cold: ColdStart | undefined;
  readonly agent: http.Agent;
  /** Raw keep-alive connections for the gateway's HTTP/1.1 fast path. */
  readonly raw: UpstreamPool;
  private session: http2.ClientHttp2Session | undefined;

  constructor(id: string, host: string, port: number, cell: Cell = privateCell()) {
    this.id = id;
    this.host = host;
    this.port = port;
    this.counter = cell.i32;
    this.index = cell.index;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, keepAliveMsecs: 1000, scheduling: 'lifo' });
    this.raw = new UpstreamPool(host, port);
  }

  /** Requests currently proxied to this instance (by every gateway thread). */
  get inFlight(): number {
    return Atomics.load(this.counter, this.index);
  }

  set inFlight(n: number) {
    Atomics.store(this.counter, this.index, n);
  }

  /** Takes a slot if fewer than `limit` are in use (compare-and-swap, exact across threads); 0 = no limit. */
  take(limit: number): boolean {
    const a = this.counter;
    const i = this.index;
    if (limit === 0) {
      Atomics.add(a, i, 1);
      return true;
    }
    let v = Atomics.load(a, i);
    while (v < limit) {
      const seen = Atomics.compareExchange(a, i, v, v + 1);
      if (seen === v) return true;
      v = seen;
    }
    return false;
  }

  /** Gives a slot back. */
  give(): void {
    Atomics.sub(this.counter, this.index, 1);
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
  /** A cold start ended after `ms` (see ColdStart), at the first response of endpoint `endpointId`. */
  coldStarted(ms: number, endpointId: string): void;
}

/** A revision's request-handling settings (from its spec). */
export interface DispatcherSettings {
  /** Hard per-instance limit; 0 = unlimited. */
  containerConcurrency: number;
  timeouts: TimeoutSettings;
  /** `h2c` when the serving port is named so: HTTP/2 prior knowledge to the instance. */
  protocol: 'http1' | 'h2c';
}

/**
 * One request's hold on a revision, from `RevisionDispatcher.acquire`: granted at once (`endpoint`
 * set), refused at once (`error` set), or waiting, in which case `settled` is called later with the
 * endpoint or the error. `release()` gives the slot back, or leaves the queue if still waiting; it is
 * idempotent, so every path ends a request with one call whatever state it reached.
 */
export class Lease {
  /** The endpoint whose slot this lease holds (undefined while waiting, after release, or when refused). */
  endpoint: Endpoint | undefined;
  /** Why no endpoint will come (queue full, waited too long, revision gone). */
  error: DataPlaneError | undefined;
  private readonly d: RevisionDispatcher;
  private readonly settled: (lease: Lease) => void;
  /** @internal Set while queued. */
  timer: NodeJS.Timeout | undefined;
  /** @internal */
  queued = false;
  private released = false;

  /** @internal Leases come from RevisionDispatcher.acquire. */
  constructor(d: RevisionDispatcher, settled: (lease: Lease) => void) {
    this.d = d;
    this.settled = settled;
  }

  /** True while queued for an endpoint. */
  get waiting(): boolean {
    return this.queued;
  }

  /** Ends the lease: frees the endpoint's slot, or drops the wait. */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.queued) this.d.leave(this);
    const ep = this.endpoint;
    this.endpoint = undefined;
    if (ep !== undefined) this.d.free(ep);
  }

  /** @internal The dispatcher grants a queued lease. */
  grant(ep: Endpoint): void {
    this.queued = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.endpoint = ep;
    this.settled(this);
  }

  /** @internal The dispatcher refuses a queued lease. */
  refuse(err: DataPlaneError): void {
    this.queued = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.error = err;
    this.released = true;
    this.settled(this);
  }
}

/**
 * The activator's load-balancing policies (knative/serving pkg/activator/net/lb_policy.go), chosen by
 * containerConcurrency as pkg/activator/net/throttler.go does: power of two choices without a limit,
 * first available for limits 1–3, round robin above.
 */
export type LoadBalancingPolicy = 'power-of-two-choices' | 'first-available' | 'round-robin';

export function policyFor(containerConcurrency: number): LoadBalancingPolicy {
  if (containerConcurrency === 0) return 'power-of-two-choices';
  return containerConcurrency <= 3 ? 'first-available' : 'round-robin';
}

/** Knative's per-revision pending-request bound (activator breaker queue depth). */
export const QUEUE_DEPTH = 10_000;

/** knit's bound on requests waiting across all revisions, so a flood cannot grow memory unbounded. */
export const GLOBAL_QUEUE_DEPTH = 50_000;

/** The count of requests waiting in every dispatcher of one knit, and its bound; one per InstanceManager. */
export class QueueBound {
  readonly limit: number;
  private readonly i32: Int32Array;
  private readonly index: number;

  /** `cells`: the gateway threads' shared memory, whose global count this bound then is. */
  constructor(limit: number = GLOBAL_QUEUE_DEPTH, cells?: { i32: Int32Array }) {
    this.limit = limit;
    this.i32 = cells?.i32 ?? new Int32Array(1);
    this.index = cells ? GLOBAL_QUEUED : 0;
  }

  /** Requests waiting now. */
  get queued(): number {
    return Atomics.load(this.i32, this.index);
  }

  get full(): boolean {
    return this.queued >= this.limit;
  }

  /** @internal Dispatchers count their waiters in and out. */
  add(n: number): void {
    Atomics.add(this.i32, this.index, n);
  }
}

/**
 * Time-weighted concurrency and request counts since the last report, the autoscaler's inputs: what
 * the queue-proxy reports every second (knative/serving pkg/network/stats.go RequestStats.Report, as
 * pkg/queue/stats.go ReportStats calls it).
 */
export class ConcurrencyStats implements RequestStats {
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
 * Where a dispatcher keeps the counters every gateway thread must agree on (shared.ts): its queue length
 * and wake-up generation at `base + REV_QUEUED` / `REV_GEN` of `i32`, and its request stats.
 */
export interface DispatcherCells {
  i32: Int32Array;
  base: number;
  /** True when other threads share the cells: a freed slot then wakes their waiters too. */
  shared: boolean;
  stats: RequestStats;
}

/**
 * Holds the revision's ready endpoints. `acquire` hands out an endpoint with a free slot at once
 * when there is one, otherwise queues the caller (bounded) until one frees up or appears. In thread
 * mode one dispatcher per revision runs in every gateway thread; they share the endpoints' in-flight
 * counters (a slot is taken by compare-and-swap), the revision's queue length (the bound holds over all
 * threads) and a generation counter that a thread freeing a slot bumps, waking the others' waiters.
 */
export class RevisionDispatcher {
  readonly key: string;
  /** Hard per-instance limit; 0 = unlimited. */
  readonly containerConcurrency: number;
  readonly timeouts: TimeoutSettings;
  readonly protocol: 'http1' | 'h2c';
  readonly policy: LoadBalancingPolicy;
  readonly stats: RequestStats;
  private endpoints: Endpoint[] = [];
  private readonly waiters: Lease[] = [];
  private rr = 0;
  /** Random numbers in [0, 1) for power of two choices (injectable for tests). */
  random: () => number = Math.random;
  /** Called when a request arrives while no endpoint exists (scale-from-zero poke). */
  onDemand: (() => void) | undefined;
  /** The metrics' per-request hook, if metrics are on. */
  observer: RequestObserver | undefined;
  /** Set while requests wait at zero ready instances. */
  private coldSince = -1;
  private readonly bound: QueueBound;
  private readonly cells: Int32Array;
  private readonly queuedAt: number;
  private readonly genAt: number;
  private readonly shared: boolean;
  /** An Atomics.waitAsync on the generation is pending (thread mode, while this thread has waiters). */
  private watching = false;
  private closed = false;

  /** `bound` is shared by every dispatcher of one knit (the global queue limit); `cells` are the thread-shared counters. */
  constructor(key: string, settings: DispatcherSettings, bound: QueueBound, cells?: DispatcherCells) {
    this.key = key;
    this.bound = bound;
    this.containerConcurrency = settings.containerConcurrency;
    this.timeouts = settings.timeouts;
    this.protocol = settings.protocol;
    this.policy = policyFor(settings.containerConcurrency);
    this.cells = cells?.i32 ?? new Int32Array(4);
    const base = cells?.base ?? 0;
    this.queuedAt = base + REV_QUEUED;
    this.genAt = base + REV_GEN;
    this.shared = cells?.shared ?? false;
    this.stats = cells?.stats ?? new ConcurrencyStats();
  }

  get readyCount(): number {
    return this.endpoints.length;
  }

  /** True once the revision is gone (close): a route that led here must be looked up again. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Requests waiting for an instance (in every gateway thread). */
  get queued(): number {
    return Atomics.load(this.cells, this.queuedAt);
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

  /** Takes a free slot of an endpoint chosen by the revision's policy; undefined when every endpoint is full. */
  private take(): Endpoint | undefined {
    const eps = this.endpoints;
    const n = eps.length;
    if (n === 0) return undefined;
    const cc = this.containerConcurrency;
    switch (this.policy) {
      case 'power-of-two-choices': {
        // No limit: the less loaded of two distinct random endpoints (lb_policy.go randomChoice2Policy).
        let ep = eps[0];
        if (n > 1) {
          let r1 = 0;
          let r2 = 1;
          if (n > 2) {
            r1 = (this.random() * n) | 0;
            r2 = (this.random() * (n - 1)) | 0;
            if (r2 >= r1) r2++;
          }
          const a = eps[r1];
          const b = eps[r2];
          const la = a.inFlight;
          const lb = b.inFlight;
          ep = la !== lb ? (la < lb ? a : b) : this.random() < 0.5 ? a : b;
        }
        ep.take(0);
        return ep;
      }
      case 'first-available':
        for (const ep of eps) if (ep.take(cc)) return ep;
        return undefined;
      case 'round-robin': {
        if (this.rr >= n) this.rr = 0;
        for (let i = 0; i < n; i++) {
          const p = (this.rr + i) % n;
          const ep = eps[p];
          if (ep.take(cc)) {
            this.rr = p + 1;
            return ep;
          }
        }
        return undefined;
      }
    }
  }

  /** Counts waiters in (+1) or out (-1): this revision's (over all threads) and knit's. */
  private count(n: number): void {
    Atomics.add(this.cells, this.queuedAt, n);
    this.bound.add(n);
  }

  /**
   * The one way a request gets an instance (fast path, general path and WebSocket upgrades alike):
   * an endpoint with a free slot now, else a place in the revision's FIFO queue (bounded: QUEUE_DEPTH
   * and knit's QueueBound) until one frees up or appears, for at most `timeoutMs` (0: no limit of its
   * own; the request's timeouts apply). `settled` is called only for a lease that had to wait.
   */
  acquire(timeoutMs: number, settled: (lease: Lease) => void): Lease {
    const lease = new Lease(this, settled);
    // FIFO: nobody overtakes requests that are already queued (in any thread).
    if (this.waiters.length === 0 && Atomics.load(this.cells, this.queuedAt) === 0) {
      const ep = this.take();
      if (ep !== undefined) {
        lease.endpoint = ep;
        return lease;
      }
    }
    if (this.queued >= QUEUE_DEPTH || this.bound.full) {
      lease.error = DataPlaneError.queueFull();
      lease.release();
      return lease;
    }
    if (this.endpoints.length === 0) {
      if (this.coldSince < 0) this.coldSince = performance.now();
      this.onDemand?.();
    }
    // Counted as waiting before the last look: a thread that frees a slot after that look sees the
    // count and bumps the generation this thread then waits on, so no wake-up is lost.
    this.count(1);
    const gen = Atomics.load(this.cells, this.genAt);
    if (this.waiters.length === 0) {
      const ep = this.take();
      if (ep !== undefined) {
        this.count(-1);
        lease.endpoint = ep;
        return lease;
      }
    }
    lease.queued = true;
    if (timeoutMs > 0) lease.timer = setTimeout(() => this.expire(lease), timeoutMs);
    this.waiters.push(lease);
    this.watch(gen);
    return lease;
  }

  /** Thread mode: drain when another thread frees a slot (the generation moves on from `gen`). */
  private watch(gen: number): void {
    if (!this.shared || this.watching) return;
    this.watching = true;
    const wake = (): void => {
      this.watching = false;
      if (this.closed || this.waiters.length === 0) return;
      const g = Atomics.load(this.cells, this.genAt);
      this.drain();
      if (this.waiters.length > 0) this.watch(g);
    };
    const w = Atomics.waitAsync(this.cells, this.genAt, gen);
    if (w.async) void w.value.then(wake);
    else queueMicrotask(wake);
  }

  private expire(lease: Lease): void {
    lease.timer = undefined;
    if (!this.remove(lease)) return;
    lease.refuse(DataPlaneError.queueTimeout());
  }

  private remove(lease: Lease): boolean {
    const i = this.waiters.indexOf(lease);
    if (i < 0) return false;
    this.waiters.splice(i, 1);
    this.count(-1);
    this.forgetCold();
    return true;
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
    this.observer?.coldStarted(performance.now() - c.since, ep.id);
  }

  /** @internal A waiting lease was released: it leaves the queue. */
  leave(lease: Lease): void {
    this.remove(lease);
    lease.queued = false;
    if (lease.timer) clearTimeout(lease.timer);
    lease.timer = undefined;
  }

  /** @internal A held lease was released: its slot is free for the next waiter, here or in another thread. */
  free(ep: Endpoint): void {
    ep.give();
    if (this.waiters.length > 0) this.drain();
    if (this.shared && Atomics.load(this.cells, this.queuedAt) > this.waiters.length) {
      Atomics.add(this.cells, this.genAt, 1);
      Atomics.notify(this.cells, this.genAt);
    }
  }

  private drain(): void {
    while (this.waiters.length > 0) {
      const ep = this.take();
      if (!ep) return;
      const lease = this.waiters.shift()!;
      this.count(-1);
      lease.grant(ep);
    }
  }

  /** Fails every queued request with KNIT_ERR_REVISION_GONE (revision deleted or knit stopping). */
  close(): void {
    this.closed = true;
    const gone = DataPlaneError.revisionGone(this.key);
    for (const lease of this.waiters.splice(0)) {
      this.count(-1);
      lease.refuse(gone);
    }
    for (const ep of this.endpoints) ep.close();
    this.endpoints = [];
  }
}
