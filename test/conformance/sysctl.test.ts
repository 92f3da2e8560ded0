// knative/serving test/conformance/runtime/sysctl_test.go (TestShouldHaveSysctlReadOnly) translated for both
// runtimes: /proc/sys is a read-only proc mount.

import assert from 'node:assert/strict';
import { conformance, test } from './support.ts';

conformance('runtime sysctl', (t) => {
  test('TestShouldHaveSysctlReadOnly', async () => {
    const { ri } = await t.fetchRuntimeInfo('sysctl');
    const sys = ri.host.mounts.filter((m) => m.path === '/proc/sys');
    assert.ok(sys.length > 0, 'a /proc/sys mount');
    for (const m of ri.host.mounts) assert.equal(m.error, undefined, `Error getting mount information: ${m.error}`);
    for (const m of sys) {
      assert.equal(m.type, 'proc', `${m.path} has mount.Type = ${m.type}`);
      assert.equal(m.device, 'proc', `${m.path} has mount.Device = ${m.device}`);
      assert.ok(m.options?.includes('ro'), `${m.path} has mount.Options = ${m.options}, wanted: ro`);
    }
  });
});
