// knative/serving test/conformance/runtime/envpropagation_test.go (TestSecretsViaEnv, TestConfigsViaEnv: env and
// envFrom) translated for both runtimes.

import assert from 'node:assert/strict';
import { before } from 'node:test';
import { conformance, test, type Target } from './support.ts';

/** knative/serving test/e2e_constants.go. */
const CONFORMANCE_CONFIG_MAP = 'conformance-test-configmap';
const CONFORMANCE_SECRET = 'conformance-test-secret';
const ENV_KEY = 'testKey';
const ENV_VALUE = 'testValue';

async function put(t: Target, kind: 'secrets' | 'configmaps', name: string, data: Record<string, string>): Promise<void> {
  const body = { apiVersion: 'v1', kind: kind === 'secrets' ? 'Secret' : 'ConfigMap', metadata: { name }, data };
  const r = await t.knit.api('POST', `/api/v1/namespaces/default/${kind}`, body);
  assert.equal(r.status, 201, JSON.stringify(r.json));
}

/** fetchEnvironmentAndVerify. */
async function verify(t: Target, name: string, container: Parameters<Target['fetchRuntimeInfo']>[1]): Promise<void> {
  const { ri } = await t.fetchRuntimeInfo(name, container);
  assert.ok(ENV_KEY in ri.host.envs, `${ENV_KEY} not found in environment variables`);
  assert.equal(ri.host.envs[ENV_KEY], ENV_VALUE, 'environment value does not match');
}

conformance('runtime env propagation', (t) => {
  before(async () => {
    await put(t, 'secrets', CONFORMANCE_SECRET, { [ENV_KEY]: Buffer.from(ENV_VALUE).toString('base64') });
    await put(t, 'configmaps', CONFORMANCE_CONFIG_MAP, { [ENV_KEY]: ENV_VALUE });
  });

  test('TestSecretsViaEnv/env', () => verify(t, 'secret-env', { env: [{ name: ENV_KEY, valueFrom: { secretKeyRef: { name: CONFORMANCE_SECRET, key: ENV_KEY } } }] }));
  test('TestSecretsViaEnv/envFrom', () => verify(t, 'secret-envfrom', { envFrom: [{ secretRef: { name: CONFORMANCE_SECRET } }] }));
  test('TestConfigsViaEnv/env', () => verify(t, 'config-env', { env: [{ name: ENV_KEY, valueFrom: { configMapKeyRef: { name: CONFORMANCE_CONFIG_MAP, key: ENV_KEY } } }] }));
  test('TestConfigsViaEnv/envFrom', () => verify(t, 'config-envfrom', { envFrom: [{ configMapRef: { name: CONFORMANCE_CONFIG_MAP } }] }));
}, { concurrency: true });
