// Delivery retries as Knative's dispatcher does them (knative/eventing pkg/kncloudevents/retries.go
// RetryConfigFromDeliverySpec, SelectiveRetry, generateBackoffFn, parseRetryAfterDuration): which answers are
// retried, how long to wait before each retry, and the per-attempt timeout.

import type { DeliverySpec } from './types.ts';

/** A DeliverySpec compiled once: numbers in milliseconds. */
export interface RetryConfig {
  /** Retries after the first attempt (spec.retry; 0 = none). */
  retryMax: number;
  policy: 'linear' | 'exponential' | undefined;
  /** backoffDelay; 0 when policy or delay is unset (Knative's no-retries backoff waits 0). */
  delayMs: number;
  /** Per-attempt timeout; 0 = none. */
  timeoutMs: number;
  /** retryAfterMax: undefined = Retry-After is not honoured (Knative's opt-in, delivery-retryafter). */
  retryAfterMaxMs: number | undefined;
}

const ISO_DURATION = /^P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

/**
 * An ISO-8601 duration (`PT0.2S`, `PT1M`, `P1D`) in milliseconds, as github.com/rickb777/date period.Parse and
 * Duration read it (a year is 365.2425 days, a month 1/12 of that). Throws on anything else.
 */
export function parseIsoDuration(s: string): number {
  const m = ISO_DURATION.exec(s.trim().toUpperCase());
  if (!m || s.trim().toUpperCase() === 'P' || s.trim().toUpperCase().endsWith('T')) throw new Error(`invalid ISO-8601 duration ${JSON.stringify(s)}`);
  const n = (i: number): number => (m[i] === undefined ? 0 : Number(m[i].replace(',', '.')));
  const day = 86_400_000;
  const year = 365.2425 * day;
  return Math.round(n(1) * year + (n(2) * year) / 12 + n(3) * 7 * day + n(4) * day + n(5) * 3_600_000 + n(6) * 60_000 + n(7) * 1000);
}

/** RetryConfigFromDeliverySpec (durations already validated by admission; a bad one throws). */
export function retryConfig(spec: DeliverySpec | undefined): RetryConfig {
  const s = spec ?? {};
  const hasBackoff = s.backoffPolicy !== undefined && s.backoffDelay !== undefined;
  return {
    retryMax: s.retry !== undefined && s.retry > 0 ? Math.floor(s.retry) : 0,
    policy: hasBackoff ? s.backoffPolicy : undefined,
    delayMs: hasBackoff ? parseIsoDuration(s.backoffDelay!) : 0,
    timeoutMs: s.timeout !== undefined ? parseIsoDuration(s.timeout) : 0,
    retryAfterMaxMs: s.retryAfterMax !== undefined ? parseIsoDuration(s.retryAfterMax) : undefined,
  };
}

/**
 * SelectiveRetry: 5xx, 404, 408, 409 and 429 are retried, and so is a failure to get any answer (status -1:
 * refused, reset, timed out); other statuses are not (the data-plane spec's table).
 */
export function isRetryable(status: number): boolean {
  return status === -1 || status >= 500 || status === 404 || status === 408 || status === 409 || status === 429;
}

/** isFailure: anything outside 2xx. */
export function isFailure(status: number): boolean {
  return status < 200 || status >= 300;
}

/** parseRetryAfterDuration: delay-seconds or an HTTP-date, in ms; 0 when absent or invalid. */
export function retryAfterMs(header: string | undefined, now: number): number {
  if (header === undefined || header === '') return 0;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const t = Date.parse(header);
  return Number.isNaN(t) ? 0 : Math.max(0, t - now);
}

/**
 * generateBackoffFn: the wait before retry number `retry` (0 for the first retry, as go-retryablehttp counts):
 * linear = delay × retry, exponential = delay × 2^retry; on 429/503 the Retry-After wait (capped by
 * retryAfterMax) when it is longer and retryAfterMax is set.
 */
export function backoffMs(cfg: RetryConfig, retry: number, status: number, retryAfter: string | undefined, now: number): number {
  let backoff = 0;
  if (cfg.policy === 'exponential') backoff = cfg.delayMs * 2 ** retry;
  else if (cfg.policy === 'linear') backoff = cfg.delayMs * retry;
  if (cfg.retryAfterMaxMs !== undefined && (status === 429 || status === 503)) {
    const ra = Math.min(retryAfterMs(retryAfter, now), cfg.retryAfterMaxMs);
    if (ra > backoff) return ra;
  }
  return backoff;
}
