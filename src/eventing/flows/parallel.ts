// Parallel (flows.knative.dev/v1): an ingress channel (`NAME-kn-parallel`), one channel per branch
// (`NAME-kn-parallel-I`), a filter Subscription per branch from the ingress channel (to the filter, replying
// into the branch channel; without a filter straight to the branch channel) and a Subscription per branch from
// its channel to the subscriber, replying to the branch's reply or spec.reply (knative/eventing
// pkg/reconciler/parallel/parallel.go ReconcileKind, resources/subscription.go, pkg/apis/flows/v1/parallel_lifecycle.go).

import { ConditionSet, Lifecycle } from '../../api/conditions.ts';
import type { Condition, ObjectMeta, Status } from '../../api/types.ts';
import { reconcileKey, type Reconciler } from '../../controllers/kit.ts';
import type { StoredObject } from '../../store/store.ts';
import { DEFAULT_CHANNEL_TEMPLATE, IMC_RESOURCE, type InMemoryChannel } from '../channel.ts';
import type { ControllerFactory } from '../manager.ts';
import type { SubscriptionObject } from '../subscription.ts';
import { RESOURCE, type ChannelTemplateSpec, type DeliverySpec, type Destination } from '../types.ts';
import { ensureChannel, ensureSubscription, flowSubscription, readyOf, refOf, removeUnwanted, type ObjectReference } from './children.ts';

export interface ParallelBranch {
  filter?: Destination;
  subscriber: Destination;
  reply?: Destination;
  delivery?: DeliverySpec;
}
interface ChannelStatusEntry {
  channel: ObjectReference;
  ready: Condition;
}
interface SubscriptionStatusEntry {
  subscription: ObjectReference;
  ready: Condition;
}
export interface ParallelStatus extends Status {
  ingressChannelStatus?: ChannelStatusEntry;
  branchStatuses?: { filterSubscriptionStatus?: SubscriptionStatusEntry; filterChannelStatus?: ChannelStatusEntry; subscriberSubscriptionStatus?: SubscriptionStatusEntry }[];
  address?: { url?: string; name?: string };
}
export interface Parallel {
  apiVersion: string;
  kind: 'Parallel';
  metadata: ObjectMeta;
  spec: { branches: ParallelBranch[]; channelTemplate?: ChannelTemplateSpec; reply?: Destination };
  status?: ParallelStatus;
}

export const parallelChannelName = (name: string): string => `${name}-kn-parallel`;
export const parallelBranchChannelName = (name: string, i: number): string => `${name}-kn-parallel-${i}`;
export const parallelFilterSubscriptionName = (name: string, i: number): string => `${name}-kn-parallel-filter-${i}`;
export const parallelSubscriptionName = (name: string, i: number): string => `${name}-kn-parallel-${i}`;

const ZERO_CONDITION = { type: '', status: '' } as unknown as Condition;

/** pCondSet. */
export const ParallelConditions = new ConditionSet(['ChannelsReady', 'SubscriptionsReady', 'Addressable', 'EventPoliciesReady']);

function addressed(c: InMemoryChannel & StoredObject): ChannelStatusEntry {
  return c.status?.address
    ? { channel: refOf(c), ready: { type: 'Ready', status: 'True' } }
    : { channel: refOf(c), ready: { type: 'Ready', status: 'False', reason: 'NotAddressable', message: 'Channel is not addressable' } };
}

export class ParallelLifecycle extends Lifecycle {
  private readonly st: ParallelStatus;
  constructor(status: ParallelStatus, now: () => Date) {
    super(ParallelConditions, status, now);
    this.st = status;
  }
  markChannelsNotReady(reason: string, message: string): void {
    this.m.markFalse('ChannelsReady', reason, message);
  }
  markSubscriptionsNotReady(reason: string, message: string): void {
    this.m.markFalse('SubscriptionsReady', reason, message);
  }
  private branches(n: number): NonNullable<ParallelStatus['branchStatuses']> {
    if (!this.st.branchStatuses || this.st.branchStatuses.length !== n) this.st.branchStatuses = Array.from({ length: n }, () => ({}));
    return this.st.branchStatuses;
  }
  propagateChannelStatuses(ingress: InMemoryChannel & StoredObject, channels: (InMemoryChannel & StoredObject)[]): void {
    const b = this.branches(channels.length);
    this.st.ingressChannelStatus = addressed(ingress);
    let allReady = this.st.ingressChannelStatus.ready.status === 'True';
    if (ingress.status?.address) {
      this.st.address = structuredClone(ingress.status.address);
      this.m.markTrue('Addressable');
    } else {
      delete this.st.address;
      this.m.markFalse('Addressable', 'emptyAddress', 'addressable is nil');
    }
    channels.forEach((c, i) => {
      b[i].filterChannelStatus = addressed(c);
      if (b[i].filterChannelStatus?.ready.status !== 'True') allReady = false;
    });
    if (allReady) this.m.markTrue('ChannelsReady');
    else this.markChannelsNotReady('ChannelsNotReady', 'Channels are not ready yet, or there are none');
  }
  propagateSubscriptionStatuses(filterSubs: (SubscriptionObject & StoredObject)[], subs: (SubscriptionObject & StoredObject)[]): void {
    const b = this.branches(subs.length);
    let allReady = subs.length > 0;
    subs.forEach((s, i) => {
      const ready = readyOf(s.status);
      // A Subscription without a Ready condition leaves Go's zero Condition (`{type: "", status: ""}`).
      b[i].subscriberSubscriptionStatus = { subscription: refOf(s), ready: ready ? structuredClone(ready) : ZERO_CONDITION };
      if (ready?.status !== 'True') allReady = false;
      const fs = filterSubs[i];
      const fready = readyOf(fs.status);
      b[i].filterSubscriptionStatus = { subscription: refOf(fs), ready: fready ? structuredClone(fready) : ZERO_CONDITION };
      if (fready?.status !== 'True') allReady = false;
    });
    if (allReady) this.m.markTrue('SubscriptionsReady');
    else this.markSubscriptionsNotReady('SubscriptionsNotReady', 'Subscriptions are not ready yet, or there are none');
  }
  markEventPoliciesOIDCDisabled(): void {
    this.m.markTrueWithReason('EventPoliciesReady', 'OIDCDisabled', 'Feature "authentication-oidc" must be enabled to support Authorization');
  }
}

function filterSubscription(p: Parallel & StoredObject, t: ChannelTemplateSpec, i: number): SubscriptionObject {
  const name = p.metadata.name ?? '';
  const branchChannel: Destination = { ref: { apiVersion: t.apiVersion, kind: t.kind, name: parallelBranchChannelName(name, i), namespace: p.metadata.namespace } };
  const spec: SubscriptionObject['spec'] = { channel: { apiVersion: t.apiVersion, kind: t.kind, name: parallelChannelName(name) } };
  const filter = p.spec.branches[i].filter;
  if (!filter) spec.subscriber = branchChannel;
  else {
    spec.subscriber = filter;
    spec.reply = branchChannel;
  }
  return flowSubscription(p, parallelFilterSubscriptionName(name, i), spec);
}

function branchSubscription(p: Parallel & StoredObject, t: ChannelTemplateSpec, i: number): SubscriptionObject {
  const name = p.metadata.name ?? '';
  const br = p.spec.branches[i];
  const spec: SubscriptionObject['spec'] = { channel: { apiVersion: t.apiVersion, kind: t.kind, name: parallelBranchChannelName(name, i) }, subscriber: br.subscriber };
  if (br.delivery) spec.delivery = br.delivery;
  if (br.reply) spec.reply = br.reply;
  else if (p.spec.reply) spec.reply = p.spec.reply;
  return flowSubscription(p, parallelSubscriptionName(name, i), spec);
}

/** The Parallel reconciler (exported for the table tests). */
export function parallelReconciler(): Reconciler<Parallel & StoredObject, ParallelLifecycle> {
  return {
    resource: RESOURCE.parallels,
    lifecycle: ParallelLifecycle,
    reconcile(ctx, o) {
      const p = o.object;
      o.status.branchStatuses ??= [];
      const t = p.spec.channelTemplate ?? DEFAULT_CHANNEL_TEMPLATE;
      let ingress: (InMemoryChannel & StoredObject) | undefined;
      const channels: (InMemoryChannel & StoredObject)[] = [];
      for (let i = -1; i < p.spec.branches.length; i++) {
        const name = i === -1 ? parallelChannelName(o.name) : parallelBranchChannelName(o.name, i);
        try {
          const c = ensureChannel(ctx, p, t, name);
          if (i === -1) ingress = c;
          else channels.push(c);
        } catch (err) {
          o.lifecycle.markChannelsNotReady('ChannelsNotReady', `failed to reconcile channel ${name} at step ${i}: ${(err as Error).message}`);
          return;
        }
      }
      if (!ingress) return;
      o.lifecycle.propagateChannelStatuses(ingress, channels);
      const filterSubs: (SubscriptionObject & StoredObject)[] = [];
      const subs: (SubscriptionObject & StoredObject)[] = [];
      for (let i = 0; i < p.spec.branches.length; i++) {
        try {
          filterSubs.push(ensureSubscription(ctx, filterSubscription(p, t, i)));
          subs.push(ensureSubscription(ctx, branchSubscription(p, t, i)));
        } catch (err) {
          o.lifecycle.markSubscriptionsNotReady('SubscriptionsNotReady', `failed to reconcile Subscription Objects for branch: ${i} : ${(err as Error).message}`);
          return;
        }
      }
      o.lifecycle.propagateSubscriptionStatuses(filterSubs, subs);
      removeUnwanted(ctx, p, t, new Set([ingress, ...channels].map((c) => c.metadata.name ?? '')), new Set([...filterSubs, ...subs].map((s) => s.metadata.name ?? '')));
      o.lifecycle.markEventPoliciesOIDCDisabled();
    },
  };
}

export const parallelController: ControllerFactory = (ctx) => {
  const r = parallelReconciler();
  return { resource: RESOURCE.parallels, watches: [IMC_RESOURCE, RESOURCE.subscriptions], reconcile: (key) => reconcileKey(ctx, r, key) };
};
