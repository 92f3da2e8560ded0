// Per-revision dispatcher: the activator and queue-proxy roles — pick an instance, hold the
// request while none has room (buffering), enforce containerConcurrency, measure concurrency.

import http from 'node:http';
import http2 from 'node:http2';
import type { TimeoutSettings } from './timeouts.ts';
import { UpstreamPool } from './upstream.ts';

/** A ready instance as the data plane sees it. */
export class Endpoint {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** Requests currently proxied to this instance. */
  inFlight = 0;
  /** False once the instance leaves rotation; in-flight requests finish. */
  active = true;
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

/** A revision's request-handling settings (from its spec). */
export interface DispatcherSettings {
  /** Hard per-instance limit; 0 = unlimited. */
  containerConcurrency: number;
  timeouts: TimeoutSettings;
  /** `h2c` when the serving port is named so: HTTP/2 prior knowledge to the instance. */
  protocol: 'http1' | 'h2c';
}

/** Why a request could not be admitted (spec §5.3): the buffer is full or the wait timed out. */
export class DispatchError extends Error {
  readonly status: number;
  /** Set when the client should retry later (a full queue): the Retry-After header's seconds. */
  readonly retryAfter: number | undefined;
  constructor(status: number, message: string, retryAfter?: number) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/** Extra response headers for a dispatch error (Retry-After on overload). */
export function dispatchErrorHeaders(err: unknown): Record<string, string> {
  return err instanceof DispatchError && err.retryAfter !== undefined ? { 'retry-after': String(err.retryAfter) } : {};
}

/** A request queued in a dispatcher. */
export interface Waiter {
  done: (err: DispatchError | null, ep?: Endpoint) => void;
  timer: NodeJS.Timeout | undefined;
}

/** Knative's per-revision pending-request bound (activator breaker queue depth). */
export const QUEUE_DEPTH = 10_000;

/** knit's bound on requests waiting across all revisions, so a flood cannot grow memory unbounded. */
export const GLOBAL_QUEUE_DEPTH = 50_000;

/** Seconds a client is asked to wait (Retry-After) when a queue is full. */
export const RETRY_AFTER_SECONDS = 1;

let queuedTotal = 0;

/** Requests waiting in all dispatchers of this process. */
export function totalQueued(): number {
  return queuedTotal;
}

/**
 * Time-weighted concurrency and request counts since the last report (spec §4.3), the
 * autoscaler's inputs.
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

  constructor(key: string, settings: DispatcherSettings) {
    this.key = key;
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
    for (const ep of this.endpoints) if (!next.includes(ep)) ep.active = false;
    for (const ep of next) ep.active = true;
    this.endpoints = next;
    this.drain();
  }

  private hasRoom(ep: Endpoint): boolean {
    return this.containerConcurrency === 0 || ep.inFlight < this.containerConcurrency;
  }

  /** Load balancing as in spec §5.3; returns undefined when every endpoint is full. */
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
   * or a DispatchError on overflow or after timeoutMs. Returns a handle for `cancel`.
   */
  enqueue(timeoutMs: number, done: (err: DispatchError | null, ep?: Endpoint) => void): Waiter | undefined {
    if (this.waiters.length >= QUEUE_DEPTH || queuedTotal >= GLOBAL_QUEUE_DEPTH) {
      done(new DispatchError(503, 'pending request queue full', RETRY_AFTER_SECONDS));
      return undefined;
    }
    if (this.endpoints.length === 0) this.onDemand?.();
    const w: Waiter = { done, timer: undefined };
    if (timeoutMs > 0) {
      w.timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) {
          this.waiters.splice(i, 1);
          queuedTotal--;
        }
        done(new DispatchError(503, 'context deadline exceeded'));
      }, timeoutMs);
    }
    this.waiters.push(w);
    queuedTotal++;
    return w;
  }

  /** Drops a queued request whose client went away. */
  cancel(w: Waiter): void {
    const i = this.waiters.indexOf(w);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    queuedTotal--;
    if (w.timer) clearTimeout(w.timer);
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
      queuedTotal--;
      if (w.timer) clearTimeout(w.timer);
      ep.inFlight++;
      w.done(null, ep);
    }
  }

  /** Fails every queued request (revision deleted or knit stopping). */
  close(status: number, message: string): void {
    for (const w of this.waiters.splice(0)) {
      queuedTotal--;
      if (w.timer) clearTimeout(w.timer);
      w.done(new DispatchError(status, message));
    }
    for (const ep of this.endpoints) ep.close();
    this.endpoints = [];
  }
}
