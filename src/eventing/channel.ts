// Channel and InMemoryChannel (messaging.knative.dev/v1): the Channel creates its backing channel from
// spec.channelTemplate and mirrors its status (knative/eventing pkg/reconciler/channel/channel.go ReconcileKind);
// the InMemoryChannel gets its cluster-local address and is served by knit's channel dispatcher
// (src/eventing/channel-dispatcher.ts), which backs every channel with a durable queue.

import { ConditionSet, Lifecycle, getCondition, READY } from '../api/conditions.ts';
import type { ObjectMeta, OwnerReference, Status } from '../api/types.ts';
import { reconcileKey, type Reconciler } from '../controllers/kit.ts';
import type { ControllerContext } from '../controllers/context.ts';
import type { StoredObject } from '../store/store.ts';
import type { ControllerFactory, EventingContext } from './manager.ts';
import { resolveDestination, SinkError } from './sink.ts';
import { RESOURCE, type AddressStatus, type ChannelTemplateSpec, type DeliverySpec, type DeliveryStatus, type KReference, type Channel } from './types.ts';

export const MESSAGING_V1 = 'messaging.knative.dev/v1';
/** config-br-default-channel's default channel (knative/eventing config/core/configmaps/default-channel.yaml). */
export const DEFAULT_CHANNEL_TEMPLATE: ChannelTemplateSpec = { apiVersion: MESSAGING_V1, kind: 'InMemoryChannel' };
export const IMC_RESOURCE = 'messaging.knative.dev.inmemorychannels';
/** messaging.SubscribableDuckVersionAnnotation. */
export const SUBSCRIBABLE_ANNOTATION = 'messaging.knative.dev/subscribable';

/** eventingduckv1.SubscriberSpec as channels hold it (`name` is set by the Subscription reconciler). */
export interface ChannelSubscriber {
  name?: string;
  uid?: string;
  generation?: number;
  subscriberUri?: string;
  replyUri?: string;
  delivery?: DeliverySpec;
}
/** eventingduckv1.SubscriberStatus. */
export interface SubscriberStatus {
  uid?: string;
  observedGeneration?: number;
  ready?: 'True' | 'False' | 'Unknown';
  message?: string;
}

export interface ChannelableStatus extends AddressStatus, DeliveryStatus {
  subscribers?: SubscriberStatus[];
}

export interface InMemoryChannel {
  apiVersion: string;
  kind: 'InMemoryChannel';
  metadata: ObjectMeta;
  spec: { subscribers?: ChannelSubscriber[]; delivery?: DeliverySpec };
  status?: ChannelableStatus;
}

export type ChannelStatus = ChannelableStatus & { channel?: KReference };
export type ChannelObject = Omit<Channel, 'spec' | 'status'> & {
  spec: { channelTemplate?: ChannelTemplateSpec; subscribers?: ChannelSubscriber[]; delivery?: DeliverySpec };
  status?: ChannelStatus;
};

/** The host of an InMemoryChannel's address (knative/eventing pkg/reconciler/inmemorychannel/controller/resources/service.go). */
export function channelHost(name: string, namespace: string, clusterDomain: string): string {
  return `${name}-kn-channel.${namespace}.svc.${clusterDomain}`;
}

// ---- conditions ----

/** chCondSet (knative/eventing pkg/apis/messaging/v1/channel_lifecycle.go). */
export const ChannelConditions = new ConditionSet(['BackingChannelReady', 'Addressable', 'DeadLetterSinkResolved', 'EventPoliciesReady']);

export class ChannelLifecycle extends Lifecycle {
  private readonly st: ChannelStatus;
  constructor(status: ChannelStatus, now: () => Date) {
    super(ChannelConditions, status as Status, now);
    this.st = status;
  }
  markBackingChannelFailed(reason: string, message: string): void {
    this.m.markFalse('BackingChannelReady', reason, message);
  }
  /** PropagateStatuses: the backing channel's Ready, address and subscribers. */
  propagateStatuses(backing: ChannelableStatus | undefined): void {
    const ready = getCondition(backing as Status | undefined, READY);
    if (!ready) this.m.markUnknown('BackingChannelReady', 'BackingChannelNotConfigured', 'BackingChannel has not yet been reconciled.');
    else if (ready.status === 'True') this.m.markTrue('BackingChannelReady');
    else if (ready.status === 'False') this.m.markFalse('BackingChannelReady', ready.reason ?? '', ready.message ?? '');
    else this.m.markUnknown('BackingChannelReady', ready.reason ?? '', ready.message ?? '');
    this.st.address = backing?.address ? structuredClone(backing.address) : undefined;
    if (!this.st.address) delete this.st.address;
    if (backing?.address?.url) this.m.markTrue('Addressable');
    else this.m.markFalse('Addressable', 'EmptyHostname', 'hostname is the empty string');
    if (backing?.subscribers?.length) this.st.subscribers = structuredClone(backing.subscribers);
    else delete this.st.subscribers;
  }
  markDeadLetterSinkResolved(ds: DeliveryStatus): void {
    this.st.deadLetterSinkUri = ds.deadLetterSinkUri;
    this.m.markTrue('DeadLetterSinkResolved');
  }
  markDeadLetterSinkNotConfigured(): void {
    delete this.st.deadLetterSinkUri;
    this.m.markTrueWithReason('DeadLetterSinkResolved', 'DeadLetterSinkNotConfigured', 'No dead letter sink is configured.');
  }
  markDeadLetterSinkResolvedFailed(reason: string, message: string): void {
    delete this.st.deadLetterSinkUri;
    this.m.markFalse('DeadLetterSinkResolved', reason, message);
  }
  /** knit has no EventPolicies and no OIDC: auth.UpdateStatusWithProvidedEventPolicies's OIDC-disabled branch. */
  markEventPoliciesOIDCDisabled(): void {
    this.m.markTrueWithReason('EventPoliciesReady', 'OIDCDisabled', 'Feature "authentication-oidc" must be enabled to support Authorization');
  }
}

/** imcCondSet (knative/eventing pkg/apis/messaging/v1/in_memory_channel_lifecycle.go). */
export const InMemoryChannelConditions = new ConditionSet(['ServiceReady', 'EndpointsReady', 'Addressable', 'ChannelServiceReady', 'DeadLetterSinkResolved', 'EventPoliciesReady']);

export class InMemoryChannelLifecycle extends Lifecycle {
  private readonly st: ChannelableStatus;
  constructor(status: ChannelableStatus, now: () => Date) {
    super(InMemoryChannelConditions, status as Status, now);
    this.st = status;
  }
  /** The dispatcher (knit's channel dispatcher, in-process) is running: DispatcherReady, ServiceReady, EndpointsReady, ChannelServiceReady. */
  markDispatcherServing(): void {
    this.m.markTrue('DispatcherReady');
    this.m.markTrue('ServiceReady');
    this.m.markTrue('EndpointsReady');
    this.m.markTrue('ChannelServiceReady');
  }
  markEndpointsNotReady(): void {
    this.m.markFalse('EndpointsReady', 'DispatcherEndpointsNotReady', 'There are no endpoints ready for Dispatcher service');
  }
  setAddress(url: string): void {
    this.st.address = { name: 'http', url };
    delete this.st.addresses;
    this.m.markTrue('Addressable');
  }
  markDeadLetterSinkResolved(uri: string): void {
    this.st.deadLetterSinkUri = uri;
    this.m.markTrue('DeadLetterSinkResolved');
  }
  markDeadLetterSinkNotConfigured(): void {
    delete this.st.deadLetterSinkUri;
    this.m.markTrueWithReason('DeadLetterSinkResolved', 'DeadLetterSinkNotConfigured', 'No dead letter sink is configured.');
  }
  markDeadLetterSinkResolvedFailed(reason: string, message: string): void {
    delete this.st.deadLetterSinkUri;
    this.m.markFalse('DeadLetterSinkResolved', reason, message);
  }
  markEventPoliciesOIDCDisabled(): void {
    this.m.markTrueWithReason('EventPoliciesReady', 'OIDCDisabled', 'Feature "authentication-oidc" must be enabled to support Authorization');
  }
  /** The dispatcher fans out to every spec.subscribers entry (knative/eventing pkg/reconciler/inmemorychannel/dispatcher readiness). */
  markSubscribersReady(subscribers: readonly ChannelSubscriber[]): void {
    if (subscribers.length === 0) delete this.st.subscribers;
    else this.st.subscribers = subscribers.map((s) => ({ uid: s.uid, observedGeneration: s.generation, ready: 'True' }));
  }
}

// ---- owner references ----

/** The controller reference of an Eventing object on its child. */
export function eventingControllerRef(apiVersion: string, kind: string, meta: ObjectMeta): OwnerReference {
  return { apiVersion, kind, name: meta.name ?? '', uid: meta.uid ?? '', controller: true, blockOwnerDeletion: true };
}

function isControlledBy(meta: ObjectMeta, uid: string | undefined): boolean {
  return !!meta.ownerReferences?.some((o) => o.controller && o.uid === uid);
}

// ---- Channel reconciler ----

/** The store key of a channel template's kind (only InMemoryChannel backs channels in knit). */
function backingResource(t: ChannelTemplateSpec): string | undefined {
  return t.apiVersion === MESSAGING_V1 && t.kind === 'InMemoryChannel' ? IMC_RESOURCE : undefined;
}

/** The Channel reconciler (exported for the table tests). */
export function channelReconciler(): Reconciler<ChannelObject & StoredObject, ChannelLifecycle> {
  return {
    resource: RESOURCE.channels,
    lifecycle: ChannelLifecycle,
    reconcile(ctx, o) {
      const ch = o.object;
      // The webhook defaults the template; an object stored without one gets the same default.
      const t = ch.spec.channelTemplate ?? DEFAULT_CHANNEL_TEMPLATE;
      const ref: KReference = { kind: t.kind, apiVersion: t.apiVersion, name: o.name, namespace: o.namespace };
      const resource = backingResource(t);
      if (!resource) {
        o.lifecycle.markBackingChannelFailed('ChannelFailure', `failed to get lister for ${t.apiVersion}, Resource=${t.kind.toLowerCase()}s: knit backs channels with messaging.knative.dev/v1 InMemoryChannel only`);
        return;
      }
      let backing = ctx.store.get<InMemoryChannel & StoredObject>(resource, o.namespace, o.name);
      if (!backing) {
        const spec: InMemoryChannel['spec'] = { ...(structuredClone(t.spec ?? {}) as InMemoryChannel['spec']) };
        if (ch.spec.delivery) spec.delivery = structuredClone(ch.spec.delivery);
        backing = ctx.store.create<InMemoryChannel & StoredObject>(resource, {
          apiVersion: t.apiVersion,
          kind: 'InMemoryChannel',
          metadata: { name: o.name, namespace: o.namespace, annotations: { [SUBSCRIBABLE_ANNOTATION]: 'v1' }, ownerReferences: [eventingControllerRef(MESSAGING_V1, 'Channel', ch.metadata)] },
          spec,
        });
      } else if (!isControlledBy(backing.metadata, ch.metadata.uid)) {
        o.lifecycle.markBackingChannelFailed('ChannelFailure', `channel: ${o.namespace}/${o.name} does not own ${t.kind}: "${o.name}"`);
        return;
      }
      o.status.channel = ref;
      o.lifecycle.propagateStatuses(backing.status);
      if (ch.spec.delivery?.deadLetterSink) {
        if (backing.status?.deadLetterSinkUri) o.lifecycle.markDeadLetterSinkResolved({ deadLetterSinkUri: backing.status.deadLetterSinkUri });
        else o.lifecycle.markDeadLetterSinkResolvedFailed(`Backing Channel ${o.name} didn't set status.deadLetterSinkURI`, '');
      } else {
        o.lifecycle.markDeadLetterSinkNotConfigured();
      }
      o.lifecycle.markEventPoliciesOIDCDisabled();
    },
  };
}

// ---- InMemoryChannel reconciler ----

/** What the IMC reconciler needs from the dispatcher: serve a channel's host, or stop serving it. */
export interface ChannelHosts {
  serve(key: string, host: string): boolean;
  release(key: string): void;
}

function imcReconciler(ctx: EventingContext, hosts: ChannelHosts): Reconciler<InMemoryChannel & StoredObject, InMemoryChannelLifecycle> {
  return {
    resource: IMC_RESOURCE,
    lifecycle: InMemoryChannelLifecycle,
    reconcile(_c, o) {
      const host = channelHost(o.name, o.namespace, ctx.settings.clusterDomain);
      if (!hosts.serve(o.key, host)) {
        o.lifecycle.markEndpointsNotReady();
        return;
      }
      o.lifecycle.markDispatcherServing();
      const dls = o.object.spec.delivery?.deadLetterSink;
      if (dls) {
        try {
          o.lifecycle.markDeadLetterSinkResolved(resolveDestination(ctx.store, dls, o.namespace, ctx.settings.clusterDomain));
        } catch (err) {
          if (!(err instanceof SinkError)) throw err;
          o.lifecycle.markDeadLetterSinkResolvedFailed("Unable to get the DeadLetterSink's URI", err.message);
          return;
        }
      } else {
        o.lifecycle.markDeadLetterSinkNotConfigured();
      }
      o.lifecycle.setAddress(`http://${host}`);
      o.lifecycle.markEventPoliciesOIDCDisabled();
      o.lifecycle.markSubscribersReady(o.object.spec.subscribers ?? []);
    },
    finalize(_c, key) {
      hosts.release(key);
    },
  };
}

/** Store keys whose objects a Destination may name (re-resolved when they change). */
export const ADDRESSABLE_RESOURCES = ['services', 'routes', 'core.services', RESOURCE.brokers, RESOURCE.channels, IMC_RESOURCE, RESOURCE.sequences, RESOURCE.parallels] as const;

export const channelController: ControllerFactory = (ctx) => {
  const r = channelReconciler();
  return { resource: RESOURCE.channels, watches: [IMC_RESOURCE], reconcile: (key) => reconcileKey(ctx, r, key) };
};

/** The IMC controller; `hosts` is the channel dispatcher. */
export function inMemoryChannelController(hosts: (ctx: EventingContext) => ChannelHosts & { start?(): void; stop?(): void | Promise<void> }): ControllerFactory {
  return (ctx) => {
    const h = hosts(ctx);
    const r = imcReconciler(ctx, h);
    return {
      resource: IMC_RESOURCE,
      watches: ADDRESSABLE_RESOURCES.filter((x) => x !== IMC_RESOURCE),
      reconcile: (key) => reconcileKey(ctx as ControllerContext, r, key),
      start: () => h.start?.(),
      stop: () => h.stop?.(),
    };
  };
}
