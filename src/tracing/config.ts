// config-observability's tracing keys for `knit serve --config` (docs/configuration.md "Tracing"); no
// OpenTelemetry code here, so that knit loads the SDK only when tracing is on.

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

/** The W3C trace context headers of a request. */
export interface TraceHeaders {
  traceparent?: string;
  tracestate?: string;
}
