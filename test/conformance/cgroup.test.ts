// knative/serving test/conformance/runtime/cgroup_test.go (TestMustHaveCgroupConfigured, TestShouldHaveCgroupReadOnly)
// translated for both runtimes: limits cpu 1000m and memory 128Mi, request cpu 125m, as the app sees its cgroups
// (v1: memory.limit_in_bytes, cpu.shares, cpu.cfs_quota_us / cpu.cfs_period_us; v2: memory.max, cpu.max, cpu.weight).

import assert from 'node:assert/strict';
import { conformance, test, type RuntimeInfo, type Target } from './support.ts';

const CPU_LIMIT = 1; // CPU
const MEMORY_LIMIT = 128; // MiB
const CPU_REQUEST = 0.125; // CPU

const resources = {
  limits: { cpu: `${CPU_LIMIT * 1000}m`, memory: `${MEMORY_LIMIT}Mi` },
  requests: { cpu: `${CPU_REQUEST * 1000}m` },
};

/** isCgroupsV2: what is mounted at /sys/fs/cgroup. */
function isCgroupsV2(ri: RuntimeInfo): boolean {
  const m = ri.host.mounts.find((x) => x.path === '/sys/fs/cgroup');
  assert.ok(m, 'Failed to find cgroup mount on /sys/fs/cgroup');
  return m.type === 'cgroup2';
}

/**
 * A file:// instance gets a cgroup of its own only when its container sets CPU or memory resources
 * (docs/architecture.md "Resources"): the read-only test, which sets none, cannot pass for it.
 */
function noResourcesSkip(t: Target): { skip: string | false } {
  return { skip: t.isFile ? 'a file:// instance without resources has no cgroup of its own (docs/differences.md)' : false };
}

conformance('runtime cgroup', (t) => {
  test('TestMustHaveCgroupConfigured', async () => {
    const { ri } = await t.fetchRuntimeInfo('cgroup-configured', { resources });
    const memory = String((MEMORY_LIMIT * 1024 * 1024) & ~4095); // floor() to 4K pages
    const v2 = isCgroupsV2(ri);
    const expected: Record<string, string> = v2
      ? { '/sys/fs/cgroup/memory.max': memory }
      : { '/sys/fs/cgroup/memory/memory.limit_in_bytes': memory, '/sys/fs/cgroup/cpu/cpu.shares': String(Math.floor((CPU_REQUEST * 1000 * 1024) / 1000)) };
    let period: string | undefined;
    let quota: string | undefined;
    let maxV2: string | undefined;
    let periodV2: string | undefined;
    for (const cg of ri.host.cgroups) {
      assert.equal(cg.error, undefined, `Error getting cgroup information: ${cg.error}`);
      const value = cg.value ?? '';
      if (cg.name === '/sys/fs/cgroup/cpu/cpu.cfs_period_us') period = value;
      else if (cg.name === '/sys/fs/cgroup/cpu/cpu.cfs_quota_us') quota = value;
      else if (cg.name === '/sys/fs/cgroup/cpu.max') [maxV2, periodV2] = value.split(' ');
      else if (cg.name === '/sys/fs/cgroup/cpu.weight') assert.ok(Number(value) >= 1, `${cg.name} = ${value}, want > 0`);
      else if (cg.name in expected) assert.equal(value, expected[cg.name], cg.name);
    }
    const expectedMilliCPU = CPU_LIMIT * 1000;
    if (v2) {
      assert.notEqual(maxV2, 'max', `The cpu is unlimited but should be ${expectedMilliCPU} MilliCPUs`);
      assert.equal(Math.floor((1000 * Number(maxV2)) / Number(periodV2)), expectedMilliCPU);
    } else {
      assert.ok(period !== undefined, "Can't find the 'cpu.cfs_period_us' from cgroups");
      assert.ok(quota !== undefined, "Can't find the 'cpu.cfs_quota_us' from cgroups");
      assert.equal(Math.floor((1000 * Number(quota)) / Number(period)), expectedMilliCPU, `period ${period} quota ${quota}`);
    }
  });

  test('TestShouldHaveCgroupReadOnly', noResourcesSkip(t), async () => {
    const { ri } = await t.fetchRuntimeInfo('cgroup-read-only');
    for (const cg of ri.host.cgroups) {
      assert.equal(cg.error, undefined, `Error getting cgroup information: ${cg.error}`);
      assert.equal(cg.readOnly, true, `For cgroup ${cg.name} cgroup.ReadOnly = ${cg.readOnly}, want: true`);
    }
  });
});
