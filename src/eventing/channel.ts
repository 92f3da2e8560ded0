// Channel and InMemoryChannel (messaging.knative.dev/v1): the Channel creates its backing channel from
// spec.channelTemplate and mirrors its status (knative/eventing pkg/reconciler/channel/channel.go ReconcileKind);
// the InMemoryChannel gets its cluster-local address and is served by knit's channel dispatcher
// (src/eventing/channel-dispatcher.ts), which backs every channel with a durable queue.

import { ConditionSet, Lifecycle, getCondition, READY } from '../api/conditions.ts';
import { FieldError } from '../api/field-error.ts';
import type { ObjectMeta, OwnerReference, Status } from '../api/types.ts';
import { reconcileKey, type Reconciler } from '../controllers/kit.ts';
import type { ControllerContext } from '../controllers/context.ts';
import type { StoredObject } from '../store/store.ts';
import { EVENTING_ADMITTERS } from './admission.ts';
import type { ControllerFactory, EventingContext } from './manager.ts';
import { resolveDestination, SinkError } from './sink.ts';
import { RESOURCE, type AddressStatus, type ChannelTemplateSpec, type DeliverySpec, type DeliveryStatus, type KReference, type Channel } from './types.ts';
import { validateDelivery } from './channel-validation.ts';

export const MESSAGING_V1 = 'messaging.knative.dev/v1';
export const IMC_RESOURCE = 'messaging.knative.dev.inmemorychannels';
/** messaging.SubscribableDuckVersionAnnotation. */
export const SUBSCRIBABLE_ANNOTATION = 'messaging.knative.dev/subscribable';
/** eventingControllerSAName (knative/eventing pkg/apis/messaging/v1/subscribable_channelable_validation.go). */
const EVENTING_CONTROLLER_SA = 'system:serviceaccount:knative-eventing:eventing-controller';

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
      const t = ch.spec.channelTemplate;
      if (!t) {
        o.lifecycle.markBackingChannelFailed('ChannelFailure', 'spec.channelTemplate is not set');
        return;
      }
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

// ---- admission (knative/eventing pkg/apis/messaging/v1 channel_defaults.go, channel_validation.go, in_memory_channel_*.go) ----

type Obj = Record<string, unknown>;

function annotate(obj: Obj): void {
  const md = (obj.metadata ??= {}) as ObjectMeta;
  md.annotations ??= {};
  md.annotations[SUBSCRIBABLE_ANNOTATION] ??= 'v1';
}

function specOf(obj: Obj): Obj {
  if (obj.spec === undefined || obj.spec === null) obj.spec = {};
  return obj.spec as Obj;
}

EVENTING_ADMITTERS['messaging.knative.dev/Channel'] = {
  defaults(obj) {
    annotate(obj);
    const spec = specOf(obj);
    // config-br-default-channel's default: an InMemoryChannel.
    spec.channelTemplate ??= { apiVersion: MESSAGING_V1, kind: 'InMemoryChannel' };
  },
  validate(obj, ctx) {
    const spec = specOf(obj);
    let errs: FieldError | null = null;
    const t = spec.channelTemplate as ChannelTemplateSpec | undefined;
    if (!t) errs = FieldError.missing('spec.channelTemplate');
    else {
      if (!t.kind) errs = FieldError.combine(errs, FieldError.missing('spec.channelTemplate.kind'));
      if (!t.apiVersion) errs = FieldError.combine(errs, FieldError.missing('spec.channelTemplate.apiVersion'));
      if (t.kind && t.apiVersion && !(t.apiVersion === MESSAGING_V1 && t.kind === 'InMemoryChannel')) {
        errs = FieldError.combine(errs, FieldError.invalidValue(`${t.apiVersion} ${t.kind}`, 'spec.channelTemplate', 'knit backs channels with messaging.knative.dev/v1 InMemoryChannel only'));
      }
    }
    // Subscriptions write into the backing channel, never into a Channel.
    if (Array.isArray(spec.subscribers) && spec.subscribers.length > 0) {
      errs = FieldError.combine(errs, FieldError.disallowed('spec.subscribable.subscribers'));
    }
    if (spec.delivery) errs = FieldError.combine(errs, validateDelivery(spec.delivery as DeliverySpec, (obj.metadata as ObjectMeta | undefined)?.namespace)?.viaField('spec', 'delivery'));
    if (ctx.op === 'update' && ctx.old) {
      const before = { ...((ctx.old as unknown as Obj).spec as Obj) };
      const after = { ...spec };
      delete before.subscribers;
      delete after.subscribers;
      if (JSON.stringify(before) !== JSON.stringify(after)) errs = FieldError.combine(errs, new FieldError('Immutable fields changed (-old +new)', ['spec'], `-: ${JSON.stringify(before)}\n+: ${JSON.stringify(after)}`));
    }
    return errs?.toString();
  },
};

EVENTING_ADMITTERS['messaging.knative.dev/InMemoryChannel'] = {
  defaults(obj) {
    annotate(obj);
    specOf(obj);
  },
  validate(obj, ctx) {
    const spec = specOf(obj);
    let errs: FieldError | null = null;
    const subs = Array.isArray(spec.subscribers) ? (spec.subscribers as ChannelSubscriber[]) : [];
    subs.forEach((s, i) => {
      if (!s.subscriberUri && !s.replyUri) errs = FieldError.combine(errs, new FieldError('missing field(s)', ['replyURI', 'subscriberURI'], 'expected at least one of, got none').viaField('spec', 'subscribable', `subscriber[${i}]`));
      if (s.delivery) errs = FieldError.combine(errs, validateDelivery(s.delivery)?.viaField('spec', 'subscribable', `subscriber[${i}]`, 'delivery'));
    });
    if (spec.delivery) errs = FieldError.combine(errs, validateDelivery(spec.delivery as DeliverySpec)?.viaField('spec', 'delivery'));
    // CheckSubscribersChangeAllowed: only the eventing controller (knit's Subscription reconciler, which writes
    // to the store directly) changes an existing channel's subscribers.
    if (ctx.op === 'update' && ctx.old) {
      const before = JSON.stringify(((ctx.old as unknown as Obj).spec as Obj | undefined)?.subscribers ?? null);
      const after = JSON.stringify(spec.subscribers ?? null);
      if (before !== after) {
        errs = FieldError.combine(errs, new FieldError(`Channel.Spec.Subscribers changed by user ${ctx.user} which was not the ${EVENTING_CONTROLLER_SA} service account`, ['spec.subscribers'], `-: ${before}\n+: ${after}`));
      }
    }
    return errs?.toString();
  },
};
