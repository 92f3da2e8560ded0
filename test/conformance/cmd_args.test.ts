// knative/serving test/conformance/runtime/cmd_args_test.go (TestCmdArgs) translated for both runtimes: the
// container's command and args are the app's argv. Node reports its own binary as argv[0], so the app's
// arguments are compared from the script on.

import assert from 'node:assert/strict';
import { conformance, test } from './support.ts';

conformance('runtime cmd args', (t) => {
  test('TestCmdArgs', async () => {
    const cmds = ['node', t.appPath('server.js'), 'abra'];
    const args = ['cadabra', 'do'];
    const { ri } = await t.fetchRuntimeInfo('cmd-args', { command: cmds, args });
    assert.deepEqual(ri.host.args, [...cmds.slice(1), ...args]);
  });
});
