// Traces end to end: with config-observability's tracing keys set, a real OTLP/HTTP receiver gets the spans of a
// cold-start request under the caller's trace id, and the instance sees knit's traceparent (docs/configuration.md "Tracing").

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FIXTURES, KnitServer, eventually } from './harness.ts';

const APP = pathToFileURL(path.join(FIXTURES, 'dataplane-app')).href;

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
}

/** Reads protobuf fields (field number, wire type, value) of one message. */
function* fields(b: Buffer): Generator<[number, number, Buffer | bigint]> {
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const byte = b[i++];
      v |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return v;
      shift += 7n;
    }
  };
  while (i < b.length) {
    const tag = Number(varint());
    const wire = tag & 7;
    if (wire === 0) yield [tag >> 3, wire, varint()];
    else if (wire === 2) {
      const len = Number(varint());
      yield [tag >> 3, wire, b.subarray(i, i + len)];
      i += len;
    } else if (wire === 1) {
      yield [tag >> 3, wire, b.subarray(i, i + 8)];
      i += 8;
    } else if (wire === 5) {
      yield [tag >> 3, wire, b.subarray(i, i + 4)];
      i += 4;
    } else throw new Error(`wire type ${wire}`);
  }
}

/** The spans of an OTLP ExportTraceServiceRequest (opentelemetry/proto collector/trace/v1, trace/v1). */
function decodeExport(body: Buffer): OtlpSpan[] {
  const out: OtlpSpan[] = [];
  for (const [f1, , rs] of fields(body)) {
    if (f1 !== 1) continue; // resource_spans
    for (const [f2, , ss] of fields(rs as Buffer)) {
      if (f2 !== 2) continue; // scope_spans
      for (const [f3, , sp] of fields(ss as Buffer)) {
        if (f3 !== 2) continue; // spans
        const span: OtlpSpan = { traceId: '', spanId: '', parentSpanId: '', name: '', kind: 0 };
        for (const [f, , v] of fields(sp as Buffer)) {
          if (f === 1) span.traceId = (v as Buffer).toString('hex');
          else if (f === 2) span.spanId = (v as Buffer).toString('hex');
          else if (f === 4) span.parentSpanId = (v as Buffer).toString('hex');
          else if (f === 5) span.name = (v as Buffer).toString('utf8');
          else if (f === 6) span.kind = Number(v as bigint);
        }
        out.push(span);
      }
    }
  }
  return out;
}

let knit: KnitServer;
let receiver: http.Server;
const spans: OtlpSpan[] = [];
const contentTypes = new Set<string>();

before(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        contentTypes.add(req.headers['content-type'] ?? '');
        spans.push(...decodeExport(Buffer.concat(chunks)));
      }
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as AddressInfo).port;
  knit = await new KnitServer([], undefined, `autoscaler:\n  allow-zero-initial-scale: true\nobservability:\n  tracing-protocol: http/protobuf\n  tracing-endpoint: http://127.0.0.1:${port}/v1/traces\n  tracing-sampling-rate: "1"\n`).start();
});

after(async () => {
  await knit?.cleanup();
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
});

async function ready(name: string): Promise<void> {
  await eventually(`${name} to be Ready`, async () => {
    const s = (await knit.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/services/${name}`)).json as { status?: { conditions?: { type: string; status: string }[] } };
    return s.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  }, 20_000);
}

test('a cold-start request: gateway_receive, queue_wait, cold_start and upstream_call under the caller\'s trace id; the instance gets knit\'s traceparent', async () => {
  await knit.createService('traced', APP, { 'autoscaling.knative.dev/initial-scale': '0' });
  await ready('traced');
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const callerSpan = '00f067aa0ba902b7';
  const r = await knit.request('traced.default.example.com', '/headers', 'http', { traceparent: `00-${traceId}-${callerSpan}-01` });
  assert.equal(r.status, 200, r.body);
  const seen = (JSON.parse(r.body) as { headers: Record<string, string> }).headers.traceparent;
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(seen ?? '');
  assert.ok(m, `the instance got traceparent ${seen}`);
  assert.equal(m[1], traceId, 'same trace');

  const mine = await eventually('the spans to be exported', () => {
    const t = spans.filter((s) => s.traceId === traceId);
    return t.length >= 4 ? t : undefined;
  }, 15_000, 100);
  const by = (name: string): OtlpSpan => {
    const s = mine.find((x) => x.name === name);
    assert.ok(s, `span ${name} in ${JSON.stringify(mine)}`);
    return s;
  };
  const root = by('gateway_receive');
  assert.equal(root.parentSpanId, callerSpan, 'continues the caller\'s span');
  assert.equal(root.kind, 2, 'SERVER');
  const queue = by('queue_wait');
  assert.equal(queue.parentSpanId, root.spanId);
  assert.equal(by('cold_start').parentSpanId, queue.spanId);
  const upstream = by('upstream_call');
  assert.equal(upstream.parentSpanId, root.spanId);
  assert.equal(upstream.kind, 3, 'CLIENT');
  assert.equal(m[2], upstream.spanId, 'the instance\'s parent is the upstream call');
  assert.ok([...contentTypes].every((t) => t === 'application/x-protobuf'), [...contentTypes].join());

  // A warm request on the general path (Expect is handed to Node's server): no queue, same parentage.
  const warmTrace = '0af7651916cd43dd8448eb211c80319c';
  const w = await knit.request('traced.default.example.com', '/headers', 'http', { traceparent: `00-${warmTrace}-b7ad6b7169203331-01`, expect: '100-continue' });
  assert.equal(w.status, 200, w.body);
  const wseen = (JSON.parse(w.body) as { headers: Record<string, string> }).headers.traceparent ?? '';
  assert.equal(wseen.slice(3, 35), warmTrace);
  const warm = await eventually('the warm request\'s spans', () => {
    const t = spans.filter((s) => s.traceId === warmTrace);
    return t.length >= 2 ? t : undefined;
  }, 15_000, 100);
  assert.deepEqual(warm.map((s) => s.name).sort(), ['gateway_receive', 'upstream_call']);
  assert.equal(warm.find((s) => s.name === 'upstream_call')?.spanId, wseen.slice(36, 52));
});

test('a bad tracing setting is refused at start with Knative\'s message', async () => {
  const bad = new KnitServer([], undefined, 'observability:\n  tracing-protocol: http/protobuf\n');
  try {
    await assert.rejects(bad.start(), /endpoint should be set for protocol "http\/protobuf"/);
  } finally {
    await bad.cleanup().catch(() => {});
  }
});
