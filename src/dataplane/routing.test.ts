// Routing table: hosts per listener, atomic replacement per route, weighted picks.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostEntry, RoutingTable, absoluteTarget, hostOnly, validHost } from './routing.ts';

test('hostOnly strips the port and lower-cases', () => {
  assert.equal(hostOnly('H1.Default.Example.com:8080'), 'h1.default.example.com');
  assert.equal(hostOnly('[::1]:80'), '[::1]');
  assert.equal(hostOnly(undefined), '');
});

test('external rules are served on both listeners, cluster-local rules only locally', () => {
  const t = new RoutingTable();
  t.setRoute('default/h1', [
    { host: 'h1.default.example.com', visibility: 'external', targets: [{ revision: 'default/h1-00001', percent: 100 }] },
    { host: 'h1.default', visibility: 'cluster-local', targets: [{ revision: 'default/h1-00001', percent: 100 }] },
  ]);
  assert.equal(t.lookup('external', 'h1.default.example.com')?.pick(), 'default/h1-00001');
  assert.equal(t.lookup('cluster-local', 'h1.default.example.com')?.pick(), 'default/h1-00001');
  assert.equal(t.lookup('external', 'h1.default'), undefined);
  t.setRoute('default/h1', [{ host: 'h1.default', visibility: 'cluster-local', targets: [{ revision: 'default/h1-00002', percent: 100 }] }]);
  assert.equal(t.lookup('external', 'h1.default.example.com'), undefined, 'a route replaces all of its hosts');
  t.deleteRoute('default/h1');
  assert.equal(t.lookup('cluster-local', 'h1.default'), undefined);
});

test('weighted pick follows percents and never picks a 0% target', () => {
  const e = new HostEntry('r', [
    { revision: 'a', percent: 20 },
    { revision: 'b', percent: 80 },
    { revision: 'c', percent: 0 },
  ]);
  const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
  for (let i = 0; i < 10_000; i++) counts[e.pick()!]++;
  assert.equal(counts.c, 0);
  assert.ok(counts.a > 1500 && counts.a < 2500, `a got ${counts.a}`);
});

test('tag-header routing: the default host carries per-tag entries only when enabled', () => {
  const t = new RoutingTable();
  t.setRoute('default/s', [
    { host: 's.default.example.com', visibility: 'external', targets: [{ revision: 'default/s-2', percent: 100 }], tagTargets: { old: [{ revision: 'default/s-1', percent: 100 }] } },
    { host: 'p.default.example.com', visibility: 'external', targets: [{ revision: 'default/p-1', percent: 100 }] },
  ]);
  const e = t.lookup('external', 's.default.example.com')!;
  assert.equal(e.byTag?.get('old')?.pick(), 'default/s-1');
  assert.equal(e.pick(), 'default/s-2');
  assert.equal(t.lookup('external', 'p.default.example.com')?.byTag, undefined);
});

test('Host values: reg-names and IP literals with a port are valid, spaces and userinfo are not', () => {
  for (const ok of ['a.b', 'a.b:8080', '[::1]:80', '127.0.0.1', '']) assert.equal(validHost(ok), true, ok);
  for (const bad of ['a b', 'u@a', 'a:b', 'a/b', '[::1', 'a\tb']) assert.equal(validHost(bad), false, bad);
});

test('absolute-form targets give their authority and an origin-form path (RFC 9112 §3.2.2)', () => {
  assert.deepEqual(absoluteTarget('http://Other.default.example.com/x?y=1'), { authority: 'Other.default.example.com', path: '/x?y=1' });
  assert.deepEqual(absoluteTarget('HTTP://h:8080'), { authority: 'h:8080', path: '/' });
  assert.deepEqual(absoluteTarget('http://h?q'), { authority: 'h', path: '/?q' });
  assert.equal(absoluteTarget('/x'), undefined);
  assert.equal(absoluteTarget('*'), undefined);
  for (const bad of ['ftp://h/x', 'http://u@h/x', 'http:///x', 'http://a b/', 'h:80', 'http://:80/']) assert.equal(absoluteTarget(bad), 'invalid', bad);
});

test('a DomainMapping host answers with its target host\'s entry on both listeners, following the route', () => {
  const t = new RoutingTable();
  const local = (rev: string) => [{ host: 'hello.default.svc.cluster.local', visibility: 'cluster-local' as const, targets: [{ revision: rev, percent: 100 }] }];
  t.setRoute('default/hello', local('default/hello-00001'));
  t.setDomainMapping('default/api.example.org', 'api.example.org', 'hello.default.svc.cluster.local', { namespace: 'default', secretName: 'cert' });
  assert.equal(t.lookup('external', 'api.example.org')?.pick(), 'default/hello-00001');
  assert.equal(t.lookup('cluster-local', 'api.example.org')?.pick(), 'default/hello-00001');
  assert.deepEqual(t.tlsFor('api.example.org'), { namespace: 'default', secretName: 'cert' });
  t.setRoute('default/hello', local('default/hello-00002'));
  assert.equal(t.lookup('external', 'api.example.org')?.pick(), 'default/hello-00002');
  // Another owner's delete does not remove the mapping; the owner's does.
  t.deleteDomainMapping('other/api.example.org');
  assert.ok(t.lookup('external', 'api.example.org'));
  t.deleteDomainMapping('default/api.example.org');
  assert.equal(t.lookup('external', 'api.example.org'), undefined);
  assert.equal(t.tlsFor('api.example.org'), undefined);
  // A mapping to a host nothing routes answers nothing.
  t.setDomainMapping('default/x.example.org', 'x.example.org', 'nope.default.svc.cluster.local');
  assert.equal(t.lookup('external', 'x.example.org'), undefined);
});
