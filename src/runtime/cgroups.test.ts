// cgroups: the kubelet's value conversions as tables, and the real hierarchy of this host (v1 or v2) end to end.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { ProcessRuntime } from './process.ts';
import {
  CgroupManager, cgroupRefusal, detectCgroups, enforcedLimits, milliCpu, milliCpuToQuota, milliCpuToShares, parseCgroupMounts, resourceSettings,
  sharesToWeight, v1Writes, v2Writes, wantsCgroup,
} from './cgroups.ts';

test('cgroups: millicores, shares, quota and v2 weight as the kubelet and runc compute them', () => {
  const rows: [string, number | undefined][] = [['250m', 250], ['1', 1000], ['0.5', 500], ['1.0001', 1001], ['100u', 1], ['0', undefined], ['junk', undefined]];
  for (const [q, want] of rows) assert.equal(milliCpu(q), want, q);
  const shares: [number, number][] = [[0, 2], [1, 2], [2, 2], [100, 102], [200, 204], [250, 256], [1000, 1024], [300_000, 262_144]];
  for (const [m, want] of shares) assert.equal(milliCpuToShares(m), want, `shares of ${m}m`);
  const quota: [number, number][] = [[250, 25_000], [1000, 100_000], [1500, 150_000], [5, 1000], [1, 1000]];
  for (const [m, want] of quota) assert.equal(milliCpuToQuota(m), want, `quota of ${m}m`);
  const weight: [number, number][] = [[0, 0], [2, 1], [1024, 39], [256, 10], [262_144, 10_000]];
  for (const [s, want] of weight) assert.equal(sharesToWeight(s), want, `weight of ${s} shares`);
});

test('cgroups: resources become v1 and v2 writes; only limits need a cgroup', () => {
  const rows: { name: string; resources: { limits?: Record<string, string>; requests?: Record<string, string> } | undefined; need: string[]; v1: string[]; v2: string[] }[] = [
    { name: 'nothing', resources: undefined, need: [], v1: ['cpu.shares=2'], v2: ['memory.oom.group=1', 'cpu.weight=1'] },
    {
      name: 'memory and cpu limits: the request defaults to the limit',
      resources: { limits: { memory: '64Mi', cpu: '250m' } },
      need: ['limits.memory', 'limits.cpu'],
      v1: ['memory.limit_in_bytes=67108864', 'memory.memsw.limit_in_bytes=67108864', 'cpu.cfs_period_us=100000', 'cpu.cfs_quota_us=25000', 'cpu.shares=256'],
      v2: ['memory.max=67108864', 'memory.swap.max=0', 'memory.oom.group=1', 'cpu.max=25000 100000', 'cpu.weight=10'],
    },
    {
      name: 'a cpu request alone: shares only, nothing that needs a cgroup',
      resources: { requests: { cpu: '200m', memory: '250Mi' } },
      need: [],
      v1: ['cpu.shares=204'],
      v2: ['memory.oom.group=1', 'cpu.weight=8'],
    },
    {
      name: 'request and limit differ',
      resources: { limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '500m' } },
      need: ['limits.memory', 'limits.cpu'],
      v1: ['memory.limit_in_bytes=1073741824', 'memory.memsw.limit_in_bytes=1073741824', 'cpu.cfs_period_us=100000', 'cpu.cfs_quota_us=200000', 'cpu.shares=512'],
      v2: ['memory.max=1073741824', 'memory.swap.max=0', 'memory.oom.group=1', 'cpu.max=200000 100000', 'cpu.weight=20'],
    },
    { name: 'a GPU limit is not a cgroup matter', resources: { limits: { 'nvidia.com/gpu': '1' } }, need: [], v1: ['cpu.shares=2'], v2: ['memory.oom.group=1', 'cpu.weight=1'] },
  ];
  const wants = [false, true, true, true, false];
  rows.forEach((r, i) => assert.equal(wantsCgroup(r.resources), wants[i], `${r.name}: a cgroup`));
  for (const r of rows) {
    assert.deepEqual(enforcedLimits(r.resources), r.need, r.name);
    const s = resourceSettings(r.resources);
    assert.deepEqual(v1Writes(s).map((w) => `${w.file}=${w.value}`), r.v1, `${r.name} (v1)`);
    assert.deepEqual(v2Writes(s).map((w) => `${w.file}=${w.value}`), r.v2, `${r.name} (v2)`);
  }
  assert.match(cgroupRefusal(['limits.memory'], 'knit is not running as root, so it cannot create cgroups'), /^limits\.memory is enforced through cgroups and knit is not running as root/);
});

test('cgroups: /proc/mounts of a v1, a hybrid and a v2 host', () => {
  const v1 = parseCgroupMounts('cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,cpu,cpuacct 0 0\ncgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n');
  assert.equal(v1.v1.get('cpu'), '/sys/fs/cgroup/cpu,cpuacct');
  assert.equal(v1.v1.get('cpuacct'), '/sys/fs/cgroup/cpu,cpuacct');
  assert.equal(v1.v1.get('memory'), '/sys/fs/cgroup/memory');
  assert.deepEqual(v1.v2, ['/sys/fs/cgroup/unified']);
  const v2 = parseCgroupMounts('sysfs /sys sysfs rw 0 0\ncgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0\n');
  assert.equal(v2.v1.size, 0);
  assert.deepEqual(v2.v2, ['/sys/fs/cgroup']);
});

const support = detectCgroups();

test('cgroups: a real instance cgroup on this host: limits written, a process joins before it runs, OOM kills counted, removed after', { skip: support.ok ? false : support.why }, async (t) => {
  if (!support.ok) return;
  const owner = `test-res-${randomBytes(3).toString('hex')}`;
  const m = new CgroupManager(support.hierarchy);
  const cg = m.create(owner, 'inst-1', resourceSettings({ limits: { memory: '32Mi', cpu: '250m' } }));
  t.after(() => cg.remove());
  const read = (dir: string, f: string): string => fs.readFileSync(path.join(dir, f), 'utf8').trim();
  if (support.hierarchy.version === 1) {
    assert.equal(read(cg.memoryDir, 'memory.limit_in_bytes'), String(32 * 1024 * 1024));
    assert.equal(read(cg.cpuDir, 'cpu.cfs_quota_us'), '25000');
    assert.equal(read(cg.cpuDir, 'cpu.shares'), '256');
  } else {
    assert.equal(read(cg.memoryDir, 'memory.max'), String(32 * 1024 * 1024));
    assert.equal(read(cg.cpuDir, 'cpu.max'), '25000 100000');
  }
  // The joined process sees itself in the cgroup from its first instruction on, then allocates past the limit.
  const argv = cg.joinArgv([process.execPath, '-e', "process.stdout.write(require('fs').readFileSync('/proc/self/cgroup','utf8')); const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1));"]);
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.once('close', (c, s) => r([c, s])));
  assert.equal(signal, 'SIGKILL', `killed by the OOM killer (exit ${code})`);
  assert.ok(out.includes(`/knit/${owner}/inst-1`), out);
  assert.ok(cg.oomKills() >= 1, 'the OOM kill is counted');
  assert.ok((cg.cpuSeconds() ?? 0) > 0, 'CPU time is accounted');
  await cg.remove();
  for (const dir of cg.dirs) {
    assert.equal(fs.existsSync(dir), false, `${dir} removed`);
    assert.equal(fs.existsSync(path.dirname(dir)), false, `the owner's empty ${path.dirname(dir)} removed`);
  }
});

test('cgroups: where knit cannot create them, an instance with limits fails with why; one without limits runs', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-nocgroups-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const app = pathToFileURL(path.resolve(import.meta.dirname, '../../test/fixtures/runtime-app')).href;
  const rt = new ProcessRuntime({ cgroups: { ok: false, why: 'knit is not running as root, so it cannot create cgroups' } });
  const spec = (id: string, resources?: { limits?: Record<string, string>; requests?: Record<string, string> }) => ({
    id, namespace: 'default', revision: 'r-00001', configuration: 'r', service: 'r', container: { image: app, ...(resources ? { resources } : {}) }, image: app,
    env: {}, containerPort: 8080, gracePeriodSeconds: 2, logFile: path.join(dir, `${id}.log`),
  });
  const limited = rt.start(spec('limited', { limits: { memory: '64Mi' }, requests: { cpu: '100m' } }));
  const exit = await new Promise<{ reason: string; message: string; beforeReady: boolean }>((r) => limited.once('exit', r));
  assert.equal(exit.reason, 'CreateContainerError');
  assert.equal(exit.message, 'limits.memory is enforced through cgroups and knit is not running as root, so it cannot create cgroups; run knit as root on a host with the memory and cpu cgroup controllers, or remove the limit');
  const plain = rt.start(spec('plain', { requests: { cpu: '100m', memory: '64Mi' } }));
  t.after(() => plain.stop());
  await new Promise<void>((resolve, reject) => {
    plain.once('ready', () => resolve());
    plain.once('exit', (e: { message: string }) => reject(new Error(`exited: ${e.message}`)));
  });
});

test('cgroups: a container restarted under the same id keeps the cgroup the removal of its previous one was still waiting to remove', { skip: support.ok ? false : support.why }, async (t) => {
  if (!support.ok) return;
  const owner = `test-again-${randomBytes(3).toString('hex')}`;
  const m = new CgroupManager(support.hierarchy);
  const children: ReturnType<typeof spawn>[] = [];
  t.after(() => {
    for (const c of children) c.kill('SIGKILL');
  });
  /** A process joined to the cgroup behind `argv`: resolves once it runs in it, with a way to end it. */
  const joined = async (argv: string[]): Promise<{ end: () => Promise<void> }> => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the joined process exited (${code}) before it ran`)));
    });
    return { end: () => new Promise<void>((r) => (child.kill('SIGKILL'), child.once('exit', () => r()))) };
  };
  const sleeper = [process.execPath, '-e', "process.stdout.write('up'); setTimeout(() => {}, 60000)"];
  const cases: { name: string; make: () => { dirs: string[]; argv: string[]; remove: () => Promise<void> } }[] = [
    {
      name: 'an instance cgroup (resources)',
      make: () => {
        const cg = m.create(owner, 'inst-1', resourceSettings({ limits: { cpu: '250m' } }));
        return { dirs: cg.dirs, argv: cg.joinArgv(sleeper), remove: () => cg.remove(10_000) };
      },
    },
  ];
  const starting = support.hierarchy.version === 1 ? m.starting(owner) : undefined;
  if (starting) {
    cases.push({
      name: 'a starting cgroup (no resources)',
      make: () => {
        assert.ok(starting.create('inst-2'));
        return { dirs: [starting.dir('inst-2')], argv: starting.joinArgv('inst-2', sleeper), remove: () => starting.remove('inst-2', 10_000) };
      },
    });
  }
  for (const c of cases) {
    const first = c.make();
    const old = await joined(first.argv);
    // The first process still runs: its removal waits for it.
    const removed = first.remove();
    const again = c.make();
    assert.deepEqual(again.dirs, first.dirs, c.name);
    await old.end();
    await removed;
    for (const d of again.dirs) assert.ok(fs.existsSync(d), `${c.name}: ${d} is the new container's`);
    const next = await joined(again.argv);
    await next.end();
    await again.remove();
    for (const d of again.dirs) assert.equal(fs.existsSync(d), false, `${c.name}: ${d} removed after`);
  }
});
