// End to end: a revision with a serving container and a sidecar on 127.0.0.1:8090, two pods at once
// (min-scale 2), for file:// and podman images: traffic goes through each pod's own sidecar, a crashed
// sidecar is restarted in its pod, `knit logs -c` and `kubectl logs -c` show one container each.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { FIXTURES, KnitServer, eventually } from './harness.ts';
import { TestImages } from './fixtures/podman-images.ts';
import { podmanSuite } from './podman-suite.ts';
import { detectSandbox } from '../src/runtime/sandbox.ts';

interface PodView {
  metadata: { name: string };
  spec: { containers: { name: string; env?: { name: string; value?: string }[] }[] };
  status: { containerStatuses?: { name: string; ready: boolean; restartCount: number }[]; conditions?: { type: string; status: string }[] };
}

async function podsOf(k: KnitServer, svc: string): Promise<PodView[]> {
  const r = await k.api('GET', `/api/v1/namespaces/default/pods?labelSelector=serving.knative.dev%2Fservice%3D${svc}`);
  return (r.json as { items: PodView[] }).items;
}

/** The whole story for one image (the serving app and its sidecar are the same image, told apart by ROLE). */
async function sidecarStory(k: KnitServer, svc: string, image: string): Promise<void> {
  const host = `${svc}.default.example.com`;
  const created = await k.api('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: svc },
    spec: {
      template: {
        metadata: { annotations: { 'autoscaling.knative.dev/min-scale': '2' } },
        spec: {
          containers: [
            { name: 'app', image, ports: [{ containerPort: 8080 }] },
            // With multi-container-probing the sidecar's own readiness probe (on its port, inside the pod) gates the pod.
            { name: 'cache', image, env: [{ name: 'ROLE', value: 'sidecar' }, { name: 'GREETING', value: 'hi' }, { name: 'LISTEN_DELAY_MS', value: '300' }], readinessProbe: { httpGet: { port: 8090, path: '/' }, periodSeconds: 1 } },
          ],
        },
      },
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));

  // Both pods ready, each with both containers ready.
  const pods = await eventually('two ready pods with two ready containers', async () => {
    const ps = await podsOf(k, svc);
    const ready = ps.filter((p) => p.status.containerStatuses?.length === 2 && p.status.containerStatuses.every((c) => c.ready));
    return ready.length === 2 ? ready : undefined;
  }, 60_000, 100);
  for (const p of pods) {
    assert.deepEqual(p.spec.containers.map((c) => c.name), ['app', 'cache']);
    assert.deepEqual(p.status.containerStatuses?.map((c) => c.name), ['app', 'cache']);
    assert.ok(p.spec.containers[0].env?.some((e) => e.name === 'PORT'), 'the serving container has PORT');
    assert.ok(!p.spec.containers[1].env?.some((e) => e.name === 'PORT'), 'a sidecar has no PORT');
    assert.ok(p.spec.containers[1].env?.some((e) => e.name === 'K_REVISION'), 'a sidecar has the K_* variables');
  }

  // Every container's image is resolved and pinned (knative/serving resolves them all); a directory has no digest.
  const rev = (await k.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/revisions/${svc}-00001`)).json as { status: { containerStatuses: { name: string; imageDigest?: string }[] } };
  assert.deepEqual(rev.status.containerStatuses.map((c) => c.name), ['app', 'cache']);
  for (const c of rev.status.containerStatuses) {
    if (image.startsWith('file://')) assert.equal(c.imageDigest, undefined);
    else assert.match(c.imageDigest ?? '', /@sha256:[0-9a-f]{64}$/);
  }

  // Every request goes through a sidecar (ready only once it listens); two pods, two sidecars, each serving app always with its own.
  const pairs = new Map<string, string>();
  await eventually('both pods answered through their sidecar', async () => {
    const r = await k.request(host);
    assert.equal(r.status, 200, r.body);
    const m = /^serving (\w+) via sidecar (\w+) hi\n$/.exec(r.body);
    assert.ok(m, r.body);
    const seen = pairs.get(m[1]);
    assert.ok(seen === undefined || seen === m[2], 'a serving container always reaches its own pod\'s sidecar');
    pairs.set(m[1], m[2]);
    return pairs.size === 2;
  }, 30_000, 0);
  assert.equal(new Set(pairs.values()).size, 2, 'two sidecars on 127.0.0.1:8090 at once');

  // Logs per container.
  const servingLogs = await k.knit(['logs', svc]);
  assert.equal(servingLogs.code, 0, servingLogs.stderr);
  assert.match(servingLogs.stdout, /serving \w+ listening on 8080/);
  assert.doesNotMatch(servingLogs.stdout, /sidecar \w+ listening/);
  const cacheLogs = await k.knit(['logs', svc, '-c', 'cache']);
  assert.equal(cacheLogs.code, 0, cacheLogs.stderr);
  assert.equal(cacheLogs.stdout.match(/sidecar \w+ listening on :8090/g)?.length, 2, cacheLogs.stdout);
  assert.doesNotMatch(cacheLogs.stdout, /serving \w+ listening/);
  const unknown = await k.knit(['logs', svc, '-c', 'nope']);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /container nope is not valid for revision/);

  const pod = pods[0].metadata.name;
  const kc = await k.kubectl(['logs', pod, '-c', 'cache']);
  assert.equal(kc.code, 0, kc.stderr);
  assert.match(kc.stdout, /^sidecar \w+ listening on :8090\n$/);
  const kd = await k.kubectl(['logs', pod]);
  assert.equal(kd.code, 0, kd.stderr);
  assert.match(kd.stdout, /^serving \w+ listening on 8080\n$/, 'the default container is the serving one');
  const kn = await k.kubectl(['logs', pod, '-c', 'nope']);
  assert.notEqual(kn.code, 0);
  assert.match(kn.stderr, new RegExp(`container nope is not valid for pod ${pod}`));

  // A sidecar crashes: it is restarted in its pod (restartCount 1, the serving container untouched), and traffic recovers.
  const crash = await k.request(host, '/crash');
  assert.equal(crash.status, 200, crash.body);
  const restarted = await eventually('the crashed sidecar restarted and ready', async () => {
    const ps = await podsOf(k, svc);
    const p = ps.find((x) => x.status.containerStatuses?.find((c) => c.name === 'cache')?.restartCount === 1);
    return p && p.status.containerStatuses?.every((c) => c.ready) ? p : undefined;
  }, 30_000, 100);
  assert.equal(restarted.status.containerStatuses?.find((c) => c.name === 'app')?.restartCount, 0);
  const prev = await k.kubectl(['logs', restarted.metadata.name, '-c', 'cache', '--previous']);
  assert.equal(prev.code, 0, prev.stderr);
  assert.match(prev.stdout, /sidecar \w+ listening/);
  // The restarted sidecar's pod came back only once its probe passed: every request succeeds.
  for (let i = 0; i < 20; i++) {
    const r = await k.request(host);
    assert.equal(r.status, 200, r.body);
    assert.match(r.body, /via sidecar \w+ hi/);
  }

  // kn's describe shows the first container's image (knative/client pkg/commands/revision/describe.go WriteImage).
  const describe = await k.knit(['service', 'describe', svc]);
  assert.equal(describe.code, 0, describe.stderr);
  assert.equal(describe.stdout.match(/Image:/g)?.length, 1, describe.stdout);
  assert.ok(describe.stdout.includes(`Image:`) && describe.stdout.includes(image.replace(/^file:\/\//, '').split(':')[0]), describe.stdout);

  const deleted = await k.knit(['service', 'delete', svc]);
  assert.equal(deleted.code, 0, deleted.stderr);
  await eventually('the pods gone', async () => (await podsOf(k, svc)).length === 0, 30_000, 100);
}

const sandbox = detectSandbox();
/** Knative's config-features flag that lets sidecars declare probes. */
const PROBING = 'features:\n  multi-container-probing: enabled\n';

test('file:// sidecars: two pods at once, each with its own network; restarts; logs per container', { skip: sandbox.ok ? false : `file:// pods need the sandbox: ${sandbox.why}` }, async (t) => {
  const k = await new KnitServer([], undefined, PROBING).start();
  t.after(() => k.cleanup());
  await sidecarStory(k, 'side-file', pathToFileURL(path.join(FIXTURES, 'sidecar-app')).href);

  // A sidecar whose image cannot be fetched fails the revision as a serving container's would.
  const app = pathToFileURL(path.join(FIXTURES, 'sidecar-app')).href;
  const created = await k.api('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', {
    apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'side-missing' },
    spec: { template: { spec: { containers: [{ name: 'app', image: app, ports: [{ containerPort: 8080 }] }, { name: 'gone', image: 'file:///nonexistent/sidecar' }] } } },
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  await eventually('ContainerMissing for the sidecar', async () => {
    const rev = (await k.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/revisions/side-missing-00001')).json as { status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } };
    const c = rev.status?.conditions?.find((x) => x.type === 'ContainerHealthy');
    return c?.status === 'False' && c.reason === 'ContainerMissing' && /Unable to fetch image "file:\/\/\/nonexistent\/sidecar"/.test(c.message ?? '');
  }, 20_000, 100);
});

podmanSuite('podman sidecars', () => {
  const images = new TestImages();
  let knit: KnitServer | undefined;
  let image = '';
  before(async () => {
    const base = await images.buildNodeBase();
    image = await images.buildApp('sidecar-ctr', base, path.join(FIXTURES, 'sidecar-app'));
    knit = await new KnitServer([], undefined, PROBING).start();
  });
  after(async () => {
    try {
      await knit?.cleanup();
    } finally {
      await images.removeAll();
    }
  });

  test('podman sidecars: a podman pod per instance, two at once; restarts; logs per container', async () => {
    await sidecarStory(knit!, 'side-podman', image);
  });
});
