// Property test of the API: 10,000 mutated manifests and malformed requests get 2xx or 4xx, never
// a 5xx, and the store stays consistent (a refused request writes nothing).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { Store } from '../src/store/store.ts';
import { ApiServer } from '../src/server/api.ts';

let dir: string;
let store: Store;
let api: ApiServer;
let base: string;
const TOKEN = 'fuzz-token';

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-fuzz-'));
  store = new Store(path.join(dir, 'knit.db'));
  api = new ApiServer({ store, token: TOKEN, user: 'fuzzer' });
  const addr = await api.listen('127.0.0.1', 0);
  base = `http://127.0.0.1:${addr.port}`;
});

after(async () => {
  await api.close();
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const valid = {
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  metadata: { name: 'fuzz', annotations: { 'x/y': 'z' }, labels: { app: 'a' } },
  spec: {
    template: {
      metadata: { annotations: { 'autoscaling.knative.dev/target': '10' } },
      spec: {
        containerConcurrency: 0,
        timeoutSeconds: 300,
        containers: [{ image: 'file:///tmp/app', ports: [{ name: 'http1', containerPort: 8080 }], env: [{ name: 'TARGET', value: 'x' }], readinessProbe: { tcpSocket: { port: 0 } } }],
      },
    },
    traffic: [{ latestRevision: true, percent: 100 }],
  },
};

/** Replaces the value at a random path of `obj` with `value` (or deletes it). */
function mutate(obj: unknown, pathChoice: number[], value: unknown, remove: boolean): unknown {
  if (pathChoice.length === 0 || obj === null || typeof obj !== 'object') return remove ? undefined : value;
  const keys = Array.isArray(obj) ? obj.map((_, i) => i) : Object.keys(obj);
  if (keys.length === 0) return value;
  const k = keys[pathChoice[0] % keys.length];
  const copy = (Array.isArray(obj) ? [...obj] : { ...(obj as Record<string, unknown>) }) as Record<string | number, unknown>;
  const next = mutate((obj as Record<string | number, unknown>)[k], pathChoice.slice(1), value, remove);
  if (next === undefined) delete copy[k];
  else copy[k] = next;
  return copy;
}

const anyValue = fc.oneof(
  fc.string({ maxLength: 70 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string({ maxLength: 10 }), fc.integer()), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(fc.string({ maxLength: 10 }), fc.integer()), { maxKeys: 3 }),
  fc.constantFrom('Bad_Name', '8012', 'PORT', '-1', '', 'a'.repeat(300), '../../etc', '{{.Name}}', 'file:///', '\u0000'),
);

async function send(method: string, url: string, body: string | undefined, contentType = 'application/json'): Promise<number> {
  const r = await fetch(base + url, { method, body, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': contentType } });
  await r.arrayBuffer();
  return r.status;
}

function objectsOnDisk(): number {
  return store.list('services').length + store.list('configurations').length + store.list('revisions').length + store.list('routes').length;
}

test('10,000 mutated manifests and malformed requests never get a 5xx; refused ones write nothing', async () => {
  const collection = '/apis/serving.knative.dev/v1/namespaces/default/services';
  let created = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.nat(), { minLength: 1, maxLength: 7 }),
      anyValue,
      fc.boolean(),
      fc.constantFrom('POST', 'PUT', 'PATCH', 'POST', 'POST'),
      fc.nat(20),
      async (pathChoice, value, remove, method, garble) => {
        const doc = mutate(valid, pathChoice, value, remove) as Record<string, unknown>;
        const md = (doc?.metadata ?? {}) as Record<string, unknown>;
        if (doc && typeof doc === 'object' && md && typeof md === 'object' && typeof md.name === 'string') md.name = `${md.name}${created}`;
        let body = JSON.stringify(doc);
        if (garble === 0) body = body.slice(0, Math.max(0, body.length - 7)); // malformed JSON
        const rvBefore = store.resourceVersion;
        const countBefore = objectsOnDisk();
        let status: number;
        if (method === 'POST') status = await send('POST', collection, body);
        else if (method === 'PUT') status = await send('PUT', `${collection}/fuzz0`, body);
        else status = await send('PATCH', `${collection}/fuzz0`, body, 'application/merge-patch+json');
        assert.ok(status < 500, `${method} got ${status} for ${body.slice(0, 300)}`);
        if (status >= 400) {
          assert.equal(store.resourceVersion, rvBefore, `a refused ${method} (${status}) wrote something`);
          assert.equal(objectsOnDisk(), countBefore);
        } else {
          created++;
        }
      },
    ),
    { numRuns: 10_000 },
  );
  assert.ok(created > 0, 'some mutations are still valid and were stored');
  // Every stored Service is one a fresh validation accepts (consistency of what was acknowledged).
  for (const svc of store.list('services')) {
    assert.equal(svc.apiVersion, 'serving.knative.dev/v1');
    assert.ok(svc.metadata.uid && svc.metadata.resourceVersion);
  }
});

test('requests without the token, or with a wrong one, get 401 and change nothing', async () => {
  const rv = store.resourceVersion;
  for (const auth of [undefined, 'Bearer wrong', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
    const r = await fetch(`${base}/apis/serving.knative.dev/v1/namespaces/default/services`, {
      method: 'POST',
      body: JSON.stringify({ ...valid, metadata: { name: 'intruder' } }),
      headers: auth ? { authorization: auth, 'content-type': 'application/json' } : { 'content-type': 'application/json' },
    });
    assert.equal(r.status, 401);
    await r.arrayBuffer();
  }
  assert.equal(store.resourceVersion, rv);
  assert.equal(store.get('services', 'default', 'intruder'), undefined);
});

test('oversized bodies get 413, unknown paths 404, wrong methods 405', async () => {
  assert.equal(await send('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', 'x'.repeat(4 * 1024 * 1024)), 413);
  assert.equal(await send('GET', '/apis/serving.knative.dev/v1/namespaces/default/widgets', undefined), 404);
  assert.equal(await send('POST', '/apis/serving.knative.dev/v1/namespaces/default/services/fuzz0', '{}'), 405);
});
