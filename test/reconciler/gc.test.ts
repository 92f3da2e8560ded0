// Table test of revision GC: the cases of knative/serving pkg/reconciler/gc/gc_test.go (TestCollectMin, TestCollectMax,
// TestCollectSettings, TestGCInOrder, TestIsRevisionStale) against a real in-memory store at an injected clock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GC_DISABLED, type GCConfig } from '../../src/api/config.ts';
import { rfc3339 } from '../../src/api/time.ts';
import type { Configuration, Revision } from '../../src/api/types.ts';
import { controllerRef, type ControllerContext, type Instances } from '../../src/controllers/context.ts';
import { MemoryEventRecorder } from '../../src/controllers/events.ts';
import { DEFAULT_GC, RevisionCollector } from '../../src/controllers/gc.ts';
import { Store } from '../../src/store/store.ts';
import { DEFAULT_SETTINGS, RecordingRouting } from './table.ts';

const NOW = Date.parse('2026-03-04T05:06:07Z');
const MIN = 60_000;
const OLD = NOW - 11 * MIN;
const OLDER = NOW - 12 * MIN;
const OLDEST = NOW - 13 * MIN;
/** Knative's fixtures leave creationTimestamp unset (the zero time): long before every retain window. */
const LONG_AGO = NOW - 30 * 24 * 60 * MIN;

interface Rev {
  name: string;
  /** serving.knative.dev/routingState; undefined: no label (RoutingStateUnset). */
  state?: 'active' | 'reserve' | 'pending';
  /** routingStateModified (WithRoutingState sets it to now, WithRoutingStateModified overrides). */
  modified?: number;
  created?: number;
  /** No routingStateModified annotation even with a state (TestIsRevisionStale's bare revisions). */
  unmodified?: boolean;
  noGC?: boolean;
}

interface GCRow {
  name: string;
  gc: GCConfig;
  latestReady?: string;
  revs: Rev[];
  wantDeletes: string[];
  /** The wait collect asks for (ms), when a kept revision turns stale later. */
  wantRecheck?: number;
}

const MIN_CASE: GCConfig = { retainSinceCreateTimeSeconds: 300, retainSinceLastActiveTimeSeconds: 300, minNonActiveRevisions: 1, maxNonActiveRevisions: GC_DISABLED };
const MAX_CASE: GCConfig = { retainSinceCreateTimeSeconds: 3600, retainSinceLastActiveTimeSeconds: 3600, minNonActiveRevisions: 1, maxNonActiveRevisions: 2 };
const SETTINGS_REVS: Rev[] = [
  { name: '5554', state: 'reserve', modified: OLDEST },
  { name: '5555', state: 'reserve', modified: OLDER },
  { name: '5556', state: 'active', modified: OLD },
];
const ORDER_REVS: Rev[] = [
  { name: '5553', state: 'reserve', modified: NOW - 15 * MIN },
  { name: '5554', state: 'reserve', modified: NOW - 14 * MIN },
  { name: '5555', state: 'reserve', modified: NOW - 13 * MIN },
  { name: '5556', state: 'reserve', modified: NOW - 12 * MIN },
  { name: '5557', state: 'active', modified: NOW - 11 * MIN },
];
const NO_TIME: Pick<GCConfig, 'retainSinceCreateTimeSeconds' | 'retainSinceLastActiveTimeSeconds'> = { retainSinceCreateTimeSeconds: GC_DISABLED, retainSinceLastActiveTimeSeconds: GC_DISABLED };

const rows: GCRow[] = [
  // TestCollectMin
  { name: 'min: too few revisions', gc: MIN_CASE, latestReady: '5556', revs: [{ name: '5556', state: 'active', created: OLD }], wantDeletes: [] },
  {
    name: 'min: delete oldest, keep one recent, one active', gc: MIN_CASE, latestReady: '5556',
    revs: [{ name: '5554', state: 'reserve', modified: OLDEST }, { name: '5555', state: 'reserve', modified: OLDER }, { name: '5556', state: 'active', modified: OLD }],
    wantDeletes: ['5554'],
  },
  {
    name: 'min: no latest ready, one active', gc: MIN_CASE,
    revs: [{ name: '5554', state: 'reserve', modified: OLDEST }, { name: '5555', state: 'reserve', modified: OLDER }, { name: '5556', state: 'active', modified: OLD }],
    wantDeletes: ['5554'],
  },
  {
    name: 'min: keep oldest when none Reserved', gc: MIN_CASE, latestReady: '5556',
    revs: [{ name: '5554', state: 'pending', created: OLDEST }, { name: '5555', created: OLDER }, { name: '5556', state: 'active', created: OLD }],
    wantDeletes: [],
  },
  {
    name: 'min: none stale (recently active), looked at again when the oldest turns stale', gc: MIN_CASE,
    revs: [{ name: '5554', state: 'reserve', modified: NOW }, { name: '5555', state: 'reserve', modified: NOW }, { name: '5556', state: 'reserve', modified: NOW }],
    wantDeletes: [], wantRecheck: 5 * MIN,
  },
  {
    name: 'min: keep oldest because of the preserve annotation (serving.knative.dev/no-gc)', gc: MIN_CASE,
    revs: [{ name: '5554', state: 'reserve', modified: OLDEST, noGC: true }, { name: '5555', state: 'reserve', modified: OLDER }, { name: '5556', state: 'reserve', modified: OLD }],
    wantDeletes: ['5555'],
  },
  // TestCollectMax
  {
    name: 'max: at max', gc: MAX_CASE, latestReady: '5556',
    revs: [{ name: '5554', state: 'reserve', modified: OLDER }, { name: '5555', state: 'reserve', modified: OLDER }, { name: '5556', state: 'active', modified: OLD }],
    wantDeletes: [], wantRecheck: 48 * MIN,
  },
  {
    name: 'max: delete oldest, keep three max', gc: MAX_CASE, latestReady: '5556',
    revs: [{ name: '5553', state: 'reserve', modified: OLDEST }, { name: '5554', state: 'reserve', modified: OLDER }, { name: '5555', state: 'reserve', modified: OLDER }, { name: '5556', state: 'active', modified: OLD }],
    wantDeletes: ['5553'], wantRecheck: 48 * MIN,
  },
  {
    name: 'max: over max, all active (routed revisions are kept)', gc: MAX_CASE, latestReady: '5556',
    revs: [{ name: '5553', state: 'active' }, { name: '5554', state: 'active' }, { name: '5555', state: 'active' }, { name: '5556', state: 'active' }],
    wantDeletes: [],
  },
  // TestCollectSettings
  { name: 'settings: all disabled', gc: { ...NO_TIME, minNonActiveRevisions: 1, maxNonActiveRevisions: GC_DISABLED }, latestReady: '5556', revs: SETTINGS_REVS, wantDeletes: [] },
  { name: 'settings: staleness disabled', gc: { ...NO_TIME, minNonActiveRevisions: 0, maxNonActiveRevisions: 1 }, latestReady: '5556', revs: SETTINGS_REVS, wantDeletes: ['5554'] },
  {
    name: 'settings: max disabled', gc: { retainSinceCreateTimeSeconds: GC_DISABLED, retainSinceLastActiveTimeSeconds: 60, minNonActiveRevisions: 1, maxNonActiveRevisions: GC_DISABLED },
    latestReady: '5556', revs: SETTINGS_REVS, wantDeletes: ['5554'],
  },
  // TestGCInOrder
  { name: 'order: retain one item', gc: { ...NO_TIME, minNonActiveRevisions: 1, maxNonActiveRevisions: 1 }, latestReady: '5557', revs: ORDER_REVS, wantDeletes: ['5553', '5554', '5555'] },
  { name: 'order: retain two items', gc: { ...NO_TIME, minNonActiveRevisions: 2, maxNonActiveRevisions: 2 }, latestReady: '5557', revs: ORDER_REVS, wantDeletes: ['5553', '5554'] },
  // TestIsRevisionStale, through collect (min 0, two revisions so one is never the only one)
  ...([
    ['stale create time', { created: NOW - 10 * MIN, unmodified: true }, true],
    ['fresh create time', { created: NOW, unmodified: true }, false],
    ['stale routingStateModified', { created: NOW - 10 * MIN, modified: NOW - 10 * MIN }, true],
    ['fresh routingStateModified', { created: NOW - 10 * MIN, modified: NOW }, false],
  ] as const).map(([name, r, stale]): GCRow => ({
    name: `stale: ${name}`,
    gc: { retainSinceCreateTimeSeconds: 300, retainSinceLastActiveTimeSeconds: 300, minNonActiveRevisions: 0, maxNonActiveRevisions: GC_DISABLED },
    latestReady: 'latest',
    revs: [{ name: 'myrev', state: 'reserve', ...r }, { name: 'latest', state: 'active' }],
    wantDeletes: stale ? ['myrev'] : [],
    wantRecheck: stale ? undefined : 5 * MIN,
  })),
  // config-gc's shipped values: 20 non-active revisions are kept however old.
  {
    name: 'defaults: 21 old reserve revisions, the oldest goes', gc: DEFAULT_GC, latestReady: 'r99',
    revs: [...Array.from({ length: 21 }, (_, i): Rev => ({ name: `r${String(i).padStart(2, '0')}`, state: 'reserve', modified: LONG_AGO + i * MIN })), { name: 'r99', state: 'active' }],
    wantDeletes: ['r00'],
  },
];

for (const row of rows) {
  test(`gc: ${row.name}`, async () => {
    let clock = NOW;
    const store = new Store(':memory:', () => new Date(clock));
    const removed: string[] = [];
    const instances = {
      remove: async (key: string) => { removed.push(key); },
    } as unknown as Instances;
    try {
      clock = LONG_AGO;
      const config = store.create<Configuration>('configurations', {
        apiVersion: 'serving.knative.dev/v1', kind: 'Configuration', metadata: { name: 'foo', namespace: 'default' },
        spec: { template: { spec: { containers: [{ image: 'busybox' }] } } },
      });
      if (row.latestReady) {
        config.status = { latestCreatedRevisionName: row.latestReady, latestReadyRevisionName: row.latestReady };
        store.update('configurations', config, { subresource: 'status' });
      }
      for (const r of row.revs) {
        clock = r.created ?? LONG_AGO;
        const labels: Record<string, string> = { 'serving.knative.dev/configuration': 'foo' };
        if (r.state) labels['serving.knative.dev/routingState'] = r.state;
        const annotations: Record<string, string> = {};
        const modified = r.unmodified ? undefined : r.modified ?? (r.state ? NOW : undefined);
        if (modified !== undefined) annotations['serving.knative.dev/routingStateModified'] = rfc3339(new Date(modified));
        if (r.noGC) annotations['serving.knative.dev/no-gc'] = 'true';
        store.create<Revision>('revisions', {
          apiVersion: 'serving.knative.dev/v1', kind: 'Revision',
          metadata: { name: r.name, namespace: 'default', labels, annotations, ownerReferences: [controllerRef('Configuration', config.metadata)] },
          spec: { containers: [{ image: 'busybox' }] },
        });
      }
      clock = NOW;
      const deleted: string[] = [];
      const unwatch = store.watch('revisions', (ev) => { if (ev.type === 'DELETED') deleted.push(ev.object.metadata.name ?? ''); });
      const ctx: ControllerContext = {
        store, now: () => new Date(clock), table: new RecordingRouting(), instances,
        autoscaler: undefined as never, settings: { ...DEFAULT_SETTINGS, gc: row.gc }, events: new MemoryEventRecorder(10, () => new Date(clock)),
      };
      const collector = new RevisionCollector();
      const recheck = collector.run(ctx, 'default/foo');
      await collector.settled();
      unwatch();
      assert.deepEqual(deleted, row.wantDeletes, 'deleted revisions, in order');
      assert.deepEqual(removed, row.wantDeletes.map((n) => `default/${n}`), 'instances released');
      assert.deepEqual(store.list<Revision>('revisions').map((r) => r.metadata.name).sort(), row.revs.map((r) => r.name).filter((n) => !row.wantDeletes.includes(n)).sort(), 'revisions left');
      assert.equal(recheck, row.wantRecheck, 'recheck');
    } finally {
      store.close();
    }
  });
}
