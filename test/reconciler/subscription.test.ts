// Table tests of the Channel and Subscription reconcilers (as knative/eventing pkg/reconciler/channel/
// channel_test.go and pkg/reconciler/subscription/subscription_test.go): seeded objects, one reconcile, every write.

import { reconcileKey } from '../../src/controllers/kit.ts';
import { channelReconciler } from '../../src/eventing/channel.ts';
import { subscriptionReconciler } from '../../src/eventing/subscription.ts';
import { EARLIER, cond, runTable, type Obj, type Row } from './table.ts';

const MSG = 'messaging.knative.dev/v1';
const IMC_TEMPLATE = { apiVersion: MSG, kind: 'InMemoryChannel' };
const ADDRESS = { name: 'http', url: 'http://orders-kn-channel.default.svc.cluster.local' };
const chOwner = { apiVersion: MSG, kind: 'Channel', name: 'orders', uid: 'uid-ch', controller: true, blockOwnerDeletion: true };

const readyImcStatus = (extra: Record<string, unknown> = {}) => ({ observedGeneration: 1, conditions: [cond('Ready', 'True', undefined, undefined, { at: EARLIER })], address: ADDRESS, ...extra });

function channel(status?: Obj['status'], spec: Record<string, unknown> = {}): Obj {
  return { apiVersion: MSG, kind: 'Channel', metadata: { name: 'orders', namespace: 'default', uid: 'uid-ch' }, spec: { channelTemplate: IMC_TEMPLATE, ...spec }, status };
}
function imc(status?: Obj['status'], spec: Record<string, unknown> = {}, owners = [chOwner]): Obj {
  return { apiVersion: MSG, kind: 'InMemoryChannel', metadata: { name: 'orders', namespace: 'default', uid: 'uid-imc', ownerReferences: owners }, spec, status };
}
/** A Ready Channel backed by the IMC `orders`. */
const readyChannel = (extra: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) =>
  channel({ observedGeneration: 1, conditions: [cond('Ready', 'True', undefined, undefined, { at: EARLIER })], address: ADDRESS, channel: { kind: 'InMemoryChannel', apiVersion: MSG, name: 'orders', namespace: 'default' }, ...extra }, spec);
function subscription(spec: Record<string, unknown> = {}): Obj {
  return { apiVersion: MSG, kind: 'Subscription', metadata: { name: 'sub', namespace: 'default', uid: 'uid-sub' }, spec: { channel: { apiVersion: MSG, kind: 'Channel', name: 'orders' }, subscriber: { uri: 'http://sink.example/' }, ...spec } };
}

const OIDC = cond('OIDCIdentityCreated', 'True', 'authentication-oidc feature disabled');
const EP = cond('EventPoliciesReady', 'True', 'OIDCDisabled', 'Feature "authentication-oidc" must be enabled to support Authorization');

/** Synced into the channel's spec, not yet marked ready in its status. */
const NOT_MARKED_READY = [
  cond('AddedToChannel', 'True'),
  cond('ChannelReady', 'Unknown', 'SubscriptionNotMarkedReadyByChannel', 'Failed to get subscription status: subscription "sub" not present in channel "orders" subscriber\'s list'),
  OIDC,
  cond('Ready', 'Unknown', 'SubscriptionNotMarkedReadyByChannel', 'Failed to get subscription status: subscription "sub" not present in channel "orders" subscriber\'s list'),
  cond('ReferencesResolved', 'True'),
];
/** A reference did not resolve: Ready and ReferencesResolved carry the failure, the rest is Unknown. */
const unresolved = (status: 'False' | 'Unknown', reason: string, message: string) => [
  cond('AddedToChannel', 'Unknown'),
  cond('ChannelReady', 'Unknown'),
  OIDC,
  cond('Ready', status, reason, message),
  cond('ReferencesResolved', status, reason, message),
];

const channelRows: Row[] = [
  {
    name: 'a new channel creates its InMemoryChannel and waits for it',
    objects: [channel()],
    key: 'default/orders',
    wantCreates: [{ kind: 'InMemoryChannel', metadata: { name: 'orders', annotations: { 'messaging.knative.dev/subscribable': 'v1' }, ownerReferences: [chOwner] }, spec: {} }],
    wantStatus: {
      observedGeneration: 1,
      channel: { kind: 'InMemoryChannel', apiVersion: MSG, name: 'orders', namespace: 'default' },
      conditions: [
        cond('Addressable', 'False', 'EmptyHostname', 'hostname is the empty string'),
        cond('BackingChannelReady', 'Unknown', 'BackingChannelNotConfigured', 'BackingChannel has not yet been reconciled.'),
        cond('DeadLetterSinkResolved', 'True', 'DeadLetterSinkNotConfigured', 'No dead letter sink is configured.'),
        EP,
        cond('Ready', 'False', 'EmptyHostname', 'hostname is the empty string'),
      ],
    },
  },
  {
    name: 'a ready backing channel makes the channel Ready with its address and subscribers',
    objects: [channel(), imc(readyImcStatus({ subscribers: [{ uid: 'u1', observedGeneration: 1, ready: 'True' }] }))],
    key: 'default/orders',
    wantStatus: {
      observedGeneration: 1,
      channel: { kind: 'InMemoryChannel', apiVersion: MSG, name: 'orders', namespace: 'default' },
      address: ADDRESS,
      subscribers: [{ uid: 'u1', observedGeneration: 1, ready: 'True' }],
      conditions: [cond('Addressable', 'True'), cond('BackingChannelReady', 'True'), cond('DeadLetterSinkResolved', 'True', 'DeadLetterSinkNotConfigured', 'No dead letter sink is configured.'), EP, cond('Ready', 'True')],
    },
  },
  {
    name: 'a dead-letter sink the backing channel has not resolved',
    objects: [channel(undefined, { delivery: { deadLetterSink: { uri: 'http://dls.example/' } } }), imc(readyImcStatus())],
    key: 'default/orders',
    wantStatus: {
      observedGeneration: 1,
      channel: { kind: 'InMemoryChannel', apiVersion: MSG, name: 'orders', namespace: 'default' },
      address: ADDRESS,
      conditions: [cond('Addressable', 'True'), cond('BackingChannelReady', 'True'), cond('DeadLetterSinkResolved', 'False', "Backing Channel orders didn't set status.deadLetterSinkURI"), EP, cond('Ready', 'False', "Backing Channel orders didn't set status.deadLetterSinkURI")],
    },
  },
  {
    name: 'an InMemoryChannel of that name the channel does not own',
    objects: [channel(), imc(readyImcStatus(), {}, [])],
    key: 'default/orders',
    wantStatus: {
      observedGeneration: 1,
      conditions: [
        cond('Addressable', 'Unknown'),
        cond('BackingChannelReady', 'False', 'ChannelFailure', 'channel: default/orders does not own InMemoryChannel: "orders"'),
        cond('DeadLetterSinkResolved', 'Unknown'),
        cond('EventPoliciesReady', 'Unknown'),
        cond('Ready', 'False', 'ChannelFailure', 'channel: default/orders does not own InMemoryChannel: "orders"'),
      ],
    },
  },
];

runTable('Channel', channelRows, ({ ctx }, row) => reconcileKey(ctx, channelReconciler(), row.key));

const subRows: Row[] = [
  {
    name: 'a channel that is not Ready',
    objects: [channel(), subscription()],
    key: 'default/sub',
    wantStatus: {
      observedGeneration: 1,
      conditions: unresolved('Unknown', 'ChannelReferenceFailed', 'Failed to get Spec.Channel or backing channel: channel is not ready.'),
    },
    wantEvents: ['Warning ChannelReferenceFailed Failed to get Spec.Channel or backing channel: channel is not ready.'],
  },
  {
    name: 'resolved references are written into the backing channel',
    objects: [readyChannel(), imc(readyImcStatus()), subscription({ reply: { uri: 'http://reply.example/' }, delivery: { retry: 3 } })],
    key: 'default/sub',
    wantUpdates: [{ kind: 'InMemoryChannel', metadata: { name: 'orders' }, spec: { subscribers: [{ name: 'sub', uid: 'uid-sub', generation: 1, subscriberUri: 'http://sink.example/', replyUri: 'http://reply.example/', delivery: { retry: 3 } }] } }],
    wantStatus: {
      observedGeneration: 1,
      physicalSubscription: { subscriberUri: 'http://sink.example/', replyUri: 'http://reply.example/' },
      conditions: NOT_MARKED_READY,
    },
    wantEvents: ['Normal SubscriberSync Subscription was synchronized to channel "orders"'],
  },
  {
    name: 'the channel marked the subscriber ready',
    objects: [
      readyChannel(),
      subscription(),
      imc(readyImcStatus({ subscribers: [{ uid: 'uid-sub', observedGeneration: 1, ready: 'True' }] }), { subscribers: [{ name: 'sub', uid: 'uid-sub', generation: 1, subscriberUri: 'http://sink.example/' }] }),
    ],
    key: 'default/sub',
    wantStatus: {
      observedGeneration: 1,
      physicalSubscription: { subscriberUri: 'http://sink.example/' },
      conditions: [cond('AddedToChannel', 'True'), cond('ChannelReady', 'True'), OIDC, cond('Ready', 'True'), cond('ReferencesResolved', 'True')],
    },
  },
  {
    name: 'the channel has a dead-letter sink it has not resolved',
    objects: [readyChannel(), imc(readyImcStatus(), { delivery: { deadLetterSink: { uri: 'http://dls.example/' } } }), subscription()],
    key: 'default/sub',
    wantStatus: {
      observedGeneration: 1,
      physicalSubscription: { subscriberUri: 'http://sink.example/' },
      conditions: unresolved('False', 'DeadLetterSinkResolveFailed', "channel orders didn't set status.deadLetterSinkURI"),
    },
    wantEvents: ["Warning DeadLetterSinkResolveFailed channel orders didn't set status.deadLetterSinkURI"],
  },
  {
    name: 'the channel\'s dead-letter sink is used when the subscription has none',
    objects: [readyChannel(), imc(readyImcStatus({ deadLetterSinkUri: 'http://dls.example/' }), { delivery: { deadLetterSink: { uri: 'http://dls.example/' }, retry: 2 } }), subscription()],
    key: 'default/sub',
    wantUpdates: [{ kind: 'InMemoryChannel', metadata: { name: 'orders' }, spec: { subscribers: [{ name: 'sub', uid: 'uid-sub', generation: 1, subscriberUri: 'http://sink.example/', delivery: { deadLetterSink: { uri: 'http://dls.example/' }, retry: 2 } }] } }],
    wantStatus: {
      observedGeneration: 1,
      physicalSubscription: { subscriberUri: 'http://sink.example/', deadLetterSinkUri: 'http://dls.example/' },
      conditions: NOT_MARKED_READY,
    },
    wantEvents: ['Normal SubscriberSync Subscription was synchronized to channel "orders"'],
  },
  {
    name: 'a reply that does not resolve',
    objects: [readyChannel(), imc(readyImcStatus()), subscription({ reply: { ref: { apiVersion: MSG, kind: 'Channel', name: 'gone', namespace: 'default' } } })],
    key: 'default/sub',
    wantStatus: {
      observedGeneration: 1,
      conditions: unresolved('False', 'ReplyResolveFailed', 'Failed to resolve spec.reply: failed to get object default/gone: channels.messaging.knative.dev "gone" not found'),
      // The subscriber resolved before the reply failed (Knative writes each URI as it resolves).
      physicalSubscription: { subscriberUri: 'http://sink.example/' },
    },
    wantEvents: ['Warning ReplyResolveFailed Failed to resolve spec.reply: failed to get object default/gone: channels.messaging.knative.dev "gone" not found'],
  },
];

runTable('Subscription', subRows, ({ ctx }, row) => reconcileKey(ctx, subscriptionReconciler(ctx), row.key));
