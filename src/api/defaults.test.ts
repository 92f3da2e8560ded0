// Table tests for the mutating webhook: each row is an input object, a context and the defaulted result.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultServingConfig } from './config.ts';
import type { ServingConfig } from './config.ts';
import { defaultConfiguration } from './configuration-defaults.ts';
import { defaultObject, type DefaultingContext } from './defaults.ts';
import { defaultRevision, defaultRevisionSpec } from './revision-defaults.ts';
import { childName } from './child-name.ts';
import { defaultRoute, defaultTrafficTarget } from './route-defaults.ts';
import { defaultService } from './service-defaults.ts';
import { validateService } from './service-validation.ts';

// Fixtures are free-form JSON: defaulting must cope with whatever the client sent.
type J = any;

const API = 'serving.knative.dev/v1';
const CREATOR = 'serving.knative.dev/creator';
const MODIFIER = 'serving.knative.dev/lastModifier';

function config(mutate: (c: ServingConfig) => void = () => {}): ServingConfig {
  const c = defaultServingConfig();
  mutate(c);
  return c;
}

const userContainer = (extra: J = {}): J => ({
  name: 'user-container',
  readinessProbe: { tcpSocket: { port: 0 }, successThreshold: 1 },
  ...extra,
});
const defaultedSpec = (containers: J[], extra: J = {}): J => ({
  containers, timeoutSeconds: 300, containerConcurrency: 0, enableServiceLinks: false, ...extra,
});
const rawService = (spec: J, metadata: J = { name: 'hello', namespace: 'default' }): J => ({ apiVersion: API, kind: 'Service', metadata, spec });

interface Row {
  name: string;
  kind: 'Service' | 'Configuration' | 'Revision' | 'Route';
  input: J;
  ctx?: Partial<DefaultingContext<J>>;
  want: J;
}

const rows: Row[] = [
  {
    name: 'hello-world Service on create',
    kind: 'Service',
    input: rawService({
      template: {
        metadata: { annotations: { 'autoscaling.knative.dev/target': '10' } },
        spec: { containers: [{ image: 'file:///tmp/app', ports: [{ name: 'http1', containerPort: 8080 }], env: [{ name: 'TARGET', value: 'World' }] }] },
      },
    }),
    want: rawService({
      template: {
        metadata: { annotations: { 'autoscaling.knative.dev/target': '10' } },
        spec: defaultedSpec([userContainer({ image: 'file:///tmp/app', ports: [{ name: 'http1', containerPort: 8080 }], env: [{ name: 'TARGET', value: 'World' }] })]),
      },
      traffic: [{ percent: 100, latestRevision: true }],
    }, { name: 'hello', namespace: 'default', annotations: { [CREATOR]: 'alice', [MODIFIER]: 'alice' } }),
  },
  {
    name: 'Service without spec',
    kind: 'Service',
    input: { apiVersion: API, kind: 'Service', metadata: { name: 'hello' } },
    want: {
      apiVersion: API, kind: 'Service',
      metadata: { name: 'hello', annotations: { [CREATOR]: 'alice', [MODIFIER]: 'alice' } },
      spec: { template: { spec: { timeoutSeconds: 300, containerConcurrency: 0, enableServiceLinks: false } }, traffic: [{ percent: 100, latestRevision: true }] },
    },
  },
  {
    name: 'explicit traffic targets get latestRevision and percent',
    kind: 'Service',
    input: rawService({
      template: { spec: { containers: [{ image: 'a' }] } },
      traffic: [{ tag: 'current', revisionName: 'hello-00001', percent: 100 }, { tag: 'latest' }],
    }),
    want: rawService({
      template: { spec: defaultedSpec([userContainer({ image: 'a' })]) },
      traffic: [
        { tag: 'current', revisionName: 'hello-00001', percent: 100, latestRevision: false },
        { tag: 'latest', latestRevision: true, percent: 0 },
      ],
    }, { name: 'hello', namespace: 'default', annotations: { [CREATOR]: 'alice', [MODIFIER]: 'alice' } }),
  },
  {
    name: 'explicit values are kept',
    kind: 'Service',
    input: rawService({
      template: { spec: { timeoutSeconds: 100, containerConcurrency: 5, enableServiceLinks: true, containers: [{ name: 'app', image: 'a' }] } },
      traffic: [{ percent: 100, latestRevision: true }],
    }),
    want: rawService({
      template: { spec: { timeoutSeconds: 100, containerConcurrency: 5, enableServiceLinks: true, containers: [userContainer({ name: 'app', image: 'a' })] } },
      traffic: [{ percent: 100, latestRevision: true }],
    }, { name: 'hello', namespace: 'default', annotations: { [CREATOR]: 'alice', [MODIFIER]: 'alice' } }),
  },
  {
    name: 'timeoutSeconds 0 means the default',
    kind: 'Revision',
    input: { apiVersion: API, kind: 'Revision', metadata: { name: 'r' }, spec: { timeoutSeconds: 0, containers: [{ image: 'a' }] } },
    want: { apiVersion: API, kind: 'Revision', metadata: { name: 'r' }, spec: defaultedSpec([userContainer({ image: 'a' })]) },
  },
  {
    name: 'response-start and idle timeouts when configured below the timeout',
    kind: 'Revision',
    input: { apiVersion: API, kind: 'Revision', metadata: { name: 'r' }, spec: { containers: [{ image: 'a' }] } },
    ctx: { config: config((c) => { c.defaults.revisionResponseStartTimeoutSeconds = 60; c.defaults.revisionIdleTimeoutSeconds = 30; }) },
    want: {
      apiVersion: API, kind: 'Revision', metadata: { name: 'r' },
      spec: defaultedSpec([userContainer({ image: 'a' })], { responseStartTimeoutSeconds: 60, idleTimeoutSeconds: 30 }),
    },
  },
  {
    name: 'Revision update is not defaulted',
    kind: 'Revision',
    input: { apiVersion: API, kind: 'Revision', metadata: { name: 'r' }, spec: { containers: [{ image: 'a' }] } },
    ctx: { op: 'update', old: {} },
    want: { apiVersion: API, kind: 'Revision', metadata: { name: 'r' }, spec: { containers: [{ image: 'a' }] } },
  },
  {
    name: 'multiple containers: numbered names, probe only on the serving container',
    kind: 'Revision',
    input: {
      apiVersion: API, kind: 'Revision', metadata: { name: 'r' },
      spec: { containers: [{ image: 'a', ports: [{ containerPort: 8080 }] }, { image: 'b' }, { name: 'user-container-1', image: 'c' }, { image: 'd' }] },
    },
    want: {
      apiVersion: API, kind: 'Revision', metadata: { name: 'r' },
      spec: defaultedSpec([
        userContainer({ name: 'user-container-0', image: 'a', ports: [{ containerPort: 8080 }] }),
        { name: 'user-container-2', image: 'b' },
        { name: 'user-container-1', image: 'c' },
        { name: 'user-container-3', image: 'd' },
      ]),
    },
  },
  {
    name: 'name clash with a single container; several init containers are numbered',
    kind: 'Revision',
    input: {
      apiVersion: API, kind: 'Revision', metadata: { name: 'r' },
      spec: { initContainers: [{ name: 'user-container', image: 'i' }, { image: 'j' }], containers: [{ image: 'a' }] },
    },
    want: {
      apiVersion: API, kind: 'Revision', metadata: { name: 'r' },
      spec: defaultedSpec([userContainer({ name: 'user-container-0', image: 'a' })], {
        initContainers: [{ name: 'user-container', image: 'i' }, { name: 'init-container-0', image: 'j' }],
      }),
    },
  },
  {
    name: 'readiness probe with periodSeconds gets Kubernetes defaults',
    kind: 'Revision',
    input: { apiVersion: API, kind: 'Revision', metadata: { name: 'r' }, spec: { containers: [{ image: 'a', readinessProbe: { httpGet: { path: '/healthz' }, periodSeconds: 5 } }] } },
    want: {
      apiVersion: API, kind: 'Revision', metadata: { name: 'r' },
      spec: defaultedSpec([{
        name: 'user-container', image: 'a',
        readinessProbe: { httpGet: { path: '/healthz' }, periodSeconds: 5, successThreshold: 1, failureThreshold: 3, timeoutSeconds: 1 },
      }]),
    },
  },
  {
    name: 'aggressive readiness probe (periodSeconds 0) keeps no timeout or failureThreshold',
    kind: 'Revision',
    input: { apiVersion: API, kind: 'Revision', metadata: { name: 'r' }, spec: { containers: [{ image: 'a', readinessProbe: { exec: { command: ['true'] }, periodSeconds: 0 } }] } },
    want: {
      apiVersion: API, kind: 'Revision', metadata: { name: 'r' },
      spec: defaultedSpec([{ name: 'user-container', image: 'a', readinessProbe: { exec: { command: ['true'] }, periodSeconds: 0, successThreshold: 1 } }]),
    },
  },
  {
    name: 'grpc probe service defaults to empty',
    kind: 'Revision',
    input: { apiVersion: API, kind: 'Revision', metadata: { name: 'r' }, spec: { containers: [{ image: 'a', readinessProbe: { grpc: { port: 8080 } } }] } },
    want: {
      apiVersion: API, kind: 'Revision', metadata: { name: 'r' },
      spec: defaultedSpec([{ name: 'user-container', image: 'a', readinessProbe: { grpc: { port: 8080, service: '' }, successThreshold: 1 } }]),
    },
  },
  {
    name: 'mounts of non-writable volumes become read-only',
    kind: 'Revision',
    input: {
      apiVersion: API, kind: 'Revision', metadata: { name: 'r' },
      spec: {
        volumes: [{ name: 's', secret: { secretName: 's' } }, { name: 'e', emptyDir: {} }],
        containers: [{ image: 'a', volumeMounts: [{ name: 's', mountPath: '/s' }, { name: 'e', mountPath: '/e' }] }],
      },
    },
    want: {
      apiVersion: API, kind: 'Revision', metadata: { name: 'r' },
      spec: defaultedSpec([userContainer({ image: 'a', volumeMounts: [{ name: 's', mountPath: '/s', readOnly: true }, { name: 'e', mountPath: '/e' }] })], {
        volumes: [{ name: 's', secret: { secretName: 's' } }, { name: 'e', emptyDir: {} }],
      }),
    },
  },
  {
    name: 'configured resource defaults fill only what is missing',
    kind: 'Revision',
    input: { apiVersion: API, kind: 'Revision', metadata: { name: 'r' }, spec: { containers: [{ image: 'a', resources: { limits: { memory: '1Gi' } } }] } },
    ctx: { config: config((c) => { c.defaults.revisionCpuRequest = '100m'; c.defaults.revisionMemoryLimit = '256Mi'; }) },
    want: {
      apiVersion: API, kind: 'Revision', metadata: { name: 'r' },
      spec: defaultedSpec([userContainer({ image: 'a', resources: { limits: { memory: '1Gi' }, requests: { cpu: '100m' } } })]),
    },
  },
  {
    name: 'secure-pod-defaults Enabled',
    kind: 'Revision',
    input: { apiVersion: API, kind: 'Revision', metadata: { name: 'r' }, spec: { containers: [{ image: 'a', ports: [{ containerPort: 80 }] }] } },
    ctx: { config: config((c) => { c.features.securePodDefaults = 'Enabled'; }) },
    want: {
      apiVersion: API, kind: 'Revision', metadata: { name: 'r' },
      spec: defaultedSpec([userContainer({
        image: 'a', ports: [{ containerPort: 80 }],
        securityContext: {
          allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' },
          capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] }, runAsNonRoot: true,
        },
      })]),
    },
  },
  {
    name: 'enableServiceLinks "default" leaves it unset',
    kind: 'Revision',
    input: { apiVersion: API, kind: 'Revision', metadata: { name: 'r' }, spec: { containers: [{ image: 'a' }] } },
    ctx: { config: config((c) => { c.defaults.enableServiceLinks = null; }) },
    want: { apiVersion: API, kind: 'Revision', metadata: { name: 'r' }, spec: { containers: [userContainer({ image: 'a' })], timeoutSeconds: 300, containerConcurrency: 0 } },
  },
  {
    name: 'container-name-template may use the parent name',
    kind: 'Configuration',
    input: { apiVersion: API, kind: 'Configuration', metadata: { name: 'cfg' }, spec: { template: { spec: { containers: [{ image: 'a' }] } } } },
    ctx: { config: config((c) => { c.defaults.containerNameTemplate = '{{.Name}}-app'; }) },
    want: {
      apiVersion: API, kind: 'Configuration', metadata: { name: 'cfg', annotations: { [CREATOR]: 'alice', [MODIFIER]: 'alice' } },
      spec: { template: { spec: defaultedSpec([userContainer({ name: 'cfg-app', image: 'a' })]) } },
    },
  },
  {
    name: 'owned Configuration gets no user annotations',
    kind: 'Configuration',
    input: {
      apiVersion: API, kind: 'Configuration',
      metadata: { name: 'hello', ownerReferences: [{ apiVersion: API, kind: 'Service', name: 'hello', uid: 'u' }] },
      spec: { template: { spec: { containers: [{ image: 'a' }] } } },
    },
    want: {
      apiVersion: API, kind: 'Configuration',
      metadata: { name: 'hello', ownerReferences: [{ apiVersion: API, kind: 'Service', name: 'hello', uid: 'u' }] },
      spec: { template: { spec: defaultedSpec([userContainer({ image: 'a' })]) } },
    },
  },
  {
    name: 'Route targets; no traffic is invented',
    kind: 'Route',
    input: { apiVersion: API, kind: 'Route', metadata: { name: 'r' }, spec: { traffic: [{ configurationName: 'c', percent: 100 }, { revisionName: 'c-00001' }] } },
    want: {
      apiVersion: API, kind: 'Route', metadata: { name: 'r', annotations: { [CREATOR]: 'alice', [MODIFIER]: 'alice' } },
      spec: { traffic: [{ configurationName: 'c', percent: 100, latestRevision: true }, { revisionName: 'c-00001', latestRevision: false, percent: 0 }] },
    },
  },
  {
    name: 'Route with empty traffic stays empty',
    kind: 'Route',
    input: { apiVersion: API, kind: 'Route', metadata: { name: 'r' }, spec: {} },
    want: { apiVersion: API, kind: 'Route', metadata: { name: 'r', annotations: { [CREATOR]: 'alice', [MODIFIER]: 'alice' } }, spec: {} },
  },
  {
    name: 'owned Route gets no user annotations',
    kind: 'Route',
    input: { apiVersion: API, kind: 'Route', metadata: { name: 'r', ownerReferences: [{ apiVersion: API, kind: 'Service', name: 'r', uid: 'u' }] }, spec: { traffic: [] } },
    want: { apiVersion: API, kind: 'Route', metadata: { name: 'r', ownerReferences: [{ apiVersion: API, kind: 'Service', name: 'r', uid: 'u' }] }, spec: { traffic: [] } },
  },
  {
    name: 'empty user: no annotations',
    kind: 'Route',
    input: { apiVersion: API, kind: 'Route', metadata: { name: 'r' }, spec: {} },
    ctx: { user: '' },
    want: { apiVersion: API, kind: 'Route', metadata: { name: 'r' }, spec: {} },
  },
  {
    name: 'malformed input is left for validation',
    kind: 'Service',
    input: rawService({ template: { spec: { containers: 'x', volumes: 3 } }, traffic: 'all' }),
    want: rawService({ template: { spec: { containers: 'x', volumes: 3, timeoutSeconds: 300, containerConcurrency: 0, enableServiceLinks: false } }, traffic: 'all' },
      { name: 'hello', namespace: 'default', annotations: { [CREATOR]: 'alice', [MODIFIER]: 'alice' } }),
  },
];

function apply(row: Row): J {
  const ctx: DefaultingContext<J> = { config: config(), user: 'alice', op: 'create', ...row.ctx };
  const obj = structuredClone(row.input);
  switch (row.kind) {
    case 'Service': return defaultService(obj, ctx);
    case 'Configuration': return defaultConfiguration(obj, ctx);
    case 'Revision': return defaultRevision(obj, ctx);
    case 'Route': return defaultRoute(obj, ctx);
  }
}

for (const row of rows) {
  test(`default ${row.kind}: ${row.name}`, () => {
    assert.deepEqual(apply(row), row.want);
  });
}

// Updates: lastModifier follows spec changes; a kept BYO revision name freezes template defaulting.
const stored = (): J => defaultService(rawService({ template: { spec: { containers: [{ image: 'a' }] } } }), { config: config(), user: 'alice', op: 'create' });

test('update with a spec change records lastModifier, keeps creator', () => {
  const next = stored();
  next.spec.template.spec.containers[0].image = 'b';
  defaultService(next, { config: config(), user: 'bob', op: 'update', old: stored() });
  assert.equal(next.metadata.annotations[CREATOR], 'alice');
  assert.equal(next.metadata.annotations[MODIFIER], 'bob');
});

test('update without a spec change leaves lastModifier', () => {
  const next = stored();
  next.metadata.labels = { team: 'x' };
  defaultService(next, { config: config(), user: 'bob', op: 'update', old: stored() });
  assert.equal(next.metadata.annotations[MODIFIER], 'alice');
});

test('update re-sending the stored spec before defaulting leaves lastModifier', () => {
  // enableServiceLinks is create-only, so a client re-sending the object keeps the stored value.
  const next = rawService({ template: { spec: { containers: [{ image: 'a' }], enableServiceLinks: false } } }, stored().metadata);
  defaultService(next, { config: config(), user: 'bob', op: 'update', old: stored() });
  assert.deepEqual(next, stored());
});

test('update keeping the BYO template name skips template defaulting', () => {
  const old = stored();
  old.spec.template.metadata = { name: 'hello-v1' };
  const next = rawService({ template: { metadata: { name: 'hello-v1' }, spec: { containers: [{ image: 'b' }] } } }, old.metadata);
  defaultService(next, { config: config(), user: 'bob', op: 'update', old });
  assert.deepEqual(next.spec.template.spec, { containers: [{ image: 'b' }] });
  // ...and validation then points at the missing name change.
  const err = validateService(next, { config: config(), op: 'update', old });
  assert.match(err?.filter('Error')?.error ?? '', /^Saw the following changes without a name change \(-old \+new\): spec\.template\.metadata\.name\n/);
});

test('update changing the BYO template name defaults the template', () => {
  const old = stored();
  old.spec.template.metadata = { name: 'hello-v1' };
  const next = rawService({ template: { metadata: { name: 'hello-v2' }, spec: { containers: [{ image: 'b' }] } } }, old.metadata);
  defaultService(next, { config: config(), user: 'bob', op: 'update', old });
  assert.equal(next.spec.template.spec.timeoutSeconds, 300);
  // enableServiceLinks is only defaulted on create.
  assert.equal(next.spec.template.spec.enableServiceLinks, undefined);
});

test('defaulted hello-world Service validates without errors', () => {
  const svc = defaultService(rawService({
    template: {
      metadata: { annotations: { 'autoscaling.knative.dev/target': '10' } },
      spec: { containers: [{ image: 'file:///tmp/app', ports: [{ name: 'http1', containerPort: 8080 }], env: [{ name: 'TARGET', value: 'World' }] }] },
    },
  }), { config: config(), user: 'alice', op: 'create' });
  assert.equal(validateService(svc, { config: config(), op: 'create' })?.filter('Error') ?? null, null);
});

test('defaultObject dispatches on kind and ignores others', () => {
  const ctx = { config: config(), user: 'u', op: 'create' } as const;
  const route: J = defaultObject({ apiVersion: API, kind: 'Route', metadata: { name: 'r' }, spec: { traffic: [{ revisionName: 'x' }] } }, ctx);
  assert.deepEqual(route.spec.traffic, [{ revisionName: 'x', latestRevision: false, percent: 0 }]);
  const other = { kind: 'Pod', spec: {} };
  assert.deepEqual(defaultObject(other, ctx), { kind: 'Pod', spec: {} });
});

test('defaultTrafficTarget and defaultRevisionSpec are usable on their own', () => {
  assert.deepEqual(defaultTrafficTarget({ configurationName: 'c' }), { configurationName: 'c', latestRevision: true, percent: 0 });
  const rs: J = defaultRevisionSpec({ containers: [{ image: 'a' }] }, config(), 'update');
  assert.deepEqual(rs, { containers: [userContainer({ image: 'a' })], timeoutSeconds: 300, containerConcurrency: 0 });
});

test('childName shortens like kmeta.ChildName', () => {
  assert.equal(childName('user-container', '-0'), 'user-container-0');
  const long = 'a'.repeat(70);
  const n = childName(long, '-0');
  assert.equal(n.length, 63);
  assert.match(n, /^a{29}[0-9a-f]{32}-0$/);
});
