// Secrets and ConfigMaps reach workloads through env end to end: valueFrom and envFrom against a real
// `knit serve`, a new revision sees an updated Secret, a missing required Secret keeps the revision from
// becoming ready with the kubelet's message until it is created, and no output or API object shows the value.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FIXTURES, KnitServer, eventually } from './harness.ts';

let knit: KnitServer;
const APP = `file://${path.join(FIXTURES, 'env-app')}`;
const FIRST = 's3cr3t-value-one';
const SECOND = 's3cr3t-value-two';

before(async () => {
  knit = await new KnitServer().start();
});

after(async () => {
  await knit?.cleanup();
});

const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function put(kind: 'secrets' | 'configmaps', name: string, data: Record<string, string>, method: 'POST' | 'PUT' = 'POST'): Promise<void> {
  const body = { apiVersion: 'v1', kind: kind === 'secrets' ? 'Secret' : 'ConfigMap', metadata: { name }, data };
  const url = `/api/v1/namespaces/default/${kind}${method === 'PUT' ? `/${name}` : ''}`;
  const r = await knit.api(method, url, body);
  assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.json));
}

interface Condition { type: string; status: string; reason?: string; message?: string }
interface Revision { metadata: { name: string }; status?: { conditions?: Condition[] } }

async function revision(name: string): Promise<Revision> {
  return (await knit.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/revisions/${name}`)).json as Revision;
}

function condition(rev: Revision, type: string): Condition | undefined {
  return rev.status?.conditions?.find((c) => c.type === type);
}

async function answer(service: string, names: string[]): Promise<Record<string, string>> {
  const r = await knit.request(`${service}.default.example.com`, `/?names=${names.join(',')}`);
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body) as Record<string, string>;
}

test('env from a Secret and a ConfigMap reaches the app; a new revision sees the updated Secret', async () => {
  await put('secrets', 'db', { password: b64(FIRST), user: b64('admin') });
  await put('configmaps', 'cfg', { MODE: 'prod', '1bad': 'skipped' });
  const r = await knit.api('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: 'envs' },
    spec: {
      template: {
        spec: {
          containers: [{
            image: APP,
            envFrom: [{ configMapRef: { name: 'cfg' } }, { secretRef: { name: 'db' }, prefix: 'DB_' }],
            env: [
              { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
              { name: 'MODE', value: 'literal-wins' },
              { name: 'OPT', valueFrom: { secretKeyRef: { name: 'absent', key: 'k', optional: true } } },
              { name: '__proto__', value: 'proto-reaches' },
            ],
          }],
        },
      },
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  const names = ['PASSWORD', 'MODE', 'DB_user', 'DB_password', 'OPT', '__proto__'];
  const seen = await eventually('the first revision answers', async () => (await knit.request('envs.default.example.com', '/')).status === 200 && answer('envs', names), 60_000, 200);
  assert.deepEqual(seen, { PASSWORD: FIRST, MODE: 'literal-wins', DB_user: 'admin', DB_password: FIRST, ['__proto__']: 'proto-reaches' });

  await put('secrets', 'db', { password: b64(SECOND), user: b64('admin') }, 'PUT');
  const up = await knit.knit(['service', 'update', 'envs', '--env', 'X=y']);
  assert.equal(up.code, 0, up.stderr);
  const next = await eventually('the second revision answers', async () => {
    const a = await answer('envs', [...names, 'X']);
    return a.X === 'y' && a;
  }, 60_000, 200);
  assert.equal(next.PASSWORD, SECOND);
  assert.equal(next.DB_password, SECOND);
});

test('a missing required Secret keeps the revision from becoming ready with the kubelet\'s message; creating it lets it become ready', async () => {
  const r = await knit.api('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: 'waits' },
    spec: {
      template: {
        metadata: { annotations: { 'serving.knative.dev/progress-deadline': '3s' } },
        spec: { containers: [{ image: APP, env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'later', key: 'token' } } }] }] },
      },
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  const failed = await eventually('ResourcesAvailable False', async () => {
    const rev = await revision('waits-00001');
    const c = condition(rev, 'ResourcesAvailable');
    return c?.status === 'False' && c;
  }, 30_000, 100);
  assert.equal(failed.reason, 'CreateContainerConfigError');
  assert.equal(failed.message, 'secret "later" not found');
  assert.notEqual(condition(await revision('waits-00001'), 'Ready')?.status, 'True');

  await put('secrets', 'later', { token: b64(FIRST) });
  await eventually('the revision becomes ready', async () => condition(await revision('waits-00001'), 'Ready')?.status === 'True', 30_000, 100);
  // Then the route sends traffic to it (the service's RoutesReady follows the revision's Ready).
  await eventually('the service becomes ready', async () => {
    const svc = (await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/services/waits')).json as Revision;
    return condition(svc, 'Ready')?.status === 'True';
  }, 30_000, 100);
  assert.deepEqual(await answer('waits', ['TOKEN']), { TOKEN: FIRST });
});

test('no output of knit serve and no API object but the Secret itself shows a secret value', async () => {
  for (const v of [FIRST, SECOND]) {
    assert.ok(!knit.log.includes(v), 'knit serve output');
    assert.ok(!knit.log.includes(b64(v)), 'knit serve output (base64)');
  }
  const paths = [
    '/apis/serving.knative.dev/v1/namespaces/default/services',
    '/apis/serving.knative.dev/v1/namespaces/default/revisions',
    '/apis/serving.knative.dev/v1/namespaces/default/configurations',
    '/api/v1/namespaces/default/pods',
    '/apis/apps/v1/namespaces/default/deployments',
    '/api/v1/namespaces/default/events',
  ];
  for (const p of paths) {
    const r = await knit.api('GET', p);
    assert.equal(r.status, 200, p);
    const text = JSON.stringify(r.json);
    for (const v of [FIRST, SECOND]) assert.ok(!text.includes(v) && !text.includes(b64(v)), `${p} shows a secret value`);
  }
  // The kubelet's warning about the ConfigMap key that is no env name, without any value.
  const events = (await knit.api('GET', '/api/v1/namespaces/default/events')).json as { items: { reason: string; message: string }[] };
  assert.ok(events.items.some((e) => e.reason === 'InvalidEnvironmentVariableNames' && e.message === 'Keys [1bad] from the EnvFrom configMap default/cfg were skipped since they are considered invalid environment variable names.'), JSON.stringify(events.items.map((e) => e.reason)));
  // The pods show where the value comes from, as Kubernetes does.
  const pods = (await knit.api('GET', '/api/v1/namespaces/default/pods')).json as { items: { spec: { containers: { env?: { name: string; valueFrom?: unknown }[] }[] } }[] };
  const env = pods.items.flatMap((p) => p.spec.containers[0].env ?? []);
  assert.ok(env.some((e) => e.name === 'PASSWORD' && e.valueFrom), JSON.stringify(env));
  const describe = await knit.knit(['service', 'describe', 'envs', '-o', 'yaml']);
  assert.equal(describe.code, 0, describe.stderr);
  for (const v of [FIRST, SECOND]) assert.ok(!describe.stdout.includes(v), 'knit service describe');
});
