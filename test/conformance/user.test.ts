// knative/serving test/conformance/runtime/user_test.go (TestMustRunAsUser, TestShouldRunAsUserContainerDefault)
// translated for both runtimes, and the kubelet's runAsNonRoot check (kubernetes
// pkg/kubelet/kuberuntime/security_context_others.go verifyRunAsNonRoot) failing the revision.

import assert from 'node:assert/strict';
import { DEFAULT_UID } from '../../src/runtime/sandbox.ts';
import { conformance, test } from './support.ts';

const SECURITY_CONTEXT_USER_ID = 2020;
/** The user ko's images (Knative's test images) run as; the podman runtime-info image has `USER 65532`. */
const UNPRIVILEGED_USER_ID = 65532;

conformance('runtime user', (t) => {
  test('TestMustRunAsUser: runAsUser 2020 is the uid and euid the app sees', async () => {
    const { ri } = await t.fetchRuntimeInfo('must-run-as-user', { securityContext: { runAsUser: SECURITY_CONTEXT_USER_ID }, workingDir: '/' });
    assert.equal(ri.host.user.uid, SECURITY_CONTEXT_USER_ID);
    assert.equal(ri.host.user.euid, SECURITY_CONTEXT_USER_ID);
  });

  test('runAsGroup is the gid the app sees', async () => {
    const { ri } = await t.fetchRuntimeInfo('run-as-group', { securityContext: { runAsUser: SECURITY_CONTEXT_USER_ID, runAsGroup: 3030 } });
    assert.equal(ri.host.user.gid, 3030);
    assert.equal(ri.host.user.egid, 3030);
  });

  test("TestShouldRunAsUserContainerDefault: without runAsUser the image's user (file://: knit's unprivileged default)", async () => {
    const { ri } = await t.fetchRuntimeInfo('run-as-default');
    // A directory has no image user: file:// instances run as nobody (docs/differences.md).
    const want = t.isFile ? DEFAULT_UID : UNPRIVILEGED_USER_ID;
    assert.equal(ri.host.user.uid, want);
    assert.equal(ri.host.user.euid, want);
  });

  test("runAsNonRoot without runAsUser runs when the image's user is not root", async () => {
    const { ri } = await t.fetchRuntimeInfo('non-root-image', { securityContext: { runAsNonRoot: true } });
    assert.notEqual(ri.host.user.uid, 0);
  });

  test("runAsNonRoot with runAsUser 0 fails the revision with the kubelet's CreateContainerConfigError", async () => {
    await t.create('non-root-uid0', { securityContext: { runAsNonRoot: true, runAsUser: 0 } });
    const c = await t.revisionCondition('non-root-uid0', 'ContainerHealthy', (x) => x.status === 'False');
    assert.equal(c.reason, 'CreateContainerConfigError');
    assert.equal(c.message, "container's runAsUser breaks non-root policy (container: user-container)");
  });
});
