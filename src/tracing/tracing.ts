// OpenTelemetry traces of the data plane: config-observability's tracing keys, and the spans of one request
// through the gateway and dispatcher (gateway_receive, queue_wait, cold_start, upstream_call), exported over
// OTLP/HTTP; W3C traceparent continued from the caller and passed to the instance (docs/configuration.md "Tracing").

import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ConsoleSpanExporter, ParentBasedSampler, TraceIdRatioBasedSampler, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';

/** config-observability's tracing keys (knative.dev/pkg observability/tracing Config). */
export interface TracingConfig {
  /** `none` (default), `http/protobuf` (OTLP over HTTP) or `stdout`. */
  protocol: 'none' | 'http/protobuf' | 'stdout';
  /** The OTLP/HTTP traces URL, e.g. http://127.0.0.1:4318/v1/traces. */
  endpoint: string;
  /** 0..1; a caller's sampled flag decides for its own traces (parent-based). */
  samplingRate: number;
}

export function defaultTracingConfig(): TracingConfig {
  return { protocol: 'none', endpoint: '', samplingRate: 0 };
}

/**
 * Reads the `observability:` section of `knit serve --config` (the keys of Knative's config-observability)
 * and validates it as knative.dev/pkg observability/tracing Config.Validate does. Throws listing every problem.
 */
export function parseObservability(raw: unknown): TracingConfig {
  const c = defaultTracingConfig();
  if (raw === undefined || raw === null) return c;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new Error('observability: expected a mapping of keys to values');
  const problems: string[] = [];
  for (const [key, v] of Object.entries(raw as Record<string, unknown>)) {
    const value = typeof v === 'string' ? v.trim() : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;
    if (value === undefined) {
      problems.push(`observability.${key}: expected a string or number`);
      continue;
    }
    switch (key) {
      case 'tracing-protocol':
        if (value === 'grpc') problems.push('observability.tracing-protocol: "grpc" is not supported by knit; use "http/protobuf" (OTLP over HTTP)');
        else if (value === 'none' || value === 'http/protobuf' || value === 'stdout') c.protocol = value;
        else problems.push(`observability.tracing-protocol: unsupported protocol ${JSON.stringify(value)}`);
        break;
      case 'tracing-endpoint':
        c.endpoint = value;
        break;
      case 'tracing-sampling-rate': {
        const n = Number(value);
        if (value === '' || !Number.isFinite(n)) problems.push(`observability.tracing-sampling-rate: failed to parse ${JSON.stringify(value)} as a number`);
        else c.samplingRate = n;
        break;
      }
      default:
        problems.push(`observability: unknown key ${JSON.stringify(key)} (knit reads tracing-protocol, tracing-endpoint and tracing-sampling-rate; metrics are always served on --metrics)`);
    }
  }
  if (problems.length === 0) {
    if (c.protocol === 'http/protobuf') {
      if (c.endpoint === '') problems.push('observability: endpoint should be set for protocol "http/protobuf"');
      else {
        let url: URL | undefined;
        try {
          url = new URL(c.endpoint);
        } catch {
          url = undefined;
        }
        if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) problems.push(`observability.tracing-endpoint: want an http:// or https:// URL, was ${JSON.stringify(c.endpoint)}`);
      }
    } else if (c.endpoint !== '') problems.push(`observability: endpoint should not be set when protocol is ${JSON.stringify(c.protocol)}`);
    if (c.samplingRate < 0) problems.push(`observability: sampling rate ${c.samplingRate} should be greater or equal to zero`);
    else if (c.samplingRate > 1) problems.push(`observability: sampling rate ${c.samplingRate} should be less than or equal to one`);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return c;
}

const propagator = new W3CTraceContextPropagator();
const getter = {
  keys: (c: TraceHeaders): string[] => Object.keys(c),
  get: (c: TraceHeaders, k: string): string | undefined => (k === 'traceparent' ? c.traceparent : k === 'tracestate' ? c.tracestate : undefined),
};
const setter = {
  set: (c: TraceHeaders, k: string, v: string): void => {
    if (k === 'traceparent') c.traceparent = v;
    else if (k === 'tracestate') c.tracestate = v;
  },
};

/** The W3C trace context headers of a request. */
export interface TraceHeaders {
  traceparent?: string;
  tracestate?: string;
}

/** One request's spans: gateway_receive (server), queue_wait and cold_start while it waits, upstream_call (client). */
export class RequestTrace {
  private readonly tracer: Tracer;
  private readonly root: Span;
  private readonly rootCtx: Context;
  private queue: Span | undefined;
  private cold: Span | undefined;
  private upstreamSpan: Span | undefined;

  constructor(tracer: Tracer, parent: Context, attrs: { host: string; revision: string; method: string }) {
    this.tracer = tracer;
    this.root = tracer.startSpan('gateway_receive', { kind: SpanKind.SERVER, attributes: { 'http.request.method': attrs.method, 'server.address': attrs.host, 'kn.revision.key': attrs.revision } }, parent);
    this.rootCtx = trace.setSpan(parent, this.root);
  }

  /** The request waits for an instance with room; `cold` when the revision has no ready instance. */
  queued(cold: boolean): void {
    this.queue = this.tracer.startSpan('queue_wait', {}, this.rootCtx);
    if (cold) this.cold = this.tracer.startSpan('cold_start', {}, trace.setSpan(this.rootCtx, this.queue));
  }

  /** It got an instance (or gave up waiting). */
  admitted(): void {
    this.cold?.end();
    this.cold = undefined;
    this.queue?.end();
    this.queue = undefined;
  }

  /** Starts the upstream call (once; a retry stays in it) and returns the traceparent to send to the instance. */
  upstream(instance: string): string {
    this.upstreamSpan ??= this.tracer.startSpan('upstream_call', { kind: SpanKind.CLIENT, attributes: { 'kn.instance.id': instance } }, this.rootCtx);
    const out: TraceHeaders = {};
    propagator.inject(trace.setSpan(this.rootCtx, this.upstreamSpan), out, setter);
    return out.traceparent ?? '';
  }

  /** The request is done; `status` is what the client got (0: nothing, it went away or was cut). */
  end(status: number): void {
    this.admitted();
    const failed = status === 0 || status >= 500;
    for (const s of [this.upstreamSpan, this.root]) {
      if (s === undefined) continue;
      if (status > 0) s.setAttribute('http.response.status_code', status);
      if (failed) s.setStatus({ code: SpanStatusCode.ERROR });
      s.end();
    }
    this.upstreamSpan = undefined;
  }
}

/** The tracer of one knit process; undefined (no SDK at all) when tracing-protocol is none. */
export class Tracing {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;

  private constructor(exporter: SpanExporter, samplingRate: number) {
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'knit' }),
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(samplingRate) }),
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })],
    });
    this.tracer = this.provider.getTracer('knit-dataplane');
  }

  static from(cfg: TracingConfig): Tracing | undefined {
    if (cfg.protocol === 'none') return undefined;
    const exporter = cfg.protocol === 'stdout' ? new ConsoleSpanExporter() : new OTLPTraceExporter({ url: cfg.endpoint });
    return new Tracing(exporter, cfg.samplingRate);
  }

  /** Starts a request's trace, continuing the caller's W3C trace context if it sent one. */
  begin(headers: TraceHeaders, attrs: { host: string; revision: string; method: string }): RequestTrace {
    const parent = headers.traceparent !== undefined ? propagator.extract(ROOT_CONTEXT, headers, getter) : ROOT_CONTEXT;
    return new RequestTrace(this.tracer, parent, attrs);
  }

  /** Sends what is buffered and stops; a collector that does not answer holds knit's stop for 3 s at most. */
  async shutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 3000);
      timer.unref();
    });
    try {
      await Promise.race([this.provider.shutdown(), late]);
    } catch (err) {
      console.error(`knit: exporting the last traces failed: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
}
