// End to end: `knit service export --for-cluster` builds a file:// service's image, pushes it to a loopback
// registry (Debian's docker-registry), and the exported YAML validates and runs again from the pulled image.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { EXAMPLES, KnitServer, eventually } from './harness.ts';
import { crdErrors } from './crd-schema.ts';
import { podmanSuite } from './podman-suite.ts';
import { TestImages } from './fixtures/podman-images.ts';
import { freePort } from '../src/runtime/process.ts';
import { runPodman } from '../src/runtime/podman.ts';
import type { Service } from '../src/api/types.ts';

const REGISTRY_BIN = '/usr/bin/docker-registry';
let registry: ChildProcess | undefined;
let registryDir = '';
let registryAddr = '';
let knit: KnitServer | undefined;
const pulled: string[] = [];
const images = new TestImages();
const NO_REGISTRY = fs.existsSync(REGISTRY_BIN) ? false : `${REGISTRY_BIN} missing: as root, apt-get install -y docker-registry (scripts/test-deps.sh does)`;

function getStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    http.get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', () => resolve(0));
  });
}

podmanSuite('knit service export --for-cluster', () => {
  before(async () => {
    if (!fs.existsSync(REGISTRY_BIN)) return;
    registryDir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-export-registry-'));
    const port = await freePort();
    registryAddr = `127.0.0.1:${port}`;
    const config = path.join(registryDir, 'config.yml');
    fs.writeFileSync(config, stringify({
      version: 0.1,
      log: { level: 'error' },
      storage: { filesystem: { rootdirectory: path.join(registryDir, 'storage') } },
      http: { addr: registryAddr },
    }));
    registry = spawn(REGISTRY_BIN, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    await eventually('the registry to answer /v2/', async () => (await getStatus(`http://${registryAddr}/v2/`)) === 200, 20_000);
    knit = await new KnitServer().start();
  });

  after(async () => {
    try {
      await knit?.cleanup();
    } finally {
      for (const ref of pulled) await runPodman('podman', ['rmi', '-f', ref]);
      await images.removeAll();
      if (registry && registry.exitCode === null) {
        const gone = new Promise((r) => registry!.once('exit', r));
        registry.kill('SIGTERM');
        await gone;
      }
      if (registryDir) fs.rmSync(registryDir, { recursive: true, force: true });
    }
  });

  test('a file:// service is built, pushed by digest, validates against the CRDs and answers again as an image service', { skip: NO_REGISTRY }, async () => {
    const k = knit!;
    const created = await k.knit(['service', 'create', 'export-hello', '--image', path.join(EXAMPLES, 'helloworld'), '--env', 'TARGET=exported', '--scale', '0..3']);
    assert.equal(created.code, 0, created.stderr);
    const original = await k.request('export-hello.default.example.com');
    assert.equal(original.body, 'Hello exported!\n');

    const r = await k.knit(['service', 'export', 'export-hello', '--for-cluster', '--registry', registryAddr]);
    assert.equal(r.code, 0, r.stderr);
    const repository = `${registryAddr}/default/export-hello`;
    pulled.push(`${repository}:export-hello-00001`);
    const svc = parse(r.stdout) as Service;
    assert.deepEqual(crdErrors(svc), []);
    const c = svc.spec.template.spec.containers[0];
    assert.match(c.image ?? '', new RegExp(`^${repository.replace(/[.]/g, '\\.')}@sha256:[0-9a-f]{64}$`));
    pulled.push(c.image!);
    // knit's and Knative's defaults are left to the cluster; what the user set stays.
    assert.deepEqual(c, { image: c.image, env: [{ name: 'TARGET', value: 'exported' }] });
    assert.equal(svc.spec.template.spec.timeoutSeconds, undefined);
    assert.equal(svc.spec.traffic, undefined);
    assert.equal(svc.metadata.namespace, undefined);
    assert.deepEqual(svc.spec.template.metadata?.annotations, {
      'autoscaling.knative.dev/max-scale': '3',
      'autoscaling.knative.dev/min-scale': '0',
      'client.knative.dev/user-image': `${repository}:export-hello-00001`,
    });
    assert.match(r.stderr, /Warning: spec\.template\.spec\.containers\[0\]\.image: file:\/\/\S+\/examples\/helloworld is now \S+@sha256:[0-9a-f]{64}, built for linux\//);

    // The registry has the image: pull it back (by digest) and run the exported YAML with knit as an image service.
    const pull = await runPodman('podman', ['pull', '-q', '--tls-verify=false', c.image!], 300_000);
    assert.equal(pull.code, 0, pull.stderr);
    svc.metadata.name = 'export-hello-oci';
    const file = path.join(k.dataDir, 'exported.yaml');
    fs.writeFileSync(file, stringify(svc));
    const again = await k.knit(['service', 'create', '-f', file]);
    assert.equal(again.code, 0, again.stderr + k.log);
    const res = await k.request('export-hello-oci.default.example.com');
    assert.equal(res.status, 200);
    assert.equal(res.body, original.body);
    const rev = (await k.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/revisions/export-hello-oci-00001')).json as { status: { containerStatuses: { imageDigest: string }[] } };
    assert.equal(rev.status.containerStatuses[0].imageDigest, c.image);
    assert.equal((await k.knit(['service', 'delete', 'export-hello-oci'])).code, 0);
  });

  test('--with-revisions --mode replay: each routed revision is pushed under its own tag, built once', { skip: NO_REGISTRY }, async () => {
    const k = knit!;
    assert.equal((await k.knit(['service', 'update', 'export-hello', '--env', 'TARGET=second'])).code, 0);
    const split = await k.knit(['service', 'update', 'export-hello', '--traffic', 'export-hello-00001=50', '--traffic', '@latest=50']);
    assert.equal(split.code, 0, split.stderr);
    const r = await k.knit(['service', 'export', 'export-hello', '--for-cluster', '--with-revisions', '--mode', 'replay', '--registry', registryAddr]);
    assert.equal(r.code, 0, r.stderr);
    const repository = `${registryAddr}/default/export-hello`;
    pulled.push(`${repository}:export-hello-00002`);
    assert.equal(r.stderr.match(/^Building /gm)?.length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`Pushing ${repository.replace(/[.]/g, '\\.')}:export-hello-00001\n[^]*Pushing ${repository.replace(/[.]/g, '\\.')}:export-hello-00002\n`));
    const list = parse(r.stdout) as { items: Service[] };
    assert.deepEqual(crdErrors(list), []);
    assert.deepEqual(list.items.map((i) => i.spec.template.spec.containers[0].env), [[{ name: 'TARGET', value: 'exported' }], [{ name: 'TARGET', value: 'second' }]]);
    const [a, b] = list.items.map((i) => i.spec.template.spec.containers[0].image);
    assert.equal(a, b, 'the directory holds the same files for both revisions, so one image');
  });

  test('a file:// directory with a Containerfile is built from it as is', { skip: NO_REGISTRY }, async () => {
    const k = knit!;
    const base = await images.buildNodeBase();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-export-app-'));
    try {
      fs.cpSync(path.join(EXAMPLES, 'helloworld'), dir, { recursive: true });
      fs.chmodSync(dir, 0o755); // the sandbox's user (nobody) reads it
      // The image says who it greets; under knit the directory runs as a process and TARGET is unset.
      fs.writeFileSync(path.join(dir, 'Containerfile'), `FROM ${base}\nCOPY server.js package.json /srv/\nWORKDIR /srv\nENV TARGET=containerfile\nCMD ["node", "server.js"]\n`);
      const created = await k.knit(['service', 'create', 'export-cf', '--image', dir]);
      assert.equal(created.code, 0, created.stderr);
      assert.equal((await k.request('export-cf.default.example.com')).body, 'Hello World!\n');
      const r = await k.knit(['service', 'export', 'export-cf', '--for-cluster', '--registry', registryAddr, '-o', 'json']);
      assert.equal(r.code, 0, r.stderr);
      pulled.push(`${registryAddr}/default/export-cf:export-cf-00001`);
      assert.match(r.stderr, new RegExp(`Building \\S+ from ${dir.replace(/[.]/g, '\\.')}/Containerfile`));
      const svc = JSON.parse(r.stdout) as Service;
      assert.deepEqual(crdErrors(svc), []);
      const image = svc.spec.template.spec.containers[0].image!;
      pulled.push(image);
      const pull = await runPodman('podman', ['pull', '-q', '--tls-verify=false', image], 300_000);
      assert.equal(pull.code, 0, pull.stderr);
      svc.metadata.name = 'export-cf-oci';
      const file = path.join(k.dataDir, 'exported-cf.json');
      fs.writeFileSync(file, JSON.stringify(svc));
      const again = await k.knit(['service', 'create', '-f', file]);
      assert.equal(again.code, 0, again.stderr + k.log);
      assert.equal((await k.request('export-cf-oci.default.example.com')).body, 'Hello containerfile!\n');
      assert.equal((await k.knit(['service', 'delete', 'export-cf-oci'])).code, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('refusals: --with-revisions needs --mode replay, -o must be yaml or json, --registry needs --for-cluster', async () => {
    const k = knit;
    if (!k) return;
    const a = await k.knit(['service', 'export', 'export-hello', '--for-cluster', '--with-revisions', '--registry', registryAddr]);
    assert.equal(a.code, 1);
    assert.match(a.stderr, /--for-cluster --with-revisions needs --mode replay/);
    const b = await k.knit(['service', 'export', 'export-hello', '--for-cluster', '-o', 'jsonpath={.kind}']);
    assert.match(b.stderr, /--for-cluster writes yaml or json/);
    const c = await k.knit(['service', 'export', 'export-hello', '-o', 'yaml', '--registry', registryAddr]);
    assert.match(c.stderr, /--registry applies only with --for-cluster/);
  });
});
