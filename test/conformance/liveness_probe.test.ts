// knative/serving test/conformance/runtime/liveness_probe_test.go (TestLivenessWithFail) translated for both
// runtimes: a liveness probe that starts failing restarts the user container, which then passes it again.

import assert from 'node:assert/strict';
import { conformance, eventually, test, type Target } from './support.ts';

interface Pod {
  metadata: { name: string };
  status: { containerStatuses?: { name: string; ready: boolean; restartCount: number }[] };
}

async function pods(t: Target, service: string): Promise<Pod[]> {
  const r = await t.knit.api('GET', `/api/v1/namespaces/default/pods?labelSelector=serving.knative.dev/service=${service}`);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return (r.json as { items: Pod[] }).items;
}

/** test.UserContainerRestarted. */
function userContainerRestarted(pod: Pod): boolean {
  return pod.status.containerStatuses?.some((c) => c.name === 'user-container' && c.restartCount > 0) ?? false;
}

/** atLeastNumLivenessChecks: /healthz/livenessCounter answers at least n. */
async function atLeastNumLivenessChecks(t: Target, service: string, n: number): Promise<void> {
  await eventually(`${n} liveness checks`, async () => {
    const r = await t.request(service, '/healthz/livenessCounter');
    return r.status === 200 && Number(r.body) >= n;
  }, 30_000, 200);
}

conformance('runtime liveness probe', (t) => {
  test('TestLivenessWithFail', async () => {
    await t.create('liveness', { livenessProbe: { httpGet: { path: '/healthz/liveness', port: 8080 }, periodSeconds: 1, failureThreshold: 3 } });
    await t.ready('liveness');
    await atLeastNumLivenessChecks(t, 'liveness', 5);
    for (const pod of await pods(t, 'liveness')) assert.ok(!userContainerRestarted(pod), 'User container unexpectedly restarted');

    const r = await t.request('liveness', '/start-failing');
    assert.equal(r.status, 200);
    await eventually('the user container to be restarted', async () => (await pods(t, 'liveness')).some(userContainerRestarted), 30_000, 200);
    // The restarted container counts from zero again and passes its probes.
    await atLeastNumLivenessChecks(t, 'liveness', 5);
  });
});
