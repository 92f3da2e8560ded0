// Knative Eventing's admission webhook for knit: defaulting (SetDefaults) then validation (Validate) of
// each eventing.knative.dev, messaging.knative.dev, flows.knative.dev and sources.knative.dev kind, as
// knative/eventing pkg/apis/*/v1 *_defaults.go and *_validation.go do. A refusal is a 400 BadRequest with
// Knative's field-error text, as kube-apiserver answers a webhook denial (see src/server/admission.ts).

import type { KindInfo } from '../kube/registry.ts';
import type { StoredObject } from '../store/store.ts';
import type { WriteContext } from '../server/kinds.ts';
import { badRequest } from '../api/status-error.ts';
import { EVENTING_KINDS } from './validation/kinds.ts';

type Obj = Record<string, unknown>;

/** One kind's webhook: defaults in place, then returns the validation error text (or undefined when valid). */
export interface EventingAdmitter {
  defaults(obj: Obj, ctx: WriteContext): void;
  validate(obj: Obj, ctx: WriteContext): string | undefined;
}

/** By `GROUP/Kind`; kinds absent here are stored as sent. */
export const EVENTING_ADMITTERS: Record<string, EventingAdmitter> = Object.fromEntries(
  Object.entries(EVENTING_KINDS).map(([key, k]) => [
    key,
    {
      defaults: (obj: Obj) => k.defaults(obj),
      validate: (obj: Obj, ctx: WriteContext) => k.validate(obj, { op: ctx.op, old: ctx.old as unknown as Obj | undefined })?.error,
    },
  ]),
);

export function admitEventing(kind: KindInfo, raw: Obj, ctx: WriteContext): { object: StoredObject; warnings: string[] } {
  const a = EVENTING_ADMITTERS[`${kind.group}/${kind.kind}`];
  if (a) {
    a.defaults(raw, ctx);
    const err = a.validate(raw, ctx);
    if (err !== undefined) throw webhookDenial(kind, err);
  }
  return { object: raw as unknown as StoredObject, warnings: [] };
}

/** `admission webhook "validation.webhook.eventing.knative.dev" denied the request: validation failed: …`. */
function webhookDenial(kind: KindInfo, message: string): Error {
  void kind;
  return badRequest(`admission webhook "validation.webhook.eventing.knative.dev" denied the request: validation failed: ${message}`);
}
