// Resources against a real `knit serve`: a memory hog OOM-killed under limits.memory (OOMKilled, 137, restarts), a
// CPU hog held to limits.cpu (measured from its cgroup), GPUs (none here: s4gpu Unschedulable; an inventory: pending, capped), podman's OOMKilled.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FIXTURES, KnitServer, eventually } from './harness.ts';
import { podmanSuite } from './podman-suite.ts';
import { TestImages } from './fixtures/podman-images.ts';
import { CgroupManager, InstanceCgroup, detectCgroups } from '../src/runtime/cgroups.ts';
import { detectGpus } from '../src/runtime/gpu.ts';

const cgroups = detectCgroups();
const NEED_CGROUPS = cgroups.ok ? false : `no cgroups here: ${cgroups.why}`;
const RUNTIME_APP = pathToFileURL(path.join(FIXTURES, 'runtime-app')).href;
const PODMAN_APP = path.join(FIXTURES, 'podman-app');

interface Condition { type: string; status: string; reason?: string; message?: string }
interface Terminated { exitCode: number; reason: string; message?: string }
interface Pod {
  metadata: { name: string };
  status: {
    phase: string;
    conditions?: Condition[];
    containerStatuses?: { restartCount: number; containerID?: string; lastState: { terminated?: Terminated }; state: { terminated?: Terminated; waiting?: { reason: string } } }[];
  };
}

/** A temp `file://` image: package.json and server.js, readable by the sandbox's uid. */
function tempImage(source: string): { url: string; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-res-app-'));
  fs.chmodSync(dir, 0o755);
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module","main":"server.js"}\n');
  fs.writeFileSync(path.join(dir, 'server.js'), source);
  return { url: pathToFileURL(dir).href, dir };
}

async function createService(k: KnitServer, name: string, container: Record<string, unknown>, annotations: Record<string, string> = {}): Promise<void> {
  const r = await k.api('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name },
    spec: { template: { metadata: { annotations }, spec: { containers: [container] } } },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
}

async function revisionConditions(k: KnitServer, name: string): Promise<Condition[]> {
  const rev = (await k.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/revisions/${name}`)).json as { status?: { conditions?: Condition[] } };
  return rev.status?.conditions ?? [];
}

async function podsOf(k: KnitServer, service: string): Promise<Pod[]> {
  const r = await k.api('GET', `/api/v1/namespaces/default/pods?labelSelector=serving.knative.dev/service=${service}`);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return (r.json as { items: Pod[] }).items;
}

/** The cgroup knit gave an instance (knit/<owner>/<instance>, the owner being its data directory's tag). */
function cgroupOf(k: KnitServer, instanceId: string): InstanceCgroup {
  if (!cgroups.ok) throw new Error('no cgroups');
  const owner = createHash('sha256').update(path.resolve(k.dataDir)).digest('hex').slice(0, 16);
  return new InstanceCgroup(cgroups.hierarchy, path.join(CgroupManager.PARENT, owner, instanceId));
}

describe('resources: cgroups for file:// instances', { skip: NEED_CGROUPS }, () => {
  let knit: KnitServer;
  const dirs: string[] = [];
  before(async () => {
    knit = await new KnitServer().start();
  });
  after(async () => {
    await knit?.cleanup();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  test('a memory hog under limits.memory 64Mi is OOM-killed: Revision ExitCode137, pod lastState OOMKilled/137, restartCount grows', async () => {
    const hog = tempImage('const held = [];\nfor (let i = 0; i < 400; i++) held.push(Buffer.alloc(1 << 20, 1));\nconsole.log(`survived with ${held.length} MiB`);\n');
    dirs.push(hog.dir);
    await createService(knit, 'hog', { image: hog.url, resources: { limits: { memory: '64Mi' } } });
    const healthy = await eventually('hog-00001 ContainerHealthy False', async () => {
      const c = (await revisionConditions(knit, 'hog-00001')).find((x) => x.type === 'ContainerHealthy');
      return c?.status === 'False' ? c : undefined;
    }, 30_000);
    // knative/serving reconcile_resources.go: ExitCodeReason and RevisionContainerExitingMessage.
    assert.equal(healthy.reason, 'ExitCode137');
    assert.equal(healthy.message, 'Container failed with: OOMKilled');
    const ready = (await revisionConditions(knit, 'hog-00001')).find((x) => x.type === 'Ready');
    assert.equal(ready?.status, 'False');
    const pod = await eventually('the pod restarted twice after OOM kills', async () => {
      const p = (await podsOf(knit, 'hog'))[0];
      const cs = p?.status.containerStatuses?.[0];
      return cs && cs.restartCount >= 2 && cs.lastState.terminated ? p : undefined;
    }, 30_000);
    const cs = pod.status.containerStatuses![0];
    assert.equal(cs.lastState.terminated?.reason, 'OOMKilled');
    assert.equal(cs.lastState.terminated?.exitCode, 137);
    assert.equal(pod.status.phase, 'Running', 'a crash-looping pod of restartPolicy Always stays Running');
  });

  test('a CPU hog under limits.cpu 250m uses at most about a quarter of a core (its cgroup\'s CPU usage over 3 s)', async () => {
    const burner = tempImage([
      "import http from 'node:http';",
      "import fs from 'node:fs';",
      "import { Worker } from 'node:worker_threads';",
      "// Two threads spinning: unlimited, this would take two cores.",
      "for (let i = 0; i < 2; i++) new Worker('for (;;) {}', { eval: true });",
      "const read = (f) => { try { return fs.readFileSync(f, 'utf8').trim(); } catch { return undefined; } };",
      "http.createServer((req, res) => res.end(JSON.stringify({ quota: read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us') ?? read('/sys/fs/cgroup/cpu.max'), shares: read('/sys/fs/cgroup/cpu/cpu.shares') ?? read('/sys/fs/cgroup/cpu.weight') }))).listen(Number(process.env.PORT));",
      '',
    ].join('\n'));
    dirs.push(burner.dir);
    await createService(knit, 'burn', { image: burner.url, resources: { limits: { cpu: '250m' }, requests: { cpu: '100m' } } }, { 'autoscaling.knative.dev/min-scale': '1' });
    const pod = await eventually('burn to be Ready', async () => {
      const ps = await podsOf(knit, 'burn');
      return ps[0]?.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? ps[0] : undefined;
    }, 30_000);
    // What the instance sees of its own cgroup, where a container sees it.
    const seen = JSON.parse((await knit.request('burn.default.example.com', '/')).body) as { quota: string; shares: string };
    assert.ok(seen.quota === '25000' || seen.quota === '25000 100000', JSON.stringify(seen));
    assert.ok(seen.shares === '102' || seen.shares === '4', JSON.stringify(seen));
    const id = pod.status.containerStatuses![0].containerID!.replace(/^process:\/\//, '');
    const cg = cgroupOf(knit, id);
    const t0 = performance.now();
    const u0 = cg.cpuSeconds();
    assert.ok(u0 !== undefined, `cpu usage of ${cg.cpuacctDir}`);
    // A measurement window, not a wait for a condition.
    await new Promise((r) => setTimeout(r, 3000));
    const cores = (cg.cpuSeconds()! - u0) / ((performance.now() - t0) / 1000);
    console.log(`# CPU hog under limits.cpu 250m: ${cores.toFixed(3)} cores over 3 s`);
    assert.ok(cores <= 0.35, `${cores.toFixed(3)} cores used, limit 0.25`);
    // A floor well below the limit: on a loaded machine the hog gets less than its quota.
    assert.ok(cores >= 0.02, `${cores.toFixed(3)} cores: the hog does spin, and this is its cgroup`);
  });
});

describe('resources: GPUs', () => {
  let knit: KnitServer;
  before(async () => {
    // This machine's own inventory when it has no GPU; an empty inventory file on a machine that has some.
    const args: string[] = [];
    if (detectGpus().length > 0) {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'knit-res-nogpu-')), 'gpus.json');
      fs.writeFileSync(file, '[]');
      args.push('--gpu-inventory', file);
    }
    knit = await new KnitServer(args).start();
  });
  after(async () => {
    await knit?.cleanup();
  });

  test('no GPU here: kn\'s s4gpu example fails with the scheduler\'s text and never becomes Ready; its pod is Pending, PodScheduled False', async () => {
    const r = await knit.knit(['service', 'create', 's4gpu', '--image', RUNTIME_APP, '--request', 'memory=250Mi,cpu=200m', '--limit', 'nvidia.com/gpu=1', '--wait-timeout', '20']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /RevisionFailed: Revision "s4gpu-00001" failed with message: 0\/1 nodes are available: 1 Insufficient nvidia\.com\/gpu\./);
    const conds = await revisionConditions(knit, 's4gpu-00001');
    const ra = conds.find((c) => c.type === 'ResourcesAvailable');
    assert.equal(ra?.status, 'False');
    assert.equal(ra?.reason, 'Unschedulable');
    assert.equal(ra?.message, '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.');
    assert.equal(conds.find((c) => c.type === 'Ready')?.status, 'False');
    const svc = (await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/services/s4gpu')).json as { spec: { template: { spec: { containers: { resources: unknown }[] } } } };
    assert.deepEqual(svc.spec.template.spec.containers[0].resources, { limits: { 'nvidia.com/gpu': '1' }, requests: { cpu: '200m', memory: '250Mi' } });
    const [pod] = await podsOf(knit, 's4gpu');
    assert.equal(pod.status.phase, 'Pending');
    assert.deepEqual(pod.status.conditions?.map((c) => [c.type, c.status, c.reason, c.message]), [['PodScheduled', 'False', 'Unschedulable', '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.']]);
    assert.equal(pod.status.containerStatuses, undefined, 'an unscheduled pod has no container yet');
    assert.deepEqual(knit.instancePids(), [], 'nothing runs');
  });
});

describe('resources: GPUs from an inventory', () => {
  let knit: KnitServer;
  let dir = '';
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-res-gpus-'));
    const file = path.join(dir, 'gpus.json');
    fs.writeFileSync(file, JSON.stringify([{ index: 0, uuid: 'GPU-res-0', devices: [] }, { index: 1, uuid: 'GPU-res-1', devices: [] }]));
    knit = await new KnitServer(['--gpu-inventory', file]).start();
  });
  after(async () => {
    await knit?.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('min-scale 3 on 2 GPUs: two run, the third is pending and its pod says why; deleting the service frees both', async () => {
    await createService(knit, 'three', { image: RUNTIME_APP, resources: { limits: { 'nvidia.com/gpu': '1' } } }, { 'autoscaling.knative.dev/min-scale': '3' });
    const ps = await eventually('two running pods and one pending', async () => {
      const ps = await podsOf(knit, 'three');
      return ps.filter((p) => p.status.phase === 'Running').length === 2 && ps.filter((p) => p.status.phase === 'Pending').length === 1 ? ps : undefined;
    }, 30_000);
    const pending = ps.find((p) => p.status.phase === 'Pending')!;
    assert.deepEqual(pending.status.conditions?.map((c) => [c.type, c.status, c.reason, c.message]), [['PodScheduled', 'False', 'Unschedulable', '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.']]);
    // Replicas are available, so the revision is Ready (Knative reads pods only when none is available).
    await eventually('three-00001 Ready', async () => (await revisionConditions(knit, 'three-00001')).some((c) => c.type === 'Ready' && c.status === 'True'), 30_000);
    const answer = await eventually('three to answer', async () => {
      const r = await knit.request('three.default.example.com', '/');
      return r.status === 200 ? r : undefined;
    });
    const seen = JSON.parse(answer.body) as { env: Record<string, string> };
    assert.match(seen.env.NVIDIA_VISIBLE_DEVICES, /^GPU-res-[01]$/);
    assert.equal(seen.env.CUDA_VISIBLE_DEVICES, seen.env.NVIDIA_VISIBLE_DEVICES);
    assert.equal((await knit.api('DELETE', '/apis/serving.knative.dev/v1/namespaces/default/services/three')).status, 200);
    await eventually('three\'s pods gone', async () => (await podsOf(knit, 'three')).length === 0, 30_000);
  });

  test('the autoscaler never asks for more instances than free GPUs: 8 concurrent requests at target 1 get 2 pods, none pending', async () => {
    await createService(knit, 'capped', { image: RUNTIME_APP, resources: { limits: { 'nvidia.com/gpu': '1' } } }, { 'autoscaling.knative.dev/target': '1' });
    await eventually('capped Ready', async () => (await revisionConditions(knit, 'capped-00001')).some((c) => c.type === 'Ready' && c.status === 'True'), 30_000);
    // A Ready revision is not yet a programmed route (its route reconciles next): the host answers first.
    await eventually('capped to answer', async () => (await knit.request('capped.default.example.com', '/')).status === 200, 30_000);
    const load = Array.from({ length: 8 }, () => knit.request('capped.default.example.com', '/sleep?ms=6000'));
    await eventually('two running pods', async () => (await podsOf(knit, 'capped')).filter((p) => p.status.phase === 'Running').length === 2, 20_000);
    const rev = async (): Promise<{ desiredReplicas?: number }> => ((await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/revisions/capped-00001')).json as { status: { desiredReplicas?: number } }).status;
    // While the load lasts (the decider would want 8), the scale stays at what the devices allow.
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      const ps = await podsOf(knit, 'capped');
      assert.ok(ps.length <= 2, `${ps.length} pods`);
      assert.ok(ps.every((p) => p.status.phase !== 'Pending'), 'no pending pod');
      assert.ok(((await rev()).desiredReplicas ?? 0) <= 2, `desiredReplicas ${(await rev()).desiredReplicas}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const answers = await Promise.all(load);
    assert.deepEqual(answers.map((a) => a.status), Array(8).fill(200));
  });
});

podmanSuite('resources: podman', () => {
  const images = new TestImages();
  let knit: KnitServer;
  let image = '';
  before(async () => {
    const base = await images.buildNodeBase();
    image = await images.buildApp('res-podman-app', base, PODMAN_APP);
    knit = await new KnitServer().start();
  });
  after(async () => {
    try {
      await knit?.cleanup();
    } finally {
      await images.removeAll();
    }
  });

  test('podman: a container OOM-killed under limits.memory shows OOMKilled/137 in its pod, restarted', async () => {
    await createService(knit, 'poom', { image, resources: { limits: { memory: '128Mi' } } }, { 'autoscaling.knative.dev/min-scale': '1' });
    await eventually('poom Ready', async () => (await revisionConditions(knit, 'poom-00001')).some((c) => c.type === 'Ready' && c.status === 'True'), 60_000);
    const r = await knit.request('poom.default.example.com', '/alloc?mb=512');
    assert.notEqual(r.status, 200, 'the allocation cannot succeed');
    const pod = await eventually('the pod restarted after the OOM kill', async () => {
      const p = (await podsOf(knit, 'poom'))[0];
      return p?.status.containerStatuses?.[0]?.restartCount === 1 && p.status.containerStatuses[0].lastState.terminated ? p : undefined;
    }, 60_000);
    assert.equal(pod.status.containerStatuses![0].lastState.terminated?.reason, 'OOMKilled');
    assert.equal(pod.status.containerStatuses![0].lastState.terminated?.exitCode, 137);
  });
});
