// Table test of the Service reconciler (as knative/serving pkg/reconciler/service/service_test.go).

import { reconcileKey } from '../../src/controllers/kit.ts';
import { serviceReconciler } from '../../src/controllers/service.ts';
import { LABEL } from '../../src/api/types.ts';
import { EARLIER, NOW_S, cond, runTable, type Row } from './table.ts';
import { SPEC, configuration, ownedConfiguration, ownedRoute, ownedBy, revision, route, service } from './objects.ts';

const CFG_OUT_OF_DATE = 'The Configuration is still working to reflect the latest desired specification.';
const ROUTE_OUT_OF_DATE = 'The Route is still working to reflect the latest desired specification.';
const URL = 'http://foo.default.example.com';
const ADDRESS = { url: 'http://foo.default.svc.cluster.local' };

/** A Configuration status that observed generation 1 with `ready` as Ready. */
function cfgStatus(ready: ReturnType<typeof cond>, names: { created?: string; ready?: string } = { created: 'foo-00001', ready: 'foo-00001' }) {
  return {
    observedGeneration: 1,
    conditions: [ready],
    ...(names.created ? { latestCreatedRevisionName: names.created } : {}),
    ...(names.ready ? { latestReadyRevisionName: names.ready } : {}),
  };
}

/** A Route status that observed generation 1, serving `rev` at 100%. */
function routeStatus(ready: ReturnType<typeof cond>, rev = 'foo-00001') {
  return {
    observedGeneration: 1,
    conditions: [ready],
    url: URL,
    address: ADDRESS,
    traffic: [{ revisionName: rev, latestRevision: true, percent: 100 }],
  };
}

const readyAt = (at = EARLIER) => cond('Ready', 'True', undefined, undefined, { at });

/** The status of a Service whose children are both Ready. */
const allReady = (at = NOW_S) => ({
  observedGeneration: 1,
  conditions: [cond('ConfigurationsReady', 'True', undefined, undefined, { at }), cond('Ready', 'True', undefined, undefined, { at }), cond('RoutesReady', 'True', undefined, undefined, { at })],
  latestCreatedRevisionName: 'foo-00001',
  latestReadyRevisionName: 'foo-00001',
  url: URL,
  address: ADDRESS,
  traffic: [{ revisionName: 'foo-00001', latestRevision: true, percent: 100 }],
});

const rows: Row[] = [
  {
    name: 'a missing service is a no-op',
    key: 'default/foo',
  },
  {
    name: 'a new service creates its Configuration and Route and waits for both',
    objects: [service('foo')],
    key: 'default/foo',
    wantCreates: [
      {
        kind: 'Configuration',
        metadata: {
          name: 'foo',
          labels: { [LABEL.service]: 'foo', [LABEL.serviceUID]: 'uid-svc-foo' },
          annotations: { 'serving.knative.dev/routes': 'foo' },
          ownerReferences: [ownedBy('Service', 'foo', 'uid-svc-foo')],
        },
        spec: { template: { spec: SPEC } },
      },
      {
        kind: 'Route',
        metadata: { name: 'foo', labels: { [LABEL.service]: 'foo' }, ownerReferences: [ownedBy('Service', 'foo', 'uid-svc-foo')] },
        spec: { traffic: [{ configurationName: 'foo', latestRevision: true, percent: 100 }] },
      },
    ],
    wantStatus: {
      observedGeneration: 1,
      conditions: [cond('ConfigurationsReady', 'Unknown', 'OutOfDate', CFG_OUT_OF_DATE), cond('Ready', 'Unknown', 'OutOfDate', ROUTE_OUT_OF_DATE), cond('RoutesReady', 'Unknown', 'OutOfDate', ROUTE_OUT_OF_DATE)],
    },
    wantEvents: ['Normal Created Created Configuration "foo"', 'Normal Created Created Route "foo"'],
  },
  {
    name: 'kubectl last-applied and rollout annotations stay on the Service',
    objects: [
      service('foo', {
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'serving.knative.dev/rollout-duration': '60s', team: 'a' },
      }),
    ],
    key: 'default/foo',
    wantCreates: [
      { kind: 'Configuration', metadata: { name: 'foo', annotations: { team: 'a', 'serving.knative.dev/routes': 'foo' } } },
      { kind: 'Route', metadata: { name: 'foo', annotations: { team: 'a', 'serving.knative.dev/rollout-duration': '60s' } } },
    ],
    wantStatus: {
      observedGeneration: 1,
      conditions: [cond('ConfigurationsReady', 'Unknown', 'OutOfDate', CFG_OUT_OF_DATE), cond('Ready', 'Unknown', 'OutOfDate', ROUTE_OUT_OF_DATE), cond('RoutesReady', 'Unknown', 'OutOfDate', ROUTE_OUT_OF_DATE)],
    },
    wantEvents: ['Normal Created Created Configuration "foo"', 'Normal Created Created Route "foo"'],
  },
  {
    name: 'a Configuration of that name it does not own: ConfigurationsReady False NotOwned',
    objects: [service('foo'), configuration('foo')],
    key: 'default/foo',
    wantStatus: {
      observedGeneration: 1,
      conditions: [
        cond('ConfigurationsReady', 'False', 'NotOwned', 'There is an existing Configuration "foo" that we do not own.'),
        cond('Ready', 'False', 'NotOwned', 'There is an existing Configuration "foo" that we do not own.'),
        cond('RoutesReady', 'Unknown'),
      ],
    },
  },
  {
    name: 'a Route of that name it does not own: RoutesReady False NotOwned',
    objects: [service('foo'), ownedConfiguration('foo', { status: cfgStatus(readyAt()) }), route('foo')],
    key: 'default/foo',
    wantStatus: {
      observedGeneration: 1,
      conditions: [cond('ConfigurationsReady', 'True'), cond('Ready', 'False', 'NotOwned', 'There is an existing Route "foo" that we do not own.'), cond('RoutesReady', 'False', 'NotOwned', 'There is an existing Route "foo" that we do not own.')],
      latestCreatedRevisionName: 'foo-00001',
      latestReadyRevisionName: 'foo-00001',
    },
  },
  {
    name: 'a BYO revision name waits for the Configuration to observe its generation before the Route',
    objects: [service('foo', { templateName: 'foo-byo' }), ownedConfiguration('foo', { templateName: 'foo-byo' })],
    key: 'default/foo',
    wantStatus: {
      observedGeneration: 1,
      conditions: [cond('ConfigurationsReady', 'Unknown', 'OutOfDate', CFG_OUT_OF_DATE), cond('Ready', 'Unknown', 'OutOfDate', CFG_OUT_OF_DATE), cond('RoutesReady', 'Unknown')],
    },
  },
  {
    name: 'a BYO revision name owned by another Configuration: RoutesReady False RevisionNameTaken',
    objects: [
      service('foo', { templateName: 'foo-byo' }),
      ownedConfiguration('foo', { templateName: 'foo-byo', status: cfgStatus(cond('Ready', 'False', 'RevisionFailed', 'x', { at: EARLIER }), {}) }),
      revision('bar', 1, { name: 'foo-byo', ownerReferences: [ownedBy('Configuration', 'bar', 'uid-cfg-bar')] }),
    ],
    key: 'default/foo',
    wantStatus: {
      observedGeneration: 1,
      conditions: [
        cond('ConfigurationsReady', 'False', 'RevisionFailed', 'x'),
        cond('Ready', 'False', 'RevisionNameTaken', 'The revision name "foo-byo" is taken by a conflicting Revision, so traffic will not be migrated'),
        cond('RoutesReady', 'False', 'RevisionNameTaken', 'The revision name "foo-byo" is taken by a conflicting Revision, so traffic will not be migrated'),
      ],
    },
  },
  {
    name: 'a BYO revision name of its own Configuration with another spec: RevisionNameTaken',
    objects: [
      service('foo', { templateName: 'foo-byo' }),
      ownedConfiguration('foo', { templateName: 'foo-byo', status: cfgStatus(readyAt(), { created: 'foo-byo', ready: 'foo-byo' }) }),
      revision('foo', 1, { name: 'foo-byo', spec: { containers: [{ image: 'ko://other' }] } }),
    ],
    key: 'default/foo',
    wantStatus: {
      observedGeneration: 1,
      conditions: [
        cond('ConfigurationsReady', 'True'),
        cond('Ready', 'False', 'RevisionNameTaken', 'The revision name "foo-byo" is taken by a conflicting Revision, so traffic will not be migrated'),
        cond('RoutesReady', 'False', 'RevisionNameTaken', 'The revision name "foo-byo" is taken by a conflicting Revision, so traffic will not be migrated'),
      ],
      latestCreatedRevisionName: 'foo-byo',
      latestReadyRevisionName: 'foo-byo',
    },
  },
  {
    name: 'a failed Configuration propagates RevisionFailed; Ready stays False while the Route catches up',
    objects: [
      service('foo'),
      ownedConfiguration('foo', {
        status: cfgStatus(cond('Ready', 'False', 'RevisionFailed', 'Revision "foo-00001" failed with message: boom.', { at: EARLIER }), { created: 'foo-00001' }),
      }),
      ownedRoute('foo'),
    ],
    key: 'default/foo',
    wantStatus: {
      observedGeneration: 1,
      conditions: [
        cond('ConfigurationsReady', 'False', 'RevisionFailed', 'Revision "foo-00001" failed with message: boom.'),
        cond('Ready', 'False', 'RevisionFailed', 'Revision "foo-00001" failed with message: boom.'),
        cond('RoutesReady', 'Unknown', 'OutOfDate', ROUTE_OUT_OF_DATE),
      ],
      latestCreatedRevisionName: 'foo-00001',
    },
  },
  {
    name: 'a Configuration waiting for its revision propagates Unknown',
    objects: [service('foo'), ownedConfiguration('foo', { status: cfgStatus(cond('Ready', 'Unknown', undefined, undefined, { at: EARLIER }), { created: 'foo-00001' }) }), ownedRoute('foo')],
    key: 'default/foo',
    wantStatus: {
      observedGeneration: 1,
      conditions: [cond('ConfigurationsReady', 'Unknown'), cond('Ready', 'Unknown', 'OutOfDate', ROUTE_OUT_OF_DATE), cond('RoutesReady', 'Unknown', 'OutOfDate', ROUTE_OUT_OF_DATE)],
      latestCreatedRevisionName: 'foo-00001',
    },
  },
  {
    name: 'both children Ready: the Service is Ready and mirrors url, address, traffic and revision names',
    objects: [service('foo'), ownedConfiguration('foo', { status: cfgStatus(readyAt()) }), ownedRoute('foo', { status: routeStatus(readyAt()) })],
    key: 'default/foo',
    wantStatus: allReady(),
  },
  {
    name: 'steady state: an unchanged status is not written',
    objects: [service('foo', { status: allReady(EARLIER) }), ownedConfiguration('foo', { status: cfgStatus(readyAt()) }), ownedRoute('foo', { status: routeStatus(readyAt()) })],
    key: 'default/foo',
  },
  {
    name: 'the Route still serves the previous revision: RoutesReady Unknown TrafficNotMigrated',
    objects: [
      service('foo'),
      ownedConfiguration('foo', { status: cfgStatus(readyAt(), { created: 'foo-00002', ready: 'foo-00002' }) }),
      ownedRoute('foo', { status: routeStatus(readyAt(), 'foo-00001') }),
    ],
    key: 'default/foo',
    wantStatus: {
      ...allReady(),
      conditions: [
        cond('ConfigurationsReady', 'True'),
        cond('Ready', 'Unknown', 'TrafficNotMigrated', 'Traffic is not yet migrated to the latest revision.'),
        cond('RoutesReady', 'Unknown', 'TrafficNotMigrated', 'Traffic is not yet migrated to the latest revision.'),
      ],
      latestCreatedRevisionName: 'foo-00002',
      latestReadyRevisionName: 'foo-00002',
    },
  },
  {
    name: 'a Route failing with RevisionMissing propagates it',
    objects: [
      service('foo'),
      ownedConfiguration('foo', { status: cfgStatus(readyAt()) }),
      ownedRoute('foo', {
        status: { observedGeneration: 1, url: URL, conditions: [cond('Ready', 'False', 'RevisionMissing', 'Configuration "foo" does not have any ready Revision.', { at: EARLIER })] },
      }),
    ],
    key: 'default/foo',
    wantStatus: {
      observedGeneration: 1,
      conditions: [
        cond('ConfigurationsReady', 'True'),
        cond('Ready', 'False', 'RevisionMissing', 'Configuration "foo" does not have any ready Revision.'),
        cond('RoutesReady', 'False', 'RevisionMissing', 'Configuration "foo" does not have any ready Revision.'),
      ],
      latestCreatedRevisionName: 'foo-00001',
      latestReadyRevisionName: 'foo-00001',
      url: URL,
    },
  },
  {
    name: 'a new generation updates the Configuration, marks it OutOfDate and bumps observedGeneration',
    objects: [
      service('foo', { generation: 2, spec: { containers: [{ image: 'ko://v2' }] }, status: allReady(EARLIER) }),
      ownedConfiguration('foo', { status: cfgStatus(readyAt()) }),
      ownedRoute('foo', { status: routeStatus(readyAt()) }),
    ],
    key: 'default/foo',
    wantUpdates: [{ kind: 'Configuration', metadata: { name: 'foo', generation: 2 }, spec: { template: { spec: { containers: [{ image: 'ko://v2' }] } } } }],
    wantStatus: {
      ...allReady(EARLIER),
      observedGeneration: 2,
      conditions: [
        cond('ConfigurationsReady', 'Unknown', 'OutOfDate', CFG_OUT_OF_DATE),
        cond('Ready', 'Unknown', 'OutOfDate', CFG_OUT_OF_DATE),
        cond('RoutesReady', 'True', undefined, undefined, { at: EARLIER }),
      ],
    },
  },
  {
    name: 'new traffic updates the Route and marks it OutOfDate',
    objects: [
      service('foo', { generation: 2, traffic: [{ latestRevision: true, percent: 100, tag: 'current' }], status: allReady(EARLIER) }),
      ownedConfiguration('foo', { status: cfgStatus(readyAt()) }),
      ownedRoute('foo', { status: routeStatus(readyAt()) }),
    ],
    key: 'default/foo',
    wantUpdates: [{ kind: 'Route', metadata: { name: 'foo', generation: 2 }, spec: { traffic: [{ latestRevision: true, percent: 100, tag: 'current', configurationName: 'foo' }] } }],
    wantStatus: {
      ...allReady(EARLIER),
      observedGeneration: 2,
      conditions: [
        cond('ConfigurationsReady', 'True', undefined, undefined, { at: EARLIER }),
        cond('Ready', 'Unknown', 'OutOfDate', ROUTE_OUT_OF_DATE),
        cond('RoutesReady', 'Unknown', 'OutOfDate', ROUTE_OUT_OF_DATE),
      ],
    },
  },
  {
    name: 'a new label reaches both children without a new generation for them',
    objects: [
      service('foo', { labels: { team: 'a' }, status: allReady(EARLIER) }),
      ownedConfiguration('foo', { status: cfgStatus(readyAt()) }),
      ownedRoute('foo', { status: routeStatus(readyAt()) }),
    ],
    key: 'default/foo',
    wantUpdates: [
      { kind: 'Configuration', metadata: { name: 'foo', generation: 1, labels: { team: 'a', [LABEL.service]: 'foo', [LABEL.serviceUID]: 'uid-svc-foo' } } },
      { kind: 'Route', metadata: { name: 'foo', generation: 1, labels: { team: 'a', [LABEL.service]: 'foo' } } },
    ],
  },
  {
    name: 'other routes listed on the Configuration are kept when it is updated',
    objects: [
      service('foo', { labels: { team: 'a' }, status: allReady(EARLIER) }),
      ownedConfiguration('foo', { annotations: { 'serving.knative.dev/routes': 'bar' }, status: cfgStatus(readyAt()) }),
      ownedRoute('foo', { labels: { team: 'a', [LABEL.service]: 'foo' }, status: routeStatus(readyAt()) }),
    ],
    key: 'default/foo',
    wantUpdates: [{ kind: 'Configuration', metadata: { name: 'foo', annotations: { 'serving.knative.dev/routes': 'bar,foo' } } }],
  },
];

runTable('service', rows, ({ ctx }, row) => reconcileKey(ctx, serviceReconciler, row.key));
