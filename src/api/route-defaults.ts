// Route and traffic-target defaults (knative/serving pkg/apis/serving/v1/route_defaults.go).

import type { DefaultingContext } from './defaults.ts';
import { hasOwners, objAt, setUserInfo, unset } from './metadata-defaults.ts';
import { isObj, type Obj } from './shape-check.ts';
import type { Route, TrafficTarget } from './types.ts';

/** SetDefaults for a Route: per-target latestRevision/percent and user annotations when unowned. */
export function defaultRoute(route: Route, ctx: DefaultingContext<Route>): Route {
  if (!isObj(route)) return route;
  const spec = objAt(route as unknown as Obj, 'spec');
  if (spec) defaultTrafficList(spec.traffic);
  if (!hasOwners(route)) setUserInfo(route as unknown as Obj, ctx, ctx.old?.spec);
  return route;
}

/** TrafficTarget.SetDefaults: latestRevision ← (revisionName == ""), percent ← 0. */
export function defaultTrafficTarget(tt: TrafficTarget): TrafficTarget {
  if (!isObj(tt)) return tt;
  if (unset(tt.latestRevision)) tt.latestRevision = (tt.revisionName ?? '') === '';
  if (unset(tt.percent)) tt.percent = 0;
  return tt;
}

/** RouteSpec.SetDefaults: each target of a traffic list. */
export function defaultTrafficList(traffic: unknown): void {
  if (!Array.isArray(traffic)) return;
  for (const t of traffic) defaultTrafficTarget(t as TrafficTarget);
}
