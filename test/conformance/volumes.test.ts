// knative/serving test/conformance/api/v1/volumes_test.go translated for both runtimes: ConfigMap, Secret and
// projected volumes (optional missing sources, subPath, items, later sources winning) read back through the
// hellovolume-like fixture; the projected serviceAccountToken case asserts knit's refusal at admission instead.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { FIXTURES } from '../harness.ts';
import { conformance, eventually, test, type Condition, type ResourceNames, type Target } from './support.ts';
import type { Container } from '../../src/api/types.ts';

/** knative/serving test/util.go HelloVolumePath: the fixture serves this file at `/`. */
const HELLO_VOLUME_PATH = '/hello/world';
const MOUNT_DIR = path.dirname(HELLO_VOLUME_PATH);
const KEY = path.basename(HELLO_VOLUME_PATH);

/** test.AppendRandomString / test.ObjectNameForTest: a text no other case serves. */
const random = (prefix: string): string => `${prefix}${crypto.randomBytes(6).toString('hex')}`;

async function put(t: Target, kind: 'secrets' | 'configmaps', name: string, data: Record<string, string>): Promise<void> {
  // Secrets as the Go test writes them: stringData, which the API server merges into data.
  const body = kind === 'secrets'
    ? { apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: data }
    : { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data };
  const r = await t.knit.api('POST', `/api/v1/namespaces/default/${kind}`, body);
  assert.equal(r.status, 201, JSON.stringify(r.json));
}

type Volume = Record<string, unknown> & { name: string };
type Mount = NonNullable<Container['volumeMounts']>[number];

/** knative/serving pkg/testing/v1 WithVolume: a volume and its mount on the first container. */
function serviceBody(t: Target, name: string, volumes: Volume[], mounts: Mount[]): Record<string, unknown> {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name },
    spec: {
      template: {
        metadata: { annotations: { 'autoscaling.knative.dev/min-scale': '1' } },
        spec: { containers: [{ image: t.image, volumeMounts: mounts }], volumes },
      },
    },
  };
}

/** v1test.CreateServiceReady with volumes. */
async function createReady(t: Target, name: string, volumes: Volume[], mounts: Mount[]): Promise<ResourceNames> {
  const r = await t.knit.api('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', serviceBody(t, name, volumes, mounts));
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return t.ready(name);
}

/** conformance/api/v1/util.go validateControlPlane, for a Service at its first generation. */
async function validateControlPlane(t: Target, names: ResourceNames, generation: string): Promise<void> {
  const rev = (await t.knit.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/revisions/${names.revision}`)).json as {
    metadata: { labels?: Record<string, string> };
    status?: { conditions?: Condition[] };
  };
  assert.equal(rev.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', `revision ${names.revision} did not become ready to serve traffic`);
  assert.equal(rev.metadata.labels?.['serving.knative.dev/configurationGeneration'], generation,
    `revision ${names.revision} did not have an expected annotation with generation ${generation}`);
  const cfg = (await t.knit.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/configurations/${names.config}`)).json as {
    status?: { latestCreatedRevisionName?: string; latestReadyRevisionName?: string };
  };
  assert.equal(cfg.status?.latestCreatedRevisionName, names.revision, `Configuration(${names.config}).LatestCreatedRevisionName`);
  assert.equal(cfg.status?.latestReadyRevisionName, names.revision, `Configuration(${names.config}).LatestReadyRevisionName`);
  // v1test.AllRouteTrafficAtRevision: the Route (named as the Service) sends 100% to the revision.
  await eventually(`route ${names.service} to send all traffic to ${names.revision}`, async () => {
    const route = (await t.knit.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/routes/${names.service}`)).json as {
      status?: { traffic?: { revisionName?: string; percent?: number }[] };
    };
    return route.status?.traffic?.some((x) => x.revisionName === names.revision && x.percent === 100) ? true : undefined;
  }, 10_000, 50);
}

/** validateDataPlane: the endpoint answers 200 with a body containing `text` (spoof.MatchesBody). */
async function validateDataPlane(t: Target, names: ResourceNames, text: string, pathname = '/'): Promise<void> {
  let last = '';
  await eventually(`${names.service}${pathname} to serve ${JSON.stringify(text)}`, async () => {
    const r = await t.request(names.service, pathname);
    last = `${r.status} ${r.body}`;
    return r.status === 200 && r.body.includes(text) ? true : undefined;
  }, 20_000, 50).catch((err: unknown) => {
    throw new Error(`the endpoint for Route ${names.service} didn't serve the expected text ${JSON.stringify(text)} (last: ${last}): ${String(err)}`);
  });
}

conformance('api/v1 volumes', (t) => {
  test('TestConfigMapVolume', async () => {
    const name = 'config-map-volume';
    const text = random('hello-volumes-');
    await put(t, 'configmaps', name, { [KEY]: text });
    const names = await createReady(t, name, [
      { name: 'projectedv', configMap: { name, optional: false } },
      { name: 'blah', configMap: { name: 'does-not-exist', optional: true } },
    ], [
      { name: 'projectedv', mountPath: MOUNT_DIR },
      { name: 'blah', mountPath: '/does/not/matter' },
    ]);
    await validateControlPlane(t, names, '1');
    await validateDataPlane(t, names, text);
  });

  test('TestProjectedConfigMapVolume', async () => {
    const name = 'projected-config-map-volume';
    const text = random('hello-volumes-');
    await put(t, 'configmaps', name, { [KEY]: text });
    const names = await createReady(t, name, [
      { name: 'projectedv', projected: { sources: [
        { configMap: { name, optional: false } },
        { configMap: { name: 'does-not-matter', optional: true } },
      ] } },
    ], [{ name: 'projectedv', mountPath: MOUNT_DIR }]);
    await validateControlPlane(t, names, '1');
    await validateDataPlane(t, names, text);
  });

  test('TestSecretVolume', async () => {
    const name = 'secret-volume';
    const text = random('secret-volume-');
    await put(t, 'secrets', name, { [KEY]: text });
    const names = await createReady(t, name, [
      { name: 'projectedv', secret: { secretName: name, optional: false } },
      { name: 'blah', secret: { secretName: 'does-not-exist', optional: true } },
    ], [
      { name: 'projectedv', mountPath: MOUNT_DIR },
      { name: 'blah', mountPath: '/does/not/matter' },
    ]);
    await validateControlPlane(t, names, '1');
    await validateDataPlane(t, names, text);
  });

  test('TestProjectedSecretVolume', async () => {
    const name = 'projected-secret-volume';
    const text = random('projected-secret-volume-');
    await put(t, 'secrets', name, { [KEY]: text });
    // withSubpath: the one file mounted at /hello/world itself.
    const names = await createReady(t, name, [
      { name: 'projectedv', projected: { sources: [{ secret: { name, optional: false } }] } },
    ], [{ name: 'projectedv', mountPath: HELLO_VOLUME_PATH, subPath: KEY }]);
    await validateControlPlane(t, names, '1');
    await validateDataPlane(t, names, text);
  });

  test('TestProjectedComplex', async () => {
    const name = 'projected-complex';
    const [text1, text2, text3] = [random('text1-'), random('text2-'), random('text3-')];
    await put(t, 'configmaps', name, { [KEY]: text1, other: text2 });
    await put(t, 'secrets', name, { [KEY]: text3 });
    const names = await createReady(t, name, [
      { name: 'projectedv', projected: { sources: [
        { configMap: { name, items: [{ key: 'other', path: 'another' }], optional: false } },
        { secret: { name, items: [{ key: KEY, path: KEY }], optional: false } },
      ] } },
    ], [{ name: 'projectedv', mountPath: MOUNT_DIR }]);
    await validateControlPlane(t, names, '1');
    // When keys collide the last source listed wins: text3, not text1.
    await validateDataPlane(t, names, text3);
    // Several files mounted: `another` from the first source.
    await validateDataPlane(t, names, text2, '/another');
  });

  test('TestProjectedServiceAccountToken (refused: knit issues no service account tokens)', async () => {
    const name = 'projected-sa-token';
    const body = serviceBody(t, name, [
      { name: 'projectedv', projected: { sources: [{ serviceAccountToken: { audience: 'api', path: 'token' } }], defaultMode: 0o444 } },
    ], [{ name: 'projectedv', mountPath: path.join(MOUNT_DIR, 'token'), subPath: 'token' }]);
    const r = await t.knit.api('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', body);
    // A refusal by Knative's validating webhook, as the API server relays it (a 4xx Status).
    assert.ok(r.status >= 400 && r.status < 500, `${r.status} ${JSON.stringify(r.json)}`);
    const status = r.json as { kind?: string; status?: string; message?: string };
    assert.equal(status.kind, 'Status');
    assert.equal(status.status, 'Failure');
    assert.match(status.message ?? '', /^admission webhook "validation\.webhook\.serving\.knative\.dev" denied the request: validation failed: must not set the field\(s\): spec\.template\.spec\.volumes\[0\]\.projected\.sources\[0\]\.serviceAccountToken\nknit has no service accounts and issues no service account tokens/);
    // Nothing was stored.
    const got = await t.knit.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/services/${name}`);
    assert.equal(got.status, 404);
  });
}, { concurrency: true, app: path.join(FIXTURES, 'conformance-v1-app') });
