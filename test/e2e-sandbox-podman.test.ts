// The takeover attack of e2e-sandbox.test.ts played by a podman workload: it tries to read knit's token, store,
// data directory and another instance's environment (the victim container's processes and the podman client
// that carries its env values), and to call the API with what it found; every attempt fails.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES, KnitServer, eventually } from './harness.ts';
import { TestImages } from './fixtures/podman-images.ts';
import { podmanSuite } from './podman-suite.ts';
import { runPodman } from '../src/runtime/podman.ts';

const SECRET = `s3cr3t-${randomBytes(8).toString('hex')}`;
const images = new TestImages();
let knit: KnitServer | undefined;
let attackImage = '';
let victimImage = '';

interface Cond {
  type: string;
  status: string;
}

async function create(name: string, container: Record<string, unknown>): Promise<void> {
  const r = await knit!.api('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name },
    spec: { template: { metadata: { annotations: { 'autoscaling.knative.dev/min-scale': '1' } }, spec: { containers: [container] } } },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  await eventually(`${name} to be Ready`, async () => {
    const s = (await knit!.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/services/${name}`)).json as { status?: { conditions?: Cond[] } };
    return s.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  }, 60_000, 50);
}

/** The host pids of a revision's containers' processes (podman's init and its children). */
async function containerPids(revision: string): Promise<number[]> {
  const ps = await runPodman('podman', ['ps', '--filter', `label=knit.revision=default/${revision}`, '--format', '{{.Names}}']);
  const pids: number[] = [];
  for (const name of ps.stdout.split('\n').filter(Boolean)) {
    const pid = Number((await runPodman('podman', ['inspect', '--format', '{{.State.Pid}}', name])).stdout.trim());
    if (!(pid > 0)) continue;
    pids.push(pid);
    for (const c of fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean)) pids.push(Number(c));
  }
  return pids;
}

podmanSuite('podman sandbox', () => {
  before(async () => {
    const base = await images.buildNodeBase();
    attackImage = await images.buildApp('attack-app', base, path.join(FIXTURES, 'attack-app'));
    victimImage = await images.buildApp('runtime-app', base, path.join(FIXTURES, 'runtime-app'));
    knit = await new KnitServer().start();
  });

  after(async () => {
    try {
      await knit?.cleanup();
    } finally {
      await images.removeAll();
    }
  });

  test('a podman workload cannot read the token, the store, the data directory or another instance environ, nor call the API', async () => {
    const k = knit!;
    await create('victim', { image: victimImage, env: [{ name: 'SECRET_API_KEY', value: SECRET }] });
    const victimContainer = await containerPids('victim-00001');
    assert.ok(victimContainer.length >= 2, 'the victim container runs');
    // The victim really holds the secret: knit (root, on the host) can read it in the container's app process.
    assert.ok(victimContainer.some((pid) => fs.readFileSync(`/proc/${pid}/environ`, 'latin1').includes(SECRET)));
    const clients = k.instancePids(); // the podman clients, whose environment carries the values too
    const logs = path.join(k.dataDir, 'logs');
    const victimLogs = fs.readdirSync(path.join(logs, 'default'), { recursive: true }).map(String).filter((f) => f.endsWith('.log')).map((f) => path.join(logs, 'default', f));
    assert.ok(victimLogs.length > 0);
    const targets = [
      k.dataDir, path.join(k.dataDir, 'token'), path.join(k.dataDir, 'knit.db'), path.join(k.dataDir, 'kubeconfig'), logs, ...victimLogs,
      ...[...victimContainer, ...clients].flatMap((pid) => [`/proc/${pid}/environ`, `/proc/${pid}/cmdline`]),
      ...(k.pid ? [`/proc/${k.pid}/environ`, `/proc/${k.pid}/cmdline`] : []),
      '/dev/console', '/root', '/run/podman', '/var/lib/containers',
    ];
    await create('attacker', { image: attackImage, env: [{ name: 'ATTACK_PATHS', value: targets.join(':') }, { name: 'ATTACK_API', value: k.endpoints.api }] });
    const r = await k.request('attacker.default.example.com', '/');
    assert.equal(r.status, 200, r.body);
    const report = JSON.parse(r.body) as {
      parent: { ok: boolean; value?: string };
      reads: Record<string, { ok: boolean; error?: string }>;
      token: string | null;
      environs: Record<string, string>;
      secrets: string[];
      api: { status?: number; error?: string };
    };
    assert.doesNotMatch(report.parent.value ?? '', /--data-dir/, "its parent's command line does not name knit's data dir");
    for (const t of targets) assert.equal(report.reads[t]?.ok, false, `${t} was readable: ${JSON.stringify(report.reads[t])}`);
    assert.equal(report.token, null);
    assert.deepEqual(report.secrets, []);
    assert.ok(!JSON.stringify(report).includes(SECRET), "the victim's secret appears nowhere in the report");
    assert.ok(!JSON.stringify(report).includes(k.token), "knit's token appears nowhere in the report");
    // Its own pid namespace: podman's init and the app (and what the app runs), nothing of the host.
    assert.ok(Object.keys(report.environs).length <= 3, JSON.stringify(report.environs));
    // Its own network namespace: knit's API on the host's loopback is not even reachable; with it, no token.
    assert.notEqual(report.api.status, 200, `the API answered: ${JSON.stringify(report.api)}`);
    assert.ok(report.api.status === 401 || report.api.error !== undefined, JSON.stringify(report.api));
  });
});
