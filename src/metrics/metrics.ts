// knit's Prometheus metrics: Knative Serving's request, autoscaler and controller metrics with Knative's
// names and labels, a cold-start histogram, and Node.js process metrics (docs/configuration.md "Metrics").

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

/** The exposition of one gauge family. */
function gaugeText(name: string, help: string, rows: [string, number][]): string {
  let out = `# HELP ${name} ${help}\n# TYPE ${name} gauge\n`;
  for (const [labels, v] of rows) out += `${name}{${labels}} ${v}\n`;
  return out;
}

/** knative/pkg metrics Buckets125(1, 10000): the brokers' dispatch latency buckets, in milliseconds. */
const BROKER_LATENCY_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

/** One label set's events and dispatch latencies. */
class EventSeries {
  readonly labels: string;
  /** The label values by name (the dashboard's summary reads them). */
  readonly raw: Readonly<Record<string, string>>;
  count = 0;
  constructor(labels: string, raw: Record<string, string>) {
    this.labels = labels;
    this.raw = raw;
  }
  readonly latency = new Hist(BROKER_LATENCY_MS);
}

/**
 * The brokers' metrics with Knative's names and labels (knative/eventing pkg/broker/ingress/stats_reporter.go and
 * pkg/broker/filter/stats_reporter.go, OpenCensus era, exported under their components `mt_broker_ingress` and
 * `mt_broker_filter` as Serving's are under theirs): `event_count` and `event_dispatch_latencies`.
 */
export class EventingRecorder {
  private readonly ingressSeries = new Map<string, EventSeries>();
  private readonly filterSeries = new Map<string, EventSeries>();

  /** Series are keyed by their raw label values; the label text is made once, when a series is new. */
  private static add(m: Map<string, EventSeries>, labels: Record<string, string>, ms: number): void {
    const k = Object.values(labels).join('\u0001');
    let s = m.get(k);
    if (s === undefined) {
      s = new EventSeries(labelText(labels), labels);
      m.set(k, s);
    }
    s.count++;
    s.latency.observe(ms);
  }

  /** An event the broker ingress answered (`ms`: until the answer, the durable write included). */
  ingress(namespace: string, broker: string, eventType: string, status: number, ms: number): void {
    EventingRecorder.add(this.ingressSeries, { namespace_name: namespace, broker_name: broker, event_type: eventType, response_code: String(status), response_code_class: responseCodeClass(status) }, ms);
  }

  /** One delivery attempt to a trigger's subscriber (status -1: no answer). */
  dispatch(namespace: string, broker: string, trigger: string, filterType: string, status: number, ms: number): void {
    const code = status < 0 ? 0 : status;
    EventingRecorder.add(this.filterSeries, { namespace_name: namespace, broker_name: broker, trigger_name: trigger, filter_type: filterType, response_code: String(code), response_code_class: responseCodeClass(code) }, ms);
  }

  /**
   * One namespace's counts as plain numbers, for the dashboard: events each broker accepted (2xx) and refused,
   * and delivery attempts per trigger that succeeded (2xx) and failed — the same series as the event_count counters.
   */
  summary(namespace: string): EventingSummary {
    const brokers = new Map<string, { broker: string; accepted: number; refused: number }>();
    for (const s of this.ingressSeries.values()) {
      if (s.raw.namespace_name !== namespace) continue;
      const b = brokers.get(s.raw.broker_name) ?? { broker: s.raw.broker_name, accepted: 0, refused: 0 };
      if (s.raw.response_code_class === '2xx') b.accepted += s.count;
      else b.refused += s.count;
      brokers.set(b.broker, b);
    }
    const triggers = new Map<string, { broker: string; trigger: string; delivered: number; failed: number }>();
    for (const s of this.filterSeries.values()) {
      if (s.raw.namespace_name !== namespace) continue;
      const t = triggers.get(s.raw.trigger_name) ?? { broker: s.raw.broker_name, trigger: s.raw.trigger_name, delivered: 0, failed: 0 };
      if (s.raw.response_code_class === '2xx') t.delivered += s.count;
      else t.failed += s.count;
      triggers.set(t.trigger, t);
    }
    return { brokers: [...brokers.values()], triggers: [...triggers.values()] };
  }

  text(): string {
    if (this.ingressSeries.size === 0 && this.filterSeries.size === 0) return '';
    const rows = (m: Map<string, EventSeries>): [string, EventSeries][] => [...m.values()].map((x): [string, EventSeries] => [x.labels, x]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const i = rows(this.ingressSeries);
    const f = rows(this.filterSeries);
    return (
      counterText('mt_broker_ingress_event_count_total', 'Number of events received by a Broker', i.map(([l, s]) => [l, s.count])) +
      histogramText('mt_broker_ingress_event_dispatch_latencies', 'The time spent dispatching an event to a Channel (knit: storing it in the durable queue), in milliseconds', i.map(([l, s]) => [l, s.latency])) +
      counterText('mt_broker_filter_event_count_total', 'Number of events received by a Trigger', f.map(([l, s]) => [l, s.count])) +
      histogramText('mt_broker_filter_event_dispatch_latencies', 'The time spent dispatching an event to a Trigger subscriber, in milliseconds', f.map(([l, s]) => [l, s.latency]))
    );
  }
}

/** One work queue's counts (client-go's workqueue metrics and knative/pkg's reconcile_count / reconcile_latency). */
class QueueRecorder implements QueueObserver {
  readonly name: string;
  readonly depth: () => number;
  adds = 0;
  retries = 0;
  readonly work = new Hist(WORK_SECONDS);
  readonly ok = { count: 0, latency: new Hist(LATENCY_MS) };
  readonly failed = { count: 0, latency: new Hist(LATENCY_MS) };

  constructor(name: string, depth: () => number) {
    this.name = name;
    this.depth = depth;
  }

  added(): void {
    this.adds++;
  }

  retried(): void {
    this.retries++;
  }

  reconciled(ms: number, ok: boolean): void {
    const s = ok ? this.ok : this.failed;
    s.count++;
    s.latency.observe(ms);
    this.work.observe(ms / 1000);
  }
}

/** Knative's autoscaler gauges (knative/docs serving-metrics "Autoscaler"), in exposition order. */
const AUTOSCALER_GAUGES: [keyof ScalerRow, string][] = [
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

type ScalerRow = Partial<Record<
  'desired_pods' | 'requested_pods' | 'actual_pods' | 'not_ready_pods' | 'pending_pods' | 'terminating_pods' | 'stable_request_concurrency' | 'panic_request_concurrency' |
  'target_concurrency_per_pod' | 'stable_requests_per_second' | 'panic_requests_per_second' | 'target_requests_per_second' | 'excess_burst_capacity' | 'panic_mode',
  number
>>;

/**
 * Every metric of one knit process (two knits in one process share nothing). Knative's metrics are kept in
 * plain numbers and rendered here; prom-client supplies the Node.js process metrics, loaded by `start()` once
 * knit serves, so that it costs nothing on the way up.
 */
/** One revision's counters since knit started (they outlive its instances). */
/** EventingRecorder.summary: one namespace's broker and trigger counts. */
export interface EventingSummary {
  brokers: { broker: string; accepted: number; refused: number }[];
  triggers: { broker: string; trigger: string; delivered: number; failed: number }[];
}

export interface RevisionSummary {
  revision: string;
  service: string;
  requests: number;
  errors5xx: number;
  latencySumMs: number;
  coldStarts: number;
  coldStartSumMs: number;
}

export class KnitMetrics {
  private readonly instances: InstancesView;
  private readonly scaler: ScalerView;
  private readonly store: RevisionLabels;
  private readonly revisions = new Map<string, RevisionRecorder>();
  private readonly queues: QueueRecorder[] = [];
  /** The brokers' ingress and delivery metrics (src/eventing). */
  readonly eventing = new EventingRecorder();
  private processMetrics: Promise<{ metrics(): Promise<string>; contentType: string } | undefined> | undefined;

  constructor(deps: { instances: InstancesView; scaler: ScalerView; store: RevisionLabels }) {
    this.instances = deps.instances;
    this.scaler = deps.scaler;
    this.store = deps.store;
  }

  /** Starts prom-client's Node.js process metrics (default metrics, in this knit's own registry). */
  start(): Promise<unknown> {
    this.processMetrics ??= import('prom-client').then(
      ({ Registry, collectDefaultMetrics }) => {
        const registry = new Registry();
        collectDefaultMetrics({ register: registry });
        // Gauges named like counters, which Prometheus' naming rules (promtool check metrics) refuse; the
        // per-type gauges nodejs_active_handles / _requests / _resources carry the same numbers.
        for (const n of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(n);
        return registry;
      },
      (err: unknown) => {
        console.error(`knit: the Node.js process metrics are unavailable: ${(err as Error).message}`);
        return undefined;
      },
    );
    return this.processMetrics;
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
    const q = new QueueRecorder(name, depth);
    this.queues.push(q);
    return q;
  }

  private labelsOf(key: string): RevisionLabelSet {
    const i = key.indexOf('/');
    const ns = key.slice(0, i);
    const name = key.slice(i + 1);
    const labels = this.store.get('revisions', ns, name)?.metadata.labels ?? {};
    return { namespace_name: ns, service_name: labels[LABEL.service] ?? '', configuration_name: labels[LABEL.configuration] ?? '', revision_name: name };
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

  /** Queue depth, pod counts and the autoscaler's view of every live revision, read now. */
  private revisionGaugesText(): string {
    const depth: [string, number][] = [];
    const rows: [string, ScalerRow][] = [];
    for (const key of this.instances.keys()) {
      const l = labelText(this.revisions.get(key)?.labels ?? this.labelsOf(key));
      depth.push([l, this.instances.dispatcher(key)?.queued ?? 0]);
      const row: ScalerRow = { actual_pods: 0, not_ready_pods: 0, pending_pods: 0, terminating_pods: 0 };
      for (const p of this.instances.pods(key)) {
        if (p.deletedAt !== undefined || p.state === 'terminating') row.terminating_pods!++;
        else if (p.state === 'ready') row.actual_pods!++;
        else if (p.state === 'waiting') row.pending_pods!++;
        else if (p.state === 'starting') row.not_ready_pods!++;
      }
      const s = this.scaler.snapshot(key);
      if (s !== undefined) {
        row.requested_pods = s.requestedScale;
        if (s.desiredScale >= 0) row.desired_pods = s.desiredScale;
        const d = s.decider;
        if (d !== undefined) {
          row.stable_request_concurrency = d.stableConcurrency;
          row.panic_request_concurrency = d.panicConcurrency;
          row.stable_requests_per_second = d.stableRPS;
          row.panic_requests_per_second = d.panicRPS;
          if (d.metric === 'rps') row.target_requests_per_second = d.target;
          else row.target_concurrency_per_pod = d.target;
          row.excess_burst_capacity = d.excessBurstCapacity;
          row.panic_mode = d.panicking ? 1 : 0;
        }
      }
      rows.push([l, row]);
    }
    let out = gaugeText('revision_queue_depth', 'The number of requests waiting for an instance with room', depth);
    for (const [name, help] of AUTOSCALER_GAUGES) {
      const present: [string, number][] = [];
      for (const [l, row] of rows) if (row[name] !== undefined) present.push([l, row[name]]);
      out += gaugeText(`autoscaler_${name}`, help, present);
    }
    return out;
  }

  private controllerText(): string {
    const q = this.queues;
    const byName = (f: (x: QueueRecorder) => number): [string, number][] => q.map((x) => [labelText({ name: x.name }), f(x)]);
    const reconciles: [string, number][] = [];
    const latencies: [string, Hist][] = [];
    for (const x of q) {
      for (const [success, s] of [['true', x.ok], ['false', x.failed]] as const) {
        const l = labelText({ reconciler: x.name, success });
        reconciles.push([l, s.count]);
        latencies.push([l, s.latency]);
      }
    }
    return (
      counterText('reconcile_count_total', 'Number of reconcile operations', reconciles) +
      histogramText('reconcile_latency', 'Latency of reconcile operations in milliseconds', latencies) +
      gaugeText('workqueue_depth', 'Current depth of workqueue', byName((x) => x.depth())) +
      counterText('workqueue_adds_total', 'Total number of adds handled by workqueue', byName((x) => x.adds)) +
      counterText('workqueue_retries_total', 'Total number of retries handled by workqueue', byName((x) => x.retries)) +
      histogramText('workqueue_work_duration_seconds', 'How long in seconds processing an item from a workqueue takes', q.map((x) => [labelText({ name: x.name }), x.work]))
    );
  }

  /** Called before each scrape (gateway threads hand over the requests they counted, so a scrape misses none). */
  beforeScrape: (() => Promise<void>) | undefined;

  /** The Prometheus text exposition (0.0.4): Knative's metrics, then the Node.js process metrics. */
  async text(): Promise<string> {
    await this.beforeScrape?.();
    for (const key of this.revisions.keys()) if (!this.instances.has(key)) this.revisions.delete(key);
    const own = this.requestText() + this.revisionGaugesText() + this.controllerText() + this.eventing.text();
    const proc = (await this.start()) as { metrics(): Promise<string> } | undefined;
    return proc === undefined ? own : `${own}${await proc.metrics()}`;
  }

  /**
   * The request and cold-start counters of one namespace's revisions as plain numbers, for the dashboard
   * (docs/configuration.md "Dashboard"): the same series as `revision_request_count` and the cold-start histogram.
   */
  revisionSummary(namespace: string): RevisionSummary[] {
    const out: RevisionSummary[] = [];
    for (const r of this.revisions.values()) {
      if (r.labels.namespace_name !== namespace) continue;
      let requests = 0;
      let errors = 0;
      let latencyMs = 0;
      for (const [code, c] of r.codes) {
        requests += c.count;
        if (code >= 500) errors += c.count;
        latencyMs += c.latency.sum;
      }
      out.push({ revision: r.labels.revision_name, service: r.labels.service_name, requests, errors5xx: errors, latencySumMs: latencyMs, coldStarts: r.coldStart?.n ?? 0, coldStartSumMs: r.coldStart?.sum ?? 0 });
    }
    return out;
  }

  /** The text format's content type. */
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
}
