// The projector: keeps the Kubernetes objects Knative users look at (pods, deployments, replicasets,
// services) in the store equal to knit's own state, and answers the writes on them knit allows.

import { isDeepStrictEqual } from 'node:util';
import { DRAIN_SLICE_MS } from './queue.ts';
import { rfc3339 } from '../api/time.ts';
import { parseDurationSeconds } from '../api/go-values.ts';
import { badRequest, notFound } from '../api/status-error.ts';
import { ANNOTATION, LABEL, type ObjectMeta, type Revision, type Route } from '../api/types.ts';
import type { PodSnapshot, WorkloadStatus } from '../runtime/instances.ts';
import type { StoredObject, Store, WatchEvent } from '../store/store.ts';
import { deploymentName, podName, podTemplateHash } from '../kube/projections/names.ts';
import { buildPod, type NodeInfo } from '../kube/projections/pod.ts';
import { gatewayServices, revisionServices, routeServices, type GatewayAddresses } from '../kube/projections/services.ts';
import { buildDeployment, buildReplicaSet, userContainerName, type KubeCondition, type Projected } from '../kube/projections/workload.ts';
import { objectKey } from './names.ts';

/** What the projector reads from the instance manager. */
export interface ProjectedInstances {
  has(key: string): boolean;
  keys(): string[];
  status(key: string): WorkloadStatus | undefined;
  pods(key: string): PodSnapshot[];
  deletePod(key: string, podId: string): boolean;
  /** Chained, not replaced: the projector calls the previous hook first. */
  onPodsChange: (key: string) => void;
}

export interface ProjectorDeps {
  store: Store;
  instances: ProjectedInstances;
  now: () => Date;
  node: NodeInfo;
  settings: { clusterDomain: string; tagTemplate: string; progressDeadlineSeconds: number };
}

/** The store keys of the projected kinds (kube/registry.ts storageKeyOf). */
export const PROJECTED = { pods: 'core.pods', services: 'core.services', deployments: 'apps.deployments', replicasets: 'apps.replicasets' } as const;
const PROJECTED_RESOURCES = Object.values(PROJECTED);
const SKS_LABEL = 'networking.internal.knative.dev/serverlessservice';
/** The kinds whose status carries observedGeneration. */
const OBSERVES_GENERATION = new Set<string>([PROJECTED.deployments, PROJECTED.replicasets]);
/** The projector's coalescing window and how many projections in one make it busy (Projector.scheduleFlush). */
export const COALESCE_MS = 50;
export const BUSY_TASKS = 10;

/** What the API server calls for the writes and logs of projected objects (server/pod-logs.ts servePodLog uses the log ones). */
export interface ProjectedWrites {
  /** `DELETE pods/NAME`; false when no instance backs the pod (answer NotFound). */
  deletePod(namespace: string, name: string): boolean;
  /** `GET pods/NAME/log`: the file to read; throws NotFound or BadRequest as the apiserver does. */
  podLogFile(namespace: string, name: string, opts?: { container?: string; previous?: boolean }): string;
  /** True while `file` is still being written by the pod's running container. */
  podLogLive(namespace: string, name: string, file: string): boolean;
}

type Task = { kind: 'revision' | 'route'; ns: string; name: string } | { kind: 'gateways' };

/**
 * One per knit: on start it drops what a previous run left and creates what is missing, then follows
 * Revision and Route watch events, instance changes and gateway address changes. It writes only when an
 * object differs from what is stored (resourceVersion and the store's metadata aside), so an idle knit
 * writes nothing.
 */
export class Projector implements ProjectedWrites {
  private readonly deps: ProjectorDeps;
  private gateways: GatewayAddresses | undefined;
  private unwatch: (() => void) | undefined;
  private previousHook: ((key: string) => void) | undefined;
  private readonly pending = new Map<string, Task>();
  private flushScheduled: { immediate: NodeJS.Immediate } | { timeout: NodeJS.Timeout } | undefined;
  /** Tasks projected since windowStart (see COALESCE_MS). */
  private recent = 0;
  private windowStart = 0;
  private running = false;

  constructor(deps: ProjectorDeps) {
    this.deps = deps;
  }

  /** Subscribes to knit's state and projects everything once. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const { store, instances } = this.deps;
    const unRevisions = store.watchReadOnly('revisions', (ev) => this.onEvent(ev));
    const unRoutes = store.watchReadOnly('routes', (ev) => this.onEvent(ev));
    this.unwatch = () => {
      unRevisions();
      unRoutes();
    };
    const previous = instances.onPodsChange;
    this.previousHook = previous;
    instances.onPodsChange = (key) => {
      previous(key);
      const [ns, name] = key.split('/');
      this.enqueue({ kind: 'revision', ns, name });
    };
    this.resyncAll();
  }

  /** Stops following; the objects stay as they are (the next start resyncs them). */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.unwatch?.();
    if (this.previousHook) this.deps.instances.onPodsChange = this.previousHook;
    this.cancelFlush();
    this.pending.clear();
  }

  /** The gateways' listeners changed (or are known for the first time). */
  setGateways(gw: GatewayAddresses): void {
    this.gateways = gw;
    if (this.running) this.enqueue({ kind: 'gateways' });
  }

  /**
   * `DELETE pods/NAME`: stops that replica's instance (it drains, and a replacement starts as a
   * ReplicaSet would start one). The pod shows a deletionTimestamp until its instance is gone.
   * False if no replica of knit's backs the pod.
   */
  deletePod(namespace: string, name: string): boolean {
    const found = this.replicaOf(namespace, name);
    if (!found) return false;
    const ok = this.deps.instances.deletePod(found.key, found.podId);
    if (ok && this.running) this.syncRevision(namespace, found.revision);
    return ok;
  }

  /**
   * `GET pods/NAME/log`: the log file of the pod's container (the current instance's, or with
   * `previous` the one before the last restart). Throws the apiserver's NotFound and BadRequest errors.
   */
  podLogFile(namespace: string, name: string, opts: { container?: string; previous?: boolean } = {}): string {
    const pod = this.deps.store.get(PROJECTED.pods, namespace, name);
    if (!pod) throw notFound(PROJECTED.pods, name);
    const rev = this.deps.store.get<Revision>('revisions', namespace, pod.metadata.labels?.[LABEL.revision] ?? '');
    const serving = rev ? userContainerName(rev) : 'user-container';
    const names = rev ? rev.spec.containers.map((c) => c.name || serving) : [serving];
    // kubernetes pkg/registry/core/pod/strategy.go LogLocation; without a name, the default container (the serving one).
    if (opts.container && !names.includes(opts.container)) throw badRequest(`container ${opts.container} is not valid for pod ${name}`);
    const container = opts.container ?? serving;
    const snapshot = this.replicaOf(namespace, name)?.snapshot;
    const sidecar = container === serving ? undefined : snapshot?.sidecars?.find((c) => c.name === container);
    const file = sidecar ? (opts.previous ? sidecar.previousLogFile : sidecar.logFile) : container !== serving ? undefined : opts.previous ? snapshot?.previousLogFile : snapshot?.logFile;
    if (!file) {
      if (opts.previous) throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
      throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ContainerCreating`);
    }
    return file;
  }

  /** True while `file` is still written by the pod's current instance (a followed log ends when it is not). */
  podLogLive(namespace: string, name: string, file: string): boolean {
    const s = this.replicaOf(namespace, name)?.snapshot;
    if (s?.sidecars?.some((c) => c.logFile === file && (c.state === 'starting' || c.state === 'ready' || c.state === 'terminating'))) return true;
    return !!s && s.logFile === file && s.instanceId !== undefined;
  }

  private replicaOf(namespace: string, name: string): { key: string; revision: string; podId: string; snapshot: PodSnapshot } | undefined {
    const pod = this.deps.store.get(PROJECTED.pods, namespace, name);
    const revision = pod?.metadata.labels?.[LABEL.revision];
    const rev = revision ? this.deps.store.get<Revision>('revisions', namespace, revision) : undefined;
    if (!revision || !rev) return undefined;
    const key = objectKey(namespace, revision);
    const hash = podTemplateHash(rev.metadata.uid ?? '');
    const snapshot = this.deps.instances.pods(key).find((p) => podName(revision, hash, p.podId) === name);
    return snapshot ? { key, revision, podId: snapshot.podId, snapshot } : undefined;
  }

  private onEvent(ev: WatchEvent): void {
    const md = ev.object.metadata;
    this.enqueue({ kind: ev.resource === 'routes' ? 'route' : 'revision', ns: md.namespace ?? 'default', name: md.name ?? '' });
  }

  private enqueue(task: Task): void {
    if (!this.running) return;
    this.pending.set(task.kind === 'gateways' ? 'gateways' : `${task.kind}/${task.ns}/${task.name}`, task);
    this.scheduleFlush();
  }

  /**
   * Coalesces a burst of events (a reconcile writes several) into one pass: on the next turn of the event
   * loop, or — while more than BUSY_TASKS were projected in the last COALESCE_MS, as when many instances
   * start at once — COALESCE_MS after the window began, so a revision whose pods change many times in that
   * time is projected once (a kubelet, too, rate-limits its status writes to the apiserver).
   */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    const now = this.deps.now().getTime();
    if (now - this.windowStart >= COALESCE_MS) {
      this.windowStart = now;
      this.recent = 0;
    }
    const wait = this.recent > BUSY_TASKS ? this.windowStart + COALESCE_MS - now : 0;
    this.flushScheduled = wait > 0 ? { timeout: setTimeout(() => this.flush(), wait) } : { immediate: setImmediate(() => this.flush()) };
  }

  private cancelFlush(): void {
    const f = this.flushScheduled;
    if (f && 'immediate' in f) clearImmediate(f.immediate);
    else if (f) clearTimeout(f.timeout);
    this.flushScheduled = undefined;
  }

  /** Projects what is pending, for at most DRAIN_SLICE_MS at a time (the rest on the next turn of the loop; see queue.ts drain). */
  private flush(): void {
    this.flushScheduled = undefined;
    const started = performance.now();
    let n = 0;
    for (const [key, t] of [...this.pending]) {
      if (!this.running) return;
      if (n++ > 0 && performance.now() - started >= DRAIN_SLICE_MS) {
        this.flushScheduled ??= { immediate: setImmediate(() => this.flush()) };
        return;
      }
      this.pending.delete(key);
      this.recent++;
      try {
        if (t.kind === 'gateways') this.syncGateways();
        else if (t.kind === 'revision') this.syncRevision(t.ns, t.name);
        else this.syncRoute(t.ns, t.name);
      } catch (err) {
        console.error('knit: projecting Kubernetes objects failed:', err);
      }
    }
  }

  /** Projects every revision, route and gateway, and deletes every projected object nothing accounts for. */
  private resyncAll(): void {
    const keep = new Set<string>();
    const { store, instances } = this.deps;
    const revisions = new Set<string>();
    for (const r of store.list<Revision>('revisions')) revisions.add(objectKey(r.metadata.namespace, r.metadata.name));
    for (const k of instances.keys()) revisions.add(k);
    try {
      for (const k of revisions) {
        const [ns, name] = k.split('/');
        this.syncRevision(ns, name, keep);
      }
      for (const r of store.list<Route>('routes')) this.syncRoute(r.metadata.namespace ?? 'default', r.metadata.name ?? '', keep);
      this.syncGateways(keep);
      for (const resource of PROJECTED_RESOURCES) {
        for (const obj of store.list(resource)) {
          if (!keep.has(idOf(resource, obj.metadata))) this.remove(resource, obj);
        }
      }
    } catch (err) {
      console.error('knit: projecting Kubernetes objects failed:', err);
    }
  }

  private syncGateways(keep?: Set<string>): void {
    if (!this.gateways) return;
    for (const svc of gatewayServices(this.gateways)) this.put(PROJECTED.services, svc, keep);
  }

  /** The route's ExternalName services; those of its former tags go. */
  private syncRoute(ns: string, name: string, keep?: Set<string>): void {
    const { store, settings } = this.deps;
    const route = store.get<Route>('routes', ns, name);
    const want = route && !route.metadata.deletionTimestamp ? routeServices(route, settings.clusterDomain, settings.tagTemplate) : [];
    const names = new Set(want.map((s) => s.metadata.name));
    for (const svc of want) this.put(PROJECTED.services, svc, keep);
    for (const svc of store.list(PROJECTED.services, { namespace: ns, labelSelector: { [LABEL.route]: name } })) {
      if (!names.has(svc.metadata.name) && !svc.metadata.labels?.[SKS_LABEL]) this.remove(PROJECTED.services, svc);
    }
  }

  /** The revision's Deployment, ReplicaSet, pods and services, or none once it is gone or not yet running. */
  private syncRevision(ns: string, name: string, keep?: Set<string>): void {
    const { store, instances, now, node, settings } = this.deps;
    const key = objectKey(ns, name);
    const rev = store.peek<Revision>('revisions', ns, name);
    const wanted = new Set<string>();
    // Knative creates the Deployment once the image is resolved; knit registers the workload then and
    // records the resolution in status.containerStatuses, which also keeps the Deployment across a restart
    // of knit until the revision's reconcile registers the workload again.
    const resolved = instances.has(key) || (rev?.status?.containerStatuses?.length ?? 0) > 0;
    if (rev && rev.metadata.uid && !rev.metadata.deletionTimestamp && resolved) {
      const st = instances.status(key);
      const pods = instances.pods(key);
      const live = pods.filter((p) => !p.deletedAt);
      const counts = { desired: st?.desired ?? rev.status?.desiredReplicas ?? 0, current: live.length, ready: live.filter((p) => p.state === 'ready').length, deadlineExceeded: st?.deadlineExceeded ?? false };
      const progressDeadline = parseDurationSeconds(rev.metadata.annotations?.[ANNOTATION.progressDeadline] ?? '') ?? settings.progressDeadlineSeconds;
      const hash = podTemplateHash(rev.metadata.uid);
      const prev = store.peek(PROJECTED.deployments, ns, deploymentName(name));
      const prevConditions = (prev?.status as { conditions?: KubeCondition[] } | undefined)?.conditions;
      const deployment = this.put(PROJECTED.deployments, buildDeployment(rev, counts, prevConditions, rfc3339(now()), progressDeadline), keep);
      wanted.add(idOf(PROJECTED.deployments, deployment.metadata));
      const rs = this.put(PROJECTED.replicasets, buildReplicaSet(rev, deployment.metadata, counts), keep);
      wanted.add(idOf(PROJECTED.replicasets, rs.metadata));
      for (const p of pods) {
        const podKey = podName(name, hash, p.podId);
        const uid = store.peek(PROJECTED.pods, ns, podKey)?.metadata.uid;
        const pod = this.put(PROJECTED.pods, buildPod(rev, rs.metadata, p, node, uid), keep);
        wanted.add(idOf(PROJECTED.pods, pod.metadata));
      }
      for (const svc of revisionServices(rev)) wanted.add(idOf(PROJECTED.services, this.put(PROJECTED.services, svc, keep).metadata));
    }
    for (const resource of PROJECTED_RESOURCES) {
      const [label, value] = resource === PROJECTED.services ? [SKS_LABEL, name] : [LABEL.revision, name];
      const stale: Readonly<StoredObject>[] = [];
      store.scan(resource, ns, (obj) => {
        if (obj.metadata.labels?.[label] === value && !wanted.has(idOf(resource, obj.metadata))) stale.push(obj);
      });
      for (const obj of stale) this.remove(resource, obj);
    }
  }

  /** Creates or updates one object, writing only what differs; returns the stored object (not a copy: read only). */
  private put(resource: string, input: Projected, keep?: Set<string>): Readonly<StoredObject> {
    const { store } = this.deps;
    // A fresh plain copy (no undefined members), handed over to the store.
    const want = JSON.parse(JSON.stringify(input)) as Projected;
    const md = want.metadata;
    keep?.add(idOf(resource, md));
    let current = store.peek(resource, md.namespace ?? 'default', md.name ?? '');
    if (!current) {
      if (OBSERVES_GENERATION.has(resource)) want.status = { observedGeneration: 1, ...want.status };
      return store.create(resource, want, { handOver: true });
    }
    // What the store (and its managedFields recording) sets is not part of the projection.
    const { uid: _u, resourceVersion: _rv, creationTimestamp: _c, generation: _g, managedFields: _m, ...stored } = current.metadata as ObjectMeta & { managedFields?: unknown };
    if (!isDeepStrictEqual(stored, md) || !isDeepStrictEqual(current.spec, want.spec)) {
      current = store.update(resource, { ...want, metadata: { ...md, resourceVersion: '' } }, { handOver: true });
    }
    const status = OBSERVES_GENERATION.has(resource) ? { observedGeneration: current.metadata.generation, ...want.status } : want.status;
    if (!isDeepStrictEqual(current.status, status)) current = store.update(resource, { ...current, status }, { subresource: 'status', handOver: true });
    return current;
  }

  private remove(resource: string, obj: Readonly<StoredObject>): void {
    try {
      this.deps.store.delete(resource, obj.metadata.namespace ?? 'default', obj.metadata.name ?? '', { uid: obj.metadata.uid });
    } catch {
      // already gone (the garbage collector follows ownerReferences too)
    }
  }
}

function idOf(resource: string, md: ObjectMeta): string {
  return `${resource}/${md.namespace ?? 'default'}/${md.name ?? ''}`;
}
