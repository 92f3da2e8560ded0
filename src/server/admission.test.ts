// Admission owns its serving configuration: two API servers in one process admit by their own config.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultServingConfig } from '../api/config.ts';
import { Admission } from './admission.ts';
import { StatusError } from '../api/status-error.ts';

function service(timeoutSeconds: number): unknown {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: 'hello', namespace: 'default' },
    spec: { template: { spec: { timeoutSeconds, containers: [{ image: 'ghcr.io/knative/helloworld-go' }] } } },
  };
}

test('each Admission validates with the config it was constructed with', () => {
  const strict = defaultServingConfig();
  strict.defaults.maxRevisionTimeoutSeconds = 400;
  const lenient = new Admission();
  const bounded = new Admission(strict);

  const ok = lenient.admit('services', 'create', service(500), undefined, 'alice');
  assert.equal((ok.object.spec as { template: { spec: { timeoutSeconds: number } } }).template.spec.timeoutSeconds, 500);
  assert.equal((ok.object.metadata.annotations ?? {})['serving.knative.dev/creator'], 'alice');

  assert.throws(() => bounded.admit('services', 'create', service(500), undefined, 'alice'), (e: unknown) => {
    assert.ok(e instanceof StatusError);
    assert.equal(e.code, 400);
    assert.equal(e.message, 'admission webhook "validation.webhook.serving.knative.dev" denied the request: validation failed: '
      + 'expected 0 <= 500 <= 400: spec.template.spec.timeoutSeconds');
    return true;
  });
  // The first one is unaffected by the second's construction.
  assert.doesNotThrow(() => lenient.admit('services', 'create', service(500), undefined, 'alice'));
});

test('env from Secrets and ConfigMaps is admitted; fieldRef follows kubernetes.podspec-fieldref', () => {
  const withContainer = (c: Record<string, unknown>): unknown => ({
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: 'hello', namespace: 'default' },
    spec: { template: { spec: { containers: [{ image: 'ghcr.io/knative/helloworld-go', ...c }] } } },
  });
  const admission = new Admission();
  assert.doesNotThrow(() => admission.admit('services', 'create', withContainer({
    env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }, { name: 'B', valueFrom: { configMapKeyRef: { name: 'c', key: 'k', optional: true } } }],
    envFrom: [{ secretRef: { name: 's' }, prefix: 'S_' }, { configMapRef: { name: 'c' } }],
  }), undefined, 'alice'));
  const fieldRef = withContainer({ env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] });
  assert.throws(() => admission.admit('services', 'create', fieldRef, undefined, 'alice'), (e: unknown) => {
    assert.ok(e instanceof StatusError);
    assert.match(e.message, /must not set the field\(s\): spec\.template\.spec\.containers\[0\]\.env\[0\]\.valueFrom\.fieldRef$/);
    return true;
  });
  const enabled = defaultServingConfig();
  enabled.features.podSpecFieldRef = 'Enabled';
  assert.doesNotThrow(() => new Admission(enabled).admit('services', 'create', fieldRef, undefined, 'alice'));
});

test('secret, configMap, projected and emptyDir volumes are admitted; what knit cannot mount is refused with a field error', () => {
  const withVolumes = (volumes: unknown[], mounts: unknown[]): unknown => ({
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: 'hello', namespace: 'default' },
    spec: { template: { spec: { volumes, containers: [{ image: 'ghcr.io/knative/helloworld-go', volumeMounts: mounts }] } } },
  });
  const admission = new Admission();
  const refused = (obj: unknown, re: RegExp, a = admission): void => {
    assert.throws(() => a.admit('services', 'create', obj, undefined, 'alice'), (e: unknown) => {
      assert.ok(e instanceof StatusError);
      assert.equal(e.code, 400);
      assert.match(e.message, re);
      return true;
    });
  };
  const ok = admission.admit('services', 'create', withVolumes([
    { name: 's', secret: { secretName: 'db', items: [{ key: 'k', path: 'dir/k', mode: 0o400 }], defaultMode: 0o440, optional: true } },
    { name: 'c', configMap: { name: 'cfg' } },
    { name: 'p', projected: { defaultMode: 0o444, sources: [{ secret: { name: 'db' } }, { downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } }] } },
    { name: 'e', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
  ], [
    { name: 's', mountPath: '/s' }, { name: 'c', mountPath: '/c/f', subPath: 'k' }, { name: 'p', mountPath: '/p' }, { name: 'e', mountPath: '/e' },
  ]), undefined, 'alice');
  const mounts = (ok.object.spec as { template: { spec: { containers: { volumeMounts: { name: string; readOnly?: boolean }[] }[] } } }).template.spec.containers[0].volumeMounts;
  assert.deepEqual(mounts.map((m) => [m.name, m.readOnly === true]), [['s', true], ['c', true], ['p', true], ['e', false]]);

  refused(withVolumes([{ name: 't', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }], [{ name: 't', mountPath: '/t' }]),
    /must not set the field\(s\): spec\.template\.spec\.volumes\[0\]\.projected\.sources\[0\]\.serviceAccountToken\nknit has no service accounts/);
  refused(withVolumes([{ name: 's', secret: { secretName: 'db', items: [{ key: 'k', path: '../k' }] } }], [{ name: 's', mountPath: '/s' }]),
    /invalid value: \.\.\/k: spec\.template\.spec\.volumes\[0\]\.secret\.items\[0\]\.path\nmust not contain '\.\.'/);
  refused(withVolumes([{ name: 'e', emptyDir: {} }], [{ name: 'e', mountPath: '/e', subPath: '/abs' }]), /invalid value: \/abs: spec\.template\.spec\.containers\[0\]\.volumeMounts\[0\]\.subPath/);
  const pvc = defaultServingConfig();
  pvc.features.podSpecPersistentVolumeClaim = 'Enabled';
  pvc.features.podSpecPersistentVolumeWrite = 'Enabled';
  refused(withVolumes([{ name: 'v', persistentVolumeClaim: { claimName: 'c' } }], [{ name: 'v', mountPath: '/v' }]),
    /must not set the field\(s\): spec\.template\.spec\.volumes\[0\]\.persistentVolumeClaim\nknit does not mount persistentVolumeClaim volumes/, new Admission(pvc));
});

test('sidecars are admitted; two ports, no port and multi-container off are refused with Knative\'s messages', () => {
  const withContainers = (...containers: Record<string, unknown>[]): unknown => ({
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: 'hello', namespace: 'default' },
    spec: { template: { spec: { containers } } },
  });
  const refusal = (admission: Admission, obj: unknown): string => {
    try {
      admission.admit('services', 'create', obj, undefined, 'alice');
    } catch (e) {
      assert.ok(e instanceof StatusError);
      assert.equal(e.code, 400);
      return e.message.replace('admission webhook "validation.webhook.serving.knative.dev" denied the request: validation failed: ', '');
    }
    return 'admitted';
  };
  const admission = new Admission();
  const ok = admission.admit('services', 'create', withContainers({ name: 'app', image: 'a', ports: [{ containerPort: 8080 }] }, { name: 'side', image: 'b' }), undefined, 'alice');
  assert.equal((ok.object.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers.length, 2);
  assert.equal(refusal(admission, withContainers({ name: 'app', image: 'a', ports: [{ containerPort: 8080 }] }, { name: 'side', image: 'b', ports: [{ containerPort: 9000 }] })),
    'more than one container port is set: spec.template.spec.containers[*].ports\nOnly a single port is allowed across all containers');
  assert.equal(refusal(admission, withContainers({ name: 'app', image: 'a' }, { name: 'side', image: 'b' })), 'missing field(s): spec.template.spec.containers[*].ports');
  const mounted = withContainers({ name: 'app', image: 'a', ports: [{ containerPort: 8080 }] }, { name: 'side', image: 'b', volumeMounts: [{ name: 'e', mountPath: '/e' }] });
  (mounted as { spec: { template: { spec: Record<string, unknown> } } }).spec.template.spec.volumes = [{ name: 'e', emptyDir: {} }];
  assert.equal(refusal(admission, mounted), 'must not set the field(s): spec.template.spec.containers[1].volumeMounts\nknit mounts volumes into the serving container only, not into sidecars');
  const off = defaultServingConfig();
  off.features.multiContainer = 'Disabled';
  assert.equal(refusal(new Admission(off), withContainers({ name: 'app', image: 'a', ports: [{ containerPort: 8080 }] }, { name: 'side', image: 'b' })), 'multi-container is off, but found 2 containers: ');
});

test('a sidecar\'s readiness probe gets Knative\'s probe defaults, a sidecar without one gets no probe (revision_defaults.go)', () => {
  const probing = defaultServingConfig();
  probing.features.multiContainerProbing = 'Enabled';
  const obj = {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: 'hello', namespace: 'default' },
    spec: { template: { spec: { containers: [
      { name: 'app', image: 'a', ports: [{ containerPort: 8080 }] },
      { name: 'probed', image: 'b', readinessProbe: { httpGet: { port: 8090 }, periodSeconds: 2 } },
      { name: 'plain', image: 'c' },
    ] } } },
  };
  const { object } = new Admission(probing).admit('services', 'create', obj, undefined, 'alice');
  const cs = (object.spec as { template: { spec: { containers: { readinessProbe?: Record<string, unknown> }[] } } }).template.spec.containers;
  assert.deepEqual(cs[0].readinessProbe, { tcpSocket: { port: 0 }, successThreshold: 1 });
  assert.deepEqual(cs[1].readinessProbe, { httpGet: { port: 8090 }, periodSeconds: 2, successThreshold: 1, failureThreshold: 3, timeoutSeconds: 1 });
  assert.equal(cs[2].readinessProbe, undefined);
});
