// The clock and timers the PingSource adapter runs on: real timers by default, any other
// implementation (a simulated clock in tests) through the controller factory.

/** A clock with one-shot timers at absolute times. */
export interface Timers {
  now(): Date;
  /** Calls `fn` once at `at` (at once if `at` is past); the result cancels it. */
  at(at: Date, fn: () => void): () => void;
}

/** setTimeout allows at most 2^31-1 ms; longer waits are re-armed. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** Timers on the process clock (`now` is the EventingContext's). */
export function realTimers(now: () => Date): Timers {
  return {
    now,
    at(at, fn) {
      let timer: NodeJS.Timeout | undefined;
      let cancelled = false;
      const arm = (): void => {
        const delay = at.getTime() - now().getTime();
        if (delay <= 0) {
          if (!cancelled) fn();
          return;
        }
        timer = setTimeout(arm, Math.min(delay, MAX_DELAY_MS));
        timer.unref();
      };
      arm();
      return () => {
        cancelled = true;
        if (timer) clearTimeout(timer);
      };
    },
  };
}
