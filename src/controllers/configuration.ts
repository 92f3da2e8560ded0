// Configuration reconciler: stamps out one immutable Revision per generation and tracks the latest
// created and latest ready ones (spec §1.2).

import { isDeepStrictEqual } from 'node:util';
import { ConfigurationConditions, READY, getCondition, isReady } from '../api/conditions.ts';
import { ANNOTATION, API_VERSION, LABEL, type Configuration, type Revision } from '../api/types.ts';
import { revisionName, splitKey } from './names.ts';
import { controllerRef, isControlledBy, type ControllerContext } from './context.ts';
import { rfc3339 } from '../api/time.ts';

/** The Revision a Configuration's current generation stamps out (MakeRevision). */
export function makeRevision(config: Configuration, now: Date): Revision {
  const tmpl = config.spec.template;
  const gen = config.metadata.generation ?? 1;
  const labels: Record<string, string> = { ...tmpl.metadata?.labels };
  const annotations: Record<string, string> = { ...tmpl.metadata?.annotations };
  labels[LABEL.configuration] = config.metadata.name ?? '';
  labels[LABEL.service] = config.metadata.labels?.[LABEL.service] ?? '';
  labels[LABEL.configurationGeneration] = String(gen);
  labels[LABEL.configurationUID] = config.metadata.uid ?? '';
  labels[LABEL.serviceUID] = config.metadata.labels?.[LABEL.serviceUID] ?? '';
  labels[LABEL.routingState] = 'pending';
  annotations[ANNOTATION.routingStateModified] = rfc3339(now);
  const updater = config.metadata.annotations?.[ANNOTATION.lastModifier];
  if (updater) annotations[ANNOTATION.creator] = updater;
  const routes = config.metadata.annotations?.[ANNOTATION.routes];
  if (routes) {
    annotations[ANNOTATION.routes] = routes;
    labels[LABEL.routingState] = 'active';
  }
  return {
    apiVersion: API_VERSION,
    kind: 'Revision',
    metadata: {
      name: tmpl.metadata?.name || revisionName(config.metadata.name ?? '', gen),
      namespace: config.metadata.namespace,
      labels,
      annotations,
      ownerReferences: [controllerRef('Configuration', config.metadata)],
    },
    spec: structuredClone(tmpl.spec),
  };
}

class RevisionCreationError extends Error {}

/** Finds (or creates) the revision of the configuration's current generation. */
function latestCreatedRevision(ctx: ControllerContext, config: Configuration): Revision {
  const { store } = ctx;
  const ns = config.metadata.namespace ?? 'default';
  const gen = config.metadata.generation ?? 1;
  const byo = config.spec.template.metadata?.name;
  if (byo) {
    const rev = store.get<Revision>('revisions', ns, byo);
    if (rev) {
      if (!isControlledBy(rev.metadata, config.metadata.uid)) {
        throw new RevisionCreationError(`revisions.serving.knative.dev "${byo}" already exists`);
      }
      if (rev.metadata.labels?.[LABEL.configurationGeneration] === String(gen)) return rev;
      if (isDeepStrictEqual(rev.spec, config.spec.template.spec)) return rev;
      throw new RevisionCreationError(`revisions.serving.knative.dev "${byo}" already exists`);
    }
  } else {
    const found = store.list<Revision>('revisions', {
      namespace: ns,
      labelSelector: { [LABEL.configuration]: config.metadata.name ?? '', [LABEL.configurationGeneration]: String(gen) },
    });
    if (found.length > 0) return found[0];
  }
  return store.create('revisions', makeRevision(config, ctx.now()));
}

function generationOf(rev: Revision): number {
  return Number(rev.metadata.labels?.[LABEL.configurationGeneration] ?? 0);
}

/** Reconciles one Configuration key (`namespace/name`). */
export function reconcileConfiguration(ctx: ControllerContext, key: string): void {
  const [ns, name] = splitKey(key);
  const { store } = ctx;
  const config = store.get<Configuration>('configurations', ns, name);
  if (!config || config.metadata.deletionTimestamp) return;
  const before = structuredClone(config.status ?? {});
  const status = config.status ?? {};
  config.status = status;
  const conds = ConfigurationConditions.manage(status, ctx.now);
  conds.initialize();
  const gen = config.metadata.generation ?? 0;
  if (status.observedGeneration !== gen) conds.markUnknown(READY, 'NewObservedGenFailure', 'unsuccessfully observed a new generation');

  try {
    const lcr = latestCreatedRevision(ctx, config);
    const revName = lcr.metadata.name ?? '';
    status.latestCreatedRevisionName = revName;
    if (status.latestReadyRevisionName !== revName) conds.markUnknown(READY, '', '');
    const rc = getCondition(lcr.status, READY);
    if (rc?.status === 'False' && lcr.status?.observedGeneration === lcr.metadata.generation) {
      conds.markFalse(READY, 'RevisionFailed', `Revision "${revName}" failed with message: ${rc.message ?? ''}.`);
    }
    findAndSetLatestReady(ctx, config);
  } catch (err) {
    if (!(err instanceof RevisionCreationError)) throw err;
    conds.markFalse(READY, 'RevisionFailed', `Revision creation failed with message: ${err.message}.`);
  }
  status.observedGeneration = gen;
  if (!isDeepStrictEqual(before, status)) store.update('configurations', config, { subresource: 'status' });
}

function findAndSetLatestReady(ctx: ControllerContext, config: Configuration): void {
  const status = config.status!;
  const ns = config.metadata.namespace ?? 'default';
  let candidates = ctx.store.list<Revision>('revisions', { namespace: ns, labelSelector: { [LABEL.configuration]: config.metadata.name ?? '' } });
  const current = status.latestReadyRevisionName ? candidates.find((r) => r.metadata.name === status.latestReadyRevisionName) : undefined;
  const byo = config.spec.template.metadata?.name;
  if (current) {
    const lo = generationOf(current);
    const hi = config.metadata.generation ?? 0;
    candidates = candidates.filter((r) => (generationOf(r) >= lo && generationOf(r) <= hi) || r.metadata.name === byo);
  }
  candidates.sort((a, b) => {
    if (byo && a.metadata.name === byo) return -1;
    if (byo && b.metadata.name === byo) return 1;
    return generationOf(b) - generationOf(a);
  });
  const ready = candidates.find((r) => isReady(r));
  if (!ready) return;
  const name = ready.metadata.name ?? '';
  if (status.latestReadyRevisionName !== name || getCondition(status, READY)?.status !== 'True') {
    status.latestReadyRevisionName = name;
    if (name === status.latestCreatedRevisionName) ConfigurationConditions.manage(status, ctx.now).markTrue(READY);
  }
}
