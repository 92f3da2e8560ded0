// Tests for the Go value parsers and printers: durations, quantities.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoDuration, parseGoDuration, parseQuantity } from './go-values.ts';

const durationRows: [string, bigint | null][] = [
  ['0', 0n], ['60s', 60_000_000_000n], ['1h', 3_600_000_000_000n], ['1.5s', 1_500_000_000n], ['1m30s', 90_000_000_000n],
  ['-1s', -1_000_000_000n], ['+2ms', 2_000_000n], ['300us', 300_000n], ['1µs', 1_000n], ['1.s', 1_000_000_000n], ['.5h', 1_800_000_000_000n],
  ['', null], ['60', null], ['1d', null], ['s', null], ['.s', null], ['1.2.3s', null], ['1 s', null],
];
for (const [input, want] of durationRows) {
  test(`parseGoDuration(${JSON.stringify(input)})`, () => assert.equal(parseGoDuration(input), want));
}

const formatRows: [bigint, string][] = [
  [0n, '0s'], [6_000_000_000n, '6s'], [3_600_000_000_000n, '1h0m0s'], [90_000_000_000n, '1m30s'], [6_500_000_000n, '6.5s'],
  [1_500_000n, '1.5ms'], [-1_000_000_000n, '-1s'], [999n, '999ns'],
];
for (const [input, want] of formatRows) {
  test(`formatGoDuration(${input})`, () => assert.equal(formatGoDuration(input), want));
}

const quantityRows: [string | number, number | null][] = [
  ['128Mi', 128 * 2 ** 20], ['250m', 0.25], ['1', 1], [2, 2], ['1G', 1e9], ['1e3', 1000], ['0.5Gi', 2 ** 29], ['+1k', 1000],
  ['lots', null], ['1Mb', null], ['', null], ['1.2.3', null],
];
for (const [input, want] of quantityRows) {
  test(`parseQuantity(${JSON.stringify(input)})`, () => assert.equal(parseQuantity(input), want));
}
