// knative/serving test/conformance/runtime/file_descriptor_test.go (TestShouldHaveStdinEOF) translated for both
// runtimes, and the descriptors a container starts with: 0, 1 and 2 only, stdout and stderr writable.

import assert from 'node:assert/strict';
import { conformance, test } from './support.ts';

conformance('runtime file descriptors', (t) => {
  test('TestShouldHaveStdinEOF: the first read of stdin is EOF', async () => {
    const { ri } = await t.fetchRuntimeInfo('stdin-eof');
    assert.equal(ri.host.stdin.error, undefined);
    assert.equal(ri.host.stdin.eof, true);
  });

  test('the container process starts with fds 0, 1 and 2 only; 1 and 2 are writable', async () => {
    // The shell has a subshell list its descriptors before it becomes the app (Node opens a dozen of its own).
    const { ri } = await t.fetchRuntimeInfo('start-fds', { command: ['sh', '-c', '(ls /proc/$$/fd > /tmp/start-fds); exec node server.js'] });
    assert.deepEqual(ri.knit.startFds, ['0', '1', '2']);
    for (const fd of ['/proc/self/fd/1', '/proc/self/fd/2']) assert.equal(ri.host.fileaccess[fd]?.write_error, undefined, fd);
  });
});
