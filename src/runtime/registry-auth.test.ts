// imagePullSecrets as registry credentials: the auth document from dockerconfigjson/dockercfg Secrets, and podman
// reading it when it pulls (a document it cannot parse is podman's error, so the file did reach it).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { podmanSuite } from '../../test/podman-suite.ts';
import { PodmanRuntime, withAuthFile } from './podman.ts';
import { registryAuthFile } from './registry-auth.ts';

const b64 = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64');
const reg = { auth: b64('u:p') };

test('registryAuthFile: dockerconfigjson and dockercfg merge, the first secret naming a registry wins', () => {
  const json = { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64({ auths: { 'r.example': reg, 'q.example': { auth: b64('a:b') } } }) } };
  const cfg = { type: 'kubernetes.io/dockercfg', data: { '.dockercfg': b64({ 'r.example': { auth: b64('other:x') }, 'legacy.example': reg }) } };
  assert.deepEqual(JSON.parse(registryAuthFile([json, cfg]) ?? ''), { auths: { 'r.example': reg, 'q.example': { auth: b64('a:b') }, 'legacy.example': reg } });
});

test('registryAuthFile: other types, broken data and no secrets give no auth file', () => {
  assert.equal(registryAuthFile([]), undefined);
  assert.equal(registryAuthFile([{ type: 'Opaque', data: { '.dockerconfigjson': b64({ auths: { r: reg } }) } }]), undefined);
  assert.equal(registryAuthFile([{ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': 'not base64 json' } }]), undefined);
});

test('withAuthFile: a 0600 file in a private directory while podman runs, removed afterwards even on failure', async () => {
  let seen = '';
  await assert.rejects(withAuthFile('{"auths":{}}', async (args) => {
    assert.equal(args[0], '--authfile');
    seen = args[1];
    assert.equal(fs.readFileSync(seen, 'utf8'), '{"auths":{}}');
    assert.equal(fs.statSync(seen).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(seen)).mode & 0o777, 0o700);
    throw new Error('pull failed');
  }), /pull failed/);
  assert.equal(fs.existsSync(path.dirname(seen)), false);
  assert.deepEqual(await withAuthFile(undefined, async (args) => args), []);
});

podmanSuite('podman pulls with the revision\'s credentials', () => {
  test('the auth document reaches podman pull', async () => {
    const before = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('knit-auth-')).length;
    await assert.rejects(new PodmanRuntime().resolveDigest('127.0.0.1:1/knit-kn-auth/none:1', '{not json'), (e: Error) => {
      assert.match(e.message, /^Unable to fetch image "127\.0\.0\.1:1\/knit-kn-auth\/none:1": .*auth\.json/s);
      return true;
    });
    assert.equal(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('knit-auth-')).length, before);
  });
});
