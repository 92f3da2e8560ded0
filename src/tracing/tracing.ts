// OpenTelemetry traces of the data plane: the spans of one request through the gateway and dispatcher
// (gateway_receive, queue_wait, cold_start, upstream_call), exported over OTLP/HTTP; the W3C traceparent is
// continued from the caller and passed to the instance (docs/configuration.md "Tracing"). Loaded only when on.

import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ConsoleSpanExporter, ParentBasedSampler, TraceIdRatioBasedSampler, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { TraceHeaders, TracingConfig } from './config.ts';

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
