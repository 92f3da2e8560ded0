// Sequence (flows.knative.dev/v1): one channel per step (`NAME-kn-sequence-I`) and one Subscription per step
// from that channel to the step, replying to the next step's channel, the last to spec.reply; the address is
// the first channel's (knative/eventing pkg/reconciler/sequence/sequence.go ReconcileKind,
// pkg/apis/flows/v1/sequence_lifecycle.go).

import { ConditionSet, Lifecycle } from '../../api/conditions.ts';
import { FieldError } from '../../api/field-error.ts';
import { rfc3339 } from '../../api/time.ts';
import type { Condition, ObjectMeta, Status } from '../../api/types.ts';
import { reconcileKey, type Reconciler } from '../../controllers/kit.ts';
import type { StoredObject } from '../../store/store.ts';
import { EVENTING_ADMITTERS } from '../admission.ts';
import { IMC_RESOURCE, MESSAGING_V1, type InMemoryChannel } from '../channel.ts';
import { isEmptyDestination, validateDelivery, validateDestination } from '../channel-validation.ts';
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

function sequenceReconciler(): Reconciler<Sequence & StoredObject, SequenceLifecycle> {
  return {
    resource: RESOURCE.sequences,
    lifecycle: SequenceLifecycle,
    reconcile(ctx, o) {
      const s = o.object;
      const t = s.spec.channelTemplate ?? { apiVersion: MESSAGING_V1, kind: 'InMemoryChannel' };
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

// ---- admission (knative/eventing pkg/apis/flows/v1 sequence_defaults.go, sequence_validation.go) ----

function defaultRefNamespace(d: Destination | undefined, ns: string | undefined): void {
  if (d?.ref && !d.ref.namespace && ns) d.ref.namespace = ns;
}

EVENTING_ADMITTERS['flows.knative.dev/Sequence'] = {
  defaults(obj) {
    if (obj.spec === undefined || obj.spec === null) obj.spec = {};
    const spec = obj.spec as Sequence['spec'];
    const ns = (obj.metadata as ObjectMeta | undefined)?.namespace;
    spec.channelTemplate ??= { apiVersion: MESSAGING_V1, kind: 'InMemoryChannel' };
    for (const st of spec.steps ?? []) defaultRefNamespace(st, ns);
    defaultRefNamespace(spec.reply, ns);
  },
  validate(obj) {
    const spec = obj.spec as Sequence['spec'];
    const ns = (obj.metadata as ObjectMeta | undefined)?.namespace;
    let errs: FieldError | null = null;
    const steps = Array.isArray(spec.steps) ? spec.steps : [];
    if (steps.length === 0) errs = FieldError.missing('spec.steps');
    steps.forEach((st, i) => {
      const e = FieldError.combine(validateDestination(st, ns), validateDelivery(st.delivery, ns)?.viaField('delivery'));
      // ErrInvalidArrayValue(step, "steps", i); knit adds the step's own error as the details.
      if (e) errs = FieldError.combine(errs, new FieldError(FieldError.invalidArrayValue(st, 'steps', i).message, [`spec.steps[${i}]`], e.toString()));
    });
    const t = spec.channelTemplate;
    if (!t) errs = FieldError.combine(errs, FieldError.missing('spec.channelTemplate'));
    else {
      if (!t.kind) errs = FieldError.combine(errs, FieldError.missing('spec.channelTemplate.kind'));
      if (!t.apiVersion) errs = FieldError.combine(errs, FieldError.missing('spec.channelTemplate.apiVersion'));
      if (t.kind && t.apiVersion && !(t.apiVersion === MESSAGING_V1 && t.kind === 'InMemoryChannel')) {
        errs = FieldError.combine(errs, FieldError.invalidValue(`${t.apiVersion} ${t.kind}`, 'spec.channelTemplate', 'knit backs channels with messaging.knative.dev/v1 InMemoryChannel only'));
      }
    }
    if (!isEmptyDestination(spec.reply) && spec.reply) errs = FieldError.combine(errs, validateDestination(spec.reply, ns)?.viaField('spec', 'reply'));
    return errs?.toString();
  },
};
