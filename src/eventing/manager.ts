// Runs Eventing's controllers beside Serving's (src/controllers/manager.ts): one work queue per kind,
// fed by the store's watch. A change to any object re-enqueues, in its namespace, the objects of the
// controllers that watch its resource (the role of knative.dev/pkg's tracker: sinks, subjects and
// subscribers are resolved again when what they name changes).

import type { StoredObject, WatchEvent } from '../store/store.ts';
import { WorkQueue, type ReconcileFn } from '../controllers/queue.ts';
import { objectKey } from '../controllers/names.ts';
import type { ControllerContext } from '../controllers/context.ts';
import { SOURCE_CONTROLLERS } from './sources/index.ts';
import type { InProcessHandler } from '../dataplane/gateway.ts';
import { brokerController } from './broker.ts';
import { triggerController } from './trigger.ts';
import { CHANNEL_CONTROLLERS } from './channel-controllers.ts';

/** What Eventing's controllers share, beyond the Serving controllers' context. */
export interface EventingContext extends ControllerContext {
  /** knit's data directory (Eventing keeps its durable queues beside the store). */
  dataDir: string;
  /** The cluster-local gateway's address once it listens (deliveries go through it, so sinks at zero are woken). */
  localGateway(): { host: string; port: number } | undefined;
  /** True when the cluster-local gateway's routing table has `host` (a Route's, a DomainMapping's). */
  hostRouted(host: string): boolean;
  /** The API server's URL once it listens (ApiServerSource events carry it as their `source`). */
  apiServer?(): string | undefined;
  /**
   * Answers `host` (any port) on the cluster-local gateway with `handler`, inside knit (Gateway.serveInProcess):
   * the broker ingress, channels. Call from `start()`, not from a factory. Returns the function that removes it.
   */
  serveLocal(host: string, handler: InProcessHandler): () => void;
  /** Where the brokers' metrics go (src/metrics/metrics.ts EventingRecorder); absent in tests that need none. */
  metrics?: EventingMetrics;
}

/** The brokers' metrics (Knative's mt_broker_ingress / mt_broker_filter event_count and event_dispatch_latencies). */
export interface EventingMetrics {
  ingress(namespace: string, broker: string, eventType: string, status: number, ms: number): void;
  dispatch(namespace: string, broker: string, trigger: string, filterType: string, status: number, ms: number): void;
}

/** One Eventing controller: a resource's reconcile function and what else makes it look again. */
export interface EventingController {
  /** The store key of the kind it reconciles (src/eventing/types.ts RESOURCE). */
  readonly resource: string;
  /** Store keys of resources whose changes re-enqueue this controller's objects in the same namespace. */
  readonly watches?: readonly string[];
  reconcile: ReconcileFn;
  /** Called once when knit starts (after the store is loaded) and when it stops. */
  start?(): void;
  stop?(): void | Promise<void>;
}

export type ControllerFactory = (ctx: EventingContext, enqueue: (resource: string, key: string) => void) => EventingController;

/** All Eventing controllers of one knit process. */
export class EventingManager {
  readonly ctx: EventingContext;
  private readonly controllers: { c: EventingController; q: WorkQueue }[] = [];
  private unwatch: (() => void) | undefined;

  constructor(ctx: EventingContext, factories: readonly ControllerFactory[]) {
    this.ctx = ctx;
    for (const f of factories) {
      const c = f(ctx, (resource, key) => this.queueFor(resource)?.add(key));
      this.controllers.push({ c, q: new WorkQueue(c.resource.split('.').pop() ?? c.resource, c.reconcile) });
    }
  }

  /** The work queue of `resource`'s controller. */
  queueFor(resource: string): WorkQueue | undefined {
    return this.controllers.find((x) => x.c.resource === resource)?.q;
  }

  start(): void {
    this.unwatch = this.ctx.store.watchReadOnly(undefined, (ev) => this.onEvent(ev));
    for (const { c, q } of this.controllers) {
      c.start?.();
      for (const obj of this.ctx.store.list(c.resource)) q.add(objectKey(obj.metadata.namespace, obj.metadata.name));
    }
  }

  /** Every controller's work queue (serve.ts waits for them to settle at start-up). */
  queues(): WorkQueue[] {
    return this.controllers.map((x) => x.q);
  }

  async stop(): Promise<void> {
    this.unwatch?.();
    for (const { c, q } of this.controllers) {
      q.stop();
      await c.stop?.();
    }
  }

  private onEvent(ev: WatchEvent): void {
    const md = (ev.object as StoredObject).metadata;
    for (const { c, q } of this.controllers) {
      if (ev.resource === c.resource) q.add(objectKey(md.namespace, md.name));
      if (c.watches?.includes(ev.resource)) {
        this.ctx.store.scan(c.resource, md.namespace || undefined, (o) => q.add(objectKey(o.metadata.namespace, o.metadata.name)));
      }
    }
  }
}

/**
 * The controllers `knit serve` runs, in start order. Each Eventing component adds its factory here
 * (broker, trigger, channel, subscription, flows, sources).
 */
export const EVENTING_CONTROLLERS: ControllerFactory[] = [brokerController, triggerController, ...CHANNEL_CONTROLLERS, ...SOURCE_CONTROLLERS];
