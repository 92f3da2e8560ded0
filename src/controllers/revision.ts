// Revision reconciler: resolves the image, runs the revision's instances at the scale it should
// have, and reports ResourcesAvailable / ContainerHealthy / Active as Knative does
// (knative/serving pkg/reconciler/revision, pkg/apis/serving/v1/revision_lifecycle.go).

import { unschedulable, type SchedulingSpec } from './scheduling.ts';
import { registryAuthFile, type PullSecret } from '../runtime/registry-auth.ts';
import { parseDurationSeconds } from '../api/go-values.ts';
import { RevisionLifecycle } from '../api/revision-lifecycle.ts';
import { ANNOTATION, LABEL, type Container, type Revision } from '../api/types.ts';
import { RuntimeError } from '../runtime/runtime.ts';
import type { Workload } from '../runtime/instances.ts';
import type { SidecarSpec } from '../runtime/runtime.ts';
import { podName, podTemplateHash } from '../kube/projections/names.ts';
import { podTemplateMeta } from '../kube/projections/workload.ts';
import { configMapData, decodeSecretData, envObject, fieldValues, resolveContainerEnv, type EnvSourceLookup, type PodFields } from './env-sources.ts';
import { DEFAULT_GID, DEFAULT_UID, instanceIdentity } from '../runtime/sandbox.ts';
import type { VolumeSourceLookup, WorkloadVolumes } from '../runtime/volumes.ts';
import os from 'node:os';
import { cpuCoresOf } from '../autoscaler/kpa.ts';
import { objectKey } from './names.ts';
import type { ControllerContext } from './context.ts';
import type { Observed, Reconciler } from './kit.ts';
import type { StoredObject } from '../store/store.ts';

/** The serving container: the one with a port, or the only one. */
export function servingContainer(rev: Revision): Container {
  const cs = rev.spec.containers;
  return cs.find((c) => (c.ports?.length ?? 0) > 0) ?? cs[0];
}

/** The serving port from the spec (Knative's default 8080). */
export function containerPort(c: Container): number {
  return c.ports?.[0]?.containerPort || 8080;
}

/** True if the container takes env from Secrets, ConfigMaps or the downward API (resolved at each start). */
function hasEnvSources(c: Container): boolean {
  return (c.envFrom?.length ?? 0) > 0 || (c.env ?? []).some((e) => !e.value && e.valueFrom);
}

/** The names of the Secrets and ConfigMaps a container's env reads. */
export function envSourceNames(c: Container): { secrets: Set<string>; configMaps: Set<string> } {
  const secrets = new Set<string>();
  const configMaps = new Set<string>();
  for (const f of c.envFrom ?? []) {
    if (f.secretRef) secrets.add(f.secretRef.name ?? '');
    if (f.configMapRef) configMaps.add(f.configMapRef.name ?? '');
  }
  for (const e of c.env ?? []) {
    if (e.valueFrom?.secretKeyRef) secrets.add(e.valueFrom.secretKeyRef.name ?? '');
    if (e.valueFrom?.configMapKeyRef) configMaps.add(e.valueFrom.configMapKeyRef.name ?? '');
  }
  return { secrets, configMaps };
}

/** Secrets and ConfigMaps of one namespace as the store holds them (store keys `core.secrets`, `core.configmaps`). */
function storeLookup(ctx: ControllerContext, ns: string): EnvSourceLookup {
  return {
    secret: (name) => {
      const o = ctx.store.get<StoredObject & { data?: Record<string, unknown> }>('core.secrets', ns, name);
      return o ? decodeSecretData(o.data) : undefined;
    },
    configMap: (name) => {
      const o = ctx.store.get<StoredObject & { data?: Record<string, unknown> }>('core.configmaps', ns, name);
      return o ? configMapData(o.data) : undefined;
    },
  };
}

/** The registry credentials of the revision's imagePullSecrets; a Secret that does not exist is skipped, as the kubelet does. */
function pullAuth(ctx: ControllerContext, rev: Revision): string | undefined {
  const ns = rev.metadata.namespace ?? 'default';
  const secrets = (rev.spec.imagePullSecrets ?? []).flatMap((ref) => {
    const s = ctx.store.get<StoredObject & PullSecret>('core.secrets', ns, ref.name ?? '');
    return s ? [s] : [];
  });
  return registryAuthFile(secrets);
}

/** The runtime contract's K_* variables, after the container's own. */
function contractEnv(env: Record<string, string>, rev: Revision): Record<string, string> {
  env.K_REVISION = rev.metadata.name ?? '';
  env.K_CONFIGURATION = rev.metadata.labels?.[LABEL.configuration] ?? '';
  env.K_SERVICE = rev.metadata.labels?.[LABEL.service] ?? '';
  return env;
}

/** The pod knit projects for replica `podId` of a revision, as the downward API reads it. */
function podFields(rev: Revision, podId: string): PodFields {
  const tmpl = podTemplateMeta(rev);
  return {
    name: podName(rev.metadata.name ?? '', podTemplateHash(rev.metadata.uid ?? ''), podId),
    namespace: rev.metadata.namespace ?? 'default',
    uid: rev.metadata.uid ?? '',
    labels: tmpl.labels,
    annotations: tmpl.annotations,
    nodeName: os.hostname(),
    serviceAccountName: rev.spec.serviceAccountName || 'default',
    hostIP: '127.0.0.1',
    podIP: '127.0.0.1',
  };
}

/** Secrets and ConfigMaps of one namespace as volume files: a Secret's data decoded from base64, a ConfigMap's data and binaryData. */
function storeVolumeLookup(ctx: ControllerContext, ns: string): VolumeSourceLookup {
  const decode = (m: Record<string, unknown> | undefined, b64: boolean, into: Record<string, Buffer>): void => {
    for (const [k, v] of Object.entries(m ?? {})) if (typeof v === 'string') into[k] = Buffer.from(v, b64 ? 'base64' : 'utf8');
  };
  return {
    secret: (name) => {
      const o = ctx.store.get<StoredObject & { data?: Record<string, unknown> }>('core.secrets', ns, name);
      if (!o) return undefined;
      const out = Object.create(null) as Record<string, Buffer>;
      decode(o.data, true, out);
      return out;
    },
    configMap: (name) => {
      const o = ctx.store.get<StoredObject & { data?: Record<string, unknown>; binaryData?: Record<string, unknown> }>('core.configmaps', ns, name);
      if (!o) return undefined;
      const out = Object.create(null) as Record<string, Buffer>;
      decode(o.data, false, out);
      decode(o.binaryData, true, out);
      return out;
    },
  };
}

/**
 * The volumes of a revision's pods (runtime/volumes.ts): files owned by the uid the instance runs as
 * (a `file://` instance's sandbox user, a container's runAsUser, else root), read from the store at
 * each start and resync. A mount that cannot be set up is the kubelet's `Warning FailedMount` event.
 */
function workloadVolumes(rev: Revision, ctx: ControllerContext, c: Container): WorkloadVolumes | undefined {
  if ((c.volumeMounts?.length ?? 0) === 0) return undefined;
  const ns = rev.metadata.namespace ?? 'default';
  const sc = c.securityContext;
  const owner = (c.image ?? '').startsWith('file://') ? instanceIdentity(sc, { uid: DEFAULT_UID, gid: DEFAULT_GID }) : { uid: sc?.runAsUser ?? 0, gid: sc?.runAsGroup ?? 0 };
  return {
    volumes: rev.spec.volumes ?? [],
    container: c,
    owner,
    sources: storeVolumeLookup(ctx, ns),
    field: (podId, fieldPath) => fieldValues(podFields(rev, podId))(fieldPath),
    onFailedMount: (message) => ctx.events.event({ apiVersion: rev.apiVersion, kind: rev.kind, metadata: rev.metadata }, 'Warning', 'FailedMount', message, { source: { component: 'kubelet', host: os.hostname() } }),
  };
}

/**
 * The env of one instance, resolved when it starts. A fieldRef reads the pod knit projects for the
 * replica: its name, namespace, labels and annotations, node and service account; its uid is assigned
 * only when the projected pod is stored, after the start, so `metadata.uid` is the revision's uid.
 * The kubelet's InvalidEnvironmentVariableNames warnings are recorded on the Revision.
 */
function resolveEnv(rev: Revision, ctx: ControllerContext, c: Container, podId: string): { env: Record<string, string> } | { error: { reason: string; message: string } } {
  const ns = rev.metadata.namespace ?? 'default';
  const r = resolveContainerEnv(c, ns, storeLookup(ctx, ns), fieldValues(podFields(rev, podId)));
  if (!r.ok) return { error: { reason: r.reason, message: r.message } };
  for (const w of r.warnings) ctx.events.event({ apiVersion: rev.apiVersion, kind: rev.kind, metadata: rev.metadata }, 'Warning', 'InvalidEnvironmentVariableNames', w, { source: { component: 'kubelet', host: os.hostname() } });
  return { env: contractEnv(r.env, rev) };
}

/** A container's literal env values with the runtime contract's K_* variables (env sources are resolved per start). */
function literalEnv(c: Container, rev: Revision): Record<string, string> {
  const env = envObject();
  for (const e of c.env ?? []) if (!e.valueFrom || e.value) env[e.name] = e.value ?? '';
  return contractEnv(env, rev);
}

/**
 * The revision's sidecars (every container but the serving one), each with its literal env and the K_*
 * variables: knative/serving pkg/reconciler/revision/resources/deploy.go makeContainer gives every
 * container those, makeServingContainer alone adds PORT. Log files are chosen per instance.
 */
function sidecarsOf(rev: Revision, serving: Container): SidecarSpec[] {
  return rev.spec.containers.filter((c) => c !== serving).map((c) => ({ container: c, image: c.image ?? '', env: literalEnv(c, rev), logFile: '' }));
}

/** The env of every sidecar of one instance, resolved when it starts, or why one cannot start. */
function resolveSidecarEnvs(rev: Revision, ctx: ControllerContext, serving: Container, podId: string): { envs: Record<string, string>[] } | { error: { reason: string; message: string } } {
  const envs: Record<string, string>[] = [];
  for (const c of rev.spec.containers) {
    if (c === serving) continue;
    if (!hasEnvSources(c)) {
      envs.push(literalEnv(c, rev));
      continue;
    }
    const r = resolveEnv(rev, ctx, c, podId);
    if ('error' in r) return r;
    envs.push(r.env);
  }
  return { envs };
}

/** What the instance manager needs to run this revision. */
export function workloadFor(rev: Revision, ctx: ControllerContext, image: string, sidecarDigests?: (string | undefined)[]): Workload {
  const c = servingContainer(rev);
  // Literal values only; with env sources, resolveEnv builds each instance's env as it starts.
  const env = literalEnv(c, rev);
  const sidecars = sidecarsOf(rev, c).map((s, i) => ({ ...s, image: sidecarDigests?.[i] ?? s.image }));
  const timeoutSeconds = rev.spec.timeoutSeconds || 300;
  const volumes = workloadVolumes(rev, ctx, c);
  const nodeMismatch = unschedulable(rev.spec as SchedulingSpec);
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
      ...(sidecars.length > 0 ? { sidecars } : {}),
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
    ...(hasEnvSources(c) ? { resolveEnv: (podId: string) => resolveEnv(rev, ctx, c, podId) } : {}),
    ...(volumes ? { volumes } : {}),
    ...(nodeMismatch ? { unschedulable: nodeMismatch } : {}),
    ...(sidecars.some((s) => hasEnvSources(s.container)) ? { resolveSidecarEnvs: (podId: string) => resolveSidecarEnvs(rev, ctx, c, podId) } : {}),
  };
}

/** An image digest resolved for a revision: pinned for the revision's life. */
interface Resolution {
  digest?: string;
  /** The sidecars' digests, in the order of their containers (knative/serving resolves every container's image). */
  sidecarDigests?: (string | undefined)[];
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

  /** Starts resolving the images' digests in the background, once per revision, as their imagePullPolicy allows. */
  private resolve(ctx: ControllerContext, key: string, image: string, pullPolicy: string | undefined, auth: string | undefined, sidecars: { image: string; pullPolicy: string | undefined }[]): void {
    if (this.resolving.has(key)) return;
    const p = (async () => {
      try {
        const digest = await ctx.instances.runtimeFor(image).resolveDigest(image, pullPolicy, auth);
        const sidecarDigests: (string | undefined)[] = [];
        for (const s of sidecars) sidecarDigests.push(await ctx.instances.runtimeFor(s.image).resolveDigest(s.image, s.pullPolicy, auth));
        this.resolved.set(key, { digest, ...(sidecars.length > 0 ? { sidecarDigests } : {}) });
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
      let r = this.resolved.get(key);
      // Resolved before (a restart of knit): the recorded digests stay, as Knative's reconcileDigest
      // (pkg/reconciler/revision/reconcile_resources.go) returns early once every container has its status.
      if (!r && !this.resolving.has(key)) r = recordedResolution(rev, container);
      if (!r) {
        this.resolve(ctx, key, image, container.imagePullPolicy, pullAuth(ctx, rev), rev.spec.containers.filter((c) => c !== container).map((c) => ({ image: c.image ?? '', pullPolicy: c.imagePullPolicy })));
        return lifecycle.markResolvingDigests();
      }
      if (r.error) return lifecycle.markContainerMissing(r.error.message);
      let k = 0;
      status.containerStatuses = rev.spec.containers.map((c) => {
        const digest = c === container ? r.digest : r.sidecarDigests?.[k++];
        return { name: c.name ?? 'user-container', ...(digest ? { imageDigest: digest } : {}) };
      });
      instances.ensure(workloadFor(rev, ctx, r.digest ?? image, r.sidecarDigests));
    }

    // The autoscaler owns the scale; routingState reserve makes the revision unreachable
    // (knative/serving pkg/reconciler/labeler and the PodAutoscaler's reachability).
    const workload = workloadFor(rev, ctx, image);
    // A revision no route sends traffic to keeps no replica prepared at zero.
    instances.setReachable?.(key, rev.metadata.labels?.[LABEL.routingState] !== 'reserve');
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

    // reconcile_resources.go reconcileDeployment: with no available replica, a pod the scheduler
    // cannot place (no free GPU) makes ResourcesAvailable False with its PodScheduled reason and message.
    if (ws.ready === 0 && ws.desired > 0 && ws.unschedulable) {
      lifecycle.markResourcesUnavailable(ws.unschedulable.reason, ws.unschedulable.message);
      if (!ws.everReady) lifecycle.markContainerDeploying();
    } else if (ws.ready > 0 || (pa.scaleTargetInitialized && !ws.failing)) {
      // Healthy once an instance is ready — or, for initial-scale 0, once the autoscaler reached it.
      lifecycle.markContainerHealthy();
      lifecycle.markResourcesAvailable();
    } else {
      if (ws.failing && ws.lastFailure) lifecycle.markContainerUnhealthy(ws.lastFailure.reason, ws.lastFailure.message);
      else if (!ws.everReady) lifecycle.markContainerDeploying();
      // reconcile_resources.go reconcileDeployment: a container waiting to be created (e.g.
      // CreateContainerConfigError) is surfaced on ResourcesAvailable once the deployment timed out.
      if (ws.deadlineExceeded && !ws.everReady && ws.startError) lifecycle.markResourcesUnavailable(ws.startError.reason, ws.startError.message);
      else if (ws.deadlineExceeded && !ws.everReady) lifecycle.markProgressDeadlineExceeded();
      else if (!ws.everReady) lifecycle.markResourcesDeploying();
    }
    if (pa.active === 'Active' && ws.ready > 0) lifecycle.markActive();
    else if (pa.active === 'Inactive' && pa.reason === 'TimedOut') lifecycle.markInactive('TimedOut');
    else if (pa.active === 'Inactive') lifecycle.markInactive('NoTraffic');
    else lifecycle.markActivating();
  }
}

/**
 * The resolution a revision's status records: every container has its entry in status.containerStatuses, in
 * spec order (the serving one's digest and the sidecars'; a directory has none). Undefined when it does not.
 */
function recordedResolution(rev: Revision, serving: Revision['spec']['containers'][number]): Resolution | undefined {
  const recorded = rev.status?.containerStatuses;
  const containers = rev.spec.containers;
  if (!recorded || recorded.length !== containers.length) return undefined;
  if (containers.some((c, i) => (c.name ?? 'user-container') !== recorded[i]?.name)) return undefined;
  let digest: string | undefined;
  const sidecarDigests: (string | undefined)[] = [];
  containers.forEach((c, i) => {
    if (c === serving) digest = recorded[i].imageDigest;
    else sidecarDigests.push(recorded[i].imageDigest);
  });
  return { digest, ...(containers.length > 1 ? { sidecarDigests } : {}) };
}
