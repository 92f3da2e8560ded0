// kn's --mount/--volume translation, after knative/client pkg/flags/podspec_helper_test.go TestUpdateVolumeMountsAndVolumes,
// pkg/flags/podspec_test.go TestPodSpecMountResolveSubPath and pkg/util/corev1_helper_test.go TestGenerateVolumeName.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Container, RevisionSpec, Volume } from '../api/types.ts';
import { applyVolumeFlags, generateVolumeName } from './volume-flags.ts';

const sum = (p: string): string => createHash('sha1').update(p).digest('hex').slice(0, 8);

test('generated volume names: the path as a DNS label plus 4 bytes of its SHA-1, at most 63 characters', () => {
  const cases: [string, string][] = [
    ['Ab12~`!@#$%^&*()-=_+[]{}|/\\<>,./?:;"\'xZ', 'ab12---------------------------------xz'],
    ['/Ab12~`!@#$%^&*()-=_+[]{}|/\\<>,./?:;"\'xZ/', 'ab12---------------------------------xz-'],
    ['', 'k-'],
    ['/', 'k-'],
    ['/path.mypath/', 'path-mypath-'],
    ['/.path.mypath', 'k--path-mypath'],
  ];
  for (const [p, want] of cases) assert.equal(generateVolumeName(p), `${want}-${sum(p)}`, p);
  const long = generateVolumeName('/./Ab12~`!@#$%^&*()-=_+[]{}|/\\<>,./?:;"\'xZ/Ab12~`!@#$%^&*()-=_+[]{}|/\\<>,./?:;"\'xZ/');
  assert.equal(long, 'k---ab12---------------------------------xz-ab12--------------n');
  assert.equal(long.length, 63);
});

test('kn TestUpdateVolumeMountsAndVolumes: volumes and mounts added, updated and removed in kn\'s order', () => {
  const spec: RevisionSpec = {
    containers: [],
    volumes: [
      { name: 'existing-config-map-volume-name-1', configMap: { name: 'existing-config-map-1' } },
      { name: 'existing-config-map-volume-name-2', configMap: { name: 'existing-config-map-2' } },
      { name: 'existing-secret-volume-name-1', secret: { secretName: 'existing-secret-1' } },
      { name: 'existing-secret-volume-name-2', secret: { secretName: 'existing-secret-2' } },
      { name: 'new-empty-dir-volume-name-1', emptyDir: {} },
      { name: 'new-empty-dir-volume-name-2', emptyDir: { medium: 'Memory', sizeLimit: '10Gi' } },
      { name: 'new-empty-dir-volume-name-3', emptyDir: { medium: 'Memory' } },
      { name: 'new-empty-dir-volume-name-4', emptyDir: { sizeLimit: '10Gi' } },
      { name: 'new-pvc-volume-name-1', persistentVolumeClaim: { claimName: 'pvc1' } } as Volume,
    ],
  };
  const c: Container = {
    volumeMounts: [
      { name: 'existing-config-map-volume-name-1', readOnly: true, mountPath: '/existing-config-map-1/mount/path' },
      { name: 'existing-config-map-volume-name-2', readOnly: true, mountPath: '/existing-config-map-2/mount/path' },
      { name: 'existing-secret-volume-name-1', readOnly: true, mountPath: '/existing-secret-1/mount/path' },
      { name: 'existing-secret-volume-name-2', readOnly: true, mountPath: '/existing-secret-2/mount/path' },
      { name: 'new-empty-dir-volume-name-1', readOnly: false, mountPath: '/empty-dir-1/mount/path' },
      { name: 'new-empty-dir-volume-name-2', readOnly: false, mountPath: '/empty-dir-2/mount/path' },
      { name: 'new-empty-dir-volume-name-3', readOnly: false, mountPath: '/empty-dir-3/mount/path' },
      { name: 'new-empty-dir-volume-name-4', readOnly: false, mountPath: '/empty-dir-4/mount/path' },
      { name: 'new-empty-dir-volume-name-5', readOnly: false, mountPath: '/empty-dir-5/mount/path' },
      { name: 'new-pvc-volume-name-1', mountPath: '/pvc-1/mount/path' },
      { name: 'new-pvc-volume-name-2', mountPath: '/pvc-2/mount/path' },
    ],
  };
  applyVolumeFlags(spec, c, ['/new-config-map/mount/path=config-map:new-config-map:readOnly=false'], []);
  applyVolumeFlags(spec, c, ['/updated-config-map/mount/path=existing-config-map-volume-name-2'], ['existing-config-map-volume-name-2=config-map:updated-config-map']);
  applyVolumeFlags(spec, c, ['/new-secret/mount/path=new-secret-volume-name'], ['new-secret-volume-name=secret:new-secret']);
  applyVolumeFlags(spec, c, ['/updated-secret/mount/path=existing-secret-volume-name-2', '/existing-config-map-1/mount/path-', '/existing-secret-1/mount/path-'],
    ['existing-secret-volume-name-2=secret:updated-secret', 'existing-config-map-volume-name-1-', 'existing-secret-volume-name-1-']);
  applyVolumeFlags(spec, c, ['/empty-dir-1/mount/path=new-empty-dir-volume-name-1'], ['new-empty-dir-volume-name-1=emptyDir:new-empty-dir-volume-name-1']);
  applyVolumeFlags(spec, c, ['/empty-dir-2/mount/path=new-empty-dir-volume-name-2'], ['new-empty-dir-volume-name-2=emptyDir:new-empty-dir-volume-name-2:type=Memory,size=10Gi']);
  applyVolumeFlags(spec, c, ['/empty-dir-3/mount/path=new-empty-dir-volume-name-3'], ['new-empty-dir-volume-name-3=emptyDir:new-empty-dir-volume-name-3:type=Memory']);
  applyVolumeFlags(spec, c, ['/empty-dir-4/mount/path=new-empty-dir-volume-name-4'], ['new-empty-dir-volume-name-4=emptyDir:new-empty-dir-volume-name-4:size=10Gi']);
  applyVolumeFlags(spec, c, ['/empty-dir-5/mount/path=emptyDir:new-empty-dir-volume-name-5'], []);
  applyVolumeFlags(spec, c, ['/pvc-1/mount/path=new-pvc-volume-name-1'], ['new-pvc-volume-name-1=pvc:pvc1']);
  applyVolumeFlags(spec, c, ['/pvc-2/mount/path=pvc:pvc2:readOnly=true'], []);

  const vols = spec.volumes!;
  assert.equal(vols.length, 11);
  assert.equal(c.volumeMounts!.length, 13);
  assert.deepEqual(vols[0], { name: 'existing-config-map-volume-name-2', configMap: { name: 'updated-config-map' } });
  assert.deepEqual(vols[1], { name: 'existing-secret-volume-name-2', secret: { secretName: 'updated-secret' } });
  assert.deepEqual(vols[2], { name: 'new-empty-dir-volume-name-1', emptyDir: {} });
  assert.deepEqual(vols[3], { name: 'new-empty-dir-volume-name-2', emptyDir: { medium: 'Memory', sizeLimit: '10Gi' } });
  assert.deepEqual(vols[4], { name: 'new-empty-dir-volume-name-3', emptyDir: { medium: 'Memory' } });
  assert.deepEqual(vols[5], { name: 'new-empty-dir-volume-name-4', emptyDir: { sizeLimit: '10Gi' } });
  assert.deepEqual(vols[6], { name: 'new-pvc-volume-name-1', persistentVolumeClaim: { claimName: 'pvc1' } });
  assert.deepEqual(vols[7], { name: generateVolumeName('/new-config-map/mount/path'), configMap: { name: 'new-config-map' } });
  assert.deepEqual(vols[8], { name: 'new-secret-volume-name', secret: { secretName: 'new-secret' } });
  assert.ok(vols[9].name.includes('empty-dir-5'));
  assert.deepEqual(vols[9].emptyDir, {});
  assert.deepEqual(vols[10], { name: generateVolumeName('/pvc-2/mount/path'), persistentVolumeClaim: { claimName: 'pvc2' } });

  const m = c.volumeMounts!.map((x) => [x.name, x.mountPath, x.readOnly === true]);
  assert.deepEqual(m[0], ['existing-config-map-volume-name-2', '/existing-config-map-2/mount/path', true]);
  assert.deepEqual(m[1], ['existing-secret-volume-name-2', '/existing-secret-2/mount/path', true]);
  assert.deepEqual(m[2], ['new-empty-dir-volume-name-1', '/empty-dir-1/mount/path', false]);
  assert.deepEqual(m[3], ['new-empty-dir-volume-name-2', '/empty-dir-2/mount/path', false]);
  assert.deepEqual(m[4], ['new-empty-dir-volume-name-3', '/empty-dir-3/mount/path', false]);
  assert.deepEqual(m[5], ['new-empty-dir-volume-name-4', '/empty-dir-4/mount/path', false]);
  assert.deepEqual(m[6].slice(1), ['/empty-dir-5/mount/path', false]);
  assert.deepEqual(m[7], ['new-pvc-volume-name-1', '/pvc-1/mount/path', false]);
  assert.deepEqual(m[8].slice(1), ['/pvc-2/mount/path', true]);
  assert.deepEqual(m[9].slice(1), ['/new-config-map/mount/path', false]);
  assert.deepEqual(m[10], ['existing-config-map-volume-name-2', '/updated-config-map/mount/path', true]);
  assert.deepEqual(m[11], ['new-secret-volume-name', '/new-secret/mount/path', true]);
  assert.deepEqual(m[12], ['existing-secret-volume-name-2', '/updated-secret/mount/path', true]);
});

test('kn TestPodSpecMountResolveSubPath: NAME/SUBPATH mounts a path inside the volume', () => {
  const cases: [string, string, string | undefined][] = [
    ['/mydir=cm:my-cm', 'my-cm', undefined],
    ['/mydir=sc:my-sec', 'my-sec', undefined],
    ['/mydir=myvol', 'myvol', undefined],
    ['/mydir=cm:my-cm/subpath/to/mount', 'my-cm', 'subpath/to/mount'],
    ['/mydir=sc:my-sec/subpath/to/mount', 'my-sec', 'subpath/to/mount'],
    ['/mydir=myvol/subpath/to/mount', 'myvol', 'subpath/to/mount'],
  ];
  for (const [arg, source, subPath] of cases) {
    const spec: RevisionSpec = { containers: [] };
    const c: Container = {};
    applyVolumeFlags(spec, c, [arg], []);
    assert.equal(c.volumeMounts![0].subPath, subPath, arg);
    const v = spec.volumes?.[0];
    if (v) assert.equal(v.configMap?.name ?? v.secret?.secretName, source, arg);
    else assert.equal(c.volumeMounts![0].name, source, arg);
  }
});

test('--mount /path- unmounts and removes the generated volume; errors are kn\'s', () => {
  const spec: RevisionSpec = { containers: [] };
  const c: Container = {};
  applyVolumeFlags(spec, c, ['/etc/db=secret:db', '/cache=ed:cache'], []);
  assert.deepEqual(spec.volumes, [
    { name: generateVolumeName('/etc/db'), secret: { secretName: 'db' } },
    { name: generateVolumeName('/cache'), emptyDir: {} },
  ]);
  assert.deepEqual(c.volumeMounts, [
    { name: generateVolumeName('/etc/db'), readOnly: true, mountPath: '/etc/db' },
    { name: generateVolumeName('/cache'), readOnly: false, mountPath: '/cache' },
  ]);
  applyVolumeFlags(spec, c, ['/etc/db-', '/cache-'], []);
  assert.equal(spec.volumes, undefined);
  assert.equal(c.volumeMounts, undefined);

  const err = (mounts: string[], volumes: string[], message: string): void => {
    assert.throws(() => applyVolumeFlags({ containers: [] }, { volumeMounts: [{ name: 'v', mountPath: '/v' }] }, mounts, volumes), { message });
  };
  err(['123456'], [], 'Invalid --mount: argument requires a value that contains the "=" character; got "123456"');
  err([], ['v'], 'Invalid --volume: argument requires a value that contains the "=" character; got "v"');
  err(['/x=foo:bar'], [], 'unsupported volume type ""foo""; supported volume types are "config-map or cm", "secret or sc", "volume or vo", and "emptyDir or ed"');
  err([], ['v=cm:a:b'], 'incorrect mount details for type "cm"');
  err([], ['v=ed:a:type'], 'incorrect format to specify emptyDir type');
  err([], ['v=ed:a:size=lots'], 'incorrect format to specify emptyDir type');
  err([], ['v=sc:'], 'the name of Secret cannot be an empty string');
  err(['/v=other'], [], 'There is no volume matched with "other"');
  err(['/w=cm:c:readOnly=maybe'], [], 'strconv.ParseBool: parsing "maybe": invalid syntax');
  err(['/w=cm:c:ro=true'], [], 'unknown mount option "ro"');
  assert.throws(() => applyVolumeFlags({ containers: [], volumes: [{ name: 'v', emptyDir: {} }] }, { volumeMounts: [{ name: 'v', mountPath: '/v' }] }, [], ['v-']),
    { message: 'The volume "v" cannot be removed because it is mounted' });
});
