// The PingSource reconciler and its adapter (knative/eventing pkg/reconciler/pingsource pingsource.go
// ReconcileKind and pkg/adapter/mtping runner.go): the sink is resolved into status, and knit's
// in-process adapter (the mt-ping Deployment's role) sends `dev.knative.sources.ping` at each activation.

import { reconcileKey, type Reconciler } from '../../controllers/kit.ts';
import type { ControllerFactory, EventingContext } from '../manager.ts';
import { RESOURCE, type PingSource } from '../types.ts';
import type { EventRecord } from '../cloudevents.ts';
import { PingSourceLifecycle } from './lifecycle.ts';
import { SINK_WATCHES, deliver, newEvent, resolveSink, sinkNotFound } from './common.ts';
import { parseSchedule, type Schedule } from '../cron.ts';
import { realTimers, type Timers } from './timers.ts';

/** knative/eventing pkg/apis/sources/v1 ping_lifecycle.go PingSourceEventType. */
export const PING_EVENT_TYPE = 'dev.knative.sources.ping';

/** PingSourceSource: the events' `source`. */
export function pingSourceSource(namespace: string, name: string): string {
  return `/apis/v1/namespaces/${namespace}/pingsources/${name}`;
}

/** mtping runner.go makeEvent: data from dataBase64 or data, with contentType; ceOverrides' extensions. */
export function pingEvent(ctx: Pick<EventingContext, 'now'>, src: PingSource): EventRecord {
  const ns = src.metadata.namespace ?? 'default';
  const attributes = newEvent(ctx, PING_EVENT_TYPE, pingSourceSource(ns, src.metadata.name ?? ''), src.spec.ceOverrides);
  let data: Buffer | undefined;
  if (src.spec.dataBase64) data = Buffer.from(src.spec.dataBase64, 'base64');
  else if (src.spec.data) data = Buffer.from(src.spec.data, 'utf8');
  if (data === undefined) return { attributes };
  if (src.spec.contentType) attributes.datacontenttype = src.spec.contentType;
  return { attributes, data: data.toString('base64') };
}

/** One armed schedule: what it was armed for, and its pending timer. */
interface Armed {
  fingerprint: string;
  source: PingSource;
  sinkUri: string;
  cancel: () => void;
}

/** The PingSource controller; `timers` drives the schedules (a simulated clock in tests). */
export function pingSourceController(timers?: Timers): ControllerFactory {
  return (ctx) => {
    const clock = timers ?? realTimers(ctx.now);
    const armed = new Map<string, Armed>();

    const disarm = (key: string): void => {
      armed.get(key)?.cancel();
      armed.delete(key);
    };

    /** Arms the next activation after `after`; each firing arms the one after it. */
    const arm = (key: string, schedule: Schedule, after: Date): void => {
      const entry = armed.get(key);
      if (!entry) return;
      const when = schedule.next(after);
      if (!when) return; // never fires again (e.g. `0 0 30 2 *`), as robfig/cron's zero time
      entry.cancel = clock.at(when, () => {
        const current = armed.get(key);
        if (current !== entry) return;
        void deliver(ctx, current.sinkUri, pingEvent({ now: () => when }, current.source));
        arm(key, schedule, when);
      });
    };

    const reconciler: Reconciler<PingSource, PingSourceLifecycle> = {
      resource: RESOURCE.pingsources,
      lifecycle: PingSourceLifecycle,
      finalize: (_c, key) => disarm(key),
      reconcile(_c, { key, namespace, object: src, lifecycle }) {
        lifecycle.markOIDCDisabled();
        const sink = resolveSink(ctx, src.spec.sink, namespace);
        if ('error' in sink) {
          lifecycle.markNoSink();
          disarm(key);
          sinkNotFound(ctx, src, src.spec.sink, namespace);
          return;
        }
        lifecycle.markSink(sink.uri);
        let schedule: Schedule;
        try {
          schedule = parseSchedule(src.spec.schedule ?? '* * * * *', src.spec.timezone);
        } catch (err) {
          disarm(key);
          lifecycle.markScheduleInvalid((err as Error).message);
          return;
        }
        const fingerprint = JSON.stringify([src.spec, sink.uri]);
        const current = armed.get(key);
        if (current?.fingerprint !== fingerprint) {
          disarm(key);
          armed.set(key, { fingerprint, source: structuredClone(src), sinkUri: sink.uri, cancel: () => {} });
          arm(key, schedule, clock.now());
        }
        lifecycle.markDeployed();
        src.status!.ceAttributes = [{ type: PING_EVENT_TYPE, source: pingSourceSource(namespace, src.metadata.name ?? '') }];
      },
    };

    return {
      resource: RESOURCE.pingsources,
      watches: SINK_WATCHES,
      reconcile: (key) => reconcileKey(ctx, reconciler, key),
      stop() {
        for (const key of [...armed.keys()]) disarm(key);
      },
    };
  };
}
