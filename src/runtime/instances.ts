// Revision → instances: keeps each revision's instance count at its desired scale (the
// Deployment role), replaces crashed instances with back-off, and feeds ready ones to the data plane.

import fs from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { randomSuffix } from '../store/store.ts';
import { Endpoint, QueueBound, RevisionDispatcher, type DispatcherSettings, type RequestObserver } from '../dataplane/dispatcher.ts';
import type { DispatcherLookup } from '../dataplane/gateway.ts';
import { endpointCell, revisionBase, SharedConcurrencyStats, type SlotAllocator } from '../dataplane/shared.ts';
import { killGroup } from './process.ts';
import { GpuAllocator, INSUFFICIENT_GPU_MESSAGE, gpuCount, type GpuDevice } from './gpu.ts';
import type { ContainerSnapshot, Instance, InstanceExit, InstanceSpec, InstanceState, Runtime } from './runtime.ts';
import { VolumeManager, type VolumeBind, type WorkloadVolumes } from './volumes.ts';

/** Everything needed to run a revision's instances; fixed for the revision's life. */
export interface Workload {
  /** `namespace/name` of the revision. */
  key: string;
  template: Omit<InstanceSpec, 'id' | 'logFile'>;
  /** How the data plane treats the revision's requests. */
  dispatch: DispatcherSettings;
  /** The revision's timeoutSeconds: the drain bound and the SIGKILL grace period. */
  timeoutSeconds: number;
  progressDeadlineSeconds: number;
  /**
   * Builds the env of one instance as it starts (the kubelet resolves Secrets, ConfigMaps and
   * downward-API fields when it starts a container); replaces `template.env` when given. An error
   * (e.g. `CreateContainerConfigError`, `secret "x" not found`) keeps the instance from starting.
   */
  resolveEnv?: (podId: string) => { env: Record<string, string> } | { error: StartError };
  /** The pod's volumes (volumes.ts), set up per replica before its instance starts; an error keeps it from starting. */
  volumes?: WorkloadVolumes;
  /** Builds the env of each of `template.sidecars` as an instance starts (same order), when one reads env sources. */
  resolveSidecarEnvs?: (podId: string) => { envs: Record<string, string>[] } | { error: StartError };
  /**
   * Set when the node cannot take the revision's pods (its nodeSelector or required node affinity
   * matches no label of this node, controllers/scheduling.ts): replicas stay Pending with this reason.
   */
  unschedulable?: StartError;
}

/** Why an instance could not be created (a container's waiting reason and message). */
export interface StartError {
  reason: string;
  message: string;
}

/** What the revision reconciler reads to write status. */
export interface WorkloadStatus {
  desired: number;
  ready: number;
  starting: number;
  everReady: boolean;
  /** The last unrequested exit of an instance that never became ready, if any. */
  lastFailure: InstanceExit | undefined;
  /** True while the newest failure has not been followed by a ready instance. */
  failing: boolean;
  /** No instance became ready within the progress deadline. */
  deadlineExceeded: boolean;
  /** Milliseconds from the first start to the first ready instance. */
  firstReadyMs: number | undefined;
  /** Set while the newest start could not create its instance (its env could not be resolved). */
  startError?: StartError;
  /** Set while a replica waits for devices no one frees (the scheduler's PodScheduled False). */
  unschedulable?: StartError;
}

/** An instance's last exit, with when it ran (a pod's `lastState.terminated`). */
export interface RecordedExit extends InstanceExit {
  startedAt: Date;
  finishedAt: Date;
}

/**
 * One replica of a revision as a pod sees it: it lives from its first start until it is stopped on
 * purpose (scale-down, `deletePod`), and a crashed instance is restarted in the same replica with
 * `restartCount` one higher, as the kubelet restarts a container in its pod (restartPolicy Always).
 */
export interface PodSnapshot {
  /** Stable for the replica's life: the pod name's random suffix. */
  podId: string;
  /** The running instance's id; undefined while waiting to restart after a crash. */
  instanceId: string | undefined;
  /** The instance's state, 'waiting' between a crash and the restart, 'pending' while no GPU is free for it. */
  state: InstanceState | 'waiting' | 'pending';
  /** Set once `deletePod` or a scale-down asked for the replica to go (the pod's deletionTimestamp). */
  deletedAt: Date | undefined;
  /** The runtime that runs it (`process`, `podman`). */
  runtime: string;
  pid: number | undefined;
  host: string;
  port: number;
  createdAt: Date;
  /** When the current instance started. */
  startedAt: Date | undefined;
  /** When the current instance last became ready or unready. */
  readyChangedAt: Date | undefined;
  restartCount: number;
  lastExit: RecordedExit | undefined;
  /** The back-off before the restart, while waiting. */
  backoffMs: number | undefined;
  /** The current (or, while waiting, the last) instance's log file. */
  logFile: string | undefined;
  /** The previous instance's log file, once restarted. */
  previousLogFile: string | undefined;
  /** The sidecar containers of a multi-container revision, in spec order. */
  sidecars?: ContainerSnapshot[];
  /** In a pod with sidecars: whether the serving container itself passes its readiness probe. */
  servingReady?: boolean;
  /** While pending: why the scheduler cannot place it. */
  unschedulable?: StartError;
}

/** A replica's mutable record inside RevisionInstances. */
interface Replica {
  podId: string;
  createdAt: Date;
  instance: Instance | undefined;
  startedAt: Date | undefined;
  readyChangedAt: Date | undefined;
  restartCount: number;
  lastExit: RecordedExit | undefined;
  deletedAt: Date | undefined;
  /** When a scale-down chose it to stop. */
  stoppingAt: Date | undefined;
  backoffMs: number | undefined;
  logFile: string | undefined;
  previousLogFile: string | undefined;
  /** The sidecars as the last instance left them (shown while the replica waits to restart). */
  lastSidecars?: ContainerSnapshot[];
  /** Waiting for GPUs, or for a node that matches (never started yet). */
  pending?: boolean;
  /** Why it is pending when it is not for GPUs. */
  pendingWhy?: StartError;
}

const MAX_BACKOFF_MS = 30_000;
/** How often a start whose env could not be resolved is tried again (besides on a change of its sources). */
const START_RETRY_MS = 5_000;

/** How many instances knit runs at most: per revision and in total. */
export interface InstanceLimits {
  perRevision: number;
  total: number;
}

/** Defaults for one machine; `knit serve --config` sets them (`knit: max-instances…`). */
export const DEFAULT_INSTANCE_LIMITS: InstanceLimits = { perRevision: 100, total: 500 };

class RevisionInstances {
  readonly workload: Workload;
  readonly dispatcher: RevisionDispatcher;
  /** Thread mode: the revision's slot in the gateway threads' shared counters (-1 otherwise). */
  readonly slot: number;
  /** Thread mode: each published endpoint's slot in the shared counters. */
  readonly endpointSlots = new Map<Endpoint, number>();
  desired = 0;
  private readonly instances = new Map<string, Instance>();
  /** Replicas by pod id, in start order. */
  private readonly replicas = new Map<string, Replica>();
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly manager: InstanceManager;
  private everReady = false;
  private lastFailure: InstanceExit | undefined;
  private failing = false;
  private consecutiveFailures = 0;
  private lastCrashAt = -Infinity;
  private restartTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private deadlineExceeded = false;
  private firstStart: number | undefined;
  private firstReadyMs: number | undefined;
  private closed = false;
  private readonly cpuSeen = new Map<string, { ticks: number; at: number }>();
  private startError: StartError | undefined;
  private startRetryTimer: NodeJS.Timeout | undefined;
  /** Whole GPUs each replica holds for its life (restarts included), as a pod holds its devices. */
  readonly gpusPerReplica: number;
  /** Requests wait for this revision and it has no ready instance yet (InstanceManager.onDemand). */
  private demanded = false;
  /** The next replica, prepared by its runtime while the revision is at zero (Runtime.prepare): its pod id and instance id. */
  private prepared: { podId: string; id: string; runtime: Runtime } | undefined;
  /** See setReachable. */
  private reachable = true;

  constructor(manager: InstanceManager, workload: Workload) {
    this.manager = manager;
    this.workload = workload;
    this.gpusPerReplica = gpuCount(workload.template.container.resources);
    const slots = manager.slots;
    this.slot = slots?.revision() ?? -1;
    const cells = slots ? { i32: slots.cells.i32, base: revisionBase(this.slot), shared: true, stats: new SharedConcurrencyStats(slots.cells, this.slot) } : undefined;
    this.dispatcher = new RevisionDispatcher(workload.key, workload.dispatch, manager.queue, cells);
    this.dispatcher.onDemand = () => this.manager.onDemand(workload.key);
    this.dispatcher.observer = manager.requestObserver?.(workload.key);
  }

  /** Requests wait for the revision, which has no ready instance: its starting instances start first. */
  /** Whether a route may send it traffic (Knative's routingState is not `reserve`): only then is its next replica prepared. */
  setReachable(reachable: boolean): void {
    if (this.reachable === reachable) return;
    this.reachable = reachable;
    if (reachable) return this.prepareNext();
    const prepared = this.prepared;
    this.prepared = undefined;
    void prepared?.runtime.discard?.(prepared.id);
  }

  demand(): void {
    if (this.demanded || this.closed) return;
    this.demanded = true;
    for (const inst of this.instances.values()) if (inst.state === 'starting') inst.awaited?.();
  }

  /** Average CPU (cores, since the previous call) and resident memory per ready instance. */
  usage(): { cpuCores: number; rssBytes: number; instances: number } {
    const now = performance.now();
    let cpu = 0;
    let rss = 0;
    let n = 0;
    for (const inst of this.instances.values()) {
      if (inst.state !== 'ready' || inst.pid === undefined) continue;
      const u = processUsage(inst.pid);
      if (!u) continue;
      const prev = this.cpuSeen.get(inst.id);
      this.cpuSeen.set(inst.id, { ticks: u.ticks, at: now });
      n++;
      rss += u.rssBytes;
      if (prev && now > prev.at) cpu += (u.ticks - prev.ticks) / CLOCK_TICKS / ((now - prev.at) / 1000);
    }
    for (const id of this.cpuSeen.keys()) if (!this.instances.has(id)) this.cpuSeen.delete(id);
    return { cpuCores: n > 0 ? cpu / n : 0, rssBytes: n > 0 ? rss / n : 0, instances: n };
  }

  status(): WorkloadStatus {
    let ready = 0;
    let starting = 0;
    for (const inst of this.instances.values()) {
      if (this.deleting(inst)) continue;
      if (inst.state === 'ready') ready++;
      else if (inst.state === 'starting') starting++;
    }
    return {
      desired: this.desired,
      ready,
      starting,
      everReady: this.everReady,
      lastFailure: this.lastFailure,
      failing: this.failing,
      deadlineExceeded: this.deadlineExceeded,
      firstReadyMs: this.firstReadyMs,
      startError: this.startError,
      ...pendingWhy([...this.replicas.values()].find((r) => r.pending && !r.deletedAt)),
    };
  }

  setDesired(n: number): void {
    if (this.closed) return;
    this.desired = n;
    this.reconcile();
  }

  /** Instances started and not yet gone. */
  get liveCount(): number {
    let n = 0;
    for (const i of this.instances.values()) if (i.state !== 'exited') n++;
    return n;
  }

  /** The revision's replicas as pods show them, oldest first. */
  pods(): PodSnapshot[] {
    return [...this.replicas.values()].map((r) => {
      const inst = r.instance;
      return {
        podId: r.podId,
        instanceId: inst?.id,
        state: inst ? inst.state : r.pending ? 'pending' : 'waiting',
        deletedAt: r.deletedAt ?? r.stoppingAt,
        runtime: inst ? this.manager.runtimeFor(inst.spec.image).name : this.manager.runtimeFor(this.workload.template.image).name,
        pid: inst?.pid,
        host: inst?.host ?? '127.0.0.1',
        port: inst?.port ?? 0,
        createdAt: r.createdAt,
        startedAt: inst ? r.startedAt : undefined,
        readyChangedAt: inst ? r.readyChangedAt : undefined,
        restartCount: r.restartCount,
        lastExit: r.lastExit,
        backoffMs: inst ? undefined : r.backoffMs,
        logFile: r.logFile,
        previousLogFile: r.previousLogFile,
        ...(this.workload.template.sidecars ? { sidecars: inst?.sidecars?.() ?? r.lastSidecars ?? [], servingReady: inst?.servingReady?.() ?? false } : {}),
        ...(!inst ? pendingWhy(r) : {}),
      };
    });
  }

  /**
   * Stops one replica as deleting its pod does: it leaves rotation and drains, and a replacement
   * starts at once (a ReplicaSet does not count terminating pods). False if there is no such replica.
   */
  deletePod(podId: string): boolean {
    const r = this.replicas.get(podId);
    if (!r || r.deletedAt) return r !== undefined;
    r.deletedAt = this.manager.now();
    if (r.instance) void this.stopOne(r.instance);
    else this.dropReplica(podId);
    this.manager.podsChanged(this.workload.key);
    this.reconcile();
    return true;
  }

  private deleting(inst: Instance): boolean {
    return this.replicaOf(inst)?.deletedAt !== undefined;
  }

  private replicaOf(inst: Instance): Replica | undefined {
    for (const r of this.replicas.values()) if (r.instance === inst) return r;
    return undefined;
  }

  /** Starts or stops instances so that live ones match `desired` (within the limits). */
  reconcile(): void {
    if (this.closed) return;
    const live = [...this.instances.values()].filter((i) => (i.state === 'starting' || i.state === 'ready') && !this.deleting(i));
    const want = Math.min(this.desired, this.manager.limits.perRevision);
    // Crashed replicas beyond what is wanted are not restarted: their pods go.
    const waiting = [...this.replicas.values()].filter((r) => !r.instance);
    const spare = waiting.length - Math.max(0, want - live.length);
    // Pending ones (never started) go first.
    waiting.sort((a, b) => Number(b.pending ?? false) - Number(a.pending ?? false));
    for (const r of waiting.slice(0, Math.max(0, spare))) this.dropReplica(r.podId);
    if (spare > 0) this.manager.podsChanged(this.workload.key);
    if (live.length < want) {
      if (this.restartTimer) return; // backing off after a crash
      for (let i = live.length; i < want; i++) {
        // One service cannot take the machine: past the total cap, wait for a free slot.
        if (!this.manager.reserveSlot(this)) break;
        if (!this.startOne()) break;
      }
    } else if (live.length > want) {
      // Stop starting instances first, then the least busy ready ones.
      const victims = live
        .sort((a, b) => rank(a, this.endpoints) - rank(b, this.endpoints))
        .slice(0, live.length - want);
      for (const v of victims) {
        const r = this.replicaOf(v);
        if (r) r.stoppingAt ??= this.manager.now();
        void this.stopOne(v);
      }
      if (victims.length > 0) this.manager.podsChanged(this.workload.key);
    }
    this.armDeadline();
    this.prepareNext();
  }

  private armDeadline(): void {
    const waiting = this.desired > 0 && !this.everReady && !this.deadlineExceeded;
    if (waiting && !this.deadlineTimer) {
      this.deadlineTimer = setTimeout(() => {
        this.deadlineTimer = undefined;
        if (!this.everReady) {
          this.deadlineExceeded = true;
          this.manager.changed(this.workload.key);
        }
      }, this.workload.progressDeadlineSeconds * 1000);
      this.deadlineTimer.unref();
    } else if (!waiting && this.deadlineTimer) {
      clearTimeout(this.deadlineTimer);
      this.deadlineTimer = undefined;
    }
  }

  /** An env source of the revision changed: a start waiting on it retries now. */
  retryStart(): void {
    if (!this.startError || this.closed) return;
    if (this.startRetryTimer) clearTimeout(this.startRetryTimer);
    this.startRetryTimer = undefined;
    this.reconcile();
  }

  /** Starts one instance; false when its volumes or env could not be set up (retried later, as the kubelet retries). */
  private startOne(): boolean {
    const [ns, rev] = this.workload.key.split('/');
    // A crashed replica is restarted in place (its pod keeps its name); otherwise a new replica.
    const now = this.manager.now();
    let replica = [...this.replicas.values()].find((r) => !r.instance && !r.deletedAt);
    // A new replica is the one prepared at zero, if any (its runtime uses what it prepared only if the spec is still the same).
    const suffix = replica?.podId ?? this.prepared?.podId ?? randomSuffix(5);
    // The scheduler's part: the node must match the pod's selector and affinity (revisions are immutable, so
    // a pod that does not match never will: it stays Pending until the revision goes)...
    const nodeMismatch = this.workload.unschedulable;
    if (nodeMismatch) {
      if (!replica) {
        replica = newReplica(suffix, now);
        replica.pending = true;
        replica.pendingWhy = nodeMismatch;
        this.replicas.set(suffix, replica);
        this.manager.changed(this.workload.key);
      }
      return false;
    }
    // ...and a replica that needs GPUs gets whole free devices first, or stays pending.
    let gpus: GpuDevice[] | undefined;
    if (this.gpusPerReplica > 0) {
      gpus = this.manager.gpus.allocate(this.gpuHolder(suffix), this.gpusPerReplica);
      if (!gpus) {
        if (!replica) {
          replica = newReplica(suffix, now);
          replica.pending = true;
          this.replicas.set(suffix, replica);
          this.manager.changed(this.workload.key);
        }
        this.manager.waitForGpus(this);
        return false;
      }
    }
    let base = this.workload.template.env;
    let volumes: VolumeBind[] | undefined;
    let sidecarEnvs = this.workload.template.sidecars?.map((s) => s.env);
    const resolveSidecars = this.workload.resolveSidecarEnvs;
    // Volumes first: the kubelet mounts a pod's volumes (FailedMount) before it builds its containers' env.
    const vols = this.workload.volumes && this.manager.volumes.prepare(this.workload.key, suffix, this.workload.volumes, () => this.replicas.has(suffix));
    const resolveEnv = (podId: string): { env: Record<string, string> } | { error: StartError } => {
      const r = this.workload.resolveEnv ? this.workload.resolveEnv(podId) : { env: base };
      if ('error' in r || !resolveSidecars) return r;
      const rs = resolveSidecars(podId);
      if ('error' in rs) return rs;
      sidecarEnvs = rs.envs;
      return r;
    };
    if (vols || this.workload.resolveEnv || resolveSidecars) {
      const r = vols && 'error' in vols ? vols : resolveEnv(suffix);
      if ('error' in r) {
        // A new replica that cannot start holds no devices meanwhile (the next try picks a new pod name).
        if (gpus && !replica && this.manager.gpus.release(this.gpuHolder(suffix))) this.manager.gpusFreed();
        const changed = this.startError?.reason !== r.error.reason || this.startError?.message !== r.error.message;
        this.startError = r.error;
        if (!this.startRetryTimer) {
          this.startRetryTimer = setTimeout(() => {
            this.startRetryTimer = undefined;
            this.reconcile();
          }, START_RETRY_MS);
          this.startRetryTimer.unref();
        }
        if (changed) this.manager.changed(this.workload.key);
        return false;
      }
      base = r.env;
      if (vols && 'binds' in vols) volumes = vols.binds;
    }
    if (this.startError) {
      this.startError = undefined;
      this.manager.changed(this.workload.key);
    }
    const id = `${rev}-${replica ? randomSuffix(5) : suffix}`;
    const spec = this.instanceSpec(id, base, volumes, gpus);
    // A sidecar's log: DATA_DIR/logs/NS/REV/CONTAINER/INSTANCE.log (the revision's directory keeps the serving container's).
    if (spec.sidecars) spec.sidecars = spec.sidecars.map((s, i) => ({ ...s, env: { ...(sidecarEnvs?.[i] ?? s.env), [OWNER_ENV]: this.manager.ownerTag }, logFile: sidecarLogFile(this.manager.logDir, ns, rev, s.container.name ?? '', id) }));
    if (replica?.pending) {
      replica.pending = false;
      this.manager.changed(this.workload.key);
    } else if (replica) {
      replica.restartCount++;
      replica.previousLogFile = replica.logFile;
    } else {
      replica = newReplica(suffix, now);
      this.replicas.set(suffix, replica);
    }
    const prepared = this.prepared;
    this.prepared = undefined;
    // Not taken by this start (a restart in place): what was prepared goes.
    if (prepared && prepared.id !== id) void prepared.runtime.discard?.(prepared.id);
    const inst = this.manager.runtimeFor(spec.image).start(spec);
    Object.assign(replica, { instance: inst, startedAt: now, readyChangedAt: now, backoffMs: undefined, logFile: spec.logFile });
    const rep = replica;
    this.firstStart ??= performance.now();
    this.instances.set(id, inst);
    this.manager.podsChanged(this.workload.key);
    inst.on('spawned', (pid: number) => {
      this.manager.recordPid(id, pid);
      this.manager.podsChanged(this.workload.key);
    });
    if (this.demanded) inst.awaited?.();
    inst.on('ready', () => {
      rep.readyChangedAt = this.manager.now();
      // Requests now go to it; instances started later are not what they wait for.
      this.demanded = false;
      if (this.closed) return;
      if (!this.everReady) this.firstReadyMs = performance.now() - (this.firstStart ?? 0);
      this.everReady = true;
      this.failing = false;
      this.endpoints.set(id, this.newEndpoint(id, inst.host, inst.port));
      this.publish();
      this.armDeadline();
      this.manager.changed(this.workload.key);
    });
    inst.on('unready', () => {
      rep.readyChangedAt = this.manager.now();
      // Out of rotation at once, as an unready pod leaves its Endpoints; requests already sent to it
      // finish, then its connections go (it gets a fresh Endpoint if it turns ready again).
      const ep = this.endpoints.get(id);
      this.endpoints.delete(id);
      this.publish();
      if (ep) void waitIdle(ep, this.workload.timeoutSeconds * 1000).then(() => ep.close());
      this.manager.changed(this.workload.key);
    });
    // A pod's sidecar started, exited or restarted.
    inst.on('containers', () => this.manager.podsChanged(this.workload.key));
    inst.once('exit', (exit: InstanceExit) => {
      rep.lastSidecars = inst.sidecars?.();
      this.instances.delete(id);
      this.manager.forgetPid(id);
      this.manager.slotFreed();
      const ep = this.endpoints.get(id);
      this.endpoints.delete(id);
      if (ep) {
        this.publish();
        ep.close();
      }
      if (rep.instance === inst) rep.instance = undefined;
      rep.lastExit = { ...exit, startedAt: rep.startedAt ?? this.manager.now(), finishedAt: this.manager.now() };
      // A replica asked to go is not restarted, even if its instance crashed while draining.
      if (exit.requested || this.closed || rep.deletedAt || rep.stoppingAt) this.dropReplica(rep.podId);
      if (!exit.requested && !this.closed) {
        this.lastFailure = exit;
        this.failing = true;
        // Crashes more than a minute apart do not add up to a crash loop.
        const now = performance.now();
        if (now - this.lastCrashAt > 60_000) this.consecutiveFailures = 0;
        this.lastCrashAt = now;
        this.consecutiveFailures++;
        // Like the kubelet: the first crash is replaced at once, repeated ones back off (1 s, 2 s, … 30 s).
        const delay = this.consecutiveFailures <= 1 ? 0 : Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.consecutiveFailures - 2));
        rep.backoffMs = delay;
        if (!this.restartTimer) {
          this.restartTimer = setTimeout(() => {
            this.restartTimer = undefined;
            this.reconcile();
          }, delay);
        }
      }
      this.manager.changed(this.workload.key);
      this.prepareNext();
    });
    return true;
  }

  /** The spec of instance `id` of this revision, with its env (before the owner mark), volumes and GPUs. */
  private instanceSpec(id: string, base: Record<string, string>, volumes?: VolumeBind[], gpus?: GpuDevice[]): InstanceSpec {
    const rev = this.workload.key.split('/')[1];
    const ns = this.workload.key.split('/')[0];
    // Spread keeps every own name (`__proto__` too) as a variable.
    const env = { ...base, [OWNER_ENV]: this.manager.ownerTag };
    return { ...this.workload.template, env, id, logFile: path.join(this.manager.logDir, ns, rev, `${id}.log`), ...(volumes ? { volumes } : {}), ...(gpus ? { gpus } : {}) };
  }

  /**
   * At zero (nothing wanted, nothing running, no replica left), lets the runtime prepare the next replica's
   * instance (podman: its container created and initialised), so a scale from zero pays only for starting
   * it. Not for replicas that need volumes, GPUs or sidecars, or that could not be scheduled: those are made
   * at their start.
   */
  prepareNext(): void {
    if (this.closed || this.prepared || this.desired > 0 || this.instances.size > 0 || this.replicas.size > 0) return;
    // A revision no route sends traffic to (routingState reserve) is not prepared, nor is any while a restart
    // brings back the routed ones first (their starts go before any preparation).
    if (!this.reachable || this.manager.restarting) return;
    const w = this.workload;
    if (w.unschedulable || w.volumes || this.gpusPerReplica > 0 || w.template.sidecars?.length || w.resolveSidecarEnvs) return;
    const runtime = this.manager.runtimeFor(w.template.image);
    if (!runtime.prepare) return;
    const podId = randomSuffix(5);
    const r = w.resolveEnv ? w.resolveEnv(podId) : { env: w.template.env };
    if ('error' in r) return;
    const id = `${w.key.split('/')[1]}-${podId}`;
    this.prepared = { podId, id, runtime };
    runtime.prepare(this.instanceSpec(id, r.env));
  }

  private async stopOne(inst: Instance): Promise<void> {
    // Leave rotation first, let in-flight requests finish, then stop the process.
    const ep = this.endpoints.get(inst.id);
    if (ep) {
      this.endpoints.delete(inst.id);
      this.publish();
      await waitIdle(ep, this.workload.timeoutSeconds * 1000);
    }
    await inst.stop();
  }

  private newEndpoint(id: string, host: string, port: number): Endpoint {
    const slots = this.manager.slots;
    if (!slots) return new Endpoint(id, host, port);
    const n = slots.endpoint();
    const ep = new Endpoint(id, host, port, { i32: slots.cells.i32, index: endpointCell(n) });
    this.endpointSlots.set(ep, n);
    return ep;
  }

  private publish(): void {
    const next = [...this.endpoints.values()];
    this.dispatcher.setEndpoints(next);
    const slots = this.manager.slots;
    if (slots) {
      for (const [ep, n] of this.endpointSlots) {
        if (this.endpoints.get(ep.id) === ep) continue;
        this.endpointSlots.delete(ep);
        slots.retire('endpoint', n);
      }
    }
    this.manager.endpointsChanged(this.workload.key);
  }

  /** Thread mode: the revision as the gateway threads' snapshot carries it. */
  snapshot(): { key: string; settings: DispatcherSettings; slot: number; endpoints: { id: string; host: string; port: number; slot: number }[] } {
    const endpoints = [];
    for (const ep of this.endpoints.values()) endpoints.push({ id: ep.id, host: ep.host, port: ep.port, slot: this.endpointSlots.get(ep) ?? -1 });
    return { key: this.workload.key, settings: this.workload.dispatch, slot: this.slot, endpoints };
  }

  private gpuHolder(podId: string): string {
    return `${this.workload.key}/${podId}`;
  }

  /** Forgets a replica (its pod is gone) and frees the GPUs it held. */
  private dropReplica(podId: string): void {
    this.replicas.delete(podId);
    if (this.gpusPerReplica > 0 && this.manager.gpus.release(this.gpuHolder(podId))) this.manager.gpusFreed();
  }

  /**
   * How many replicas the revision can run given the free GPUs (the ones holding devices plus what
   * the free devices allow); undefined when it needs none.
   */
  gpuCapacity(): number | undefined {
    if (this.gpusPerReplica === 0) return undefined;
    return this.manager.gpus.holders(`${this.workload.key}/`) + Math.floor(this.manager.gpus.free / this.gpusPerReplica);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    if (this.startRetryTimer) clearTimeout(this.startRetryTimer);
    this.dispatcher.close();
    const slots = this.manager.slots;
    if (slots) {
      for (const n of this.endpointSlots.values()) slots.retire('endpoint', n);
      this.endpointSlots.clear();
      slots.retire('revision', this.slot);
    }
    const prepared = this.prepared;
    this.prepared = undefined;
    await Promise.all([...[...this.instances.values()].map((i) => i.stop()), prepared?.runtime.discard?.(prepared.id)]);
    for (const podId of [...this.replicas.keys()]) this.dropReplica(podId);
    this.manager.volumes.releaseRevision(this.workload.key);
  }
}

/** The scheduler's reason for a pod that needs more GPUs than are free (kubernetes pkg/scheduler framework plugins noderesources fit.go). */
const UNSCHEDULABLE_GPU: StartError = { reason: 'Unschedulable', message: INSUFFICIENT_GPU_MESSAGE };

/** A pending replica's scheduler reason, as the status and pod view show it. */
function pendingWhy(r: Replica | undefined): { unschedulable?: StartError } {
  return r?.pending ? { unschedulable: r.pendingWhy ?? UNSCHEDULABLE_GPU } : {};
}

function newReplica(podId: string, createdAt: Date): Replica {
  return { podId, createdAt, instance: undefined, startedAt: undefined, readyChangedAt: undefined, restartCount: 0, lastExit: undefined, deletedAt: undefined, stoppingAt: undefined, backoffMs: undefined, logFile: undefined, previousLogFile: undefined };
}

function rank(inst: Instance, endpoints: Map<string, Endpoint>): number {
  if (inst.state !== 'ready') return -1;
  return endpoints.get(inst.id)?.inFlight ?? 0;
}

function waitIdle(ep: Endpoint, timeoutMs: number): Promise<void> {
  if (ep.inFlight === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const deadline = Date.now() + timeoutMs;
    const check = (): void => {
      if (ep.inFlight <= 0 || Date.now() >= deadline) resolve();
      else setTimeout(check, 20);
    };
    check();
  });
}

/** Owns every revision's instances; one per knit process. */
export class InstanceManager implements DispatcherLookup {
  readonly logDir: string;
  private readonly runDir: string;
  private readonly runtimes: Runtime[];
  private readonly revisions = new Map<string, RevisionInstances>();
  /** Revisions removed whose instances are still stopping (stopAll waits for them too). */
  private readonly closing = new Set<Promise<void>>();
  /** Called whenever a revision's workload status changes. */
  onChange: (key: string) => void = () => {};
  /** Called when a request waits for a revision that has no instance (scale-from-zero). */
  onActivate: (key: string) => void = () => {};
  /** Called whenever a revision's replicas change in a way its pods show (also on every onChange). */
  onPodsChange: (key: string) => void = () => {};
  /** The wall clock of pod timestamps. */
  readonly now: () => Date;
  /** Gives each revision's dispatcher its metrics hook (`knit serve` with metrics). */
  requestObserver: ((key: string) => RequestObserver) | undefined;

  /** Marks this data directory's instances (env KNIT_OWNER) so a restart finds every one of them. */
  readonly ownerTag: string;

  /** Caps on instances per revision and in total. */
  readonly limits: InstanceLimits;
  /** The bound on requests waiting in all of this knit's dispatchers. */
  queue = new QueueBound();
  /** Thread mode (`knit serve --gateway-threads N`): the shared counters' slots; set by useSharedCounters. */
  slots: SlotAllocator | undefined;
  /** Called when a revision's endpoints change, or a revision comes or goes (thread mode posts its snapshot). */
  onEndpoints: (key: string) => void = () => {};

  /** Thread mode: dispatchers count in the gateway threads' shared memory (before any revision exists). */
  useSharedCounters(slots: SlotAllocator): void {
    if (this.revisions.size > 0) throw new Error('useSharedCounters: revisions exist already');
    this.slots = slots;
    this.queue = new QueueBound(this.queue.limit, slots.cells);
  }

  /** Thread mode: every revision with its settings, shared-counter slots and ready endpoints. */
  endpointSnapshot(): ReturnType<RevisionInstances['snapshot']>[] {
    return [...this.revisions.values()].map((r) => r.snapshot());
  }

  /** Thread mode: revision `key` as endpointSnapshot has it; undefined when there is none. */
  revisionSnapshot(key: string): ReturnType<RevisionInstances['snapshot']> | undefined {
    return this.revisions.get(key)?.snapshot();
  }

  /** @internal */
  endpointsChanged(key: string): void {
    this.onEndpoints(key);
  }
  private readonly starved = new Set<RevisionInstances>();
  /** Every replica's volumes, under DATA_DIR/volumes. */
  readonly volumes: VolumeManager;
  /** The machine's GPUs and who holds them. */
  readonly gpus: GpuAllocator;
  private readonly gpuWaiters = new Set<RevisionInstances>();

  constructor(dataDir: string, runtimes: Runtime[], limits: InstanceLimits = DEFAULT_INSTANCE_LIMITS, now: () => Date = () => new Date(), gpus: readonly GpuDevice[] = []) {
    this.gpus = new GpuAllocator(gpus);
    this.limits = limits;
    this.now = now;
    this.ownerTag = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16);
    this.runtimes = runtimes;
    this.logDir = path.join(dataDir, 'logs');
    this.runDir = path.join(dataDir, 'run', 'instances');
    fs.mkdirSync(this.runDir, { recursive: true });
    this.volumes = new VolumeManager(path.join(dataDir, 'volumes'));
  }

  /** True if one more instance fits under the total cap; otherwise remembers who waits. */
  reserveSlot(r: RevisionInstances): boolean {
    const p = this.restartPriority;
    if (p && !p.routed.has(r.workload.key)) {
      p.deferred.add(r);
      return false;
    }
    let live = 0;
    for (const x of this.revisions.values()) live += x.liveCount;
    if (live < this.limits.total) return true;
    if (!this.starved.has(r)) console.error(`knit: instance limit (${this.limits.total}) reached; ${r.workload.key} waits for a free slot`);
    this.starved.add(r);
    return false;
  }

  /**
   * As knit starts again (docs/architecture.md "Restarts"): the revisions the routes send traffic to (`routed`, as
   * the stored ingresses program them) start their instances first; the others' starts wait until every routed
   * revision that wants an instance has a ready one, or `ms` passed. A restart brings back every revision still
   * within its scale window at once; sharing two cores among all of them kept the routed ones from answering
   * for seconds.
   */
  prioritizeRouted(routed: ReadonlySet<string>, ms: number): void {
    if (routed.size === 0) return;
    const timer = setTimeout(() => this.endRestartPriority(), ms);
    timer.unref?.();
    this.restartPriority = { routed, deferred: new Set(), timer };
  }

  private restartPriority: { routed: ReadonlySet<string>; deferred: Set<RevisionInstances>; timer: NodeJS.Timeout } | undefined;

  /** Ends the restart priority once every routed revision that wants an instance has a ready one (or failed). */
  private checkRestartPriority(): void {
    const p = this.restartPriority;
    if (!p) return;
    for (const key of p.routed) {
      const r = this.revisions.get(key);
      // Not registered yet (its reconcile comes): waited for, within the bound.
      if (!r) return;
      const st = r.status();
      if (st.desired > 0 && st.ready === 0 && !st.failing && !st.deadlineExceeded && !st.startError) return;
    }
    this.endRestartPriority();
  }

  private endRestartPriority(): void {
    const p = this.restartPriority;
    if (!p) return;
    this.restartPriority = undefined;
    clearTimeout(p.timer);
    queueMicrotask(() => {
      for (const r of p.deferred) r.reconcile();
      for (const r of this.revisions.values()) r.prepareNext();
    });
  }

  /** While a restart brings back the routed revisions first (prioritizeRouted). */
  get restarting(): boolean {
    return this.restartPriority !== undefined;
  }

  /** An instance is gone: revisions waiting for a slot get another look. */
  slotFreed(): void {
    if (this.starved.size === 0) return;
    const waiting = [...this.starved];
    this.starved.clear();
    queueMicrotask(() => {
      for (const r of waiting) r.reconcile();
    });
  }

  /** A revision waits for GPUs: it gets another look when some are freed. */
  waitForGpus(r: RevisionInstances): void {
    this.gpuWaiters.add(r);
  }

  /** GPUs were freed: revisions waiting for them get another look. */
  gpusFreed(): void {
    if (this.gpuWaiters.size === 0) return;
    const waiting = [...this.gpuWaiters];
    this.gpuWaiters.clear();
    queueMicrotask(() => {
      for (const r of waiting) r.reconcile();
    });
  }

  /** The most replicas a revision that needs GPUs can run now (the autoscaler's cap); undefined for others. */
  capacity(key: string): number | undefined {
    return this.revisions.get(key)?.gpuCapacity();
  }

  runtimeFor(image: string): Runtime {
    const rt = this.runtimes.find((r) => r.handles(image));
    if (!rt) throw new Error(`no runtime handles image ${image}`);
    return rt;
  }

  /** Stops instances a previous knit process left behind (after a crash), and the runtimes' leftovers (containers). */
  async reapOrphans(): Promise<number> {
    let reaped = 0;
    for (const f of fs.readdirSync(this.runDir)) {
      const file = path.join(this.runDir, f);
      try {
        const rec = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid: number; start: string };
        if (processStartTime(rec.pid) === rec.start) {
          killGroup(rec.pid, 'SIGKILL');
          reaped++;
        }
      } catch {
        // unreadable record: nothing to reap
      }
      fs.rmSync(file, { force: true });
    }
    // A crash between spawn and the pid record leaves a process only its environment identifies.
    reaped += reapByOwner(this.ownerTag);
    this.volumes.cleanup();
    for (const rt of this.runtimes) if (rt.reapOrphans) reaped += await rt.reapOrphans();
    return reaped;
  }

  recordPid(id: string, pid: number): void {
    const start = processStartTime(pid);
    if (start === undefined) return;
    fs.writeFileSync(path.join(this.runDir, `${id}.json`), JSON.stringify({ pid, start }));
  }

  forgetPid(id: string): void {
    fs.rmSync(path.join(this.runDir, `${id}.json`), { force: true });
  }

  /** Registers a revision's workload (idempotent: a revision's spec never changes). */
  ensure(workload: Workload): void {
    if (this.revisions.has(workload.key)) return;
    this.revisions.set(workload.key, new RevisionInstances(this, workload));
    this.endpointsChanged(workload.key);
  }

  has(key: string): boolean {
    return this.revisions.has(key);
  }

  setScale(key: string, n: number): void {
    this.revisions.get(key)?.setDesired(n);
  }

  /** See RevisionInstances.setReachable. */
  setReachable(key: string, reachable: boolean): void {
    this.revisions.get(key)?.setReachable(reachable);
  }

  status(key: string): WorkloadStatus | undefined {
    return this.revisions.get(key)?.status();
  }

  /** The revision's replicas (pods), oldest first; empty for an unknown revision. */
  pods(key: string): PodSnapshot[] {
    return this.revisions.get(key)?.pods() ?? [];
  }

  /** The revision's env sources (Secrets, ConfigMaps) changed: a start that failed on them retries now. */
  retryStart(key: string): void {
    this.revisions.get(key)?.retryStart();
  }

  /** Stops the replica `podId` of a revision (a replacement starts); false if there is none. */
  deletePod(key: string, podId: string): boolean {
    return this.revisions.get(key)?.deletePod(podId) ?? false;
  }

  /** Measured CPU and memory use of the revision's instances (the HPA class's input). */
  usage(key: string): { cpuCores: number; rssBytes: number; instances: number } | undefined {
    return this.revisions.get(key)?.usage();
  }

  /** The data plane's concurrency report for the revision since the previous call. */
  report(key: string): { averageConcurrency: number; requestCount: number; seconds: number } | undefined {
    return this.revisions.get(key)?.dispatcher.stats.report();
  }

  dispatcher(key: string): RevisionDispatcher | undefined {
    return this.revisions.get(key)?.dispatcher;
  }

  /** Requests in flight or waiting, over all revisions. */
  busy(): number {
    let n = 0;
    for (const r of this.revisions.values()) n += r.dispatcher.stats.current;
    return n;
  }

  /** Resolves once no request is in flight or waiting, or after timeoutMs. */
  async drained(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.busy() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  keys(): string[] {
    return [...this.revisions.keys()];
  }

  /** Stops and forgets a revision's instances. */
  async remove(key: string): Promise<void> {
    const r = this.revisions.get(key);
    if (!r) return;
    this.revisions.delete(key);
    this.endpointsChanged(key);
    const closing = r.close();
    this.closing.add(closing);
    try {
      await closing;
    } finally {
      this.closing.delete(closing);
    }
  }

  /** Stops every revision's instances, and waits for those of revisions removed but still stopping. */
  async stopAll(): Promise<void> {
    if (this.restartPriority) clearTimeout(this.restartPriority.timer);
    this.restartPriority = undefined;
    await Promise.all([...this.keys().map((k) => this.remove(k)), ...this.closing]);
  }

  /** @internal */
  changed(key: string): void {
    this.checkRestartPriority();
    this.onChange(key);
    this.onPodsChange(key);
  }

  /** @internal */
  podsChanged(key: string): void {
    this.onPodsChange(key);
  }

  /** @internal */
  onDemand(key: string): void {
    this.revisions.get(key)?.demand();
    this.onActivate(key);
  }
}

/** Where a sidecar container of instance `id` writes its output. */
export function sidecarLogFile(logDir: string, ns: string, rev: string, container: string, id: string): string {
  return path.join(logDir, ns, rev, container, `${id}.log`);
}

/** The environment variable that ties an instance process to its knit data directory. */
export const OWNER_ENV = 'KNIT_OWNER';

/** Kills the process groups of every process whose environment carries KNIT_OWNER=<tag>. */
function reapByOwner(tag: string): number {
  const needle = Buffer.from(`\0${OWNER_ENV}=${tag}\0`);
  const first = Buffer.from(`${OWNER_ENV}=${tag}\0`);
  let n = 0;
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let environ: Buffer;
    try {
      environ = fs.readFileSync(`/proc/${pid}/environ`);
    } catch {
      continue;
    }
    if (environ.includes(needle) || environ.subarray(0, first.length).equals(first)) {
      killGroup(pid, 'SIGKILL');
      n++;
    }
  }
  return n;
}

// Linux reports CPU time in clock ticks of 1/100 s (USER_HZ) on every architecture knit runs on.
const CLOCK_TICKS = 100;
const PAGE_SIZE = 4096;

/** CPU time (utime + stime, in clock ticks) and resident memory of one process. */
function processUsage(pid: number): { ticks: number; rssBytes: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const statm = fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
    return { ticks: Number(f[11]) + Number(f[12]), rssBytes: Number(statm[1]) * PAGE_SIZE };
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/PID/stat: distinguishes a live process from a recycled pid. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}
