// Revision reconciler: resolves the image, runs the revision's instances at the scale it should
// have, and reports ResourcesAvailable / ContainerHealthy / Active as Knative does (spec §1.1, §1.7).

import { parseDurationSeconds } from '../api/go-values.ts';
import { isDeepStrictEqual } from 'node:util';
import { READY, RevisionConditions } from '../api/conditions.ts';
import { ANNOTATION, LABEL, type Container, type Revision } from '../api/types.ts';
import { RuntimeError } from '../runtime/runtime.ts';
import type { Workload } from '../runtime/instances.ts';
import { cpuCoresOf } from '../autoscaler/kpa.ts';
import { objectKey, splitKey } from './names.ts';
import type { ControllerContext } from './context.ts';

/** The serving container: the one with a port, or the only one. */
export function servingContainer(rev: Revision): Container {
  const cs = rev.spec.containers;
  return cs.find((c) => (c.ports?.length ?? 0) > 0) ?? cs[0];
}

/** The serving port from the spec (Knative's default 8080). */
export function containerPort(c: Container): number {
  return c.ports?.[0]?.containerPort || 8080;
}

/** What the instance manager needs to run this revision. */
export function workloadFor(rev: Revision, ctx: ControllerContext, image: string): Workload {
  const c = servingContainer(rev);
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
  else if (!e.valueFrom) env[e.name] = '';
  env.K_REVISION = rev.metadata.name ?? '';
  env.K_CONFIGURATION = rev.metadata.labels?.[LABEL.configuration] ?? '';
  env.K_SERVICE = rev.metadata.labels?.[LABEL.service] ?? '';
  const timeoutSeconds = rev.spec.timeoutSeconds || 300;
  return {
    key: objectKey(rev.metadata.namespace, rev.metadata.name),
    template: {
      namespace: rev.metadata.namespace ?? 'default',
      revision: rev.metadata.name ?? '',
      configuration: env.K_CONFIGURATION,
      service: env.K_SERVICE,
      container: c,
      image,
      env,
      containerPort: containerPort(c),
      readinessProbe: c.readinessProbe,
      gracePeriodSeconds: timeoutSeconds,
    },
    dispatch: {
      containerConcurrency: rev.spec.containerConcurrency ?? 0,
      timeouts: {
        totalMs: timeoutSeconds * 1000,
        responseStartMs: (rev.spec.responseStartTimeoutSeconds ?? 0) * 1000,
        idleMs: (rev.spec.idleTimeoutSeconds ?? 0) * 1000,
      },
      protocol: c.ports?.[0]?.name === 'h2c' ? 'h2c' : 'http1',
    },
    timeoutSeconds,
    progressDeadlineSeconds:
      parseDurationSeconds(rev.metadata.annotations?.[ANNOTATION.progressDeadline] ?? '') ?? ctx.settings.progressDeadlineSeconds,
  };
}

/** Image digests being resolved in the background, by revision key. */
const resolving = new Map<string, Promise<void>>();
const resolved = new Map<string, { digest?: string; error?: RuntimeError }>();

/** Reconciles one Revision key (`namespace/name`). */
export function reconcileRevision(ctx: ControllerContext, key: string, requeue: (key: string) => void): void {
  const [ns, name] = splitKey(key);
  const { store, instances } = ctx;
  const rev = store.get<Revision>('revisions', ns, name);
  if (!rev || rev.metadata.deletionTimestamp) {
    resolved.delete(key);
    ctx.autoscaler.remove(key);
    void instances.remove(key);
    return;
  }
  const before = structuredClone(rev.status ?? {});
  const status = rev.status ?? {};
  rev.status = status;
  const conds = RevisionConditions.manage(status, ctx.now);
  conds.initialize();
  const gen = rev.metadata.generation ?? 0;
  if (status.observedGeneration !== gen) conds.markUnknown(READY, 'NewObservedGenFailure', 'unsuccessfully observed a new generation');
  const write = (): void => {
    status.observedGeneration = gen;
    if (!isDeepStrictEqual(before, status)) store.update('revisions', rev, { subresource: 'status' });
  };

  const container = servingContainer(rev);
  const image = container.image ?? '';

  // Image digest: resolved once, in the background, then pinned for the revision's life.
  if (!instances.has(key)) {
    const r = resolved.get(key);
    if (!r) {
      if (!resolving.has(key)) {
        const p = (async () => {
          try {
            const digest = await instances.runtimeFor(image).resolveDigest(image);
            resolved.set(key, { digest });
          } catch (err) {
            resolved.set(key, { error: err instanceof RuntimeError ? err : new RuntimeError('ContainerMissing', (err as Error).message) });
          } finally {
            resolving.delete(key);
            requeue(key);
          }
        })();
        resolving.set(key, p);
      }
      conds.markUnknown('ResourcesAvailable', 'ResolvingDigests', '');
      return write();
    }
    if (r.error) {
      conds.markFalse('ContainerHealthy', 'ContainerMissing', r.error.message);
      return write();
    }
    status.containerStatuses = rev.spec.containers.map((c) => ({ name: c.name ?? 'user-container', ...(c === container && r.digest ? { imageDigest: r.digest } : {}) }));
    instances.ensure(workloadFor(rev, ctx, r.digest ?? image));
  }

  // The autoscaler owns the scale; routingState reserve makes the revision unreachable (§8.1).
  const workload = workloadFor(rev, ctx, image);
  ctx.autoscaler.ensure(key, {
    annotations: rev.metadata.annotations ?? {},
    containerConcurrency: rev.spec.containerConcurrency ?? 0,
    reachable: rev.metadata.labels?.[LABEL.routingState] !== 'reserve' && !(instances.status(key)?.failing && instances.status(key)?.ready === 0),
    progressDeadlineSeconds: workload.progressDeadlineSeconds,
    cpuRequestCores: cpuCoresOf(servingContainer(rev).resources),
  });
  const pa = ctx.autoscaler.state(key)!;
  const ws = instances.status(key)!;
  status.actualReplicas = ws.ready;
  // Before the decider's first decision, the scale being applied is the desired one.
  status.desiredReplicas = pa.desiredScale >= 0 ? pa.desiredScale : pa.scale;

  // Healthy once an instance is ready — or, for initial-scale 0, once the autoscaler reached it.
  if (ws.ready > 0 || (pa.scaleTargetInitialized && !ws.failing)) {
    conds.markTrue('ContainerHealthy');
    conds.markTrue('ResourcesAvailable');
  } else {
    if (ws.failing && ws.lastFailure) {
      conds.markFalse('ContainerHealthy', ws.lastFailure.reason, ws.lastFailure.message);
    } else if (!ws.everReady) {
      conds.markUnknown('ContainerHealthy', 'Deploying', '');
    }
    if (ws.deadlineExceeded && !ws.everReady) {
      conds.markFalse('ResourcesAvailable', 'ProgressDeadlineExceeded', 'Initial scale was never achieved');
    } else if (!ws.everReady) {
      conds.markUnknown('ResourcesAvailable', 'Deploying', '');
    }
  }
  if (pa.active === 'Active' && ws.ready > 0) conds.markTrue('Active');
  else if (pa.active === 'Inactive' && pa.reason === 'TimedOut') conds.markFalse('Active', 'TimedOut', 'The target could not be activated.');
  else if (pa.active === 'Inactive') conds.markFalse('Active', 'NoTraffic', 'The target is not receiving traffic.');
  else conds.markUnknown('Active', 'Queued', 'Requests to the target are being buffered as resources are provisioned.');
  write();
}
