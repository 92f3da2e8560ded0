// A pod: the serving container and its sidecars run as one instance, in one network (localhost
// shared), started, probed and stopped together, each container with its own log and restarts.

import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { ContainerSnapshot, Instance, InstanceExit, InstanceSpec, InstanceState, SidecarSpec } from './runtime.ts';
import { RuntimeError } from './runtime.ts';

/** The network a runtime made for one pod. */
export interface PodNetwork {
  /** Where the gateway reaches the serving container. */
  readonly host: string;
  readonly port: number;
  /** The host's pid of the process holding the network, if any (reaped with the pod after a crash). */
  readonly pid?: number;
  /** Starts one of the pod's containers in this network. */
  start(spec: InstanceSpec): Instance;
  /** Removes the network once every container is gone. */
  close(): Promise<void>;
}

/** How a runtime makes pods. */
export interface PodBackend {
  /** Creates the pod's network (throws RuntimeError with Knative's reason when it cannot). */
  open(spec: InstanceSpec): Promise<PodNetwork>;
}

/**
 * A pod's containers share one runtime's network: a sidecar whose image another runtime runs (a
 * registry image next to a `file://` serving container, or the reverse) cannot join it.
 */
export function checkOneRuntime(spec: InstanceSpec, handles: (image: string) => boolean): void {
  for (const s of spec.sidecars ?? []) {
    if (!handles(s.image)) {
      throw new RuntimeError('CreateContainerError', `container ${s.container.name ?? ''} cannot run in this pod: its image "${s.image}" needs another runtime than the serving container's "${spec.image}" (file:// and container images cannot share a pod)`);
    }
  }
}

/** The kubelet's container restart back-off: 10 s doubling to 5 min, reset after 10 min of running (kubernetes pkg/kubelet/kubelet.go backOffPeriod, MaxContainerBackOff). */
export const SIDECAR_BACKOFF = { initialMs: 10_000, maxMs: 300_000, resetMs: 600_000 };

/** One sidecar's record inside its pod. */
interface Sidecar {
  spec: SidecarSpec;
  inst: Instance | undefined;
  restartCount: number;
  startedAt: Date | undefined;
  lastExit: ContainerSnapshot['lastExit'];
  backoffMs: number | undefined;
  nextBackoffMs: number;
  timer: NodeJS.Timeout | undefined;
  logFile: string;
  previousLogFile: string | undefined;
}

/** The log file of a sidecar's `n`th restart (the first start writes the file the spec names). */
export function restartLogFile(file: string, n: number): string {
  return n === 0 ? file : path.join(path.dirname(file), `${path.basename(file, '.log')}-${n}.log`);
}

/**
 * One replica of a multi-container revision. Ready when every container is ready (the pod's
 * ContainersReady condition, kubernetes pkg/kubelet/status generate.go GeneratePodReadyCondition).
 * A sidecar that exits is restarted in the pod with the kubelet's back-off, its restartCount one
 * higher, and the pod is unready meanwhile; when the serving container exits, the whole pod ends and
 * its exit is the serving container's (the instance manager restarts the replica as for one container).
 */
export class PodInstance extends EventEmitter implements Instance {
  readonly id: string;
  readonly spec: InstanceSpec;
  host = '127.0.0.1';
  port = 0;
  state: InstanceState = 'starting';
  startupMs: number | undefined;
  private readonly backend: PodBackend;
  private net: PodNetwork | undefined;
  private serving: Instance | undefined;
  private readonly sidecarList: Sidecar[];
  private stopping = false;
  private readonly startedAt = performance.now();
  private readonly exited: Promise<void>;
  private resolveExited!: () => void;
  private failureLines: string[] = [];
  private readonly now: () => Date;

  constructor(spec: InstanceSpec, backend: PodBackend, now: () => Date = () => new Date()) {
    super();
    this.id = spec.id;
    this.spec = spec;
    this.backend = backend;
    this.now = now;
    this.exited = new Promise((r) => (this.resolveExited = r));
    this.sidecarList = (spec.sidecars ?? []).map((s) => ({
      spec: s, inst: undefined, restartCount: 0, startedAt: undefined, lastExit: undefined, backoffMs: undefined,
      nextBackoffMs: SIDECAR_BACKOFF.initialMs, timer: undefined, logFile: s.logFile, previousLogFile: undefined,
    }));
  }

  get pid(): number | undefined {
    return this.serving?.pid;
  }

  lastLogLines(n: number): string[] {
    return this.serving ? this.serving.lastLogLines(n) : this.failureLines.slice(-n);
  }

  sidecars(): ContainerSnapshot[] {
    return this.sidecarList.map((s) => ({
      name: s.spec.container.name ?? '',
      image: s.spec.image,
      state: s.inst ? s.inst.state : this.state === 'exited' ? 'exited' : 'waiting',
      ready: s.inst?.state === 'ready',
      restartCount: s.restartCount,
      startedAt: s.inst ? s.startedAt : undefined,
      lastExit: s.lastExit,
      backoffMs: s.inst ? undefined : s.backoffMs,
      logFile: s.logFile,
      previousLogFile: s.previousLogFile,
    }));
  }

  servingReady(): boolean {
    return this.serving?.state === 'ready';
  }

  async begin(): Promise<void> {
    try {
      this.net = await this.backend.open(this.spec);
    } catch (err) {
      const reason = err instanceof RuntimeError ? err.reason : 'CreateContainerError';
      this.failureLines.push((err as Error).message);
      this.state = 'exited';
      this.resolveExited();
      // After the caller's listeners are on (the refusal may come before the first await).
      const exit: InstanceExit = { code: 127, beforeReady: true, requested: false, reason, message: (err as Error).message };
      queueMicrotask(() => this.emit('exit', exit));
      return;
    }
    this.host = this.net.host;
    this.port = this.net.port;
    if (this.stopping) return this.end({ code: 0, beforeReady: true, requested: true, reason: 'ExitCode0', message: 'Container failed with: container exited with no error' });
    // The kubelet starts a pod's containers in order, without waiting for one to be ready.
    const serving = this.net.start({ ...this.spec, sidecars: undefined });
    this.serving = serving;
    serving.on('spawned', (pid: number) => this.emit('spawned', pid));
    serving.on('ready', () => this.update());
    serving.on('unready', () => this.update());
    serving.once('exit', (exit: InstanceExit) => void this.servingExited(exit));
    for (const s of this.sidecarList) this.startSidecar(s);
  }

  private startSidecar(s: Sidecar): void {
    if (this.stopping || !this.net) return;
    s.timer = undefined;
    const name = s.spec.container.name ?? 'sidecar';
    const spec: InstanceSpec = {
      ...this.spec,
      id: `${this.spec.id}-${name}`,
      container: s.spec.container,
      image: s.spec.image,
      env: s.spec.env,
      logFile: s.logFile,
      readinessProbe: s.spec.container.readinessProbe,
      containerPort: 0,
      sidecars: undefined,
      role: 'sidecar',
    };
    const inst = this.net.start(spec);
    s.inst = inst;
    s.startedAt = this.now();
    s.backoffMs = undefined;
    const began = performance.now();
    inst.on('ready', () => this.update());
    inst.on('unready', () => this.update());
    inst.once('exit', (exit: InstanceExit) => {
      s.inst = undefined;
      s.lastExit = { ...exit, startedAt: s.startedAt ?? this.now(), finishedAt: this.now() };
      this.update();
      this.emit('containers');
      if (this.stopping) return;
      // restartPolicy Always: the container comes back after the back-off, in the same pod.
      if (performance.now() - began > SIDECAR_BACKOFF.resetMs) s.nextBackoffMs = SIDECAR_BACKOFF.initialMs;
      const delay = s.restartCount === 0 ? 0 : s.nextBackoffMs;
      if (s.restartCount > 0) s.nextBackoffMs = Math.min(SIDECAR_BACKOFF.maxMs, s.nextBackoffMs * 2);
      s.backoffMs = delay;
      s.timer = setTimeout(() => {
        s.restartCount++;
        s.previousLogFile = s.logFile;
        s.logFile = restartLogFile(s.spec.logFile, s.restartCount);
        this.startSidecar(s);
        this.emit('containers');
      }, delay);
    });
  }

  /** Ready exactly when every container is. */
  private update(): void {
    if (this.state === 'terminating' || this.state === 'exited') return;
    const all = this.serving?.state === 'ready' && this.sidecarList.every((s) => s.inst?.state === 'ready');
    if (all && this.state !== 'ready') {
      this.startupMs ??= performance.now() - this.startedAt;
      this.state = 'ready';
      this.emit('ready');
    } else if (!all && this.state === 'ready') {
      this.state = 'starting';
      this.emit('unready');
    }
  }

  private async servingExited(exit: InstanceExit): Promise<void> {
    const requested = this.stopping && exit.requested;
    this.beginStop();
    await this.stopSidecars();
    await this.end({ ...exit, requested, beforeReady: exit.beforeReady || this.startupMs === undefined });
  }

  private beginStop(): boolean {
    if (this.stopping) return false;
    this.stopping = true;
    if (this.state !== 'exited') this.state = 'terminating';
    for (const s of this.sidecarList) if (s.timer) clearTimeout(s.timer);
    return true;
  }

  private async stopSidecars(): Promise<void> {
    await Promise.all(this.sidecarList.map((s) => s.inst?.stop()));
  }

  private async end(exit: InstanceExit): Promise<void> {
    try {
      await this.net?.close();
    } finally {
      this.state = 'exited';
      this.resolveExited();
      this.emit('exit', exit);
    }
  }

  /** Every container gets SIGTERM at once (the kubelet kills a pod's containers in parallel), then the network goes. */
  stop(): Promise<void> {
    if (this.state === 'exited') return this.exited;
    if (this.beginStop()) {
      void this.stopSidecars();
      void this.serving?.stop();
    }
    return this.exited;
  }
}
