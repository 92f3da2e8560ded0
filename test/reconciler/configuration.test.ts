// Table test of the Configuration reconciler (as knative/serving pkg/reconciler/configuration/configuration_test.go).

import { reconcileKey } from '../../src/controllers/kit.ts';
import { configurationReconciler } from '../../src/controllers/configuration.ts';
import { LABEL } from '../../src/api/types.ts';
import { EARLIER, NOW_S, cond, runTable, type Row } from './table.ts';
import { SPEC, configuration, ownedBy, revision } from './objects.ts';

const V2 = { containers: [{ image: 'ko://v2' }] };
const ready = { observedGeneration: 1, conditions: [cond('Ready', 'True', undefined, undefined, { at: EARLIER })] };
const failed = (message: string) => ({ observedGeneration: 1, conditions: [cond('Ready', 'False', 'ExitCode1', message, { at: EARLIER })] });
const unknown = { observedGeneration: 1, conditions: [cond('Ready', 'Unknown', 'Deploying', undefined, { at: EARLIER })] };

/** A Configuration status at `gen` with both revision names and Ready True since EARLIER. */
const readyStatus = (gen: number, created: string, readyName = created) => ({
  observedGeneration: gen,
  conditions: [cond('Ready', 'True', undefined, undefined, { at: EARLIER })],
  latestCreatedRevisionName: created,
  latestReadyRevisionName: readyName,
});

const rows: Row[] = [
  {
    name: 'a missing configuration is a no-op',
    key: 'default/foo',
  },
  {
    name: 'the first generation stamps out foo-00001, pending until a route references it',
    objects: [configuration('foo')],
    key: 'default/foo',
    wantCreates: [
      {
        kind: 'Revision',
        metadata: {
          name: 'foo-00001',
          labels: {
            [LABEL.configuration]: 'foo',
            [LABEL.service]: '',
            [LABEL.configurationGeneration]: '1',
            [LABEL.configurationUID]: 'uid-cfg-foo',
            [LABEL.serviceUID]: '',
            [LABEL.routingState]: 'pending',
          },
          annotations: { 'serving.knative.dev/routingStateModified': NOW_S },
          ownerReferences: [ownedBy('Configuration', 'foo', 'uid-cfg-foo')],
        },
        spec: SPEC,
      },
    ],
    wantStatus: { observedGeneration: 1, conditions: [cond('Ready', 'Unknown')], latestCreatedRevisionName: 'foo-00001' },
    wantEvents: ['Normal Created Created Revision "foo-00001"'],
  },
  {
    name: 'a configuration a route lists makes its new revision active and records the creator',
    objects: [
      configuration('foo', {
        labels: { [LABEL.service]: 'foo', [LABEL.serviceUID]: 'uid-svc-foo' },
        annotations: { 'serving.knative.dev/routes': 'foo', 'serving.knative.dev/lastModifier': 'alice' },
      }),
    ],
    key: 'default/foo',
    wantCreates: [
      {
        kind: 'Revision',
        metadata: {
          name: 'foo-00001',
          labels: { [LABEL.service]: 'foo', [LABEL.serviceUID]: 'uid-svc-foo', [LABEL.routingState]: 'active' },
          annotations: { 'serving.knative.dev/routes': 'foo', 'serving.knative.dev/creator': 'alice' },
        },
      },
    ],
    wantStatus: { observedGeneration: 1, conditions: [cond('Ready', 'Unknown')], latestCreatedRevisionName: 'foo-00001' },
    wantEvents: ['Normal Created Created Revision "foo-00001"'],
  },
  {
    name: 'the revision of this generation already exists: nothing is created',
    objects: [configuration('foo'), revision('foo', 1, { status: unknown })],
    key: 'default/foo',
    wantStatus: { observedGeneration: 1, conditions: [cond('Ready', 'Unknown')], latestCreatedRevisionName: 'foo-00001' },
  },
  {
    name: 'the latest created revision becomes ready: LatestReadyRevisionName set, Ready True',
    objects: [configuration('foo', { status: { observedGeneration: 1, conditions: [cond('Ready', 'Unknown', undefined, undefined, { at: EARLIER })], latestCreatedRevisionName: 'foo-00001' } }), revision('foo', 1, { status: ready })],
    key: 'default/foo',
    wantStatus: { observedGeneration: 1, conditions: [cond('Ready', 'True')], latestCreatedRevisionName: 'foo-00001', latestReadyRevisionName: 'foo-00001' },
    wantEvents: ['Normal ConfigurationReady Configuration becomes ready', 'Normal LatestReadyUpdate LatestReadyRevisionName updated to "foo-00001"'],
  },
  {
    name: 'steady state: an unchanged status is not written',
    objects: [configuration('foo', { status: readyStatus(1, 'foo-00001') }), revision('foo', 1, { status: ready })],
    key: 'default/foo',
  },
  {
    name: 'a new generation stamps out foo-00002; LatestReadyRevisionName stays while it is not ready',
    objects: [configuration('foo', { generation: 2, spec: V2, status: readyStatus(1, 'foo-00001') }), revision('foo', 1, { status: ready })],
    key: 'default/foo',
    wantCreates: [{ kind: 'Revision', metadata: { name: 'foo-00002', labels: { [LABEL.configurationGeneration]: '2' } }, spec: V2 }],
    wantStatus: { observedGeneration: 2, conditions: [cond('Ready', 'Unknown')], latestCreatedRevisionName: 'foo-00002', latestReadyRevisionName: 'foo-00001' },
    wantEvents: ['Normal Created Created Revision "foo-00002"'],
  },
  {
    name: 'LatestReadyRevisionName moves to the newer revision once it is ready',
    objects: [
      configuration('foo', { generation: 2, spec: V2, status: { ...readyStatus(2, 'foo-00002', 'foo-00001'), conditions: [cond('Ready', 'Unknown', undefined, undefined, { at: EARLIER })] } }),
      revision('foo', 1, { status: ready }),
      revision('foo', 2, { spec: V2, status: ready }),
    ],
    key: 'default/foo',
    wantStatus: { observedGeneration: 2, conditions: [cond('Ready', 'True')], latestCreatedRevisionName: 'foo-00002', latestReadyRevisionName: 'foo-00002' },
    wantEvents: ['Normal LatestReadyUpdate LatestReadyRevisionName updated to "foo-00002"'],
  },
  {
    name: 'a ready revision older than the latest ready one is not picked when the newer ones are not ready',
    objects: [
      configuration('foo', { generation: 3, spec: V2, status: { ...readyStatus(3, 'foo-00003', 'foo-00002'), conditions: [cond('Ready', 'Unknown', undefined, undefined, { at: EARLIER })] } }),
      revision('foo', 1, { status: ready }),
      revision('foo', 2, { status: unknown }),
      revision('foo', 3, { spec: V2, status: unknown }),
    ],
    key: 'default/foo',
  },
  {
    name: 'the latest ready revision was deleted: the newest remaining ready revision takes over',
    objects: [
      configuration('foo', { generation: 3, spec: V2, status: { ...readyStatus(3, 'foo-00003', 'foo-00002'), conditions: [cond('Ready', 'Unknown', undefined, undefined, { at: EARLIER })] } }),
      revision('foo', 1, { status: ready }),
      revision('foo', 3, { spec: V2, status: unknown }),
    ],
    key: 'default/foo',
    wantStatus: { observedGeneration: 3, conditions: [cond('Ready', 'Unknown', undefined, undefined, { at: EARLIER })], latestCreatedRevisionName: 'foo-00003', latestReadyRevisionName: 'foo-00001' },
    wantEvents: ['Normal LatestReadyUpdate LatestReadyRevisionName updated to "foo-00001"'],
  },
  {
    name: 'the latest created revision failed: Ready False RevisionFailed',
    objects: [configuration('foo', { status: { observedGeneration: 1, conditions: [cond('Ready', 'Unknown', undefined, undefined, { at: EARLIER })], latestCreatedRevisionName: 'foo-00001' } }), revision('foo', 1, { status: failed('exit status 1') })],
    key: 'default/foo',
    wantStatus: {
      observedGeneration: 1,
      conditions: [cond('Ready', 'False', 'RevisionFailed', 'Revision "foo-00001" failed with message: exit status 1.')],
      latestCreatedRevisionName: 'foo-00001',
    },
    wantEvents: ['Warning LatestCreatedFailed Latest created revision "foo-00001" has failed'],
  },
  {
    name: 'the latest ready revision fails after being ready: RevisionFailed, LatestReadyRevisionName kept',
    objects: [configuration('foo', { status: readyStatus(1, 'foo-00001') }), revision('foo', 1, { status: failed('crashed') })],
    key: 'default/foo',
    wantStatus: {
      observedGeneration: 1,
      conditions: [cond('Ready', 'False', 'RevisionFailed', 'Revision "foo-00001" failed with message: crashed.')],
      latestCreatedRevisionName: 'foo-00001',
      latestReadyRevisionName: 'foo-00001',
    },
    wantEvents: ['Warning LatestReadyFailed Latest ready revision "foo-00001" has failed'],
  },
  {
    name: 'a revision False at a generation it has not observed is not a failure yet',
    objects: [
      configuration('foo', { status: { observedGeneration: 1, conditions: [cond('Ready', 'Unknown', undefined, undefined, { at: EARLIER })], latestCreatedRevisionName: 'foo-00001' } }),
      revision('foo', 1, { status: { observedGeneration: 0, conditions: [cond('Ready', 'False', 'ExitCode1', 'x', { at: EARLIER })] } }),
    ],
    key: 'default/foo',
  },
  {
    name: 'a BYO revision name is used for the new revision',
    objects: [configuration('foo', { templateName: 'foo-byo' })],
    key: 'default/foo',
    wantCreates: [{ kind: 'Revision', metadata: { name: 'foo-byo', labels: { [LABEL.configurationGeneration]: '1' } } }],
    wantStatus: { observedGeneration: 1, conditions: [cond('Ready', 'Unknown')], latestCreatedRevisionName: 'foo-byo' },
    wantEvents: ['Normal Created Created Revision "foo-byo"'],
  },
  {
    name: 'a BYO revision name taken by another configuration: Ready False RevisionFailed',
    objects: [configuration('foo', { templateName: 'foo-byo' }), revision('bar', 1, { name: 'foo-byo', ownerReferences: [ownedBy('Configuration', 'bar', 'uid-cfg-bar')] })],
    key: 'default/foo',
    wantStatus: {
      observedGeneration: 1,
      conditions: [cond('Ready', 'False', 'RevisionFailed', 'Revision creation failed with message: revisions.serving.knative.dev "foo-byo" already exists.')],
    },
  },
  {
    name: 'a BYO revision of an earlier generation with the same spec is reused',
    objects: [
      configuration('foo', { generation: 2, templateName: 'foo-byo', status: readyStatus(1, 'foo-byo') }),
      revision('foo', 1, { name: 'foo-byo', status: ready }),
    ],
    key: 'default/foo',
    // NewObservedGenFailure, then Ready again: a new transition.
    wantStatus: { ...readyStatus(2, 'foo-byo'), conditions: [cond('Ready', 'True')] },
  },
  {
    name: 'a BYO revision of an earlier generation with another spec: RevisionFailed',
    objects: [configuration('foo', { generation: 2, templateName: 'foo-byo', spec: V2, status: readyStatus(1, 'foo-byo') }), revision('foo', 1, { name: 'foo-byo', status: ready })],
    key: 'default/foo',
    wantStatus: {
      observedGeneration: 2,
      conditions: [cond('Ready', 'False', 'RevisionFailed', 'Revision creation failed with message: revisions.serving.knative.dev "foo-byo" already exists.')],
      latestCreatedRevisionName: 'foo-byo',
      latestReadyRevisionName: 'foo-byo',
    },
  },
];

runTable('configuration', rows, ({ ctx }, row) => reconcileKey(ctx, configurationReconciler, row.key));
