// parseObservability: config-observability's tracing keys, validated as knative.dev/pkg observability/tracing does.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseObservability } from './config.ts';
import { Tracing } from './tracing.ts';

test('no section, or protocol none: tracing off and no tracer at all', () => {
  assert.deepEqual(parseObservability(undefined), { protocol: 'none', endpoint: '', samplingRate: 0 });
  assert.equal(Tracing.from(parseObservability({ 'tracing-protocol': 'none' })), undefined);
});

test('http/protobuf with an endpoint and a rate', () => {
  assert.deepEqual(parseObservability({ 'tracing-protocol': 'http/protobuf', 'tracing-endpoint': 'http://127.0.0.1:4318/v1/traces', 'tracing-sampling-rate': 0.5 }), {
    protocol: 'http/protobuf',
    endpoint: 'http://127.0.0.1:4318/v1/traces',
    samplingRate: 0.5,
  });
});

test('refused: grpc, unknown protocols, a missing or stray endpoint, rates outside 0..1, unknown keys', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ 'tracing-protocol': 'grpc', 'tracing-endpoint': 'x:4317' }, /"grpc" is not supported by knit/],
    [{ 'tracing-protocol': 'zipkin' }, /unsupported protocol "zipkin"/],
    [{ 'tracing-protocol': 'http/protobuf' }, /endpoint should be set for protocol "http\/protobuf"/],
    [{ 'tracing-protocol': 'http/protobuf', 'tracing-endpoint': 'collector:4318' }, /want an http:\/\/ or https:\/\/ URL/],
    [{ 'tracing-endpoint': 'http://x/v1/traces' }, /endpoint should not be set when protocol is "none"/],
    [{ 'tracing-protocol': 'stdout', 'tracing-sampling-rate': '1.5' }, /sampling rate 1.5 should be less than or equal to one/],
    [{ 'tracing-sampling-rate': '-1' }, /sampling rate -1 should be greater or equal to zero/],
    [{ 'tracing-sampling-rate': 'lots' }, /failed to parse "lots"/],
    [{ 'metrics-protocol': 'prometheus' }, /unknown key "metrics-protocol"/],
  ];
  for (const [raw, want] of cases) assert.throws(() => parseObservability(raw), want, JSON.stringify(raw));
  assert.throws(() => parseObservability(['x']), /expected a mapping/);
});
