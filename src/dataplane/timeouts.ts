// Per-request timeouts as Knative's timeout handler applies them (knative/serving pkg/http/handler/timeout.go):
// total, response start and idle, with one timer re-armed to the nearest deadline.

/** Timeout settings of a revision, in milliseconds (0 = off). */
export interface TimeoutSettings {
  totalMs: number;
  responseStartMs: number;
  idleMs: number;
}

export type TimeoutKind = 'total' | 'responseStart' | 'idle';

/** One request's clock: call `wrote()` on every byte sent to the client, `done()` at the end. */
export class RequestTimeouts {
  private readonly settings: TimeoutSettings;
  private readonly start: number;
  private lastWrite: number;
  private wroteAny = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly onTimeout: (kind: TimeoutKind) => void;

  constructor(settings: TimeoutSettings, onTimeout: (kind: TimeoutKind) => void) {
    this.settings = settings;
    this.onTimeout = onTimeout;
    this.start = this.lastWrite = performance.now();
    this.arm();
  }

  wrote(): void {
    this.wroteAny = true;
    this.lastWrite = performance.now();
  }

  done(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The earliest deadline and its kind, or undefined when no timeout applies. */
  private next(): { at: number; kind: TimeoutKind } | undefined {
    const { totalMs, responseStartMs, idleMs } = this.settings;
    let best: { at: number; kind: TimeoutKind } | undefined;
    const consider = (at: number, kind: TimeoutKind): void => {
      if (!best || at < best.at) best = { at, kind };
    };
    if (totalMs > 0) consider(this.start + totalMs, 'total');
    if (responseStartMs > 0 && !this.wroteAny) consider(this.start + responseStartMs, 'responseStart');
    if (idleMs > 0) consider(this.lastWrite + idleMs, 'idle');
    return best;
  }

  private arm(): void {
    const n = this.next();
    if (!n) return;
    this.timer = setTimeout(() => this.check(), Math.max(0, n.at - performance.now()));
  }

  private check(): void {
    this.timer = undefined;
    const n = this.next();
    if (!n) return;
    if (performance.now() >= n.at - 1) this.onTimeout(n.kind);
    else this.arm();
  }
}
