// What the sources share: resolving `spec.sink`, the kinds whose changes re-resolve it, the
// CloudEvent overrides, and delivery with the adapters' retries (knative/eventing pkg/adapter/v2:
// exponential back-off from 50 ms, five retries).

import { randomUUID } from 'node:crypto';
import { resolveDestination, SinkError } from '../sink.ts';
import { sendEvent } from '../send.ts';
import type { EventRecord } from '../cloudevents.ts';
import type { EventingContext } from '../manager.ts';
import { RESOURCE, type Destination, type SourceSpec } from '../types.ts';
import type { KObject } from '../../controllers/kit.ts';
import { rfc3339 } from '../../api/time.ts';

/** Store keys of the Addressables a sink usually names (their changes re-resolve the sink). */
export const SINK_WATCHES: readonly string[] = ['services', 'routes', 'core.services', RESOURCE.brokers, RESOURCE.channels, RESOURCE.sequences, RESOURCE.parallels];

/** The sink's URL, or the resolver's error message. */
export function resolveSink(ctx: EventingContext, sink: Destination | undefined, namespace: string): { uri: string } | { error: string } {
  try {
    return { uri: resolveDestination(ctx.store, sink ?? {}, namespace, ctx.settings.clusterDomain) };
  } catch (err) {
    if (err instanceof SinkError) return { error: err.message };
    throw err;
  }
}

/** Go's json.Marshal of a duckv1.Destination (field order ref, uri, CACerts, audience), as `SinkNotFound` events print it. */
export function destinationJson(dest: Destination | undefined): string {
  const d = dest ?? {};
  const out: Record<string, unknown> = {};
  if (d.ref) {
    const r = d.ref;
    out.ref = { kind: r.kind, ...(r.namespace ? { namespace: r.namespace } : {}), name: r.name, ...(r.apiVersion ? { apiVersion: r.apiVersion } : {}), ...(r.group ? { group: r.group } : {}), ...(r.address ? { address: r.address } : {}) };
  }
  if (d.uri) out.uri = d.uri;
  if (d.CACerts) out.CACerts = d.CACerts;
  if (d.audience) out.audience = d.audience;
  return JSON.stringify(out);
}

/** Records the Warning `SinkNotFound` event the sources' reconcilers return when the sink does not resolve. */
export function sinkNotFound(ctx: EventingContext, obj: KObject, sink: Destination | undefined, namespace: string): void {
  const dest = sink?.ref && !sink.ref.namespace ? { ...sink, ref: { ...sink.ref, namespace } } : sink;
  ctx.events.event(obj, 'Warning', 'SinkNotFound', `Sink not found: ${destinationJson(dest)}`);
}

/** A new event's required attributes (a fresh id, `time` now) plus `spec.ceOverrides.extensions`. */
export function newEvent(ctx: Pick<EventingContext, 'now'>, type: string, source: string, overrides: SourceSpec['ceOverrides'], extra: Record<string, string> = {}): EventRecord['attributes'] {
  return { specversion: '1.0', id: randomUUID(), type, source, time: rfc3339(ctx.now()), ...extra, ...(overrides?.extensions ?? {}) };
}

/** Sends `event` to `url`, retrying connection errors and non-2xx answers five times with exponential back-off from 50 ms. */
export async function deliver(ctx: EventingContext, url: string, event: EventRecord, retries = 5): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await sendEvent(ctx, url, event, { timeoutMs: 30_000 });
      if (res.status >= 200 && res.status < 300) return true;
    } catch {
      // retried below
    }
    if (attempt >= retries) return false;
    await new Promise((r) => setTimeout(r, 50 * 2 ** attempt).unref());
  }
}

/** The `K_CE_OVERRIDES` value: json.Marshal of spec.ceOverrides, empty when unset. */
export function ceOverridesEnv(overrides: SourceSpec['ceOverrides']): string {
  return overrides ? JSON.stringify(overrides.extensions ? { extensions: overrides.extensions } : {}) : '';
}
