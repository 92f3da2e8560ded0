// Unit tests of DomainMapping admission: Knative's name, ref and tls rules and their field-error texts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultServingConfig } from './config.ts';
import { defaultDomainMapping } from './domainmapping-defaults.ts';
import type { DomainMapping } from './domainmapping-lifecycle.ts';
import { fqdnError, validateDomainMapping } from './domainmapping-validation.ts';

const config = defaultServingConfig();
const https = { ...config, network: { ...config.network, gatewayHttps: true } };

function dm(name: string, spec: unknown, namespace = 'default'): DomainMapping {
  return { apiVersion: 'serving.knative.dev/v1beta1', kind: 'DomainMapping', metadata: { name, namespace }, spec } as DomainMapping;
}

const REF = { kind: 'Service', name: 'hello', apiVersion: 'serving.knative.dev/v1', namespace: 'default' };

test('IsFullyQualifiedDomainName as apimachinery words it', () => {
  assert.equal(fqdnError('api.example.org'), null);
  assert.equal(fqdnError('api.example.org.'), null);
  assert.equal(fqdnError('foo'), 'name: Invalid value: "foo": should be a domain with at least two segments separated by dots');
  assert.equal(fqdnError(''), 'name: Required value');
  assert.match(fqdnError('a..b')!, /^name: Invalid value: "a\.\.b": a lowercase RFC 1123 subdomain must consist of/);
  assert.match(fqdnError(`${'a'.repeat(64)}.example.org`)!, /^name: Invalid value: "a{64}": must be no more than 63 characters$/);
});

const cases: [string, DomainMapping, typeof config, string | null][] = [
  ['a valid mapping', dm('api.example.org', { ref: REF }), config, null],
  ['a name that is no domain', dm('foo', { ref: REF }), config, 'invalid name "foo": name: Invalid value: "foo": should be a domain with at least two segments separated by dots: metadata.name'],
  ['a cluster-local name', dm('x.svc.cluster.local', { ref: REF }), config, 'invalid name "x.svc.cluster.local": must not be a subdomain of cluster local domain "cluster.local": metadata.name'],
  ['an empty ref', dm('api.example.org', { ref: {} }), config, 'missing field(s): spec.ref.apiVersion, spec.ref.kind, spec.ref.name'],
  ['a group', dm('api.example.org', { ref: { ...REF, group: 'serving.knative.dev' } }), config, 'must not set the field(s): spec.ref.group'],
  ['another namespace', dm('api.example.org', { ref: { ...REF, namespace: 'other' } }), config, 'mismatched namespaces: spec.ref.namespace\nparent namespace: "default" does not match ref: "other"'],
  ['tls without --https', dm('api.example.org', { ref: REF, tls: { secretName: 'cert' } }), config, 'must not set the field(s): spec.tls\nknit serve runs without --https, so the gateway cannot serve this mapping over TLS'],
  ['tls with --https', dm('api.example.org', { ref: REF, tls: { secretName: 'cert' } }), https, null],
  ['tls without a secret name', dm('api.example.org', { ref: REF, tls: {} }), https, 'missing field(s): spec.tls.secretName'],
  ['an unknown spec field', dm('api.example.org', { ref: REF, bogus: 1 }), config, 'must not set the field(s): spec.bogus'],
];

for (const [what, obj, cfg, want] of cases) {
  test(`DomainMapping validation: ${what}`, () => {
    const err = validateDomainMapping(obj, { config: cfg, op: 'create' });
    assert.equal(err?.error ?? null, want);
  });
}

test('defaulting fills spec.ref.namespace from the mapping and records the creator', () => {
  const obj = dm('api.example.org', { ref: { kind: 'Service', name: 'hello', apiVersion: 'serving.knative.dev/v1' } }, 'team');
  defaultDomainMapping(obj, { config, user: 'knit-admin', op: 'create' });
  assert.equal(obj.spec.ref.namespace, 'team');
  assert.deepEqual(obj.metadata.annotations, { 'serving.knative.dev/creator': 'knit-admin', 'serving.knative.dev/lastModifier': 'knit-admin' });
});
