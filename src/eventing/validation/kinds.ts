// Defaults and validation of each Eventing kind, as knative/eventing's webhook applies them:
// pkg/apis/eventing/v1 (Broker, Trigger), pkg/apis/messaging/v1 (Channel, Subscription),
// pkg/apis/flows/v1 (Sequence, Parallel) and pkg/apis/sources/v1 (PingSource, ApiServerSource,
// ContainerSource, SinkBinding) *_defaults.go SetDefaults and *_validation.go Validate /
// CheckImmutableFields. Configuration is Knative's shipped defaults (config-br-defaults,
// default-ch-webhook, config-features): knit has no per-namespace overrides for them.

import { FieldError, CURRENT_FIELD } from '../../api/field-error.ts';
import { isDNS1123Label, regexError } from '../../kube/names.ts';
import { isQualifiedName } from '../../api/name-validation.ts';
import { parseSchedule, CronError } from '../cron.ts';
import { parse as parseCesql, CesqlError } from '../cesql/cesql.ts';
import {
  type Obj, type DuckContext, isObj, str, obj, also, via, viaIndex, viaFieldIndex,
  validateKReference, validateDestination, validateDelivery, validateSourceSpec,
  defaultDestination, defaultKReference, defaultDelivery, shortDiff,
} from './duck.ts';

export interface KindContext {
  op: 'create' | 'update';
  old?: Obj;
}

export interface KindAdmitter {
  defaults(o: Obj): void;
  validate(o: Obj, ctx: KindContext): FieldError | null;
}

export const BROKER_CLASS_ANNOTATION = 'eventing.knative.dev/broker.class';
export const DEFAULT_BROKER_CLASS = 'MTChannelBasedBroker';
const BROKER_LABEL = 'eventing.knative.dev/broker';
const DEPENDENCY_ANNOTATION = 'knative.dev/dependency';
const INJECTION_ANNOTATION = 'eventing.knative.dev/injection';
const SUBSCRIBABLE_ANNOTATION = 'messaging.knative.dev/subscribable';

/** config-br-defaults' clusterDefault as Knative ships it (config/core/configmaps/default-broker.yaml). */
export const DEFAULT_BROKER_CONFIG = { apiVersion: 'v1', kind: 'ConfigMap', name: 'config-br-default-channel', namespace: 'knative-eventing' };
export const DEFAULT_BROKER_DELIVERY = { retry: 10, backoffPolicy: 'exponential', backoffDelay: 'PT0.2S' };
/** default-ch-webhook's clusterDefault (config/core/configmaps/default-channel.yaml). */
export const DEFAULT_CHANNEL_TEMPLATE = { apiVersion: 'messaging.knative.dev/v1', kind: 'InMemoryChannel' };

const meta = (o: Obj): Obj => {
  if (!isObj(o.metadata)) o.metadata = {};
  return o.metadata as Obj;
};
const spec = (o: Obj): Obj => {
  if (!isObj(o.spec)) o.spec = {};
  return o.spec as Obj;
};
const ns = (o: Obj): string => str(obj(o.metadata)?.namespace);
const annotations = (o: Obj): Record<string, unknown> => obj(obj(o.metadata)?.annotations) ?? {};
const hasValue = (v: unknown): boolean => v !== undefined && v !== null;

/** `Immutable fields changed (-old +new)` at the given paths, or null when equal. */
function immutable(root: string, paths: string[], a: unknown, b: unknown, ignore: string[] = [], message = 'Immutable fields changed (-old +new)'): FieldError | null {
  const diff = shortDiff(root, a, b, ignore);
  return diff === '' ? null : new FieldError(message, paths, diff);
}

function checkChannelTemplate(ct: Obj): FieldError | null {
  let errs: FieldError | null = null;
  if (str(ct.kind) === '') errs = also(errs, FieldError.missing('kind'));
  if (str(ct.apiVersion) === '') errs = also(errs, FieldError.missing('apiVersion'));
  return errs;
}

// ---------------------------------------------------------------- Broker

const broker: KindAdmitter = {
  defaults(o) {
    const s = spec(o);
    const namespace = ns(o);
    // BrokerSpec.SetDefaults: the cluster default config and delivery (every class gets the cluster default).
    if (!hasValue(s.config)) s.config = { ...DEFAULT_BROKER_CONFIG };
    if (!hasValue(s.delivery)) s.delivery = { ...DEFAULT_BROKER_DELIVERY };
    defaultKReference(s.config, namespace);
    defaultDelivery(s.delivery, namespace);
    // eventing.DefaultBrokerClassIfUnset: only when the key is absent.
    const m = meta(o);
    const ann = obj(m.annotations) ?? {};
    if (!(BROKER_CLASS_ANNOTATION in ann)) m.annotations = { ...ann, [BROKER_CLASS_ANNOTATION]: DEFAULT_BROKER_CLASS };
  },
  validate(o, ctx) {
    // determineNamespaceAllowance: the shipped config does not disallow other namespaces.
    const dctx: DuckContext = { parentNamespace: ns(o), allowDifferentNamespace: true };
    let errs: FieldError | null = null;
    if (str(annotations(o)[BROKER_CLASS_ANNOTATION]) === '') errs = also(errs, FieldError.missing(BROKER_CLASS_ANNOTATION));
    const s = obj(o.spec) ?? {};
    let se: FieldError | null = null;
    if (hasValue(s.config)) se = also(se, via(validateKReference(s.config, dctx), 'config'));
    if (hasValue(s.delivery)) se = also(se, via(validateDelivery(s.delivery, dctx), 'delivery'));
    errs = also(errs, via(se, 'spec'));
    if (ctx.op === 'update' && ctx.old) {
      const oldSpec = obj(ctx.old.spec) ?? {};
      const im =
        immutable('v1.BrokerSpec', ['spec'], oldSpec, s, ['delivery']) ??
        immutable('string', ['annotations'], str(annotations(ctx.old)[BROKER_CLASS_ANNOTATION]), str(annotations(o)[BROKER_CLASS_ANNOTATION]), [], 'Immutable annotations changed (-old +new)');
      errs = also(errs, im);
    }
    return errs;
  },
};

// ---------------------------------------------------------------- Trigger

const VALID_ATTRIBUTE_NAME = /^[a-z][a-z0-9]*$/;

function validateAttributesNames(attrs: unknown): FieldError | null {
  let errs: FieldError | null = null;
  for (const k of Object.keys(obj(attrs) ?? {})) {
    if (!VALID_ATTRIBUTE_NAME.test(k)) errs = also(errs, FieldError.invalidKey(k, CURRENT_FIELD, 'Attribute name must start with a letter and can only contain lowercase alphanumeric').viaKey(k));
  }
  return errs;
}

function attributeValuesAreStrings(attrs: unknown, field: string): FieldError | null {
  const a = obj(attrs);
  if (!a) return hasValue(attrs) ? FieldError.invalidValue(JSON.stringify(attrs), field, 'must be a map of attribute names to strings') : null;
  let errs: FieldError | null = null;
  for (const [k, v] of Object.entries(a)) if (typeof v !== 'string') errs = also(errs, FieldError.invalidValue(JSON.stringify(v), CURRENT_FIELD, 'attribute values must be strings').viaFieldKey(field, k));
  return errs;
}

/** ValidateCESQLExpression: the expression must parse (functions are resolved when evaluated, so unknown ones parse). */
export function validateCesqlExpression(expression: string): FieldError | null {
  if (expression === '') return null;
  try {
    parseCesql(expression);
    return null;
  } catch (err) {
    if (err instanceof CesqlError) return FieldError.invalidValue(expression, CURRENT_FIELD, err.message);
    throw err;
  }
}

function hasMultipleDialects(f: Obj): boolean {
  const set = [
    Object.keys(obj(f.exact) ?? {}).length > 0,
    Object.keys(obj(f.prefix) ?? {}).length > 0,
    Object.keys(obj(f.suffix) ?? {}).length > 0,
    Array.isArray(f.all) && f.all.length > 0,
    Array.isArray(f.any) && f.any.length > 0,
    hasValue(f.not),
    str(f.cesql) !== '',
  ];
  return set.filter(Boolean).length > 1;
}

/** ValidateSubscriptionAPIFilter. */
export function validateSubscriptionAPIFilter(f: unknown): FieldError | null {
  if (!hasValue(f)) return null;
  if (!isObj(f)) return FieldError.invalidValue(JSON.stringify(f), CURRENT_FIELD, 'a filter must be an object');
  let errs: FieldError | null = null;
  if (hasMultipleDialects(f)) errs = also(errs, FieldError.generic('multiple dialects found, filters can have only one dialect set'));
  errs = also(errs, via(validateAttributesNames(f.exact), 'exact'), attributeValuesAreStrings(f.exact, 'exact'));
  errs = also(errs, via(validateAttributesNames(f.prefix), 'prefix'), attributeValuesAreStrings(f.prefix, 'prefix'));
  errs = also(errs, via(validateAttributesNames(f.suffix), 'suffix'), attributeValuesAreStrings(f.suffix, 'suffix'));
  errs = also(errs, via(validateSubscriptionAPIFiltersList(f.all), 'all'));
  errs = also(errs, via(validateSubscriptionAPIFiltersList(f.any), 'any'));
  errs = also(errs, via(validateSubscriptionAPIFilter(f.not), 'not'));
  if (hasValue(f.cesql) && typeof f.cesql !== 'string') errs = also(errs, FieldError.invalidValue(JSON.stringify(f.cesql), 'cesql', 'must be a string'));
  errs = also(errs, via(validateCesqlExpression(str(f.cesql)), 'cesql'));
  return errs;
}

/**
 * ValidateSubscriptionAPIFiltersList. Knative applies ViaIndex(i) to the errors collected so far
 * (`errs = errs.Also(...).ViaIndex(i)`), so an error in an earlier filter gains the later indexes too;
 * knit reproduces the paths Knative reports.
 */
export function validateSubscriptionAPIFiltersList(filters: unknown): FieldError | null {
  if (!hasValue(filters)) return null;
  if (!Array.isArray(filters)) return FieldError.invalidValue(JSON.stringify(filters), CURRENT_FIELD, 'must be a list of filters');
  let errs: FieldError | null = null;
  filters.forEach((f, i) => {
    errs = viaIndex(also(errs, validateSubscriptionAPIFilter(f)), i);
  });
  return errs;
}

/** encoding/json's text for the commonest syntax error (a bad first character); JavaScript's otherwise. */
function goJsonError(text: string, err: Error): string {
  const first = text.trimStart()[0];
  if (first === undefined) return 'unexpected end of JSON input';
  if (!/[{["0-9tfn-]/.test(first)) return `invalid character '${first}' looking for beginning of value`;
  return err.message;
}

function validateDependencyAnnotation(value: string, namespace: string): FieldError | null {
  let ref: unknown;
  try {
    ref = JSON.parse(value);
  } catch (err) {
    return new FieldError(`The provided annotation was not a corev1.ObjectReference: ${JSON.stringify(value)}`, [''], goJsonError(value, err as Error));
  }
  if (!isObj(ref)) return new FieldError(`The provided annotation was not a corev1.ObjectReference: ${JSON.stringify(value)}`, [''], `json: cannot unmarshal ${Array.isArray(ref) ? 'array' : typeof ref} into Go value of type v1.ObjectReference`);
  let errs: FieldError | null = null;
  if (str(ref.namespace) !== '' && str(ref.namespace) !== namespace) errs = also(errs, new FieldError(`Namespace must be empty or equal to the trigger namespace ${JSON.stringify(namespace)}`, ['namespace']));
  if (str(ref.kind) === '') errs = also(errs, FieldError.missing('kind'));
  if (str(ref.name) === '') errs = also(errs, FieldError.missing('name'));
  if (str(ref.apiVersion) === '') errs = also(errs, FieldError.missing('apiVersion'));
  return errs;
}

function validateInjectionAnnotation(value: string, brokerName: string): FieldError | null {
  if (value !== 'enabled' && value !== 'disabled') return new FieldError(`The provided injection annotation value can only be "enabled" or "disabled", not ${JSON.stringify(value)}`, ['']);
  if (brokerName !== 'default') return new FieldError(`The provided injection annotation is only used for default broker, but non-default broker specified here: ${JSON.stringify(brokerName)}`, ['']);
  return null;
}

const trigger: KindAdmitter = {
  defaults(o) {
    const s = spec(o);
    const namespace = ns(o);
    if (!hasValue(s.filter)) s.filter = {};
    defaultDestination(s.subscriber, namespace);
    defaultDelivery(s.delivery, namespace);
    const b = str(s.broker);
    if (b !== '') {
      const m = meta(o);
      m.labels = { ...(obj(m.labels) ?? {}), [BROKER_LABEL]: b };
    }
  },
  validate(o, ctx) {
    const s = obj(o.spec) ?? {};
    // Trigger.Validate uses apis.WithinSpec without a parent: reference namespaces are not compared.
    const dctx: DuckContext = {};
    let se: FieldError | null = null;
    const brokerRef = obj(s.brokerRef);
    if (!brokerRef && str(s.broker) === '') se = also(se, FieldError.missing('broker'));
    else if (brokerRef && str(s.broker) !== '') se = also(se, FieldError.oneOfBoth('broker', 'brokerRef'));
    if (brokerRef && str(brokerRef.namespace) !== '') {
      // cross-namespace-event-links is disabled in the shipped config-features.
      se = also(se, new FieldError('must not set the field(s)', ['namespace'], 'only name, apiVersion and kind are supported fields when feature.CrossNamespaceEventLinks is disabled'));
    }
    const filter = obj(s.filter);
    se = also(se, via(filter ? via(validateAttributesNames(filter.attributes), 'attributes') : null, 'filter'));
    if (filter) se = also(se, via(attributeValuesAreStrings(filter.attributes, 'attributes'), 'filter'));
    se = also(se, via(validateSubscriptionAPIFiltersList(s.filters), 'filters'));
    se = also(se, via(validateDestination(s.subscriber ?? {}, dctx), 'subscriber'));
    se = also(se, via(validateDelivery(s.delivery, dctx), 'delivery'));
    let errs = via(se, 'spec');
    const ann = annotations(o);
    if (DEPENDENCY_ANNOTATION in ann) errs = also(errs, via(validateDependencyAnnotation(str(ann[DEPENDENCY_ANNOTATION]), ns(o)), `metadata.annotations[${DEPENDENCY_ANNOTATION}]`));
    if (INJECTION_ANNOTATION in ann) errs = also(errs, via(validateInjectionAnnotation(str(ann[INJECTION_ANNOTATION]), str(s.broker)), `metadata.annotations[${INJECTION_ANNOTATION}]`));
    if (ctx.op === 'update' && ctx.old) errs = also(errs, immutable('string', ['spec', 'broker'], str(obj(ctx.old.spec)?.broker), str(s.broker)));
    return errs;
  },
};

// ---------------------------------------------------------------- Channel, Subscription

const channel: KindAdmitter = {
  defaults(o) {
    const m = meta(o);
    const ann = obj(m.annotations) ?? {};
    if (!(SUBSCRIBABLE_ANNOTATION in ann)) m.annotations = { ...ann, [SUBSCRIBABLE_ANNOTATION]: 'v1' };
    const s = spec(o);
    if (hasValue(s.channelTemplate)) return; // ChannelSpec.SetDefaults returns early (delivery not defaulted)
    s.channelTemplate = { ...DEFAULT_CHANNEL_TEMPLATE };
    defaultDelivery(s.delivery, ns(o));
  },
  validate(o, ctx) {
    const s = obj(o.spec) ?? {};
    const dctx: DuckContext = { parentNamespace: ns(o) };
    let se: FieldError | null = null;
    if (!hasValue(s.channelTemplate)) se = also(se, FieldError.missing('channelTemplate'));
    else se = also(se, via(checkChannelTemplate(obj(s.channelTemplate) ?? {}), 'channelTemplate'));
    if (Array.isArray(s.subscribers) && s.subscribers.length > 0) se = also(se, FieldError.disallowed('subscribers').viaField('subscribable'));
    if (hasValue(s.delivery)) se = also(se, via(validateDelivery(s.delivery, dctx), 'delivery'));
    let errs = via(se, 'spec');
    if (ctx.op === 'update' && ctx.old) errs = also(errs, immutable('v1.ChannelSpec', ['spec'], obj(ctx.old.spec) ?? {}, s, ['subscribers']));
    return errs;
  },
};

const isEmptyDestination = (d: unknown): boolean => !hasValue(d) || (isObj(d) && Object.values(d).every((v) => !hasValue(v) || v === ''));

const subscription: KindAdmitter = {
  defaults(o) {
    const s = spec(o);
    const namespace = ns(o);
    defaultDestination(s.subscriber, namespace);
    defaultDestination(s.reply, namespace);
    defaultDelivery(s.delivery, namespace);
  },
  validate(o, ctx) {
    const s = obj(o.spec) ?? {};
    const dctx: DuckContext = {};
    const ch = obj(s.channel);
    let se: FieldError | null = null;
    if (!ch || Object.values(ch).every((v) => !hasValue(v) || v === '')) {
      se = new FieldError('missing field(s)', ['channel'], 'the Subscription must reference a channel');
    } else {
      let ce = validateKReference(ch, dctx);
      if (str(ch.namespace) !== '') ce = also(ce, new FieldError('must not set the field(s)', ['namespace'], 'only name, apiVersion and kind are supported fields when feature.CrossNamespaceEventLinks is disabled'));
      se = also(se, via(ce, 'channel'));
      if (isEmptyDestination(s.subscriber)) se = also(se, new FieldError('missing field(s)', ['subscriber'], 'the Subscription must reference a subscriber'));
      else se = also(se, via(validateDestination(s.subscriber, dctx), 'subscriber'));
      if (!isEmptyDestination(s.reply)) se = also(se, via(validateDestination(s.reply, dctx), 'reply'));
      if (hasValue(s.delivery)) se = also(se, via(validateDelivery(s.delivery, dctx), 'delivery'));
    }
    let errs = via(se, 'spec');
    if (ctx.op === 'update' && ctx.old) errs = also(errs, immutable('v1.SubscriptionSpec', ['spec'], obj(ctx.old.spec) ?? {}, s, ['subscriber', 'reply', 'delivery']));
    return errs;
  },
};

// ---------------------------------------------------------------- Sequence, Parallel

/** fmt's %v of a Go struct holding pointers, approximated: nil pointers print `<nil>`, others their fields. */
function goStruct(v: unknown): string {
  if (!hasValue(v)) return '<nil>';
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return `[${v.map(goStruct).join(' ')}]`;
  return `{${Object.values(v as Obj).map(goStruct).join(' ')}}`;
}

const sequence: KindAdmitter = {
  defaults(o) {
    const s = spec(o);
    if (!hasValue(s.channelTemplate)) s.channelTemplate = { ...DEFAULT_CHANNEL_TEMPLATE };
    const namespace = ns(o);
    if (Array.isArray(s.steps)) for (const step of s.steps) defaultDestination(step, namespace);
    if (hasValue(s.reply)) defaultDestination(s.reply, namespace);
  },
  validate(o) {
    const s = obj(o.spec) ?? {};
    const dctx: DuckContext = {};
    let se: FieldError | null = null;
    const steps = Array.isArray(s.steps) ? s.steps : [];
    if (steps.length === 0) se = also(se, FieldError.missing('steps'));
    steps.forEach((step, i) => {
      const st = obj(step) ?? {};
      const e = also(validateDestination(st, dctx), hasValue(st.delivery) ? via(validateDelivery(st.delivery, dctx), 'delivery') : null);
      if (e) se = also(se, FieldError.invalidArrayValue(goStruct(step), 'steps', i));
    });
    if (!hasValue(s.channelTemplate)) se = also(se, FieldError.missing('channelTemplate'));
    else se = also(se, via(checkChannelTemplate(obj(s.channelTemplate) ?? {}), 'channelTemplate'));
    se = also(se, via(validateDestination(s.reply, dctx), 'reply'));
    return via(se, 'spec');
  },
};

const parallel: KindAdmitter = {
  defaults(o) {
    const s = spec(o);
    if (!hasValue(s.channelTemplate)) s.channelTemplate = { ...DEFAULT_CHANNEL_TEMPLATE };
    const namespace = ns(o);
    if (Array.isArray(s.branches)) {
      for (const b of s.branches) {
        const br = obj(b);
        if (!br) continue;
        if (hasValue(br.filter)) defaultDestination(br.filter, namespace);
        defaultDestination(br.subscriber, namespace);
        if (hasValue(br.reply)) defaultDestination(br.reply, namespace);
      }
    }
    if (hasValue(s.reply)) defaultDestination(s.reply, namespace);
  },
  validate(o) {
    const s = obj(o.spec) ?? {};
    const dctx: DuckContext = {};
    let se: FieldError | null = null;
    const branches = Array.isArray(s.branches) ? s.branches : [];
    if (branches.length === 0) se = also(se, FieldError.missing('branches'));
    branches.forEach((b, i) => {
      const br = obj(b) ?? {};
      if (validateDestination(br.filter, dctx)) se = also(se, FieldError.invalidArrayValue(goStruct(b), 'branches.filter', i));
      if (validateDestination(br.subscriber ?? {}, dctx)) se = also(se, FieldError.invalidArrayValue(goStruct(b), 'branches.subscriber', i));
      if (validateDestination(br.reply, dctx)) se = also(se, FieldError.invalidArrayValue(goStruct(b), 'branches.reply', i));
    });
    const ct = obj(s.channelTemplate);
    if (!ct) return via(also(se, FieldError.missing('channelTemplate')), 'spec');
    if (str(ct.apiVersion) === '') se = also(se, FieldError.missing('channelTemplate.apiVersion'));
    if (str(ct.kind) === '') se = also(se, FieldError.missing('channelTemplate.kind'));
    se = also(se, via(validateDestination(s.reply, dctx), 'reply'));
    return via(se, 'spec');
  },
};

// ---------------------------------------------------------------- sources

/** Go's base64.StdEncoding.DecodeString error text, or undefined when valid. */
function base64Error(s: string): string | undefined {
  const clean = s.replace(/[\r\n]/g, '');
  for (let i = 0; i < clean.length; i++) {
    const c = clean[i];
    if (c === '=') {
      const rest = clean.slice(i);
      const ok = (rest === '=' && clean.length % 4 === 0) || (rest === '==' && clean.length % 4 === 0);
      if (!ok) return `illegal base64 data at input byte ${i}`;
      return undefined;
    }
    if (!/[A-Za-z0-9+/]/.test(c)) return `illegal base64 data at input byte ${i}`;
  }
  if (clean.length % 4 !== 0) return `illegal base64 data at input byte ${clean.length - (clean.length % 4 === 1 ? 1 : 0)}`;
  return undefined;
}

/** json.Unmarshal into map[string]interface{}: a JSON object. */
function jsonObjectError(s: string): string | undefined {
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch (err) {
    return goJsonError(s, err as Error);
  }
  if (v === null) return undefined; // null unmarshals into a nil map
  if (!isObj(v)) return `json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v === 'string' ? 'string' : typeof v === 'boolean' ? 'bool' : 'number'} into Go value of type map[string]interface {}`;
  return undefined;
}

const pingSource: KindAdmitter = {
  defaults(o) {
    const s = spec(o);
    if (str(s.schedule) === '') s.schedule = '* * * * *';
  },
  validate(o) {
    const s = obj(o.spec) ?? {};
    const dctx: DuckContext = {};
    let se: FieldError | null = null;
    const schedule = str(s.schedule);
    if (schedule.includes('@every')) se = also(se, FieldError.invalidValue('unsupported descriptor @every', 'schedule'));
    try {
      parseSchedule(schedule, str(s.timezone) || undefined);
    } catch (err) {
      if (!(err instanceof CronError)) throw err;
      se = also(se, FieldError.invalidValue(err.message, err.field));
    }
    se = also(se, via(validateDestination(s.sink ?? {}, dctx), 'sink'));
    const data = str(s.data);
    const dataBase64 = str(s.dataBase64);
    const json = s.contentType === 'application/json';
    if (data !== '' && dataBase64 !== '') se = also(se, FieldError.oneOfBoth('data', 'dataBase64'));
    else if (dataBase64 !== '') {
      const e = base64Error(dataBase64);
      if (e) se = also(se, FieldError.invalidValue(e, 'dataBase64'));
      else if (json) {
        const je = jsonObjectError(Buffer.from(dataBase64, 'base64').toString('utf8'));
        if (je) se = also(se, FieldError.invalidValue(je, 'dataBase64'));
      }
    } else if (data !== '' && json) {
      const je = jsonObjectError(data);
      if (je) se = also(se, FieldError.invalidValue(je, 'data'));
    }
    se = also(se, validateSourceSpec(s, dctx));
    return via(se, 'spec');
  },
};

/** schema.ParseGroupVersion: at most one slash. */
const groupVersionError = (gv: string): boolean => gv.split('/').length > 2;

const apiServerSource: KindAdmitter = {
  defaults(o) {
    const s = spec(o);
    if (str(s.mode) === '') s.mode = 'Reference';
    if (str(s.serviceAccountName) === '') s.serviceAccountName = 'default';
  },
  validate(o) {
    const s = obj(o.spec) ?? {};
    const dctx: DuckContext = {};
    let se: FieldError | null = null;
    if (s.mode !== 'Reference' && s.mode !== 'Resource') se = also(se, FieldError.invalidValue(s.mode ?? '', 'mode'));
    se = also(se, via(validateDestination(s.sink ?? {}, dctx), 'sink'));
    const resources = Array.isArray(s.resources) ? s.resources : [];
    if (resources.length === 0) se = also(se, FieldError.missing('resources'));
    resources.forEach((r, i) => {
      const res = obj(r) ?? {};
      if (groupVersionError(str(res.apiVersion))) se = also(se, viaFieldIndex(FieldError.invalidValue(str(res.apiVersion), 'apiVersion'), 'resources', i));
      if (str(res.kind).trim() === '') se = also(se, viaFieldIndex(FieldError.missing('kind'), 'resources', i));
    });
    const owner = obj(s.owner);
    if (owner) {
      if (groupVersionError(str(owner.apiVersion))) se = also(se, via(FieldError.invalidValue(str(owner.apiVersion), 'apiVersion'), 'owner'));
      if (str(owner.kind).trim() === '') se = also(se, via(FieldError.missing('kind'), 'owner'));
    }
    se = also(se, validateSourceSpec(s, dctx));
    // new-apiserversource-filters is disabled in the shipped config-features.
    if (Array.isArray(s.filters) && s.filters.length > 0) se = also(se, via(FieldError.generic('Filters is not empty but the NewAPIServerFilters feature is disabled.'), 'filters'));
    return via(se, 'spec');
  },
};

const containerSource: KindAdmitter = {
  defaults(o) {
    const s = spec(o);
    const containers = obj(obj(s.template)?.spec)?.containers;
    if (!Array.isArray(containers)) return;
    const name = str(obj(o.metadata)?.name);
    containers.forEach((c, i) => {
      if (isObj(c) && str(c.name) === '') c.name = `${name}-${i}`;
    });
  },
  validate(o) {
    const s = obj(o.spec) ?? {};
    const dctx: DuckContext = {};
    let se: FieldError | null = null;
    se = also(se, via(validateDestination(s.sink ?? {}, dctx), 'sink'));
    const containers = obj(obj(s.template)?.spec)?.containers;
    if (!Array.isArray(containers) || containers.length === 0) se = also(se, FieldError.missing('containers'));
    else {
      containers.forEach((c, i) => {
        const ct = obj(c) ?? {};
        let ce: FieldError | null = null;
        if (str(ct.name) === '') ce = also(ce, FieldError.missing('name'));
        if (str(ct.image) === '') ce = also(ce, FieldError.missing('image'));
        se = also(se, viaFieldIndex(ce, 'containers', i));
      });
    }
    se = also(se, validateSourceSpec(s, dctx));
    return via(se, 'spec');
  },
};

const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** tracker.Reference.Validate (the SinkBinding subject). */
function validateTrackerReference(ref: Obj): FieldError | null {
  let errs: FieldError | null = null;
  const apiVersion = str(ref.apiVersion);
  if (apiVersion === '') errs = also(errs, FieldError.missing('apiVersion'));
  else {
    const v = isQualifiedName(apiVersion);
    if (v.length) errs = also(errs, FieldError.invalidValue(v.join(', '), 'apiVersion'));
  }
  const kind = str(ref.kind);
  if (kind === '') errs = also(errs, FieldError.missing('kind'));
  else if (!C_IDENTIFIER.test(kind)) {
    errs = also(errs, FieldError.invalidValue(regexError('a valid C identifier must start with alphabetic character or underscore, followed by a string of alphanumeric characters or underscores', '[A-Za-z_][A-Za-z0-9_]*', 'my_name', 'MY_NAME', 'MyName'), 'kind'));
  }
  const namespace = str(ref.namespace);
  if (namespace === '') errs = also(errs, FieldError.missing('namespace'));
  else {
    const v = isDNS1123Label(namespace);
    if (v.length) errs = also(errs, FieldError.invalidValue(v.join(', '), 'namespace'));
  }
  const name = str(ref.name);
  const selector = ref.selector;
  if (hasValue(selector) && name !== '') errs = also(errs, FieldError.oneOfBoth('selector', 'name'));
  else if (hasValue(selector)) {
    const e = labelSelectorError(selector);
    if (e) errs = also(errs, FieldError.invalidValue(e, 'selector'));
  } else if (name !== '') {
    const v = isDNS1123Label(name);
    if (v.length) errs = also(errs, FieldError.invalidValue(v.join(', '), 'name'));
  } else errs = also(errs, FieldError.oneOfNone('selector', 'name'));
  return errs;
}

/** metav1.LabelSelectorAsSelector's refusals (operators and value counts). */
function labelSelectorError(sel: unknown): string | undefined {
  const s = obj(sel);
  if (!s) return 'invalid label selector';
  for (const e of Array.isArray(s.matchExpressions) ? s.matchExpressions : []) {
    const ex = obj(e) ?? {};
    const op = str(ex.operator);
    const values = Array.isArray(ex.values) ? ex.values : [];
    switch (op) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) return 'for \'in\', \'notin\' operators, values set can\'t be empty';
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length !== 0) return 'values set must be empty for exists and does not exist';
        break;
      default:
        return `${JSON.stringify(op)} is not a valid label selector operator`;
    }
  }
  return undefined;
}

const sinkBinding: KindAdmitter = {
  defaults(o) {
    const s = spec(o);
    if (!hasValue(s.subject)) s.subject = {};
    const subject = obj(s.subject);
    if (subject && str(subject.namespace) === '') subject.namespace = ns(o);
    defaultDestination(s.sink, ns(o));
  },
  validate(o) {
    const s = obj(o.spec) ?? {};
    const dctx: DuckContext = {};
    const subject = obj(s.subject) ?? {};
    let se = also(via(validateTrackerReference(subject), 'subject'), via(validateDestination(s.sink ?? {}, dctx), 'sink'));
    se = also(se, validateSourceSpec(s, dctx));
    let errs = via(se, 'spec');
    if (str(subject.namespace) !== '' && ns(o) !== str(subject.namespace)) errs = also(errs, FieldError.invalidValue(str(subject.namespace), 'spec.subject.namespace'));
    return errs;
  },
};

/** By `GROUP/Kind`. */
export const EVENTING_KINDS: Record<string, KindAdmitter> = {
  'eventing.knative.dev/Broker': broker,
  'eventing.knative.dev/Trigger': trigger,
  'messaging.knative.dev/Channel': channel,
  'messaging.knative.dev/Subscription': subscription,
  'flows.knative.dev/Sequence': sequence,
  'flows.knative.dev/Parallel': parallel,
  'sources.knative.dev/PingSource': pingSource,
  'sources.knative.dev/ApiServerSource': apiServerSource,
  'sources.knative.dev/ContainerSource': containerSource,
  'sources.knative.dev/SinkBinding': sinkBinding,
};
