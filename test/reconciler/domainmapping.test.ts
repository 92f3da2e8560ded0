// Table test of the DomainMapping reconciler: the cases of knative/serving pkg/reconciler/domainmapping/table_test.go
// (TestReconcile and TestReconcileAutocreateClaimsDisabled) as knit rows.

import assert from 'node:assert/strict';
import { reconcileKey } from '../../src/controllers/kit.ts';
import { domainMappingReconciler } from '../../src/controllers/domainmapping.ts';
import type { Condition } from '../../src/api/types.ts';
import { cond, runTable, type Obj, type Row } from './table.ts';

const TLS_NOT_ENABLED = cond('CertificateProvisioned', 'True', 'TLSNotEnabled', 'external-domain-tls is not enabled');
const INGRESS_NOT_CONFIGURED = cond('IngressReady', 'Unknown', 'IngressNotConfigured', 'Ingress has not yet been reconciled.');
const NOT_OWNED = 'The domain name is already in use by another DomainMapping';

function dm(ns: string, name: string, ref: { name: string; namespace?: string; kind?: string; apiVersion?: string; tls?: string }, status?: Obj['status']): Obj {
  return {
    apiVersion: 'serving.knative.dev/v1beta1',
    kind: 'DomainMapping',
    metadata: { name, namespace: ns },
    spec: {
      ref: { kind: ref.kind ?? 'Service', name: ref.name, namespace: ref.namespace ?? ns, apiVersion: ref.apiVersion ?? 'serving.knative.dev/v1' },
      ...(ref.tls ? { tls: { secretName: ref.tls } } : {}),
    },
    ...(status ? { status } : {}),
  };
}

/** A Knative Service (or Route) whose status carries `url` as its address. */
function addressable(kind: 'Service' | 'Route', name: string, url?: string): Obj {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind,
    metadata: { name, namespace: 'default' },
    spec: kind === 'Service' ? { template: { spec: { containers: [{ image: 'ko://app' }] } } } : { traffic: [] },
    ...(url ? { status: { address: { url } } } : {}),
  };
}

function claim(name: string, namespace: string): Obj {
  return { apiVersion: 'networking.internal.knative.dev/v1alpha1', kind: 'ClusterDomainClaim', metadata: { name, namespace: '' }, spec: { namespace } };
}

function status(name: string, conditions: Condition[]): Obj['status'] {
  const url = `http://${name}`;
  return { url, address: { url }, conditions, observedGeneration: 1 };
}

function ready(name: string): Obj['status'] {
  return status(name, [
    TLS_NOT_ENABLED,
    cond('DomainClaimed', 'True'),
    cond('IngressReady', 'True'),
    cond('Ready', 'True'),
    cond('ReferenceResolved', 'True'),
  ]);
}

/** Ready False for a ref that did not resolve, after the claim succeeded. */
function unresolved(name: string, message: string): Obj['status'] {
  return status(name, [
    TLS_NOT_ENABLED,
    cond('DomainClaimed', 'True'),
    INGRESS_NOT_CONFIGURED,
    cond('Ready', 'False', 'ResolveFailed', message),
    cond('ReferenceResolved', 'False', 'ResolveFailed', message),
  ]);
}

function notOwned(name: string): Obj['status'] {
  return status(name, [
    cond('CertificateProvisioned', 'Unknown'),
    cond('DomainClaimed', 'False', 'DomainAlreadyClaimed', NOT_OWNED),
    INGRESS_NOT_CONFIGURED,
    cond('Ready', 'False', 'DomainAlreadyClaimed', NOT_OWNED),
    cond('ReferenceResolved', 'Unknown'),
  ]);
}

const TARGET = addressable('Service', 'target', 'http://target.default.svc.cluster.local');
const AUTOCREATE = { autocreateClusterDomainClaims: true };

interface DMRow extends Row {
  /** What the gateway maps afterwards: DomainMapping key → [host, target host]. */
  wantMappings?: Record<string, [string, string]>;
  /** The TLS Secrets mapped hosts present: DomainMapping key → Secret. */
  wantTLS?: Record<string, { namespace: string; secretName: string }>;
}

runTable<DMRow>('domainmapping', [
  {
    name: 'key not found',
    key: 'foo/not-found.example.com',
    settings: AUTOCREATE,
  },
  {
    name: 'first reconcile: the claim is created, the domain maps to the target\'s cluster-local host',
    objects: [TARGET, dm('default', 'first-reconcile.com', { name: 'target' })],
    key: 'default/first-reconcile.com',
    settings: AUTOCREATE,
    wantCreates: [{ kind: 'ClusterDomainClaim', metadata: { name: 'first-reconcile.com', namespace: undefined }, spec: { namespace: 'default' } }],
    wantStatus: ready('first-reconcile.com'),
    wantMappings: { 'default/first-reconcile.com': ['first-reconcile.com', 'target.default.svc.cluster.local'] },
  },
  {
    name: 'first reconcile, a Route as the target',
    objects: [addressable('Route', 'rt', 'http://rt.default.svc.cluster.local'), dm('default', 'route.example.org', { name: 'rt', kind: 'Route' })],
    key: 'default/route.example.org',
    settings: AUTOCREATE,
    wantCreates: [{ kind: 'ClusterDomainClaim', metadata: { name: 'route.example.org' } }],
    wantStatus: ready('route.example.org'),
    wantMappings: { 'default/route.example.org': ['route.example.org', 'rt.default.svc.cluster.local'] },
  },
  {
    name: 'first reconcile, ref does not exist',
    objects: [dm('default', 'first-reconcile.com', { name: 'target' })],
    key: 'default/first-reconcile.com',
    settings: AUTOCREATE,
    wantCreates: [{ kind: 'ClusterDomainClaim', metadata: { name: 'first-reconcile.com' } }],
    wantStatus: unresolved('first-reconcile.com', 'failed to get object default/target: services.serving.knative.dev "target" not found'),
    wantEvents: ['Warning InternalError resolving reference: failed to get object default/target: services.serving.knative.dev "target" not found'],
  },
  {
    name: 'first reconcile, ref has no address yet',
    objects: [addressable('Service', 'target'), dm('default', 'first-reconcile.com', { name: 'target' })],
    key: 'default/first-reconcile.com',
    settings: AUTOCREATE,
    wantCreates: [{ kind: 'ClusterDomainClaim', metadata: { name: 'first-reconcile.com' } }],
    wantStatus: unresolved('first-reconcile.com', 'address not set for Kind = Service, Namespace = default, Name = target, APIVersion = serving.knative.dev/v1, Group = , Address = '),
    wantEvents: ['Warning InternalError resolving reference: address not set for Kind = Service, Namespace = default, Name = target, APIVersion = serving.knative.dev/v1, Group = , Address = '],
  },
  {
    name: 'first reconcile, ref has a path',
    objects: [addressable('Service', 'target', 'http://the-target-svc.svc.cluster.local/path'), dm('default', 'first-reconcile.com', { name: 'target' })],
    key: 'default/first-reconcile.com',
    settings: AUTOCREATE,
    wantCreates: [{ kind: 'ClusterDomainClaim', metadata: { name: 'first-reconcile.com' } }],
    wantStatus: unresolved('first-reconcile.com', 'resolved URI "http://the-target-svc.svc.cluster.local/path" contains a path'),
    wantEvents: ['Warning InternalError resolved URI "http://the-target-svc.svc.cluster.local/path" contains a path'],
  },
  {
    name: 'first reconcile, ref doesn\'t end in cluster suffix',
    objects: [addressable('Service', 'target', 'http://notasvc.cluster.local'), dm('default', 'first-reconcile.com', { name: 'target' })],
    key: 'default/first-reconcile.com',
    settings: AUTOCREATE,
    wantCreates: [{ kind: 'ClusterDomainClaim', metadata: { name: 'first-reconcile.com' } }],
    wantStatus: unresolved('first-reconcile.com', 'resolved URI "http://notasvc.cluster.local" must be of the form {name}.{namespace}.svc.cluster.local'),
    wantEvents: ['Warning InternalError resolved URI "http://notasvc.cluster.local" must be of the form {name}.{namespace}.svc.cluster.local'],
  },
  {
    name: 'first reconcile, resolved URL in wrong namespace',
    objects: [addressable('Service', 'target', 'http://name.anothernamespace.svc.cluster.local'), dm('default', 'first-reconcile.com', { name: 'target' })],
    key: 'default/first-reconcile.com',
    settings: AUTOCREATE,
    wantCreates: [{ kind: 'ClusterDomainClaim', metadata: { name: 'first-reconcile.com' } }],
    wantStatus: unresolved('first-reconcile.com', 'resolved URI "http://name.anothernamespace.svc.cluster.local" must be in same namespace as DomainMapping'),
    wantEvents: ['Warning InternalError resolved URI "http://name.anothernamespace.svc.cluster.local" must be in same namespace as DomainMapping'],
  },
  {
    name: 'a kind knit does not serve',
    objects: [dm('default', 'first-reconcile.com', { name: 'x', kind: 'EventType', apiVersion: 'eventing.knative.dev/v1beta3' })],
    key: 'default/first-reconcile.com',
    settings: AUTOCREATE,
    wantCreates: [{ kind: 'ClusterDomainClaim', metadata: { name: 'first-reconcile.com' } }],
    wantStatus: unresolved('first-reconcile.com', 'failed to get lister for eventing.knative.dev/v1beta3, Resource=eventtypes: knit does not serve EventType in eventing.knative.dev/v1beta3'),
    wantEvents: ['Warning InternalError resolving reference: failed to get lister for eventing.knative.dev/v1beta3, Resource=eventtypes: knit does not serve EventType in eventing.knative.dev/v1beta3'],
  },
  {
    name: 'first reconcile, pre-owned domain claim',
    objects: [TARGET, dm('default', 'first-reconcile.com', { name: 'target' }), claim('first-reconcile.com', 'default')],
    key: 'default/first-reconcile.com',
    settings: AUTOCREATE,
    wantStatus: ready('first-reconcile.com'),
    wantMappings: { 'default/first-reconcile.com': ['first-reconcile.com', 'target.default.svc.cluster.local'] },
  },
  {
    name: 'first reconcile, non-owned domainclaim',
    objects: [TARGET, dm('default', 'first-reconcile.com', { name: 'target' }), claim('first-reconcile.com', 'wrong-namespace')],
    key: 'default/first-reconcile.com',
    settings: AUTOCREATE,
    wantStatus: notOwned('first-reconcile.com'),
    wantEvents: ['Warning InternalError namespace "default" does not own ClusterDomainClaim for "first-reconcile.com"'],
    wantMappings: {},
  },
  {
    name: 'reconcile changed ref: the mapping follows the new target',
    objects: [
      addressable('Service', 'changed', 'http://changed.default.svc.cluster.local'),
      dm('default', 'ingress-exists.org', { name: 'changed' }, ready('ingress-exists.org')),
      claim('ingress-exists.org', 'default'),
    ],
    key: 'default/ingress-exists.org',
    settings: AUTOCREATE,
    wantMappings: { 'default/ingress-exists.org': ['ingress-exists.org', 'changed.default.svc.cluster.local'] },
  },
  {
    name: 'a ready mapping whose target is gone: ReferenceResolved False',
    objects: [dm('default', 'gone.example.org', { name: 'gone' }, ready('gone.example.org')), claim('gone.example.org', 'default')],
    key: 'default/gone.example.org',
    settings: AUTOCREATE,
    wantStatus: status('gone.example.org', [
      TLS_NOT_ENABLED,
      cond('DomainClaimed', 'True'),
      cond('IngressReady', 'True'),
      cond('Ready', 'False', 'ResolveFailed', 'failed to get object default/gone: services.serving.knative.dev "gone" not found'),
      cond('ReferenceResolved', 'False', 'ResolveFailed', 'failed to get object default/gone: services.serving.knative.dev "gone" not found'),
    ]),
    wantEvents: ['Warning InternalError resolving reference: failed to get object default/gone: services.serving.knative.dev "gone" not found'],
    wantMappings: {},
  },
  {
    name: 'finalize cleans up claim',
    objects: [claim('cleanup.on.aisle-three', 'default')],
    key: 'default/cleanup.on.aisle-three',
    settings: AUTOCREATE,
    wantDeletes: ['ClusterDomainClaim/cleanup.on.aisle-three'],
  },
  {
    name: 'finalize does not clean up unowned claim',
    objects: [claim('cleanup.on.aisle-three', 'another-namespace')],
    key: 'default/cleanup.on.aisle-three',
    settings: AUTOCREATE,
  },
  {
    name: 'finalize claim already gone or never claimed',
    key: 'default/cleanup.on.aisle-three',
    settings: AUTOCREATE,
  },
  {
    name: 'TLS secret provided: CertificateProvisioned CertificateExternallyProvided, https URL, the host presents the Secret',
    objects: [TARGET, dm('default', 'secure.example.org', { name: 'target', tls: 'secure-cert' }), claim('secure.example.org', 'default')],
    key: 'default/secure.example.org',
    settings: { httpsGateway: true },
    wantStatus: {
      url: 'https://secure.example.org',
      address: { url: 'https://secure.example.org' },
      observedGeneration: 1,
      conditions: [
        cond('CertificateProvisioned', 'True', 'CertificateExternallyProvided', 'TLS certificate was provided externally'),
        cond('DomainClaimed', 'True'),
        cond('IngressReady', 'True'),
        cond('Ready', 'True'),
        cond('ReferenceResolved', 'True'),
      ],
    },
    wantMappings: { 'default/secure.example.org': ['secure.example.org', 'target.default.svc.cluster.local'] },
    wantTLS: { 'default/secure.example.org': { namespace: 'default', secretName: 'secure-cert' } },
  },
  {
    name: 'TLS secret without the HTTPS listener: CertificateProvisionFailed, plain HTTP only',
    objects: [TARGET, dm('default', 'secure.example.org', { name: 'target', tls: 'secure-cert' }), claim('secure.example.org', 'default')],
    key: 'default/secure.example.org',
    wantStatus: status('secure.example.org', [
      cond('CertificateProvisioned', 'False', 'CertificateProvisionFailed', 'Certificate secure-cert failed to be provisioned.'),
      cond('DomainClaimed', 'True'),
      cond('IngressReady', 'True'),
      cond('Ready', 'False', 'CertificateProvisionFailed', 'Certificate secure-cert failed to be provisioned.'),
      cond('ReferenceResolved', 'True'),
    ]),
    wantMappings: { 'default/secure.example.org': ['secure.example.org', 'target.default.svc.cluster.local'] },
    wantTLS: {},
  },
  // TestReconcileAutocreateClaimsDisabled
  {
    name: 'autocreate disabled: first reconcile, no existing claim',
    objects: [TARGET, dm('default', 'first-reconcile.com', { name: 'target' })],
    key: 'default/first-reconcile.com',
    wantStatus: notOwned('first-reconcile.com'),
    wantEvents: ['Warning InternalError no ClusterDomainClaim found for domain "first-reconcile.com" (and autocreate-cluster-domain-claims property is not true)'],
    wantMappings: {},
  },
  {
    name: 'autocreate disabled: first reconcile, claim exists and is owned',
    objects: [TARGET, dm('default', 'first-reconcile.com', { name: 'target' }), claim('first-reconcile.com', 'default')],
    key: 'default/first-reconcile.com',
    wantStatus: ready('first-reconcile.com'),
    wantMappings: { 'default/first-reconcile.com': ['first-reconcile.com', 'target.default.svc.cluster.local'] },
  },
  {
    name: 'autocreate disabled: first reconcile, claim exists but isn\'t owned',
    objects: [dm('default', 'first-reconcile.com', { name: 'target' }), claim('first-reconcile.com', 'wrong-namespace')],
    key: 'default/first-reconcile.com',
    wantStatus: notOwned('first-reconcile.com'),
    wantEvents: ['Warning InternalError namespace "default" does not own ClusterDomainClaim for "first-reconcile.com"'],
  },
  {
    name: 'autocreate disabled: finalize does not clean up claim, even if owned by namespace',
    objects: [claim('cleanup.on.aisle-three', 'default')],
    key: 'default/cleanup.on.aisle-three',
  },
], ({ ctx }, row) => reconcileKey(ctx, domainMappingReconciler, row.key), {
  check: ({ table }, row) => {
    if (row.wantMappings) assert.deepEqual(Object.fromEntries(table.mappings), row.wantMappings, 'gateway mappings');
    if (row.wantTLS) assert.deepEqual(Object.fromEntries(table.mappedTLS), row.wantTLS, 'TLS Secrets');
  },
});
