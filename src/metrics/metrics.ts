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
const REQUEST_LABELS = [...REVISION_LABELS, 'response_code', 'response_code_class'] as const;
type RevisionLabelSet = Record<(typeof REVISION_LABELS)[number], string>;

/** `2xx` for 200..299 (knative/pkg metrics/metricskey ResponseCodeClass). */
export function responseCodeClass(code: number): string {
  return `${Math.floor(code / 100)}xx`;
}

interface CodeSeries {
  count: Counter.Internal;
  latency: Histogram.Internal<string>;
  appCount: Counter.Internal;
  appLatency: Histogram.Internal<string>;
  activatorCount: Counter.Internal;
  activatorLatency: Histogram.Internal<string>;
}

/** One revision's request series: children bound once per response code, so a request costs two Map reads. */
class RevisionRecorder implements RequestObserver {
  readonly key: string;
  readonly labels: RevisionLabelSet;
  private readonly m: KnitMetrics;
  readonly codes = new Map<number, CodeSeries>();
  coldStart: Histogram.Internal<string> | undefined;

  constructor(m: KnitMetrics, key: string, labels: RevisionLabelSet) {
    this.m = m;
    this.key = key;
    this.labels = labels;
  }

  private series(status: number): CodeSeries {
    let s = this.codes.get(status);
    if (s === undefined) {
      const l = { ...this.labels, response_code: String(status), response_code_class: responseCodeClass(status) };
      const m = this.m;
      s = {
        count: m.requestCount.labels(l),
        latency: m.requestLatencies.labels(l),
        appCount: m.appRequestCount.labels(l),
        appLatency: m.appRequestLatencies.labels(l),
        activatorCount: m.activatorRequestCount.labels(l),
        activatorLatency: m.activatorRequestLatencies.labels(l),
      };
      this.codes.set(status, s);
    }
    return s;
  }

  request(status: number, totalMs: number, appMs: number, queued: boolean): void {
    const s = this.series(status);
    s.count.inc();
    s.latency.observe(totalMs);
    if (appMs >= 0) {
      s.appCount.inc();
      s.appLatency.observe(appMs);
    }
    if (queued) {
      s.activatorCount.inc();
      s.activatorLatency.observe(totalMs);
    }
  }

  coldStarted(ms: number): void {
    this.coldStart ??= this.m.coldStartLatencies.labels(this.labels);
    this.coldStart.observe(ms);
  }
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

  // Knative's queue-proxy request metrics (revision_*), the activator's (activator_*).
  readonly requestCount: Counter<string>;
  readonly requestLatencies: Histogram<string>;
  readonly appRequestCount: Counter<string>;
  readonly appRequestLatencies: Histogram<string>;
  readonly activatorRequestCount: Counter<string>;
  readonly activatorRequestLatencies: Histogram<string>;
  readonly coldStartLatencies: Histogram<string>;
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

    this.requestCount = counter('revision_request_count_total', 'The number of requests that are routed to the revision (queue-proxy role)', REQUEST_LABELS);
    this.requestLatencies = histogram('revision_request_latencies', 'The response time in milliseconds, queueing included', REQUEST_LABELS, LATENCY_MS);
    this.appRequestCount = counter('revision_app_request_count_total', 'The number of requests that are answered by the user container', REQUEST_LABELS);
    this.appRequestLatencies = histogram('revision_app_request_latencies', 'The response time of the user container in milliseconds, from the request sent to it to its response complete', REQUEST_LABELS, LATENCY_MS);
    this.activatorRequestCount = counter('activator_request_count_total', 'The number of requests that were buffered because no instance had room on arrival (activator role)', REQUEST_LABELS);
    this.activatorRequestLatencies = histogram('activator_request_latencies', 'The response time in milliseconds of the buffered requests', REQUEST_LABELS, LATENCY_MS);
    this.coldStartLatencies = histogram('revision_cold_start_latencies', 'Cold starts: milliseconds from a request arriving at a revision with no ready instance to the first response byte from the instance started for it; _count is the number of cold starts', REVISION_LABELS, COLD_START_MS);
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
      r = new RevisionRecorder(this, key, this.labelsOf(key));
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
    for (const [key, r] of this.revisions) {
      if (this.instances.has(key)) continue;
      this.revisions.delete(key);
      for (const code of r.codes.keys()) {
        const l = { ...r.labels, response_code: String(code), response_code_class: responseCodeClass(code) };
        for (const m of [this.requestCount, this.appRequestCount, this.activatorRequestCount]) m.remove(l);
        for (const m of [this.requestLatencies, this.appRequestLatencies, this.activatorRequestLatencies]) m.remove(l);
      }
      if (r.coldStart) this.coldStartLatencies.remove(r.labels);
    }
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

  /** The Prometheus text exposition. */
  async text(): Promise<string> {
    this.refresh();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
