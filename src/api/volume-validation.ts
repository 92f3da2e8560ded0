// Volumes and volume mounts (knative/serving pkg/apis/serving/k8s_validation.go ValidateVolumes,
// validateVolumeMounts): the allowed sources and their field masks, projections, and mount rules.

import { CURRENT_FIELD, FieldError } from './field-error.ts';
import type { FeaturesConfig } from './config.ts';
import { parseQuantity } from './go-values.ts';
import { isDNS1123Label } from './name-validation.ts';
import {
  checkShape, combine, isObj, objectsOf, OneOf, str, via, viaIdx, type Errs, type FieldKind, type Obj, type Shape,
} from './shape-check.ts';

/** Downward API selectors, shared by env valueFrom and downwardAPI volumes. */
export const FIELD_SELECTOR: Shape = { allowed: { fieldPath: 'string', apiVersion: 'string' } };
export const RESOURCE_FIELD_SELECTOR: Shape = { allowed: { resource: 'string', containerName: 'string', divisor: 'quantity' } };

const VOLUME_MOUNT: Shape = {
  allowed: { name: 'string', mountPath: 'string', subPath: 'string', readOnly: 'bool', mountPropagation: 'string' },
  zeroOk: ['subPathExpr'],
};

function volumeShape(f: FeaturesConfig): Shape {
  const allowed: Record<string, FieldKind> = { name: 'string', secret: 'object', configMap: 'object', projected: 'object' };
  const gated: [keyof FeaturesConfig, string][] = [
    ['podSpecVolumesEmptyDir', 'emptyDir'],
    ['podSpecPersistentVolumeClaim', 'persistentVolumeClaim'],
    ['podSpecVolumesHostPath', 'hostPath'],
    ['podSpecVolumesCSI', 'csi'],
    ['podSpecVolumesImage', 'image'],
    ['podSpecVolumesEphemeral', 'ephemeral'],
  ];
  for (const [flag, field] of gated) if (f[flag] !== 'Disabled') allowed[field] = 'object';
  return { allowed };
}

const SECRET_VOLUME: Shape = { allowed: { secretName: 'string', items: 'array', defaultMode: 'int32', optional: 'bool' } };
const CONFIGMAP_VOLUME: Shape = { allowed: { name: 'string', items: 'array', defaultMode: 'int32', optional: 'bool' } };
const PROJECTED_VOLUME: Shape = { allowed: { sources: 'array', defaultMode: 'int32' } };
const PROJECTION: Shape = { allowed: { secret: 'object', configMap: 'object', serviceAccountToken: 'object', downwardAPI: 'object' } };
const OBJECT_PROJECTION: Shape = { allowed: { name: 'string', items: 'array', optional: 'bool' } };
const SA_TOKEN_PROJECTION: Shape = { allowed: { audience: 'string', expirationSeconds: 'int64', path: 'string' } };
const DOWNWARD_API_PROJECTION: Shape = { allowed: { items: 'array' } };
const DOWNWARD_API_FILE: Shape = { allowed: { path: 'string', fieldRef: 'object', resourceFieldRef: 'object', mode: 'int32' } };
const KEY_TO_PATH: Shape = { allowed: { key: 'string', path: 'string', mode: 'int32' } };
const EMPTY_DIR: Shape = { allowed: { medium: 'string', sizeLimit: 'quantity' } };
const PVC_SOURCE: Shape = { allowed: { claimName: 'string', readOnly: 'bool' } };

const RESERVED_MOUNT_PATHS = new Set(['/', '/dev', '/dev/log']);

/** filepath.Clean for absolute and relative POSIX paths. */
function cleanPath(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
    } else {
      out.push(part);
    }
  }
  const joined = out.join('/');
  return abs ? `/${joined}` : joined === '' ? '.' : joined;
}

/** A container's volumeMounts against the pod's volumes; paths relative to volumeMounts. */
export function validateVolumeMounts(raw: unknown, volumes: Map<string, Obj>, f: FeaturesConfig): FieldError | null {
  const list = objectsOf(raw, CURRENT_FIELD);
  const errs: Errs = [list.errs];
  const seen = new Set<string>();
  const shape: Shape = f.podSpecVolumesMountPropagation !== 'Disabled' ? VOLUME_MOUNT : {
    allowed: Object.fromEntries(Object.entries(VOLUME_MOUNT.allowed).filter(([k]) => k !== 'mountPropagation')),
    zeroOk: VOLUME_MOUNT.zeroOk,
  };
  for (const [i, m] of list.items) {
    const s = checkShape(m, shape);
    const vm = s.v;
    const e: Errs = [s.errs];
    const name = str(vm.name);
    const volume = volumes.get(name);
    if (!volume) e.push(new FieldError('volumeMount has no matching volume', ['name']));
    const readOnly = vm.readOnly === true;
    const writableSource = volume && (isObj(volume.emptyDir) || isObj(volume.persistentVolumeClaim) || isObj(volume.ephemeral));
    if (!writableSource && !readOnly) e.push(new FieldError('volume mount should be readOnly for this type of volume', ['readOnly']));
    if (volume && isObj(volume.persistentVolumeClaim) && volume.persistentVolumeClaim.readOnly === true && !readOnly) {
      e.push(new FieldError('volume is readOnly but volume mount is not', ['readOnly']));
    }
    const mountPath = str(vm.mountPath);
    if (mountPath === '') {
      e.push(FieldError.missing('mountPath'));
    } else if (RESERVED_MOUNT_PATHS.has(cleanPath(mountPath))) {
      e.push(new FieldError(`mountPath ${JSON.stringify(cleanPath(mountPath))} is a reserved path`, ['mountPath']));
    } else if (!mountPath.startsWith('/')) {
      e.push(FieldError.invalidValue(mountPath, 'mountPath'));
    } else if (seen.has(cleanPath(mountPath))) {
      e.push(FieldError.invalidValue(`${JSON.stringify(mountPath)} must be unique`, 'mountPath'));
    }
    seen.add(cleanPath(mountPath));
    if (typeof vm.mountPropagation === 'string' && vm.mountPropagation !== 'None' && vm.mountPropagation !== 'HostToContainer') {
      e.push(FieldError.invalidValue(vm.mountPropagation, 'mountPropagation'));
    }
    errs.push(combine(e)?.viaIndex(i));
  }
  return combine(errs);
}

/** The pod's volumes: names, sources and that each one is mounted; paths relative to volumes. */
export function validateVolumes(raw: unknown, mounted: Set<string>, f: FeaturesConfig): { errs: FieldError | null; byName: Map<string, Obj> } {
  const list = objectsOf(raw, CURRENT_FIELD);
  const errs: Errs = [list.errs];
  const byName = new Map<string, Obj>();
  const shape = volumeShape(f);
  for (const [i, v] of list.items) {
    const s = checkShape(v, shape);
    const vol = s.v;
    const name = str(vol.name);
    const e: Errs = [s.errs];
    if (byName.has(name)) e.push(new FieldError(`duplicate volume name ${JSON.stringify(name)}`, ['name']));
    if (!mounted.has(name)) e.push(new FieldError(`volume with name ${JSON.stringify(name)} not mounted`, ['name']));
    if (name === '') e.push(FieldError.missing('name'));
    else if (isDNS1123Label(name).length > 0) e.push(FieldError.invalidValue(name, 'name'));
    e.push(validateVolumeSource(vol, f, (v as Obj)));
    errs.push(combine(e)?.viaIndex(i));
    if (!byName.has(name)) byName.set(name, vol);
  }
  return { errs: combine(errs), byName };
}

function validateVolumeSource(vol: Obj, f: FeaturesConfig, raw: Obj): FieldError | null {
  const errs: Errs = [];
  const sources = new OneOf(vol, errs);
  const secret = sources.member('secret', SECRET_VOLUME);
  if (secret) errs.push(keyToPathItems(secret.items));
  const configMap = sources.member('configMap', CONFIGMAP_VOLUME);
  if (configMap) errs.push(keyToPathItems(configMap.items));
  const projected = sources.member('projected', PROJECTED_VOLUME);
  if (projected) {
    const projections = objectsOf(projected.sources, 'sources');
    errs.push(via(projections.errs, 'projected'));
    // Knative reports projections at projected[i], without "sources".
    for (const [i, src] of projections.items) errs.push(viaIdx(validateProjection(src), 'projected', i));
  }
  const emptyDir = sources.member('emptyDir', EMPTY_DIR);
  if (emptyDir) {
    const medium = str(emptyDir.medium);
    if (medium !== '' && medium !== 'Memory') errs.push(FieldError.invalidValue(medium, 'emptyDir.medium'));
    if (emptyDir.sizeLimit !== undefined && (parseQuantity(emptyDir.sizeLimit as string | number) ?? 0) < 0) {
      errs.push(FieldError.invalidValue(emptyDir.sizeLimit, 'emptyDir.sizeLimit'));
    }
  }
  const pvc = sources.member('persistentVolumeClaim', PVC_SOURCE);
  if (pvc) {
    if (pvc.readOnly !== true && f.podSpecPersistentVolumeWrite === 'Disabled') {
      errs.push(new FieldError(`Persistent volume write support is disabled, but found persistent volume claim ${str(pvc.claimName)} that is not read-only`));
    }
  } else if (isObj(raw.persistentVolumeClaim) && f.podSpecPersistentVolumeClaim === 'Disabled') {
    const claim = str(raw.persistentVolumeClaim.claimName);
    errs.push(new FieldError(`Persistent volume claim support is disabled, but found persistent volume claim ${claim}`));
    if (raw.persistentVolumeClaim.readOnly !== true && f.podSpecPersistentVolumeWrite === 'Disabled') {
      errs.push(new FieldError(`Persistent volume write support is disabled, but found persistent volume claim ${claim} that is not read-only`));
    }
  }
  const specified = [...sources.set, ...['hostPath', 'csi', 'image', 'ephemeral'].filter((gated) => isObj(vol[gated]))];
  if (specified.length === 0) {
    const paths = ['secret', 'configMap', 'projected'];
    if (f.podSpecVolumesEmptyDir === 'Enabled') paths.push('emptyDir');
    if (f.podSpecPersistentVolumeClaim === 'Enabled') paths.push('persistentVolumeClaim');
    // A refused source was already reported as disallowed; don't also call it missing.
    const refused = Object.keys(raw).some((k) => k !== 'name' && raw[k] !== null && raw[k] !== undefined);
    if (!refused) errs.push(FieldError.oneOfNone(...paths));
  } else if (specified.length > 1) {
    errs.push(FieldError.oneOfBoth(...specified));
  }
  return combine(errs);
}

function validateKeyToPath(raw: unknown): FieldError | null {
  const s = checkShape(raw, KEY_TO_PATH);
  const errs: Errs = [s.errs];
  if (str(s.v.key) === '') errs.push(FieldError.missing('key'));
  if (str(s.v.path) === '') errs.push(FieldError.missing('path'));
  return combine(errs);
}

/** A KeyToPath list at `items`. */
function keyToPathItems(list: unknown): FieldError | null {
  const l = objectsOf(list, 'items');
  const e: Errs = [l.errs];
  for (const [i, k2p] of l.items) e.push(viaIdx(validateKeyToPath(k2p), 'items', i));
  return combine(e);
}

function validateProjection(raw: unknown): FieldError | null {
  const s = checkShape(raw, PROJECTION);
  const errs: Errs = [s.errs];
  const projections = new OneOf(s.v, errs);
  for (const k of ['secret', 'configMap'] as const) {
    const o = projections.member(k, OBJECT_PROJECTION);
    if (o) errs.push(via(combine([str(o.name) === '' ? FieldError.missing('name') : null, keyToPathItems(o.items)]), k));
  }
  const token = projections.member('serviceAccountToken', SA_TOKEN_PROJECTION);
  if (token && str(token.path) === '') errs.push(FieldError.missing('serviceAccountToken.path'));
  const downward = projections.member('downwardAPI', DOWNWARD_API_PROJECTION);
  if (downward) {
    const e: Errs = [];
    const items = objectsOf(downward.items, 'items');
    e.push(items.errs);
    for (const [i, item] of items.items) {
      const it = checkShape(item, DOWNWARD_API_FILE);
      const ie: Errs = [it.errs];
      if (str(it.v.path) === '') ie.push(FieldError.missing('path'));
      if (isObj(it.v.fieldRef)) ie.push(via(checkShape(it.v.fieldRef, FIELD_SELECTOR).errs, 'fieldRef'));
      if (isObj(it.v.resourceFieldRef)) ie.push(via(checkShape(it.v.resourceFieldRef, RESOURCE_FIELD_SELECTOR).errs, 'resourceFieldRef'));
      const fr = isObj(it.v.fieldRef);
      const rfr = isObj(it.v.resourceFieldRef);
      if (fr && rfr) ie.push(FieldError.generic('Within a single item, cannot set both', 'fieldRef', 'resourceFieldRef'));
      else if (!fr && !rfr) ie.push(FieldError.oneOfNone('fieldRef', 'resourceFieldRef'));
      e.push(viaIdx(combine(ie), 'items', i));
    }
    errs.push(via(combine(e), 'downwardAPI'));
  }
  const specified = projections.set;
  if (specified.length === 0) {
    if (Object.keys(raw as Obj).every((k) => (raw as Obj)[k] === null || (raw as Obj)[k] === undefined)) {
      errs.push(FieldError.oneOfNone('configMap', 'downwardAPI', 'secret', 'serviceAccountToken'));
    }
  } else if (specified.length > 1) {
    errs.push(FieldError.oneOfBoth(...specified));
  }
  return combine(errs);
}
