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
    const decodeError = specDecodeError(kind, raw);
    if (decodeError) throw badRequest(`admission webhook "webhook.eventing.knative.dev" denied the request: cannot decode incoming new object: ${decodeError}`);
    a.defaults(raw, ctx);
    const err = a.validate(raw, ctx);
    if (err !== undefined) throw webhookDenial(kind, err);
  }
  return { object: raw as unknown as StoredObject, warnings: [] };
}

/** encoding/json's refusal of a `spec` that is not an object (the webhook cannot decode the request). */
function specDecodeError(kind: KindInfo, raw: Obj): string | undefined {
  const spec = raw.spec;
  if (spec === undefined || spec === null || (typeof spec === 'object' && !Array.isArray(spec))) return undefined;
  const what = Array.isArray(spec) ? 'array' : typeof spec === 'string' ? 'string' : typeof spec === 'boolean' ? 'bool' : 'number';
  return `json: cannot unmarshal ${what} into Go struct field ${kind.kind}.spec of type v1.${kind.kind}Spec`;
}

/** `admission webhook "validation.webhook.eventing.knative.dev" denied the request: validation failed: …`. */
function webhookDenial(kind: KindInfo, message: string): Error {
  void kind;
  return badRequest(`admission webhook "validation.webhook.eventing.knative.dev" denied the request: validation failed: ${message}`);
}
