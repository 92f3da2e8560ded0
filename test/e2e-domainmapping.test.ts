// DomainMapping end to end: `knit domain` against a real `knit serve`, the gateway answering for the mapped host with
// the target's traffic, a second namespace's claim refused with DomainAlreadyClaimed, and kubectl's view of both kinds.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, KnitServer } from './harness.ts';

let knit: KnitServer;

before(async () => {
  knit = await new KnitServer([], undefined, 'network:\n  autocreate-cluster-domain-claims: "true"\n').start();
  const ns = await knit.api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
  assert.equal(ns.status, 201, JSON.stringify(ns.json));
  for (const [name, namespace, target] of [['hello', 'default', 'default'], ['hello', 'other', 'other']]) {
    const r = await knit.knit(['service', 'create', name, '-n', namespace, '--image', './examples/helloworld', '--env', `TARGET=${target}`]);
    assert.equal(r.code, 0, r.stderr);
  }
});

after(async () => {
  await knit?.cleanup();
});

interface DM {
  metadata: { name: string; namespace: string };
  spec: { ref: Record<string, string> };
  status?: { url?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

async function getDM(ns: string, name: string): Promise<DM | undefined> {
  const r = await knit.api('GET', `/apis/serving.knative.dev/v1beta1/namespaces/${ns}/domainmappings/${name}`);
  return r.status === 200 ? (r.json as DM) : undefined;
}

function condition(dm: DM | undefined, type: string): { status: string; reason?: string; message?: string } | undefined {
  return dm?.status?.conditions?.find((c) => c.type === type);
}

test('knit domain create --ref ksvc:hello: the mapped host answers from hello, list and describe show it, kubectl gets both kinds', async () => {
  const r = await knit.knit(['domain', 'create', 'api.example.org', '--ref', 'ksvc:hello']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "Domain mapping 'api.example.org' created in namespace 'default'.\n");
  const dm = await eventually('the mapping ready', async () => {
    const d = await getDM('default', 'api.example.org');
    return condition(d, 'Ready')?.status === 'True' ? d : undefined;
  }, 20_000);
  assert.deepEqual(dm.spec.ref, { kind: 'Service', apiVersion: 'serving.knative.dev/v1', name: 'hello', namespace: 'default' });
  assert.equal(dm.status?.url, 'http://api.example.org');
  const cert = condition(dm, 'CertificateProvisioned');
  assert.deepEqual([cert?.status, cert?.reason, cert?.message], ['True', 'TLSNotEnabled', 'external-domain-tls is not enabled']);
  const res = await eventually('the mapped host answers', async () => {
    const got = await knit.request('api.example.org:80');
    return got.status === 200 ? got : undefined;
  }, 20_000);
  assert.equal(res.body, 'Hello default!\n');

  const list = await knit.knit(['domain', 'list']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^NAME\s+URL\s+READY\s+KSVC\s*\napi\.example\.org\s+http:\/\/api\.example\.org\s+True\s+hello\s*\n$/);
  const desc = await knit.knit(['domain', 'describe', 'api.example.org']);
  assert.equal(desc.code, 0, desc.stderr);
  assert.match(desc.stdout, /^Name:\s+api\.example\.org\nNamespace:\s+default\n(.+\n)*?Age:\s+\S+\n\nURL:\s+http:\/\/api\.example\.org\n\nReference:\s*\n {2}APIVersion:\s+serving\.knative\.dev\/v1\n {2}Kind:\s+Service\n {2}Name:\s+hello\n\nConditions:\s*\n/);
  assert.match(desc.stdout, /\n {2}OK TYPE\s+AGE REASON\n(.+\n)*\s*\+\+ Ready\s+\S+\s*\n/);
  const url = await knit.knit(['domain', 'describe', 'api.example.org', '-o', 'url']);
  assert.equal(url.stdout, 'http://api.example.org\n');

  const kget = await knit.kubectl(['get', 'domainmappings']);
  assert.equal(kget.code, 0, kget.stderr);
  assert.match(kget.stdout, /^NAME\s+URL\s+READY\s+REASON\s*\napi\.example\.org\s+http:\/\/api\.example\.org\s+True\s*\n$/);
  const described = await knit.kubectl(['describe', 'dm', 'api.example.org']);
  assert.equal(described.code, 0, described.stderr);
  assert.match(described.stdout, /^Name:\s+api\.example\.org\nNamespace:\s+default\n/);
  assert.match(described.stdout, /\nAPI Version:\s+serving\.knative\.dev\/v1beta1\nKind:\s+DomainMapping\n/);
  const cdc = await knit.kubectl(['get', 'clusterdomainclaims', '-o', 'jsonpath={.items[*].metadata.name}={.items[*].spec.namespace}']);
  assert.equal(cdc.code, 0, cdc.stderr);
  assert.equal(cdc.stdout, 'api.example.org=default');
});

test('the same domain from another namespace: DomainAlreadyClaimed; once the first mapping is deleted the claim moves', async () => {
  const r = await knit.knit(['domain', 'create', 'api.example.org', '--ref', 'hello', '-n', 'other']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "Domain mapping 'api.example.org' created in namespace 'other'.\n");
  const dm = await eventually('the second mapping refused', async () => {
    const d = await getDM('other', 'api.example.org');
    return condition(d, 'DomainClaimed')?.status === 'False' ? d : undefined;
  });
  assert.deepEqual(
    [condition(dm, 'Ready')?.status, condition(dm, 'Ready')?.reason, condition(dm, 'DomainClaimed')?.reason, condition(dm, 'DomainClaimed')?.message],
    ['False', 'DomainAlreadyClaimed', 'DomainAlreadyClaimed', 'The domain name is already in use by another DomainMapping'],
  );
  const list = await knit.knit(['domain', 'list', '-A']);
  assert.match(list.stdout, /^NAMESPACE\s+NAME\s+URL\s+READY\s+KSVC\s*\ndefault\s+api\.example\.org\s+\S+\s+True\s+hello\s*\nother\s+api\.example\.org\s+\S+\s+False\s+hello\s*\n$/);
  assert.equal((await knit.request('api.example.org')).body, 'Hello default!\n');

  const del = await knit.knit(['domain', 'delete', 'api.example.org']);
  assert.equal(del.code, 0, del.stderr);
  assert.equal(del.stdout, "Domain mapping 'api.example.org' deleted in namespace 'default'.\n");
  await eventually('the other namespace holds the claim', async () => condition(await getDM('other', 'api.example.org'), 'Ready')?.status === 'True', 20_000);
  const moved = await eventually('the host answers from the other namespace', async () => {
    const got = await knit.request('api.example.org');
    return got.body === 'Hello other!\n' ? got : undefined;
  });
  assert.equal(moved.status, 200);
  const cdc = await knit.api('GET', '/apis/networking.internal.knative.dev/v1alpha1/clusterdomainclaims/api.example.org');
  assert.equal((cdc.json as { spec: { namespace: string } }).spec.namespace, 'other');
});

test('knit domain update moves the mapping to a Route; a deleted mapping stops answering', async () => {
  const up = await knit.knit(['domain', 'update', 'api.example.org', '--ref', 'kroute:hello', '-n', 'other']);
  assert.equal(up.code, 0, up.stderr);
  assert.equal(up.stdout, "Domain mapping 'api.example.org' updated in namespace 'other'.\n");
  const dm = await getDM('other', 'api.example.org');
  assert.deepEqual(dm?.spec.ref, { kind: 'Route', apiVersion: 'serving.knative.dev/v1', name: 'hello', namespace: 'other' });
  await eventually('ready again at the new generation', async () => condition(await getDM('other', 'api.example.org'), 'Ready')?.status === 'True');
  assert.equal((await knit.request('api.example.org')).body, 'Hello other!\n');
  const del = await knit.knit(['domain', 'delete', 'api.example.org', '-n', 'other']);
  assert.equal(del.code, 0, del.stderr);
  await eventually('the host is no longer routed', async () => (await knit.request('api.example.org')).status === 404);
  await eventually('the claim is released', async () => (await knit.api('GET', '/apis/networking.internal.knative.dev/v1alpha1/clusterdomainclaims/api.example.org')).status === 404);
  const none = await knit.knit(['domain', 'list']);
  assert.equal(none.stdout, 'No domain mapping found.\n');
});

const refused: [string, string[], RegExp][] = [
  ['a name that is no domain', ['domain', 'create', 'foo', '--ref', 'hello'], /^Error: admission webhook "validation\.webhook\.serving\.knative\.dev" denied the request: validation failed: invalid name "foo": name: Invalid value: "foo": should be a domain with at least two segments separated by dots: metadata\.name\n/],
  ['a subdomain of the cluster-local domain', ['domain', 'create', 'a.svc.cluster.local', '--ref', 'hello'], /invalid name "a\.svc\.cluster\.local": must not be a subdomain of cluster local domain "cluster\.local": metadata\.name\n/],
  ['a missing --ref', ['domain', 'create', 'x.example.org'], /^Error: required flag\(s\) "ref" not set\n/],
  ['a missing service', ['domain', 'create', 'x.example.org', '--ref', 'nope'], /^Error: services\.serving\.knative\.dev "nope" not found\n/],
  ['an unknown ref prefix', ['domain', 'create', 'x.example.org', '--ref', 'foo:hello'], /^Error: unsupported sink prefix: 'foo'\n/],
  ['a TLS secret without knit serve --https', ['domain', 'create', 'x.example.org', '--ref', 'hello', '--tls', 'cert'], /must not set the field\(s\): spec\.tls\nknit serve runs without --https, so the gateway cannot serve this mapping over TLS\n/],
  ['a ref in another namespace', ['domain', 'create', 'x.example.org', '--ref', 'ksvc:hello:other'], /validation failed: mismatched namespaces: spec\.ref\.namespace\nparent namespace: "default" does not match ref: "other"\n/],
];

for (const [what, args, want] of refused) {
  test(`knit domain create refuses ${what}, and nothing is stored`, async () => {
    const r = await knit.knit(args);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, want);
    const list = (await knit.api('GET', '/apis/serving.knative.dev/v1beta1/domainmappings')).json as { items: DM[] };
    assert.ok(!list.items.some((d) => d.metadata.name === args[2]), JSON.stringify(list.items.map((d) => d.metadata.name)));
  });
}

test('malformed DomainMappings and ClusterDomainClaims get 4xx field errors, never a 500, and nothing is stored', async () => {
  const base = { apiVersion: 'serving.knative.dev/v1beta1', kind: 'DomainMapping' };
  const bodies: unknown[] = [
    { ...base, metadata: { name: 'bad1.example.org' }, spec: 'x' },
    { ...base, metadata: { name: 'bad2.example.org' }, spec: { ref: 'hello' } },
    { ...base, metadata: { name: 'bad3.example.org' }, spec: { ref: { name: 7, kind: [], apiVersion: {} } } },
    { ...base, metadata: { name: 'bad4.example.org' }, spec: { ref: { name: 'hello', kind: 'Service', apiVersion: 'serving.knative.dev/v1', group: 'serving.knative.dev' } } },
    { ...base, metadata: { name: 'bad5.example.org' }, spec: { ref: { name: 'hello', kind: 'Service', apiVersion: 'serving.knative.dev/v1' }, tls: 'cert' } },
    { ...base, metadata: { name: 'bad6.example.org' } },
    { ...base, metadata: { generateName: 'gen.example.org' }, spec: { ref: { name: 'hello', kind: 'Service', apiVersion: 'serving.knative.dev/v1' } } },
  ];
  for (const body of bodies) {
    const r = await knit.api('POST', '/apis/serving.knative.dev/v1beta1/namespaces/default/domainmappings', body);
    assert.ok(r.status === 400 || r.status === 422, `${JSON.stringify(body)}: ${r.status} ${JSON.stringify(r.json)}`);
  }
  const cdc = await knit.api('POST', '/apis/networking.internal.knative.dev/v1alpha1/clusterdomainclaims', { apiVersion: 'networking.internal.knative.dev/v1alpha1', kind: 'ClusterDomainClaim', metadata: { name: 'bad.example.org' }, spec: {} });
  assert.equal(cdc.status, 422, JSON.stringify(cdc.json));
  assert.match((cdc.json as { message: string }).message, /spec\.namespace: Required value/);
  const list = (await knit.api('GET', '/apis/serving.knative.dev/v1beta1/domainmappings')).json as { items: DM[] };
  assert.deepEqual(list.items.filter((d) => d.metadata.name.startsWith('bad') || d.metadata.name.startsWith('gen')), []);
});
