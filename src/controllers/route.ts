// Route reconciler: resolves traffic targets to ready revisions, programs the gateway's routing
// table and the route's ingress, writes status.traffic/url/address, and runs the labeler
// (knative/serving pkg/reconciler/route/route.go ReconcileKind).

import { isFailed } from '../api/conditions.ts';
import { RouteLifecycle } from '../api/route-lifecycle.ts';
import type { Route, RouteStatus, TrafficTarget } from '../api/types.ts';
import type { ControllerContext } from './context.ts';
import type { Observed, Reconciler } from './kit.ts';
import { splitKey } from './names.ts';
import { nextStepInMs, rolloutInProgress, scheduleSteps, stepRollout } from './rollout.ts';
import { addressFor, externalHost, hostRules, invalidHost, isClusterLocal, urlFor } from './route/hosts.ts';
import { certificateName } from './certificates.ts';
import { getIngress, previousRollout, rolloutDurationSeconds, saveIngress } from './route/ingress.ts';
import { labelRevisions } from './route/labeler.ts';
import { applyRollout, desiredRollout, mergeTargets, resolveTargets, trafficGroups } from './route/traffic.ts';

/** The Route reconciler; a returned number is the wait until the next rollout step. */
export const routeReconciler: Reconciler<Route, RouteLifecycle> = {
  resource: 'routes',
  lifecycle: RouteLifecycle,

  finalize(ctx: ControllerContext, key: string): void {
    const [ns, name] = splitKey(key);
    ctx.table.deleteRoute(key);
    ctx.certificates?.release(key);
    labelRevisions(ctx, ns, name, undefined, true);
  },

  reconcile(ctx: ControllerContext, o: Observed<Route, RouteLifecycle>): number | undefined {
    const { key, namespace: ns, name, object: route, status, lifecycle } = o;
    const { settings } = ctx;
    if (o.newGeneration) lifecycle.markIngressNotConfigured();
    // During a rollout the old revisions stay referenced through status.traffic, so the labeler
    // runs once the status is written, and releases unreferenced revisions only once settled.
    const label = (settled: boolean): void => o.afterStatusWrite(() => labelRevisions(ctx, ns, name, route, settled));

    status.url = urlFor(settings, route, '');
    const bad = invalidHost(settings, route);
    if (bad) {
      lifecycle.markInvalidDomain(bad);
      label(false);
      return undefined;
    }
    const { targets, error } = resolveTargets(ctx.store, route);
    if (error) {
      error.mark(lifecycle);
      // Failed (at the new generation) counts as settled.
      o.afterStatusWrite(() => labelRevisions(ctx, ns, name, route, isFailed(route)));
      return undefined;
    }

    const nowMs = ctx.now().getTime();
    const ingress = getIngress(ctx, route);
    const duration = rolloutDurationSeconds(ctx, route);
    const wanted = desiredRollout(mergeTargets(targets));
    const rollout = duration > 0 ? scheduleSteps(stepRollout(wanted, previousRollout(ingress), nowMs), duration, nowMs) : wanted;
    const merged = applyRollout(mergeTargets(targets), rollout);
    status.traffic = merged.map((t) => {
      const out: TrafficTarget = {};
      if (t.tag) out.tag = t.tag;
      out.revisionName = t.revisionName;
      out.latestRevision = t.latestRevision;
      out.percent = t.percent;
      if (t.tag) out.url = urlFor(settings, route, t.tag);
      return out;
    });
    lifecycle.markTrafficAssigned();
    status.address = { url: addressFor(settings, route) };
    const certified = externalDomainTLS(ctx, key, route, status, lifecycle);
    const rules = hostRules(settings, route, trafficGroups(ns, merged));
    if (settings.httpProtocol === 'Redirected') {
      for (const r of rules) if (r.visibility === 'external' && certified.has(r.host)) r.httpsRedirect = true;
    }
    saveIngress(ctx, route, ingress, rules, rollout);
    ctx.table.setRoute(key, rules);
    const rolling = rolloutInProgress(rollout);
    if (rolling) lifecycle.markIngressRolloutInProgress();
    else lifecycle.markIngressReady();
    label(!rolling);
    return rolling ? nextStepInMs(rollout, nowMs) : undefined;
  },
};

/** networking.knative.dev/disable-external-domain-tls: a route opts out of external-domain-tls. */
const DISABLE_EXTERNAL_DOMAIN_TLS = 'networking.knative.dev/disable-external-domain-tls';

/**
 * One certificate per external host (the route's and each tag's), https URLs for the hosts that have one, and
 * CertificateProvisioned (knative/serving pkg/reconciler/route/route.go externalDomainTLS, resources/certificate.go
 * MakeCertificates). knit's own CA issues at once, so a certificate is ready or failed, never pending. Returns the
 * certified hosts.
 */
function externalDomainTLS(ctx: ControllerContext, key: string, route: Route, status: RouteStatus, lifecycle: RouteLifecycle): Set<string> {
  const { settings, certificates } = ctx;
  const certified = new Set<string>();
  // An annotation value that is not a boolean leaves TLS on, as Knative's externalDomainTLSEnabled does.
  const optOut = route.metadata.annotations?.[DISABLE_EXTERNAL_DOMAIN_TLS]?.toLowerCase();
  const enabled = settings.externalDomainTLS === true && settings.httpsGateway === true && certificates !== undefined && optOut !== 'true' && optOut !== '1' && optOut !== 't';
  if (!enabled || isClusterLocal(route)) {
    lifecycle.markTLSNotEnabled(isClusterLocal(route));
    certificates?.release(key);
    return certified;
  }
  const keep = new Set<string>();
  const tags = ['', ...new Set((status.traffic ?? []).map((t) => t.tag ?? '').filter((t) => t !== ''))];
  for (const tag of tags) {
    const host = externalHost(settings, route, tag);
    const name = certificateName(route.metadata.uid ?? '', tag);
    keep.add(name);
    if (certificates.ensure(key, name, host) !== undefined) {
      certificates.release(key, keep);
      lifecycle.markCertificateProvisionFailed(name);
      return certified;
    }
    certified.add(host);
  }
  certificates.release(key, keep);
  const https = (url: string | undefined): string | undefined => (url && certified.has(new URL(url).hostname) ? url.replace(/^http:/, 'https:') : url);
  status.url = https(status.url);
  for (const t of status.traffic ?? []) if (t.url) t.url = https(t.url);
  lifecycle.markCertificateReady();
  return certified;
}
