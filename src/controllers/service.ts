// Service reconciler: owns a Configuration and a Route of the same name and mirrors their status
// (spec §1.4).

import { isDeepStrictEqual } from 'node:util';
import { READY, ServiceConditions, getCondition } from '../api/conditions.ts';
import { ANNOTATION, API_VERSION, LABEL, type Configuration, type Route, type Service, type TrafficTarget } from '../api/types.ts';
import { splitKey } from './names.ts';
import { controllerRef, isControlledBy, type ControllerContext } from './context.ts';

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

/**
 * Creates the Service's child, or brings an existing one's labels, annotations and spec to what
 * the Service wants. Returns undefined when a child of that name is not the Service's.
 */
function ensureChild<T extends Configuration | Route>(ctx: ControllerContext, resource: 'configurations' | 'routes', svc: Service, existing: T | undefined, want: T): T | undefined {
  if (!existing) return ctx.store.create(resource, want);
  if (!isControlledBy(existing.metadata, svc.metadata.uid)) return undefined;
  if (sameMeta(existing, want)) return existing;
  existing.metadata.labels = want.metadata.labels;
  existing.metadata.annotations = want.metadata.annotations;
  existing.spec = want.spec;
  return ctx.store.update(resource, existing);
}

/** Reconciles one Service key (`namespace/name`). */
export function reconcileService(ctx: ControllerContext, key: string): void {
  const [ns, name] = splitKey(key);
  const { store } = ctx;
  const svc = store.get<Service>('services', ns, name);
  if (!svc || svc.metadata.deletionTimestamp) return;
  const before = structuredClone(svc.status ?? {});
  const status = svc.status ?? {};
  svc.status = status;
  const conds = ServiceConditions.manage(status, ctx.now);
  conds.initialize();
  const gen = svc.metadata.generation ?? 0;
  if (status.observedGeneration !== gen) conds.markUnknown(READY, 'NewObservedGenFailure', 'unsuccessfully observed a new generation');

  const done = (): void => {
    status.observedGeneration = gen;
    if (!isDeepStrictEqual(before, status)) store.update('services', svc, { subresource: 'status' });
  };

  // 1. Configuration.
  const existingConfig = store.get<Configuration>('configurations', ns, name);
  const config = ensureChild(ctx, 'configurations', svc, existingConfig, desiredConfiguration(svc, existingConfig));
  if (!config) {
    conds.markFalse('ConfigurationsReady', 'NotOwned', `There is an existing Configuration "${name}" that we do not own.`);
    return done();
  }

  // 2. Configuration status.
  const byoName = svc.spec.template.metadata?.name;
  const cs = config.status;
  if (cs?.observedGeneration !== config.metadata.generation) {
    conds.markUnknown('ConfigurationsReady', 'OutOfDate', 'The Configuration is still working to reflect the latest desired specification.');
    if (byoName) return done();
  } else {
    status.latestCreatedRevisionName = cs?.latestCreatedRevisionName;
    status.latestReadyRevisionName = cs?.latestReadyRevisionName;
    if (!status.latestCreatedRevisionName) delete status.latestCreatedRevisionName;
    if (!status.latestReadyRevisionName) delete status.latestReadyRevisionName;
    const c = getCondition(cs, READY);
    if (c?.status === 'True') conds.markTrue('ConfigurationsReady');
    else if (c?.status === 'False') conds.markFalse('ConfigurationsReady', c.reason ?? '', c.message ?? '');
    else if (c) conds.markUnknown('ConfigurationsReady', c.reason ?? '', c.message ?? '');
  }

  // 3. A BYO revision name taken by someone else.
  if (byoName) {
    const rev = store.get<{ apiVersion: string; kind: string; metadata: Configuration['metadata']; spec: unknown }>('revisions', ns, byoName);
    if (rev && (!isControlledBy(rev.metadata, config.metadata.uid) || !isDeepStrictEqual(rev.spec, config.spec.template.spec))) {
      conds.markFalse('RoutesReady', 'RevisionNameTaken', `The revision name "${byoName}" is taken by a conflicting Revision, so traffic will not be migrated`);
      return done();
    }
  }

  // 4. Route.
  const route = ensureChild(ctx, 'routes', svc, store.get<Route>('routes', ns, name), desiredRoute(svc));
  if (!route) {
    conds.markFalse('RoutesReady', 'NotOwned', `There is an existing Route "${name}" that we do not own.`);
    return done();
  }

  // 5. Route status.
  const rs = route.status;
  if (rs?.observedGeneration !== route.metadata.generation) {
    conds.markUnknown('RoutesReady', 'OutOfDate', 'The Route is still working to reflect the latest desired specification.');
  } else {
    if (rs?.url) status.url = rs.url;
    else delete status.url;
    if (rs?.address) status.address = rs.address;
    else delete status.address;
    if (rs?.traffic) status.traffic = rs.traffic;
    else delete status.traffic;
    const c = getCondition(rs, READY);
    if (c?.status === 'True') conds.markTrue('RoutesReady');
    else if (c?.status === 'False') conds.markFalse('RoutesReady', c.reason ?? '', c.message ?? '');
    else if (c) conds.markUnknown('RoutesReady', c.reason ?? '', c.message ?? '');
    if (getCondition(status, 'RoutesReady')?.status === 'True' && trafficNotMigrated(config, route)) {
      conds.markUnknown('RoutesReady', 'TrafficNotMigrated', 'Traffic is not yet migrated to the latest revision.');
    }
  }
  done();
}
