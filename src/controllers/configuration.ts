// Configuration reconciler: stamps out one immutable Revision per generation and tracks the latest
// created and latest ready ones (knative/serving pkg/reconciler/configuration/configuration.go).

import { isDeepStrictEqual } from 'node:util';
import { READY, getCondition, isReady } from '../api/conditions.ts';
import { ConfigurationLifecycle } from '../api/configuration-lifecycle.ts';
import { ANNOTATION, API_VERSION, LABEL, type Configuration, type Revision } from '../api/types.ts';
import { revisionName } from './names.ts';
import { controllerRef, isControlledBy, type ControllerContext } from './context.ts';
import type { Reconciler } from './kit.ts';
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

class RevisionCreationError extends Error {
  override name = 'RevisionCreationError';
}

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
  let created: Revision;
  try {
    created = store.create('revisions', makeRevision(config, ctx.now()));
  } catch (err) {
    ctx.events.event(config, 'Warning', 'CreationFailed', `Failed to create Revision: ${(err as Error).message}`);
    throw err;
  }
  ctx.events.event(config, 'Normal', 'Created', `Created Revision "${created.metadata.name}"`);
  return created;
}

function generationOf(rev: Revision): number {
  return Number(rev.metadata.labels?.[LABEL.configurationGeneration] ?? 0);
}

/** The Configuration reconciler (knative/serving pkg/reconciler/configuration/configuration.go ReconcileKind). */
export const configurationReconciler: Reconciler<Configuration, ConfigurationLifecycle> = {
  resource: 'configurations',
  lifecycle: ConfigurationLifecycle,
  reconcile(ctx, { object: config, status, lifecycle }) {
    let lcr: Revision;
    try {
      lcr = latestCreatedRevision(ctx, config);
    } catch (err) {
      if (!(err instanceof RevisionCreationError)) throw err;
      return lifecycle.markRevisionCreationFailed(err.message);
    }
    const revName = lcr.metadata.name ?? '';
    lifecycle.setLatestCreatedRevisionName(revName);
    const rc = getCondition(lcr.status, READY);
    if (rc?.status === 'True' && !status.latestReadyRevisionName) {
      ctx.events.event(config, 'Normal', 'ConfigurationReady', 'Configuration becomes ready');
    }
    if (rc?.status === 'False' && lcr.status?.observedGeneration === lcr.metadata.generation) {
      const beforeReady = lifecycle.condition(READY);
      lifecycle.markLatestCreatedFailed(revName, rc.message ?? '');
      if (!isDeepStrictEqual(beforeReady, lifecycle.condition(READY))) {
        if (revName === status.latestReadyRevisionName) ctx.events.event(config, 'Warning', 'LatestReadyFailed', `Latest ready revision "${revName}" has failed`);
        else ctx.events.event(config, 'Warning', 'LatestCreatedFailed', `Latest created revision "${revName}" has failed`);
      }
    }
    findAndSetLatestReady(ctx, config, lifecycle);
  },
};

/** findAndSetLatestReadyRevision: the newest ready revision from the latest ready one's generation on. */
function findAndSetLatestReady(ctx: ControllerContext, config: Configuration, lifecycle: ConfigurationLifecycle): void {
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
  const old = status.latestReadyRevisionName;
  lifecycle.setLatestReadyRevisionName(name);
  if (old !== name) ctx.events.event(config, 'Normal', 'LatestReadyUpdate', `LatestReadyRevisionName updated to "${name}"`);
}
