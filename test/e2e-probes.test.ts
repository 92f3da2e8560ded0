// Probes against a real `knit serve`: Knative's TestLivenessWithFail (test/conformance/runtime/liveness_probe_test.go)
// and TestProbeRuntimeAfterStartup (test/conformance/runtime/readiness_probe_test.go), translated.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FIXTURES, KnitServer, eventually, gatewayGet } from './harness.ts';
import type { Probe } from '../src/api/types.ts';

/** test/fixtures/runtime-app: /healthz answers 200 until /start-failing is called, then 503. */
const APP = pathToFileURL(path.join(FIXTURES, 'runtime-app')).href;

let knit: KnitServer;

before(async () => {
  knit = await new KnitServer().start();
});

after(async () => {
  await knit?.cleanup();
});

async function createService(name: string, probes: { readinessProbe?: Probe; livenessProbe?: Probe }): Promise<void> {
  const r = await knit.api('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name },
    spec: { template: { metadata: { annotations: { 'autoscaling.knative.dev/min-scale': '1' } }, spec: { containers: [{ image: APP, ...probes }] } } },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  await eventually(`${name} to be Ready`, async () => {
    const svc = (await knit.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/services/${name}`)).json as { status?: { conditions?: { type: string; status: string }[] } };
    return svc.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  }, 30_000, 50);
}

/** A GET through the gateway that gives up after `timeoutMs` (status 0 then), as the spoofing client's 5 s timeout. */
function get(host: string, pathname: string, timeoutMs = 5_000): Promise<{ status: number; body: string }> {
  return gatewayGet(knit.endpoints.http, host, pathname, timeoutMs);
}

interface Pod {
  metadata: { name: string };
  status: { containerStatuses?: { ready: boolean; restartCount: number }[] };
}

async function pods(service: string): Promise<Pod[]> {
  const r = await knit.api('GET', `/api/v1/namespaces/default/pods?labelSelector=serving.knative.dev/service=${service}`);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return (r.json as { items: Pod[] }).items;
}

test('TestLivenessWithFail: once the app fails its liveness probe the container is restarted in its pod and serves again', async () => {
  await createService('liveness', { livenessProbe: { httpGet: { path: '/healthz' }, periodSeconds: 1, failureThreshold: 3 } });
  const host = 'liveness.default.example.com';
  const before = await pods('liveness');
  assert.equal(before.length, 1);
  assert.equal(before[0].status.containerStatuses?.[0]?.restartCount, 0);
  const firstPid = (await get(host, '/pid')).body;
  assert.equal((await get(host, '/start-failing')).status, 200);
  const failedAt = Date.now();
  assert.equal((await get(host, '/healthz')).status, 503);
  const restarted = await eventually('the container to be restarted and ready', async () => {
    const ps = await pods('liveness');
    const cs = ps[0]?.status.containerStatuses?.[0];
    return ps.length === 1 && cs && cs.restartCount >= 1 && cs.ready ? ps[0] : undefined;
  }, 20_000, 100);
  // failureThreshold × periodSeconds (3 s), plus the stop and the restart.
  assert.ok(Date.now() - failedAt < 10_000, `restarted after ${Date.now() - failedAt}ms`);
  assert.equal(restarted.metadata.name, before[0].metadata.name, 'the same pod, its container restarted');
  const served = await eventually('the restarted container to serve', async () => {
    const r = await get(host, '/healthz');
    return r.status === 200 ? r : undefined;
  }, 10_000, 50);
  assert.equal(served.body, 'ok\n');
  assert.notEqual((await get(host, '/pid')).body, firstPid, 'a new process');
});

for (const period of [0, 1]) {
  test(`TestProbeRuntimeAfterStartup periodSeconds=${period}: once the app fails readiness, requests stop reaching it`, async () => {
    const name = `readiness-p${period}`;
    const host = `${name}.default.example.com`;
    // With periodSeconds 0 the probe runs every 10 s after startup (failureThreshold is disallowed then, so the default 3 applies).
    const readinessProbe: Probe = { httpGet: { path: '/healthz' }, periodSeconds: period };
    await createService(name, { readinessProbe });
    assert.equal((await get(host, '/healthz')).status, 200);
    assert.equal((await get(host, '/start-failing')).status, 200);
    const failedAt = Date.now();
    let oks = 0;
    // Knative's test: 200s for a while, then a request that times out (activator on the path) or a 503.
    let sentAt = 0;
    const outcome = await eventually('a request that times out or is refused with 503', async () => {
      sentAt = Date.now();
      const r = await get(host, '/', 5_000);
      if (r.status === 200) {
        oks++;
        return undefined;
      }
      return r;
    }, 45_000, 200);
    assert.ok(outcome.status === 0 || outcome.status === 503, `got ${outcome.status}: ${outcome.body}`);
    // The first request not answered was sent within periodSeconds × failureThreshold (10 s × 3 or 1 s × 3).
    const elapsed = sentAt - failedAt;
    assert.ok(elapsed < (period === 0 ? 33_000 : 5_000), `stopped after ${elapsed}ms and ${oks} answered requests`);
    const cs = (await pods(name))[0]?.status.containerStatuses?.[0];
    assert.equal(cs?.ready, false, 'the pod reports the container unready');
  });
}
