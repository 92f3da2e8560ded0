// Trigger filters, as the broker's filter handler applies them (knative/eventing pkg/broker/filter
// filter_handler.go Handler.filterEvent): when `spec.filters` (the Subscriptions API dialects) is
// non-empty it is used and `spec.filter` is ignored; otherwise `spec.filter.attributes`; otherwise
// every event passes. Filters are three-valued like Knative's eventfilter.FilterResult (pass, fail,
// no filter); an event is delivered unless the result is fail.
//
// compileTriggerFilter turns a spec into a predicate once (CESQL parsed, LIKE patterns compiled);
// triggerMatches caches the compiled form per spec object, so the delivery hot path can call it with
// the Trigger it already holds.

import type { TriggerSpec, SubscriptionsAPIFilter } from './types.ts';
import type { EventRecord } from './cloudevents.ts';
import { parse, evaluate, CesqlError, type Expr } from './cesql/cesql.ts';

const Result = { Pass: 0, Fail: 1, None: 2 } as const;
type Result = (typeof Result)[keyof typeof Result];

type Attrs = Record<string, string>;
type Filter = (a: Attrs) => Result;

const STANDARD = new Set(['specversion', 'type', 'source', 'subject', 'id', 'time', 'dataschema', 'datacontenttype']);

/**
 * An attribute as Knative's filters see it (knative/eventing pkg/eventfilter/attributes filter.go
 * LookupAttribute): the CloudEvents context attributes always exist (empty when unset), `schemaurl` is
 * `dataschema`, `datamediatype` the media type of `datacontenttype`; extensions exist only when set.
 */
export function lookupAttribute(a: Attrs, name: string): string | undefined {
  if (name === 'time') return a.time === undefined ? '' : goTimeText(a.time);
  if (STANDARD.has(name)) return a[name] ?? '';
  if (name === 'schemaurl') return a.dataschema ?? a.schemaurl ?? '';
  if (name === 'datamediatype') return (a.datacontenttype ?? '').split(';')[0].trim();
  if (name === 'datacontentencoding') return a.datacontentencoding ?? '';
  return Object.hasOwn(a, name) ? a[name] : undefined;
}

/** Go's time.MarshalText (RFC 3339 with nanoseconds, trailing fraction zeros dropped) of an RFC 3339 timestamp. */
function goTimeText(t: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/i.exec(t);
  if (!m) return t;
  const frac = (m[2] ?? '').slice(0, 9).replace(/0+$/, '');
  return `${m[1].toUpperCase()}${frac ? `.${frac}` : ''}${m[3].toUpperCase() === 'Z' ? 'Z' : m[3]}`;
}

/** spec.filter.attributes (knative/eventing pkg/eventfilter/attributes filter.go attributesFilter.Filter): "" means "any non-empty value". */
function attributesFilter(attrs: Record<string, string> | undefined): Filter {
  if (!attrs) return () => Result.None;
  const entries = Object.entries(attrs);
  return (a) => {
    for (const [k, v] of entries) {
      const value = lookupAttribute(a, k);
      if (value === undefined || (v === '' && value === '')) return Result.Fail;
      if (v !== '' && v !== value) return Result.Fail;
    }
    return Result.Pass;
  };
}

/** exact / prefix / suffix (pkg/eventfilter/subscriptionsapi); an empty name or value makes Knative drop the dialect (returns undefined). */
function matchFilter(m: Record<string, string>, test: (value: string, want: string) => boolean): Filter | undefined {
  const entries = Object.entries(m);
  if (entries.some(([k, v]) => k === '' || v === '')) return undefined;
  return (a) => {
    for (const [k, v] of entries) {
      const value = lookupAttribute(a, k);
      if (value === undefined || !test(value, v)) return Result.Fail;
    }
    return Result.Pass;
  };
}

/** knative/eventing pkg/eventfilter/subscriptionsapi/all_filter.go Filter: the first Fail decides, else the last filter's result. */
function allFilter(fs: Filter[]): Filter {
  return firstOf(fs, Result.Fail);
}

/** knative/eventing pkg/eventfilter/subscriptionsapi/any_filter.go Filter: the first Pass decides, else the last filter's result. */
function anyFilter(fs: Filter[]): Filter {
  return firstOf(fs, Result.Pass);
}

/** Runs `fs` in order and stops at the first `decisive` result; a single filter is itself. */
function firstOf(fs: Filter[], decisive: Result): Filter {
  if (fs.length === 1) return fs[0];
  return (a) => {
    let res: Result = Result.None;
    for (const f of fs) {
      res = f(a);
      if (res === decisive) return decisive;
    }
    return res;
  };
}

function cesqlFilter(ast: Expr): Filter {
  return (a) => {
    try {
      return evaluate(ast, a) === true ? Result.Pass : Result.Fail;
    } catch (err) {
      if (err instanceof CesqlError) return Result.Fail;
      throw err;
    }
  };
}

const isRecord = (v: unknown): v is Record<string, string> => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
const nonEmpty = (v: unknown): boolean => (Array.isArray(v) ? v.length > 0 : isRecord(v) ? Object.keys(v).length > 0 : false);

/** One Subscriptions API filter (pkg/eventfilter/subscriptionsapi create.go MaterializeSubscriptionsAPIFilter): the first dialect set wins; undefined when none materializes. */
function materialize(f: SubscriptionsAPIFilter | undefined): Filter | undefined {
  if (!f || typeof f !== 'object') return undefined;
  if (nonEmpty(f.exact)) return matchFilter(f.exact!, (v, w) => v === w);
  if (nonEmpty(f.prefix)) return matchFilter(f.prefix!, (v, w) => v.startsWith(w));
  if (nonEmpty(f.suffix)) return matchFilter(f.suffix!, (v, w) => v.endsWith(w));
  if (Array.isArray(f.all) && f.all.length > 0) return allFilter(materializeList(f.all));
  if (Array.isArray(f.any) && f.any.length > 0) return anyFilter(materializeList(f.any));
  if (f.not !== undefined && f.not !== null) {
    const inner = materialize(f.not);
    return (a) => {
      if (!inner) return Result.None;
      const r = inner(a);
      return r === Result.Fail ? Result.Pass : r === Result.Pass ? Result.Fail : Result.None;
    };
  }
  if (typeof f.cesql === 'string' && f.cesql !== '') {
    try {
      return cesqlFilter(parse(f.cesql));
    } catch (err) {
      if (err instanceof CesqlError) return undefined; // as Knative: an unparsable expression is dropped (the webhook refuses it first)
      throw err;
    }
  }
  return undefined;
}

function materializeList(fs: SubscriptionsAPIFilter[]): Filter[] {
  return fs.flatMap((f) => {
    const m = materialize(f);
    return m ? [m] : [];
  });
}

/** The Trigger's filter as a predicate over an event (true: deliver). */
export function compileTriggerFilter(spec: Pick<TriggerSpec, 'filter' | 'filters'>): (event: EventRecord) => boolean {
  let f: Filter;
  if (Array.isArray(spec.filters) && spec.filters.length > 0) f = allFilter(materializeList(spec.filters));
  else if (spec.filter) f = attributesFilter(spec.filter.attributes);
  else f = () => Result.None;
  return (event) => f(event.attributes) !== Result.Fail;
}

type Predicate = (event: EventRecord) => boolean;
const compiled = new WeakMap<object, Predicate>();
/** Compiled filters by their JSON, for callers that read a fresh copy of the Trigger for each event. */
const byText = new Map<string, Predicate>();
const BY_TEXT_MAX = 1024;

/** True when the Trigger's filters let the event through; compiled filters are cached per spec object and per filter text. */
export function triggerMatches(spec: TriggerSpec, event: EventRecord): boolean {
  let p = compiled.get(spec);
  if (!p) {
    const key = JSON.stringify([spec.filter ?? null, spec.filters ?? null]);
    p = byText.get(key);
    if (!p) {
      p = compileTriggerFilter(spec);
      if (byText.size >= BY_TEXT_MAX) byText.delete(byText.keys().next().value as string);
      byText.set(key, p);
    }
    compiled.set(spec, p);
  }
  return p(event);
}
