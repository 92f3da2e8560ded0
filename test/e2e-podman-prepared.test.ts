// End to end: a revision of an image at zero keeps its next container prepared (created and initialised by
// podman, not running); the scale from zero starts that very container; the container goes with the revision,
// with knit serve's stop, and after a crash of knit serve the next one reaps it.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EXAMPLES, KnitServer, eventually } from './harness.ts';
import { TestImages } from './fixtures/podman-images.ts';
import { podmanSuite } from './podman-suite.ts';
import { OWNER_LABEL, runPodman } from '../src/runtime/podman.ts';

const images = new TestImages();
let knit: KnitServer | undefined;
let image = '';

interface Container {
  id: string;
  state: string;
  owner: string;
}

/** The containers of a revision (label knit.revision=default/REV), with their podman state. */
async function containersOfRevision(rev: string): Promise<Container[]> {
  const r = await runPodman('podman', ['ps', '-a', '--filter', `label=knit.revision=default/${rev}`, '--format', '{{.ID}}']);
  const out: Container[] = [];
  for (const id of r.stdout.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const i = await runPodman('podman', ['container', 'inspect', '--format', `{{.Id}} {{.State.Status}} {{index .Config.Labels "${OWNER_LABEL}"}}`, id]);
    if (i.code !== 0) continue; // gone meanwhile
    const [full, state, owner] = i.stdout.trim().split(' ');
    out.push({ id: full, state, owner });
  }
  return out;
}

/** The one prepared (initialised, not running) container of a revision, once there is exactly one. */
async function preparedOf(rev: string): Promise<Container> {
  let found: Container | undefined;
  await eventually(`the prepared container of ${rev}`, async () => {
    const list = await containersOfRevision(rev);
    found = list.length === 1 && list[0].state === 'initialized' ? list[0] : undefined;
    return found !== undefined;
  }, 30_000);
  return found!;
}

podmanSuite('podman prepared containers end to end', () => {
  before(async () => {
    const base = await images.buildNodeBase();
    image = await images.buildApp('helloworld', base, `${EXAMPLES}/helloworld`);
    knit = await new KnitServer([], undefined, 'autoscaler:\n  scale-to-zero-grace-period: 1s\n  allow-zero-initial-scale: true\n').start();
  });

  after(async () => {
    try {
      await knit?.cleanup();
      for (const rev of ['p1-00001', 'p2-00001']) assert.deepEqual(await containersOfRevision(rev), [], `no container of ${rev} outlives knit serve`);
    } finally {
      for (const rev of ['p1-00001', 'p2-00001']) for (const c of await containersOfRevision(rev)) await runPodman('podman', ['rm', '-f', '-t', '0', c.id]);
      await images.removeAll();
    }
  });

  test('a revision at zero has its container prepared; the first request starts that container; deleting the service removes it', async () => {
    const k = knit!;
    await k.createService('p1', image, { 'autoscaling.knative.dev/initial-scale': '0' });
    const prepared = await preparedOf('p1-00001');
    const r = await k.request('p1.default.example.com');
    assert.equal(r.status, 200, r.body + k.log);
    assert.equal(r.body, 'Hello World!\n');
    const running = await containersOfRevision('p1-00001');
    assert.deepEqual(running.map((c) => [c.id, c.state]), [[prepared.id, 'running']], 'the prepared container serves');
    const del = await k.api('DELETE', '/apis/serving.knative.dev/v1/namespaces/default/services/p1');
    assert.equal(del.status, 200);
    await eventually('the containers of p1-00001 to be gone', async () => (await containersOfRevision('p1-00001')).length === 0, 30_000);
  });

  test('a prepared container left by a crashed knit serve is reaped by the next one, which prepares its own', async () => {
    const k = knit!;
    await k.createService('p2', image, { 'autoscaling.knative.dev/initial-scale': '0' });
    const before = await preparedOf('p2-00001');
    await k.stop('SIGKILL');
    assert.equal((await containersOfRevision('p2-00001'))[0]?.id, before.id, 'a SIGKILLed knit leaves it');
    await k.start();
    await eventually('the old prepared container to be gone', async () => !(await containersOfRevision('p2-00001')).some((c) => c.id === before.id), 30_000);
    const now = await preparedOf('p2-00001');
    assert.notEqual(now.id, before.id);
    assert.equal(now.owner.split(':')[0], String(k.pid), 'owned by the new knit serve');
    assert.equal((await k.request('p2.default.example.com')).status, 200);
  });
});
