// Counters the gateway threads share (docs/architecture.md "Gateway threads"): per-endpoint in-flight
// counts, per-revision concurrency, request counts, queue lengths and wake-up generations, and knit's
// global queue length, in one SharedArrayBuffer updated only with Atomics. In-process mode uses the
// same layout over a private buffer, so one dispatcher implementation serves both modes.

/** Cells of the header: [0] requests waiting in every dispatcher of this knit. */
const HEADER = 16;
/** How many endpoints (ready instances, over all revisions) the shared memory can count at once. */
export const MAX_ENDPOINTS = 16_384;
/** How many revisions the shared memory can count at once. */
export const MAX_REVISIONS = 4_096;
/** Int32 cells per revision: concurrency, requests since the last report, queued, wake-up generation. */
const REV_CELLS = 4;
const EP_BASE = HEADER;
const REV_BASE = EP_BASE + MAX_ENDPOINTS;
const I32_CELLS = REV_BASE + MAX_REVISIONS * REV_CELLS;

/** Offsets inside one revision's cells. */
export const REV_CONCURRENCY = 0;
export const REV_REQUESTS = 1;
export const REV_QUEUED = 2;
export const REV_GEN = 3;

/** The views over one shared (or private) buffer. */
export interface CellViews {
  i32: Int32Array;
  /** One 64-bit accumulator per revision (time-weighted concurrency, see SharedConcurrencyStats). */
  i64: BigInt64Array;
  /** True when the buffer is a SharedArrayBuffer (other threads see it; Atomics.waitAsync works). */
  shared: boolean;
  /** Wall-clock milliseconds that time 0 of the accumulators stands for (the same in every thread). */
  epochMs: number;
}

/** Allocates views over a new buffer: shared for gateway threads, private otherwise. */
export function createCells(shared: boolean): CellViews {
  const bytes = I32_CELLS * 4 + MAX_REVISIONS * 8;
  const buf = shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  return viewsOf(buf, performance.timeOrigin + performance.now());
}

/** The views over a buffer another thread created (workerData carries the buffer and its epoch). */
export function viewsOf(buf: SharedArrayBuffer | ArrayBuffer, epochMs: number): CellViews {
  return { i32: new Int32Array(buf, 0, I32_CELLS), i64: new BigInt64Array(buf, I32_CELLS * 4, MAX_REVISIONS), shared: buf instanceof SharedArrayBuffer, epochMs };
}

/** The Int32 index of endpoint slot `n`. */
export function endpointCell(n: number): number {
  return EP_BASE + n;
}

/** The first Int32 index of revision slot `n`. */
export function revisionBase(n: number): number {
  return REV_BASE + n * REV_CELLS;
}

/** The index of the global queued count. */
export const GLOBAL_QUEUED = 0;
/**
 * The index of the routing table's version: the main thread bumps it when the table (or the set of hosts
 * served in-process) changes, synchronously, before the snapshot is posted; a gateway thread that misses a
 * host while its copy is older waits for that snapshot (Gateway.routesBehind), so a host whose Route is
 * Ready is routed on every thread.
 */
export const ROUTES_VERSION = 1;

/**
 * Hands out endpoint and revision slots (main thread only). A slot given back is reused only once it
 * is idle and every gateway thread has seen a snapshot without it (`retire` + `sweep`), so a thread
 * with an older snapshot never counts into a slot that already belongs to someone else.
 */
export class SlotAllocator {
  readonly cells: CellViews;
  private readonly freeEndpoints: number[] = [];
  private readonly freeRevisions: number[] = [];
  private nextEndpoint = 0;
  private nextRevision = 0;
  private readonly retired: { kind: 'endpoint' | 'revision'; slot: number; version: number }[] = [];

  constructor(cells: CellViews) {
    this.cells = cells;
  }

  endpoint(): number {
    const n = this.freeEndpoints.pop() ?? (this.nextEndpoint < MAX_ENDPOINTS ? this.nextEndpoint++ : -1);
    if (n < 0) throw new Error(`knit: more than ${MAX_ENDPOINTS} ready instances at once: the gateway threads' shared counters are full`);
    Atomics.store(this.cells.i32, endpointCell(n), 0);
    return n;
  }

  revision(): number {
    const n = this.freeRevisions.pop() ?? (this.nextRevision < MAX_REVISIONS ? this.nextRevision++ : -1);
    if (n < 0) throw new Error(`knit: more than ${MAX_REVISIONS} revisions at once: the gateway threads' shared counters are full`);
    const b = revisionBase(n);
    for (let i = 0; i < REV_CELLS; i++) Atomics.store(this.cells.i32, b + i, 0);
    Atomics.store(this.cells.i64, n, 0n);
    return n;
  }

  /** The version of the last snapshot posted to the gateway threads (GatewayThreads counts it up). */
  version = 0;

  /** The slot is out of use from the next snapshot on: free once idle and every thread has that snapshot. */
  retire(kind: 'endpoint' | 'revision', slot: number): void {
    this.retired.push({ kind, slot, version: this.version + 1 });
  }

  /** Frees retired slots every thread has stopped using (`acked`: the oldest snapshot version any thread runs). */
  sweep(acked: number): void {
    const i32 = this.cells.i32;
    for (let i = this.retired.length - 1; i >= 0; i--) {
      const r = this.retired[i];
      if (r.version > acked) continue;
      if (r.kind === 'endpoint') {
        if (Atomics.load(i32, endpointCell(r.slot)) !== 0) continue;
        this.freeEndpoints.push(r.slot);
      } else {
        const b = revisionBase(r.slot);
        if (Atomics.load(i32, b + REV_CONCURRENCY) !== 0 || Atomics.load(i32, b + REV_QUEUED) !== 0) continue;
        this.freeRevisions.push(r.slot);
      }
      this.retired.splice(i, 1);
    }
  }
}

/** A revision's request stats as the autoscaler reads them (both implementations). */
export interface RequestStats {
  requestIn(): void;
  requestOut(): void;
  /** Requests in flight or waiting now. */
  readonly current: number;
  /** Average concurrency and request count since the previous report; resets the window. */
  report(): { averageConcurrency: number; requestCount: number; seconds: number };
}

/**
 * Time-weighted concurrency over shared memory, exact across threads without a lock: with C the
 * concurrency and A = Σ(end times) − Σ(start times) of every request so far (one 64-bit atomic add per
 * event, in microseconds since the shared epoch), the integral of C over [0, T] is A + C·T. A report
 * takes the difference of that integral over its window. Only the main thread reports.
 */
export class SharedConcurrencyStats implements RequestStats {
  private readonly i32: Int32Array;
  private readonly i64: BigInt64Array;
  private readonly slot: number;
  private readonly base: number;
  private readonly now: () => number;
  private lastT: number;
  private lastIntegral: bigint;

  /** `now`: wall-clock milliseconds (performance.timeOrigin + performance.now() in every thread, or a test clock). */
  constructor(cells: CellViews, slot: number, now?: () => number) {
    this.i32 = cells.i32;
    this.i64 = cells.i64;
    this.slot = slot;
    this.base = revisionBase(slot);
    const epoch = cells.epochMs;
    // This thread's performance.now() 0 is its timeOrigin; the offset to the shared epoch is a constant.
    const offset = performance.timeOrigin - epoch;
    this.now = now ? () => Math.round((now() - epoch) * 1000) : () => Math.round((performance.now() + offset) * 1000);
    this.lastT = this.now();
    this.lastIntegral = this.integral(this.lastT);
  }

  requestIn(): void {
    Atomics.add(this.i32, this.base + REV_CONCURRENCY, 1);
    Atomics.add(this.i32, this.base + REV_REQUESTS, 1);
    Atomics.sub(this.i64, this.slot, BigInt(this.now()));
  }

  requestOut(): void {
    Atomics.add(this.i64, this.slot, BigInt(this.now()));
    Atomics.sub(this.i32, this.base + REV_CONCURRENCY, 1);
  }

  get current(): number {
    return Atomics.load(this.i32, this.base + REV_CONCURRENCY);
  }

  /** ∫C dt from the epoch to `t` (µs): A + C·t, read so that A and C belong together. */
  private integral(t: number): bigint {
    for (;;) {
      const c = Atomics.load(this.i32, this.base + REV_CONCURRENCY);
      const a = Atomics.load(this.i64, this.slot);
      if (Atomics.load(this.i32, this.base + REV_CONCURRENCY) === c) return a + BigInt(c) * BigInt(t);
    }
  }

  report(): { averageConcurrency: number; requestCount: number; seconds: number } {
    const t = this.now();
    const integral = this.integral(t);
    const elapsed = t - this.lastT;
    const out = {
      averageConcurrency: elapsed > 0 ? Number(integral - this.lastIntegral) / elapsed : this.current,
      requestCount: Atomics.exchange(this.i32, this.base + REV_REQUESTS, 0),
      seconds: elapsed / 1e6,
    };
    this.lastT = t;
    this.lastIntegral = integral;
    return out;
  }
}
