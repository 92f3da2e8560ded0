// The Runtime interface: start one instance of a revision's serving container, watch it, stop it.

import type { EventEmitter } from 'node:events';
import type { Container, Probe } from '../api/types.ts';
import type { VolumeBind } from './volumes.ts';
import type { GpuDevice } from './gpu.ts';

/** What a runtime needs to start one instance. */
export interface InstanceSpec {
  /** Unique id, also used in log file names. */
  id: string;
  namespace: string;
  revision: string;
  configuration: string;
  service: string;
  /** The serving container, defaulted and validated. */
  container: Container;
  /** Image reference to run (a digest-pinned reference when known). */
  image: string;
  /** Container env merged with the runtime contract's variables (PORT excluded; runtimes set it). */
  env: Record<string, string>;
  /** The container port from the spec (default 8080). */
  containerPort: number;
  readinessProbe?: Probe;
  /** Seconds between SIGTERM and SIGKILL. */
  gracePeriodSeconds: number;
  /** Where the instance's stdout/stderr are appended. */
  logFile: string;
  /** The pod's volumes, materialised on the host, to bind at their mountPath (volumes.ts). */
  volumes?: VolumeBind[];
  /** The whole GPUs the instance's pod holds (its `nvidia.com/gpu` limit). */
  gpus?: GpuDevice[];
  /**
   * The revision's other containers (sidecars): they run in the same pod as the serving container,
   * share its network (localhost) and are started, probed and stopped with it (see pod.ts).
   */
  sidecars?: SidecarSpec[];
  /** Set on a sidecar's own spec inside a pod: no PORT, and ready once running unless it declares a readiness probe. */
  role?: 'sidecar';
}

/** One sidecar container of a pod. */
export interface SidecarSpec {
  /** The container, defaulted and validated (its name is set). */
  container: Container;
  image: string;
  /** Its env with the runtime contract's variables; never PORT. */
  env: Record<string, string>;
  /** Where its stdout/stderr are appended. */
  logFile: string;
}

/** One container of a running pod as its containerStatus shows it. */
export interface ContainerSnapshot {
  name: string;
  image: string;
  state: InstanceState | 'waiting';
  ready: boolean;
  restartCount: number;
  startedAt: Date | undefined;
  lastExit: (InstanceExit & { startedAt: Date; finishedAt: Date }) | undefined;
  /** The back-off before its restart, while waiting. */
  backoffMs: number | undefined;
  logFile: string;
  previousLogFile: string | undefined;
}

export type InstanceState = 'starting' | 'ready' | 'terminating' | 'exited';

/** Why an instance ended, in Knative's terms (ContainerHealthy reasons). */
export interface InstanceExit {
  /** Exit code, or 128+signal when killed by a signal. */
  code: number;
  /** True if it exited before it ever became ready. */
  beforeReady: boolean;
  /** True if knit asked it to stop. */
  requested: boolean;
  /** Knative's ContainerHealthy reason: `ExitCode<N>` or `ContainerMissing`... */
  reason: string;
  /** Knative's message: "Container failed with: <last log lines>". */
  message: string;
  /** The kubelet's termination reason when the exit code does not tell it: `OOMKilled`. */
  terminationReason?: 'OOMKilled';
}

/**
 * A running instance. Emits 'spawned' (pid) once its process exists, 'ready' once its
 * readiness probe passes, 'unready' when a later probe fails, and 'exit' (with an
 * InstanceExit) exactly once when it is gone.
 */
export interface Instance extends EventEmitter {
  readonly id: string;
  readonly spec: InstanceSpec;
  /** Address the gateway proxies to. */
  readonly host: string;
  readonly port: number;
  readonly state: InstanceState;
  /** OS process id (the podman client's for containers), for reaping after a crash. */
  readonly pid: number | undefined;
  /** Milliseconds from start() to ready, once ready. */
  readonly startupMs: number | undefined;
  /** The last lines of stdout/stderr. */
  lastLogLines(n: number): string[];
  /** SIGTERM, then SIGKILL after the grace period; resolves when the instance is gone. */
  stop(): Promise<void>;
  /** A pod's sidecars, for its containerStatuses (absent for a one-container instance). */
  sidecars?(): ContainerSnapshot[];
  /** In a pod: whether its serving container is ready by itself. */
  servingReady?(): boolean;
  /**
   * Requests wait for this starting instance: where the runtime weighs starting instances (cgroups.ts
   * StartingCgroups) it starts before the ones nobody waits for.
   */
  awaited?(): void;
}

/** One interface, several implementations (process, podman); each passes the shared suite in runtime/contract.ts. */
export interface Runtime {
  readonly name: string;
  /** True if this runtime runs the given image reference. */
  handles(image: string): boolean;
  /**
   * Resolves an image to an immutable digest reference (`ContainerMissing` on failure) when a revision is
   * created, as the container's `imagePullPolicy` allows: `Always` checks the registry again, `Never` never
   * pulls. `auth` is a containers-auth.json document (the revision's imagePullSecrets) used for a pull.
   */
  resolveDigest(image: string, pullPolicy?: string, auth?: string): Promise<string | undefined>;
  start(spec: InstanceSpec): Instance;
  /**
   * Prepares, ahead of any request, what the runtime can for an instance of exactly this spec (podman: the
   * container created and initialised), so that a later `start` of the same spec pays only for starting the
   * process. A `start` whose spec differs in anything the runtime would run with uses none of it.
   */
  prepare?(spec: InstanceSpec): void;
  /** Removes what `prepare` made for instance `id` that no `start` took; resolves once it is gone. */
  discard?(id: string): Promise<void>;
  /** Removes what a crashed knit left in this runtime (e.g. its containers); returns how many. */
  reapOrphans?(): Promise<number>;
}

/** A runtime failure with Knative's reason (e.g. `ContainerMissing`); `cause` is the error it reports, if any. */
export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
  readonly reason: string;
  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}
