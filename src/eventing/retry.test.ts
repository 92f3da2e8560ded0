// Knative's retry rules (pkg/kncloudevents/retries.go) as tables, with an injected clock for Retry-After dates.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs, isRetryable, parseIsoDuration, retryConfig, retryAfterMs } from './retry.ts';

test('ISO-8601 durations', () => {
  const rows: [string, number][] = [['PT0.2S', 200], ['PT1S', 1000], ['PT1M30S', 90_000], ['PT2H', 7_200_000], ['P1D', 86_400_000], ['P1W', 604_800_000], ['PT0,5S', 500]];
  for (const [s, ms] of rows) assert.equal(parseIsoDuration(s), ms, s);
  for (const bad of ['', 'P', 'PT', '1S', 'PT1X', 'T1S']) assert.throws(() => parseIsoDuration(bad), /invalid ISO-8601 duration/, bad);
});

test('which statuses are retried (the data-plane spec table)', () => {
  const rows: [number, boolean][] = [[-1, true], [200, false], [202, false], [400, false], [401, false], [403, false], [404, true], [408, true], [409, true], [410, false], [429, true], [500, true], [503, true], [599, true]];
  for (const [status, want] of rows) assert.equal(isRetryable(status), want, String(status));
});

test('backoff: linear = delay × n, exponential = delay × 2^n (n from 0), none without policy and delay', () => {
  const lin = retryConfig({ retry: 3, backoffPolicy: 'linear', backoffDelay: 'PT0.5S' });
  const exp = retryConfig({ retry: 3, backoffPolicy: 'exponential', backoffDelay: 'PT0.5S' });
  const none = retryConfig({ retry: 3, backoffDelay: 'PT0.5S' });
  const now = 1_000_000;
  assert.deepEqual([0, 1, 2].map((n) => backoffMs(lin, n, 500, undefined, now)), [0, 500, 1000]);
  assert.deepEqual([0, 1, 2].map((n) => backoffMs(exp, n, 500, undefined, now)), [500, 1000, 2000]);
  assert.deepEqual([0, 1].map((n) => backoffMs(none, n, 500, undefined, now)), [0, 0]);
  assert.equal(exp.retryMax, 3);
  assert.equal(retryConfig(undefined).retryMax, 0);
});

test('Retry-After on 429/503 only with retryAfterMax set, capped by it, when longer than the backoff', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const optIn = retryConfig({ retry: 1, backoffPolicy: 'exponential', backoffDelay: 'PT0.1S', retryAfterMax: 'PT5S' });
  const optOut = retryConfig({ retry: 1, backoffPolicy: 'exponential', backoffDelay: 'PT0.1S' });
  assert.equal(backoffMs(optIn, 0, 429, '3', now), 3000);
  assert.equal(backoffMs(optIn, 0, 503, '30', now), 5000);
  assert.equal(backoffMs(optIn, 0, 500, '3', now), 100, 'not on a 500');
  assert.equal(backoffMs(optOut, 0, 429, '3', now), 100, 'not without retryAfterMax');
  assert.equal(backoffMs(optIn, 0, 429, 'Thu, 01 Jan 2026 00:00:02 GMT', now), 2000);
  assert.equal(retryAfterMs('soon', now), 0);
});
