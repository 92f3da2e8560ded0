// Per-request timeouts as Knative's timeout handler applies them (knative/serving pkg/http/handler/timeout.go):
// total, response start and idle, with one timer re-armed to the nearest deadline.

/** Timeout settings of a revision, in milliseconds (0 = off). */
export interface TimeoutSettings {
  totalMs: number;
  responseStartMs: number;
  idleMs: number;
}

export type TimeoutKind = 'total' | 'responseStart' | 'idle';

const TOTAL = 0;
const RESPONSE_START = 1;
const IDLE = 2;
const KINDS: readonly TimeoutKind[] = ['total', 'responseStart', 'idle'];

/**
 * The request clock of one connection (or of one request): `begin()` when a request starts, `wrote()` on
 * every byte sent to the client, `end()` when it is over, `done()` when no request will follow.
 *
 * The timer outlives the request it was armed for: a keep-alive connection's next request reuses it when it
 * fires no later than that request's first deadline, and a timer that fires early re-arms itself for what is
 * left. A connection proxying many short requests so sets one timer per timeout period, not one per request.
 */
export class RequestTimeouts {
  private settings: TimeoutSettings | undefined;
  private start = 0;
  private lastWrite = 0;
  private wroteAny = false;
  private timer: NodeJS.Timeout | undefined;
  /** When the pending timer fires (performance.now() time). */
  private timerAt = 0;
  /** The kind of the earliest deadline, set by next(). */
  private nextKind = TOTAL;
  private readonly onTimeout: (kind: TimeoutKind) => void;
  private readonly fire = (): void => this.check();

  constructor(onTimeout: (kind: TimeoutKind) => void) {
    this.onTimeout = onTimeout;
  }

  /** A request starts under `settings`; `now` is performance.now() if the caller has it. */
  begin(settings: TimeoutSettings, now: number = performance.now()): void {
    this.settings = settings;
    this.start = this.lastWrite = now;
    this.wroteAny = false;
    const at = this.next();
    if (at < 0) return;
    if (this.timer !== undefined) {
      if (this.timerAt <= at) return; // fires in time; re-armed then for what is left
      clearTimeout(this.timer);
    }
    this.arm(at);
  }

  wrote(): void {
    this.wroteAny = true;
    this.lastWrite = performance.now();
  }

  /** The request is over; the timer may stay for the next one (it does nothing when it finds none). */
  end(): void {
    this.settings = undefined;
  }

  /** No further request: the timer goes. */
  done(): void {
    this.settings = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The earliest deadline of the current request (its kind in nextKind), or -1 when none applies. */
  private next(): number {
    const s = this.settings;
    if (s === undefined) return -1;
    let at = -1;
    if (s.totalMs > 0) {
      at = this.start + s.totalMs;
      this.nextKind = TOTAL;
    }
    if (s.responseStartMs > 0 && !this.wroteAny && (at < 0 || this.start + s.responseStartMs < at)) {
      at = this.start + s.responseStartMs;
      this.nextKind = RESPONSE_START;
    }
    if (s.idleMs > 0 && (at < 0 || this.lastWrite + s.idleMs < at)) {
      at = this.lastWrite + s.idleMs;
      this.nextKind = IDLE;
    }
    return at;
  }

  private arm(at: number): void {
    this.timerAt = at;
    this.timer = setTimeout(this.fire, Math.max(0, at - performance.now()));
  }

  private check(): void {
    this.timer = undefined;
    const at = this.next();
    if (at < 0) return;
    if (performance.now() >= at - 1) {
      this.settings = undefined;
      this.onTimeout(KINDS[this.nextKind]);
    } else this.arm(at);
  }
}
