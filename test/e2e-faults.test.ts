// Faults under load: an instance killed mid-traffic, and updates plus traffic moves under a constant
// request rate (zero failed requests).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FIXTURES, KnitServer, eventually } from './harness.ts';

let knit: KnitServer;
const APP_DIR = path.join(FIXTURES, 'dataplane-app');

before(async () => {
  knit = await new KnitServer([], undefined, 'autoscaler:\n  scale-to-zero-grace-period: 1s\n').start();
});

after(async () => {
  await knit?.cleanup();
});

/** Sends `rate` requests per second until stopped; every request is recorded. */
function constantLoad(host: string, rate: number, pathname = '/'): { answered: () => number; stop: () => Promise<{ sent: number; failed: { status: number; body: string }[] }> } {
  let sent = 0;
  let answered = 0;
  const failed: { status: number; body: string }[] = [];
  const pending = new Set<Promise<void>>();
  const timer = setInterval(() => {
    for (let i = 0; i < rate / 50; i++) {
      sent++;
      const p = knit.request(host, pathname).then(
        (r) => {
          answered++;
          if (r.status !== 200) failed.push({ status: r.status, body: r.body });
        },
        (err: Error) => {
          failed.push({ status: 0, body: err.message });
        },
      );
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
  }, 20);
  return {
    answered: () => answered,
    stop: async () => {
      clearInterval(timer);
      await Promise.all([...pending]);
      return { sent, failed };
    },
  };
}

test('killing an instance under load: only its in-flight requests may fail, and capacity is back within 1 s', async () => {
  const r = await knit.knit(['service', 'create', 'victim', '--image', APP_DIR, '--scale-min', '2']);
  assert.equal(r.code, 0, r.stderr);
  await eventually('two instances', async () => ((await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/revisions/victim-00001')).json as { status: { actualReplicas?: number } }).status.actualReplicas === 2);
  const load = constantLoad('victim.default.example.com', 200, '/sleep?ms=20');
  await eventually('the load to be flowing', () => load.answered() >= 100, 5_000);
  const [pid] = knit.instancePids();
  process.kill(-pid, 'SIGKILL');
  const killedAt = Date.now();
  await eventually('the revision to be back at two ready instances', async () => {
    const rev = (await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/revisions/victim-00001')).json as { status: { actualReplicas?: number } };
    return rev.status.actualReplicas === 2 && !knit.instancePids().includes(pid);
  }, 5_000, 20);
  const back = Date.now() - killedAt;
  const answeredWhenBack = load.answered();
  await eventually('100 more requests answered after recovery', () => load.answered() >= answeredWhenBack + 100, 5_000);
  const { sent, failed } = await load.stop();
  assert.ok(back <= 1_000, `capacity back after ${back}ms`);
  // At 200 req/s of 20 ms requests, about 2 are in flight on each instance at any moment.
  assert.ok(failed.length <= 10, `${failed.length} of ${sent} requests failed: ${JSON.stringify(failed.slice(0, 3))}`);
  for (const f of failed) assert.ok(f.status === 502 || f.status === 503, `a failure is a clear 502/503, got ${f.status}`);
});

// Issue 7 asks for 60 s of constant load; KNIT_TEST_LOAD_MS shortens it for quick local runs.
const LOAD_MS = Number(process.env.KNIT_TEST_LOAD_MS ?? 60_000);

test('rollout under load: updates and traffic moves at a constant rate lose no request', { timeout: LOAD_MS + 60_000 }, async () => {
  const r = await knit.knit(['service', 'create', 'steady', '--image', APP_DIR, '--scale-window', '6s']);
  assert.equal(r.code, 0, r.stderr);
  const load = constantLoad('steady.default.example.com', 300);
  const started = Date.now();
  for (let i = 2; i <= 4; i++) {
    // Updates a second apart under the load (the pacing is the point, not a wait for something).
    await new Promise((res) => setTimeout(res, 1000));
    const u = await knit.knit(['service', 'update', 'steady', '--env', `V=${i}`]);
    assert.equal(u.code, 0, u.stderr);
  }
  const split = await knit.knit(['service', 'update', 'steady', '--traffic', 'steady-00002=30', '--traffic', '@latest=70']);
  assert.equal(split.code, 0, split.stderr);
  const move = await knit.knit(['service', 'update', 'steady', '--traffic', 'steady-00003=100']);
  assert.equal(move.code, 0, move.stderr);
  const last = await knit.knit(['service', 'update', 'steady', '--traffic', '@latest=100', '--env', 'V=5']);
  assert.equal(last.code, 0, last.stderr);
  // 60 s of load in all, so the old revisions' scale-down happens under it too (window 6 s + grace 1 s).
  await new Promise((res) => setTimeout(res, Math.max(1000, LOAD_MS - (Date.now() - started))));
  const { sent, failed } = await load.stop();
  assert.ok(sent > (LOAD_MS / 1000) * 250, `only ${sent} requests sent`);
  assert.deepEqual(failed, [], `${failed.length} of ${sent} requests failed`);
});

test('SIGTERM drains: a request in flight when knit is told to stop still gets its answer', async () => {
  const r = await knit.knit(['service', 'create', 'drain', '--image', APP_DIR]);
  assert.equal(r.code, 0, r.stderr);
  const inflight = knit.request('drain.default.example.com', '/sleep?ms=1500');
  // Nothing tells the test when the instance has the request; 300 ms into its 1.5 s is well inside it.
  await new Promise((res) => setTimeout(res, 300));
  const stopping = knit.stop('SIGTERM');
  const res = await inflight;
  await stopping;
  assert.equal(res.status, 200);
  assert.equal(res.body, 'drain-00001 slept 1500\n');
  await knit.start(); // the other tests' cleanup expects a running server
});
