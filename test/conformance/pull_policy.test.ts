// imagePullPolicy as the kubelet honours it (kubernetes pkg/kubelet/images/image_manager.go), set through kn's
// --pull-policy: Never never pulls and a missing image fails with ErrImageNeverPull, Always checks the registry
// again when the revision is created, IfNotPresent pulls only a missing image. A file:// directory is always present.

import assert from 'node:assert/strict';
import { runPodman } from '../../src/runtime/podman.ts';
import { conformance, only, test } from './support.ts';

conformance('imagePullPolicy', (t) => {
  test('--pull-policy Never with a present image: the revision runs, nothing is pulled', async () => {
    const r = await t.knit.knit(['service', 'create', 'never-present', '--image', t.image, '--pull-policy', 'Never']);
    assert.equal(r.code, 0, r.stderr);
    const svc = (await t.knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/services/never-present')).json as { spec: { template: { spec: { containers: { imagePullPolicy?: string }[] } } } };
    assert.equal(svc.spec.template.spec.containers[0].imagePullPolicy, 'Never');
    assert.equal((await t.request('never-present')).status, 200);
  });

  test("--pull-policy Never with a missing image: the revision fails with the kubelet's ErrImageNeverPull", only(t, 'podman', 'a file:// image is a directory, present or ContainerMissing'), async () => {
    const missing = `${t.image.replace(/:[^:/]*$/, '')}-missing:v0`;
    const r = await t.knit.knit(['service', 'create', 'never-missing', '--image', missing, '--pull-policy', 'Never', '--wait-window', '0']);
    assert.equal(r.code, 1, r.stdout);
    const c = await t.revisionCondition('never-missing', 'ContainerHealthy', (x) => x.status === 'False');
    assert.equal(c.reason, 'ErrImageNeverPull');
    assert.equal(c.message, `Container image "${missing}" is not present with pull policy of Never`);
  });

  test('--pull-policy Always pulls when the revision is created, IfNotPresent uses the local image', only(t, 'podman', 'a file:// image has no registry'), async () => {
    // Present here under the name of a registry that refuses connections: only a pull can fail on it.
    const remote = `127.0.0.1:1/knit-conf-${process.pid}/runtime-info:v1`;
    assert.equal((await runPodman('podman', ['tag', t.image, remote])).code, 0);
    try {
      const always = await t.knit.knit(['service', 'create', 'always', '--image', remote, '--pull-policy', 'Always', '--wait-window', '0']);
      assert.equal(always.code, 1, always.stdout);
      const c = await t.revisionCondition('always', 'ContainerHealthy', (x) => x.status === 'False');
      assert.equal(c.reason, 'ContainerMissing');
      assert.ok(c.message?.startsWith(`Unable to fetch image "${remote}": `), c.message);
      const ifNotPresent = await t.knit.knit(['service', 'create', 'if-not-present', '--image', remote, '--pull-policy', 'IfNotPresent']);
      assert.equal(ifNotPresent.code, 0, ifNotPresent.stderr);
      assert.equal((await t.request('if-not-present')).status, 200);
    } finally {
      await t.knit.knit(['service', 'delete', 'always', 'if-not-present']);
      await runPodman('podman', ['rmi', '-f', remote]);
    }
  });
});
