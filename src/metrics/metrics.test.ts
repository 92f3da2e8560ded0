// KnitMetrics with a real dispatcher and store: request series per code, cold starts counted once per scale
// from zero, series dropped with their revision, gauges read at scrape time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Endpoint, QueueBound, RevisionDispatcher, type DispatcherSettings } from '../dataplane/dispatcher.ts';
import { Store } from '../store/store.ts';
import { KnitMetrics, type InstancesView } from './metrics.ts';

const settings: DispatcherSettings = { containerConcurrency: 0, timeouts: { totalMs: 10_000, responseStartMs: 0, idleMs: 0 }, protocol: 'http1' };

function setup(): { store: Store; d: RevisionDispatcher; live: Set<string>; metrics: KnitMetrics } {
  const store = new Store(':memory:');
  store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } } as never);
  store.create('revisions', {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Revision',
    metadata: { name: 'foo-00001', namespace: 'default', labels: { 'serving.knative.dev/service': 'foo', 'serving.knative.dev/configuration': 'foo' } },
    spec: {},
  } as never);
  const d = new RevisionDispatcher('default/foo-00001', settings, new QueueBound());
  const live = new Set(['default/foo-00001']);
  const instances: InstancesView = {
    keys: () => [...live],
    has: (k) => live.has(k),
    status: () => undefined,
    pods: () => [],
    dispatcher: (k) => (k === 'default/foo-00001' ? d : undefined),
  };
  const metrics = new KnitMetrics({ instances, scaler: { snapshot: () => ({ requestedScale: 1, desiredScale: 1 }) }, store });
  d.observer = metrics.observer('default/foo-00001');
  return { store, d, live, metrics };
}

function value(text: string, line: RegExp): number | undefined {
  const m = line.exec(text);
  return m ? Number(m[1]) : undefined;
}

test('requests are counted per response code with the revision\'s service and configuration labels', async () => {
  const { d, metrics, store } = setup();
  try {
    d.observer!.request(200, 12, 10, false);
    d.observer!.request(200, 30, 5, true);
    d.observer!.request(503, 2, -1, true);
    const text = await metrics.text();
    const base = 'namespace_name="default",service_name="foo",configuration_name="foo",revision_name="foo-00001"';
    assert.equal(value(text, new RegExp(`^revision_request_count_total\\{${base},response_code="200",response_code_class="2xx"\\} (\\d+)$`, 'm')), 2);
    assert.equal(value(text, new RegExp(`^revision_request_count_total\\{${base},response_code="503",response_code_class="5xx"\\} (\\d+)$`, 'm')), 1);
    assert.equal(value(text, /^revision_app_request_count_total\{[^}]*response_code="503"[^}]*\} (\d+)$/m), undefined, 'knit\'s own 503 is not the app\'s');
    assert.equal(value(text, /^activator_request_count_total\{[^}]*response_code="200"[^}]*\} (\d+)$/m), 1);
    assert.equal(value(text, /^revision_request_latencies_sum\{[^}]*response_code="200"[^}]*\} (\d+)$/m), 42);
    assert.equal(value(text, /^autoscaler_requested_pods\{[^}]*\} (\d+)$/m), 1);
  } finally {
    store.close();
  }
});

test('a cold start is one observation per scale from zero, at the first byte of a new endpoint', async () => {
  const { d, metrics, store } = setup();
  try {
    const admitted: Endpoint[] = [];
    for (let i = 0; i < 3; i++) d.acquire(0, (l) => l.endpoint !== undefined && admitted.push(l.endpoint));
    const a = new Endpoint('a', '127.0.0.1', 1);
    const b = new Endpoint('b', '127.0.0.1', 2);
    d.setEndpoints([a, b]);
    assert.equal(admitted.length, 3);
    d.firstByte(a);
    d.firstByte(b);
    d.firstByte(a);
    let text = await metrics.text();
    assert.equal(value(text, /^revision_cold_start_latencies_count\{[^}]*revision_name="foo-00001"[^}]*\} (\d+)$/m), 1);
    // Warm: endpoints present, nothing is a cold start.
    const c = new Endpoint('c', '127.0.0.1', 3);
    d.setEndpoints([a, b, c]);
    d.firstByte(c);
    // Back at zero, the only waiter leaves before an instance comes: no cold start either.
    d.setEndpoints([]);
    d.acquire(0, () => {}).release();
    const e = new Endpoint('e', '127.0.0.1', 4);
    d.setEndpoints([e]);
    d.firstByte(e);
    text = await metrics.text();
    assert.equal(value(text, /^revision_cold_start_latencies_count\{[^}]*\} (\d+)$/m), 1);
    // A real second scale from zero.
    d.setEndpoints([]);
    d.acquire(0, () => {});
    const f = new Endpoint('f', '127.0.0.1', 5);
    d.setEndpoints([f]);
    d.firstByte(f);
    text = await metrics.text();
    assert.equal(value(text, /^revision_cold_start_latencies_count\{[^}]*\} (\d+)$/m), 2);
    d.close();
  } finally {
    store.close();
  }
});

test('a deleted revision\'s series go at the next scrape; a live one\'s stay', async () => {
  const { d, metrics, live, store } = setup();
  try {
    d.observer!.request(200, 1, 1, false);
    assert.match(await metrics.text(), /revision_request_count_total\{[^}]*revision_name="foo-00001"/);
    assert.match(await metrics.text(), /revision_request_count_total\{[^}]*revision_name="foo-00001"/, 'scraping twice keeps counters');
    live.delete('default/foo-00001');
    const text = await metrics.text();
    assert.doesNotMatch(text, /revision_name="foo-00001"/);
    assert.match(text, /^# TYPE revision_request_count_total counter$/m);
  } finally {
    store.close();
  }
});
