// knative/serving test/conformance/runtime/protocol_test.go (TestProtocols) translated for both runtimes: a port
// named h2c gets HTTP/2 (prior knowledge), http1 or no name HTTP/1.1.

import assert from 'node:assert/strict';
import { conformance, test } from './support.ts';

const CASES = [
  { name: 'h2c', portName: 'h2c', major: 2, minor: 0 },
  { name: 'http1', portName: 'http1', major: 1, minor: 1 },
  { name: 'default', portName: '', major: 1, minor: 1 },
];

conformance('runtime protocol', (t) => {
  for (const c of CASES) {
    test(`TestProtocols/${c.name}: the app is spoken to in HTTP/${c.major}.${c.minor}`, async () => {
      const { ri } = await t.fetchRuntimeInfo(`protocol-${c.name}`, c.portName ? { ports: [{ name: c.portName }] } : {});
      assert.deepEqual([ri.request.protoMajor, ri.request.protoMinor], [c.major, c.minor]);
    });
  }
}, { concurrency: true });
