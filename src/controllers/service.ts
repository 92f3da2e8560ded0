// Service reconciler: owns a Configuration and a Route of the same name and mirrors their status
// (knative/serving pkg/reconciler/service/service.go).

import { isDeepStrictEqual } from 'node:util';
import { ServiceLifecycle } from '../api/service-lifecycle.ts';
import { ANNOTATION, API_VERSION, LABEL, type Configuration, type Revision, type Route, type Service, type TrafficTarget } from '../api/types.ts';
import { controllerRef, isControlledBy, type ControllerContext } from './context.ts';
import type { Reconciler } from './kit.ts';

function withoutKeys(src: Record<string, string> | undefined, keys: string[]): Record<string, string> {
  const out: Record<string, string> = { ...src };
  for (const k of keys) delete out[k];
  return out;
}

function mergeRoutes(existing: string | undefined, route: string): string {
  const set = new Set((existing ?? '').split(',').filter(Boolean));
  set.add(route);
  return [...set].sort().join(',');
}

/** The Configuration a Service wants (labels, annotations, owner, spec). */
export function desiredConfiguration(svc: Service, existing?: Configuration): Configuration {
  const name = svc.metadata.name ?? '';
  const annotations = withoutKeys(svc.metadata.annotations, [ANNOTATION.lastApplied, ANNOTATION.rolloutDuration, ANNOTATION.rolloutDurationAlias]);
  annotations[ANNOTATION.routes] = mergeRoutes(existing?.metadata.annotations?.[ANNOTATION.routes], name);
  return {
    apiVersion: API_VERSION,
    kind: 'Configuration',
    metadata: {
      name,
      namespace: svc.metadata.namespace,
      labels: { ...svc.metadata.labels, [LABEL.service]: name, [LABEL.serviceUID]: svc.metadata.uid ?? '' },
      annotations,
      ownerReferences: [controllerRef('Service', svc.metadata)],
    },
    spec: { template: structuredClone(svc.spec.template) },
  };
}

/** The Route a Service wants: its traffic with configurationName filled in. */
export function desiredRoute(svc: Service): Route {
  const name = svc.metadata.name ?? '';
  const traffic: TrafficTarget[] = (svc.spec.traffic ?? []).map((t) => {
    const out = { ...t };
    if (!out.revisionName) out.configurationName = name;
    return out;
  });
  return {
    apiVersion: API_VERSION,
    kind: 'Route',
    metadata: {
      name,
      namespace: svc.metadata.namespace,
      labels: { ...svc.metadata.labels, [LABEL.service]: name },
      annotations: withoutKeys(svc.metadata.annotations, [ANNOTATION.lastApplied]),
      ownerReferences: [controllerRef('Service', svc.metadata)],
    },
    spec: { traffic },
  };
}

function sameMeta(a: Configuration | Route, b: Configuration | Route): boolean {
  return (
    isDeepStrictEqual(a.spec, b.spec) &&
    isDeepStrictEqual(a.metadata.labels ?? {}, b.metadata.labels ?? {}) &&
    isDeepStrictEqual(a.metadata.annotations ?? {}, b.metadata.annotations ?? {})
  );
}

function normaliseTraffic(t: TrafficTarget): TrafficTarget {
  return { tag: t.tag || undefined, revisionName: t.revisionName || undefined, configurationName: t.configurationName || undefined, percent: t.percent ?? 0 };
}

/** Knative's checkRoutesNotReady: the route has not yet moved traffic to the latest ready revision. */
function trafficNotMigrated(config: Configuration, route: Route): boolean {
  const want = route.spec.traffic ?? [];
  const got = route.status?.traffic ?? [];
  if (want.length !== got.length) return true;
  for (let i = 0; i < want.length; i++) {
    const w = { ...want[i] };
    if (w.configurationName === config.metadata.name) {
      w.revisionName = config.status?.latestReadyRevisionName;
      delete w.configurationName;
    }
    if (!isDeepStrictEqual(normaliseTraffic(w), normaliseTraffic(got[i]))) return true;
  }
  return false;
}

const KIND_OF = { configurations: 'Configuration', routes: 'Route' } as const;

/**
 * Creates the Service's child, or brings an existing one's labels, annotations and spec to what
 * the Service wants. Returns undefined when a child of that name is not the Service's
 * (knative/serving pkg/reconciler/service/service.go config and route).
 */
function ensureChild<T extends Configuration | Route>(ctx: ControllerContext, resource: 'configurations' | 'routes', svc: Service, existing: T | undefined, want: T): T | undefined {
  if (!existing) {
    const kind = KIND_OF[resource];
    let created: T;
    try {
      created = ctx.store.create(resource, want);
    } catch (err) {
      ctx.events.event(svc, 'Warning', 'CreationFailed', `Failed to create ${kind} "${want.metadata.name}": ${(err as Error).message}`);
      throw err;
    }
    ctx.events.event(svc, 'Normal', 'Created', `Created ${kind} "${want.metadata.name}"`);
    return created;
  }
  if (!isControlledBy(existing.metadata, svc.metadata.uid)) return undefined;
  if (sameMeta(existing, want)) return existing;
  existing.metadata.labels = want.metadata.labels;
  existing.metadata.annotations = want.metadata.annotations;
  existing.spec = want.spec;
  return ctx.store.update(resource, existing);
}

/** The Service reconciler (knative/serving pkg/reconciler/service/service.go ReconcileKind). */
export const serviceReconciler: Reconciler<Service, ServiceLifecycle> = {
  resource: 'services',
  lifecycle: ServiceLifecycle,
  reconcile(ctx, { namespace: ns, name, object: svc, lifecycle }) {
    const { store } = ctx;

    // 1. Configuration.
    const existingConfig = store.get<Configuration>('configurations', ns, name);
    const config = ensureChild(ctx, 'configurations', svc, existingConfig, desiredConfiguration(svc, existingConfig));
    if (!config) return lifecycle.markConfigurationNotOwned(name);

    // 2. Configuration status.
    const byoName = svc.spec.template.metadata?.name;
    if (config.status?.observedGeneration !== config.metadata.generation) {
      lifecycle.markConfigurationNotReconciled();
      if (byoName) return;
    } else {
      lifecycle.propagateConfigurationStatus(config.status);
    }

    // 3. A BYO revision name taken by someone else.
    if (byoName) {
      const rev = store.get<Revision>('revisions', ns, byoName);
      if (rev && (!isControlledBy(rev.metadata, config.metadata.uid) || !isDeepStrictEqual(rev.spec, config.spec.template.spec))) {
        return lifecycle.markRevisionNameTaken(byoName);
      }
    }

    // 4. Route.
    const route = ensureChild(ctx, 'routes', svc, store.get<Route>('routes', ns, name), desiredRoute(svc));
    if (!route) return lifecycle.markRouteNotOwned(name);

    // 5. Route status.
    if (route.status?.observedGeneration !== route.metadata.generation) return lifecycle.markRouteNotReconciled();
    lifecycle.propagateRouteStatus(route.status);
    if (lifecycle.routesReady() && trafficNotMigrated(config, route)) lifecycle.markRouteNotYetReady();
  },
};
