// kn's extra containers, translated from knative/client pkg/commands/container/add_test.go, pkg/flags/podspec_test.go
// TestPodSpecResolveContainers and podspec_helper_test.go TestUpdateContainers: `knit container add`, `--containers FILE|-`.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { Container, Service } from '../../src/api/types.ts';
import { decodeContainers, updateContainers } from '../../src/cli/container.ts';
import { runCli, spawnCli } from '../cli-runner.ts';

const dir = mkdtempSync(join(tmpdir(), 'knit-containers-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const env = { ...process.env, KNIT_SERVER: 'https://127.0.0.1:1', KNIT_NOW: '2024-05-01T12:00:00Z' };
const knitIn = (args: string[]) => runCli(args, { env: { KNIT_SERVER: 'https://127.0.0.1:1', KNIT_NOW: '2024-05-01T12:00:00Z' }, cwd: dir });
const knitPiped = (args: string[], input = '') => spawnCli(args, { cwd: dir, env, input });

const RAW = `
containers:
- image: foo:bar
  name: foo
  env:
  - name: a
    value: b
  resources: {}
- image: bar:bar
  name: bar
  resources: {}`;

function service(file: string): Service {
  return parseYaml(readFileSync(join(dir, file), 'utf8')) as Service;
}

describe('knit container add (add_test.go)', () => {
  it('TestContainerAdd: prints a PodSpec with the named container', async () => {
    const r = await knitPiped(['container', 'add', 'foo', '--image', 'registry.foo:bar']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'containers:\n- image: registry.foo:bar\n  name: foo\n  resources: {}\n');
  });

  for (const flag of ['containers', 'extra-containers']) {
    it(`TestContainerAddWithContainers: --${flag} - reads containers from stdin`, async () => {
      const r = await knitPiped(['container', 'add', 'foo', '--image', 'registry.foo:bar', `--${flag}`, '-'], '\ncontainers:\n- image: bar:bar\n  name: bar\n  resources: {}');
      assert.equal(r.code, 0, r.stderr);
      const spec = parseYaml(r.stdout) as { containers: Container[] };
      assert.deepEqual(spec.containers.map((c) => [c.name, c.image]), [['foo', 'registry.foo:bar'], ['bar', 'bar:bar']]);
    });
  }

  it('chains through pipes: the piped PodSpec is the extra containers', async () => {
    const first = await knitPiped(['container', 'add', 'sidecar', '--image', 'docker.io/example/sidecar:first', '--env', 'A=b', '--port', '9000']);
    const second = await knitPiped(['container', 'add', 'second', '--image', 'docker.io/example/sidecar:second'], first.stdout);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, [
      'containers:',
      '- image: docker.io/example/sidecar:second',
      '  name: second',
      '  resources: {}',
      '- env:',
      '  - name: A',
      '    value: b',
      '  image: docker.io/example/sidecar:first',
      '  name: sidecar',
      '  ports:',
      '  - containerPort: 9000',
      '  resources: {}',
      '',
    ].join('\n'));
    const created = await knitPiped(['service', 'create', 'myksvc', '--image', 'docker.io/example/my-app:latest', '--containers', '-', '--target', 'piped.yaml'], second.stdout);
    assert.equal(created.code, 0, created.stderr);
    assert.deepEqual(service('piped.yaml').spec.template.spec.containers.map((c) => [c.name, c.image]), [
      [undefined, 'docker.io/example/my-app:latest'], ['second', 'docker.io/example/sidecar:second'], ['sidecar', 'docker.io/example/sidecar:first'],
    ]);
  });

  const errors: [string, string[], RegExp][] = [
    ['MissingName', ['container', 'add', '--image', 'registry.foo:bar'], /'container add' requires the container name given as single argument/],
    ['MissingImage', ['container', 'add', 'foo'], /'container add' {2}requires the image name to run provided with the --image option/],
    ['WrongEnvFormat', ['container', 'add', 'foo', '--image', 'registry.foo:bar', '--env', 'a b'], /--env.*argument requires a value that contains the "=" character/],
  ];
  for (const [name, args, want] of errors) {
    it(`TestContainerAddError/${name}`, async () => {
      const r = await knitPiped(args);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, want);
    });
  }
});

describe('--containers on service create/update (podspec_test.go TestPodSpecResolveContainers)', () => {
  it('Input:file: the file\'s containers are appended to the serving one', async () => {
    writeFileSync(join(dir, 'container.yaml'), RAW);
    const r = await knitIn(['service', 'create', 'svc', '--image', 'repo/user/imageID:tag', '--containers', 'container.yaml', '--target', 'file.yaml']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(service('file.yaml').spec.template.spec.containers, [
      { image: 'repo/user/imageID:tag' },
      { image: 'foo:bar', name: 'foo', env: [{ name: 'a', value: 'b' }], resources: {} },
      { image: 'bar:bar', name: 'bar', resources: {} },
    ]);
    // update: containers of the same name are replaced, new ones appended (UpdateContainers with several containers).
    writeFileSync(join(dir, 'update.yaml'), 'containers:\n- name: bar\n  image: bar:v2\n- name: baz\n  image: baz:1\n');
    const u = await knitIn(['service', 'update', 'svc', '--containers', 'update.yaml', '--target', 'file.yaml']);
    assert.equal(u.code, 0, u.err);
    assert.deepEqual(service('file.yaml').spec.template.spec.containers.map((c) => [c.name, c.image]), [
      [undefined, 'repo/user/imageID:tag'], ['foo', 'foo:bar'], ['bar', 'bar:v2'], ['baz', 'baz:1'],
    ]);
  });

  it('Input:stdin', async () => {
    const r = await knitPiped(['service', 'create', 'svc2', '--image', 'repo/user/imageID:tag', '--containers', '-', '--target', 'stdin.yaml'], RAW);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(service('stdin.yaml').spec.template.spec.containers.map((c) => c.name), [undefined, 'foo', 'bar']);
  });

  it('Input:error: empty stdin is EOF', async () => {
    const r = await knitPiped(['service', 'create', 'svc3', '--image', 'repo/user/imageID:tag', '--containers', '-', '--target', 'eof.yaml']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error: EOF\n/);
  });

  it('Input:invalidFormat', async () => {
    writeFileSync(join(dir, 'bad.yaml'), '\ncontainers:\n  image: foo:bar\n  name: foo\n  resources: {}');
    const r = await knitIn(['service', 'create', 'svc4', '--image', 'repo/user/imageID:tag', '--containers', 'bad.yaml', '--target', 'bad-out.yaml']);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /cannot unmarshal object into Go struct field PodSpec\.containers/);
  });

  it('a missing file is named', async () => {
    const r = await knitIn(['service', 'create', 'svc5', '--image', 'x', '--containers', 'nope.yaml', '--target', 'nope-out.yaml']);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /open nope\.yaml: no such file or directory/);
  });
});

describe('UpdateContainers and the decoder (podspec_helper_test.go TestUpdateContainers)', () => {
  it('appends to one container, replaces by name otherwise, never multiplies', () => {
    const spec: { containers: Container[] } = { containers: [{}] };
    const containers: Container[] = [{ name: 'foo', image: 'foo:bar' }, { name: 'bar', image: 'foo:bar' }];
    updateContainers(spec, containers);
    assert.equal(spec.containers.length, 3);
    const updated = { name: 'bar', image: 'bar:bar' };
    updateContainers(spec, [updated]);
    assert.equal(spec.containers.length, 3);
    assert.deepEqual(spec.containers.find((c) => c.name === 'bar'), updated);
    updateContainers(spec, containers);
    assert.equal(spec.containers.length, 3);
    const single: { containers: Container[] } = { containers: [{}] };
    updateContainers(single, []);
    assert.equal(single.containers.length, 1);
  });

  it('reads JSON as well as YAML, and names the wrong shapes as Go does', () => {
    assert.deepEqual(decodeContainers('{"containers":[{"name":"a","image":"i"}]}'), [{ name: 'a', image: 'i' }]);
    assert.deepEqual(decodeContainers('restartPolicy: Always\n'), []);
    assert.throws(() => decodeContainers(''), { message: 'EOF' });
    assert.throws(() => decodeContainers('containers: [1]'), { message: /cannot unmarshal number into Go struct field PodSpec\.containers of type v1\.Container/ });
    assert.throws(() => decodeContainers('- a'), { message: /cannot unmarshal array into Go value of type v1\.PodSpec/ });
  });
});

describe('--containers with a local directory', () => {
  it('resolves it to a file:// image as --image does', async () => {
    writeFileSync(join(dir, 'local.yaml'), 'containers:\n- name: side\n  image: ./sidecar\n');
    const r = await knitIn(['service', 'create', 'local', '--image', './app', '--containers', 'local.yaml', '--target', 'local-out.yaml']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(service('local-out.yaml').spec.template.spec.containers.map((c) => c.image), [`file://${dir}/app`, `file://${dir}/sidecar`]);
  });
});
