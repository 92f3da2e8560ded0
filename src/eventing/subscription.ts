// Subscription (messaging.knative.dev/v1): resolves spec.channel (a Channel is followed to its backing
// channel), subscriber, reply and dead-letter sink, and writes itself into the channel's spec.subscribers, as
// knative/eventing pkg/reconciler/subscription/subscription.go ReconcileKind and FinalizeKind do.

import { ConditionSet, Lifecycle } from '../api/conditions.ts';
import type { ObjectMeta, Status } from '../api/types.ts';
import { reconcileKey, type Reconciler } from '../controllers/kit.ts';
import type { ControllerContext } from '../controllers/context.ts';
import { splitKey } from '../controllers/names.ts';
import type { StoredObject } from '../store/store.ts';
import { ADDRESSABLE_RESOURCES, IMC_RESOURCE, type ChannelObject, type ChannelSubscriber, type InMemoryChannel } from './channel.ts';
import { isEmptyDestination } from './channel-validation.ts';
import type { ControllerFactory, EventingContext } from './manager.ts';
import { referencedObject, resolveDestination, SinkError } from './sink.ts';
import { RESOURCE, type DeliverySpec, type Destination, type KReference } from './types.ts';

export interface PhysicalSubscription {
  subscriberUri?: string;
  replyUri?: string;
  deadLetterSinkUri?: string;
}
export interface SubscriptionObject {
  apiVersion: string;
  kind: 'Subscription';
  metadata: ObjectMeta;
  spec: { channel: KReference; subscriber?: Destination; reply?: Destination; delivery?: DeliverySpec };
  status?: Status & { physicalSubscription?: PhysicalSubscription };
}

/** SubCondSet (knative/eventing pkg/apis/messaging/v1/subscription_lifecycle.go). */
export const SubscriptionConditions = new ConditionSet(['ReferencesResolved', 'AddedToChannel', 'ChannelReady', 'OIDCIdentityCreated']);

export class SubscriptionLifecycle extends Lifecycle {
  constructor(status: Status, now: () => Date) {
    super(SubscriptionConditions, status, now);
  }
  markReferencesResolved(): void {
    this.m.markTrue('ReferencesResolved');
  }
  markReferencesNotResolved(reason: string, message: string): void {
    this.m.markFalse('ReferencesResolved', reason, message);
  }
  markReferencesResolvedUnknown(reason: string, message: string): void {
    this.m.markUnknown('ReferencesResolved', reason, message);
  }
  markAddedToChannel(): void {
    this.m.markTrue('AddedToChannel');
  }
  markNotAddedToChannel(reason: string, message: string): void {
    this.m.markFalse('AddedToChannel', reason, message);
  }
  markChannelReady(): void {
    this.m.markTrue('ChannelReady');
  }
  markChannelUnknown(reason: string, message: string): void {
    this.m.markUnknown('ChannelReady', reason, message);
  }
  markChannelFailed(reason: string, message: string): void {
    this.m.markFalse('ChannelReady', reason, message);
  }
  /** auth.SetupOIDCServiceAccount with authentication-oidc disabled (knit has no OIDC). */
  markOIDCDisabled(): void {
    this.m.markTrueWithReason('OIDCIdentityCreated', 'authentication-oidc feature disabled', '');
  }
}

/** A channelable knit serves, found from a reference: its store key and object. */
interface Channelable {
  resource: string;
  object: InMemoryChannel & StoredObject;
}

class ChannelRefError extends Error {}

/** getChannel: spec.channel, and for a Channel its backing channel (which must be Ready). */
function getChannel(ctx: Pick<ControllerContext, 'store'>, sub: SubscriptionObject, namespace: string): Channelable {
  const ref = { ...sub.spec.channel, namespace };
  const found = referencedObject(ctx.store, ref, namespace);
  if (!found) throw new ChannelRefError(`failed to get lister for ${ref.apiVersion ?? ''}, Resource=${ref.kind.toLowerCase()}s: no informer for that kind`);
  if (!found.object) throw new ChannelRefError(`${ref.kind.toLowerCase()}s.messaging.knative.dev "${ref.name}" not found`);
  if (found.resource === RESOURCE.channels) {
    const ch = found.object as unknown as ChannelObject & StoredObject;
    if (!isChannelReady(ch) || !ch.status?.channel) throw new ChannelRefError('channel is not ready.');
    const backingRef = ch.status.channel;
    const backing = referencedObject(ctx.store, { ...backingRef, namespace }, namespace);
    if (!backing?.object) throw new ChannelRefError(`${backingRef.kind.toLowerCase()}s.messaging.knative.dev "${backingRef.name}" not found`);
    return { resource: backing.resource, object: backing.object as unknown as InMemoryChannel & StoredObject };
  }
  if (found.resource !== IMC_RESOURCE) throw new ChannelRefError(`Failed to convert to Channelable Object: ${ref.apiVersion ?? ''} ${ref.kind} ${ref.name} is not a channel`);
  return { resource: found.resource, object: found.object as unknown as InMemoryChannel & StoredObject };
}

/** ChannelStatus.IsReady: every condition of chCondSet happy (no generation check, as Knative's). */
function isChannelReady(ch: ChannelObject): boolean {
  return ch.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

/** deliverySpec: what the channel gets for this subscriber (its own delivery, else the channel's). */
function subscriberDelivery(sub: SubscriptionObject, channel: InMemoryChannel): DeliverySpec | undefined {
  const phys = sub.status?.physicalSubscription;
  const src = sub.spec.delivery === undefined && channel.spec.delivery !== undefined ? channel.spec.delivery : sub.spec.delivery;
  let d: DeliverySpec | undefined;
  if (phys?.deadLetterSinkUri) d = { deadLetterSink: { uri: phys.deadLetterSinkUri } };
  if (src && (src.backoffDelay !== undefined || src.retry !== undefined || src.backoffPolicy !== undefined || src.timeout !== undefined || src.retryAfterMax !== undefined)) {
    d ??= {};
    for (const k of ['backoffPolicy', 'retry', 'backoffDelay', 'timeout', 'retryAfterMax'] as const) {
      if (src[k] !== undefined) (d as Record<string, unknown>)[k] = src[k];
    }
  }
  return d;
}

function subscriberEntry(sub: SubscriptionObject, channel: InMemoryChannel): ChannelSubscriber {
  const phys = sub.status?.physicalSubscription ?? {};
  const e: ChannelSubscriber = { name: sub.metadata.name, uid: sub.metadata.uid, generation: sub.metadata.generation };
  if (phys.subscriberUri) e.subscriberUri = phys.subscriberUri;
  if (phys.replyUri) e.replyUri = phys.replyUri;
  const d = subscriberDelivery(sub, channel);
  if (d) e.delivery = d;
  return e;
}

/** Adds or refreshes `sub` in the channel's spec.subscribers; true when the channel was written. */
function addToChannel(ctx: Pick<ControllerContext, 'store'>, ch: Channelable, sub: SubscriptionObject): boolean {
  const obj = structuredClone(ch.object);
  const subs = (obj.spec.subscribers ??= []);
  const entry = subscriberEntry(sub, obj);
  const i = subs.findIndex((s) => s.uid === sub.metadata.uid);
  if (i >= 0) {
    if (JSON.stringify(subs[i]) === JSON.stringify(entry)) return false;
    subs[i] = entry;
  } else {
    subs.push(entry);
  }
  ctx.store.update(ch.resource, obj);
  return true;
}

/** Removes the deleted Subscription `name` (gone from the store) from every channel of `namespace` that lists it. */
function removeFromChannels(ctx: Pick<ControllerContext, 'store'>, namespace: string, name: string): void {
  const current = ctx.store.get<SubscriptionObject & StoredObject>(RESOURCE.subscriptions, namespace, name);
  for (const imc of ctx.store.list<InMemoryChannel & StoredObject>(IMC_RESOURCE, { namespace })) {
    const subs = imc.spec.subscribers ?? [];
    const keep = subs.filter((s) => s.name !== name || (current !== undefined && s.uid === current.metadata.uid));
    if (keep.length === subs.length) continue;
    const obj = structuredClone(imc);
    if (keep.length > 0) obj.spec.subscribers = keep;
    else delete obj.spec.subscribers;
    ctx.store.update(IMC_RESOURCE, obj);
  }
}

function resolve(ctx: Pick<EventingContext, 'store' | 'settings'>, dest: Destination, namespace: string): string {
  return resolveDestination(ctx.store, dest, namespace, ctx.settings.clusterDomain);
}

/** The Subscription reconciler (exported for the table tests). */
export function subscriptionReconciler(ctx: Pick<EventingContext, 'store' | 'settings' | 'events'>): Reconciler<SubscriptionObject & StoredObject, SubscriptionLifecycle> {
  return {
    resource: RESOURCE.subscriptions,
    lifecycle: SubscriptionLifecycle,
    reconcile(_c, o) {
      const sub = o.object;
      o.lifecycle.markOIDCDisabled();
      let channel: Channelable;
      try {
        channel = getChannel(ctx, sub, o.namespace);
      } catch (err) {
        if (!(err instanceof ChannelRefError)) throw err;
        o.lifecycle.markReferencesResolvedUnknown('ChannelReferenceFailed', `Failed to get Spec.Channel or backing channel: ${err.message}`);
        ctx.events.event(sub, 'Warning', 'ChannelReferenceFailed', `Failed to get Spec.Channel or backing channel: ${err.message}`);
        return;
      }
      // resolveSubscriptionURIs
      o.lifecycle.markReferencesResolvedUnknown('Resolving', 'Subscription resolution interrupted.');
      // The resolved URIs are written as they resolve, over the previous ones (a failure keeps what came before).
      const phys: PhysicalSubscription = { ...(sub.status?.physicalSubscription ?? {}) };
      o.status.physicalSubscription = phys;
      const step = (what: string, reason: string, dest: Destination): string | undefined => {
        try {
          return resolve(ctx, dest, o.namespace);
        } catch (err) {
          if (!(err instanceof SinkError)) throw err;
          o.lifecycle.markReferencesNotResolved(reason, `Failed to resolve ${what}: ${err.message}`);
          ctx.events.event(sub, 'Warning', reason, `Failed to resolve ${what}: ${err.message}`);
          return undefined;
        }
      };
      if (!isEmptyDestination(sub.spec.subscriber)) {
        const u = step('spec.subscriber', 'SubscriberResolveFailed', sub.spec.subscriber as Destination);
        if (u === undefined) return;
        phys.subscriberUri = u;
      } else delete phys.subscriberUri;
      if (!isEmptyDestination(sub.spec.reply)) {
        const u = step('spec.reply', 'ReplyResolveFailed', sub.spec.reply as Destination);
        if (u === undefined) return;
        phys.replyUri = u;
      } else delete phys.replyUri;
      if (sub.spec.delivery?.deadLetterSink) {
        const u = step('spec.delivery.deadLetterSink', 'DeadLetterSinkResolveFailed', sub.spec.delivery.deadLetterSink);
        if (u === undefined) {
          delete phys.deadLetterSinkUri;
          return;
        }
        phys.deadLetterSinkUri = u;
      } else if (channel.object.spec.delivery?.deadLetterSink) {
        const u = channel.object.status?.deadLetterSinkUri;
        if (!u) {
          delete phys.deadLetterSinkUri;
          o.lifecycle.markReferencesNotResolved('DeadLetterSinkResolveFailed', `channel ${channel.object.metadata.name} didn't set status.deadLetterSinkURI`);
          ctx.events.event(sub, 'Warning', 'DeadLetterSinkResolveFailed', `channel ${channel.object.metadata.name} didn't set status.deadLetterSinkURI`);
          return;
        }
        phys.deadLetterSinkUri = u;
      } else delete phys.deadLetterSinkUri;
      o.lifecycle.markReferencesResolved();
      // syncChannel
      const name = channel.object.metadata.name;
      let patched: boolean;
      try {
        patched = addToChannel(ctx, channel, sub);
      } catch (err) {
        o.lifecycle.markNotAddedToChannel('PhysicalChannelSyncFailed', `Failed to sync physical Channel: ${(err as Error).message}`);
        ctx.events.event(sub, 'Warning', 'PhysicalChannelSyncFailed', `Failed to synchronize to channel "${name}": ${(err as Error).message}`);
        return;
      }
      o.lifecycle.markAddedToChannel();
      if (patched) ctx.events.event(sub, 'Normal', 'SubscriberSync', `Subscription was synchronized to channel "${name}"`);
      // checkChannelStatusForSubscription
      const ss = channel.object.status?.subscribers?.find((s) => s.uid === sub.metadata.uid && s.observedGeneration === sub.metadata.generation);
      if (!ss || patched) {
        o.lifecycle.markChannelUnknown('SubscriptionNotMarkedReadyByChannel', `Failed to get subscription status: subscription "${o.name}" not present in channel "${name}" subscriber's list`);
      } else if (ss.ready === 'True') o.lifecycle.markChannelReady();
      else if (ss.ready === 'False') o.lifecycle.markChannelFailed('SubscriptionNotMarkedReadyByChannel', 'Subscription marked by Channel as False');
      else o.lifecycle.markChannelUnknown('SubscriptionNotMarkedReadyByChannel', 'Subscription marked by Channel as Unknown');
    },
    finalize(_c, key) {
      const [namespace, name] = splitKey(key);
      removeFromChannels(ctx, namespace, name);
    },
  };
}

export const subscriptionController: ControllerFactory = (ctx) => {
  const r = subscriptionReconciler(ctx);
  return { resource: RESOURCE.subscriptions, watches: [...ADDRESSABLE_RESOURCES], reconcile: (key) => reconcileKey(ctx, r, key) };
};
