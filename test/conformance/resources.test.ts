// knative/serving test/conformance/api/v1/resources_test.go (TestCustomResourcesLimits) translated for both
// runtimes: with a 350Mi memory limit and request, bloating by 100 and 200 MB answers 200 and by 500 MB does not.

import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { FIXTURES } from '../harness.ts';
import { conformance, eventually, test, type Target } from './support.ts';

/** createResources, without the CustomCPU/Memory flags. */
const resources = { limits: { memory: '350Mi' }, requests: { memory: '350Mi' } };
/** test.ServingFlags.ExceedingMemoryLimitSize's default. */
const EXCEEDING_MEMORY_MB = 500;

/** sendPostRequest: one POST through the external gateway; its status and body. */
function post(t: Target, name: string, pathname: string): Promise<{ status: number; body: string }> {
  const u = new URL(t.knit.endpoints.http);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: Number(u.port), method: 'POST', path: pathname, headers: { host: `${name}.default.example.com` }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** pokeCowForMB: 'ok' when `?bloat=MB` answered 200, else what happened. */
async function pokeCowForMB(t: Target, name: string, mb: number): Promise<string> {
  try {
    const r = await post(t, name, `/?bloat=${mb}`);
    return r.status === 200 ? 'ok' : `StatusCode = ${r.status}, want 200: ${r.body.slice(0, 200)}`;
  } catch (err) {
    return `request failed: ${String(err)}`;
  }
}

conformance('api/v1 resources', (t) => {
  test('TestCustomResourcesLimits', async () => {
    const name = 'custom-resources-limits';
    await t.create(name, { resources });
    await t.ready(name);
    // ResourceTestServesText: the endpoint answers 200.
    await eventually(`${name} to answer 200`, async () => ((await t.request(name, '/?sleep=0')).status === 200 ? true : undefined), 20_000, 50);
    for (const mb of [100, 200]) {
      assert.equal(await pokeCowForMB(t, name, mb), 'ok', `Didn't get a response from bloating cow with ${mb} MBs of Memory`);
    }
    const got = await pokeCowForMB(t, name, EXCEEDING_MEMORY_MB);
    assert.notEqual(got, 'ok', `We shouldn't have got a response from bloating cow with ${EXCEEDING_MEMORY_MB} MBs of Memory`);
    // Beyond Knative's test: the failure is the limit at work, the kernel's OOM killer in the instance's cgroup,
    // as the kubelet reports it (the container's terminated reason OOMKilled).
    await eventually(`${name}'s container to be reported OOMKilled`, async () => {
      const pods = (await t.knit.api('GET', `/api/v1/namespaces/default/pods?labelSelector=serving.knative.dev%2Fservice%3D${name}`)).json as {
        items: { status?: { containerStatuses?: { state?: { terminated?: { reason?: string } }; lastState?: { terminated?: { reason?: string } } }[] } }[];
      };
      return pods.items.some((p) => p.status?.containerStatuses?.some((c) => c.lastState?.terminated?.reason === 'OOMKilled' || c.state?.terminated?.reason === 'OOMKilled')) ? true : undefined;
    }, 20_000, 100);
  });
}, { app: path.join(FIXTURES, 'conformance-v1-app') });
