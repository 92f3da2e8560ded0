// Tests of building/mutating a Service from create/update flags, -f files, and apply's three-way merge patch.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Service } from '../api/types.ts';
import { GLOBAL_FLAGS } from './command.ts';
import { ROOT } from './commands.ts';
import { anyMutation, applyEditFlags, generateRevisionName, newService, parsePort, parseProbeHandler, readServiceFile, resolveImage } from './edit.ts';
import { expandFlags, parseCommandLine, reconcilePairedFlags } from './flags.ts';
import { threeWayMergePatch } from './merge-patch.ts';

const dir = mkdtempSync(join(tmpdir(), 'knit-edit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function flagsFor(command: 'create' | 'update', argv: string[]) {
  const cmd = ROOT.subcommands!.find((c) => c.name === 'service')!.subcommands!.find((c) => c.name === command)!;
  const { flags } = parseCommandLine(argv, [...expandFlags(cmd.flags ?? []), ...GLOBAL_FLAGS]);
  reconcilePairedFlags(flags);
  return flags;
}

const NOW = new Date('2024-05-01T12:00:00.123Z');

function created(argv: string[]): Service {
  const svc = newService('hello', 'default');
  applyEditFlags(svc, flagsFor('create', argv), { command: 'create', cwd: '/work/app', now: NOW });
  return svc;
}

describe('images', () => {
  it('local paths become file:// URLs resolved against the CWD', () => {
    assert.equal(resolveImage('./app', '/home/me'), 'file:///home/me/app');
    assert.equal(resolveImage('../x/', '/home/me/src'), 'file:///home/me/x');
    assert.equal(resolveImage('/abs/dir', '/tmp'), 'file:///abs/dir');
    assert.equal(resolveImage('.', '/srv/app'), 'file:///srv/app');
    assert.equal(resolveImage('file:///already', '/tmp'), 'file:///already');
    assert.equal(resolveImage('docker.io/me/hello:v1', '/tmp'), 'docker.io/me/hello:v1');
    assert.equal(resolveImage('localhost:5000/x', '/tmp'), 'localhost:5000/x');
  });
});

describe('create flags', () => {
  it('builds the template like kn: user-image, updateTimestamp, env, port, cmd/args', () => {
    const svc = created(['hello', '--image', './app', '-e', 'A=1', '--env', 'B=2', '-p', 'h2c:8080', '--cmd', 'node', '--arg', 'server.js', '--arg', '--verbose']);
    assert.deepEqual(svc.spec.template, {
      metadata: { annotations: { 'client.knative.dev/user-image': 'file:///work/app/app', 'client.knative.dev/updateTimestamp': '2024-05-01T12:00:00Z' } },
      spec: {
        containers: [
          {
            image: 'file:///work/app/app',
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
            command: ['node'],
            args: ['server.js', '--verbose'],
            ports: [{ containerPort: 8080, name: 'h2c' }],
          },
        ],
      },
    });
    assert.equal(svc.metadata.annotations, undefined);
  });

  it('--no-lock-to-digest drops the user-image annotation', () => {
    assert.equal(created(['--image', 'img', '--no-lock-to-digest']).spec.template.metadata?.annotations?.['client.knative.dev/user-image'], undefined);
  });

  it('--env-file merges at its position among --env flags; NAME- removes', () => {
    const file = join(dir, 'env');
    writeFileSync(file, '# comment\nFROM_FILE=1\n\nB=file\nGONE-\n');
    const svc = newService('hello', 'default');
    svc.spec.template.spec.containers[0].env = [{ name: 'GONE', value: 'x' }, { name: 'KEEP', value: 'y' }];
    applyEditFlags(svc, flagsFor('create', ['--image', 'i', '-e', 'A=1', '--env-file', file, '-e', 'B=flag']), { command: 'create', cwd: dir });
    assert.deepEqual(svc.spec.template.spec.containers[0].env, [
      { name: 'KEEP', value: 'y' },
      { name: 'A', value: '1' },
      { name: 'FROM_FILE', value: '1' },
      { name: 'B', value: 'flag' },
    ]);
  });

  it('annotations go to service and template; autoscaling ones only to the template', () => {
    const svc = created(['--image', 'i', '-a', 'team=x', '-a', 'autoscaling.knative.dev/target=10', '--annotation-service', 'svc-only=1', '--annotation-revision', 'rev-only=2']);
    assert.deepEqual(svc.metadata.annotations, { team: 'x', 'svc-only': '1' });
    assert.equal(svc.spec.template.metadata?.annotations?.['autoscaling.knative.dev/target'], '10');
    assert.equal(svc.spec.template.metadata?.annotations?.['rev-only'], '2');
    assert.equal(svc.spec.template.metadata?.annotations?.team, 'x');
  });

  it('labels, --cluster-local, scale and autoscaling flags, timeout, concurrency', () => {
    const svc = created(['--image', 'i', '-l', 'app=demo', '--label-revision', 'rev=1', '--cluster-local', '--scale', '1..5', '--scale-init', '0', '--scale-window', '10s', '--scale-target', '7', '--scale-utilization', '80', '--scale-metric', 'rps', '--scale-activation', '2', '--concurrency-limit', '20', '--timeout', '60']);
    assert.deepEqual(svc.metadata.labels, { app: 'demo', 'networking.knative.dev/visibility': 'cluster-local' });
    assert.deepEqual(svc.spec.template.metadata?.labels, { app: 'demo', rev: '1' });
    const a = svc.spec.template.metadata?.annotations ?? {};
    assert.equal(a['autoscaling.knative.dev/min-scale'], '1');
    assert.equal(a['autoscaling.knative.dev/max-scale'], '5');
    assert.equal(a['autoscaling.knative.dev/initial-scale'], '0');
    assert.equal(a['autoscaling.knative.dev/window'], '10s');
    assert.equal(a['autoscaling.knative.dev/target'], '7');
    assert.equal(a['autoscaling.knative.dev/target-utilization-percentage'], '80');
    assert.equal(a['autoscaling.knative.dev/metric'], 'rps');
    assert.equal(a['autoscaling.knative.dev/activation-scale'], '2');
    assert.equal(svc.spec.template.spec.containerConcurrency, 20);
    assert.equal(svc.spec.template.spec.timeoutSeconds, 60);
  });

  it('--scale N sets both, ..N only the max', () => {
    assert.equal(created(['--image', 'i', '--scale', '3']).spec.template.metadata?.annotations?.['autoscaling.knative.dev/min-scale'], '3');
    const a = created(['--image', 'i', '--scale', '..4']).spec.template.metadata?.annotations ?? {};
    assert.equal(a['autoscaling.knative.dev/max-scale'], '4');
    assert.equal(a['autoscaling.knative.dev/min-scale'], undefined);
  });

  it('rejects a bad --scale-window and requests', () => {
    assert.throws(() => created(['--image', 'i', '--scale-window', 'soon']), { message: `invalid duration for 'scale-window': time: invalid duration "soon"` });
    // knative/client pkg/flags/resources_test.go: a bare key has the empty quantity.
    assert.throws(() => created(['--image', 'i', '--request', 'cpu']), { message: "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'" });
  });

  it('resources merge and remove', () => {
    const svc = created(['--image', 'i', '--request', 'memory=250Mi,cpu=200m', '--limit', 'nvidia.com/gpu=1']);
    assert.deepEqual(svc.spec.template.spec.containers[0].resources, { requests: { memory: '250Mi', cpu: '200m' }, limits: { 'nvidia.com/gpu': '1' } });
    applyEditFlags(svc, flagsFor('update', ['--request', 'cpu-']), { command: 'update', cwd: '/' });
    assert.deepEqual(svc.spec.template.spec.containers[0].resources, { requests: { memory: '250Mi' }, limits: { 'nvidia.com/gpu': '1' } });
  });

  it('probes', () => {
    assert.deepEqual(parseProbeHandler('http::8080:/healthz'), { httpGet: { port: 8080, path: '/healthz' } });
    assert.deepEqual(parseProbeHandler('tcp:localhost:web'), { tcpSocket: { host: 'localhost', port: 'web' } });
    assert.deepEqual(parseProbeHandler('exec:cat,/tmp/ready'), { exec: { command: ['cat', '/tmp/ready'] } });
    assert.throws(() => parseProbeHandler('grpc:1'), { message: "unsupported probe type 'grpc', please use one of the following: http, https, exec, tcp" });
    const svc = created(['--image', 'i', '--probe-readiness', 'http::8080:/ready', '--probe-readiness-opts', 'PeriodSeconds=5,failureThreshold=2']);
    assert.deepEqual(svc.spec.template.spec.containers[0].readinessProbe, { httpGet: { port: 8080, path: '/ready' }, periodSeconds: 5, failureThreshold: 2 });
  });

  it('ports', () => {
    assert.deepEqual(parsePort('8080'), { containerPort: 8080 });
    assert.deepEqual(parsePort('http1:80'), { containerPort: 80, name: 'http1' });
  });

  it('revision name templates', () => {
    const svc = newService('hello', 'default');
    svc.metadata.generation = 2;
    assert.equal(generateRevisionName('{{.Service}}-v{{.Generation}}', svc), 'hello-v3');
    assert.equal(generateRevisionName('v1', svc), 'hello-v1');
    assert.equal(generateRevisionName('{{.Random 4}}', svc, () => 0), 'hello-bbbb');
    assert.equal(generateRevisionName('', svc), '');
  });
});

describe('update flags', () => {
  it('only revision-making flags count as a mutation', () => {
    assert.equal(anyMutation(flagsFor('update', ['--env', 'A=1'])), true);
    assert.equal(anyMutation(flagsFor('update', ['--traffic', '@latest=100'])), false);
    assert.equal(anyMutation(flagsFor('update', ['--cluster-local'])), false);
  });

  it('env: update in place, append new, NAME- removes; no updateTimestamp without a mutation', () => {
    const svc = newService('hello', 'default');
    svc.spec.template.spec.containers[0] = { image: 'i', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] };
    applyEditFlags(svc, flagsFor('update', ['-e', 'B=3', '-e', 'C=4', '-e', 'A-']), { command: 'update', cwd: '/', now: NOW });
    assert.deepEqual(svc.spec.template.spec.containers[0].env, [{ name: 'B', value: '3' }, { name: 'C', value: '4' }]);
    assert.equal(svc.spec.template.metadata?.annotations?.['client.knative.dev/updateTimestamp'], '2024-05-01T12:00:00Z');

    const other = newService('hello', 'default');
    delete other.spec.template.metadata;
    applyEditFlags(other, flagsFor('update', ['--no-cluster-local']), { command: 'update', cwd: '/', now: NOW });
    assert.equal(other.spec.template.metadata, undefined);
  });

  it('pins the image to the base revision digest on config-only updates', () => {
    const svc = newService('hello', 'default');
    svc.spec.template = { metadata: { annotations: { 'client.knative.dev/user-image': 'docker.io/me/hello' } }, spec: { containers: [{ image: 'docker.io/me/hello' }] } };
    const base = {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Revision' as const,
      metadata: { name: 'hello-00001' },
      spec: { containers: [{ image: 'docker.io/me/hello' }] },
      status: { containerStatuses: [{ name: 'user-container', imageDigest: 'docker.io/me/hello@sha256:abc' }] },
    };
    applyEditFlags(svc, flagsFor('update', ['-e', 'A=1']), { command: 'update', cwd: '/', baseRevision: base });
    assert.equal(svc.spec.template.spec.containers[0].image, 'docker.io/me/hello@sha256:abc');
    assert.equal(svc.spec.template.metadata?.annotations?.['client.knative.dev/user-image'], 'docker.io/me/hello');
  });

  it('label and annotation removal with NAME-', () => {
    const svc = newService('hello', 'default');
    svc.metadata.labels = { a: '1', b: '2' };
    svc.metadata.annotations = { x: '1' };
    applyEditFlags(svc, flagsFor('update', ['-l', 'a-', '-a', 'x-']), { command: 'update', cwd: '/' });
    assert.deepEqual(svc.metadata.labels, { b: '2' });
    assert.equal(svc.metadata.annotations, undefined);
  });
});

describe('-f files', () => {
  it('reads YAML, resolves local images against the CWD', async () => {
    const file = join(dir, 'svc.yaml');
    writeFileSync(file, 'apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: from-file\nspec:\n  template:\n    spec:\n      containers:\n      - image: ./app\n        env:\n        - name: TARGET\n          value: "Go Sample v1"\n');
    const svc = await readServiceFile('svc.yaml', dir);
    assert.equal(svc.metadata.name, 'from-file');
    assert.equal(svc.spec.template.spec.containers[0].image, `file://${dir}/app`);
    assert.deepEqual(svc.spec.template.spec.containers[0].env, [{ name: 'TARGET', value: 'Go Sample v1' }]);
  });

  it('reads JSON and reports missing files like kn', async () => {
    const file = join(dir, 'svc.json');
    writeFileSync(file, JSON.stringify({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'j' }, spec: { template: { spec: { containers: [{ image: 'img' }] } } } }));
    assert.equal((await readServiceFile(file, '/')).metadata.name, 'j');
    await assert.rejects(readServiceFile('nope.yaml', dir), { message: 'open nope.yaml: no such file or directory' });
  });
});

describe('apply three-way merge patch', () => {
  const applied = { metadata: { name: 's', annotations: { a: '1' } }, spec: { template: { spec: { containers: [{ image: 'i', env: [{ name: 'X', value: '1' }] }] } } } };
  const live = {
    metadata: { name: 's', uid: 'u', resourceVersion: '7', annotations: { a: '1', 'serving.knative.dev/creator': 'me' } },
    spec: { template: { spec: { containers: [{ name: 'user-container', image: 'i', env: [{ name: 'X', value: '1' }], readinessProbe: { successThreshold: 1 } }], timeoutSeconds: 300 } }, traffic: [{ latestRevision: true, percent: 100 }] },
    status: { observedGeneration: 1 },
  };

  it('nothing changed: empty patch despite server defaults', () => {
    assert.deepEqual(threeWayMergePatch(applied, applied, live), {});
  });

  it('a changed array is replaced; removed keys are deleted', () => {
    const modified = { metadata: { name: 's', annotations: { b: '2' } }, spec: { template: { spec: { containers: [{ image: 'i2' }] } } } };
    assert.deepEqual(threeWayMergePatch(applied, modified, live), { metadata: { annotations: { a: null, b: '2' } }, spec: { template: { spec: { containers: [{ image: 'i2' }] } } } });
  });

  it('without a last-applied configuration, arrays compare strictly', () => {
    assert.deepEqual(threeWayMergePatch(undefined, applied, live), { spec: { template: { spec: { containers: applied.spec.template.spec.containers } } } });
  });
});
