// knative/serving test/conformance/runtime/envvars_test.go (TestShouldEnvVars, TestMustEnvVars), translated for both
// runtimes, plus what must not reach a workload: knit's own environment, its token and data directory.

import assert from 'node:assert/strict';
import { conformance, only, test } from './support.ts';

conformance('runtime envvars', (t) => {
  test('TestShouldEnvVars: K_SERVICE, K_CONFIGURATION and K_REVISION name the service, configuration and revision', async () => {
    const { names, ri } = await t.fetchRuntimeInfo('should-env');
    assert.equal(ri.host.envs.K_SERVICE, names.service);
    assert.equal(ri.host.envs.K_CONFIGURATION, names.config);
    assert.equal(ri.host.envs.K_REVISION, names.revision);
  });

  test('TestMustEnvVars: PORT is the declared containerPort', only(t, 'podman', 'file://: PORT is a free loopback port, not the declared containerPort (docs/differences.md)'), async () => {
    const { ri } = await t.fetchRuntimeInfo('must-env', { ports: [{ containerPort: 8801 }] });
    assert.equal(ri.host.envs.PORT, '8801');
  });

  test('file://: PORT is set to the port the instance listens on, whatever containerPort says', only(t, 'file', 'podman passes TestMustEnvVars itself'), async () => {
    const { ri } = await t.fetchRuntimeInfo('must-env', { ports: [{ containerPort: 8801 }] });
    assert.match(ri.host.envs.PORT ?? '', /^[1-9]\d*$/);
  });

  test("the container's env reaches the app, names such as __proto__ included; knit's own environment does not", async () => {
    const { ri } = await t.fetchRuntimeInfo('own-env', { env: [{ name: '__proto__', value: 'proto-value' }, { name: 'constructor', value: 'c' }, { name: 'EMPTY', value: '' }] });
    const envs = ri.host.envs;
    assert.equal(Object.getOwnPropertyDescriptor(envs, '__proto__')?.value, 'proto-value');
    assert.equal(envs.constructor, 'c');
    assert.equal(envs.EMPTY, '');
    const body = JSON.stringify(envs);
    assert.ok(!body.includes(t.knit.token), "knit's token is not in the workload's environment");
    assert.ok(!body.includes(t.knit.dataDir), "knit's data directory is not named in the workload's environment");
    for (const k of Object.keys(envs)) assert.doesNotMatch(k, /^(KNIT_(?!OWNER$)|NODE_OPTIONS$|NODE_TEST)/, `${k} leaked from knit's environment`);
  });
});
