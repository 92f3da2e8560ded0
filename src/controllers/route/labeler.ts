// The labeler: marks the revisions and configurations a route references with its name and
// routingState active/reserve (knative/serving pkg/reconciler/labeler).

import { isDeepStrictEqual } from 'node:util';
import { ANNOTATION, LABEL, type Configuration, type Revision, type Route } from '../../api/types.ts';
import { rfc3339 } from '../../api/time.ts';
import type { ControllerContext } from '../context.ts';

function routesOf(meta: { annotations?: Record<string, string> }): Set<string> {
  return new Set((meta.annotations?.[ANNOTATION.routes] ?? '').split(',').filter(Boolean));
}

/** The routes of meta's annotation with routeName added (when referenced) or removed. */
function routesWith(meta: { annotations?: Record<string, string> }, routeName: string, referenced: boolean): Set<string> {
  const routes = routesOf(meta);
  if (referenced) routes.add(routeName);
  else routes.delete(routeName);
  return routes;
}

function setRoutes(meta: { annotations?: Record<string, string> }, routes: Set<string>): void {
  const ann = { ...meta.annotations };
  if (routes.size === 0) delete ann[ANNOTATION.routes];
  else ann[ANNOTATION.routes] = [...routes].sort().join(',');
  meta.annotations = ann;
}

/**
 * The labeler (knative/serving pkg/reconciler/labeler/labelerv2.go): referenced revisions and configurations list this route in their
 * `serving.knative.dev/routes` annotation and are `active`; once the route is Ready or Failed,
 * revisions it no longer references drop it and become `reserve` when no route is left.
 */
export function labelRevisions(ctx: ControllerContext, ns: string, routeName: string, route: Route | undefined, settled: boolean): void {
  const { store } = ctx;
  const revNames = new Set<string>();
  const cfgNames = new Set<string>();
  if (route) {
    for (const t of route.status?.traffic ?? []) if (t.revisionName) revNames.add(t.revisionName);
    for (const t of route.spec.traffic ?? []) {
      if (t.revisionName) revNames.add(t.revisionName);
      if (t.configurationName) {
        cfgNames.add(t.configurationName);
        if (t.latestRevision !== false) {
          const cfg = store.get<Configuration>('configurations', ns, t.configurationName);
          const lc = cfg?.status?.latestCreatedRevisionName;
          if (lc) revNames.add(lc);
        }
      }
    }
  }
  const now = rfc3339(ctx.now());
  // Scan without copying; copy only the revisions whose labels or annotations change.
  const changes: string[] = [];
  store.scan<Revision>('revisions', ns, (rev) => {
    const rn = rev.metadata.name ?? '';
    const routes = routesOf(rev.metadata);
    if (revNames.has(rn)) {
      const cfg = rev.metadata.labels?.[LABEL.configuration];
      if (cfg) cfgNames.add(cfg);
      if (!routes.has(routeName) || rev.metadata.labels?.[LABEL.routingState] !== 'active') changes.push(rn);
    } else if (settled && routes.has(routeName)) {
      changes.push(rn);
    }
  });
  for (const rn of changes) {
    const rev = store.get<Revision>('revisions', ns, rn);
    if (!rev) continue;
    const routes = routesWith(rev.metadata, routeName, revNames.has(rn));
    const state = routes.size > 0 ? 'active' : 'reserve';
    const labels = { ...rev.metadata.labels };
    const before = { labels: rev.metadata.labels, annotations: rev.metadata.annotations };
    if (labels[LABEL.routingState] !== state) {
      labels[LABEL.routingState] = state;
      rev.metadata.annotations = { ...rev.metadata.annotations, [ANNOTATION.routingStateModified]: now };
    }
    rev.metadata.labels = labels;
    setRoutes(rev.metadata, routes);
    if (!isDeepStrictEqual(before, { labels: rev.metadata.labels, annotations: rev.metadata.annotations })) store.update('revisions', rev);
  }
  const cfgChanges: string[] = [];
  store.scan<Configuration>('configurations', ns, (cfg) => {
    const routes = routesOf(cfg.metadata);
    const cn = cfg.metadata.name ?? '';
    if (cfgNames.has(cn) ? !routes.has(routeName) : settled && routes.has(routeName) && cfg.metadata.labels?.[LABEL.service] !== routeName) cfgChanges.push(cn);
  });
  for (const cn of cfgChanges) {
    const cfg = store.get<Configuration>('configurations', ns, cn);
    if (!cfg) continue;
    setRoutes(cfg.metadata, routesWith(cfg.metadata, routeName, cfgNames.has(cn)));
    store.update('configurations', cfg);
  }
}
