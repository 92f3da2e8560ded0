// Admission of the messaging and flows kinds beyond Knative's webhook. The Knative defaults and validation of
// Channel, Subscription, Sequence and Parallel are the Eventing webhook's (EVENTING_ADMITTERS, filled by the
// webhook table); knit layers on them what it cannot honour, refused with a clear error instead of accepted
// and ignored: a channel template other than InMemoryChannel, and structured-mode delivery. It also serves
// the InMemoryChannel kind's own webhook (knative/eventing pkg/apis/messaging/v1 in_memory_channel_defaults.go,
// in_memory_channel_validation.go, subscribable_channelable_validation.go).

import { FieldError } from '../api/field-error.ts';
import type { ObjectMeta } from '../api/types.ts';
import type { WriteContext } from '../server/kinds.ts';
import { EVENTING_ADMITTERS, type EventingAdmitter } from './admission.ts';
import { DEFAULT_CHANNEL_TEMPLATE, MESSAGING_V1, SUBSCRIBABLE_ANNOTATION, type ChannelSubscriber } from './channel.ts';

type Obj = Record<string, unknown>;

/** eventingControllerSAName (knative/eventing pkg/apis/messaging/v1/subscribable_channelable_validation.go). */
const EVENTING_CONTROLLER_SA = 'system:serviceaccount:knative-eventing:eventing-controller';

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const specOf = (o: Obj): Obj => (isObj(o.spec) ? o.spec : {});

/**
 * Wraps the webhook's admitter for `key` (if any): its defaults, then knit's; its refusal wins, else knit's own
 * checks run on the defaulted object.
 */
function layer(key: string, own: { defaults?(o: Obj): void; validate(o: Obj): FieldError | null }): void {
  const base: EventingAdmitter | undefined = EVENTING_ADMITTERS[key];
  EVENTING_ADMITTERS[key] = {
    defaults(o: Obj, ctx: WriteContext) {
      base?.defaults(o, ctx);
      own.defaults?.(o);
    },
    validate(o: Obj, ctx: WriteContext) {
      const refused = base?.validate(o, ctx);
      return refused !== undefined ? refused : own.validate(o)?.toString();
    },
  };
}

/** The default channel template when the object has none (what the webhook's defaults set). */
function defaultTemplate(o: Obj): void {
  if (isObj(o.spec) && !isObj(o.spec.channelTemplate)) o.spec.channelTemplate = { ...DEFAULT_CHANNEL_TEMPLATE };
}

/** Only InMemoryChannel backs channels in knit (src/eventing/channel.ts). */
function templateError(spec: Obj): FieldError | null {
  const t = isObj(spec.channelTemplate) ? spec.channelTemplate : undefined;
  if (!t || (t.apiVersion === MESSAGING_V1 && t.kind === 'InMemoryChannel')) return null;
  return FieldError.invalidValue(`${String(t.apiVersion)} ${String(t.kind)}`, 'spec.channelTemplate', 'knit backs channels with messaging.knative.dev/v1 InMemoryChannel only');
}

/** The delivery engine sends binary mode only (src/eventing/send.ts). */
function formatError(delivery: unknown, path: string): FieldError | null {
  if (!isObj(delivery) || delivery.format !== 'json') return null;
  return FieldError.invalidValue('json', `${path}.format`, 'knit delivers events in binary mode only');
}

function indexed(list: unknown, field: string, check: (item: Obj, path: string) => FieldError | null): FieldError | null {
  if (!Array.isArray(list)) return null;
  return FieldError.combine(...list.map((x, i) => (isObj(x) ? check(x, `spec.${field}[${i}]`) : null)));
}

layer('messaging.knative.dev/Channel', {
  defaults(o) {
    const md = (isObj(o.metadata) ? o.metadata : (o.metadata = {})) as ObjectMeta;
    md.annotations = { ...md.annotations };
    md.annotations[SUBSCRIBABLE_ANNOTATION] ??= 'v1';
    if (!isObj(o.spec)) o.spec = {};
    defaultTemplate(o);
  },
  validate: (o) => FieldError.combine(templateError(specOf(o)), formatError(specOf(o).delivery, 'spec.delivery')),
});

layer('messaging.knative.dev/Subscription', {
  validate: (o) => formatError(specOf(o).delivery, 'spec.delivery'),
});

layer('flows.knative.dev/Sequence', {
  defaults: defaultTemplate,
  validate: (o) => FieldError.combine(templateError(specOf(o)), indexed(specOf(o).steps, 'steps', (st, p) => formatError(st.delivery, `${p}.delivery`))),
});

layer('flows.knative.dev/Parallel', {
  defaults: defaultTemplate,
  validate: (o) => FieldError.combine(templateError(specOf(o)), indexed(specOf(o).branches, 'branches', (b, p) => formatError(b.delivery, `${p}.delivery`))),
});

EVENTING_ADMITTERS['messaging.knative.dev/InMemoryChannel'] = {
  defaults(o) {
    const md = (isObj(o.metadata) ? o.metadata : (o.metadata = {})) as ObjectMeta;
    md.annotations = { ...md.annotations };
    md.annotations[SUBSCRIBABLE_ANNOTATION] ??= 'v1';
    if (!isObj(o.spec)) o.spec = {};
  },
  validate(o, ctx) {
    const spec = specOf(o);
    let errs: FieldError | null = null;
    const subs = Array.isArray(spec.subscribers) ? (spec.subscribers as ChannelSubscriber[]) : [];
    subs.forEach((s, i) => {
      if (!s.subscriberUri && !s.replyUri) errs = FieldError.combine(errs, new FieldError('missing field(s)', ['replyURI', 'subscriberURI'], 'expected at least one of, got none').viaField('spec', 'subscribable', `subscriber[${i}]`));
      errs = FieldError.combine(errs, formatError(s.delivery, `spec.subscribable.subscriber[${i}].delivery`));
    });
    errs = FieldError.combine(errs, formatError(spec.delivery, 'spec.delivery'));
    // CheckSubscribersChangeAllowed: only the eventing controller (knit's Subscription reconciler, which writes
    // to the store directly) changes an existing channel's subscribers.
    if (ctx.op === 'update' && ctx.old) {
      const before = JSON.stringify(specOf(ctx.old as unknown as Obj).subscribers ?? null);
      const after = JSON.stringify(spec.subscribers ?? null);
      if (before !== after) {
        errs = FieldError.combine(errs, new FieldError(`Channel.Spec.Subscribers changed by user ${ctx.user} which was not the ${EVENTING_CONTROLLER_SA} service account`, ['spec.subscribers'], `-: ${before}\n+: ${after}`));
      }
    }
    return errs?.toString();
  },
};
