// knit's Prometheus metrics: Knative Serving's request, autoscaler and controller metrics with Knative's
// names and labels, a cold-start histogram, and Node.js process metrics (docs/configuration.md "Metrics").

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LABEL } from '../api/types.ts';
import type { RequestObserver } from '../dataplane/dispatcher.ts';
import type { QueueObserver } from '../controllers/queue.ts';
import type { PodSnapshot, WorkloadStatus } from '../runtime/instances.ts';
import type { ScalingSnapshot } from '../autoscaler/kpa.ts';

/** What the metrics read from the instance manager at scrape time. */
export interface InstancesView {
  keys(): string[];
  has(key: string): boolean;
  status(key: string): WorkloadStatus | undefined;
  pods(key: string): PodSnapshot[];
  dispatcher(key: string): { queued: number } | undefined;
}

/** What the metrics read from the autoscaler at scrape time. */
export interface ScalerView {
  snapshot(key: string): ScalingSnapshot | undefined;
}

/** The store lookup that gives a revision its service and configuration labels. */
export interface RevisionLabels {
  get(resource: 'revisions', namespace: string, name: string): { metadata: { labels?: Record<string, string> } } | undefined;
}

/**
 * The latency buckets of Knative's request metrics, in milliseconds (knative/serving pkg/metrics
 * `defaultLatencyDistribution`, shared by the queue-proxy and the activator).
 */
const LATENCY_MS = [5, 10, 20, 40, 60, 80, 100, 150, 200, 250, 300, 350, 400, 450, 500, 600, 700, 800, 900, 1000, 2000, 5000, 10000, 20000, 50000, 100000];
/** Cold starts take from tens of milliseconds (a process) to tens of seconds (an image pull). */
const COLD_START_MS = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000];
/** client-go's workqueue duration buckets (k8s.io/component-base/metrics/prometheus/workqueue): 10 µs to 10 s. */
const WORK_SECONDS = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10];

const REVISION_LABELS = ['namespace_name', 'service_name', 'configuration_name', 'revision_name'] as const;
type RevisionLabelSet = Record<(typeof REVISION_LABELS)[number], string>;

/** `2xx` for 200..299 (knative/pkg metrics/metricskey ResponseCodeClass). */
export function responseCodeClass(code: number): string {
  return `${Math.floor(code / 100)}xx`;
}

/** A histogram accumulated in plain numbers: `counts[i]` observations fell in (bounds[i-1], bounds[i]]. */
class Hist {
  readonly bounds: readonly number[];
  readonly counts: number[];
  sum = 0;
  n = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Array<number>(bounds.length).fill(0);
  }

  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]) i++;
    if (i < b.length) this.counts[i]++;
    this.sum += v;
    this.n++;
  }
}

/** One revision's requests with one response code. */
class CodeSeries {
  count = 0;
  appCount = 0;
  activatorCount = 0;
  readonly latency = new Hist(LATENCY_MS);
  readonly appLatency = new Hist(LATENCY_MS);
  readonly activatorLatency = new Hist(LATENCY_MS);
}

/**
 * One revision's request series in plain numbers, rendered at scrape time: a request costs a Map read, a few
 * additions and two bucket searches (prom-client's labelled children hash their labels on every call).
 */
class RevisionRecorder implements RequestObserver {
  readonly key: string;
  readonly labels: RevisionLabelSet;
  readonly codes = new Map<number, CodeSeries>();
  coldStart: Hist | undefined;

  constructor(key: string, labels: RevisionLabelSet) {
    this.key = key;
    this.labels = labels;
  }

  request(status: number, totalMs: number, appMs: number, queued: boolean): void {
    let s = this.codes.get(status);
    if (s === undefined) {
      s = new CodeSeries();
      this.codes.set(status, s);
    }
    s.count++;
    s.latency.observe(totalMs);
    if (appMs >= 0) {
      s.appCount++;
      s.appLatency.observe(appMs);
    }
    if (queued) {
      s.activatorCount++;
      s.activatorLatency.observe(totalMs);
    }
  }

  coldStarted(ms: number): void {
    (this.coldStart ??= new Hist(COLD_START_MS)).observe(ms);
  }
}

/** A label value in the text format (backslash, double quote and newline escaped). */
function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}="${labelValue(v)}"`).join(',');
}

/** The exposition of one counter family. */
function counterText(name: string, help: string, rows: [string, number][]): string {
  let out = `# HELP ${name} ${help}\n# TYPE ${name} counter\n`;
  for (const [labels, v] of rows) out += `${name}{${labels}} ${v}\n`;
  return out;
}

/** The exposition of one histogram family: cumulative buckets, +Inf, _sum, _count. */
function histogramText(name: string, help: string, rows: [string, Hist][]): string {
  let out = `# HELP ${name} ${help}\n# TYPE ${name} histogram\n`;
  for (const [labels, h] of rows) {
    let acc = 0;
    for (let i = 0; i < h.bounds.length; i++) {
      acc += h.counts[i];
      out += `${name}_bucket{${labels},le="${h.bounds[i]}"} ${acc}\n`;
    }
    out += `${name}_bucket{${labels},le="+Inf"} ${h.n}\n${name}_sum{${labels}} ${h.sum}\n${name}_count{${labels}} ${h.n}\n`;
  }
  return out;
}

/** One work queue's counters (client-go's workqueue metrics and knative/pkg's reconcile_count / reconcile_latency). */
class QueueRecorder implements QueueObserver {
  private readonly adds: Counter.Internal;
  private readonly retries: Counter.Internal;
  private readonly work: Histogram.Internal<string>;
  private readonly ok: { count: Counter.Internal; latency: Histogram.Internal<string> };
  private readonly failed: { count: Counter.Internal; latency: Histogram.Internal<string> };

  constructor(m: KnitMetrics, name: string) {
    this.adds = m.workqueueAdds.labels({ name });
    this.retries = m.workqueueRetries.labels({ name });
    this.work = m.workqueueWorkDuration.labels({ name });
    this.ok = { count: m.reconcileCount.labels({ reconciler: name, success: 'true' }), latency: m.reconcileLatency.labels({ reconciler: name, success: 'true' }) };
    this.failed = { count: m.reconcileCount.labels({ reconciler: name, success: 'false' }), latency: m.reconcileLatency.labels({ reconciler: name, success: 'false' }) };
  }

  added(): void {
    this.adds.inc();
  }

  retried(): void {
    this.retries.inc();
  }

  reconciled(ms: number, ok: boolean): void {
    const s = ok ? this.ok : this.failed;
    s.count.inc();
    s.latency.observe(ms);
    this.work.observe(ms / 1000);
  }
}

/** Every metric of one knit process, in its own registry (two knits in one process do not share counters). */
export class KnitMetrics {
  readonly registry = new Registry();
  private readonly instances: InstancesView;
  private readonly scaler: ScalerView;
  private readonly store: RevisionLabels;
  private readonly revisions = new Map<string, RevisionRecorder>();
  private readonly queues: { name: string; depth: () => number }[] = [];

  private readonly queueDepth: Gauge<string>;
  private readonly autoscaler: Record<string, Gauge<string>> = {};
  // Controllers.
  readonly reconcileCount: Counter<string>;
  readonly reconcileLatency: Histogram<string>;
  readonly workqueueAdds: Counter<string>;
  readonly workqueueRetries: Counter<string>;
  readonly workqueueWorkDuration: Histogram<string>;
  private readonly workqueueDepth: Gauge<string>;

  constructor(deps: { instances: InstancesView; scaler: ScalerView; store: RevisionLabels }) {
    this.instances = deps.instances;
    this.scaler = deps.scaler;
    this.store = deps.store;
    const registers = [this.registry];
    const counter = (name: string, help: string, labelNames: readonly string[]): Counter<string> => new Counter({ name, help, labelNames, registers });
    const histogram = (name: string, help: string, labelNames: readonly string[], buckets: number[]): Histogram<string> => new Histogram({ name, help, labelNames, buckets, registers });
    const gauge = (name: string, help: string, labelNames: readonly string[]): Gauge<string> => new Gauge({ name, help, labelNames, registers });

    this.queueDepth = gauge('revision_queue_depth', 'The number of requests waiting for an instance with room', REVISION_LABELS);

    const as: [string, string][] = [
      ['desired_pods', 'Number of pods autoscaler wants to allocate'],
      ['requested_pods', 'Number of pods autoscaler requested (the revision\'s scale)'],
      ['actual_pods', 'Number of pods that are allocated currently in ready state'],
      ['not_ready_pods', 'Number of pods that are running but not ready'],
      ['pending_pods', 'Number of pods waiting to be (re)started'],
      ['terminating_pods', 'Number of pods that are terminating currently'],
      ['stable_request_concurrency', 'Average of requests count per observed pod over the stable window'],
      ['panic_request_concurrency', 'Average of requests count per observed pod over the panic window'],
      ['target_concurrency_per_pod', 'The desired number of concurrent requests for each pod'],
      ['stable_requests_per_second', 'Average requests-per-second per observed pod over the stable window'],
      ['panic_requests_per_second', 'Average requests-per-second per observed pod over the panic window'],
      ['target_requests_per_second', 'The desired requests-per-second for each pod'],
      ['excess_burst_capacity', 'Excess burst capacity overserved over the stable window'],
      ['panic_mode', '1 if autoscaler is in panic mode, 0 otherwise'],
    ];
    for (const [n, help] of as) this.autoscaler[n] = gauge(`autoscaler_${n}`, help, REVISION_LABELS);

    this.reconcileCount = counter('reconcile_count_total', 'Number of reconcile operations', ['reconciler', 'success']);
    this.reconcileLatency = histogram('reconcile_latency', 'Latency of reconcile operations in milliseconds', ['reconciler', 'success'], LATENCY_MS);
    this.workqueueAdds = counter('workqueue_adds_total', 'Total number of adds handled by workqueue', ['name']);
    this.workqueueRetries = counter('workqueue_retries_total', 'Total number of retries handled by workqueue', ['name']);
    this.workqueueWorkDuration = histogram('workqueue_work_duration_seconds', 'How long in seconds processing an item from a workqueue takes', ['name'], WORK_SECONDS);
    this.workqueueDepth = gauge('workqueue_depth', 'Current depth of workqueue', ['name']);

    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters, which Prometheus' naming rules (promtool check metrics) refuse; the
    // per-type gauges nodejs_active_handles / _requests / _resources carry the same numbers.
    for (const n of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(n);
  }

  /** The request observer of a revision's dispatcher; one per revision key, so counters outlive its instances. */
  observer(key: string): RequestObserver {
    let r = this.revisions.get(key);
    if (r === undefined) {
      r = new RevisionRecorder(key, this.labelsOf(key));
      this.revisions.set(key, r);
    }
    return r;
  }

  /** Counts a work queue's adds, retries and reconciles; `depth` is read at scrape time. */
  queue(name: string, depth: () => number): QueueObserver {
    this.queues.push({ name, depth });
    return new QueueRecorder(this, name);
  }

  private labelsOf(key: string): RevisionLabelSet {
    const i = key.indexOf('/');
    const ns = key.slice(0, i);
    const name = key.slice(i + 1);
    const labels = this.store.get('revisions', ns, name)?.metadata.labels ?? {};
    return { namespace_name: ns, service_name: labels[LABEL.service] ?? '', configuration_name: labels[LABEL.configuration] ?? '', revision_name: name };
  }

  /** Brings the gauges up to date and forgets the series of revisions that are gone. */
  private refresh(): void {
    for (const g of [this.queueDepth, ...Object.values(this.autoscaler)]) g.reset();
    for (const key of this.revisions.keys()) if (!this.instances.has(key)) this.revisions.delete(key);
    const a = this.autoscaler;
    for (const key of this.instances.keys()) {
      const labels = this.revisions.get(key)?.labels ?? this.labelsOf(key);
      this.queueDepth.set(labels, this.instances.dispatcher(key)?.queued ?? 0);
      let ready = 0;
      let starting = 0;
      let waiting = 0;
      let terminating = 0;
      for (const p of this.instances.pods(key)) {
        if (p.deletedAt !== undefined || p.state === 'terminating') terminating++;
        else if (p.state === 'ready') ready++;
        else if (p.state === 'waiting') waiting++;
        else if (p.state === 'starting') starting++;
      }
      a.actual_pods.set(labels, ready);
      a.not_ready_pods.set(labels, starting);
      a.pending_pods.set(labels, waiting);
      a.terminating_pods.set(labels, terminating);
      const s = this.scaler.snapshot(key);
      if (s === undefined) continue;
      a.requested_pods.set(labels, s.requestedScale);
      if (s.desiredScale >= 0) a.desired_pods.set(labels, s.desiredScale);
      if (s.decider === undefined) continue;
      const d = s.decider;
      a.stable_request_concurrency.set(labels, d.stableConcurrency);
      a.panic_request_concurrency.set(labels, d.panicConcurrency);
      a.stable_requests_per_second.set(labels, d.stableRPS);
      a.panic_requests_per_second.set(labels, d.panicRPS);
      if (d.metric === 'rps') a.target_requests_per_second.set(labels, d.target);
      else a.target_concurrency_per_pod.set(labels, d.target);
      a.excess_burst_capacity.set(labels, d.excessBurstCapacity);
      a.panic_mode.set(labels, d.panicking ? 1 : 0);
    }
    this.workqueueDepth.reset();
    for (const q of this.queues) this.workqueueDepth.set({ name: q.name }, q.depth());
  }

  /** Knative's request metrics and the cold starts, from the revisions' recorders. */
  private requestText(): string {
    const count: [string, number][] = [];
    const app: [string, number][] = [];
    const act: [string, number][] = [];
    const lat: [string, Hist][] = [];
    const appLat: [string, Hist][] = [];
    const actLat: [string, Hist][] = [];
    const cold: [string, Hist][] = [];
    for (const r of this.revisions.values()) {
      for (const [code, s] of [...r.codes].sort((a, b) => a[0] - b[0])) {
        const l = labelText({ ...r.labels, response_code: String(code), response_code_class: responseCodeClass(code) });
        count.push([l, s.count]);
        lat.push([l, s.latency]);
        if (s.appCount > 0) {
          app.push([l, s.appCount]);
          appLat.push([l, s.appLatency]);
        }
        if (s.activatorCount > 0) {
          act.push([l, s.activatorCount]);
          actLat.push([l, s.activatorLatency]);
        }
      }
      if (r.coldStart) cold.push([labelText(r.labels), r.coldStart]);
    }
    return (
      counterText('revision_request_count_total', 'The number of requests that are routed to the revision (queue-proxy role)', count) +
      histogramText('revision_request_latencies', 'The response time in milliseconds, queueing included', lat) +
      counterText('revision_app_request_count_total', 'The number of requests that are answered by the user container', app) +
      histogramText('revision_app_request_latencies', 'The response time of the user container in milliseconds, from the request sent to it to its response complete', appLat) +
      counterText('activator_request_count_total', 'The number of requests that were buffered because no instance had room on arrival (activator role)', act) +
      histogramText('activator_request_latencies', 'The response time in milliseconds of the buffered requests', actLat) +
      histogramText('revision_cold_start_latencies', 'Cold starts: milliseconds from a request arriving at a revision with no ready instance to the first response byte from the instance started for it; _count is the number of cold starts', cold)
    );
  }

  /** The Prometheus text exposition. */
  async text(): Promise<string> {
    this.refresh();
    return `${this.requestText()}\n${await this.registry.metrics()}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
