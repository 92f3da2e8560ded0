// knit's kubeconfig: what kubectl needs to reach knit, and a merge that keeps the user's other entries.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { defaultKubeconfigPath, kubeconfigYaml, mergeKubeconfig } from './kubeconfig.ts';

const input = { server: 'https://127.0.0.1:8081', caPem: '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n', token: 'secret-token' };

test('the kubeconfig names cluster knit (with the CA), user knit-admin (token) and context knit in namespace default', () => {
  const doc = parse(kubeconfigYaml(input));
  assert.equal(doc['current-context'], 'knit');
  assert.deepEqual(doc.contexts, [{ name: 'knit', context: { cluster: 'knit', user: 'knit-admin', namespace: 'default' } }]);
  assert.equal(doc.clusters[0].cluster.server, 'https://127.0.0.1:8081');
  assert.equal(Buffer.from(doc.clusters[0].cluster['certificate-authority-data'], 'base64').toString(), input.caPem);
  assert.deepEqual(doc.users, [{ name: 'knit-admin', user: { token: 'secret-token' } }]);
});

test('merging replaces knit entries, keeps the others, and switches the current context', () => {
  const existing = `apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster: {server: 'https://prod:6443'}
- name: knit
  cluster: {server: 'https://old:1'}
users:
- name: me
  user: {token: t}
contexts:
- name: prod
  context: {cluster: prod, user: me}
current-context: prod
`;
  const doc = parse(mergeKubeconfig(existing, input));
  assert.deepEqual(doc.clusters.map((c: { name: string }) => c.name), ['prod', 'knit']);
  assert.equal(doc.clusters[1].cluster.server, 'https://127.0.0.1:8081');
  assert.deepEqual(doc.users.map((c: { name: string }) => c.name), ['me', 'knit-admin']);
  assert.deepEqual(doc.contexts.map((c: { name: string }) => c.name), ['prod', 'knit']);
  assert.equal(doc['current-context'], 'knit');
  assert.deepEqual(parse(mergeKubeconfig('', input)), parse(mergeKubeconfig('{}', input)));
  assert.throws(() => mergeKubeconfig('- a\n- b\n', input), /not a YAML mapping/);
});

test('the default path is the first file of $KUBECONFIG, else ~/.kube/config', () => {
  assert.equal(defaultKubeconfigPath({ KUBECONFIG: '/a/one:/b/two', HOME: '/h' }), '/a/one');
  assert.equal(defaultKubeconfigPath({ HOME: '/h' }), '/h/.kube/config');
});
