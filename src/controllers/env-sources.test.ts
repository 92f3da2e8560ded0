// Tests for env resolution as the kubelet does it: Secret and ConfigMap keys, optional sources, envFrom
// with prefix, precedence, invalid names, downward-API fields, and names such as `__proto__`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container } from '../api/types.ts';
import { decodeSecretData, fieldValues, resolveContainerEnv, type EnvSourceLookup } from './env-sources.ts';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

const lookup: EnvSourceLookup = {
  secret: (name) => (name === 'db' ? decodeSecretData({ password: b64('hunter2'), user: b64('admin'), '1bad': b64('x') }) : undefined),
  configMap: (name) => (name === 'cfg' ? { MODE: 'prod', LEVEL: 'debug', 'bad key': 'x', ['__proto__']: 'p' } as Record<string, string> : undefined),
};

const pod = fieldValues({
  name: 'hello-00001-deployment-abc-xyz12',
  namespace: 'default',
  uid: 'u-1',
  labels: { app: 'hello', 'serving.knative.dev/revision': 'hello-00001' },
  annotations: { a: '1' },
  nodeName: 'host',
  serviceAccountName: 'default',
  hostIP: '127.0.0.1',
  podIP: '127.0.0.1',
});

interface Case {
  name: string;
  c: Container;
  want?: Record<string, string>;
  error?: string;
  warnings?: string[];
}

const cases: Case[] = [
  { name: 'secret key present', c: { env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }] }, want: { PW: 'hunter2' } },
  { name: 'configmap key present', c: { env: [{ name: 'M', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'MODE' } } }] }, want: { M: 'prod' } },
  { name: 'missing optional secret: unset', c: { env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'nope', key: 'k', optional: true } } }] }, want: {} },
  { name: 'missing optional key: unset', c: { env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'k', optional: true } } }] }, want: {} },
  { name: 'missing required secret', c: { env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }] }, error: 'secret "nope" not found' },
  { name: 'missing required configmap', c: { env: [{ name: 'M', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }] }, error: 'configmap "nope" not found' },
  { name: 'missing key in a secret', c: { env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'k' } } }] }, error: "couldn't find key k in Secret ns1/db" },
  { name: 'missing key in a configmap', c: { env: [{ name: 'M', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }] }, error: "couldn't find key k in ConfigMap ns1/cfg" },
  { name: 'missing required envFrom secret', c: { envFrom: [{ secretRef: { name: 'nope' } }] }, error: 'secret "nope" not found' },
  { name: 'missing optional envFrom configmap', c: { envFrom: [{ configMapRef: { name: 'nope', optional: true } }] }, want: {} },
  {
    name: 'envFrom with prefix; invalid names skipped and reported',
    c: { envFrom: [{ secretRef: { name: 'db' }, prefix: 'DB_' }, { configMapRef: { name: 'cfg' } }] },
    want: { DB_password: 'hunter2', DB_user: 'admin', DB_1bad: 'x', MODE: 'prod', LEVEL: 'debug', ['__proto__']: 'p' },
    warnings: ['Keys [bad key] from the EnvFrom configMap ns1/cfg were skipped since they are considered invalid environment variable names.'],
  },
  {
    name: 'invalid names without a prefix are skipped',
    c: { envFrom: [{ secretRef: { name: 'db' } }] },
    want: { password: 'hunter2', user: 'admin' },
    warnings: ['Keys [1bad] from the EnvFrom secret ns1/db were skipped since they are considered invalid environment variable names.'],
  },
  {
    name: 'env wins over envFrom, later env over earlier',
    c: { envFrom: [{ configMapRef: { name: 'cfg' } }], env: [{ name: 'MODE', value: 'dev' }, { name: 'X', value: '1' }, { name: 'X', value: '2' }] },
    want: { MODE: 'dev', LEVEL: 'debug', ['__proto__']: 'p', X: '2' },
    warnings: ['Keys [bad key] from the EnvFrom configMap ns1/cfg were skipped since they are considered invalid environment variable names.'],
  },
  { name: 'a literal value wins over valueFrom', c: { env: [{ name: 'A', value: 'lit', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }] }, want: { A: 'lit' } },
  { name: 'an empty literal is set', c: { env: [{ name: 'E' }] }, want: { E: '' } },
  { name: '__proto__ as a literal name', c: { env: [{ name: '__proto__', value: 'v' }] }, want: { ['__proto__']: 'v' } },
  {
    name: 'downward-API fields',
    c: {
      env: [
        { name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'L', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'LS', valueFrom: { fieldRef: { fieldPath: 'metadata.labels' } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'NONE', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['constructor']" } } },
      ],
    },
    want: { N: 'hello-00001-deployment-abc-xyz12', NS: 'default', L: 'hello', LS: 'app="hello"\nserving.knative.dev/revision="hello-00001"', IP: '127.0.0.1', NONE: '' },
  },
  { name: 'unsupported fieldPath', c: { env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.containers' } } }] }, error: 'unsupported fieldPath: spec.containers' },
];

for (const tc of cases) {
  test(`resolveContainerEnv: ${tc.name}`, () => {
    const r = resolveContainerEnv(tc.c, 'ns1', lookup, pod);
    if (tc.error !== undefined) {
      assert.deepEqual(r, { ok: false, reason: 'CreateContainerConfigError', message: tc.error });
      return;
    }
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(Object.getPrototypeOf(r.env), null, 'a null-prototype env');
    // Compare own entries: `__proto__` must be an own variable, not a prototype.
    assert.deepEqual(Object.fromEntries(Object.entries(r.env).sort()), Object.fromEntries(Object.entries(tc.want ?? {}).sort()));
    assert.deepEqual(r.warnings, tc.warnings ?? []);
  });
}

test('resolveContainerEnv: no error or warning message carries a secret value', () => {
  const msgs: string[] = [];
  for (const tc of cases) {
    const r = resolveContainerEnv(tc.c, 'ns1', lookup, pod);
    msgs.push(...(r.ok ? r.warnings : [r.message]));
  }
  assert.ok(msgs.length > 5);
  for (const m of msgs) assert.ok(!m.includes('hunter2') && !m.includes('admin'), m);
});
