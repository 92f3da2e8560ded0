// End to end with OCI images through podman: the getting-started story of knative/docs
// docs/getting-started/first-service.md and first-traffic-split.md (create, curl, update the env, a
// 20/80 split) with a locally built helloworld image, digest pinning in `describe`, a missing
// image's ContainerMissing, and no container outliving knit serve or a crash of it.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXAMPLES, KnitServer, eventually } from './harness.ts';
import { TestImages } from './fixtures/podman-images.ts';
import { podmanSuite } from './podman-suite.ts';
import { OWNER_LABEL, PodmanRuntime, runPodman } from '../src/runtime/podman.ts';

const images = new TestImages();
let knit: KnitServer | undefined;
let image = '';

/** The owner labels of the containers of one knit serve (its pid, whatever its start time). */
async function containersOf(pid: number): Promise<string[]> {
  const r = await runPodman('podman', ['ps', '-a', '--filter', 'label=knit.instance', '--format', 'json']);
  const list = JSON.parse(r.stdout || '[]') as { Id: string; Labels?: Record<string, string> }[];
  return list.filter((c) => c.Labels?.[OWNER_LABEL]?.startsWith(`${pid}:`)).map((c) => c.Id);
}

podmanSuite('podman end to end', () => {
  before(async () => {
    const base = await images.buildNodeBase();
    image = await images.buildApp('helloworld', base, `${EXAMPLES}/helloworld`);
    knit = await new KnitServer().start();
  });

  after(async () => {
    const pid = knit?.pid;
    try {
      await knit?.cleanup();
      if (pid !== undefined) assert.deepEqual(await containersOf(pid), [], 'no container outlives knit serve');
    } finally {
      if (pid !== undefined) for (const id of await containersOf(pid)) await runPodman('podman', ['rm', '-f', '-t', '0', id]);
      await images.removeAll();
    }
  });

  const H1 = 'h1.default.example.com';

  test('getting started with an image: create, update the env, split 20/80; describe shows the pinned digest', async () => {
    const k = knit!;
    const created = await k.knit(['service', 'create', 'h1', '--port', '8080', '--image', image, '--env', 'TARGET=Go Sample v1']);
    assert.equal(created.code, 0, created.stderr + k.log);
    assert.match(created.stdout, /Service 'h1' created to latest revision 'h1-00001' is available at URL:\nhttp:\/\/h1\.default\.example\.com\n$/);
    assert.equal((await k.request(H1)).body, 'Hello Go Sample v1!\n');

    const rev1 = (await k.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/revisions/h1-00001')).json as { status: { containerStatuses: { name: string; imageDigest: string }[] } };
    const digest = rev1.status.containerStatuses[0].imageDigest;
    assert.match(digest, new RegExp(`^${images.prefix}-helloworld@sha256:[0-9a-f]{64}$`));

    const updated = await k.knit(['service', 'update', 'h1', '--env', 'TARGET=hello world']);
    assert.equal(updated.code, 0, updated.stderr);
    assert.match(updated.stdout, /Service 'h1' updated to latest revision 'h1-00002' is available at URL:\n/);
    assert.equal((await k.request(H1)).body, 'Hello hello world!\n');

    await eventually('h1-00001 to be reserve', async () => {
      const rev = (await k.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/revisions/h1-00001')).json as { metadata: { labels: Record<string, string> } };
      return rev.metadata.labels['serving.knative.dev/routingState'] === 'reserve';
    });
    const split = await k.knit(['service', 'update', 'h1', '--traffic', 'h1-00001=20', '--traffic', 'h1-00002=80']);
    assert.equal(split.code, 0, split.stderr);
    const seen = { v1: 0, v2: 0 };
    for (let i = 0; i < 100; i++) {
      const r = await k.request(H1);
      assert.equal(r.status, 200);
      if (r.body === 'Hello Go Sample v1!\n') seen.v1++;
      else if (r.body === 'Hello hello world!\n') seen.v2++;
      else assert.fail(`unexpected body ${r.body}`);
    }
    assert.ok(seen.v1 >= 5 && seen.v2 >= 60, `20/80 split gave ${JSON.stringify(seen)}`);

    const describe = await k.knit(['service', 'describe', 'h1']);
    assert.equal(describe.code, 0, describe.stderr);
    const short = /sha256:([0-9a-f]{6})/.exec(digest)![1];
    const imageRe = image.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    assert.match(describe.stdout, new RegExp(`\\n {3}80% {2}h1-00002 \\(current @latest\\) \\[2\\] \\(\\S+\\)\\n\\s+Image:\\s+${imageRe} \\(pinned to ${short}\\)\\n`));
    assert.match(describe.stdout, new RegExp(`\\n {3}20% {2}h1-00001 \\[1\\] \\(\\S+\\)\\n\\s+Image:\\s+${imageRe} \\(pinned to ${short}\\)\\n`));
  });

  test('an image that does not exist: the revision fails with ContainerMissing and podman\'s reason', async () => {
    const k = knit!;
    const missing = images.name('missing', 'nope');
    const r = await k.knit(['service', 'create', 'gone', '--image', missing, '--wait-window', '0']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /RevisionFailed: Revision "gone-00001" failed with message: Unable to fetch image /);
    const rev = await eventually('gone-00001 ContainerHealthy=False', async () => {
      const got = (await k.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/revisions/gone-00001')).json as { status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } };
      const c = got.status?.conditions?.find((x) => x.type === 'ContainerHealthy');
      return c?.status === 'False' ? c : undefined;
    });
    assert.equal(rev.reason, 'ContainerMissing');
    assert.ok(rev.message?.startsWith(`Unable to fetch image "${missing}": `), rev.message);
  });

  test('after a crash of knit serve, the next one removes the containers it left', async () => {
    const k = knit!;
    const oldPid = k.pid!;
    assert.ok((await containersOf(oldPid)).length > 0, 'h1 has running containers');
    await k.stop('SIGKILL');
    assert.ok((await containersOf(oldPid)).length > 0, 'containers survive a SIGKILLed knit');
    await k.start();
    // The line is printed before endpoints.json is written; the pipe may deliver it just after start() returns.
    await eventually('the reap message', () => /knit: stopped \d+ instance\(s\) left by a previous run/.test(k.log), 5_000);
    await eventually('the old containers to be gone', async () => (await containersOf(oldPid)).length === 0);
    // The restarted knit re-creates h1's instances from its store and serves again.
    await eventually('h1 to serve again', async () => (await k.request(H1)).status === 200, 20_000);
  });

  test('knit service create --source DIR builds the Containerfile with podman and runs it', async () => {
    const k = knit!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-source-'));
    try {
      fs.cpSync(`${EXAMPLES}/helloworld`, path.join(dir, 'app'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'Containerfile'), `FROM ${images.name('node')}\nCOPY app/ /app/\nWORKDIR /app\nENV TARGET=source\nCMD ["node", "server.js"]\n`);
      const r = await k.knit(['service', 'create', 'fromsrc', '--source', dir]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await k.request('fromsrc.default.example.com')).body, 'Hello source!\n');
      const svc = (await k.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/services/fromsrc')).json as { spec: { template: { spec: { containers: { image: string }[] } } } };
      const built = svc.spec.template.spec.containers[0].image;
      assert.match(built, /^localhost\/knit-source\/knit-source-[a-z0-9]+:\d{14}$/);
      await k.knit(['service', 'delete', 'fromsrc']);
      await runPodman('podman', ['rmi', '-f', built]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
