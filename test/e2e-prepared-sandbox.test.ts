// End to end: a `file://` revision at zero keeps its next instance's sandbox prepared (its shell waiting at the
// gate as the instance's user); the first request runs the app in that very process; the sandbox goes with its
// revision and with knit serve's stop, leaving no process or cgroup behind.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { EXAMPLES, KnitServer, eventually } from './harness.ts';
import { detectSandbox } from '../src/runtime/sandbox.ts';

const sandbox = detectSandbox();
const skip = sandbox.ok ? false : `no sandbox here (${sandbox.why})`;
let knit: KnitServer | undefined;

/** The gate shells (process.ts GATE) of knit `owner`'s prepared sandboxes, by the revision they are for. */
function gateShells(owner: string): Map<number, string> {
  const found = new Map<number, string>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (argv[0] !== '/bin/sh' || argv[3] !== 'knit-gate') continue;
      const env = fs.readFileSync(`/proc/${e}/environ`, 'utf8').split('\0');
      if (!env.includes(`KNIT_OWNER=${owner}`)) continue;
      found.set(Number(e), env.find((v) => v.startsWith('K_REVISION='))?.slice('K_REVISION='.length) ?? '');
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

const ownerOf = (k: KnitServer): string => createHash('sha256').update(path.resolve(k.dataDir)).digest('hex').slice(0, 16);

async function preparedOf(k: KnitServer, rev: string): Promise<number> {
  let pid: number | undefined;
  await eventually(`the prepared sandbox of ${rev}`, async () => {
    pid = [...gateShells(ownerOf(k))].find(([, r]) => r === rev)?.[0];
    return pid !== undefined;
  }, 30_000);
  return pid!;
}

before(async () => {
  if (skip) return;
  knit = await new KnitServer([], undefined, 'autoscaler:\n  scale-to-zero-grace-period: 1s\n  allow-zero-initial-scale: true\n').start();
});

after(async () => {
  const k = knit;
  if (!k) return;
  const owner = ownerOf(k);
  // cleanup() also fails when a cgroup of this knit outlived it.
  await k.cleanup();
  assert.deepEqual([...gateShells(owner)], [], 'no prepared sandbox outlives knit serve');
});

test('a revision at zero has its sandbox prepared; the first request runs the app in that very process; deleting the service removes it', { skip }, async () => {
  const k = knit!;
  await k.createService('ps1', `file://${path.join(EXAMPLES, 'helloworld')}`, { 'autoscaling.knative.dev/initial-scale': '0' });
  const pid = await preparedOf(k, 'ps1-00001');
  assert.match(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), /^Uid:\s+65534\s/m, 'waiting as the instance user');
  const r = await k.request('ps1.default.example.com');
  assert.equal(r.status, 200, r.body + k.log);
  assert.equal(r.body, 'Hello World!\n');
  assert.match(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /node\0.*helloworld/, 'the shell that waited became the app');
  const del = await k.api('DELETE', '/apis/serving.knative.dev/v1/namespaces/default/services/ps1');
  assert.equal(del.status, 200);
  await eventually('the instance of ps1 to be gone', async () => !fs.existsSync(`/proc/${pid}`), 30_000);
  await eventually('no prepared sandbox of ps1', async () => ![...gateShells(ownerOf(k)).values()].includes('ps1-00001'), 30_000);
});

test('revisions at zero keep one prepared sandbox each until knit serve stops', { skip }, async () => {
  const k = knit!;
  const names = ['ps2', 'ps3', 'ps4'];
  for (const n of names) await k.createService(n, `file://${path.join(EXAMPLES, 'helloworld')}`, { 'autoscaling.knative.dev/initial-scale': '0' });
  for (const n of names) await preparedOf(k, `${n}-00001`);
  const revs = [...gateShells(ownerOf(k)).values()].filter((r) => r !== 'ps1-00001').sort();
  assert.deepEqual(revs, names.map((n) => `${n}-00001`), 'one each');
  assert.ok(k.cgroupsLeft().length >= names.length, 'each waits in its cpu cgroup');
  // The after hook stops knit: every sandbox and cgroup goes with it.
});

test('a revision no route sends traffic to (routingState reserve) keeps no sandbox prepared; the routed one does', { skip }, async () => {
  const k = knit!;
  await k.createService('ps5', `file://${path.join(EXAMPLES, 'helloworld')}`, { 'autoscaling.knative.dev/initial-scale': '0' });
  await preparedOf(k, 'ps5-00001');
  // A new template: traffic (latest) moves to ps5-00002, and ps5-00001 goes to reserve.
  const r = await k.api('PATCH', '/apis/serving.knative.dev/v1/namespaces/default/services/ps5', {
    spec: { template: { metadata: { annotations: { 'autoscaling.knative.dev/initial-scale': '0' } }, spec: { containers: [{ image: `file://${path.join(EXAMPLES, 'helloworld')}`, env: [{ name: 'TARGET', value: 'two' }] }] } } },
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  await preparedOf(k, 'ps5-00002');
  await eventually('ps5-00001 in reserve', async () => {
    const rev = await k.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/revisions/ps5-00001');
    return (rev.json as { metadata?: { labels?: Record<string, string> } }).metadata?.labels?.['serving.knative.dev/routingState'] === 'reserve';
  }, 30_000);
  await eventually('no prepared sandbox of ps5-00001', async () => ![...gateShells(ownerOf(k)).values()].includes('ps5-00001'), 30_000);
});
