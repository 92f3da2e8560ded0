// Revision GC end to end: with min-non-active-revisions 2 and one-second retain times, six updates of a service
// leave exactly the latest revision, the two most recently active ones and a `serving.knative.dev/no-gc` one.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { eventually, KnitServer } from './harness.ts';

let knit: KnitServer;

before(async () => {
  knit = await new KnitServer([], undefined, 'gc:\n  retain-since-create-time: 1s\n  retain-since-last-active-time: 1s\n  min-non-active-revisions: "2"\n').start();
});

after(async () => {
  await knit?.cleanup();
});

async function revisionNames(): Promise<string[]> {
  const r = await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/revisions');
  return ((r.json as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name)).sort();
}

test('six updates with min-non-active-revisions 2: the latest, the two last active and the no-gc revision remain, with their logs', async () => {
  const created = await knit.knit(['service', 'create', 'svc', '--image', './examples/helloworld', '--env', 'TARGET=v1']);
  assert.equal(created.code, 0, created.stderr);
  for (let i = 2; i <= 7; i++) {
    const r = await knit.knit(['service', 'update', 'svc', '--env', `TARGET=v${i}`]);
    assert.equal(r.code, 0, r.stderr);
    if (i === 2) {
      const p = await knit.api('PATCH', '/apis/serving.knative.dev/v1/namespaces/default/revisions/svc-00002', { metadata: { annotations: { 'serving.knative.dev/no-gc': 'true' } } });
      assert.equal(p.status, 200, JSON.stringify(p.json));
    }
  }
  const logs = path.join(knit.dataDir, 'logs', 'default');
  const want = ['svc-00002', 'svc-00005', 'svc-00006', 'svc-00007'];
  const left = await eventually('GC to keep exactly the expected revisions', async () => {
    const names = await revisionNames();
    return JSON.stringify(names) === JSON.stringify(want) ? names : undefined;
  }, 30_000, 100);
  assert.deepEqual(left, want);
  // Collected revisions take their instances' logs with them; the latest keeps its own.
  await eventually('the collected revisions\' logs removed', () => ['svc-00001', 'svc-00003', 'svc-00004'].every((r) => !fs.existsSync(path.join(logs, r))));
  assert.ok(fs.existsSync(path.join(logs, 'svc-00007')), 'the latest revision keeps its logs');
  assert.equal((await knit.request('svc.default.example.com')).body, 'Hello v7!\n');
  // A stability window, not a wait for a condition: well past both retain times, nothing more is collected
  // once only min non-active revisions (besides the preserved one) are left.
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(await revisionNames(), want);
  const list = await knit.knit(['revision', 'list']);
  assert.equal(list.code, 0, list.stderr);
  assert.doesNotMatch(list.stdout, /svc-0000[134]/);
});
