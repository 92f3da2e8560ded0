// Tests of kn's ages (AGE columns, describe ages) and the progress-line prefix.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeAge, progressSeconds, tableAge } from './duration.ts';

describe('timestamps', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  it('AGE of a table is <unknown> without a timestamp', () => {
    assert.equal(tableAge(undefined, now), '<unknown>');
    assert.equal(tableAge('2024-05-01T11:57:18Z', now), '2m42s');
  });
  it('describe ages are empty without a timestamp', () => {
    assert.equal(describeAge(undefined, now), '');
    assert.equal(describeAge('2024-05-01T11:55:00Z', now), '5m');
  });
  it('progress prefix is %7.3fs', () => {
    assert.equal(progressSeconds(34), '  0.034s');
    assert.equal(progressSeconds(4512.4), '  4.512s');
    assert.equal(progressSeconds(575648), '575.648s');
    assert.equal(progressSeconds(0), '  0.000s');
  });
});
