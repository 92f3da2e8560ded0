// A work queue for reconcilers: keys are deduplicated, processed one at a time per key, and
// retried with exponential back-off when a reconcile throws.

/** Reconciles a key; a returned number asks for another look after that many milliseconds. */
export type ReconcileFn = (key: string) => Promise<number | void | undefined> | number | void | undefined;

/** What a queue reports to the metrics (client-go's workqueue metrics and knative/pkg's reconcile_count). */
export interface QueueObserver {
  added(): void;
  retried(): void;
  reconciled(ms: number, ok: boolean): void;
}

/** The longest stretch of the event loop one drain of a queue takes before it lets I/O in. */
export const DRAIN_SLICE_MS = 10;

interface Entry {
  retries: number;
}

/** Level-triggered: enqueuing a key that is already waiting is a no-op. */
export class WorkQueue {
  readonly name: string;
  /** The metrics' hook, if metrics are on. */
  observer: QueueObserver | undefined;
  private readonly reconcile: ReconcileFn;
  private readonly pending = new Map<string, Entry>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly retries = new Map<string, number>();
  private scheduled = false;
  private stopped = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(name: string, reconcile: ReconcileFn) {
    this.name = name;
    this.reconcile = reconcile;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (!this.pending.has(key)) {
      this.pending.set(key, { retries: this.retries.get(key) ?? 0 });
      this.observer?.added();
    }
    this.schedule();
  }

  /** Enqueues the key after a delay (replacing an earlier delayed enqueue of the same key). */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    const old = this.timers.get(key);
    if (old) clearTimeout(old);
    const t = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    t.unref();
    this.timers.set(key, t);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  /**
   * Starts the waiting reconciles, for at most DRAIN_SLICE_MS of the event loop at a time: a burst (100
   * revisions scaling at once) would otherwise run every reconcile's synchronous part in one task, and the
   * gateway, on the same loop, would answer nothing meanwhile. The rest waits for the next turn of the loop.
   */
  private drain(): void {
    this.scheduled = false;
    const started = performance.now();
    let n = 0;
    for (const key of [...this.pending.keys()]) {
      if (this.stopped) return;
      if (n++ > 0 && performance.now() - started >= DRAIN_SLICE_MS) break;
      this.pending.delete(key);
      void this.run(key);
    }
    if (this.pending.size > 0) this.schedule();
  }

  /**
   * Resolves once no key is waiting or being reconciled (a key retried later, after a failure, does not
   * count), or after `timeoutMs`: what `knit serve` waits for at start-up, as a Knative controller is ready
   * once its informers synced and every object was enqueued.
   */
  settled(timeoutMs: number): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      t.unref();
      this.idleWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Nothing waits or runs (or the queue is stopped). */
  get idle(): boolean {
    return this.stopped || (this.pending.size === 0 && this.running.size === 0);
  }

  private wakeIdle(): void {
    if (this.idleWaiters.length === 0 || !this.idle) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Keys waiting to be reconciled (client-go's workqueue depth). */
  get depth(): number {
    return this.pending.size;
  }

  private async run(key: string): Promise<void> {
    this.running.add(key);
    const t0 = this.observer !== undefined ? performance.now() : 0;
    try {
      const again = await this.reconcile(key);
      this.observer?.reconciled(performance.now() - t0, true);
      this.retries.delete(key);
      if (typeof again === 'number') this.addAfter(key, again);
    } catch (err) {
      this.observer?.reconciled(performance.now() - t0, false);
      this.observer?.retried();
      const n = (this.retries.get(key) ?? 0) + 1;
      this.retries.set(key, n);
      const delay = Math.min(30_000, 5 * 2 ** Math.min(n, 13));
      if (!this.stopped) {
        console.error(`knit: ${this.name} reconcile ${key} failed (retry ${n} in ${delay}ms): ${(err as Error).stack ?? String(err)}`);
        this.addAfter(key, delay);
      }
    } finally {
      this.running.delete(key);
      if (this.dirty.delete(key)) this.add(key);
      this.wakeIdle();
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.pending.clear();
    this.wakeIdle();
  }
}
