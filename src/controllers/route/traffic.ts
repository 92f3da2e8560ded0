// Route traffic: resolves spec targets to ready revisions, merges them and groups them per tag
// (knative/serving pkg/reconciler/route/traffic/traffic.go BuildTrafficConfiguration, errors.go).

import { READY, getCondition, isFailed, isReady } from '../../api/conditions.ts';
import type { RouteLifecycle } from '../../api/route-lifecycle.ts';
import { LABEL, type Configuration, type Revision, type Route } from '../../api/types.ts';
import type { HostTarget } from '../../dataplane/routing.ts';
import type { Store } from '../../store/store.ts';
import { objectKey } from '../names.ts';
import type { Rollout } from '../rollout.ts';

/** A traffic target resolution error (traffic/errors.go): a failure, or not ready yet. */
export class TargetError {
  readonly failure: boolean;
  readonly mark: (l: RouteLifecycle) => void;
  constructor(failure: boolean, mark: (l: RouteLifecycle) => void) {
    this.failure = failure;
    this.mark = mark;
  }
}

/** A spec target resolved to a revision. */
export interface Resolved {
  tag: string;
  revisionName: string;
  configurationName: string;
  latestRevision: boolean | undefined;
  percent: number;
}

/** Resolves spec targets to revisions; collects every error, a failure beating a non-failure. */
export function resolveTargets(store: Store, route: Route): { targets: Resolved[]; error?: TargetError } {
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
      const name = t.revisionName;
      const rev = store.get<Revision>('revisions', ns, name);
      if (!rev) {
        fail(new TargetError(true, (l) => l.markMissingTrafficTarget('Revision', name)));
        continue;
      }
      const actualService = rev.metadata.labels?.[LABEL.service] ?? '';
      if (ownerService && actualService !== ownerService) {
        fail(new TargetError(true, (l) => l.markRevisionNotOwned(name, ownerService, actualService)));
        continue;
      }
      if (!isReady(rev)) {
        fail(isFailed(rev) ? new TargetError(true, (l) => l.markRevisionFailed(name)) : new TargetError(false, (l) => l.markRevisionNotReady(name)));
        continue;
      }
      targets.push({ ...base, revisionName: name, configurationName: rev.metadata.labels?.[LABEL.configuration] ?? '' });
    } else if (t.configurationName) {
      const cfgName = t.configurationName;
      const cfg = store.get<Configuration>('configurations', ns, cfgName);
      if (!cfg) {
        fail(new TargetError(true, (l) => l.markMissingTrafficTarget('Configuration', cfgName)));
        continue;
      }
      const latest = cfg.status?.latestReadyRevisionName;
      const rev = latest ? store.get<Revision>('revisions', ns, latest) : undefined;
      if (!latest || !rev || !isReady(rev)) {
        const failed = getCondition(cfg.status, READY)?.status === 'False' && cfg.status?.observedGeneration === cfg.metadata.generation;
        fail(failed ? new TargetError(true, (l) => l.markConfigurationFailed(cfgName)) : new TargetError(false, (l) => l.markConfigurationNotReady(cfgName)));
        continue;
      }
      targets.push({ ...base, revisionName: latest, configurationName: cfgName });
    }
  }
  return { targets, error };
}

/** Merges targets sharing (tag, revision, latestRevision), keeping spec order. */
export function mergeTargets(targets: Resolved[]): Resolved[] {
  const out: Resolved[] = [];
  for (const t of targets) {
    const same = out.find((o) => o.tag === t.tag && o.revisionName === t.revisionName && o.latestRevision === t.latestRevision);
    if (same) same.percent += t.percent;
    else out.push({ ...t });
  }
  return out;
}

/** Per tag ("" = default) the weighted revisions; a group with a single revision gets 100%. */
export function trafficGroups(ns: string, merged: Resolved[]): Map<string, HostTarget[]> {
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

/** The rollout the route wants now: each latestRevision target at its newest ready revision. */
export function desiredRollout(merged: Resolved[]): Rollout {
  const configurations = merged
    .filter((t) => t.latestRevision && t.percent > 0 && t.configurationName)
    .map((t) => ({ configurationName: t.configurationName, tag: t.tag, percent: t.percent, revisions: [{ revisionName: t.revisionName, percent: t.percent }], stepParams: {} }));
  return { configurations };
}

/** Expands latestRevision targets into the revisions a rollout spreads them over. */
export function applyRollout(merged: Resolved[], rollout: Rollout): Resolved[] {
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
