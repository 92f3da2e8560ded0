// The in-memory event recorder: repeats fold into one entry with a count, and only the last N stay.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryEventRecorder } from './events.ts';

const svc = (name: string) => ({ kind: 'Service', metadata: { name, namespace: 'default', uid: `uid-${name}` } });

test('a repeated event bumps count and lastTimestamp, keeping firstTimestamp', () => {
  let t = 0;
  const rec = new MemoryEventRecorder(10, () => new Date(Date.UTC(2026, 0, 1, 0, 0, t++)));
  rec.event(svc('a'), 'Normal', 'Created', 'Created Configuration "a"');
  rec.event(svc('a'), 'Normal', 'Created', 'Created Configuration "a"');
  rec.event(svc('a'), 'Warning', 'InternalError', 'boom');
  const [created, failed] = rec.list();
  assert.equal(rec.list().length, 2);
  assert.deepEqual(
    { ...created },
    {
      namespace: 'default',
      involvedObject: { kind: 'Service', name: 'a', uid: 'uid-a' },
      type: 'Normal',
      reason: 'Created',
      message: 'Created Configuration "a"',
      count: 2,
      firstTimestamp: '2026-01-01T00:00:00Z',
      lastTimestamp: '2026-01-01T00:00:01Z',
    },
  );
  assert.equal(failed.count, 1);
});

test('only the last N distinct events are kept; a repeat counts as recent', () => {
  const rec = new MemoryEventRecorder(2);
  rec.event(svc('a'), 'Normal', 'Created', 'a');
  rec.event(svc('b'), 'Normal', 'Created', 'b');
  rec.event(svc('a'), 'Normal', 'Created', 'a');
  rec.event(svc('c'), 'Normal', 'Created', 'c');
  assert.deepEqual(rec.list().map((e) => `${e.message}x${e.count}`), ['ax2', 'cx1']);
});
