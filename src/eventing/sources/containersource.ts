// The ContainerSource reconciler (knative/eventing pkg/reconciler/containersource containersource.go
// ReconcileKind): Knative makes a SinkBinding and a Deployment of `spec.template`; knit resolves the sink
// as that SinkBinding would and runs the template's container as one replica through the instance
// manager, with K_SINK and K_CE_OVERRIDES in its env. Deleting the source stops it.

import { createHash } from 'node:crypto';
import { reconcileKey, type Reconciler } from '../../controllers/kit.ts';
import { objectKey } from '../../controllers/names.ts';
import type { Workload } from '../../runtime/instances.ts';
import type { ControllerFactory, EventingContext } from '../manager.ts';
import { RESOURCE, type ContainerSource } from '../types.ts';
import { ContainerSourceLifecycle } from './lifecycle.ts';
import { SINK_WATCHES, ceOverridesEnv, resolveSink } from './common.ts';
import { sinkRelayOf } from './sink-relay.ts';

/** The Deployment Knative names for a ContainerSource (resources.MakeDeployment: `NAME-deployment`). */
export function deploymentName(src: ContainerSource): string {
  return `${src.metadata.name ?? ''}-deployment`;
}

/** The replica's env: the container's literal env, then K_SINK and K_CE_OVERRIDES as the SinkBinding appends them. */
function workloadEnv(src: ContainerSource, kSink: string): Record<string, string> | { error: string } {
  const c = src.spec.template.spec.containers[0];
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.valueFrom !== undefined) return { error: `env ${e.name}: valueFrom is not supported in a ContainerSource's template by knit; set a value` };
    if (e.name === 'K_SINK' || e.name === 'K_CE_OVERRIDES' || e.name === 'K_CA_CERTS') continue;
    env[e.name] = e.value ?? '';
  }
  env.K_SINK = kSink;
  env.K_CE_OVERRIDES = ceOverridesEnv(src.spec.ceOverrides);
  return env;
}

function workloadFor(ctx: EventingContext, src: ContainerSource, env: Record<string, string>): Workload {
  const c = src.spec.template.spec.containers[0];
  const ns = src.metadata.namespace ?? 'default';
  // The key changes with what the replica runs, so a changed template or sink replaces the replica.
  const hash = createHash('sha256').update(JSON.stringify([c, env])).digest('hex').slice(0, 10);
  const name = `${deploymentName(src)}-${hash}`;
  return {
    key: objectKey(ns, name),
    template: {
      namespace: ns,
      revision: name,
      configuration: '',
      service: '',
      container: { ...c, name: c.name ?? 'source' },
      image: c.image ?? '',
      env,
      containerPort: c.ports?.[0]?.containerPort ?? 8080,
      ...(c.readinessProbe ? { readinessProbe: c.readinessProbe } : {}),
      gracePeriodSeconds: 30,
      // A Deployment's container: no PORT, and ready once running unless it has a readiness probe.
      role: 'sidecar',
    },
    dispatch: { containerConcurrency: 0, timeouts: { totalMs: 300_000, responseStartMs: 0, idleMs: 0 }, protocol: 'http1' },
    timeoutSeconds: 30,
    progressDeadlineSeconds: ctx.settings.progressDeadlineSeconds,
  };
}

/** The ContainerSource controller. */
export const containerSourceController: ControllerFactory = (ctx, enqueue) => {
  const relay = sinkRelayOf(ctx);
  relay.onFailure(() => {
    for (const o of ctx.store.list(RESOURCE.containersources)) enqueue(RESOURCE.containersources, objectKey(o.metadata.namespace, o.metadata.name));
  });
  /** Source key → the instance key it runs, and back. */
  const running = new Map<string, string>();
  const owners = new Map<string, string>();

  // The instance manager reports changes to one hook, which Serving's controllers set (a key without a
  // Revision is stopped there). A ContainerSource's replica is reported here instead.
  const serving = ctx.instances.onChange;
  ctx.instances.onChange = (key) => {
    const owner = owners.get(key);
    if (owner !== undefined) enqueue(RESOURCE.containersources, owner);
    else serving(key);
  };

  const stopRunning = (key: string): void => {
    const k = running.get(key);
    if (k !== undefined) {
      owners.delete(k);
      void ctx.instances.remove(k);
    }
    running.delete(key);
  };

  const reconciler: Reconciler<ContainerSource, ContainerSourceLifecycle> = {
    resource: RESOURCE.containersources,
    lifecycle: ContainerSourceLifecycle,
    finalize: (_c, key) => stopRunning(key),
    reconcile(_c, { key, namespace, object: src, lifecycle }) {
      const containers = src.spec.template?.spec?.containers ?? [];
      const sink = resolveSink(ctx, src.spec.sink, namespace);
      if ('error' in sink) {
        lifecycle.markSinkUnbound(sink.error);
        stopRunning(key);
        return;
      }
      lifecycle.markSinkBound(sink.uri);
      if (containers.length !== 1) {
        stopRunning(key);
        return lifecycle.markAdapterFailed('UnsupportedTemplate', `knit runs a ContainerSource template of exactly one container; this one has ${containers.length}`);
      }
      const image = containers[0].image ?? '';
      let kSink: string;
      try {
        kSink = relay.workloadUrl(sink.uri);
      } catch (err) {
        stopRunning(key);
        return lifecycle.markAdapterFailed('SinkUnreachable', (err as Error).message);
      }
      if (kSink !== sink.uri && !image.startsWith('file://')) {
        stopRunning(key);
        return lifecycle.markAdapterFailed('SinkUnreachable', `the sink ${sink.uri} is cluster-local: knit relays it on a loopback address, which only file:// images (on the host network) reach`);
      }
      const env = workloadEnv(src, kSink);
      if ('error' in env) {
        stopRunning(key);
        return lifecycle.markAdapterFailed('UnsupportedTemplate', env.error);
      }
      if (!ctx.instances.setScale) throw new Error('the instance manager cannot scale workloads');
      const workload = workloadFor(ctx, src, env);
      if (running.get(key) !== workload.key) {
        stopRunning(key);
        owners.set(workload.key, key);
        running.set(key, workload.key);
        ctx.instances.ensure(workload);
        ctx.instances.setScale(workload.key, 1);
      }
      const st = ctx.instances.status(workload.key);
      if (st && st.ready > 0) return lifecycle.markAdapterReady();
      if (st?.failing && st.lastFailure) {
        lifecycle.markAdapterFailed('MinimumReplicasUnavailable', `Deployment does not have minimum availability. The container exited: ${st.lastFailure.reason}`);
      } else {
        lifecycle.markAdapterUnavailable(deploymentName(src));
      }
    },
  };

  return {
    resource: RESOURCE.containersources,
    watches: SINK_WATCHES,
    reconcile: (key) => reconcileKey(ctx, reconciler, key),
    async stop() {
      for (const key of [...running.keys()]) stopRunning(key);
      ctx.instances.onChange = serving;
      await relay.close();
    },
  };
};
