// Tests of the discovery documents and /version generated from the kind registry.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregatedDiscovery, discoveryDocument, discoveryResponse, versionInfo } from './discovery.ts';

type Resource = { name: string; singularName: string; namespaced: boolean; kind: string; verbs: string[]; shortNames?: string[]; categories?: string[]; group?: string; version?: string; storageVersionHash?: string };
const resources = (path: string) => (discoveryDocument(path) as { resources: Resource[] }).resources;

describe('discovery', () => {
  it('/api lists the core version', () => {
    assert.deepEqual(discoveryDocument('/api', { serverAddress: '127.0.0.1:6443' }), { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }] });
  });

  it('/apis lists every other group with its preferred version', () => {
    const doc = discoveryDocument('/apis') as { kind: string; apiVersion: string; groups: { name: string; versions: unknown[]; preferredVersion: unknown }[] };
    assert.equal(doc.kind, 'APIGroupList');
    assert.equal(doc.apiVersion, 'v1');
    assert.deepEqual(doc.groups.map((g) => g.name).sort(), ['apps', 'authorization.k8s.io', 'eventing.knative.dev', 'events.k8s.io', 'flows.knative.dev', 'messaging.knative.dev', 'networking.internal.knative.dev', 'serving.knative.dev', 'sources.knative.dev']);
    const serving = doc.groups.find((g) => g.name === 'serving.knative.dev')!;
    assert.deepEqual(serving.versions, [{ groupVersion: 'serving.knative.dev/v1', version: 'v1' }, { groupVersion: 'serving.knative.dev/v1beta1', version: 'v1beta1' }]);
    assert.deepEqual(serving.preferredVersion, { groupVersion: 'serving.knative.dev/v1', version: 'v1' });
  });

  it('/apis/GROUP is an APIGroup', () => {
    assert.deepEqual(discoveryDocument('/apis/apps'), { kind: 'APIGroup', apiVersion: 'v1', name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } });
    assert.equal(discoveryDocument('/apis/batch'), undefined);
  });

  it('/api/v1 is non-empty and has no apiVersion, like kube-apiserver', () => {
    const doc = discoveryDocument('/api/v1')!;
    assert.equal(doc.kind, 'APIResourceList');
    assert.equal(doc.groupVersion, 'v1');
    assert.equal('apiVersion' in doc, false);
    assert.deepEqual(resources('/api/v1').map((r) => r.name), ['configmaps', 'events', 'namespaces', 'namespaces/status', 'pods', 'pods/log', 'pods/status', 'secrets', 'services', 'services/status']);
  });

  it('each APIResource carries singularName, verbs, shortNames, categories and storageVersionHash', () => {
    const ksvc = resources('/apis/serving.knative.dev/v1').find((r) => r.name === 'services')!;
    assert.deepEqual(ksvc, {
      name: 'services',
      singularName: 'service',
      namespaced: true,
      kind: 'Service',
      verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
      shortNames: ['kservice', 'ksvc'],
      categories: ['all', 'knative', 'serving'],
      storageVersionHash: ksvc.storageVersionHash,
    });
    assert.match(ksvc.storageVersionHash!, /^[A-Za-z0-9+/]{11}=$/);
    const pods = resources('/api/v1').find((r) => r.name === 'pods')!;
    assert.deepEqual(pods, { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['delete', 'get', 'list', 'watch'], shortNames: ['po'], categories: ['all'] });
    const ns = resources('/api/v1').find((r) => r.name === 'namespaces')!;
    assert.equal(ns.namespaced, false);
  });

  it('subresources have an empty singularName, and scale names its group-version', () => {
    assert.deepEqual(resources('/apis/serving.knative.dev/v1').find((r) => r.name === 'revisions/log'), { name: 'revisions/log', singularName: '', namespaced: true, kind: 'Revision', verbs: ['get'] });
    assert.deepEqual(resources('/apis/apps/v1').find((r) => r.name === 'deployments/scale'), { name: 'deployments/scale', singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get'] });
  });

  it('tolerates a trailing slash and answers undefined for other paths', () => {
    assert.equal((discoveryDocument('/apis/apps/v1/') as { groupVersion: string }).groupVersion, 'apps/v1');
    assert.equal(discoveryDocument('/apis/serving.knative.dev/v2'), undefined);
    assert.equal(discoveryDocument('/api/v1/pods'), undefined);
    assert.equal(discoveryResponse('/healthz'), undefined);
  });

  it('/version has every field of version.Info', () => {
    const v = versionInfo();
    for (const f of ['major', 'minor', 'gitVersion', 'gitCommit', 'gitTreeState', 'buildDate', 'goVersion', 'compiler', 'platform']) assert.equal(typeof v[f], 'string', f);
    assert.equal(v.major, '1');
    assert.match(v.gitVersion, /^v1\.\d+\.\d+/);
    assert.match(v.platform, /^[a-z0-9]+\/[a-z0-9]+$/);
    assert.deepEqual(JSON.parse(discoveryResponse('/version')!.body), v);
  });
});

describe('aggregated discovery', () => {
  const kubectlAccept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

  it('answers kubectl\'s Accept with an APIGroupDiscoveryList', () => {
    const r = discoveryResponse('/apis', kubectlAccept)!;
    assert.equal(r.contentType, 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const doc = JSON.parse(r.body);
    assert.equal(doc.kind, 'APIGroupDiscoveryList');
    assert.equal(doc.apiVersion, 'apidiscovery.k8s.io/v2');
    const serving = doc.items.find((g: { metadata: { name: string } }) => g.metadata.name === 'serving.knative.dev');
    const ksvc = serving.versions[0].resources.find((r: { resource: string }) => r.resource === 'services');
    assert.deepEqual(ksvc, {
      resource: 'services',
      responseKind: { group: 'serving.knative.dev', version: 'v1', kind: 'Service' },
      scope: 'Namespaced',
      singularResource: 'service',
      verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
      shortNames: ['kservice', 'ksvc'],
      categories: ['all', 'knative', 'serving'],
      subresources: [{ subresource: 'status', responseKind: { group: 'serving.knative.dev', version: 'v1', kind: 'Service' }, verbs: ['get', 'patch', 'update'] }],
    });
    assert.equal(serving.versions[0].freshness, 'Current');
  });

  it('/api holds only the core group, named ""', () => {
    const doc = aggregatedDiscovery('/api');
    assert.deepEqual((doc.items as { metadata: { name: string } }[]).map((i) => i.metadata.name), ['']);
  });

  it('v2beta1 is answered when only it is asked for', () => {
    const r = discoveryResponse('/api', 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList')!;
    assert.equal(r.contentType, 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList');
    assert.equal(JSON.parse(r.body).apiVersion, 'apidiscovery.k8s.io/v2beta1');
  });

  it('plain JSON (or no Accept) gets the legacy documents', () => {
    for (const accept of [undefined, 'application/json', 'application/json, */*', 'application/json,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList']) {
      const r = discoveryResponse('/apis', accept)!;
      assert.equal(r.contentType, 'application/json', String(accept));
      assert.equal(JSON.parse(r.body).kind, 'APIGroupList');
    }
  });
});
