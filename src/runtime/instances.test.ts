// Instance limits: per revision and in total, so one service cannot take the machine.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { InstanceManager, type InstanceLimits, type Workload } from './instances.ts';
import { ProcessRuntime } from './process.ts';

const app = pathToFileURL(path.resolve(import.meta.dirname, '../../test/fixtures/runtime-app')).href;

function workload(name: string): Workload {
  return {
    key: `default/${name}`,
    template: { namespace: 'default', revision: name, configuration: 'c', service: 's', container: { image: app }, image: app, env: {}, containerPort: 8080, gracePeriodSeconds: 5 },
    dispatch: { containerConcurrency: 0, timeouts: { totalMs: 10_000, responseStartMs: 0, idleMs: 0 }, protocol: 'http1' },
    timeoutSeconds: 10,
    progressDeadlineSeconds: 60,
  };
}

/** An instance manager on a temp data directory of its own; every instance stopped and the directory removed after the test. */
function manager(t: TestContext, prefix: string, limits?: InstanceLimits): InstanceManager {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const m = new InstanceManager(dir, [new ProcessRuntime()], limits);
  t.after(async () => {
    await m.stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return m;
}

async function until(what: string, fn: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('max instances per revision and in total are never exceeded; freed slots are reused', async (t) => {
  const m = manager(t, 'knit-limits-', { perRevision: 2, total: 3 });
  m.ensure(workload('a-00001'));
  m.ensure(workload('b-00001'));
  m.setScale('default/a-00001', 5);
  await until('a at 2 ready', () => m.status('default/a-00001')?.ready === 2);
  m.setScale('default/b-00001', 5);
  await until('b at 1 ready', () => m.status('default/b-00001')?.ready === 1);
  // The point: for a while after both caps are reached, nothing more starts.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(m.status('default/a-00001')?.ready, 2, 'per-revision cap');
  assert.equal(m.status('default/b-00001')?.ready, 1, 'total cap');
  m.setScale('default/a-00001', 0);
  await until('b to use the freed slots', () => m.status('default/b-00001')?.ready === 2);
});

test('replicas as pods: a crash restarts in the same replica, deletePod replaces it, scale-down removes it', async (t) => {
  const m = manager(t, 'knit-replicas-');
  const key = 'default/r-00001';
  m.ensure(workload('r-00001'));
  m.setScale(key, 1);
  await until('one ready replica', () => m.pods(key)[0]?.state === 'ready');
  const first = m.pods(key)[0];
  assert.equal(first.restartCount, 0);
  assert.ok(first.pid && first.startedAt && first.logFile?.endsWith(`${first.instanceId}.log`));

  process.kill(first.pid, 'SIGKILL');
  await until('the replica to run again', () => m.pods(key)[0]?.restartCount === 1 && m.pods(key)[0]?.state === 'ready');
  const restarted = m.pods(key);
  assert.equal(restarted.length, 1);
  assert.equal(restarted[0].podId, first.podId, 'the same pod');
  assert.notEqual(restarted[0].instanceId, first.instanceId, 'a new instance');
  assert.equal(restarted[0].lastExit?.code, 137);
  assert.equal(restarted[0].lastExit?.requested, false);
  assert.equal(restarted[0].previousLogFile, first.logFile);

  assert.equal(m.deletePod(key, 'nope1'), false);
  assert.equal(m.deletePod(key, first.podId), true);
  assert.ok(m.pods(key).find((p) => p.podId === first.podId)?.deletedAt, 'the deleted replica is terminating');
  await until('a replacement and the old one gone', () => {
    const ps = m.pods(key);
    return ps.length === 1 && ps[0].podId !== first.podId && ps[0].state === 'ready';
  });
  assert.equal(m.pods(key)[0].restartCount, 0);

  m.setScale(key, 0);
  await until('no replicas', () => m.pods(key).length === 0);
});

test('as knit starts again, the revisions routes send traffic to start first; the others once those are ready, or after the bound', async (t) => {
  const m = manager(t, 'knit-restart-');
  const routed = 'default/routed-00001';
  const other = 'default/other-00001';
  m.prioritizeRouted(new Set([routed]), 60_000);
  // The unrouted revision is reconciled first, as after a restart nothing orders them.
  m.ensure(workload('other-00001'));
  m.setScale(other, 1);
  const seen: string[] = [];
  m.onChange = (key) => {
    const st = m.status(key);
    if (st && st.starting + st.ready > 0) seen.push(`${key}:${st.ready > 0 ? 'ready' : 'starting'}`);
  };
  assert.equal(m.status(other)?.starting, 0, 'waits while the routed revision is not registered');
  m.ensure(workload('routed-00001'));
  m.setScale(routed, 1);
  await until('both ready', () => m.status(other)?.ready === 1 && m.status(routed)?.ready === 1);
  assert.equal(seen[0], `${routed}:ready`, seen.join(' '));
  assert.ok(seen.indexOf(`${other}:ready`) > 0, seen.join(' '));

  // Bounded: a routed revision that never comes does not hold the others for longer than that.
  const m2 = manager(t, 'knit-restart-bound-');
  m2.prioritizeRouted(new Set(['default/never-00001']), 300);
  const began = performance.now();
  m2.ensure(workload('late-00001'));
  m2.setScale('default/late-00001', 1);
  assert.equal(m2.status('default/late-00001')?.starting, 0);
  await until('the other ready after the bound', () => m2.status('default/late-00001')?.ready === 1);
  assert.ok(performance.now() - began >= 300, 'not before the bound');
});
