// Volumes on the host: the atomic writer's layout and swap, payloads as the kubelet builds them, the pod
// volume manager's lifetime and subPath checks, and the sandbox's mount-point arguments.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Container, Volume } from '../api/types.ts';
import { ProcessRuntime } from './process.ts';
import type { InstanceExit } from './runtime.ts';
import { VolumeManager, payloadPathError, sandboxVolumeArgs, volumePayload, writeAtomic, type WorkloadVolumes } from './volumes.ts';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-vol-test-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const me = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
const file = (s: string, mode = 0o644): { data: Buffer; mode: number } => ({ data: Buffer.from(s), mode });

test('the atomic writer: KEY -> ..data/KEY, ..data -> a timestamped directory, swapped whole on the next write', (t) => {
  const dir = path.join(tmp(t), 'vol');
  writeAtomic(dir, new Map([['a', file('1')], ['sub/b', file('2', 0o600)]]), me, new Date(Date.UTC(2026, 11, 1, 23, 50, 12)));
  const first = fs.readlinkSync(path.join(dir, '..data'));
  assert.match(first, /^\.\.2026_12_01_23_50_12\.\d+$/);
  assert.equal(fs.readlinkSync(path.join(dir, 'a')), '..data/a');
  assert.equal(fs.readlinkSync(path.join(dir, 'sub')), '..data/sub');
  assert.equal(fs.readFileSync(path.join(dir, 'sub/b'), 'utf8'), '2');
  assert.equal(fs.statSync(path.join(dir, 'sub/b')).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.join(dir, 'a')).mode & 0o777, 0o644);
  assert.equal(fs.statSync(path.join(dir, first)).mode & 0o777, 0o755);

  writeAtomic(dir, new Map([['a', file('3')], ['c', file('4')]]), me);
  const second = fs.readlinkSync(path.join(dir, '..data'));
  assert.notEqual(second, first);
  assert.equal(fs.readFileSync(path.join(dir, 'a'), 'utf8'), '3');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['..data', second, 'a', 'c'].sort());

  assert.throws(() => writeAtomic(dir, new Map([['../escape', file('x')]]), me), /must not contain '\.\.'/);
  assert.equal(payloadPathError('/abs'), 'invalid path "/abs": must be a relative path');
  assert.equal(fs.existsSync(path.join(path.dirname(dir), 'escape')), false);
});

const container: Container = { name: 'user-container', resources: { limits: { memory: '64Mi' }, requests: { cpu: '250m' } } };

function workload(volumes: Volume[], data: { secrets?: Record<string, Record<string, string>>; configMaps?: Record<string, Record<string, string>> } = {}): WorkloadVolumes {
  const buf = (m: Record<string, string> | undefined): Record<string, Buffer> | undefined =>
    m && Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Buffer.from(v)]));
  return {
    volumes,
    container: { ...container, volumeMounts: volumes.map((v) => ({ name: v.name, mountPath: `/${v.name}` })) },
    owner: me,
    sources: { secret: (n) => buf(data.secrets?.[n]), configMap: (n) => buf(data.configMaps?.[n]) },
    field: (podId, f) => (f === 'metadata.name' ? `pod-${podId}` : new Error(`unsupported fieldPath: ${f}`)),
  };
}

test('payloads as the kubelet makes them: items, modes, optional sources and keys, projected order, downwardAPI', () => {
  const w = workload([], { secrets: { s: { k: 'v', other: 'o' } }, configMaps: { c: { k: 'cm' } } });
  const files = (v: Volume): Record<string, [string, string]> | string => {
    const p = volumePayload(v, w, 'abcde');
    if ('error' in p) return p.error;
    return Object.fromEntries([...p.payload].map(([k, f]) => [k, [f.data.toString(), f.mode.toString(8)]]));
  };
  assert.deepEqual(files({ name: 'x', secret: { secretName: 's' } }), { k: ['v', '644'], other: ['o', '644'] });
  assert.deepEqual(files({ name: 'x', secret: { secretName: 's', defaultMode: 0o400, items: [{ key: 'k', path: 'd/k' }, { key: 'other', path: 'o', mode: 0o440 }] } }), { 'd/k': ['v', '400'], o: ['o', '440'] });
  assert.equal(files({ name: 'x', secret: { secretName: 'missing' } }), 'secret "missing" not found');
  assert.deepEqual(files({ name: 'x', secret: { secretName: 'missing', optional: true } }), {});
  assert.equal(files({ name: 'x', secret: { secretName: 's', items: [{ key: 'nope', path: 'n' }] } }), 'references non-existent secret key: nope');
  assert.equal(files({ name: 'x', configMap: { name: 'c', items: [{ key: 'nope', path: 'n' }] } }), 'configmap references non-existent config key: nope');
  assert.equal(files({ name: 'x', configMap: { name: 'gone' } }), 'configmap "gone" not found');
  assert.deepEqual(files({ name: 'x', projected: { defaultMode: 0o440, sources: [
    { secret: { name: 's', items: [{ key: 'k', path: 'same' }] } },
    { configMap: { name: 'c', items: [{ key: 'k', path: 'same' }] } },
    { configMap: { name: 'gone', optional: true } },
    { downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }, { path: 'mem', resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } }, { path: 'cpu', mode: 0o400, resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } }] } },
  ] } }), { same: ['cm', '440'], name: ['pod-abcde', '440'], mem: ['64', '440'], cpu: ['250', '400'] });
  assert.equal(files({ name: 'x', projected: { sources: [{ downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'spec.nope' } }] } }] } }), 'unsupported fieldPath: spec.nope');
});

test('the volume manager: binds per mount, FailedMount text, subPath kept inside its volume, a pod\'s volumes go with it', (t) => {
  const root = path.join(tmp(t), 'volumes');
  const vm = new VolumeManager(root);
  t.after(() => vm.close());
  const w = workload([{ name: 'db', secret: { secretName: 's' } }, { name: 'scratch', emptyDir: {} }], { secrets: { s: { k: 'v' } } });
  let alive = true;
  const r = vm.prepare('default/rev-00001', 'abcde', w, () => alive);
  assert.ok('binds' in r, JSON.stringify(r));
  assert.deepEqual(r.binds, [
    { hostPath: path.join(root, 'default', 'rev-00001', 'abcde', 'db'), mountPath: '/db', readOnly: true },
    { hostPath: path.join(root, 'default', 'rev-00001', 'abcde', 'scratch'), mountPath: '/scratch', readOnly: false },
  ]);
  assert.equal(fs.statSync(root).mode & 0o777, 0o700);
  assert.equal(fs.readFileSync(path.join(r.binds[0].hostPath, 'k'), 'utf8'), 'v');

  // A symlink the workload left in its emptyDir does not take a subPath out of the volume.
  fs.symlinkSync('/', path.join(r.binds[1].hostPath, 'up'));
  const escape = vm.prepare('default/rev-00001', 'abcde', { ...w, container: { ...w.container, volumeMounts: [{ name: 'scratch', mountPath: '/x', subPath: 'up' }] } }, () => alive);
  assert.deepEqual(escape, { error: { reason: 'CreateContainerConfigError', message: 'failed to prepare subPath for volumeMount "scratch" of container "user-container"' } });
  const sub = vm.prepare('default/rev-00001', 'abcde', { ...w, container: { ...w.container, volumeMounts: [{ name: 'db', mountPath: '/k', subPath: 'k' }] } }, () => alive);
  assert.ok('binds' in sub && fs.readFileSync(sub.binds[0].hostPath, 'utf8') === 'v', JSON.stringify(sub));

  const failed: string[] = [];
  const missing = vm.prepare('default/rev-00002', 'fghij', { ...workload([{ name: 'db', secret: { secretName: 'nope' } }]), onFailedMount: (m) => failed.push(m) }, () => true);
  assert.deepEqual(missing, { error: { reason: 'ContainerCreating', message: 'MountVolume.SetUp failed for volume "db" : secret "nope" not found' } });
  assert.deepEqual(failed, ['MountVolume.SetUp failed for volume "db" : secret "nope" not found']);

  // A restart of the pod after its Secret was deleted keeps the files it had.
  const sources = w.sources;
  const gone = vm.prepare('default/rev-00001', 'abcde', { ...w, sources: { ...sources, secret: () => undefined } }, () => alive);
  assert.ok('binds' in gone && fs.readFileSync(path.join(gone.binds[0].hostPath, 'k'), 'utf8') === 'v', JSON.stringify(gone));

  alive = false;
  vm.resync();
  assert.equal(fs.existsSync(path.join(root, 'default', 'rev-00001', 'abcde')), false);
  vm.releaseRevision('default/rev-00002');
  assert.equal(fs.existsSync(path.join(root, 'default', 'rev-00002')), false);
});

test('sandbox mount points: made on the sandbox\'s own tmpfs, or on a tmpfs over the deepest existing directory of a read-only tree', (t) => {
  const host = tmp(t);
  fs.mkdirSync(path.join(host, 'image', 'existing'), { recursive: true });
  fs.writeFileSync(path.join(host, 'image', 'app.js'), '');
  fs.symlinkSync('app.js', path.join(host, 'image', 'link'));
  const src = path.join(host, 'src');
  fs.mkdirSync(src);
  const image = path.join(host, 'image');
  // Outside every read-only tree: parents are made.
  assert.deepEqual(sandboxVolumeArgs([{ hostPath: src, mountPath: '/var/run/x', readOnly: true }], [image]),
    ['--perms', '0755', '--dir', '/var', '--perms', '0755', '--dir', '/var/run', '--ro-bind', src, '/var/run/x']);
  // An existing directory of a read-only tree is mounted over as it is.
  assert.deepEqual(sandboxVolumeArgs([{ hostPath: src, mountPath: `${image}/existing`, readOnly: false }], [image]), ['--bind', src, `${image}/existing`]);
  // A missing one: a tmpfs over the image directory with its entries bound back, then the new directory.
  const args = sandboxVolumeArgs([{ hostPath: src, mountPath: `${image}/config/dir`, readOnly: true }], [image]);
  assert.deepEqual(args.slice(0, 4), ['--perms', '0755', '--tmpfs', image]);
  assert.ok(args.join(' ').includes(`--ro-bind ${image}/app.js ${image}/app.js`), args.join(' '));
  assert.ok(args.join(' ').includes(`--ro-bind ${image}/existing ${image}/existing`), args.join(' '));
  assert.ok(args.join(' ').includes(`--symlink app.js ${image}/link`), args.join(' '));
  assert.deepEqual(args.slice(-7), ['--perms', '0755', '--dir', `${image}/config`, '--ro-bind', src, `${image}/config/dir`]);
  assert.throws(() => sandboxVolumeArgs([{ hostPath: src, mountPath: host, readOnly: false }], [image]), { message: `volume mountPath ${host} would hide ${image}, which the sandbox binds at its host path (the image directory, Node or its node_modules); mount the volume elsewhere` });
});

test('KNIT_SANDBOX=off: an instance with volumes is refused with CreateContainerError, not run without them', async (t) => {
  const dir = tmp(t);
  const img = pathToFileURL(path.resolve(import.meta.dirname, '../../test/fixtures/volume-app')).href;
  const inst = new ProcessRuntime({ sandbox: 'off' }).start({
    id: 'vol-off-1', namespace: 'default', revision: 'r-00001', configuration: 'r', service: 'r',
    container: { image: img }, image: img, env: {}, containerPort: 8080, gracePeriodSeconds: 2,
    logFile: path.join(dir, 'i.log'), volumes: [{ hostPath: dir, mountPath: '/data', readOnly: true }],
  });
  t.after(() => inst.stop());
  const exit = await new Promise<InstanceExit>((resolve) => inst.once('exit', resolve));
  assert.equal(exit.reason, 'CreateContainerError');
  assert.match(exit.message, /volumeMounts need the sandbox/);
  assert.equal(inst.pid, undefined);
});
