// Tests of the kind registry: the kinds served, their names, scopes, verbs, categories and lookups.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crdDefinitionName, KindRegistry, KINDS, registry, storageVersionHash } from './registry.ts';

describe('kind registry', () => {
  it('serves the Knative kinds and the Kubernetes kinds Knative users look at', () => {
    assert.deepEqual(
      KINDS.map((k) => `${k.groupVersion} ${k.kind}`).sort(),
      [
        'apps/v1 Deployment',
        'apps/v1 ReplicaSet',
        'authorization.k8s.io/v1 SelfSubjectAccessReview',
        'authorization.k8s.io/v1 SelfSubjectRulesReview',
        'eventing.knative.dev/v1 Broker',
        'eventing.knative.dev/v1 Trigger',
        'events.k8s.io/v1 Event',
        'flows.knative.dev/v1 Parallel',
        'flows.knative.dev/v1 Sequence',
        'messaging.knative.dev/v1 Channel',
        'messaging.knative.dev/v1 InMemoryChannel',
        'messaging.knative.dev/v1 Subscription',
        'networking.internal.knative.dev/v1alpha1 ClusterDomainClaim',
        'serving.knative.dev/v1 Configuration',
        'serving.knative.dev/v1 Revision',
        'serving.knative.dev/v1 Route',
        'serving.knative.dev/v1 Service',
        'serving.knative.dev/v1beta1 DomainMapping',
        'sources.knative.dev/v1 ApiServerSource',
        'sources.knative.dev/v1 ContainerSource',
        'sources.knative.dev/v1 PingSource',
        'sources.knative.dev/v1 SinkBinding',
        'v1 ConfigMap',
        'v1 Event',
        'v1 Namespace',
        'v1 Pod',
        'v1 Secret',
        'v1 Service',
      ],
    );
  });

  it('takes Knative names, short names, categories and printer columns from the CRDs', () => {
    const ksvc = registry.byResource('serving.knative.dev', 'v1', 'services')!;
    assert.equal(ksvc.kind, 'Service');
    assert.equal(ksvc.singular, 'service');
    assert.equal(ksvc.listKind, 'ServiceList');
    assert.deepEqual(ksvc.shortNames, ['kservice', 'ksvc']);
    assert.deepEqual(ksvc.categories, ['all', 'knative', 'serving']);
    assert.equal(ksvc.namespaced, true);
    assert.equal(ksvc.storage, 'stored');
    assert.deepEqual(
      ksvc.printer.columns.map((c) => c.name),
      ['Name', 'URL', 'LatestCreated', 'LatestReady', 'Ready', 'Reason'],
    );
    assert.deepEqual(registry.byResource('serving.knative.dev', 'v1', 'configurations')!.shortNames, ['config', 'cfg']);
    assert.deepEqual(registry.byResource('serving.knative.dev', 'v1', 'revisions')!.shortNames, ['rev']);
    assert.deepEqual(registry.byResource('serving.knative.dev', 'v1', 'routes')!.shortNames, ['rt']);
    const dm = registry.byResource('serving.knative.dev', 'v1beta1', 'domainmappings')!;
    assert.deepEqual([dm.kind, dm.shortNames, dm.namespaced, dm.storageKey], ['DomainMapping', ['dm'], true, 'domainmappings']);
    assert.deepEqual(dm.printer.columns.map((c) => c.name), ['Name', 'URL', 'Ready', 'Reason']);
    const cdc = registry.byResource('networking.internal.knative.dev', 'v1alpha1', 'clusterdomainclaims')!;
    assert.deepEqual([cdc.kind, cdc.shortNames, cdc.namespaced, cdc.storageKey], ['ClusterDomainClaim', ['cdc'], false, 'networking.internal.knative.dev.clusterdomainclaims']);
  });

  it('puts pods, services, deployments and replicasets in "all" as Kubernetes does, Knative\'s kinds as their CRDs say, and not the rest', () => {
    const inAll = KINDS.filter((k) => k.categories.includes('all')).map((k) => `${k.group}/${k.resource}`).sort();
    assert.deepEqual(inAll, [
      '/pods', '/services', 'apps/deployments', 'apps/replicasets',
      'eventing.knative.dev/brokers', 'eventing.knative.dev/triggers', 'flows.knative.dev/parallels', 'flows.knative.dev/sequences',
      'messaging.knative.dev/channels', 'messaging.knative.dev/inmemorychannels', 'messaging.knative.dev/subscriptions',
      'serving.knative.dev/configurations', 'serving.knative.dev/domainmappings', 'serving.knative.dev/revisions', 'serving.knative.dev/routes', 'serving.knative.dev/services',
      'sources.knative.dev/apiserversources', 'sources.knative.dev/containersources', 'sources.knative.dev/pingsources', 'sources.knative.dev/sinkbindings',
    ]);
  });

  it('marks projected kinds read-only (pods may be deleted) and stored kinds writable', () => {
    for (const k of KINDS) {
      if (k.group === 'authorization.k8s.io') assert.deepEqual(k.verbs, ['create'], k.kind);
      else if (k.storage === 'projected') assert.deepEqual(k.verbs, k.kind === 'Pod' ? ['delete', 'get', 'list', 'watch'] : ['get', 'list', 'watch'], k.kind);
      else assert.ok(k.verbs.includes('create') && k.verbs.includes('patch') && k.verbs.includes('watch'), k.kind);
    }
    assert.equal(registry.byResource('', 'v1', 'pods')!.storage, 'projected');
    assert.equal(registry.byResource('', 'v1', 'configmaps')!.storage, 'stored');
  });

  it('lists status, log and scale subresources', () => {
    const subs = (g: string, r: string) => registry.byResource(g, 'v1', r)!.subresources.map((s) => s.name).sort();
    assert.deepEqual(subs('serving.knative.dev', 'services'), ['status']);
    assert.deepEqual(subs('serving.knative.dev', 'revisions'), ['log', 'status']);
    assert.deepEqual(subs('', 'pods'), ['log', 'status']);
    assert.deepEqual(subs('apps', 'deployments'), ['scale', 'status']);
    const scale = registry.byResource('apps', 'v1', 'deployments')!.subresources.find((s) => s.name === 'scale')!;
    assert.deepEqual([scale.group, scale.version, scale.kind], ['autoscaling', 'v1', 'Scale']);
  });

  it('looks kinds up by resource, singular, short name or kind, case-insensitively', () => {
    for (const name of ['services', 'service', 'ksvc', 'kservice', 'Service', 'KSVC']) {
      assert.equal(registry.lookup('serving.knative.dev', 'v1', name)?.definition, 'dev.knative.serving.v1.Service', name);
    }
    assert.equal(registry.lookup('', 'v1', 'svc')?.definition, 'io.k8s.api.core.v1.Service');
    assert.equal(registry.lookup(undefined, undefined, 'ksvc')?.group, 'serving.knative.dev');
    assert.equal(registry.lookup(undefined, undefined, 'po')?.kind, 'Pod');
    assert.equal(registry.lookup(undefined, undefined, 'deploy')?.group, 'apps');
    assert.equal(registry.lookup('', 'v1', 'ksvc'), undefined);
    assert.equal(registry.byKind('events.k8s.io', 'v1', 'Event')?.resource, 'events');
  });

  it('names definitions as Kubernetes does', () => {
    assert.equal(crdDefinitionName('serving.knative.dev', 'v1', 'Route'), 'dev.knative.serving.v1.Route');
    assert.equal(registry.byResource('apps', 'v1', 'deployments')!.definition, 'io.k8s.api.apps.v1.Deployment');
    assert.equal(registry.byResource('events.k8s.io', 'v1', 'events')!.definition, 'io.k8s.api.events.v1.Event');
    assert.equal(registry.byResource('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews')!.definition, 'io.k8s.api.authorization.v1.SelfSubjectAccessReview');
  });

  it('computes storageVersionHash as kube-apiserver does', () => {
    // the values a real cluster's discovery shows for configmaps and deployments
    assert.equal(storageVersionHash('', 'v1', 'ConfigMap'), 'qFsyl6wFWjQ=');
    assert.equal(storageVersionHash('apps', 'v1', 'Deployment'), '8aSe+NMegvE=');
    assert.equal(registry.byResource('', 'v1', 'configmaps')!.storageVersionHash, 'qFsyl6wFWjQ=');
  });

  it('publishes CRD schemas with ObjectMeta and the group-version-kind', () => {
    const s = registry.byResource('serving.knative.dev', 'v1', 'routes')!.schema as { properties: Record<string, { $ref?: string }>; 'x-kubernetes-group-version-kind': unknown };
    assert.equal(s.properties.metadata.$ref, 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
    assert.deepEqual(s['x-kubernetes-group-version-kind'], [{ group: 'serving.knative.dev', version: 'v1', kind: 'Route' }]);
  });

  it('orders group-versions with the core group first', () => {
    const r = new KindRegistry([registry.byResource('apps', 'v1', 'deployments')!, registry.byResource('', 'v1', 'pods')!]);
    assert.deepEqual(r.groupVersions().map((g) => g.groupVersion), ['v1', 'apps/v1']);
    assert.equal(r.forGroupVersion('apps', 'v1')?.kinds.length, 1);
    assert.equal(r.forGroupVersion('batch', 'v1'), undefined);
  });
});
