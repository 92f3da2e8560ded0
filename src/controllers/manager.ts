// Runs the reconcilers: maps store watch events to work-queue keys, and deletes the objects a
// deleted owner controlled (the garbage collector's cascading delete).

import { ANNOTATION, LABEL, type ObjectMeta, type Revision, type Route } from '../api/types.ts';
import type { StoredObject, WatchEvent } from '../store/store.ts';
import { WorkQueue } from './queue.ts';
import { objectKey } from './names.ts';
import { controllerOf, type ControllerContext } from './context.ts';
import { MemoryEventRecorder, type EventRecorder } from './events.ts';
import { reconcileKey } from './kit.ts';
import { serviceReconciler } from './service.ts';
import { configurationReconciler } from './configuration.ts';
import { RevisionReconciler, envSourceNames, servingContainer } from './revision.ts';
import { routeReconciler } from './route.ts';
import { WorkloadEvents } from './workload-events.ts';
import { domainMappingReconciler } from './domainmapping.ts';
import { RevisionCollector } from './gc.ts';
import { CLUSTER_DOMAIN_CLAIMS, type DomainMapping } from '../api/domainmapping-lifecycle.ts';

/** The context minus the event recorder, which defaults to a bounded in-memory one (`knit serve` passes the store's, see stored-events.ts). */
export type ControllerDeps = Omit<ControllerContext, 'events'> & { events?: EventRecorder };

/** All controllers of one knit process. */
export class ControllerManager {
  readonly services: WorkQueue;
  readonly configurations: WorkQueue;
  readonly revisions: WorkQueue;
  readonly routes: WorkQueue;
  readonly domainMappings: WorkQueue;
  /** Revision GC per Configuration key (knative/serving pkg/reconciler/gc), on its changes and its revisions'. */
  readonly gc: WorkQueue;
  readonly collector: RevisionCollector;
  /** The events the reconcilers recorded. */
  readonly events: EventRecorder;
  private readonly ctx: ControllerContext;
  /** Scaling, pod and crash events about each revision's Deployment, ReplicaSet and pods. */
  private readonly workload: WorkloadEvents;
  private unwatch: (() => void) | undefined;

  constructor(deps: ControllerDeps) {
    const ctx: ControllerContext = { ...deps, events: deps.events ?? new MemoryEventRecorder(1000, deps.now) };
    this.ctx = ctx;
    this.events = ctx.events;
    const workload = new WorkloadEvents(ctx.store, ctx.events, {
      scale: (key) => ctx.autoscaler.state(key)?.scale,
      lastFailure: (key) => ctx.instances.status(key)?.lastFailure,
    });
    this.workload = workload;
    const revisions = new RevisionReconciler((key) => this.revisions.add(key));
    this.services = new WorkQueue('service', (k) => reconcileKey(ctx, serviceReconciler, k));
    this.configurations = new WorkQueue('configuration', (k) => reconcileKey(ctx, configurationReconciler, k));
    this.revisions = new WorkQueue('revision', (k) => {
      try {
        return reconcileKey(ctx, revisions, k);
      } finally {
        workload.observe(k);
      }
    });
    this.routes = new WorkQueue('route', (k) => reconcileKey(ctx, routeReconciler, k));
    this.domainMappings = new WorkQueue('domainmapping', (k) => reconcileKey(ctx, domainMappingReconciler, k));
    this.collector = new RevisionCollector(ctx.logDir);
    this.gc = new WorkQueue('gc', (k) => this.collector.run(ctx, k));
    ctx.instances.onChange = (key) => {
      ctx.autoscaler.readyChanged(key);
      this.revisions.add(key);
      workload.observe(key);
    };
    ctx.instances.onActivate = (key) => ctx.autoscaler.poke(key);
    ctx.autoscaler.onChange = (key) => {
      this.revisions.add(key);
      workload.observe(key);
    };
  }

  /** Subscribes to the store and enqueues every existing object once. */
  start(): void {
    this.ctx.autoscaler.start();
    this.unwatch = this.ctx.store.watchReadOnly(undefined, (ev) => this.onEvent(ev));
    for (const r of ['services', 'configurations', 'revisions', 'routes', 'domainmappings']) {
      for (const obj of this.ctx.store.list(r)) this.enqueue(r, obj);
    }
  }

  stop(): void {
    this.ctx.autoscaler.stop();
    this.unwatch?.();
    for (const q of [this.services, this.configurations, this.revisions, this.routes, this.domainMappings, this.gc]) q.stop();
  }

  private onEvent(ev: WatchEvent): void {
    if (ev.type === 'DELETED') this.collectGarbage(ev.object.metadata);
    // After this write's listeners ran, so that the event's own write follows it on every watch.
    if (ev.resource === 'core.pods') queueMicrotask(() => this.workload.podChanged(ev.type, ev.object));
    this.enqueue(ev.resource, ev.object);
    if (ev.resource === 'core.secrets' || ev.resource === 'core.configmaps') this.envSourceChanged(ev.resource, ev.object.metadata);
  }

  /**
   * A Secret or ConfigMap was written: the revisions whose env reads it retry a start that failed on
   * it (the kubelet retries a container whose config could not be created).
   */
  private envSourceChanged(resource: string, meta: ObjectMeta): void {
    const retry = this.ctx.instances.retryStart?.bind(this.ctx.instances);
    if (!retry) return;
    this.ctx.store.scan<Revision>('revisions', meta.namespace, (rev) => {
      const c = rev.spec.containers?.length ? servingContainer(rev) : undefined;
      if (!c) return;
      const names = envSourceNames(c);
      if ((resource === 'core.secrets' ? names.secrets : names.configMaps).has(meta.name ?? '')) retry(objectKey(rev.metadata.namespace, rev.metadata.name));
    });
  }

  private enqueue(resource: string, obj: StoredObject): void {
    const md = obj.metadata;
    const key = objectKey(md.namespace, md.name);
    const owner = controllerOf(md);
    const ownerKey = owner ? objectKey(md.namespace, owner.name) : undefined;
    if (resource === 'services' || resource === 'routes' || resource === 'core.services') this.domainMappingsReferencing(md.namespace, md.name ?? '');
    switch (resource) {
      case 'domainmappings':
        this.domainMappings.add(key);
        break;
      case CLUSTER_DOMAIN_CLAIMS:
        // A claim appeared, changed or was released: the mappings of that name (in any namespace) look again.
        this.ctx.store.scan<DomainMapping>('domainmappings', undefined, (dm) => {
          if (dm.metadata.name === md.name) this.domainMappings.add(objectKey(dm.metadata.namespace, dm.metadata.name));
        });
        break;
      case 'services':
        this.services.add(key);
        break;
      case 'configurations':
        this.configurations.add(key);
        this.gc.add(key);
        if (owner?.kind === 'Service' && ownerKey) this.services.add(ownerKey);
        this.routesReferencing(md.namespace, md.name ?? '', undefined);
        break;
      case 'routes':
        this.routes.add(key);
        if (owner?.kind === 'Service' && ownerKey) this.services.add(ownerKey);
        break;
      case 'revisions': {
        this.revisions.add(key);
        const cfg = md.labels?.[LABEL.configuration];
        if (cfg) this.configurations.add(objectKey(md.namespace, cfg));
        // The gc controller follows revisions to their controlling Configuration (EnqueueControllerOf).
        if (owner?.kind === 'Configuration' && ownerKey) this.gc.add(ownerKey);
        this.routesReferencing(md.namespace, cfg, md.name ?? '');
        break;
      }
    }
  }

  /**
   * Enqueues the routes whose traffic names this configuration or revision (in spec or status),
   * or that list it in its routes annotation — not every route of the namespace, which would make
   * status churn quadratic in the number of services.
   */
  private routesReferencing(ns: string | undefined, configuration: string | undefined, revision: string | undefined): void {
    this.ctx.store.scan<Route>('routes', ns, (r) => {
      const hit =
        r.spec.traffic?.some((t) => (configuration && t.configurationName === configuration) || (revision && t.revisionName === revision)) ||
        r.status?.traffic?.some((t) => revision && t.revisionName === revision);
      if (hit) this.routes.add(objectKey(ns, r.metadata.name));
    });
    const routes = (revision ? this.ctx.store.get('revisions', ns ?? 'default', revision) : undefined)?.metadata.annotations?.[ANNOTATION.routes];
    for (const name of (routes ?? '').split(',').filter(Boolean)) this.routes.add(objectKey(ns, name));
  }

  /** Enqueues the DomainMappings whose spec.ref names `name` in `ns` (the resolver's reference tracking). */
  private domainMappingsReferencing(ns: string | undefined, name: string): void {
    this.ctx.store.scan<DomainMapping>('domainmappings', ns, (dm) => {
      if (dm.spec?.ref?.name === name) this.domainMappings.add(objectKey(dm.metadata.namespace, dm.metadata.name));
    });
  }

  /** Background cascading delete of everything the deleted object controlled. */
  private collectGarbage(meta: ObjectMeta): void {
    if (!meta.uid) return;
    for (const { resource, object } of this.ctx.store.ownedBy(meta.uid)) {
      try {
        this.ctx.store.delete(resource, object.metadata.namespace ?? 'default', object.metadata.name ?? '', { uid: object.metadata.uid });
      } catch {
        // already gone
      }
    }
  }
}
