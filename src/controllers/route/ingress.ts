// Route ingress: knit's KIngress object in the store — what a route programmed and its rollout
// state, so a gradual rollout survives restarts (knative/serving pkg/reconciler/route/reconcile_resources.go reconcileIngress).

import { ANNOTATION, LABEL, type Route } from '../../api/types.ts';
import { parseDurationSeconds } from '../../api/go-values.ts';
import type { HostRule, RoutingTable } from '../../dataplane/routing.ts';
import type { Store } from '../../store/store.ts';
import { objectKey } from '../names.ts';
import { controllerRef, type ControllerContext } from '../context.ts';
import { parseRollout, type Rollout } from '../rollout.ts';

/** knit's KIngress: what a Route programmed, and its rollout state. */
export interface Ingress {
  apiVersion: string;
  kind: 'Ingress';
  metadata: Route['metadata'];
  spec: { rules: HostRule[] };
}

/** networking.internal.knative.dev/rollout: the rollout state Knative keeps on the ingress. */
export const ROLLOUT_ANNOTATION = 'networking.internal.knative.dev/rollout';

/** The route's ingress, if it has one. */
export function getIngress(ctx: ControllerContext, route: Route): Ingress | undefined {
  return ctx.store.get<Ingress>('ingresses', route.metadata.namespace ?? 'default', route.metadata.name ?? '');
}

/** The rollout an ingress last programmed (undefined when none or invalid). */
export function previousRollout(ingress: Ingress | undefined): Rollout | undefined {
  return parseRollout(ingress?.metadata.annotations?.[ROLLOUT_ANNOTATION]);
}

/** The route's rollout duration: its annotation, else config-network rollout-duration. */
export function rolloutDurationSeconds(ctx: ControllerContext, route: Route): number {
  const ann = route.metadata.annotations ?? {};
  const v = ann[ANNOTATION.rolloutDuration] ?? ann[ANNOTATION.rolloutDurationAlias];
  const n = v ? parseDurationSeconds(v) : null;
  return n && n > 0 ? n : ctx.settings.rolloutDurationSeconds;
}

/**
 * Programs `table` with every stored ingress, as knit starts: what the routes programmed last is served from
 * the first request on, before the route controller has reconciled anything (a KIngress stays programmed in
 * Knative's networking layer while its controllers restart). The route controller then replaces each.
 * Returns the keys of the revisions they send traffic to.
 */
export function restoreIngresses(store: Store, table: RoutingTable): Set<string> {
  const routed = new Set<string>();
  for (const ing of store.list<Ingress>('ingresses')) {
    if (!Array.isArray(ing.spec?.rules) || ing.metadata.deletionTimestamp) continue;
    table.setRoute(objectKey(ing.metadata.namespace, ing.metadata.name), ing.spec.rules);
    for (const rule of ing.spec.rules) {
      for (const t of rule.targets) routed.add(t.revision);
      for (const targets of Object.values(rule.tagTargets ?? {})) for (const t of targets) routed.add(t.revision);
    }
  }
  return routed;
}

/** Creates or updates the route's ingress with its rules and rollout state. */
export function saveIngress(ctx: ControllerContext, route: Route, existing: Ingress | undefined, rules: HostRule[], rollout: Rollout): void {
  const annotations = { ...route.metadata.annotations, [ROLLOUT_ANNOTATION]: JSON.stringify(rollout) };
  if (!existing) {
    const name = route.metadata.name ?? '';
    try {
      ctx.store.create<Ingress>('ingresses', {
        apiVersion: 'networking.internal.knative.dev/v1alpha1',
        kind: 'Ingress',
        metadata: {
          name,
          namespace: route.metadata.namespace,
          labels: { ...route.metadata.labels, [LABEL.route]: name, 'serving.knative.dev/routeNamespace': route.metadata.namespace ?? '' },
          annotations,
          ownerReferences: [controllerRef('Route', route.metadata)],
        },
        spec: { rules },
      });
    } catch (err) {
      ctx.events.event(route, 'Warning', 'CreationFailed', `Failed to create Ingress: ${(err as Error).message}`);
      throw err;
    }
    ctx.events.event(route, 'Normal', 'Created', `Created Ingress "${name}"`);
    return;
  }
  existing.metadata.annotations = annotations;
  existing.spec = { rules };
  ctx.store.update('ingresses', existing);
}
