// Tests of unknown-field detection and the apiserver's strict-decoding message.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { strictDecodingError, unknownFields, unknownFieldWarnings } from './field-validation.ts';
import { registry } from './registry.ts';

const ksvc = registry.byResource('serving.knative.dev', 'v1', 'services')!;
const configMap = registry.byResource('', 'v1', 'configmaps')!;

describe('unknownFields', () => {
  it('finds unknown fields in a Knative Service, sorted, with list indexes', () => {
    const obj = {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: { name: 'hello', labelz: {} },
      spec: { template: { metadata: { annotations: { a: 'b' }, whatever: 1 }, spec: { containers: [{ image: 'x' }, { image: 'y', imagePullPolicyy: 'Always' }] } }, bogus: 1 },
    };
    assert.deepEqual(unknownFields(ksvc, obj), ['metadata.labelz', 'spec.bogus', 'spec.template.spec.containers[1].imagePullPolicyy']);
  });

  it('accepts a valid Service, status included, and what x-kubernetes-preserve-unknown-fields keeps', () => {
    const obj = {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: { name: 'hello', labels: { a: 'b' }, ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u' }] },
      spec: {
        template: { metadata: { annotations: { 'autoscaling.knative.dev/min-scale': '1' } }, spec: { containerConcurrency: 1, containers: [{ image: 'x', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 8080 }], resources: { limits: { cpu: '1' } } }], affinity: { anything: { goes: true } } } },
        traffic: [{ latestRevision: true, percent: 100 }],
      },
      status: { url: 'http://x', conditions: [{ type: 'Ready', status: 'True' }] },
    };
    assert.deepEqual(unknownFields(ksvc, obj), []);
  });

  it('checks built-in kinds against Kubernetes definitions, in document order', () => {
    assert.deepEqual(unknownFields(configMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', zeta: 1, annotations: {} }, datum: {}, data: { a: 'b' } }), ['metadata.zeta', 'datum']);
    assert.deepEqual(unknownFields(configMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:data': {} } }] }, data: { a: 'b' } }), []);
  });

  it('checks pods through PodSpec and Container', () => {
    const pod = registry.byResource('', 'v1', 'pods')!;
    assert.deepEqual(unknownFields(pod, { spec: { containers: [{ name: 'a', image: 'b', livenessProbe: { httpGet: { path: '/' }, periodSecondz: 1 } }], restartPolicy: 'Always', nodeNam: 'x' } }), [
      'spec.containers[0].livenessProbe.periodSecondz',
      'spec.nodeNam',
    ]);
  });
});

describe('strictDecodingError', () => {
  it('words the 400 as kube-apiserver does', () => {
    assert.equal(
      strictDecodingError(ksvc, { apiVersion: 'serving.knative.dev/v1', kind: 'Service' }, ['spec.bogus', 'spec.template.spec.containers[0].imagePullPolicyy']),
      'Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.bogus", unknown field "spec.template.spec.containers[0].imagePullPolicyy"',
    );
    assert.equal(strictDecodingError(configMap, {}, ['datum']), 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "datum"');
  });

  it('gives one warning per field for fieldValidation=Warn', () => {
    assert.deepEqual(unknownFieldWarnings(['spec.bogus']), ['unknown field "spec.bogus"']);
  });
});
