// Volumes end to end for both runtimes: a Secret mounted as files and read as env (updates reach the files
// within 60 s, laid out as the kubelet's atomic writer lays them out), configMap items/modes/subPath,
// projected downwardAPI, emptyDir (Memory, sizeLimit, readOnly), a missing Secret's FailedMount, no secret in output.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FIXTURES, KnitServer, eventually } from './harness.ts';
import { TestImages } from './fixtures/podman-images.ts';
import { podmanSuite } from './podman-suite.ts';
import { OWNER_LABEL, runPodman } from '../src/runtime/podman.ts';

let knit: KnitServer;
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const SECRETS: string[] = [];
const images = new TestImages();

before(async () => {
  knit = await new KnitServer().start();
});

after(async () => {
  const pid = knit?.pid;
  try {
    await knit?.cleanup();
  } finally {
    // Containers of this knit serve that outlived it (none should): removed whatever happened.
    if (pid !== undefined) {
      const r = await runPodman('podman', ['ps', '-a', '--filter', 'label=knit.instance', '--format', 'json']);
      const list = JSON.parse(r.stdout || '[]') as { Id: string; Labels?: Record<string, string> }[];
      for (const c of list) if (c.Labels?.[OWNER_LABEL]?.startsWith(`${pid}:`)) await runPodman('podman', ['rm', '-f', '-t', '0', c.Id]);
    }
    // After knit serve and its containers are gone, so no container holds the images.
    await images.removeAll();
  }
});

async function put(kind: 'secrets' | 'configmaps', name: string, data: Record<string, string>, method: 'POST' | 'PUT' = 'POST'): Promise<void> {
  const body = { apiVersion: 'v1', kind: kind === 'secrets' ? 'Secret' : 'ConfigMap', metadata: { name }, data };
  const r = await knit.api(method, `/api/v1/namespaces/default/${kind}${method === 'PUT' ? `/${name}` : ''}`, body);
  assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.json));
}

async function createService(name: string, template: Record<string, unknown>): Promise<void> {
  const r = await knit.api('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', {
    apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name }, spec: { template },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
}

async function get(service: string, pathname: string): Promise<{ status: number; body: string }> {
  const r = await knit.request(`${service}.default.example.com`, pathname);
  return { status: r.status, body: r.body };
}

async function read(service: string, file: string): Promise<{ status: number; body: string }> {
  return get(service, `/read?path=${encodeURIComponent(file)}`);
}

async function json<T>(service: string, pathname: string): Promise<T> {
  const r = await get(service, pathname);
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body) as T;
}

interface Condition { type: string; status: string; reason?: string; message?: string }

async function condition(rev: string, type: string): Promise<Condition | undefined> {
  const r = (await knit.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/revisions/${rev}`)).json as { status?: { conditions?: Condition[] } };
  return r.status?.conditions?.find((c) => c.type === type);
}

/** The same scenarios for one runtime; `image()` is read when the tests run. */
function scenarios(rt: string, image: () => string): void {
  const FIRST = `first-${rt}-s3cr3t-9f2c`;
  const SECOND = `second-${rt}-s3cr3t-71ab`;
  SECRETS.push(FIRST, SECOND);
  const svc = `${rt}-sec`;

  test(`${rt}: a Secret as files and as env; an update reaches the files within 60 s and the env of a new revision`, async () => {
    await put('secrets', `db-${rt}`, { password: b64(FIRST) });
    await createService(svc, {
      spec: {
        volumes: [{ name: 'db', secret: { secretName: `db-${rt}` } }],
        containers: [{
          image: image(),
          env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: `db-${rt}`, key: 'password' } } }],
          volumeMounts: [{ name: 'db', mountPath: '/etc/knit-db' }],
        }],
      },
    });
    await eventually(`${svc} answers`, async () => (await get(svc, '/')).status === 200, 60_000, 200);
    assert.deepEqual(await read(svc, '/etc/knit-db/password'), { status: 200, body: FIRST });
    assert.deepEqual(await json(svc, '/env?names=PASSWORD'), { PASSWORD: FIRST });

    // The atomic writer's layout: KEY -> ..data/KEY, ..data -> ..YYYY_MM_DD_hh_mm_ss.N, mode 0644.
    const names = await json<string[]>(svc, '/ls?path=/etc/knit-db');
    const ts = names.find((n) => /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+$/.test(n));
    assert.ok(ts, JSON.stringify(names));
    assert.deepEqual(names.filter((n) => n !== ts), ['..data', 'password']);
    assert.deepEqual(await json(svc, `/lstat?path=${encodeURIComponent('/etc/knit-db/..data')}`), { type: 'link', target: ts, mode: '755', uid: (await json<{ uid: number }>(svc, '/lstat?path=/etc/knit-db/..data')).uid });
    const key = await json<{ type: string; target: string; mode: string }>(svc, '/lstat?path=/etc/knit-db/password');
    assert.equal(key.type, 'link');
    assert.equal(key.target, '..data/password');
    assert.equal(key.mode, '644');
    // Secret volumes are read-only.
    assert.deepEqual(await get(svc, '/write?path=/etc/knit-db/new&bytes=1'), { status: 500, body: 'ERR EROFS' });

    await put('secrets', `db-${rt}`, { password: b64(SECOND) }, 'PUT');
    await eventually('the mounted file to change', async () => (await read(svc, '/etc/knit-db/password')).body === SECOND, 60_000, 250);
    const after = await json<string[]>(svc, '/ls?path=/etc/knit-db');
    assert.ok(!after.includes(ts!), 'the previous timestamped directory is removed');
    // The running instance keeps its env; a new revision gets the new value.
    assert.deepEqual(await json(svc, '/env?names=PASSWORD'), { PASSWORD: FIRST });
    const up = await knit.knit(['service', 'update', svc, '--env', 'X=y']);
    assert.equal(up.code, 0, up.stderr);
    await eventually('the new revision sees the new env', async () => {
      const env = await json<Record<string, string>>(svc, '/env?names=PASSWORD,X');
      return env.X === 'y' && env.PASSWORD === SECOND;
    }, 60_000, 200);
  });

  test(`${rt}: configMap items, modes and subPath; projected with downwardAPI; emptyDir Memory with a sizeLimit, readOnly and on disk`, async () => {
    const name = `${rt}-files`;
    await put('configmaps', `cfg-${rt}`, { a: 'value-a', b: 'value-b' });
    await put('secrets', `proj-${rt}`, { token: b64(FIRST) });
    await createService(name, {
      metadata: { labels: { team: 'volumes' } },
      spec: {
        volumes: [
          { name: 'items', configMap: { name: `cfg-${rt}`, defaultMode: 0o640, items: [{ key: 'a', path: 'sub/a.txt', mode: 0o600 }] } },
          { name: 'whole', configMap: { name: `cfg-${rt}` } },
          { name: 'proj', projected: { defaultMode: 0o444, sources: [
            { secret: { name: `proj-${rt}`, items: [{ key: 'token', path: 'secret/token' }] } },
            { downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }, { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
            { configMap: { name: 'absent', optional: true } },
          ] } },
          { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
          { name: 'disk', emptyDir: {} },
        ],
        containers: [{
          image: image(),
          volumeMounts: [
            { name: 'items', mountPath: '/config' },
            { name: 'whole', mountPath: '/srv/b.txt', subPath: 'b' },
            { name: 'proj', mountPath: '/var/run/proj' },
            { name: 'mem', mountPath: '/scratch' },
            { name: 'mem', mountPath: '/scratch-ro', readOnly: true },
            { name: 'disk', mountPath: '/tmp/cache' },
          ],
        }],
      },
    });
    await eventually(`${name} answers`, async () => (await get(name, '/')).status === 200, 60_000, 200);
    // items: only the listed key, at its path, with its mode; defaultMode does not apply to it.
    assert.deepEqual(await read(name, '/config/sub/a.txt'), { status: 200, body: 'value-a' });
    assert.equal((await json<{ mode: string }>(name, '/lstat?path=/config/sub/a.txt')).mode, '600');
    assert.deepEqual((await json<string[]>(name, '/ls?path=/config')).filter((n) => !n.startsWith('..')), ['sub']);
    assert.deepEqual(await read(name, '/srv/b.txt'), { status: 200, body: 'value-b' });
    // projected: the Secret's key, the pod's name and labels as knit projects the pod.
    assert.deepEqual(await read(name, '/var/run/proj/secret/token'), { status: 200, body: FIRST });
    assert.equal((await json<{ mode: string }>(name, '/lstat?path=/var/run/proj/name')).mode, '444');
    const pods = (await knit.api('GET', `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(`serving.knative.dev/revision=${name}-00001`)}`)).json as { items: { metadata: { name: string } }[] };
    assert.equal(pods.items.length, 1);
    assert.deepEqual(await read(name, '/var/run/proj/name'), { status: 200, body: pods.items[0].metadata.name });
    const labels = (await read(name, '/var/run/proj/labels')).body;
    assert.match(labels, new RegExp(`^serving\\.knative\\.dev/revision="${name}-00001"$`, 'm'));
    assert.match(labels, /^team="volumes"$/m);
    // emptyDir Memory: writable up to its sizeLimit, shared with its read-only mount, which cannot be written.
    assert.deepEqual(await get(name, '/write?path=/scratch/small&bytes=102400'), { status: 200, body: 'ok' });
    assert.deepEqual(await get(name, '/write?path=/scratch/big&bytes=2097152'), { status: 500, body: 'ERR ENOSPC' });
    assert.equal((await json<string[]>(name, '/ls?path=/scratch-ro')).includes('small'), true);
    assert.deepEqual(await get(name, '/write?path=/scratch-ro/x&bytes=1'), { status: 500, body: 'ERR EROFS' });
    assert.deepEqual(await get(name, '/write?path=/tmp/cache/file&bytes=3000000'), { status: 200, body: 'ok' });
    assert.deepEqual(await get(name, '/write?path=/config/x&bytes=1'), { status: 500, body: 'ERR EROFS' });
  });

  test(`${rt}: a missing Secret keeps the revision from starting with the kubelet's FailedMount reason; creating it lets it start`, async () => {
    const name = `${rt}-waits`;
    await createService(name, {
      metadata: { annotations: { 'serving.knative.dev/progress-deadline': '3s' } },
      spec: {
        volumes: [{ name: 'later', secret: { secretName: `later-${rt}` } }],
        containers: [{ image: image(), volumeMounts: [{ name: 'later', mountPath: '/later' }] }],
      },
    });
    const failed = await eventually('ResourcesAvailable False', async () => {
      const c = await condition(`${name}-00001`, 'ResourcesAvailable');
      return c?.status === 'False' && c;
    }, 30_000, 100);
    assert.equal(failed.reason, 'ContainerCreating');
    assert.equal(failed.message, `MountVolume.SetUp failed for volume "later" : secret "later-${rt}" not found`);
    const events = (await knit.api('GET', '/api/v1/namespaces/default/events')).json as { items: { reason: string; message: string; involvedObject: { name: string } }[] };
    assert.ok(events.items.some((e) => e.reason === 'FailedMount' && e.involvedObject.name === `${name}-00001` && e.message === failed.message), JSON.stringify(events.items.map((e) => e.reason)));
    await put('secrets', `later-${rt}`, { k: b64('v') });
    await eventually('the revision becomes ready', async () => (await condition(`${name}-00001`, 'Ready'))?.status === 'True', 30_000, 100);
    assert.deepEqual(await read(name, '/later/k'), { status: 200, body: 'v' });
  });

  test(`${rt}: kn's --mount flags: a Secret and an emptyDir mounted with generated volume names, then unmounted`, async () => {
    const name = `${rt}-cli`;
    const created = await knit.knit(['service', 'create', name, '--image', image(), '--mount', '/etc/cli-db=sc:db-' + rt, '--mount', '/scratch-cli=ed:work']);
    assert.equal(created.code, 0, created.stderr);
    assert.deepEqual(await read(name, '/etc/cli-db/password'), { status: 200, body: SECOND });
    assert.deepEqual(await get(name, '/write?path=/scratch-cli/f&bytes=10'), { status: 200, body: 'ok' });
    const up = await knit.knit(['service', 'update', name, '--mount', '/etc/cli-db-']);
    assert.equal(up.code, 0, up.stderr);
    assert.equal((await read(name, '/etc/cli-db/password')).status, 500);
    const svc = (await knit.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/services/${name}`)).json as { spec: { template: { spec: { volumes: { name: string }[] } } } };
    assert.deepEqual(svc.spec.template.spec.volumes.map((v) => v.name.replace(/-[0-9a-f]{8}$/, '')), ['scratch-cli']);
  });

  test(`${rt}: no knit output, log line or API object but the Secret shows a secret value`, async () => {
    const outputs = [knit.log];
    for (const args of [['service', 'describe', svc], ['service', 'describe', svc, '-o', 'yaml'], ['revision', 'list'], ['logs', svc]]) {
      const r = await knit.knit(args);
      outputs.push(r.stdout, r.stderr);
    }
    for (const p of ['revisions', 'services', 'configurations']) outputs.push(JSON.stringify((await knit.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/${p}`)).json));
    for (const p of ['pods', 'events']) outputs.push(JSON.stringify((await knit.api('GET', `/api/v1/namespaces/default/${p}`)).json));
    for (const text of outputs) for (const v of [FIRST, SECOND]) assert.ok(!text.includes(v) && !text.includes(b64(v)), `an output shows ${v}: ${text.slice(0, 200)}`);
  });
}

describe('file:// volumes', () => {
  scenarios('f', () => `file://${path.join(FIXTURES, 'volume-app')}`);
});

let podmanImage = '';
podmanSuite('podman volumes', () => {
  before(async () => {
    const base = await images.buildNodeBase();
    podmanImage = await images.buildApp('volume-app', base, path.join(FIXTURES, 'volume-app'));
  });
  scenarios('p', () => podmanImage);
});
