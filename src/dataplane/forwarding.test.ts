// Forwarding headers: trusted-proxy matching and the fields built for trusted and untrusted peers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrustedProxies, forwardingFields } from './forwarding.ts';

test('trusted proxies: addresses and CIDR ranges of both families, IPv4-mapped peers, none by default', () => {
  const t = TrustedProxies.parse('10.0.0.0/8, 192.168.1.7 ,fd00::/8');
  assert.equal(t.trusts('10.9.8.7'), true);
  assert.equal(t.trusts('::ffff:10.9.8.7'), true);
  assert.equal(t.trusts('192.168.1.7'), true);
  assert.equal(t.trusts('192.168.1.8'), false);
  assert.equal(t.trusts('fd12::1'), true);
  assert.equal(t.trusts('127.0.0.1'), false);
  assert.equal(t.trusts(undefined), false);
  assert.equal(TrustedProxies.parse(undefined).trusts('127.0.0.1'), false);
  assert.throws(() => TrustedProxies.parse('10.0.0.0/33'), /bad prefix length "33"/);
  assert.throws(() => TrustedProxies.parse('localhost'), /want an IP address or a CIDR range/);
});

test('untrusted peers: every field comes from the connection', () => {
  assert.deepEqual(forwardingFields('::1', 'h.example:8080', 'http', undefined), {
    'x-forwarded-for': '::1',
    'x-forwarded-proto': 'http',
    'x-forwarded-host': 'h.example:8080',
    forwarded: 'for="[::1]";host="h.example:8080";proto=http',
  });
});

test('trusted peers: their hops first, knit’s own element last and always from the connection', () => {
  const f = forwardingFields('10.0.0.2', 'h', 'http', { xff: '1.2.3.4', xfp: 'https', xfh: 'orig.example', forwarded: undefined });
  assert.deepEqual(f, {
    'x-forwarded-for': '1.2.3.4, 10.0.0.2',
    'x-forwarded-proto': 'https',
    'x-forwarded-host': 'orig.example',
    forwarded: 'for=1.2.3.4;host=orig.example;proto=https, for=10.0.0.2;host=h;proto=http',
  });
  const g = forwardingFields('10.0.0.2', 'h', 'http', { forwarded: 'for=1.2.3.4;proto=https;host="a b"' });
  assert.equal(g.forwarded, 'for=1.2.3.4;proto=https;host="a b", for=10.0.0.2;host=h;proto=http');
  assert.equal(g['x-forwarded-proto'], 'http');
});
