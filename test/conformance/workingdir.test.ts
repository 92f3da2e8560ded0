// knative/serving test/conformance/runtime/workingdir_test.go (TestWorkingDirService) translated for both runtimes.

import assert from 'node:assert/strict';
import { conformance, test } from './support.ts';

conformance('runtime workingdir', (t) => {
  test('TestWorkingDirService: workingDir /tmp is the cwd the app sees', async () => {
    const { ri } = await t.fetchRuntimeInfo('working-dir', { workingDir: '/tmp' });
    assert.equal(ri.host.user.cwd.directory, '/tmp', ri.host.user.cwd.error);
  });
});
