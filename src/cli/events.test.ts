// describeEvents: kubectl describe's Events section (Type, Reason, Age with repeats, From, Message).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEvents } from './events.ts';

const now = Date.parse('2026-01-01T00:10:00Z');

test('no events: Events:  <none>', () => {
  assert.equal(describeEvents([], now), 'Events:  <none>\n');
});

test('oldest first by last time; repeats as "AGE (xN over FIRST)"; From is the source component, else the reporting controller', () => {
  const out = describeEvents([
    { type: 'Warning', reason: 'InternalError', message: ' boom \n', count: 3, firstTimestamp: '2026-01-01T00:00:00Z', lastTimestamp: '2026-01-01T00:09:30Z', source: { component: 'service-controller' } },
    { type: 'Normal', reason: 'Created', message: 'Created Configuration "foo"', count: 1, firstTimestamp: '2026-01-01T00:05:00Z', lastTimestamp: '2026-01-01T00:05:00Z', reportingController: 'service-controller' },
  ], now);
  assert.equal(out, [
    'Events:',
    '  Type     Reason         Age                From                Message',
    '  ----     ------         ----               ----                -------',
    '  Normal   Created        5m                 service-controller  Created Configuration "foo"',
    '  Warning  InternalError  30s (x3 over 10m)  service-controller  boom',
    '',
  ].join('\n'));
});
