// The live KPA: feeds each revision's decider with the data plane's per-second stats, ticks
// every 2 s (at once on a request to a revision at zero), and applies the scale to its instances.

import type { AutoscalerConfig } from '../api/config.ts';
import { Decider, RevisionMetrics, TICK_INTERVAL_MS, deciderSpecFor, type ScalingMetric } from './decider.ts';
import { decideScale, scalerSettingsFor, type ActiveReason, type ActiveState, type ScalerSettings } from './scaler.ts';
import { HPA_CLASS, hpaDesiredReplicas, hpaSpecFor, type HPASpec } from './hpa.ts';
import { MaxTimeWindow } from './window.ts';
import { parseQuantity } from '../api/go-values.ts';

/** What the autoscaler needs from the instance manager. */
export interface ScaleTarget {
  status(key: string): { ready: number } | undefined;
  setScale(key: string, n: number): void;
  /** Average concurrency and request count since the previous call (the queue-proxy report). */
  report(key: string): { averageConcurrency: number; requestCount: number; seconds: number } | undefined;
  /** Average CPU (cores) and resident memory per ready instance (the HPA class's input). */
  usage(key: string): { cpuCores: number; rssBytes: number; instances: number } | undefined;
  /** The most instances the revision can get now (its GPUs); undefined when unbounded. */
  capacity?(key: string): number | undefined;
}

/** The inputs of one revision's autoscaling, from its spec and labels. */
export interface RevisionScaling {
  annotations: Record<string, string>;
  containerConcurrency: number;
  /** False for revisions no route references (routingState reserve). */
  reachable: boolean;
  progressDeadlineSeconds: number;
  /** The serving container's CPU request or limit, in cores (the HPA's 100%); 1 core when unset. */
  cpuRequestCores?: number;
}

/** The CPU base of utilization: the request, else the limit, else one core. */
export function cpuCoresOf(resources: { requests?: Record<string, string>; limits?: Record<string, string> } | undefined): number {
  const q = resources?.requests?.cpu ?? resources?.limits?.cpu;
  const v = q === undefined ? null : parseQuantity(q);
  return v && v > 0 ? v : 1;
}

/** Kubernetes' default when an HPA names no target: 80% CPU utilization. */
const HPA_DEFAULT_CPU_UTILIZATION = 80;
/** Kubernetes' default scale-down stabilization window. */
const HPA_DEFAULT_STABILIZATION_SECONDS = 300;

/** The PodAutoscaler status knit reports on the Revision. */
export interface AutoscalerState {
  /** Replicas the revision is asked to run. */
  scale: number;
  /** The decider's desired scale; -1 while unknown. */
  desiredScale: number;
  active: ActiveState;
  reason: ActiveReason | undefined;
  scaleTargetInitialized: boolean;
}

/** A read-only view of one revision's scaling, for the metrics (Knative's autoscaler_* gauges). */
export interface ScalingSnapshot {
  requestedScale: number;
  /** -1 while unknown. */
  desiredScale: number;
  /** The KPA decider's view; undefined for the HPA class. */
  decider?: {
    metric: ScalingMetric;
    target: number;
    stableConcurrency: number;
    panicConcurrency: number;
    stableRPS: number;
    panicRPS: number;
    excessBurstCapacity: number;
    panicking: boolean;
  };
}

interface RevisionState {
  input: RevisionScaling;
  decider: Decider;
  /** The decider's windows (read by `snapshot`). */
  windows: RevisionMetrics;
  settings: ScalerSettings;
  state: AutoscalerState;
  activeSinceMs: number;
  timer: NodeJS.Timeout | undefined;
  /** Set for class hpa.autoscaling.knative.dev: scaling on measured CPU or memory, never to zero. */
  hpa: { spec: HPASpec; downWindow: MaxTimeWindow } | undefined;
}

/** One per knit process. */
export class Autoscaler {
  private readonly config: AutoscalerConfig;
  private readonly target: ScaleTarget;
  private readonly now: () => number;
  private readonly revisions = new Map<string, RevisionState>();
  private collectTimer: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  /** Called when a revision's AutoscalerState changed. */
  onChange: (key: string) => void = () => {};

  constructor(config: AutoscalerConfig, target: ScaleTarget, now: () => number = () => Date.now()) {
    this.config = config;
    this.target = target;
    this.now = now;
  }

  start(): void {
    this.collectTimer = setInterval(() => this.collect(), 1000);
    this.tickTimer = setInterval(() => {
      for (const key of this.revisions.keys()) this.evaluate(key, true);
    }, TICK_INTERVAL_MS);
    this.collectTimer.unref();
    this.tickTimer.unref();
  }

  stop(): void {
    clearInterval(this.collectTimer);
    clearInterval(this.tickTimer);
    for (const r of this.revisions.values()) clearTimeout(r.timer);
  }

  /**
   * Registers a revision (its instances start at the initial scale, as a new Deployment does) or
   * follows a change of its inputs (e.g. it became unreachable).
   */
  ensure(key: string, input: RevisionScaling): void {
    const nowMs = this.now();
    const existing = this.revisions.get(key);
    const spec = deciderSpecFor(input.annotations, input.containerConcurrency, this.config, input.reachable);
    const settings = scalerSettingsFor(input.annotations, this.config, input.reachable, input.progressDeadlineSeconds);
    if (existing) {
      if (existing.input.reachable === input.reachable && existing.input.progressDeadlineSeconds === input.progressDeadlineSeconds) return;
      existing.input = input;
      existing.settings = settings;
      existing.decider.update(spec, nowMs);
      this.evaluate(key, true);
      return;
    }
    const hpa = input.annotations['autoscaling.knative.dev/class'] === HPA_CLASS ? hpaSpecFor(input.annotations, this.config, input.reachable) : undefined;
    const initial = hpa ? Math.max(settings.initialScale, hpa.minReplicas) : input.reachable ? settings.initialScale : 0;
    const windows = new RevisionMetrics(spec);
    const r: RevisionState = {
      input,
      decider: new Decider(spec, nowMs, this.target.status(key)?.ready ?? 0, windows),
      windows,
      settings,
      state: { scale: initial, desiredScale: -1, active: 'Activating', reason: 'Queued', scaleTargetInitialized: false },
      activeSinceMs: nowMs,
      timer: undefined,
      hpa: hpa ? { spec: hpa, downWindow: new MaxTimeWindow(hpa.stabilizationWindowSeconds ?? HPA_DEFAULT_STABILIZATION_SECONDS, 2) } : undefined,
    };
    this.revisions.set(key, r);
    this.target.setScale(key, initial);
    this.evaluate(key, false);
  }

  remove(key: string): void {
    const r = this.revisions.get(key);
    if (!r) return;
    clearTimeout(r.timer);
    this.revisions.delete(key);
  }

  state(key: string): AutoscalerState | undefined {
    const r = this.revisions.get(key);
    return r ? { ...r.state } : undefined;
  }

  /** The scaling state and the decider's window averages, without changing anything. */
  snapshot(key: string): ScalingSnapshot | undefined {
    const r = this.revisions.get(key);
    if (!r) return undefined;
    const out: ScalingSnapshot = { requestedScale: r.state.scale, desiredScale: r.state.desiredScale };
    if (r.hpa) return out;
    const nowMs = this.now();
    const spec = r.decider.currentSpec;
    const c = r.windows.observe(nowMs, 'concurrency');
    const q = r.windows.observe(nowMs, 'rps');
    out.decider = {
      metric: spec.metric,
      target: spec.targetValue,
      stableConcurrency: c.stable,
      panicConcurrency: c.panic,
      stableRPS: q.stable,
      panicRPS: q.panic,
      excessBurstCapacity: r.decider.status.excessBurstCapacity,
      panicking: r.decider.panicking,
    };
    return out;
  }

  /** A request is waiting for a revision with no instance: Knative's immediate stat and poke. */
  poke(key: string): void {
    const r = this.revisions.get(key);
    if (!r) return;
    r.decider.record(this.now(), { concurrency: 1, rps: 1 });
    this.evaluate(key, true);
  }

  /** The ready count changed: recompute Active without a decider tick. */
  readyChanged(key: string): void {
    this.evaluate(key, false);
  }

  private collect(): void {
    const nowMs = this.now();
    for (const [key, r] of this.revisions) {
      const rep = this.target.report(key);
      if (!rep) continue;
      const rps = rep.seconds > 0 ? rep.requestCount / rep.seconds : 0;
      if (r.decider.record(nowMs, { concurrency: rep.averageConcurrency, rps })) this.evaluate(key, true);
    }
  }

  /** The HPA class: Kubernetes' replica formula on measured use; the floor is 1, never zero. */
  private evaluateHPA(key: string, r: RevisionState, tick: boolean): void {
    const hpa = r.hpa!;
    const readyPods = this.target.status(key)?.ready ?? 0;
    const before = JSON.stringify(r.state);
    let scale = r.state.scale;
    if (tick && readyPods > 0) {
      const use = this.target.usage(key);
      const t = hpa.spec.target;
      let desired = scale;
      if (use && use.instances > 0) {
        if (t && 'averageValueBytes' in t) {
          desired = hpaDesiredReplicas(scale, use.rssBytes, t.averageValueBytes, hpa.spec.minReplicas, hpa.spec.maxReplicas);
        } else {
          const utilization = (use.cpuCores / (r.input.cpuRequestCores ?? 1)) * 100;
          const target = t && 'averageUtilization' in t ? t.averageUtilization : HPA_DEFAULT_CPU_UTILIZATION;
          desired = hpaDesiredReplicas(scale, utilization, target, hpa.spec.minReplicas, hpa.spec.maxReplicas);
        }
      }
      desired = this.capped(key, desired);
      // Scale up at once; scale down only to the highest recommendation of the stabilization window.
      hpa.downWindow.record(this.now(), desired);
      scale = desired > scale ? desired : Math.min(scale, hpa.downWindow.current());
    }
    if (scale !== r.state.scale) this.target.setScale(key, scale);
    const active: ActiveState = readyPods > 0 ? 'Active' : 'Activating';
    r.state = { scale, desiredScale: scale, active, reason: active === 'Active' ? undefined : 'Queued', scaleTargetInitialized: r.state.scaleTargetInitialized || readyPods > 0 };
    if (JSON.stringify(r.state) !== before) this.onChange(key);
  }

  /**
   * The decider's wish, never more than the instances the revision can get (a GPU revision: one
   * per free device set). Explicit bounds (min-scale, initial scale) still apply afterwards, so a
   * revision that must run more than fit has pending replicas that say why.
   */
  private capped(key: string, desired: number): number {
    const cap = this.target.capacity?.(key);
    return cap !== undefined && desired > cap ? cap : desired;
  }

  private evaluate(key: string, tick: boolean): void {
    const r = this.revisions.get(key);
    if (!r) return;
    if (r.hpa) {
      this.evaluateHPA(key, r, tick);
      return;
    }
    const nowMs = this.now();
    const readyPods = this.target.status(key)?.ready ?? 0;
    const desired = this.capped(key, tick ? r.decider.scale(nowMs, readyPods).desiredScale : r.decider.status.desiredScale);
    const d = decideScale({
      nowMs,
      desiredScale: desired,
      settings: r.settings,
      active: r.state.active,
      activeSinceMs: r.activeSinceMs,
      reason: r.state.reason,
      scaleTargetInitialized: r.state.scaleTargetInitialized,
      currentScale: r.state.scale,
      readyPods,
    });
    const before = JSON.stringify(r.state);
    const previousScale = r.state.scale;
    if (d.active !== r.state.active) r.activeSinceMs = nowMs;
    r.state = {
      scale: d.scale,
      desiredScale: d.desiredScale >= 0 ? d.desiredScale : r.state.desiredScale,
      active: d.active,
      reason: d.reason,
      scaleTargetInitialized: d.scaleTargetInitialized,
    };
    if (previousScale !== d.scale) this.target.setScale(key, d.scale);
    clearTimeout(r.timer);
    r.timer = undefined;
    if (d.requeueAfterMs !== undefined) {
      r.timer = setTimeout(() => this.evaluate(key, false), Math.max(1, d.requeueAfterMs));
      r.timer.unref();
    }
    if (JSON.stringify(r.state) !== before) this.onChange(key);
  }
}
