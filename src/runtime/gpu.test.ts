// GPUs: inventory parsing, whole-device allocation, and a revision's replicas on an injected inventory (pending, freed, capacity).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { GpuAllocator, INSUFFICIENT_GPU_MESSAGE, gpuCount, gpuEnv, parseNvidiaSmi, readGpuInventory, type GpuDevice } from './gpu.ts';
import { InstanceManager, type Workload } from './instances.ts';
import { ProcessRuntime } from './process.ts';

const app = pathToFileURL(path.resolve(import.meta.dirname, '../../test/fixtures/runtime-app')).href;

test('gpu: nvidia-smi -L lines, counts and env', () => {
  const text = 'GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5ed1f1a2-3b4c-4d5e-8f90-0123456789ab)\nGPU 1: Tesla T4 (UUID: GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee)\n  MIG 1g.5gb Device 0: (UUID: MIG-x)\n';
  assert.deepEqual(parseNvidiaSmi(text), [
    { index: 0, uuid: 'GPU-5ed1f1a2-3b4c-4d5e-8f90-0123456789ab' },
    { index: 1, uuid: 'GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' },
  ]);
  const counts: [Record<string, string> | undefined, Record<string, string> | undefined, number][] = [
    [undefined, undefined, 0], [{ 'nvidia.com/gpu': '1' }, undefined, 1], [{ 'nvidia.com/gpu': '2' }, { 'nvidia.com/gpu': '2' }, 2], [undefined, { 'nvidia.com/gpu': '1' }, 1], [{ cpu: '1' }, undefined, 0],
  ];
  for (const [limits, requests, want] of counts) assert.equal(gpuCount({ limits, requests }), want, JSON.stringify({ limits, requests }));
  assert.deepEqual(gpuEnv([{ index: 1, devices: [] }, { index: 3, uuid: 'GPU-x', devices: [] }]), { NVIDIA_VISIBLE_DEVICES: '1,GPU-x', CUDA_VISIBLE_DEVICES: '1,GPU-x' });
});

test('gpu: an inventory file, and what is wrong with a bad one', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-gpu-inv-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'gpus.json');
  fs.writeFileSync(file, JSON.stringify([{ index: 0, uuid: 'GPU-a' }, { index: 1, devices: [] }]));
  assert.deepEqual(readGpuInventory(file), [
    { index: 0, uuid: 'GPU-a', devices: ['/dev/nvidia0', '/dev/nvidiactl', '/dev/nvidia-uvm', '/dev/nvidia-uvm-tools', '/dev/nvidia-modeset'] },
    { index: 1, devices: [] },
  ]);
  const bad: [string, RegExp][] = [
    ['{', /GPU inventory .*gpus\.json: /],
    ['{"index":0}', /want a JSON array/],
    ['[{"index":-1}]', /entry 0 needs a non-negative integer "index"/],
    ['[{"index":0},{"index":0}]', /index 0 is listed twice/],
    ['[{"index":0,"devices":["dev/nvidia0"]}]', /"devices" must be an array of absolute paths/],
  ];
  for (const [text, want] of bad) {
    fs.writeFileSync(file, text);
    assert.throws(() => readGpuInventory(file), want, text);
  }
});

test('gpu: the allocator hands out whole free devices, one holder each, and frees them', () => {
  const inv: GpuDevice[] = [0, 1, 2].map((index) => ({ index, devices: [] }));
  const rows: { name: string; ops: [string, string, number?][]; want: (number[] | undefined | boolean)[]; free: number }[] = [
    { name: 'one each until none is left', ops: [['a', 'alloc', 1], ['b', 'alloc', 1], ['c', 'alloc', 1], ['d', 'alloc', 1]], want: [[0], [1], [2], undefined], free: 0 },
    { name: 'two at once; too many is nothing', ops: [['a', 'alloc', 2], ['b', 'alloc', 2], ['b', 'alloc', 1]], want: [[0, 1], undefined, [2]], free: 0 },
    { name: 'asking again keeps the same devices', ops: [['a', 'alloc', 1], ['a', 'alloc', 1]], want: [[0], [0]], free: 2 },
    { name: 'release frees for the next', ops: [['a', 'alloc', 3], ['b', 'alloc', 1], ['a', 'release'], ['b', 'alloc', 1], ['b', 'release'], ['b', 'release']], want: [[0, 1, 2], undefined, true, [0], true, false], free: 3 },
  ];
  for (const r of rows) {
    const g = new GpuAllocator(inv);
    const got = r.ops.map(([holder, op, n]) => (op === 'alloc' ? g.allocate(holder, n!)?.map((d) => d.index) : g.release(holder)));
    assert.deepEqual(got, r.want, r.name);
    assert.equal(g.free, r.free, `${r.name}: free`);
  }
});

function gpuWorkload(name: string, gpus = '1'): Workload {
  return {
    key: `default/${name}`,
    template: { namespace: 'default', revision: name, configuration: 'c', service: 's', container: { image: app, resources: { limits: { 'nvidia.com/gpu': gpus } } }, image: app, env: {}, containerPort: 8080, gracePeriodSeconds: 5 },
    dispatch: { containerConcurrency: 0, timeouts: { totalMs: 10_000, responseStartMs: 0, idleMs: 0 }, protocol: 'http1' },
    timeoutSeconds: 10,
    progressDeadlineSeconds: 60,
  };
}

async function until(what: string, fn: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function envOf(host: string, port: number): Promise<Record<string, string>> {
  const r = await fetch(`http://${host}:${port}/`);
  return ((await r.json()) as { env: Record<string, string> }).env;
}

test('gpu: 2 devices, 3 replicas: the third is pending with the scheduler\'s text; scale-down and scale to zero free devices; capacity', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-gpu-'));
  const inventory: GpuDevice[] = [{ index: 0, uuid: 'GPU-zero', devices: [] }, { index: 1, devices: [] }];
  const m = new InstanceManager(dir, [new ProcessRuntime()], undefined, undefined, inventory);
  t.after(async () => {
    await m.stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const key = 'default/g-00001';
  m.ensure(gpuWorkload('g-00001'));
  m.setScale(key, 3);
  await until('two ready replicas and one pending', () => {
    const ps = m.pods(key);
    return ps.filter((p) => p.state === 'ready').length === 2 && ps.filter((p) => p.state === 'pending').length === 1;
  });
  const pending = m.pods(key).find((p) => p.state === 'pending')!;
  assert.deepEqual(pending.unschedulable, { reason: 'Unschedulable', message: INSUFFICIENT_GPU_MESSAGE });
  assert.equal(INSUFFICIENT_GPU_MESSAGE, '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.');
  assert.equal(pending.restartCount, 0);
  assert.equal(pending.pid, undefined);
  assert.deepEqual(m.status(key)?.unschedulable, { reason: 'Unschedulable', message: INSUFFICIENT_GPU_MESSAGE });
  assert.equal(m.gpus.free, 0);

  // Each ready replica sees its own device only.
  const seen = await Promise.all(m.pods(key).filter((p) => p.state === 'ready').map((p) => envOf(p.host, p.port)));
  assert.deepEqual(seen.map((e) => e.CUDA_VISIBLE_DEVICES).sort(), ['1', 'GPU-zero']);
  for (const e of seen) assert.equal(e.NVIDIA_VISIBLE_DEVICES, e.CUDA_VISIBLE_DEVICES);

  // The autoscaler's cap (test/e2e-resources.test.ts drives it with real load): what the devices allow.
  assert.equal(m.capacity(key), 2);
  assert.equal(m.capacity('default/nope'), undefined);

  // Scale-down: the pending replica goes first, then a running one frees its device.
  m.setScale(key, 2);
  await until('the pending replica gone', () => m.pods(key).length === 2 && m.status(key)?.unschedulable === undefined);
  m.setScale(key, 1);
  await until('one replica and a free device', () => m.pods(key).length === 1 && m.gpus.free === 1);

  // Another revision gets the freed device; a third replica of either waits for one.
  const other = 'default/h-00001';
  m.ensure(gpuWorkload('h-00001'));
  m.setScale(other, 2);
  await until('h: one ready, one pending', () => {
    const ps = m.pods(other);
    return ps.some((p) => p.state === 'ready') && ps.some((p) => p.state === 'pending');
  });
  assert.equal(m.capacity(key), 1);
  assert.equal(m.capacity(other), 1);
  // Scale to zero frees the device: the pending replica of h starts on it.
  m.setScale(key, 0);
  await until('h at two ready', () => m.pods(other).filter((p) => p.state === 'ready').length === 2);
  assert.equal(m.pods(key).length, 0);
  assert.equal(m.status(other)?.unschedulable, undefined);
});
