// Property test of the API: 10,000 mutated manifests and malformed requests get 2xx or 4xx, never
// a 5xx, and the store stays consistent (a refused request writes nothing); malformed request lines, bodies nested
// 100,000 deep, invalid names, labels and annotations and unsupported patch types get the apiserver's answers.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
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

/** One request sent with its path exactly as given (fetch would normalize `//host` and percent escapes). */
function raw(method: string, pathname: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; json: Record<string, unknown> | undefined }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: Number(u.port), method, path: pathname, agent: false, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('malformed request lines and bodies get the apiserver\'s 4xx answers, never a 500', async () => {
  const rv = store.resourceVersion;
  // Go's url.ParseRequestURI keeps `//a:99999/…` as a path, which names no API: 401 without the token, 404 with it.
  const noToken = await raw('GET', '//a:99999/apis/serving.knative.dev/v1/services', undefined, { authorization: '' });
  assert.equal(noToken.status, 401);
  assert.equal(noToken.json?.message, 'Unauthorized');
  const unknown = await raw('GET', '//a:99999/apis/serving.knative.dev/v1/services');
  assert.equal(unknown.status, 404);
  assert.deepEqual([unknown.json?.reason, unknown.json?.message], ['NotFound', 'the server could not find the requested resource']);
  // An invalid percent escape fails Go's request parsing: its plain-text 400.
  const escape = await raw('GET', '/apis/serving.knative.dev/v1/namespaces/default/services/%E0%A4%A');
  assert.equal(escape.status, 400);
  assert.equal(escape.text, '400 Bad Request');
  // JSON nested 100,000 levels: the decoder's depth limit, a 400 (src/server/rest.ts MAX_OBJECT_DEPTH).
  const deep = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
  const created = await raw('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', deep);
  assert.equal(created.status, 400);
  assert.equal(created.json?.reason, 'BadRequest');
  assert.match(String(created.json?.message), /^the object provided is unrecognized \(must be of type Service\): couldn't get version\/kind; json parse error: exceeded max depth/);
  const arrays = await raw('POST', '/api/v1/namespaces/default/configmaps', '['.repeat(100_000) + ']'.repeat(100_000));
  assert.equal(arrays.status, 400);
  assert.match(String(arrays.json?.message), /exceeded max depth/);
  const patched = await raw('PATCH', '/apis/serving.knative.dev/v1/namespaces/default/services/fuzz0', deep, { 'content-type': 'application/merge-patch+json' });
  assert.ok(patched.status === 400 || patched.status === 404, `${patched.status} ${patched.text.slice(0, 200)}`);
  assert.equal(store.resourceVersion, rv, 'nothing was written');
});

/** A 4xx with the apiserver's code, reason and message, after which the store is unchanged. */
async function refused(method: string, pathname: string, body: unknown, want: { code: number; reason: string; message: string | RegExp }, contentType = 'application/json'): Promise<void> {
  const rv = store.resourceVersion;
  const r = await raw(method, pathname, typeof body === 'string' ? body : JSON.stringify(body), { 'content-type': contentType });
  assert.equal(r.status, want.code, r.text.slice(0, 300));
  assert.equal(r.json?.kind, 'Status');
  assert.equal(r.json?.code, want.code);
  assert.equal(r.json?.reason, want.reason);
  if (typeof want.message === 'string') assert.equal(r.json?.message, want.message);
  else assert.match(String(r.json?.message), want.message);
  assert.equal(store.resourceVersion, rv, `the refused ${method} ${pathname} wrote something`);
}

const QUALIFIED_NAME = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const RFC1123_LABEL = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

test('bad namespace names, label keys and values, oversized annotations and unsupported patch types: the apiserver\'s code and message, nothing written', async () => {
  const cm = (metadata: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { a: 'b' } });
  const ksvc = (metadata: Record<string, unknown>) => ({ ...valid, metadata });
  await refused('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'Bad_NS' } }, { code: 422, reason: 'Invalid', message: `Namespace "Bad_NS" is invalid: metadata.name: Invalid value: "Bad_NS": ${RFC1123_LABEL}` });
  await refused('POST', '/api/v1/namespaces/Bad_NS/configmaps', cm({ name: 'c' }), { code: 404, reason: 'NotFound', message: 'namespaces "Bad_NS" not found' });
  await refused('POST', '/apis/serving.knative.dev/v1/namespaces/no-such-ns/services', ksvc({ name: 'n' }), { code: 404, reason: 'NotFound', message: 'namespaces "no-such-ns" not found' });
  await refused('POST', '/api/v1/namespaces/default/configmaps', cm({ name: 'bad-key', labels: { 'bad key': 'v' } }), { code: 422, reason: 'Invalid', message: `ConfigMap "bad-key" is invalid: metadata.labels: Invalid value: "bad key": ${QUALIFIED_NAME}` });
  await refused('POST', '/api/v1/namespaces/default/configmaps', cm({ name: 'bad-value', labels: { k: 'bad value!' } }), { code: 422, reason: 'Invalid', message: `ConfigMap "bad-value" is invalid: metadata.labels: Invalid value: "bad value!": ${LABEL_VALUE}` });
  await refused('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', ksvc({ name: 'bad-label', labels: { '-x': 'v' } }), { code: 422, reason: 'Invalid', message: `Service.serving.knative.dev "bad-label" is invalid: metadata.labels: Invalid value: "-x": ${QUALIFIED_NAME}` });
  await refused('POST', '/api/v1/namespaces/default/configmaps', cm({ name: 'big', annotations: { k: 'x'.repeat(256 * 1024) } }), { code: 422, reason: 'Invalid', message: 'ConfigMap "big" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes' });
  await refused('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', ksvc({ name: 'big', annotations: { k: 'x'.repeat(256 * 1024) } }), { code: 422, reason: 'Invalid', message: 'Service.serving.knative.dev "big" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes' });

  // Objects to patch: a Service (a custom resource: no strategic merge) and a ConfigMap.
  assert.equal(await send('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', JSON.stringify(ksvc({ name: 'patch-me' }))), 201);
  assert.equal(await send('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify(cm({ name: 'patch-me' }))), 201);
  await refused('PATCH', '/apis/serving.knative.dev/v1/namespaces/default/services/patch-me', '{"metadata":{"labels":{"a":"b"}}}', {
    code: 415,
    reason: 'UnsupportedMediaType',
    message: 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
  }, 'application/strategic-merge-patch+json');
  await refused('PATCH', '/api/v1/namespaces/default/configmaps/patch-me', '{"data":{"a":"c"}}', {
    code: 415,
    reason: 'UnsupportedMediaType',
    message: 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml',
  }, 'text/plain');
  await refused('PATCH', '/api/v1/namespaces/default/configmaps/patch-me', '{"metadata":{"labels":{"bad key":"v"}}}', { code: 422, reason: 'Invalid', message: `ConfigMap "patch-me" is invalid: metadata.labels: Invalid value: "bad key": ${QUALIFIED_NAME}` }, 'application/merge-patch+json');
});

test('__proto__ keys are stored or refused, never dropped: refused as a label key, stored as a ConfigMap key and read back', async () => {
  assert.equal(await send('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'proto' }, data: { a: 'b' } })), 201);
  // A label key must be a qualified name, which `__proto__` is not: the apiserver's 422.
  await refused('PATCH', '/api/v1/namespaces/default/configmaps/proto', '{"metadata":{"labels":{"__proto__":"x"}}}', { code: 422, reason: 'Invalid', message: `ConfigMap "proto" is invalid: metadata.labels: Invalid value: "__proto__": ${QUALIFIED_NAME}` }, 'application/merge-patch+json');
  await refused('PATCH', '/apis/serving.knative.dev/v1/namespaces/default/services/patch-me', '{"metadata":{"labels":{"__proto__":"x"}}}', { code: 422, reason: 'Invalid', message: `Service.serving.knative.dev "patch-me" is invalid: metadata.labels: Invalid value: "__proto__": ${QUALIFIED_NAME}` }, 'application/merge-patch+json');
  // A ConfigMap key may be `__proto__` ([-._a-zA-Z0-9]+): the merge patch stores it, the read returns it.
  const patched = await raw('PATCH', '/api/v1/namespaces/default/configmaps/proto', '{"data":{"__proto__":"x"}}', { 'content-type': 'application/merge-patch+json' });
  assert.equal(patched.status, 200, patched.text);
  const read = await raw('GET', '/api/v1/namespaces/default/configmaps/proto');
  assert.equal(read.status, 200);
  const data = JSON.parse(read.text).data as Record<string, string>;
  assert.deepEqual(Object.entries(data).sort(), [['__proto__', 'x'], ['a', 'b']]);
  assert.ok(Object.hasOwn(data, '__proto__'));
  const stored = store.get('core.configmaps', 'default', 'proto') as { data: Record<string, string> } | undefined;
  assert.equal(stored && Object.hasOwn(stored.data, '__proto__') ? stored.data.__proto__ : undefined, 'x');
});

// The apiserver's rules (k8s.io/apimachinery pkg/util/validation validation.go IsQualifiedName, IsValidLabelValue,
// IsDNS1123Label), as the oracle of the property below.
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function qualifiedName(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const name = parts.at(-1) ?? '';
  if (name.length === 0 || name.length > 63 || !NAME_PART.test(name)) return false;
  if (parts.length === 2) return parts[0].length > 0 && parts[0].length <= 253 && DNS1123_SUBDOMAIN.test(parts[0]);
  return true;
}

const labelText = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '-', '_', '.', '/', ' ', '!', '\u00e9'), maxLength: 12 });

test('random label keys and values and namespace names: accepted exactly when the apiserver accepts them, refused ones write nothing, accepted ones read back', async () => {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(labelText, fc.constantFrom('__proto__', 'constructor', 'x/__proto__', 'a'.repeat(64), `${'b'.repeat(254)}/c`, 'example.com/ok')),
      fc.oneof(labelText, fc.constantFrom('', '__proto__', 'v'.repeat(64))),
      fc.oneof(labelText, fc.constantFrom('kube-ok', 'a'.repeat(64), '-x', 'x-')),
      async (key, value, nsName) => {
        const name = `prop-${n++}`;
        const valid = qualifiedName(key) && value.length <= 63 && LABEL_VALUE_RE.test(value);
        const rv = store.resourceVersion;
        const r = await raw('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { [key]: value } } }));
        if (valid) {
          assert.equal(r.status, 201, r.text);
          const back = JSON.parse((await raw('GET', `/api/v1/namespaces/default/configmaps/${name}`)).text).metadata.labels as Record<string, string>;
          assert.ok(Object.hasOwn(back, key) && back[key] === value, `label ${JSON.stringify(key)} read back: ${JSON.stringify(back)}`);
        } else {
          assert.equal(r.status, 422, `${JSON.stringify(key)}=${JSON.stringify(value)}: ${r.text}`);
          assert.equal(r.json?.reason, 'Invalid');
          assert.match(String(r.json?.message), new RegExp(`^ConfigMap "${name}" is invalid: \\[?metadata\\.labels: `));
          assert.equal(store.resourceVersion, rv);
        }

        const nsValid = nsName.length <= 63 && DNS1123_LABEL.test(nsName);
        const nsBefore = store.resourceVersion;
        const existed = store.get('core.namespaces', '', nsName) !== undefined;
        const created = await raw('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: nsName } }));
        if (!nsValid) {
          assert.equal(created.status, 422, `${JSON.stringify(nsName)}: ${created.text}`);
          assert.ok(String(created.json?.message).startsWith(`Namespace "${nsName}" is invalid: metadata.name: `), created.text);
          assert.equal(store.resourceVersion, nsBefore);
        } else if (existed) {
          assert.equal(created.status, 409, created.text);
          assert.equal(created.json?.message, `namespaces "${nsName}" already exists`);
          assert.equal(store.resourceVersion, nsBefore);
        } else {
          assert.equal(created.status, 201, created.text);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('a create sent as YAML is decoded like JSON; a YAML body nested too deep is a 400, not a crash', async () => {
  const yamlBody = `apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: from-yaml\nspec:\n  template:\n    spec:\n      containers:\n      - image: file:///tmp/app\n`;
  assert.equal(await send('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', yamlBody, 'application/yaml'), 201);
  assert.equal(store.get('services', 'default', 'from-yaml')?.metadata.name, 'from-yaml');
  const rv = store.resourceVersion;
  const deep = `metadata:\n  name: deep\nspec: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`;
  assert.equal(await send('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', deep, 'application/yaml'), 400);
  assert.equal(store.resourceVersion, rv);
});
