// Trigger filters: spec.filter.attributes, the spec.filters dialects, and which one applies
// (after knative/eventing pkg/broker/filter and pkg/eventfilter behaviour, cases rewritten).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { triggerMatches, compileTriggerFilter } from './filters.ts';
import type { TriggerSpec, SubscriptionsAPIFilter } from './types.ts';
import type { EventRecord } from './cloudevents.ts';

const EVENT: EventRecord = { attributes: { specversion: '1.0', id: 'abc', source: 'https://shop.example/orders', type: 'com.shop.order.created', datacontenttype: 'application/json; charset=utf-8', region: 'eu' } };
const spec = (s: Partial<TriggerSpec>): TriggerSpec => ({ broker: 'default', subscriber: { uri: 'http://x' }, ...s });
const withFilters = (...filters: SubscriptionsAPIFilter[]): TriggerSpec => spec({ filters });

test('no filter, empty filter: everything passes', () => {
  assert.equal(triggerMatches(spec({}), EVENT), true);
  assert.equal(triggerMatches(spec({ filter: {} }), EVENT), true);
  assert.equal(triggerMatches(spec({ filter: { attributes: {} } }), EVENT), true);
  assert.equal(triggerMatches(withFilters(), EVENT), true);
});

test('attributes filter: exact values, "" means any non-empty value, missing extension fails', () => {
  const cases: [Record<string, string>, boolean][] = [
    [{ type: 'com.shop.order.created' }, true],
    [{ type: 'com.shop.order.deleted' }, false],
    [{ type: 'com.shop.order.created', source: 'https://shop.example/orders' }, true],
    [{ type: '' }, true],
    [{ subject: '' }, false], // unset context attribute: empty, so "any" does not match
    [{ subject: 'x' }, false],
    [{ region: 'eu' }, true],
    [{ region: 'us' }, false],
    [{ region: '' }, true],
    [{ tenant: '' }, false],
    [{ tenant: 'a' }, false],
    [{ datamediatype: 'application/json' }, true],
    [{ schemaurl: '' }, false],
  ];
  for (const [attributes, want] of cases) assert.equal(triggerMatches(spec({ filter: { attributes } }), EVENT), want, JSON.stringify(attributes));
});

test('exact, prefix, suffix dialects', () => {
  const cases: [SubscriptionsAPIFilter, boolean][] = [
    [{ exact: { type: 'com.shop.order.created' } }, true],
    [{ exact: { type: 'com.shop.order' } }, false],
    [{ exact: { tenant: 'a' } }, false],
    [{ prefix: { type: 'com.shop.' } }, true],
    [{ prefix: { type: 'org.' } }, false],
    [{ suffix: { source: '/orders' } }, true],
    [{ suffix: { source: '/users' } }, false],
    [{ prefix: { type: 'com.', source: 'http:' } }, false],
    // Knative drops a dialect with an empty value (NewExactFilter refuses it): no constraint.
    [{ exact: { type: '' } }, true],
  ];
  for (const [f, want] of cases) assert.equal(triggerMatches(withFilters(f), EVENT), want, JSON.stringify(f));
});

test('all, any, not, cesql nest; the filters list is an all', () => {
  const created: SubscriptionsAPIFilter = { exact: { type: 'com.shop.order.created' } };
  const us: SubscriptionsAPIFilter = { exact: { region: 'us' } };
  const cases: [SubscriptionsAPIFilter[], boolean][] = [
    [[{ all: [created, { prefix: { source: 'https://' } }] }], true],
    [[{ all: [created, us] }], false],
    [[{ any: [us, created] }], true],
    [[{ any: [us, { exact: { region: 'ap' } }] }], false],
    [[{ not: us }], true],
    [[{ not: created }], false],
    [[{ not: { not: created } }], true],
    [[{ not: {} }], true],
    [[created, us], false],
    [[created, { not: us }], true],
    [[{ cesql: "region = 'eu' AND type LIKE '%.created'" }], true],
    [[{ cesql: "region = 'us'" }], false],
    [[{ cesql: 'tenant = 1' }], false], // missing attribute: an error, so no match
    [[{ cesql: 'TRUE OR tenant = 1' }], true],
    [[{ any: [{ cesql: 'FALSE' }, { all: [created, { not: { cesql: "region = 'us'" } }] }] }], true],
  ];
  for (const [filters, want] of cases) assert.equal(triggerMatches(withFilters(...filters), EVENT), want, JSON.stringify(filters));
});

test('filters, when set, replace filter', () => {
  const s = spec({ filter: { attributes: { type: 'nope' } }, filters: [{ exact: { region: 'eu' } }] });
  assert.equal(triggerMatches(s, EVENT), true);
  const t = spec({ filter: { attributes: { type: 'com.shop.order.created' } }, filters: [{ exact: { region: 'us' } }] });
  assert.equal(triggerMatches(t, EVENT), false);
  // An empty list does not count as set.
  assert.equal(triggerMatches(spec({ filter: { attributes: { type: 'nope' } }, filters: [] }), EVENT), false);
});

test('time compares as Go formats it (fraction zeros dropped)', () => {
  const ev: EventRecord = { attributes: { ...EVENT.attributes, time: '2026-03-01T10:00:00.500000Z' } };
  assert.equal(triggerMatches(withFilters({ exact: { time: '2026-03-01T10:00:00.5Z' } }), ev), true);
  assert.equal(triggerMatches(spec({ filter: { attributes: { time: '2026-03-01T10:00:00.500000Z' } } }), ev), false);
});

test('compiled filter is reusable across events', () => {
  const p = compileTriggerFilter(withFilters({ prefix: { type: 'com.shop.' } }));
  assert.equal(p(EVENT), true);
  assert.equal(p({ attributes: { ...EVENT.attributes, type: 'org.other' } }), false);
});
