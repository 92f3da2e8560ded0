// kn's --mount and --volume flags (knative/client pkg/flags/podspec_helper.go UpdateVolumeMountsAndVolumes):
// mount paths and volumes added, updated and removed in a pod spec, with kn's generated volume names and errors.

import { createHash } from 'node:crypto';
import { parseGoBool, parseQuantity } from '../api/go-values.ts';
import type { Container, RevisionSpec, Volume, VolumeMount } from '../api/types.ts';
import { goQuote } from '../kube/gotext.ts';
import { CliError } from './errors.ts';

type SourceType = 'ConfigMap' | 'Secret' | 'EmptyDir' | 'PersistentVolumeClaim';

interface SourceInfo {
  type: SourceType;
  name: string;
  emptyDirMedium?: string;
  emptyDirSize?: string;
}

interface MountInfo {
  volumeName: string;
  subPath?: string;
  options?: string;
}

function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  out.push(rest);
  return out;
}

/** knative/client pkg/util/corev1_helper.go GenerateVolumeName: the path made a DNS label, with 4 bytes of its SHA-1. */
export function generateVolumeName(p: string): string {
  let out = '';
  let first = true;
  for (const r of p) {
    if (/\p{Ll}|\p{Nd}|-/u.test(r)) out += r;
    else if (/\p{Lu}/u.test(r)) out += r.toLowerCase();
    else if (r === '/') {
      if (!first) out += '-';
    } else out += '-';
    first = false;
  }
  let name = `${out}-${createHash('sha1').update(p).digest('hex').slice(0, 8)}`;
  if (!/^[\p{L}\p{N}]/u.test(name)) name = `k-${name}`;
  const bytes = Buffer.from(name);
  if (bytes.length > 63) name = `${bytes.subarray(0, 61).toString()}-n`;
  return name;
}

/** kn's OrderedMapAndRemovalListFromArray: `KEY=value` to set (later values win, first position kept), `KEY-` to remove. */
function orderedPairs(arr: readonly string[]): { set: Map<string, string>; remove: string[] } {
  const set = new Map<string, string>();
  const remove: string[] = [];
  for (const pair of arr) {
    const parts = splitN(pair, '=', 2);
    if (parts.length === 1 && !parts[0].endsWith('-')) throw new CliError(`argument requires a value that contains the "=" character; got ${goQuote(pair)}`);
    if (parts.length === 2) set.set(parts[0], parts[1]);
    else remove.push(parts[0].slice(0, -1));
  }
  return { set, remove };
}

/** kn's getEmptyDirTypeAndSize: `type=Memory`, `size=1Gi` or both, comma-separated. */
function emptyDirTypeAndSize(value: string): { medium: string; size?: string } {
  const formatErr = new CliError('incorrect format to specify emptyDir type');
  let medium = '';
  let size: string | undefined;
  const parts = splitN(value, ',', 2);
  for (const part of parts) {
    const kv = splitN(part, '=', 2);
    if (kv.length < 2) throw formatErr;
    switch (kv[0].toLowerCase()) {
      case 'type':
        if (parts.length === 2 && medium !== '') throw new CliError('cannot repeat the key "type"');
        medium = kv[1];
        break;
      case 'size':
        if (parts.length === 2 && size !== undefined) throw new CliError('cannot repeat the key "size"');
        if (parseQuantity(kv[1]) === null) throw formatErr;
        size = kv[1];
        break;
      default:
        throw formatErr;
    }
  }
  return { medium, ...(size !== undefined ? { size } : {}) };
}

/** kn's newVolumeSourceInfoWithSpecString for --volume: `cm:NAME`, `secret:NAME`, `pvc:NAME`, `ed:NAME[:type=…,size=…]`. */
function volumeSourceInfo(spec: string): SourceInfo {
  const parts = splitN(spec, ':', 3);
  if (parts.length < 2) throw new CliError(`argument requires a value that contains the : character; got ${goQuote(spec)}, [${parts.join(' ')}]`);
  const type = parts[0].trim();
  if (parts.length === 2) {
    const types: Record<string, SourceType> = { 'config-map': 'ConfigMap', cm: 'ConfigMap', secret: 'Secret', sc: 'Secret', emptyDir: 'EmptyDir', ed: 'EmptyDir', persistentVolumeClaim: 'PersistentVolumeClaim', pvc: 'PersistentVolumeClaim' };
    const t = Object.prototype.hasOwnProperty.call(types, type) ? types[type] : undefined;
    if (!t) throw new CliError(`unsupported volume source type "${goQuote(parts[0])}"; supported volume source types are "config-map" and "secret"`);
    const name = parts[1].trim();
    if (name === '') throw new CliError(`the name of ${t} cannot be an empty string`);
    return { type: t, name };
  }
  if (['config-map', 'cm', 'secret', 'sc', 'persistentVolumeClaim', 'pvc'].includes(type)) throw new CliError(`incorrect mount details for type ${goQuote(type)}`);
  if (type !== 'emptyDir' && type !== 'ed') {
    throw new CliError(`unsupported volume type "${goQuote(parts[0])}"; supported volume types are "config-map or cm", "secret or sc", "volume or vo", and "emptyDir or ed"`);
  }
  const { medium, size } = emptyDirTypeAndSize(parts[2]);
  return { type: 'EmptyDir', name: parts[1], emptyDirMedium: medium, ...(size !== undefined ? { emptyDirSize: size } : {}) };
}

/** kn's getMountInfo: `NAME[/SUBPATH][:OPTIONS]`. */
function mountInfo(value: string): MountInfo {
  const [ref, options] = splitN(value, ':', 2);
  const [volumeName, subPath] = splitN(ref, '/', 2);
  return { volumeName, ...(subPath ? { subPath } : {}), ...(options !== undefined ? { options } : {}) };
}

/** kn's isReadOnlyVolume: the `readOnly=` mount option, else false for emptyDir and PVC volumes, true otherwise. */
function isReadOnly(name: string, options: string | undefined, volumes: Volume[]): boolean {
  if (options) {
    let readOnly: string | undefined;
    for (const opt of options.split(',')) {
      const kv = splitN(opt, '=', 2);
      if (kv[0].toLowerCase() !== 'readonly') throw new CliError(`unknown mount option ${goQuote(kv[0])}`);
      readOnly = kv[1] ?? '';
    }
    if (readOnly) {
      const b = parseGoBool(readOnly);
      if (b === null) throw new CliError(`strconv.ParseBool: parsing ${goQuote(readOnly)}: invalid syntax`);
      return b;
    }
  }
  const v = volumes.find((x) => x.name === name);
  if (!v) return true;
  return !(v.emptyDir || (v as { persistentVolumeClaim?: unknown }).persistentVolumeClaim);
}

function setSource(v: Volume, info: SourceInfo): void {
  const vol = v as Volume & { persistentVolumeClaim?: { claimName: string } };
  switch (info.type) {
    case 'ConfigMap':
      delete vol.secret;
      vol.configMap = { name: info.name };
      break;
    case 'Secret':
      delete vol.configMap;
      vol.secret = { secretName: info.name };
      break;
    case 'EmptyDir':
      vol.emptyDir = { ...(info.emptyDirMedium ? { medium: info.emptyDirMedium } : {}), ...(info.emptyDirSize !== undefined ? { sizeLimit: info.emptyDirSize } : {}) };
      break;
    case 'PersistentVolumeClaim':
      vol.persistentVolumeClaim = { claimName: info.name };
      break;
  }
}

/**
 * Applies `--mount` and `--volume` values to a pod spec's volumes and its first container's mounts as
 * kn's UpdateVolumeMountsAndVolumes does: `--mount /path=cm:NAME` (or `config-map:`, `secret:`/`sc:`,
 * `ed:`/`emptyDir:`, `pvc:`) mounts a source under a volume named after the path, `--mount /path=VOLUME`
 * an existing volume, `NAME/SUBPATH` a path inside it, `:readOnly=BOOL` sets readOnly; `--mount /path-`
 * unmounts (and removes the generated volume); `--volume NAME=cm:NAME` adds or changes a volume,
 * `--volume NAME-` removes it.
 */
export function applyVolumeFlags(spec: RevisionSpec, c: Container, mountFlags: readonly string[], volumeFlags: readonly string[]): void {
  let mounts: { set: Map<string, string>; remove: string[] };
  let vols: { set: Map<string, string>; remove: string[] };
  try {
    mounts = orderedPairs(mountFlags);
  } catch (e) {
    throw new CliError(`Invalid --mount: ${(e as Error).message}`);
  }
  try {
    vols = orderedPairs(volumeFlags);
  } catch (e) {
    throw new CliError(`Invalid --volume: ${(e as Error).message}`);
  }

  // reviseVolumeInfoAndMountsToUpdate
  const sources = new Map<string, SourceInfo>();
  const mountsToUpdate = new Map<string, MountInfo>();
  for (const [mountPath, value] of mounts.set) {
    const parts = splitN(value, ':', 2);
    if (parts.length === 1) {
      mountsToUpdate.set(mountPath, mountInfo(parts[0]));
      continue;
    }
    const types: Record<string, SourceType> = { 'config-map': 'ConfigMap', cm: 'ConfigMap', secret: 'Secret', sc: 'Secret', emptyDir: 'EmptyDir', ed: 'EmptyDir', persistentVolumeClaim: 'PersistentVolumeClaim', pvc: 'PersistentVolumeClaim' };
    const type = Object.prototype.hasOwnProperty.call(types, parts[0]) ? types[parts[0]] : undefined;
    if (!type) throw new CliError(`unsupported volume type "${goQuote(parts[0])}"; supported volume types are "config-map or cm", "secret or sc", "volume or vo", and "emptyDir or ed"`);
    const generated = generateVolumeName(mountPath);
    const info = mountInfo(parts[1]);
    sources.set(generated, type === 'EmptyDir' ? { type, name: parts[1], emptyDirMedium: '' } : { type, name: info.volumeName });
    mountsToUpdate.set(mountPath, { ...info, volumeName: generated });
  }
  for (const [name, value] of vols.set) sources.set(name, volumeSourceInfo(value));

  // updateVolumesFromMap
  const volumes: Volume[] = [...(spec.volumes ?? [])];
  const updated = new Set<string>();
  for (const v of volumes) {
    const info = sources.get(v.name);
    if (info) {
      setSource(v, info);
      updated.add(v.name);
    }
  }
  for (const [name, info] of sources) {
    if (updated.has(name)) continue;
    const v: Volume = { name };
    setSource(v, info);
    volumes.push(v);
  }

  // updateVolumeMountsFromMap
  const oldMounts = c.volumeMounts ?? [];
  const volumeMounts: VolumeMount[] = oldMounts.map((m) => ({ ...m }));
  const seen = new Set<string>();
  for (const m of volumeMounts) {
    const info = mountsToUpdate.get(m.mountPath);
    if (!info) continue;
    if (!volumes.some((v) => v.name === info.volumeName)) throw new CliError(`There is no volume matched with ${goQuote(info.volumeName)}`);
    m.readOnly = isReadOnly(info.volumeName, info.options, volumes);
    m.name = info.volumeName;
    if (info.subPath) m.subPath = info.subPath;
    else delete m.subPath;
    seen.add(m.mountPath);
  }
  for (const [mountPath, info] of mountsToUpdate) {
    if (seen.has(mountPath)) continue;
    const readOnly = isReadOnly(info.volumeName, info.options, volumes);
    volumeMounts.push({ name: info.volumeName, readOnly, mountPath, ...(info.subPath ? { subPath: info.subPath } : {}) });
  }

  // reviseVolumesToRemove (against the mounts as they were), removeVolumeMounts, removeVolumes
  const volumesToRemove = [...vols.remove];
  for (const p of mounts.remove) {
    for (const m of oldMounts) if (m.mountPath === p && m.name === generateVolumeName(p)) volumesToRemove.push(m.name);
  }
  for (const p of mounts.remove) {
    const i = volumeMounts.findIndex((m) => m.mountPath === p);
    if (i >= 0) volumeMounts.splice(i, 1);
  }
  for (const name of volumesToRemove) {
    const i = volumes.findIndex((v) => v.name === name);
    if (i < 0) continue;
    if (volumeMounts.some((m) => m.name === name)) throw new CliError(`The volume ${goQuote(name)} cannot be removed because it is mounted`);
    volumes.splice(i, 1);
  }
  if (volumeMounts.length > 0) c.volumeMounts = volumeMounts;
  else delete c.volumeMounts;
  if (volumes.length > 0) spec.volumes = volumes;
  else delete spec.volumes;
}
