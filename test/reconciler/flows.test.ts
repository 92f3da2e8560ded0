// Table tests of the Sequence and Parallel reconcilers (as knative/eventing pkg/reconciler/sequence/sequence_test.go
// and pkg/reconciler/parallel/parallel_test.go): the channels and Subscriptions each creates, and the statuses.

import { reconcileKey } from '../../src/controllers/kit.ts';
import { parallelReconciler } from '../../src/eventing/flows/parallel.ts';
import { sequenceReconciler } from '../../src/eventing/flows/sequence.ts';
import { EARLIER, cond, runTable, type Obj, type Row } from './table.ts';

const MSG = 'messaging.knative.dev/v1';
const FLOWS = 'flows.knative.dev/v1';
const IMC = { apiVersion: MSG, kind: 'InMemoryChannel' };
const owner = (kind: string, name: string, uid: string) => ({ apiVersion: FLOWS, kind, name, uid, controller: true, blockOwnerDeletion: true });
const seqOwner = owner('Sequence', 'seq', 'uid-seq');
const parOwner = owner('Parallel', 'par', 'uid-par');
const EP = cond('EventPoliciesReady', 'True', 'OIDCDisabled', 'Feature "authentication-oidc" must be enabled to support Authorization');
const readyCond = cond('Ready', 'True', undefined, undefined, { at: EARLIER });

function sequence(steps: unknown[], reply?: unknown): Obj {
  return { apiVersion: FLOWS, kind: 'Sequence', metadata: { name: 'seq', namespace: 'default', uid: 'uid-seq' }, spec: { channelTemplate: IMC, steps, ...(reply ? { reply } : {}) } };
}
function channel(name: string, ownerRef: ReturnType<typeof owner>, ready: boolean): Obj {
  return { apiVersion: MSG, kind: 'InMemoryChannel', metadata: { name, namespace: 'default', ownerReferences: [ownerRef] }, spec: {}, status: ready ? { observedGeneration: 1, conditions: [readyCond], address: { name: 'http', url: `http://${name}-kn-channel.default.svc.cluster.local` } } : undefined };
}
function sub(name: string, ownerRef: ReturnType<typeof owner>, spec: Record<string, unknown>, ready: boolean): Obj {
  return { apiVersion: MSG, kind: 'Subscription', metadata: { name, namespace: 'default', ownerReferences: [ownerRef] }, spec, status: ready ? { observedGeneration: 1, conditions: [readyCond] } : undefined };
}
const chRef = (name: string) => ({ apiVersion: MSG, kind: 'InMemoryChannel', name });
const replyTo = (name: string) => ({ ref: { ...chRef(name), namespace: 'default' } });
const objRef = (kind: string, name: string) => ({ apiVersion: MSG, kind, name, namespace: 'default' });

const step0 = { channel: chRef('seq-kn-sequence-0'), subscriber: { uri: 'http://one.example/' }, reply: replyTo('seq-kn-sequence-1') };
const step1 = { channel: chRef('seq-kn-sequence-1'), subscriber: { uri: 'http://two.example/' }, reply: { uri: 'http://out.example/' } };

/** A flow whose channels and subscriptions are not ready yet (and so has no address). */
const childrenNotReady = (status: 'False' | 'Unknown') => [
  cond('Addressable', status, 'emptyAddress', 'addressable is nil'),
  cond('ChannelsReady', status, 'ChannelsNotReady', 'Channels are not ready yet, or there are none'),
  EP,
  cond('Ready', status, 'ChannelsNotReady', 'Channels are not ready yet, or there are none'),
  cond('SubscriptionsReady', status, 'SubscriptionsNotReady', 'Subscriptions are not ready yet, or there are none'),
];

/** The status of a one-step sequence whose channel and subscription are Ready. */
const ONE_STEP_READY = {
  observedGeneration: 1,
  address: { url: 'http://seq-kn-sequence-0-kn-channel.default.svc.cluster.local' },
  channelStatuses: [{ channel: objRef('InMemoryChannel', 'seq-kn-sequence-0'), ready: readyCond }],
  subscriptionStatuses: [{ subscription: objRef('Subscription', 'seq-kn-sequence-0'), ready: readyCond }],
  conditions: [cond('Addressable', 'True'), cond('ChannelsReady', 'True'), EP, cond('Ready', 'True'), cond('SubscriptionsReady', 'True')],
};

const seqRows: Row[] = [
  {
    name: 'a new sequence creates a channel and a subscription per step, chained by replies',
    objects: [sequence([{ uri: 'http://one.example/' }, { uri: 'http://two.example/' }], { uri: 'http://out.example/' })],
    key: 'default/seq',
    wantCreates: [
      { kind: 'InMemoryChannel', metadata: { name: 'seq-kn-sequence-0', ownerReferences: [seqOwner] }, spec: {} },
      { kind: 'InMemoryChannel', metadata: { name: 'seq-kn-sequence-1', ownerReferences: [seqOwner] }, spec: {} },
      { kind: 'Subscription', metadata: { name: 'seq-kn-sequence-0', ownerReferences: [seqOwner] }, spec: step0 },
      { kind: 'Subscription', metadata: { name: 'seq-kn-sequence-1', ownerReferences: [seqOwner] }, spec: step1 },
    ],
    wantStatus: {
      observedGeneration: 1,
      address: {},
      channelStatuses: [
        { channel: objRef('InMemoryChannel', 'seq-kn-sequence-0'), ready: cond('Ready', 'Unknown', 'NoReady', 'Channel does not have Ready condition') },
        { channel: objRef('InMemoryChannel', 'seq-kn-sequence-1'), ready: cond('Ready', 'Unknown', 'NoReady', 'Channel does not have Ready condition') },
      ],
      subscriptionStatuses: [
        { subscription: objRef('Subscription', 'seq-kn-sequence-0'), ready: cond('Ready', 'Unknown', 'NoReady', 'Subscription does not have Ready condition') },
        { subscription: objRef('Subscription', 'seq-kn-sequence-1'), ready: cond('Ready', 'Unknown', 'NoReady', 'Subscription does not have Ready condition') },
      ],
      // A tie between unhappy dependents (same lastTransitionTime) goes to the first in the set's order.
      conditions: childrenNotReady('Unknown'),
    },
  },
  {
    name: 'ready children make the sequence Ready at the first channel\'s address; a removed step\'s children go',
    objects: [
      sequence([{ uri: 'http://one.example/' }]),
      channel('seq-kn-sequence-0', seqOwner, true),
      channel('seq-kn-sequence-1', seqOwner, true),
      sub('seq-kn-sequence-0', seqOwner, { channel: chRef('seq-kn-sequence-0'), subscriber: { uri: 'http://one.example/' } }, true),
      sub('seq-kn-sequence-1', seqOwner, step1, true),
    ],
    key: 'default/seq',
    wantDeletes: ['InMemoryChannel/seq-kn-sequence-1', 'Subscription/seq-kn-sequence-1'],
    wantStatus: ONE_STEP_READY,
  },
  {
    name: 'a step whose subscription drifted is updated in place',
    objects: [sequence([{ uri: 'http://new.example/' }]), channel('seq-kn-sequence-0', seqOwner, true), sub('seq-kn-sequence-0', seqOwner, { channel: chRef('seq-kn-sequence-0'), subscriber: { uri: 'http://old.example/' } }, true)],
    key: 'default/seq',
    wantUpdates: [{ kind: 'Subscription', metadata: { name: 'seq-kn-sequence-0' }, spec: { channel: chRef('seq-kn-sequence-0'), subscriber: { uri: 'http://new.example/' } } }],
    wantStatus: ONE_STEP_READY,
  },
];

runTable('Sequence', seqRows, ({ ctx }, row) => reconcileKey(ctx, sequenceReconciler(), row.key));

const parRows: Row[] = [
  {
    name: 'a new parallel creates the ingress and branch channels, filter and branch subscriptions',
    objects: [
      {
        apiVersion: FLOWS,
        kind: 'Parallel',
        metadata: { name: 'par', namespace: 'default', uid: 'uid-par' },
        spec: { channelTemplate: IMC, branches: [{ filter: { uri: 'http://filter.example/' }, subscriber: { uri: 'http://a.example/' } }, { subscriber: { uri: 'http://b.example/' }, reply: { uri: 'http://b-out.example/' } }], reply: { uri: 'http://out.example/' } },
      },
    ],
    key: 'default/par',
    wantCreates: [
      { kind: 'InMemoryChannel', metadata: { name: 'par-kn-parallel', ownerReferences: [parOwner] } },
      { kind: 'InMemoryChannel', metadata: { name: 'par-kn-parallel-0', ownerReferences: [parOwner] } },
      { kind: 'InMemoryChannel', metadata: { name: 'par-kn-parallel-1', ownerReferences: [parOwner] } },
      { kind: 'Subscription', metadata: { name: 'par-kn-parallel-filter-0' }, spec: { channel: chRef('par-kn-parallel'), subscriber: { uri: 'http://filter.example/' }, reply: replyTo('par-kn-parallel-0') } },
      { kind: 'Subscription', metadata: { name: 'par-kn-parallel-0' }, spec: { channel: chRef('par-kn-parallel-0'), subscriber: { uri: 'http://a.example/' }, reply: { uri: 'http://out.example/' } } },
      { kind: 'Subscription', metadata: { name: 'par-kn-parallel-filter-1' }, spec: { channel: chRef('par-kn-parallel'), subscriber: replyTo('par-kn-parallel-1'), reply: undefined } },
      { kind: 'Subscription', metadata: { name: 'par-kn-parallel-1' }, spec: { channel: chRef('par-kn-parallel-1'), subscriber: { uri: 'http://b.example/' }, reply: { uri: 'http://b-out.example/' } } },
    ],
    wantStatus: {
      observedGeneration: 1,
      ingressChannelStatus: { channel: objRef('InMemoryChannel', 'par-kn-parallel'), ready: { type: 'Ready', status: 'False', reason: 'NotAddressable', message: 'Channel is not addressable' } },
      branchStatuses: [0, 1].map((i) => ({
        filterChannelStatus: { channel: objRef('InMemoryChannel', `par-kn-parallel-${i}`), ready: { type: 'Ready', status: 'False', reason: 'NotAddressable', message: 'Channel is not addressable' } },
        subscriberSubscriptionStatus: { subscription: objRef('Subscription', `par-kn-parallel-${i}`), ready: { type: '', status: '' } },
        filterSubscriptionStatus: { subscription: objRef('Subscription', `par-kn-parallel-filter-${i}`), ready: { type: '', status: '' } },
      })),
      conditions: childrenNotReady('False'),
    },
  },
];

runTable('Parallel', parRows, ({ ctx }, row) => reconcileKey(ctx, parallelReconciler(), row.key));
