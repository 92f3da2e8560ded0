// Route reconciler: resolves traffic targets to ready revisions, programs the gateway's routing
// table, writes status.traffic/url/address (spec §3), and labels revisions active/reserve (§8.1).

import { isDeepStrictEqual } from 'node:util';
import { READY, RouteConditions, getCondition, isFailed, isReady } from '../api/conditions.ts';
import { ANNOTATION, LABEL, type Configuration, type Revision, type Route, type TrafficTarget } from '../api/types.ts';
import type { HostRule, HostTarget } from '../dataplane/routing.ts';
import type { ConditionManager } from '../api/conditions.ts';
import { renderTemplate } from '../api/config.ts';
import { parseDurationSeconds } from '../api/go-values.ts';
import { objectKey, splitKey } from './names.ts';
import { controllerRef, type ControllerContext } from './context.ts';
import { rfc3339 } from '../api/time.ts';
import { nextStepInMs, parseRollout, rolloutInProgress, scheduleSteps, stepRollout, type Rollout } from './rollout.ts';

/** knit's KIngress: what a Route programmed, and its rollout state (survives restarts). */
interface Ingress {
  apiVersion: string;
  kind: 'Ingress';
  metadata: Route['metadata'];
  spec: { rules: HostRule[] };
}

const ROLLOUT_ANNOTATION = 'networking.internal.knative.dev/rollout';

/** A traffic target resolution error (Knative's traffic/errors.go), failure or not-yet-ready. */
class TargetError {
  readonly failure: boolean;
  readonly mark: (c: ConditionManager) => void;
  constructor(failure: boolean, mark: (c: ConditionManager) => void) {
    this.failure = failure;
    this.mark = mark;
  }
}

const ATA = 'AllTrafficAssigned';

function missing(kind: string, name: string): TargetError {
  return new TargetError(true, (c) => c.markFalse(ATA, `${kind}Missing`, `${kind} "${name}" referenced in traffic not found.`));
}

interface Resolved {
  tag: string;
  revisionName: string;
  configurationName: string;
  latestRevision: boolean | undefined;
  percent: number;
}

/** Resolves spec targets to revisions; collects every error, a failure beating a non-failure. */
function resolveTargets(ctx: ControllerContext, route: Route): { targets: Resolved[]; error?: TargetError } {
  const ns = route.metadata.namespace ?? 'default';
  const ownerService = route.metadata.labels?.[LABEL.service];
  const targets: Resolved[] = [];
  let error: TargetError | undefined;
  const fail = (e: TargetError): void => {
    if (!error || (e.failure && !error.failure)) error = e;
  };
  for (const t of route.spec.traffic ?? []) {
    const base = { tag: t.tag ?? '', latestRevision: t.latestRevision, percent: t.percent ?? 0 };
    if (t.revisionName) {
      const rev = ctx.store.get<Revision>('revisions', ns, t.revisionName);
      if (!rev) {
        fail(missing('Revision', t.revisionName));
        continue;
      }
      if (ownerService && rev.metadata.labels?.[LABEL.service] !== ownerService) {
        const name = t.revisionName;
        fail(new TargetError(true, (c) => c.markFalse(ATA, 'RevisionNotOwned', `Revision "${name}" is not owned by Service "${ownerService}".`)));
        continue;
      }
      if (!isReady(rev)) {
        const name = t.revisionName;
        fail(
          isFailed(rev)
            ? new TargetError(true, (c) => c.markFalse(ATA, 'RevisionMissing', `Revision "${name}" failed to become ready.`))
            : new TargetError(false, (c) => c.markUnknown(ATA, 'RevisionMissing', `Revision "${name}" is not yet ready.`)),
        );
        continue;
      }
      targets.push({ ...base, revisionName: t.revisionName, configurationName: rev.metadata.labels?.[LABEL.configuration] ?? '' });
    } else if (t.configurationName) {
      const cfgName = t.configurationName;
      const cfg = ctx.store.get<Configuration>('configurations', ns, cfgName);
      if (!cfg) {
        fail(missing('Configuration', cfgName));
        continue;
      }
      const latest = cfg.status?.latestReadyRevisionName;
      const rev = latest ? ctx.store.get<Revision>('revisions', ns, latest) : undefined;
      if (!latest || !rev || !isReady(rev)) {
        fail(
          getCondition(cfg.status, READY)?.status === 'False' && cfg.status?.observedGeneration === cfg.metadata.generation
            ? new TargetError(true, (c) => c.markFalse(ATA, 'RevisionMissing', `Configuration "${cfgName}" does not have any ready Revision.`))
            : new TargetError(false, (c) => c.markUnknown(ATA, 'RevisionMissing', `Configuration "${cfgName}" is waiting for a Revision to become ready.`)),
        );
        continue;
      }
      targets.push({ ...base, revisionName: latest, configurationName: cfgName });
    }
  }
  return { targets, error };
}

/** Merges targets sharing (tag, revision, latestRevision), keeping spec order. */
function mergeTargets(targets: Resolved[]): Resolved[] {
  const out: Resolved[] = [];
  for (const t of targets) {
    const same = out.find((o) => o.tag === t.tag && o.revisionName === t.revisionName && o.latestRevision === t.latestRevision);
    if (same) same.percent += t.percent;
    else out.push({ ...t });
  }
  return out;
}

/** Per tag ("" = default) the weighted revisions; a group with a single revision gets 100%. */
function trafficGroups(ns: string, merged: Resolved[]): Map<string, HostTarget[]> {
  const groups = new Map<string, HostTarget[]>();
  const add = (tag: string, t: Resolved): void => {
    const g = groups.get(tag) ?? [];
    const key = objectKey(ns, t.revisionName);
    const same = g.find((x) => x.revision === key);
    if (same) same.percent += t.percent;
    else g.push({ revision: key, percent: t.percent });
    groups.set(tag, g);
  };
  for (const t of merged) {
    add('', t);
    if (t.tag) add(t.tag, t);
  }
  for (const g of groups.values()) if (g.length === 1) g[0].percent = 100;
  return groups;
}

/** The host label of a target: the route name, or the tag template (`{{.Tag}}-{{.Name}}`). */
function hostName(route: Route, tag: string, ctx?: ControllerContext): string {
  const name = route.metadata.name ?? '';
  if (!tag) return name;
  return renderTemplate(ctx?.settings.tagTemplate ?? '{{.Tag}}-{{.Name}}', { Name: name, Tag: tag });
}

/** The external host of a target: the domain template (`{{.Name}}.{{.Namespace}}.{{.Domain}}`). */
function externalHost(ctx: ControllerContext, route: Route, tag: string): string {
  return renderTemplate(ctx.settings.domainTemplate, {
    Name: hostName(route, tag, ctx),
    Namespace: route.metadata.namespace ?? 'default',
    Domain: ctx.settings.domain,
    Annotations: route.metadata.annotations ?? {},
    Labels: route.metadata.labels ?? {},
  });
}

function isClusterLocal(route: Route): boolean {
  return route.metadata.labels?.[LABEL.visibility] === 'cluster-local';
}

function urlFor(ctx: ControllerContext, route: Route, tag: string): string {
  const ns = route.metadata.namespace;
  return isClusterLocal(route) ? `http://${hostName(route, tag, ctx)}.${ns}.svc.${ctx.settings.clusterDomain}` : `http://${externalHost(ctx, route, tag)}`;
}

function hostRules(ctx: ControllerContext, route: Route, groups: Map<string, HostTarget[]>): HostRule[] {
  const ns = route.metadata.namespace;
  const rules: HostRule[] = [];
  let tagTargets: Record<string, HostTarget[]> | undefined;
  if (ctx.settings.tagHeaderBasedRouting) {
    tagTargets = {};
    for (const [tag, targets] of groups) if (tag) tagTargets[tag] = targets;
  }
  for (const [tag, targets] of groups) {
    const name = hostName(route, tag, ctx);
    const extra = tag === '' && tagTargets ? { tagTargets } : {};
    for (const h of [`${name}.${ns}`, `${name}.${ns}.svc`, `${name}.${ns}.svc.${ctx.settings.clusterDomain}`]) {
      rules.push({ host: h, visibility: 'cluster-local', targets, ...extra });
    }
    if (!isClusterLocal(route)) rules.push({ host: externalHost(ctx, route, tag), visibility: 'external', targets, ...extra });
  }
  return rules;
}

function invalidHost(route: Route, ctx: ControllerContext): string | undefined {
  for (const t of route.spec.traffic ?? []) {
    let host: string;
    try {
      host = externalHost(ctx, route, t.tag ?? '');
    } catch (err) {
      return `${(err as Error).message}`;
    }
    if (host.split('.').some((label) => label.length === 0 || label.length > 63)) return host;
  }
  return undefined;
}

function rolloutDurationSeconds(ctx: ControllerContext, route: Route): number {
  const ann = route.metadata.annotations ?? {};
  const v = ann[ANNOTATION.rolloutDuration] ?? ann[ANNOTATION.rolloutDurationAlias];
  const n = v ? parseDurationSeconds(v) : null;
  return n && n > 0 ? n : ctx.settings.rolloutDurationSeconds;
}

/** The rollout the route wants now: each latestRevision target at its newest ready revision. */
function desiredRollout(merged: Resolved[]): Rollout {
  const configurations = merged
    .filter((t) => t.latestRevision && t.percent > 0 && t.configurationName)
    .map((t) => ({ configurationName: t.configurationName, tag: t.tag, percent: t.percent, revisions: [{ revisionName: t.revisionName, percent: t.percent }], stepParams: {} }));
  return { configurations };
}

/** Expands latestRevision targets into the revisions a rollout spreads them over. */
function applyRollout(merged: Resolved[], rollout: Rollout): Resolved[] {
  const out: Resolved[] = [];
  for (const t of merged) {
    const c = t.latestRevision ? rollout.configurations.find((r) => r.tag === t.tag && r.configurationName === t.configurationName) : undefined;
    if (!c || c.revisions.length < 2) {
      out.push(t);
      continue;
    }
    c.revisions.forEach((r, i) => out.push({ ...t, revisionName: r.revisionName, percent: r.percent, latestRevision: i === c.revisions.length - 1 }));
  }
  return out;
}

/** Reconciles one Route key (`namespace/name`); returns milliseconds until it wants another look. */
export function reconcileRoute(ctx: ControllerContext, key: string): number | undefined {
  const [ns, name] = splitKey(key);
  const { store } = ctx;
  const route = store.get<Route>('routes', ns, name);
  if (!route || route.metadata.deletionTimestamp) {
    ctx.table.deleteRoute(key);
    labelRevisions(ctx, ns, name, undefined, true);
    return undefined;
  }
  const before = structuredClone(route.status ?? {});
  const status = route.status ?? {};
  route.status = status;
  const conds = RouteConditions.manage(status, ctx.now);
  conds.initialize();
  const gen = route.metadata.generation ?? 0;
  if (status.observedGeneration !== gen) {
    conds.markUnknown(READY, 'NewObservedGenFailure', 'unsuccessfully observed a new generation');
    conds.markUnknown('IngressReady', 'IngressNotConfigured', 'Ingress has not yet been reconciled.');
  }
  const write = (): void => {
    status.observedGeneration = gen;
    if (!isDeepStrictEqual(before, status)) store.update('routes', route, { subresource: 'status' });
  };

  status.url = urlFor(ctx, route, '');
  const bad = invalidHost(route, ctx);
  if (bad) {
    conds.markFalse(ATA, 'ErrorConfig', `Invalid domain name "${bad}": a DNS label must be no more than 63 characters`);
    write();
    labelRevisions(ctx, ns, name, route, false);
    return undefined;
  }
  const { targets, error } = resolveTargets(ctx, route);
  if (error) {
    error.mark(conds);
    write();
    labelRevisions(ctx, ns, name, route, isFailed(route));
    return undefined;
  }
  const nowMs = ctx.now().getTime();
  const ingress = store.get<Ingress>('ingresses', ns, name);
  const previous = parseRollout(ingress?.metadata.annotations?.[ROLLOUT_ANNOTATION]);
  const duration = rolloutDurationSeconds(ctx, route);
  const wanted = desiredRollout(mergeTargets(targets));
  const rollout = duration > 0 ? scheduleSteps(stepRollout(wanted, previous, nowMs), duration, nowMs) : wanted;
  const merged = applyRollout(mergeTargets(targets), rollout);
  status.traffic = merged.map((t) => {
    const out: TrafficTarget = {};
    if (t.tag) out.tag = t.tag;
    out.revisionName = t.revisionName;
    out.latestRevision = t.latestRevision;
    out.percent = t.percent;
    if (t.tag) out.url = urlFor(ctx, route, t.tag);
    return out;
  });
  conds.markTrue(ATA);
  status.address = { url: `http://${name}.${ns}.svc.${ctx.settings.clusterDomain}` };
  if (isClusterLocal(route)) conds.markTrueWithReason('CertificateProvisioned', 'TLSNotEnabled', 'TLS is not enabled for cluster-local');
  else conds.markTrueWithReason('CertificateProvisioned', 'TLSNotEnabled', 'external-domain-tls is not enabled');
  const rules = hostRules(ctx, route, trafficGroups(ns, merged));
  saveIngress(ctx, route, ingress, rules, rollout);
  ctx.table.setRoute(key, rules);
  const rolling = rolloutInProgress(rollout);
  if (rolling) conds.markUnknown('IngressReady', 'RolloutInProgress', 'A gradual rollout of the latest revision(s) is in progress.');
  else conds.markTrue('IngressReady');
  write();
  // During a rollout the old revisions stay referenced through status.traffic.
  labelRevisions(ctx, ns, name, route, !rolling);
  return rolling ? nextStepInMs(rollout, nowMs) : undefined;
}

function saveIngress(ctx: ControllerContext, route: Route, existing: Ingress | undefined, rules: HostRule[], rollout: Rollout): void {
  const annotations = { ...route.metadata.annotations, [ROLLOUT_ANNOTATION]: JSON.stringify(rollout) };
  if (!existing) {
    ctx.store.create<Ingress>('ingresses', {
      apiVersion: 'networking.internal.knative.dev/v1alpha1',
      kind: 'Ingress',
      metadata: {
        name: route.metadata.name,
        namespace: route.metadata.namespace,
        labels: { ...route.metadata.labels, [LABEL.route]: route.metadata.name ?? '', 'serving.knative.dev/routeNamespace': route.metadata.namespace ?? '' },
        annotations,
        ownerReferences: [controllerRef('Route', route.metadata)],
      },
      spec: { rules },
    });
    return;
  }
  existing.metadata.annotations = annotations;
  existing.spec = { rules };
  ctx.store.update('ingresses', existing);
}

function routesOf(meta: { annotations?: Record<string, string> }): Set<string> {
  return new Set((meta.annotations?.[ANNOTATION.routes] ?? '').split(',').filter(Boolean));
}

function setRoutes(meta: { annotations?: Record<string, string> }, routes: Set<string>): void {
  const ann = { ...meta.annotations };
  if (routes.size === 0) delete ann[ANNOTATION.routes];
  else ann[ANNOTATION.routes] = [...routes].sort().join(',');
  meta.annotations = ann;
}

/**
 * The labeler (spec §8.1): referenced revisions and configurations list this route in their
 * `serving.knative.dev/routes` annotation and are `active`; once the route is Ready or Failed,
 * revisions it no longer references drop it and become `reserve` when no route is left.
 */
function labelRevisions(ctx: ControllerContext, ns: string, routeName: string, route: Route | undefined, settled: boolean): void {
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
    const routes = routesOf(rev.metadata);
    if (revNames.has(rn)) routes.add(routeName);
    else routes.delete(routeName);
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
    const routes = routesOf(cfg.metadata);
    if (cfgNames.has(cn)) routes.add(routeName);
    else routes.delete(routeName);
    setRoutes(cfg.metadata, routes);
    store.update('configurations', cfg);
  }
}
