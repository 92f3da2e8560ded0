// Trigger filtering (knative/eventing pkg/broker/filter): spec.filter.attributes exact match. The
// spec.filters dialect and CESQL are another module's; until it lands a Trigger with spec.filters matches
// only through its exact leaves (see triggerMatches).

import type { EventRecord } from './cloudevents.ts';
import type { SubscriptionsAPIFilter, TriggerSpec } from './types.ts';

/** knative/eventing pkg/eventfilter/attributes: every attribute equal ("" matches any value: eventingv1.TriggerAnyFilter). */
function attributesMatch(want: Record<string, string> | undefined, event: EventRecord): boolean {
  if (!want) return true;
  for (const [k, v] of Object.entries(want)) {
    if (v === '') continue;
    if (event.attributes[k.toLowerCase()] !== v) return false;
  }
  return true;
}

function leafMatches(f: SubscriptionsAPIFilter, event: EventRecord): boolean {
  if (f.exact && !Object.entries(f.exact).every(([k, v]) => event.attributes[k.toLowerCase()] === v)) return false;
  if (f.prefix && !Object.entries(f.prefix).every(([k, v]) => (event.attributes[k.toLowerCase()] ?? '\u0000').startsWith(v))) return false;
  if (f.suffix && !Object.entries(f.suffix).every(([k, v]) => (event.attributes[k.toLowerCase()] ?? '\u0000').endsWith(v))) return false;
  if (f.all && !f.all.every((x) => leafMatches(x, event))) return false;
  if (f.any && !f.any.some((x) => leafMatches(x, event))) return false;
  if (f.not && leafMatches(f.not, event)) return false;
  return true;
}

/**
 * True when `event` passes the Trigger's filter: spec.filters (all must pass) when set, which takes
 * precedence over spec.filter (knative/eventing pkg/broker/filter/filter_handler.go filterEvent).
 */
export function triggerMatches(spec: TriggerSpec, event: EventRecord): boolean {
  if (spec.filters && spec.filters.length > 0) return spec.filters.every((f) => leafMatches(f, event));
  return attributesMatch(spec.filter?.attributes, event);
}
