// A pod's volumes on the host: secret, configMap, projected and emptyDir volumes materialised per replica
// under DATA_DIR/volumes, written as the kubelet's atomic writer does, kept up to date, and bound into instances.

import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseQuantity } from '../api/go-values.ts';
import type { Container, Volume, VolumeMount } from '../api/types.ts';
import { RuntimeError } from './runtime.ts';

/** One bind of a volume (or a path inside it) into an instance, at `mountPath`. */
export interface VolumeBind {
  /** The host path: the volume's directory, or the file or directory its subPath names. */
  hostPath: string;
  mountPath: string;
  readOnly: boolean;
}

/** The Secrets and ConfigMaps of one namespace, as file contents (a Secret's data base64-decoded, a ConfigMap's data and binaryData). */
export interface VolumeSourceLookup {
  secret(name: string): Record<string, Buffer> | undefined;
  configMap(name: string): Record<string, Buffer> | undefined;
}

/** Everything needed to materialise one revision's volumes for one of its pods. */
export interface WorkloadVolumes {
  volumes: Volume[];
  /** The serving container (its volumeMounts, resources for downwardAPI resourceFieldRef). */
  container: Container;
  /** Who owns the files (the instance's uid/gid), so that it can read them whatever their mode. */
  owner: { uid: number; gid: number };
  sources: VolumeSourceLookup;
  /** A downward-API field of the pod `podId` (env-sources.ts fieldValues), or the kubelet's error. */
  field: (podId: string, fieldPath: string) => string | Error;
  /** Told the kubelet's FailedMount message each time a pod's volumes cannot be set up (its Warning event). */
  onFailedMount?: (message: string) => void;
}

/** Why a pod's volumes could not be set up: the kubelet's FailedMount text (the container stays ContainerCreating). */
export interface VolumeError {
  reason: string;
  message: string;
}

interface PayloadFile {
  data: Buffer;
  mode: number;
}
type Payload = Map<string, PayloadFile>;

/** Kubernetes' default file mode of secret, configMap, projected and downwardAPI volumes (pkg/apis/core/types.go). */
const DEFAULT_MODE = 0o644;

type KeyToPath = { key: string; path: string; mode?: number };

/**
 * kubernetes pkg/volume/secret/secret.go and pkg/volume/configmap/configmap.go MakePayload: every key
 * at its own name, or only `items` at their paths; a key that `items` names but the object lacks fails
 * unless optional. `what` is `secret` or `configmap`.
 */
function objectPayload(data: Record<string, Buffer>, items: KeyToPath[] | undefined, defaultMode: number, optional: boolean, what: 'secret' | 'configmap', out: Payload): string | undefined {
  if (!items || items.length === 0) {
    for (const [k, v] of Object.entries(data)) out.set(k, { data: v, mode: defaultMode });
    return undefined;
  }
  for (const it of items) {
    const v = Object.prototype.hasOwnProperty.call(data, it.key) ? data[it.key] : undefined;
    if (v === undefined) {
      if (optional) continue;
      return what === 'secret' ? `references non-existent secret key: ${it.key}` : `configmap references non-existent config key: ${it.key}`;
    }
    out.set(it.path, { data: v, mode: it.mode ?? defaultMode });
  }
  return undefined;
}

/** kubernetes pkg/fieldpath ExtractContainerResourceValue: a limit or request divided by the divisor, rounded up; unset limits are the node's capacity. */
function resourceValue(c: Container, ref: { resource?: string; divisor?: string | number }): string | Error {
  const resource = ref.resource ?? '';
  const divisor = parseQuantity(ref.divisor ?? '1') || 1;
  const [kind, name] = resource.split('.');
  const list = kind === 'limits' ? c.resources?.limits : kind === 'requests' ? c.resources?.requests : undefined;
  if ((kind !== 'limits' && kind !== 'requests') || (name !== 'cpu' && name !== 'memory')) return new Error(`unsupported container resource : ${resource}`);
  const raw = list?.[name];
  let value = raw !== undefined ? parseQuantity(raw) : null;
  if (value === null) value = kind === 'limits' ? (name === 'cpu' ? os.cpus().length : os.totalmem()) : 0;
  return String(Math.ceil(value / divisor));
}

/** The files of one volume, or the kubelet's reason it cannot be set up. emptyDir has none. */
export function volumePayload(vol: Volume, w: WorkloadVolumes, podId: string): { payload: Payload } | { error: string } {
  const out: Payload = new Map();
  if (vol.secret) {
    const s = vol.secret;
    const data = w.sources.secret(s.secretName ?? '');
    if (!data) return s.optional ? { payload: out } : { error: `secret "${s.secretName ?? ''}" not found` };
    const err = objectPayload(data, s.items, s.defaultMode ?? DEFAULT_MODE, s.optional === true, 'secret', out);
    return err ? { error: err } : { payload: out };
  }
  if (vol.configMap) {
    const s = vol.configMap;
    const data = w.sources.configMap(s.name ?? '');
    if (!data) return s.optional ? { payload: out } : { error: `configmap "${s.name ?? ''}" not found` };
    const err = objectPayload(data, s.items, s.defaultMode ?? DEFAULT_MODE, s.optional === true, 'configmap', out);
    return err ? { error: err } : { payload: out };
  }
  if (vol.projected) {
    // kubernetes pkg/volume/projected/projected.go collectData: every source in order, later ones win.
    const mode = vol.projected.defaultMode ?? DEFAULT_MODE;
    for (const raw of vol.projected.sources ?? []) {
      const src = raw as {
        secret?: { name?: string; items?: KeyToPath[]; optional?: boolean };
        configMap?: { name?: string; items?: KeyToPath[]; optional?: boolean };
        downwardAPI?: { items?: { path: string; mode?: number; fieldRef?: { fieldPath?: string }; resourceFieldRef?: { resource?: string; divisor?: string } }[] };
        serviceAccountToken?: unknown;
      };
      if (src.secret || src.configMap) {
        const isSecret = !!src.secret;
        const ref = (src.secret ?? src.configMap)!;
        const data = isSecret ? w.sources.secret(ref.name ?? '') : w.sources.configMap(ref.name ?? '');
        if (!data) {
          if (ref.optional) continue;
          return { error: `${isSecret ? 'secret' : 'configmap'} "${ref.name ?? ''}" not found` };
        }
        const err = objectPayload(data, ref.items, mode, ref.optional === true, isSecret ? 'secret' : 'configmap', out);
        if (err) return { error: err };
      } else if (src.downwardAPI) {
        for (const it of src.downwardAPI.items ?? []) {
          const v = it.fieldRef ? w.field(podId, it.fieldRef.fieldPath ?? '') : resourceValue(w.container, it.resourceFieldRef ?? {});
          if (v instanceof Error) return { error: v.message };
          out.set(it.path, { data: Buffer.from(v), mode: it.mode ?? mode });
        }
      } else if (src.serviceAccountToken) {
        // Admission refuses it (knit has no service account tokens); never reached.
        return { error: 'knit has no service account tokens to project' };
      }
    }
    return { payload: out };
  }
  return { payload: out };
}

/** kubernetes pkg/volume/util/atomic_writer.go validatePath: a payload path stays inside its volume. */
export function payloadPathError(p: string): string | undefined {
  if (p === '') return 'invalid path: must not be empty';
  if (path.isAbsolute(p)) return `invalid path ${JSON.stringify(p)}: must be a relative path`;
  if (p.split('/').includes('..')) return `invalid path ${JSON.stringify(p)}: must not contain '..'`;
  if (p.startsWith('..')) return `invalid path ${JSON.stringify(p)}: must not start with '..'`;
  return undefined;
}

const DATA_DIR_NAME = '..data';
const TMP_DATA_DIR_NAME = '..data_tmp';

function chownQuiet(p: string, uid: number, gid: number): void {
  try {
    fs.lchownSync(p, uid, gid);
  } catch {
    // not root: the files stay knit's, which is then also the instance's user
  }
}

/** Go's time.Format("2006_01_02_15_04_05.") of now, in UTC. */
function timestampPrefix(now: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

/**
 * kubernetes pkg/volume/util/atomic_writer.go AtomicWriter.Write: the payload goes to a new
 * timestamped directory (`..2026_12_01_23_50_12.NNNN`, mode 0755), a `..data_tmp` symlink to it is
 * renamed over `..data` (one atomic step: a reader sees the old or the new set, never a mix), each
 * top-level name is a symlink `NAME -> ..data/NAME`, names no longer in the payload are removed,
 * and the previous timestamped directory goes. Files get their mode and the instance's owner.
 */
export function writeAtomic(dir: string, payload: Payload, owner: { uid: number; gid: number }, now = new Date()): void {
  for (const p of payload.keys()) {
    const err = payloadPathError(p);
    if (err) throw new Error(err);
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  let old: string | undefined;
  try {
    old = fs.readlinkSync(path.join(dir, DATA_DIR_NAME));
  } catch {
    old = undefined;
  }
  const ts = timestampDir(dir, now);
  for (const [rel, f] of payload) {
    const file = path.join(ts, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    fs.writeFileSync(file, f.data, { mode: f.mode });
    fs.chmodSync(file, f.mode);
    chownQuiet(file, owner.uid, owner.gid);
  }
  const tmp = path.join(dir, TMP_DATA_DIR_NAME);
  fs.rmSync(tmp, { force: true });
  fs.symlinkSync(path.basename(ts), tmp);
  fs.renameSync(tmp, path.join(dir, DATA_DIR_NAME));
  const top = new Set([...payload.keys()].map((p) => p.split('/')[0]));
  for (const name of top) {
    const link = path.join(dir, name);
    const st = fs.lstatSync(link, { throwIfNoEntry: false });
    if (st?.isSymbolicLink() && fs.readlinkSync(link) === path.join(DATA_DIR_NAME, name)) continue;
    if (st) fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(path.join(DATA_DIR_NAME, name), link);
  }
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith('..') || top.has(name)) continue;
    fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
  if (old && old !== path.basename(ts) && old.startsWith('..')) fs.rmSync(path.join(dir, old), { recursive: true, force: true });
}

/** Go's os.MkdirTemp(dir, "..2006_01_02_15_04_05."): the prefix and a random decimal suffix; then mode 0755, whatever the umask. */
function timestampDir(dir: string, now: Date): string {
  for (;;) {
    const ts = path.join(dir, `${timestampPrefix(now)}${randomBytes(4).readUInt32BE(0)}`);
    try {
      fs.mkdirSync(ts, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    fs.chmodSync(ts, 0o755);
    return ts;
  }
}

function payloadHash(payload: Payload): string {
  const h = createHash('sha256');
  for (const [p, f] of [...payload].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) h.update(`${p}\0${f.mode}\0${f.data.length}\0`).update(f.data);
  return h.digest('hex');
}

function within(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/** The tmpfs size of an emptyDir: its sizeLimit, else (for Memory) the container's memory limit, as the kubelet sizes memory-backed volumes. */
function emptyDirSize(vol: Volume, c: Container): number | undefined {
  const limit = vol.emptyDir?.sizeLimit !== undefined ? parseQuantity(vol.emptyDir.sizeLimit) : null;
  if (limit !== null && limit > 0) return limit;
  if (vol.emptyDir?.medium === 'Memory') {
    const mem = c.resources?.limits?.memory !== undefined ? parseQuantity(c.resources.limits.memory) : null;
    if (mem !== null && mem > 0) return mem;
  }
  return undefined;
}

/** One pod's volumes as they are on disk. */
interface PodRecord {
  dir: string;
  workload: WorkloadVolumes;
  podId: string;
  alive: () => boolean;
  /** Hash of the payload last written per volume name. */
  written: Map<string, string>;
  /** tmpfs mounts made for its emptyDirs. */
  tmpfs: string[];
}

/** How often mounted Secrets and ConfigMaps are compared with the store and rewritten (the kubelet resyncs about every minute). */
export const VOLUME_RESYNC_MS = 5_000;

/**
 * Every pod's volumes, under `root` (DATA_DIR/volumes, mode 0700: an instance reaches only what is
 * bound into it). A pod's directory lives as long as its replica (`alive`): a restarted container
 * finds its emptyDir as it left it, as in a pod.
 */
export class VolumeManager {
  readonly root: string;
  private readonly pods = new Map<string, PodRecord>();
  private timer: NodeJS.Timeout | undefined;

  constructor(root: string) {
    this.root = root;
  }

  /** Removes what a previous knit left (unmounting its tmpfs first); called at startup. */
  cleanup(): void {
    for (const m of mountsUnder(this.root).reverse()) unmount(m);
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  /**
   * Sets up the volumes the container mounts for pod `podId` of revision `key` (or refreshes them on
   * a restart of the same pod) and returns the binds; an error is the kubelet's FailedMount message.
   */
  prepare(key: string, podId: string, w: WorkloadVolumes, alive: () => boolean): { binds: VolumeBind[] } | { error: VolumeError } {
    const id = `${key}/${podId}`;
    let rec = this.pods.get(id);
    if (!rec) {
      rec = { dir: path.join(this.root, ...key.split('/'), podId), workload: w, podId, alive, written: new Map(), tmpfs: [] };
      this.pods.set(id, rec);
    }
    rec.alive = alive;
    rec.workload = w;
    this.arm();
    fs.mkdirSync(this.root, { recursive: true, mode: 0o700 });
    fs.chmodSync(this.root, 0o700);
    fs.mkdirSync(rec.dir, { recursive: true, mode: 0o700 });
    const byName = new Map(w.volumes.map((v) => [v.name, v]));
    const mounts = w.container.volumeMounts ?? [];
    const used = new Set(mounts.map((m) => m.name));
    for (const name of used) {
      const vol = byName.get(name);
      if (!vol) continue;
      const err = this.setUp(rec, vol);
      if (err) {
        // The pod stays ContainerCreating (the waiting reason Knative copies to ResourcesAvailable); the kubelet's event says why.
        const message = `MountVolume.SetUp failed for volume ${JSON.stringify(name)} : ${err}`;
        w.onFailedMount?.(message);
        return { error: { reason: 'ContainerCreating', message } };
      }
    }
    const binds: VolumeBind[] = [];
    for (const m of mounts) {
      const b = this.bindOf(rec, m, byName.get(m.name));
      if ('error' in b) return { error: b.error };
      binds.push(b);
    }
    return { binds };
  }

  private setUp(rec: PodRecord, vol: Volume): string | undefined {
    const dir = path.join(rec.dir, vol.name);
    if (vol.emptyDir) {
      if (fs.existsSync(dir)) return undefined;
      fs.mkdirSync(dir, { mode: 0o777 });
      fs.chmodSync(dir, 0o777);
      const size = emptyDirSize(vol, rec.workload.container);
      if (vol.emptyDir.medium === 'Memory' || size !== undefined) {
        const opts = ['mode=0777', ...(size !== undefined ? [`size=${Math.max(4096, Math.ceil(size / 4096) * 4096)}`] : [])].join(',');
        const r = spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'knit-emptydir', dir], { encoding: 'utf8' });
        if (r.status !== 0) {
          fs.rmSync(dir, { recursive: true, force: true });
          return `mounting a tmpfs for the emptyDir failed (knit needs to run as root for medium Memory or a sizeLimit): ${(r.stderr || r.error?.message || '').trim()}`;
        }
        rec.tmpfs.push(dir);
      }
      return undefined;
    }
    const p = volumePayload(vol, rec.workload, rec.podId);
    // Once set up, a volume whose source went away keeps its files (a restarted container still starts).
    if ('error' in p) return rec.written.has(vol.name) ? undefined : p.error;
    const hash = payloadHash(p.payload);
    if (rec.written.get(vol.name) === hash && fs.existsSync(path.join(dir, DATA_DIR_NAME))) return undefined;
    try {
      writeAtomic(dir, p.payload, rec.workload.owner);
    } catch (err) {
      return (err as Error).message;
    }
    rec.written.set(vol.name, hash);
    return undefined;
  }

  /**
   * The host path a mount binds: the volume's directory, or with subPath the path inside it
   * (resolved now, so a later update of a Secret does not reach it, as in Kubernetes). A subPath
   * that leaves the volume (through `..` or a symlink) is refused as the kubelet refuses it.
   */
  private bindOf(rec: PodRecord, m: VolumeMount, vol: Volume | undefined): VolumeBind | { error: VolumeError } {
    const dir = path.join(rec.dir, m.name);
    const readOnly = !vol?.emptyDir || m.readOnly === true;
    if (!m.subPath) return { hostPath: dir, mountPath: m.mountPath, readOnly };
    const fail = { error: { reason: 'CreateContainerConfigError', message: `failed to prepare subPath for volumeMount ${JSON.stringify(m.name)} of container ${JSON.stringify(rec.workload.container.name ?? 'user-container')}` } };
    if (payloadPathError(m.subPath)) return fail;
    const target = path.join(dir, m.subPath);
    if (!fs.existsSync(target)) {
      // The kubelet creates a missing subPath directory in a writable volume.
      if (!vol?.emptyDir) return fail;
      fs.mkdirSync(target, { recursive: true, mode: 0o777 });
    }
    const real = fs.realpathSync(target);
    if (!within(real, fs.realpathSync(dir))) return fail;
    return { hostPath: real, mountPath: m.mountPath, readOnly };
  }

  /** Rewrites every live pod's Secret, ConfigMap and projected volumes that changed; forgets pods that are gone. */
  resync(): void {
    for (const [id, rec] of this.pods) {
      if (!rec.alive()) {
        this.releasePod(id, rec);
        continue;
      }
      const used = new Set((rec.workload.container.volumeMounts ?? []).map((m) => m.name));
      for (const vol of rec.workload.volumes) {
        if (vol.emptyDir || !used.has(vol.name)) continue;
        // A source that is gone or broken keeps the files as they are (the kubelet's SetUp fails and retries).
        if (fs.existsSync(path.join(rec.dir, vol.name))) this.setUp(rec, vol);
      }
    }
    if (this.pods.size === 0) this.disarm();
  }

  /** Removes every pod volume of revision `key` (the revision is gone or its instances stopped). */
  releaseRevision(key: string): void {
    for (const [id, rec] of this.pods) if (id.startsWith(`${key}/`)) this.releasePod(id, rec);
    fs.rmSync(path.join(this.root, ...key.split('/')), { recursive: true, force: true });
  }

  private releasePod(id: string, rec: PodRecord): void {
    this.pods.delete(id);
    for (const m of rec.tmpfs) unmount(m);
    fs.rmSync(rec.dir, { recursive: true, force: true });
  }

  /** Stops the resync timer and removes every pod's volumes. */
  close(): void {
    this.disarm();
    for (const [id, rec] of this.pods) this.releasePod(id, rec);
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.resync(), VOLUME_RESYNC_MS);
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** Mount points under `dir` in this mount namespace, shallowest first (from /proc/self/mountinfo). */
function mountsUnder(dir: string): string[] {
  let text = '';
  try {
    text = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const root = path.resolve(dir);
  return text.split('\n').map((l) => l.split(' ')[4]).filter((m): m is string => !!m)
    .map((m) => m.replace(/\\(\d{3})/g, (_s, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((m) => within(m, root)).sort((a, b) => a.length - b.length);
}

function unmount(p: string): void {
  spawnSync('umount', ['-l', p], { stdio: 'ignore' });
}

/**
 * The bubblewrap arguments that bind `binds` into a sandbox whose read-only trees are `roTrees`
 * (host directories bound at their own path). A mount point is created where the sandbox can create
 * it (its tmpfs root, /tmp); one missing inside a read-only tree is made on a private tmpfs laid over
 * its deepest existing directory, whose entries are bound back read-only, so that the host tree is
 * never written. Parents come before children (as runc sorts mounts by depth).
 */
export function sandboxVolumeArgs(binds: readonly VolumeBind[], roTrees: readonly string[]): string[] {
  const args: string[] = [];
  const made = new Set<string>();
  const expanded: string[] = [];
  const sorted = [...binds].sort((a, b) => a.mountPath.split('/').length - b.mountPath.split('/').length);
  for (const b of sorted) {
    const target = path.resolve('/', b.mountPath);
    // A file:// image lives at its host path: a volume over one of its ancestors would hide the app itself.
    const hidden = roTrees.find((t) => t !== target && within(t, target));
    if (hidden) throw new RuntimeError('CreateContainerError', `volume mountPath ${target} would hide ${hidden}, which the sandbox binds at its host path (the image directory, Node or its node_modules); mount the volume elsewhere`);
    const isFile = fs.statSync(b.hostPath, { throwIfNoEntry: false })?.isFile() === true;
    const tree = roTrees.filter((t) => within(target, t) && target !== t).sort((x, y) => y.length - x.length)[0];
    const inExpanded = (p: string): boolean => expanded.some((e) => within(p, e));
    if (tree && !inExpanded(target)) {
      const st = fs.statSync(target, { throwIfNoEntry: false });
      const exists = st && (isFile ? st.isFile() : st.isDirectory());
      if (!exists) {
        let a = path.dirname(target);
        while (!fs.statSync(a, { throwIfNoEntry: false })?.isDirectory()) a = path.dirname(a);
        if (!inExpanded(a)) {
          args.push('--perms', '0755', '--tmpfs', a);
          for (const e of fs.readdirSync(a, { withFileTypes: true })) {
            const p = path.join(a, e.name);
            if (e.isSymbolicLink()) args.push('--symlink', fs.readlinkSync(p), p);
            else if (e.isDirectory() || e.isFile()) args.push('--ro-bind', p, p);
            else args.push('--ro-bind-try', p, p);
          }
          expanded.push(a);
          made.add(a);
        }
      }
    }
    // Missing parents: a directory of a read-only tree (or re-bound on an expanded tmpfs) exists when the host has it.
    for (const p of ancestors(target)) {
      // The sandbox already has /tmp, and every ancestor of a bound tree (made when the tree was bound).
      if (made.has(p) || p === '/tmp' || roTrees.some((t) => within(t, p))) continue;
      const onHost = (roTrees.some((t) => within(p, t)) || inExpanded(p)) && fs.statSync(p, { throwIfNoEntry: false })?.isDirectory();
      if (onHost) continue;
      made.add(p);
      args.push('--perms', '0755', '--dir', p);
    }
    args.push(b.readOnly ? '--ro-bind' : '--bind', b.hostPath, target);
    made.add(target);
  }
  return args;
}

/** The ancestors of an absolute path, outermost first, `/` excluded. */
function ancestors(p: string): string[] {
  const out: string[] = [];
  for (let d = path.dirname(p); d !== '/'; d = path.dirname(d)) out.unshift(d);
  return out;
}
