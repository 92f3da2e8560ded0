// Field validation shared by the messaging and flows kinds: duckv1.Destination (knative.dev/pkg apis/duck/v1
// destination.go ValidateDestination, knative_reference.go KReference.Validate) and eventingduckv1.DeliverySpec
// (knative/eventing pkg/apis/duck/v1 delivery_types.go DeliverySpec.Validate), with config-features' defaults
// (delivery-timeout enabled, delivery-retryafter disabled).

import { FieldError } from '../api/field-error.ts';
import type { DeliverySpec, Destination } from './types.ts';

/** The milliseconds of an ISO 8601 duration (`PT1S`, `P1DT2H`), or undefined when it does not parse (period.Parse). */
export function isoDurationMs(s: string): number | undefined {
  const m = /^(-)?P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/.exec(s);
  if (!m || s === 'P' || s.endsWith('T')) return undefined;
  const n = (i: number): number => (m[i] ? Number(m[i].replace(',', '.')) : 0);
  const ms = ((((n(2) * 365 + n(3) * 30 + n(4) * 7 + n(5)) * 24 + n(6)) * 60 + n(7)) * 60 + n(8)) * 1000;
  return m[1] ? -ms : ms;
}

function isAbsolute(uri: string): boolean {
  try {
    const u = new URL(uri);
    return u.protocol !== '' && u.host !== '';
  } catch {
    return false;
  }
}

/** ValidateDestination, with the object's namespace for the ref's mismatched-namespace check. */
export function validateDestination(dest: Destination, namespace?: string): FieldError | null {
  const { ref, uri } = dest;
  if (!ref && uri === undefined) return new FieldError('expected at least one, got none', ['ref', 'uri']);
  if (ref && uri !== undefined && isAbsolute(uri)) return new FieldError('Absolute URI is not allowed when Ref or [apiVersion, kind, name] is present', ['[apiVersion, kind, name]', 'ref', 'uri']);
  if (!ref && uri !== undefined && !isAbsolute(uri)) return FieldError.invalidValue('Relative URI is not allowed when Ref and [apiVersion, kind, name] is absent', 'uri');
  if (ref && uri === undefined) {
    let errs: FieldError | null = null;
    if (!ref.name) errs = FieldError.combine(errs, FieldError.missing('name'));
    if (ref.group) errs = FieldError.combine(errs, FieldError.disallowed('group'));
    if (!ref.apiVersion) errs = FieldError.combine(errs, FieldError.missing('apiVersion'));
    if (!ref.kind) errs = FieldError.combine(errs, FieldError.missing('kind'));
    if (ref.namespace && namespace && ref.namespace !== namespace) {
      errs = FieldError.combine(errs, new FieldError('mismatched namespaces', ['namespace'], `parent namespace: ${JSON.stringify(namespace)} does not match ref: ${JSON.stringify(ref.namespace)}`));
    }
    return errs?.viaField('ref') ?? null;
  }
  return null;
}

/** True for a missing or `{}` Destination (isDestinationNilOrEmpty). */
export function isEmptyDestination(d: Destination | undefined): boolean {
  return d === undefined || d === null || (typeof d === 'object' && Object.keys(d).length === 0);
}

/** DeliverySpec.Validate. */
export function validateDelivery(ds: DeliverySpec | undefined, namespace?: string): FieldError | null {
  if (!ds) return null;
  let errs: FieldError | null = null;
  if (ds.deadLetterSink) errs = FieldError.combine(errs, validateDestination(ds.deadLetterSink, namespace)?.viaField('deadLetterSink'));
  if (ds.retry !== undefined && (typeof ds.retry !== 'number' || ds.retry < 0)) errs = FieldError.combine(errs, FieldError.invalidValue(ds.retry, 'retry'));
  if (ds.timeout !== undefined) {
    const t = isoDurationMs(ds.timeout);
    if (t === undefined || t === 0) errs = FieldError.combine(errs, FieldError.invalidValue(ds.timeout, 'timeout'));
  }
  if (ds.backoffPolicy !== undefined && ds.backoffPolicy !== 'linear' && ds.backoffPolicy !== 'exponential') errs = FieldError.combine(errs, FieldError.invalidValue(ds.backoffPolicy, 'backoffPolicy'));
  if (ds.backoffDelay !== undefined && isoDurationMs(ds.backoffDelay) === undefined) errs = FieldError.combine(errs, FieldError.invalidValue(ds.backoffDelay, 'backoffDelay'));
  const format = (ds as { format?: string }).format;
  if (format !== undefined && format !== 'binary' && format !== 'json') errs = FieldError.combine(errs, FieldError.invalidValue(format, 'format'));
  // The delivery engine sends binary mode only: a structured-mode request is refused rather than ignored.
  else if (format === 'json') errs = FieldError.combine(errs, FieldError.invalidValue(format, 'format', 'knit delivers events in binary mode only'));
  if (ds.retryAfterMax !== undefined) errs = FieldError.combine(errs, FieldError.disallowed('retryAfterMax'));
  return errs;
}
