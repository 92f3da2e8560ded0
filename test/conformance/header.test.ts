// knative/serving test/conformance/runtime/header_test.go (TestMustHaveHeadersSet, TestShouldHaveHeadersSet)
// translated for both runtimes. Knative's test clusters trace requests, so knit runs these with
// config-observability's tracing on (a local OTLP/HTTP receiver takes the spans): then a traceparent reaches the app.

import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before } from 'node:test';
import { conformance, test } from './support.ts';

let receiver: http.Server | undefined;
let receiverPort = 0;
before(async () => {
  receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
  receiverPort = (receiver.address() as net.AddressInfo).port;
});
after(async () => {
  receiver?.closeAllConnections();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});
const TRACING = (): string => `observability:\n  tracing-protocol: http/protobuf\n  tracing-endpoint: http://127.0.0.1:${receiverPort}/v1/traces\n  tracing-sampling-rate: "1"\n`;

const USER_HEADER_KEY = 'This-Was-User-Set';
const USER_HEADER_VALUE = 'a value';

/** header_test.go checkForwardedHeader: token=value pairs, the value a token or a quoted string (RFC 7239). */
function validForwarded(s: string): boolean {
  const token = /^[0-9a-zA-Z!#$%&'*+\-.^_|~]+$/;
  const quoted = /^"[^"]*"$/;
  return s.split(/[;,]/).filter((p) => p !== '').every((pair) => {
    const parts = pair.trim().split('=');
    if (parts.length < 2) return false;
    return token.test(parts[0]) && (parts[1] === '' || token.test(parts[1]) || quoted.test(parts[1]));
  });
}

/** header_test.go checkIPList: comma-separated IPv4 or IPv6 addresses. */
function ipList(s: string): boolean {
  return s.split(',').every((ip) => net.isIP(ip.trim()) !== 0);
}

conformance('runtime headers', (t) => {
  test('TestMustHaveHeadersSet: Host, and a valid Forwarded header', async () => {
    const { ri } = await t.fetchRuntimeInfo('must-headers');
    assert.ok(ri.request.host, 'Header host was not present on request');
    const fwd = ri.request.headers.Forwarded;
    assert.ok(fwd, 'Header forwarded was not present on request');
    for (const v of fwd) assert.ok(validForwarded(v), `forwarded = ${v}; want: valid Forwarded header per RFC7239`);
  });

  test('TestShouldHaveHeadersSet: the user header, X-Forwarded-Proto and X-Forwarded-For', async () => {
    const { ri } = await t.fetchRuntimeInfo('should-headers', {}, { [USER_HEADER_KEY]: USER_HEADER_VALUE });
    const h = ri.request.headers;
    assert.deepEqual(h[USER_HEADER_KEY], [USER_HEADER_VALUE]);
    assert.ok(h['X-Forwarded-Proto']?.every((v) => /https?/.test(v)), JSON.stringify(h));
    assert.ok(h['X-Forwarded-For']?.every(ipList), JSON.stringify(h));
  });

  test('TestShouldHaveHeadersSet: traceparent', async () => {
    const { ri } = await t.fetchRuntimeInfo('should-traceparent');
    assert.ok(ri.request.headers.Traceparent?.every((v) => /[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}/.test(v)));
  });
}, { config: TRACING });
