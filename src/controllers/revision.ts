// Revision reconciler: resolves the image, runs the revision's instances at the scale it should
// have, and reports ResourcesAvailable / ContainerHealthy / Active as Knative does
// (knative/serving pkg/reconciler/revision, pkg/apis/serving/v1/revision_lifecycle.go).

import { parseDurationSeconds } from '../api/go-values.ts';
import { RevisionLifecycle } from '../api/revision-lifecycle.ts';
import { ANNOTATION, LABEL, type Container, type Revision } from '../api/types.ts';
import { RuntimeError } from '../runtime/runtime.ts';
import type { Workload } from '../runtime/instances.ts';
import { cpuCoresOf } from '../autoscaler/kpa.ts';
import { objectKey } from './names.ts';
import type { ControllerContext } from './context.ts';
import type { Observed, Reconciler } from './kit.ts';

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

/** An image digest resolved for a revision: pinned for the revision's life. */
interface Resolution {
  digest?: string;
  error?: RuntimeError;
}

/**
 * The Revision reconciler (knative/serving pkg/reconciler/revision/revision.go ReconcileKind and
 * reconcile_resources.go). One per knit: it holds the digests resolved in the background.
 */
export class RevisionReconciler implements Reconciler<Revision, RevisionLifecycle> {
  readonly resource = 'revisions';
  readonly lifecycle = RevisionLifecycle;
  private readonly resolving = new Map<string, Promise<void>>();
  private readonly resolved = new Map<string, Resolution>();
  private readonly requeue: (key: string) => void;

  /** `requeue` asks for another reconcile of a key (when its digest is resolved). */
  constructor(requeue: (key: string) => void) {
    this.requeue = requeue;
  }

  finalize(ctx: ControllerContext, key: string): void {
    this.resolved.delete(key);
    ctx.autoscaler.remove(key);
    void ctx.instances.remove(key);
  }

  /** Starts resolving the image's digest in the background, once per revision. */
  private resolve(ctx: ControllerContext, key: string, image: string): void {
    if (this.resolving.has(key)) return;
    const p = (async () => {
      try {
        const digest = await ctx.instances.runtimeFor(image).resolveDigest(image);
        this.resolved.set(key, { digest });
      } catch (err) {
        this.resolved.set(key, { error: err instanceof RuntimeError ? err : new RuntimeError('ContainerMissing', (err as Error).message, { cause: err }) });
      } finally {
        this.resolving.delete(key);
        this.requeue(key);
      }
    })();
    this.resolving.set(key, p);
  }

  reconcile(ctx: ControllerContext, { key, object: rev, status, lifecycle }: Observed<Revision, RevisionLifecycle>): void {
    const { instances } = ctx;
    const container = servingContainer(rev);
    const image = container.image ?? '';

    // Image digest: resolved once, in the background, then pinned for the revision's life.
    if (!instances.has(key)) {
      const r = this.resolved.get(key);
      if (!r) {
        this.resolve(ctx, key, image);
        return lifecycle.markResolvingDigests();
      }
      if (r.error) return lifecycle.markContainerMissing(r.error.message);
      status.containerStatuses = rev.spec.containers.map((c) => ({ name: c.name ?? 'user-container', ...(c === container && r.digest ? { imageDigest: r.digest } : {}) }));
      instances.ensure(workloadFor(rev, ctx, r.digest ?? image));
    }

    // The autoscaler owns the scale; routingState reserve makes the revision unreachable
    // (knative/serving pkg/reconciler/labeler and the PodAutoscaler's reachability).
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
      lifecycle.markContainerHealthy();
      lifecycle.markResourcesAvailable();
    } else {
      if (ws.failing && ws.lastFailure) lifecycle.markContainerUnhealthy(ws.lastFailure.reason, ws.lastFailure.message);
      else if (!ws.everReady) lifecycle.markContainerDeploying();
      if (ws.deadlineExceeded && !ws.everReady) lifecycle.markProgressDeadlineExceeded();
      else if (!ws.everReady) lifecycle.markResourcesDeploying();
    }
    if (pa.active === 'Active' && ws.ready > 0) lifecycle.markActive();
    else if (pa.active === 'Inactive' && pa.reason === 'TimedOut') lifecycle.markInactive('TimedOut');
    else if (pa.active === 'Inactive') lifecycle.markInactive('NoTraffic');
    else lifecycle.markActivating();
  }
}
