// Sequence (flows.knative.dev/v1): one channel per step (`NAME-kn-sequence-I`) and one Subscription per step
// from that channel to the step, replying to the next step's channel, the last to spec.reply; the address is
// the first channel's (knative/eventing pkg/reconciler/sequence/sequence.go ReconcileKind,
// pkg/apis/flows/v1/sequence_lifecycle.go).

import { ConditionSet, Lifecycle } from '../../api/conditions.ts';
import { rfc3339 } from '../../api/time.ts';
import type { Condition, ObjectMeta, Status } from '../../api/types.ts';
import { reconcileKey, type Reconciler } from '../../controllers/kit.ts';
import type { StoredObject } from '../../store/store.ts';
import { DEFAULT_CHANNEL_TEMPLATE, IMC_RESOURCE, type InMemoryChannel } from '../channel.ts';
import type { ControllerFactory } from '../manager.ts';
import type { SubscriptionObject } from '../subscription.ts';
import { RESOURCE, type ChannelTemplateSpec, type DeliverySpec, type Destination } from '../types.ts';
import { ensureChannel, ensureSubscription, flowSubscription, readyOf, refOf, removeUnwanted, type ObjectReference } from './children.ts';

export interface SequenceStep extends Destination {
  delivery?: DeliverySpec;
}
export interface SequenceStatus extends Status {
  subscriptionStatuses?: { subscription: ObjectReference; ready: Condition }[];
  channelStatuses?: { channel: ObjectReference; ready: Condition }[];
  address?: { url?: string };
}
export interface Sequence {
  apiVersion: string;
  kind: 'Sequence';
  metadata: ObjectMeta;
  spec: { steps: SequenceStep[]; channelTemplate?: ChannelTemplateSpec; reply?: Destination };
  status?: SequenceStatus;
}

export function sequenceChannelName(name: string, step: number): string {
  return `${name}-kn-sequence-${step}`;
}

/** sCondSet. */
export const SequenceConditions = new ConditionSet(['ChannelsReady', 'SubscriptionsReady', 'Addressable', 'EventPoliciesReady']);

export class SequenceLifecycle extends Lifecycle {
  private readonly st: SequenceStatus;
  private readonly now: () => Date;
  constructor(status: SequenceStatus, now: () => Date) {
    super(SequenceConditions, status, now);
    this.st = status;
    this.now = now;
  }
  markChannelsNotReady(reason: string, message: string): void {
    this.m.markUnknown('ChannelsReady', reason, message);
  }
  markSubscriptionsNotReady(reason: string, message: string): void {
    this.m.markUnknown('SubscriptionsReady', reason, message);
  }
  private noReady(what: string, prev: Condition | undefined): Condition {
    // Knative stamps time.Now() on every reconcile; knit keeps the first stamp so an unchanged status is not rewritten.
    const c: Condition = { type: 'Ready', status: 'Unknown', reason: 'NoReady', message: `${what} does not have Ready condition` };
    c.lastTransitionTime = prev?.reason === 'NoReady' ? prev.lastTransitionTime : rfc3339(this.now());
    return c;
  }
  propagateChannelStatuses(channels: (InMemoryChannel & StoredObject)[]): void {
    const prev = this.st.channelStatuses ?? [];
    let allReady = channels.length > 0;
    this.st.channelStatuses = channels.map((c, i) => {
      if (i === 0) this.setAddress(c.status?.address?.url);
      const ready = readyOf(c.status);
      if (ready?.status !== 'True') allReady = false;
      return { channel: refOf(c), ready: ready ? structuredClone(ready) : this.noReady('Channel', prev[i]?.ready) };
    });
    if (allReady) this.m.markTrue('ChannelsReady');
    else this.markChannelsNotReady('ChannelsNotReady', 'Channels are not ready yet, or there are none');
  }
  propagateSubscriptionStatuses(subs: (SubscriptionObject & StoredObject)[]): void {
    const prev = this.st.subscriptionStatuses ?? [];
    let allReady = subs.length > 0;
    this.st.subscriptionStatuses = subs.map((s, i) => {
      const ready = readyOf(s.status);
      if (ready?.status !== 'True') allReady = false;
      return { subscription: refOf(s), ready: ready ? structuredClone(ready) : this.noReady('Subscription', prev[i]?.ready) };
    });
    if (allReady) this.m.markTrue('SubscriptionsReady');
    else this.markSubscriptionsNotReady('SubscriptionsNotReady', 'Subscriptions are not ready yet, or there are none');
  }
  private setAddress(url: string | undefined): void {
    if (!url) {
      this.st.address = {};
      this.m.markUnknown('Addressable', 'emptyAddress', 'addressable is nil');
    } else {
      this.st.address = { url };
      this.m.markTrue('Addressable');
    }
  }
  markEventPoliciesOIDCDisabled(): void {
    this.m.markTrueWithReason('EventPoliciesReady', 'OIDCDisabled', 'Feature "authentication-oidc" must be enabled to support Authorization');
  }
}

/** resources.NewSubscription for step `i`. */
function stepSubscription(s: Sequence & StoredObject, t: ChannelTemplateSpec, i: number): SubscriptionObject {
  const step = s.spec.steps[i];
  const subscriber: Destination = {};
  if (step.ref) subscriber.ref = step.ref;
  if (step.uri !== undefined) subscriber.uri = step.uri;
  if (step.CACerts !== undefined) subscriber.CACerts = step.CACerts;
  if (step.audience !== undefined) subscriber.audience = step.audience;
  const spec: SubscriptionObject['spec'] = { channel: { apiVersion: t.apiVersion, kind: t.kind, name: sequenceChannelName(s.metadata.name ?? '', i) }, subscriber };
  if (step.delivery) spec.delivery = step.delivery;
  if (i < s.spec.steps.length - 1) {
    spec.reply = { ref: { apiVersion: t.apiVersion, kind: t.kind, name: sequenceChannelName(s.metadata.name ?? '', i + 1), namespace: s.metadata.namespace } };
  } else if (s.spec.reply) {
    spec.reply = s.spec.reply;
  }
  return flowSubscription(s, sequenceChannelName(s.metadata.name ?? '', i), spec);
}

/** The Sequence reconciler (exported for the table tests). */
export function sequenceReconciler(): Reconciler<Sequence & StoredObject, SequenceLifecycle> {
  return {
    resource: RESOURCE.sequences,
    lifecycle: SequenceLifecycle,
    reconcile(ctx, o) {
      const s = o.object;
      const t = s.spec.channelTemplate ?? DEFAULT_CHANNEL_TEMPLATE;
      const channels: (InMemoryChannel & StoredObject)[] = [];
      for (let i = 0; i < s.spec.steps.length; i++) {
        const name = sequenceChannelName(o.name, i);
        try {
          channels.push(ensureChannel(ctx, s, t, name));
        } catch (err) {
          o.lifecycle.markChannelsNotReady('ChannelsNotReady', `failed to reconcile channel ${name} at step ${i}: ${(err as Error).message}`);
          return;
        }
      }
      o.lifecycle.propagateChannelStatuses(channels);
      const subs: (SubscriptionObject & StoredObject)[] = [];
      for (let i = 0; i < s.spec.steps.length; i++) {
        try {
          subs.push(ensureSubscription(ctx, stepSubscription(s, t, i)));
        } catch (err) {
          o.lifecycle.markSubscriptionsNotReady('SubscriptionsNotReady', `failed to reconcile subscription resource for step: ${i} : ${(err as Error).message}`);
          return;
        }
      }
      o.lifecycle.propagateSubscriptionStatuses(subs);
      const names = new Set(channels.map((c) => c.metadata.name ?? ''));
      removeUnwanted(ctx, s, t, names, new Set(subs.map((x) => x.metadata.name ?? '')));
      o.lifecycle.markEventPoliciesOIDCDisabled();
    },
  };
}

export const sequenceController: ControllerFactory = (ctx) => {
  const r = sequenceReconciler();
  return { resource: RESOURCE.sequences, watches: [IMC_RESOURCE, RESOURCE.subscriptions], reconcile: (key) => reconcileKey(ctx, r, key) };
};
