// knative/serving test/conformance/runtime/readiness_probe_test.go (TestProbeRuntime, TestProbeRuntimeAfterStartup)
// translated for both runtimes.

import assert from 'node:assert/strict';
import { gatewayGet } from '../harness.ts';
import type { Probe } from '../../src/api/types.ts';
import { conformance, eventually, test, type Target } from './support.ts';

const READINESS_PATH = '/healthz/readiness';
const HELLO_WORLD_TEXT = 'Hello World! How about some tasty noodles?';

/** A GET through the gateway that gives up after `timeoutMs` (status 0 then), as the spoofing client's 5 s timeout. */
function get(t: Target, service: string, pathname: string, timeoutMs = 5_000): Promise<{ status: number; body: string }> {
  return gatewayGet(t.knit.endpoints.http, `${service}.default.example.com`, pathname, timeoutMs);
}

conformance('runtime readiness probe', (t) => {
  const cases: { name: string; env: { name: string; value: string }[]; probe: () => Probe }[] = [
    { name: 'httpGet', env: [{ name: 'READY_DELAY', value: '10s' }], probe: () => ({ httpGet: { path: READINESS_PATH } }) },
    { name: 'tcpSocket', env: [{ name: 'LISTEN_DELAY', value: '10s' }], probe: () => ({ tcpSocket: {} }) },
    // Knative's image probes itself with `/ko-app/readiness probe`; the runtime-info app keeps /tmp/ready while ready.
    { name: 'exec', env: [{ name: 'READY_DELAY', value: '10s' }], probe: () => ({ exec: { command: ['sh', '-c', 'test -f /tmp/ready'] } }) },
  ];
  for (const c of cases) {
    for (const period of [0, 1]) {
      const name = period > 0 ? `${c.name}-period=${period}` : c.name;
      test(`TestProbeRuntime/${name}: the service becomes Ready only once the app is, and then serves`, async () => {
        const service = `probe-${c.name.toLowerCase()}-p${period}`;
        const createdAt = Date.now();
        await t.create(service, { env: c.env, readinessProbe: { ...c.probe(), periodSeconds: period } });
        await t.ready(service, 90_000);
        assert.ok(Date.now() - createdAt >= 9_000, `Ready after ${Date.now() - createdAt}ms, before the app's 10 s delay`);
        const r = await eventually('readinessIsReady', async () => {
          const got = await get(t, service, READINESS_PATH);
          return got.status === 200 ? got : undefined;
        }, 20_000, 100);
        assert.equal(r.body, HELLO_WORLD_TEXT);
      });
    }
  }

  for (const period of [0, 1]) {
    test(`TestProbeRuntimeAfterStartup/periodSeconds=${period}: once the app fails readiness, requests time out or get 503`, async () => {
      const service = `after-startup-p${period}`;
      await t.create(service, { readinessProbe: { periodSeconds: period, httpGet: { path: READINESS_PATH } } });
      await t.ready(service);
      const ready = await get(t, service, '/healthz');
      assert.deepEqual([ready.status, ready.body], [200, HELLO_WORLD_TEXT]);
      assert.equal((await get(t, service, '/start-failing')).status, 200);
      // readinessPropagationTime: a minute, polling every second; 200s until then.
      const outcome = await eventually('a request that times out or is refused with 503', async () => {
        const r = await get(t, service, '/', 5_000);
        if (r.status === 200) return undefined;
        return r;
      }, 60_000, 1_000);
      assert.ok(outcome.status === 0 || outcome.status === 503, `Received non-200, non-503 status code: ${outcome.status}, wanted request to time out. Body: ${outcome.body}`);
    });
  }
}, { concurrency: true });
