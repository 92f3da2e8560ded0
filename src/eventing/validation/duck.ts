// Shared pieces of Eventing's webhook: knative.dev/pkg apis/duck/v1 Destination, KReference and
// SourceSpec validation and defaults, knative/eventing pkg/apis/duck/v1 DeliverySpec, the ISO-8601
// periods DeliverySpec accepts (rickb777/date period.Parse), and kmp.ShortDiff's "(-old +new)" text.

import { X509Certificate } from 'node:crypto';
import { FieldError, CURRENT_FIELD } from '../../api/field-error.ts';

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const obj = (v: unknown): Obj | undefined => (isObj(v) ? v : undefined);

/** Combines errors like Go's `errs.Also(...)` on a possibly-nil receiver. */
export function also(a: FieldError | null | undefined, ...b: (FieldError | null | undefined)[]): FieldError | null {
  return FieldError.combine(a, ...b);
}
export const via = (e: FieldError | null | undefined, ...p: string[]): FieldError | null => (e ? e.viaField(...p) : null);
export const viaIndex = (e: FieldError | null | undefined, i: number): FieldError | null => (e ? e.viaIndex(i) : null);
export const viaFieldIndex = (e: FieldError | null | undefined, f: string, i: number): FieldError | null => (e ? e.viaFieldIndex(f, i) : null);

/** Validation context: the parent's namespace (set by kinds that use apis.WithinParent) and whether refs may point elsewhere. */
export interface DuckContext {
  parentNamespace?: string;
  allowDifferentNamespace?: boolean;
}

/** duckv1.KReference.Validate (the kreference-group feature is disabled by default). */
export function validateKReference(ref: unknown, ctx: DuckContext): FieldError | null {
  if (!isObj(ref)) return also(FieldError.missing('name'), FieldError.missing('apiVersion'), FieldError.missing('kind'));
  let errs: FieldError | null = null;
  if (str(ref.name) === '') errs = also(errs, FieldError.missing('name'));
  if (str(ref.group) !== '') errs = also(errs, FieldError.disallowed('group'));
  if (str(ref.apiVersion) === '') errs = also(errs, FieldError.missing('apiVersion'));
  if (str(ref.kind) === '') errs = also(errs, FieldError.missing('kind'));
  const ns = str(ref.namespace);
  if (ns !== '' && !ctx.allowDifferentNamespace) {
    const parent = ctx.parentNamespace ?? '';
    if (parent !== '' && ns !== parent) errs = also(errs, new FieldError('mismatched namespaces', ['namespace'], `parent namespace: ${JSON.stringify(parent)} does not match ref: ${JSON.stringify(ns)}`));
  }
  return errs;
}

/** True for an absolute URL with a host, as Go's url.URL IsAbs() && Host != "". */
function uriParts(uri: string): { abs: boolean; host: boolean; valid: boolean } {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri);
  if (!m) return { abs: false, host: false, valid: true };
  try {
    const u = new URL(uri);
    return { abs: true, host: u.host !== '' || /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]+/.test(uri), valid: true };
  } catch {
    return { abs: true, host: /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]+/.test(uri), valid: false };
  }
}

/** duckv1.Destination.Validate (ValidateDestination), then what knit cannot honour. */
export function validateDestination(d: unknown, ctx: DuckContext): FieldError | null {
  if (d === undefined || d === null) return null;
  const knative = knativeDestinationErrors(d, ctx);
  // knit sends over https with the machine's trust store only: a Destination's own CA bundle would be stored and
  // ignored, so it is refused (docs/differences.md).
  const ca = obj(d)?.CACerts;
  const refused = typeof ca === 'string' && ca !== '' ? FieldError.generic('knit does not support CACerts: deliveries over https trust the machine\'s CA store only', 'CACerts') : null;
  return knative && refused ? knative.also(refused) : (knative ?? refused);
}

function knativeDestinationErrors(d: unknown, ctx: DuckContext): FieldError | null {
  const dest = obj(d) ?? {};
  const ref = dest.ref;
  const hasRef = ref !== undefined && ref !== null;
  const hasUri = typeof dest.uri === 'string' && dest.uri !== '';
  const uri = str(dest.uri);
  if (!hasRef && !hasUri) return FieldError.generic('expected at least one, got none', 'ref', 'uri');
  const parts = uriParts(uri);
  // Go's apis.URL refuses to decode such a URI (the request fails before Validate); knit reports the field.
  if (hasUri && !parts.valid) return FieldError.invalidValue(uri, 'uri');
  if (hasRef && hasUri && parts.abs) return FieldError.generic('Absolute URI is not allowed when Ref or [apiVersion, kind, name] is present', '[apiVersion, kind, name]', 'ref', 'uri');
  if (!hasRef && hasUri && (!parts.abs || !parts.host)) return FieldError.invalidValue('Relative URI is not allowed when Ref and [apiVersion, kind, name] is absent', 'uri');
  if (hasRef && !hasUri) return via(validateKReference(ref, ctx), 'ref');
  if (typeof dest.CACerts === 'string') return validateCACerts(dest.CACerts);
  return null;
}

function validateCACerts(pem: string): FieldError | null {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(pem);
  if (!m) return FieldError.invalidValue('CA Cert provided is invalid', 'caCert');
  if (m[1] !== 'CERTIFICATE') return FieldError.invalidValue('CA Cert provided is not a certificate', 'caCert');
  try {
    new X509Certificate(m[0]);
  } catch {
    return FieldError.invalidValue('CA Cert provided is invalid', 'caCert');
  }
  return null;
}

/** duckv1.Destination.SetDefaults: a ref without a namespace gets the parent's. */
export function defaultDestination(d: unknown, namespace: string | undefined): void {
  const ref = obj(obj(d)?.ref);
  if (ref && str(ref.namespace) === '' && namespace) ref.namespace = namespace;
}

/** KReference.SetDefaults. */
export function defaultKReference(ref: unknown, namespace: string | undefined): void {
  const r = obj(ref);
  if (r && str(r.namespace) === '' && namespace) r.namespace = namespace;
}

/** eventingduckv1.DeliverySpec.SetDefaults. */
export function defaultDelivery(ds: unknown, namespace: string | undefined): void {
  const d = obj(ds);
  if (d && d.deadLetterSink) defaultDestination(d.deadLetterSink, namespace);
}

// ---- ISO-8601 periods (rickb777/date period.Parse) ----

const NUM = String.raw`(\d+(?:[.,]\d+)?)`;
const PERIOD = new RegExp(String.raw`^([-+]?)P(?:${NUM}Y)?(?:${NUM}M)?(?:${NUM}W)?(?:${NUM}D)?(?:T(?:${NUM}H)?(?:${NUM}M)?(?:${NUM}S)?)?$`);

/** An ISO-8601 period as milliseconds (years 365 days, months 30 days, as a nominal length); undefined when invalid. */
export function parseIsoPeriod(s: string): number | undefined {
  const m = PERIOD.exec(s);
  if (!m) return undefined;
  const [, sign, y, mo, w, d, h, mi, sec] = m;
  if ([y, mo, w, d, h, mi, sec].every((x) => x === undefined)) return undefined;
  if (s.includes('T') && [h, mi, sec].every((x) => x === undefined)) return undefined;
  const n = (x: string | undefined): number => (x === undefined ? 0 : Number(x.replace(',', '.')));
  const ms = (((n(y) * 365 + n(mo) * 30 + n(w) * 7 + n(d)) * 24 + n(h)) * 60 + n(mi)) * 60_000 + n(sec) * 1000;
  return sign === '-' ? -ms : ms;
}

/** Delivery features as Knative's config-features ships them: delivery-timeout enabled, delivery-retryafter disabled. */
export const DELIVERY_FEATURES = { timeout: true, retryAfter: false };

/** eventingduckv1.DeliverySpec.Validate. */
export function validateDelivery(ds: unknown, ctx: DuckContext): FieldError | null {
  if (ds === undefined || ds === null) return null;
  const d = obj(ds) ?? {};
  let errs: FieldError | null = null;
  const dls = validateDestination(d.deadLetterSink, ctx);
  if (dls) errs = via(also(errs, dls), 'deadLetterSink');
  if (d.retry !== undefined && d.retry !== null) {
    if (typeof d.retry !== 'number' || !Number.isInteger(d.retry) || d.retry < 0 || d.retry > 2147483647) errs = also(errs, FieldError.invalidValue(d.retry, 'retry'));
  }
  if (d.timeout !== undefined && d.timeout !== null) {
    if (DELIVERY_FEATURES.timeout) {
      const t = typeof d.timeout === 'string' ? parseIsoPeriod(d.timeout) : undefined;
      if (t === undefined || t === 0) errs = also(errs, FieldError.invalidValue(d.timeout, 'timeout'));
    } else errs = also(errs, FieldError.disallowed('timeout'));
  }
  if (d.backoffPolicy !== undefined && d.backoffPolicy !== null) {
    if (d.backoffPolicy !== 'exponential' && d.backoffPolicy !== 'linear') errs = also(errs, FieldError.invalidValue(d.backoffPolicy, 'backoffPolicy'));
  }
  if (d.backoffDelay !== undefined && d.backoffDelay !== null) {
    if (typeof d.backoffDelay !== 'string' || parseIsoPeriod(d.backoffDelay) === undefined) errs = also(errs, FieldError.invalidValue(d.backoffDelay, 'backoffDelay'));
  }
  if (d.format !== undefined && d.format !== null) {
    if (d.format !== 'binary' && d.format !== 'json') errs = also(errs, FieldError.invalidValue(d.format, 'format'));
  }
  if (d.retryAfterMax !== undefined && d.retryAfterMax !== null) {
    if (DELIVERY_FEATURES.retryAfter) {
      const p = typeof d.retryAfterMax === 'string' ? parseIsoPeriod(d.retryAfterMax) : undefined;
      if (p === undefined || p < 0) errs = also(errs, FieldError.invalidValue(d.retryAfterMax, 'retryAfterMax'));
    } else errs = also(errs, FieldError.disallowed('retryAfterMax'));
  }
  return errs;
}

/** duckv1.SourceSpec.Validate: sink and ceOverrides. */
export function validateSourceSpec(spec: Obj, ctx: DuckContext): FieldError | null {
  return also(via(validateDestination(spec.sink ?? {}, ctx), 'sink'), via(validateCeOverrides(spec.ceOverrides), 'ceOverrides'));
}

function validateCeOverrides(o: unknown): FieldError | null {
  const ext = obj(obj(o)?.extensions);
  if (!ext) return null;
  for (const key of Object.keys(ext)) {
    if (key === '') return via(FieldError.invalidKey(key, CURRENT_FIELD, 'keys MUST NOT be empty'), 'extensions');
    if (!/^[A-Za-z0-9]+$/.test(key)) return via(FieldError.invalidKey(key, CURRENT_FIELD, 'keys are expected to be alphanumeric'), 'extensions');
  }
  return null;
}

// ---- kmp.ShortDiff ----

function goName(jsonName: string): string {
  if (jsonName === 'apiVersion') return 'APIVersion';
  if (jsonName === 'uri') return 'URI';
  if (jsonName === 'CACerts') return 'CACerts';
  return jsonName.charAt(0).toUpperCase() + jsonName.slice(1);
}

function goValue(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  return `&{${Object.entries(v as Obj).map(([k, x]) => `${goName(k)}:${goValue(x)}`).join(' ')}}`;
}

/**
 * kmp.ShortDiff's text for two JSON values: one `<path>:\n\t-: "<old>"\n\t+: "<new>"\n` block per
 * differing leaf, the path in go-cmp's notation rooted at `{<root>}` with Go field names.
 */
export function shortDiff(root: string, a: unknown, b: unknown, ignore: string[] = []): string {
  const out: string[] = [];
  const walk = (path: string, x: unknown, y: unknown): void => {
    if (isObj(x) && isObj(y)) {
      const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
      for (const k of keys) if (!(path === `{${root}}` && ignore.includes(k))) walk(`${path}.${goName(k)}`, x[k], y[k]);
      return;
    }
    if (Array.isArray(x) && Array.isArray(y) && x.length === y.length) {
      x.forEach((xi, i) => walk(`${path}[${i}]`, xi, y[i]));
      return;
    }
    if (JSON.stringify(x ?? null) === JSON.stringify(y ?? null)) return;
    if ((x === undefined || x === '') && (y === undefined || y === '')) return;
    out.push(`${path}:\n\t-: "${goValue(x ?? (typeof y === 'string' ? '' : undefined))}"\n\t+: "${goValue(y ?? (typeof x === 'string' ? '' : undefined))}"\n`);
  };
  walk(`{${root}}`, a, b);
  return out.join('');
}
