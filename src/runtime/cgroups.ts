// Memory and CPU limits for `file://` instances through cgroups (v1 or v2): one cgroup per instance under `knit/<owner>/`.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseQuantity } from '../api/go-values.ts';

/** The CFS period every quota is expressed in (kubernetes pkg/kubelet/cm/helpers_linux.go QuotaPeriod, 100 ms). */
export const CPU_PERIOD_US = 100_000;
/** kubernetes pkg/kubelet/cm/helpers_linux.go MinShares, MaxShares, MinQuotaPeriod. */
export const MIN_SHARES = 2;
export const MAX_SHARES = 262_144;
export const MIN_QUOTA_US = 1000;

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> } | undefined;

/**
 * A CPU quantity in millicores, rounded up as k8s.io/apimachinery resource.Quantity MilliValue
 * rounds; undefined when absent, unparsable or not positive.
 */
export function milliCpu(q: string | undefined): number | undefined {
  if (q === undefined) return undefined;
  const v = parseQuantity(q);
  if (v === null || v <= 0) return undefined;
  return Math.ceil(v * 1000 - 1e-9);
}

/** kubernetes pkg/kubelet/cm/helpers_linux.go MilliCPUToShares: milli × 1024 / 1000, within [2, 262144]. */
export function milliCpuToShares(milli: number): number {
  if (milli <= 0) return MIN_SHARES;
  const shares = Math.floor((milli * 1024) / 1000);
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
}

/** kubernetes pkg/kubelet/cm/helpers_linux.go MilliCPUToQuota: milli × period / 1000, at least 1000 µs. */
export function milliCpuToQuota(milli: number, periodUs = CPU_PERIOD_US): number {
  return Math.max(MIN_QUOTA_US, Math.floor((milli * periodUs) / 1000));
}

/** opencontainers/runc libcontainer/cgroups/utils.go ConvertCPUSharesToCgroupV2Value: 1 + ((shares − 2) × 9999) / 262142. */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** What one instance's cgroup enforces, in the kubelet's units. */
export interface ResourceSettings {
  /** limits.memory in bytes (no swap beyond it, as on a kubelet node). */
  memoryBytes?: number;
  /** limits.cpu as a CFS quota per CPU_PERIOD_US. */
  cpuQuotaUs?: number;
  cpuPeriodUs: number;
  /** requests.cpu (else limits.cpu, as Kubernetes defaults a request to its limit) as cpu.shares. */
  cpuShares: number;
}

/** The limits of a container that only a cgroup can enforce (the revision fails without one). */
export function enforcedLimits(resources: Resources): string[] {
  const out: string[] = [];
  const lim = resources?.limits ?? {};
  if (lim.memory !== undefined && (parseQuantity(lim.memory) ?? 0) > 0) out.push('limits.memory');
  if (milliCpu(lim.cpu) !== undefined) out.push('limits.cpu');
  return out;
}

/**
 * Whether a container gets a cgroup at all: only when it sets something a cgroup enforces (a memory
 * or CPU limit, a CPU request). Others run as before, as tasks of knit's own cgroup: grouping them
 * would only make them, together, weigh as one task against the host's (see CgroupManager.create).
 */
export function wantsCgroup(resources: Resources): boolean {
  return enforcedLimits(resources).length > 0 || milliCpu(resources?.requests?.cpu) !== undefined;
}

/** The kubelet's cgroup values for a container's resources (kubernetes pkg/kubelet/kuberuntime/kuberuntime_container_linux.go). */
export function resourceSettings(resources: Resources): ResourceSettings {
  const lim = resources?.limits ?? {};
  const req = resources?.requests ?? {};
  const memory = lim.memory !== undefined ? parseQuantity(lim.memory) : null;
  const cpuLimit = milliCpu(lim.cpu);
  const cpuRequest = milliCpu(req.cpu) ?? cpuLimit;
  return {
    ...(memory !== null && memory > 0 ? { memoryBytes: Math.floor(memory) } : {}),
    ...(cpuLimit !== undefined ? { cpuQuotaUs: milliCpuToQuota(cpuLimit) } : {}),
    cpuPeriodUs: CPU_PERIOD_US,
    cpuShares: milliCpuToShares(cpuRequest ?? 0),
  };
}

/** One file to write in an instance's cgroup: `controller` names the v1 hierarchy (ignored on v2). */
export interface CgroupWrite {
  controller: 'memory' | 'cpu';
  file: string;
  value: string;
  /** Written only when the kernel offers the file (memsw needs swap accounting, memory.oom.group a 4.19+ kernel). */
  optional?: boolean;
}

/** The v1 files, in the order the kernel accepts them (memsw may never be below the memory limit). */
export function v1Writes(s: ResourceSettings): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  if (s.memoryBytes !== undefined) {
    w.push({ controller: 'memory', file: 'memory.limit_in_bytes', value: String(s.memoryBytes) });
    w.push({ controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: String(s.memoryBytes), optional: true });
  }
  if (s.cpuQuotaUs !== undefined) {
    w.push({ controller: 'cpu', file: 'cpu.cfs_period_us', value: String(s.cpuPeriodUs) });
    w.push({ controller: 'cpu', file: 'cpu.cfs_quota_us', value: String(s.cpuQuotaUs) });
  }
  w.push({ controller: 'cpu', file: 'cpu.shares', value: String(s.cpuShares) });
  return w;
}

/**
 * The v2 files: runc's translation of the same settings (memory.swap.max 0 for a swap limit equal to
 * the memory limit, cpu.max "QUOTA PERIOD", cpu.weight from the shares) and memory.oom.group, which
 * the kubelet sets on v2 so that an OOM kill takes the whole container.
 */
export function v2Writes(s: ResourceSettings): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  if (s.memoryBytes !== undefined) {
    w.push({ controller: 'memory', file: 'memory.max', value: String(s.memoryBytes) });
    w.push({ controller: 'memory', file: 'memory.swap.max', value: '0', optional: true });
  }
  w.push({ controller: 'memory', file: 'memory.oom.group', value: '1', optional: true });
  if (s.cpuQuotaUs !== undefined) w.push({ controller: 'cpu', file: 'cpu.max', value: `${s.cpuQuotaUs} ${s.cpuPeriodUs}` });
  w.push({ controller: 'cpu', file: 'cpu.weight', value: String(sharesToWeight(s.cpuShares)) });
  return w;
}

/** The hierarchies knit writes to: v1's memory, cpu and cpuacct mounts, or v2's unified mount. */
export type CgroupHierarchy = { version: 1; memory: string; cpu: string; cpuacct: string } | { version: 2; unified: string };

/** Whether knit can create cgroups here, or why not. */
export type CgroupSupport = { ok: true; hierarchy: CgroupHierarchy } | { ok: false; why: string };

/** The cgroup mounts of /proc/mounts: v1 controllers by mount point, and the cgroup2 mount points. */
export function parseCgroupMounts(mounts: string): { v1: Map<string, string>; v2: string[] } {
  const v1 = new Map<string, string>();
  const v2: string[] = [];
  for (const line of mounts.split('\n')) {
    const [, dir, type, opts] = line.split(' ');
    if (type === 'cgroup') for (const o of (opts ?? '').split(',')) if (!v1.has(o)) v1.set(o, dir);
    if (type === 'cgroup2') v2.push(dir);
  }
  return { v1, v2 };
}

/**
 * Detects the hierarchy: v1 when the memory and cpu controllers are mounted as v1 (a hybrid host's
 * cgroup2 mount then holds no controller), else a cgroup2 mount that offers both. Creating cgroups
 * and moving processes into them needs root.
 */
export function detectCgroups(mountsFile = '/proc/mounts'): CgroupSupport {
  if (process.getuid?.() !== 0) return { ok: false, why: 'knit is not running as root, so it cannot create cgroups' };
  let text = '';
  try {
    text = fs.readFileSync(mountsFile, 'utf8');
  } catch (err) {
    return { ok: false, why: `${mountsFile} cannot be read (${(err as Error).message})` };
  }
  const { v1, v2 } = parseCgroupMounts(text);
  const memory = v1.get('memory');
  const cpu = v1.get('cpu');
  if (memory && cpu) return { ok: true, hierarchy: { version: 1, memory, cpu, cpuacct: v1.get('cpuacct') ?? cpu } };
  for (const dir of v2) {
    let controllers: string[] = [];
    try {
      controllers = fs.readFileSync(path.join(dir, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
    } catch {
      continue;
    }
    if (controllers.includes('memory') && controllers.includes('cpu')) return { ok: true, hierarchy: { version: 2, unified: dir } };
  }
  return { ok: false, why: 'the memory and cpu cgroup controllers are not mounted (neither cgroup v1 nor v2 offers them)' };
}

/** The refusal of a revision whose limits need cgroups that knit cannot create. */
export function cgroupRefusal(limits: string[], why: string): string {
  return `${limits.join(' and ')} ${limits.length > 1 ? 'are' : 'is'} enforced through cgroups and ${why}; run knit as root on a host with the memory and cpu cgroup controllers, or remove the limit`;
}

const SAFE_PATH = /^[\w./-]+$/;

/**
 * `argv` behind a shell that first moves itself into the cgroups `dirs` (each one's cgroup.procs), then
 * execs: the first instruction already runs there, and everything it forks stays there.
 */
function joinCgroupsArgv(dirs: string[], argv: string[]): string[] {
  const files = dirs.map((d) => path.join(d, 'cgroup.procs'));
  for (const f of files) if (!SAFE_PATH.test(f)) throw new Error(`unsafe cgroup path ${f}`);
  const script = `${files.map((f) => `echo $$ > '${f}'`).join(' && ')} && exec "$@"`;
  return ['/bin/sh', '-c', script, 'knit-cgroup', ...argv];
}

/**
 * The instance cgroup directories in use (InstanceCgroup, StartingCgroups), with how many instances hold each:
 * a container restarted under the same id takes its directory again while the previous one's removal still
 * waits for its processes to go.
 */
const claimedDirs = new Map<string, number>();

function claimDirs(dirs: string[]): void {
  for (const d of dirs) claimedDirs.set(d, (claimedDirs.get(d) ?? 0) + 1);
}

function releaseDirs(dirs: string[]): void {
  for (const d of dirs) {
    const n = (claimedDirs.get(d) ?? 1) - 1;
    if (n > 0) claimedDirs.set(d, n);
    else claimedDirs.delete(d);
  }
}

/**
 * Removes cgroup directory `dir` once its processes are gone (the kernel answers EBUSY while the last ones
 * are being reaped), retrying until `deadline` (ms since the epoch); a directory already gone is fine. It
 * stops as soon as the directory is claimed again (claimDirs): the next process would otherwise find it gone
 * and fail to join it.
 */
async function removeCgroupDir(dir: string, deadline: number): Promise<void> {
  for (;;) {
    // An instance started again under the same id (a restarted container) has this directory now: it stays.
    if (claimedDirs.has(dir)) return;
    try {
      fs.rmdirSync(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || Date.now() > deadline) {
        console.error(`knit: cannot remove cgroup ${dir}: ${(err as Error).message}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** One instance's cgroup: a directory per hierarchy (v1) or one directory (v2). */
export class InstanceCgroup {
  readonly hierarchy: CgroupHierarchy;
  /** By role: where the limits, the memory events and the CPU usage live. */
  readonly memoryDir: string;
  readonly cpuDir: string;
  readonly cpuacctDir: string;
  private removed = false;

  constructor(hierarchy: CgroupHierarchy, rel: string) {
    this.hierarchy = hierarchy;
    if (hierarchy.version === 1) {
      this.memoryDir = path.join(hierarchy.memory, rel);
      this.cpuDir = path.join(hierarchy.cpu, rel);
      this.cpuacctDir = path.join(hierarchy.cpuacct, rel);
    } else {
      this.memoryDir = this.cpuDir = this.cpuacctDir = path.join(hierarchy.unified, rel);
    }
  }

  /** Its directories, one per distinct hierarchy. */
  get dirs(): string[] {
    return [...new Set([this.memoryDir, this.cpuDir, this.cpuacctDir])];
  }

  /**
   * `argv` behind a shell that first moves itself into the cgroup (every hierarchy's
   * cgroup.procs), then execs: the instance's first instruction already runs under its limits, and
   * everything it forks stays in the cgroup.
   */
  joinArgv(argv: string[]): string[] {
    return joinCgroupsArgv(this.dirs, argv);
  }

  /**
   * The instance's own cgroup as the sandbox mounts it, read-only, where a container sees its
   * cgroup (/sys/fs/cgroup/memory, /sys/fs/cgroup/cpu, ... on v1; /sys/fs/cgroup on v2).
   */
  sandboxBinds(): { source: string; target: string }[] {
    if (this.hierarchy.version === 2) return [{ source: this.memoryDir, target: '/sys/fs/cgroup' }];
    const binds = [{ source: this.memoryDir, target: '/sys/fs/cgroup/memory' }, { source: this.cpuDir, target: '/sys/fs/cgroup/cpu' }];
    if (this.cpuacctDir !== this.cpuDir) binds.push({ source: this.cpuacctDir, target: '/sys/fs/cgroup/cpuacct' });
    return binds;
  }

  /** How many processes the OOM killer killed in it (v1 memory.oom_control, v2 memory.events `oom_kill`). */
  oomKills(): number {
    const file = this.hierarchy.version === 1 ? 'memory.oom_control' : 'memory.events';
    try {
      const m = /^oom_kill (\d+)$/m.exec(fs.readFileSync(path.join(this.memoryDir, file), 'utf8'));
      return m ? Number(m[1]) : 0;
    } catch {
      return 0;
    }
  }

  /** CPU time its processes used, in seconds (v1 cpuacct.usage, v2 cpu.stat usage_usec). */
  cpuSeconds(): number | undefined {
    try {
      if (this.hierarchy.version === 1) return Number(fs.readFileSync(path.join(this.cpuacctDir, 'cpuacct.usage'), 'utf8').trim()) / 1e9;
      const m = /^usage_usec (\d+)$/m.exec(fs.readFileSync(path.join(this.cpuDir, 'cpu.stat'), 'utf8'));
      return m ? Number(m[1]) / 1e6 : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Removes its directories once its processes are gone (a cgroup with processes cannot be
   * removed: the kernel answers EBUSY while the last ones are being reaped), then its owner's
   * directory if that is empty now. Gives up after `timeoutMs`.
   */
  async remove(timeoutMs = 5000): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    releaseDirs(this.dirs);
    const deadline = Date.now() + timeoutMs;
    for (const dir of this.dirs) {
      await removeCgroupDir(dir, deadline);
      try {
        fs.rmdirSync(path.dirname(dir));
      } catch {
        // other instances of this owner still have theirs
      }
    }
  }
}

/**
 * Creates instance cgroups under `PARENT/<owner>/` in each hierarchy, at the hierarchy's root (as a
 * kubelet's `kubepods` and podman's `libpod_parent` are), where knit's own cgroup does not matter.
 */
export class CgroupManager {
  static readonly PARENT = 'knit';
  readonly hierarchy: CgroupHierarchy;
  private readonly swept = new Set<string>();
  private readonly startingGroups = new Map<string, StartingCgroups | undefined>();

  constructor(hierarchy: CgroupHierarchy) {
    this.hierarchy = hierarchy;
  }

  /** The cpu cgroups of knit `owner`'s instances without resources (see StartingCgroups), opened on first use. */
  starting(owner: string): StartingCgroups | undefined {
    if (!this.startingGroups.has(owner)) this.startingGroups.set(owner, StartingCgroups.open(this.hierarchy, owner));
    return this.startingGroups.get(owner);
  }

  /** Creates the cgroup of instance `id` of knit `owner` and writes the settings; throws with the kernel's reason. */
  create(owner: string, id: string, s: ResourceSettings): InstanceCgroup {
    if (!/^[\w.-]+$/.test(owner) || !/^[\w.-]+$/.test(id)) throw new Error(`invalid cgroup name ${owner}/${id}`);
    const ownerRel = path.join(CgroupManager.PARENT, owner);
    const cg = new InstanceCgroup(this.hierarchy, path.join(ownerRel, id));
    if (this.hierarchy.version === 2) this.enableV2(ownerRel);
    this.sweep(cg);
    for (const dir of cg.dirs) fs.mkdirSync(dir, { recursive: true });
    claimDirs(cg.dirs);
    this.weighParents(ownerRel);
    try {
      const writes = this.hierarchy.version === 1 ? v1Writes(s) : v2Writes(s);
      for (const w of writes) {
        const dir = w.controller === 'memory' ? cg.memoryDir : cg.cpuDir;
        const file = path.join(dir, w.file);
        if (w.optional && !fs.existsSync(file)) continue;
        try {
          fs.writeFileSync(file, w.value);
        } catch (err) {
          throw new Error(`cannot write ${w.value} to ${file}: ${(err as Error).message}`, { cause: err });
        }
      }
    } catch (err) {
      void cg.remove(0);
      throw err;
    }
    return cg;
  }

  /** v2 delegates controllers level by level: each ancestor's cgroup.subtree_control must enable memory and cpu. */
  private enableV2(ownerRel: string): void {
    if (this.hierarchy.version !== 2) return;
    let dir = this.hierarchy.unified;
    for (const part of ['', ...ownerRel.split('/')]) {
      dir = path.join(dir, part);
      fs.mkdirSync(dir, { recursive: true });
      const control = path.join(dir, 'cgroup.subtree_control');
      const enabled = fs.readFileSync(control, 'utf8').trim().split(/\s+/);
      const missing = ['memory', 'cpu'].filter((c) => !enabled.includes(c));
      if (missing.length === 0) continue;
      try {
        fs.writeFileSync(control, missing.map((c) => `+${c}`).join(' '));
      } catch (err) {
        throw new Error(`cannot enable the ${missing.join(' and ')} controllers in ${control}: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  /**
   * The parents weigh what the machine's CPUs do, as the kubelet gives `kubepods` the node's
   * allocatable CPU as shares (kubernetes pkg/kubelet/cm/node_container_manager_linux.go): with
   * the default 1024, all instances together would count as one task against the host's.
   */
  private weighParents(ownerRel: string): void {
    const shares = Math.min(MAX_SHARES, os.availableParallelism() * 1024);
    const root = this.hierarchy.version === 1 ? this.hierarchy.cpu : this.hierarchy.unified;
    const [file, value] = this.hierarchy.version === 1 ? ['cpu.shares', String(shares)] : ['cpu.weight', String(sharesToWeight(shares))];
    for (const rel of [CgroupManager.PARENT, ownerRel]) {
      try {
        fs.writeFileSync(path.join(root, rel, file), value);
      } catch {
        // left at the kernel's default weight
      }
    }
  }

  /** Once per owner: removes the empty cgroups a crashed knit left (rmdir only ever removes empty ones). */
  private sweep(cg: InstanceCgroup): void {
    for (const dir of cg.dirs) {
      const ownerDir = path.dirname(dir);
      if (this.swept.has(ownerDir)) continue;
      this.swept.add(ownerDir);
      let entries: fs.Dirent[] = [];
      try {
        entries = fs.readdirSync(ownerDir, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        try {
          fs.rmdirSync(path.join(ownerDir, e.name));
        } catch {
          // still has processes
        }
      }
    }
  }
}

/**
 * How many tasks' weight all starting instances of one knit have together, per core (StartingCgroups): up to
 * that many start at a task's weight each, more share it. Measured on 2 cores (docs/architecture.md "Cold-start
 * storms"): with 100 starting at a task's weight each, a warm service's p99 was ~200 ms; with all of them
 * weighing 1 to 4 tasks per core, 25-80 ms, 8 per core 75-180 ms; but a restart of knit that brings back 72
 * instances at once, with knit's own reconciling and other work on the machine, needs 6-8 per core to answer
 * within 2 s (test/e2e-chaos.test.ts, next to two other test files): the bound favours the restart.
 */
export const STARTING_TASKS_PER_CPU = 8;

/** The cpu.shares of STARTING_TASKS_PER_CPU tasks per core: what all starting instances weigh together, at most. */
function startingPoolShares(): number {
  return Math.min(MAX_SHARES, STARTING_TASKS_PER_CPU * os.availableParallelism() * StartingCgroups.TASK_SHARES);
}

/** The gateway threads' cgroup of knit `owner` (an instance's is `knit-<owner>-<revision>-<suffix>`, never this). */
function gatewayCgroupName(owner: string): string {
  return `knit-${owner}-gateway`;
}

/**
 * The gateway threads' own cpu cgroup (docs/architecture.md "Cold-start storms"), v1, at the root of the cpu
 * hierarchy beside the instances' cgroups: `knit-<owner>-gateway`. It weighs a task (1024) while nothing starts,
 * and while instances start it weighs what they weigh together (StartingCgroups writes both in one pass): the
 * data plane never weighs less than a storm of cold starts beside it. Without it the gateway threads are knit's
 * threads, and knit is one scheduling entity of a task's weight (its autogroup, or the cgroup it was started in)
 * that its main thread keeps busy reconciling the storm: measured on 2 cores (bench/storm.ts), a warm service's
 * p99 was 50-170 ms with 100 instances starting, 15-40 ms with the gateway threads here. Weighing the storm's
 * weight also when nothing starts cost a quarter of the gateway's throughput under bench/proxy.ts (the
 * backend, at a task's weight, waited on it). Only the gateway threads join it (a v1 cgroup's `tasks` takes one
 * thread), each as it starts (joinThreadToCgroup); the main thread and the spawner stay where knit was started.
 */
export class GatewayCgroup {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** knit `owner`'s gateway cgroup (created, or the one a crashed knit of this data directory left), or undefined where there is none (not v1; not writable). */
  static open(hierarchy: CgroupHierarchy, owner: string): GatewayCgroup | undefined {
    if (hierarchy.version !== 1 || !/^[\w.-]+$/.test(owner)) return undefined;
    const g = new GatewayCgroup(path.join(hierarchy.cpu, gatewayCgroupName(owner)));
    try {
      fs.mkdirSync(g.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
    }
    try {
      fs.writeFileSync(path.join(g.dir, 'cpu.shares'), String(StartingCgroups.TASK_SHARES));
    } catch {
      try {
        fs.rmdirSync(g.dir);
      } catch {
        // a crashed knit's, still busy
      }
      return undefined;
    }
    return g;
  }

  /** Removes the cgroup once the gateway threads are gone; resolves when it is gone or after `timeoutMs`. */
  async remove(timeoutMs = 5000): Promise<void> {
    await removeCgroupDir(this.dir, Date.now() + timeoutMs);
  }
}

/**
 * Moves the calling thread, and only it, into the v1 cgroup `dir` (its `tasks` file takes a thread id; the
 * thread's id is the last part of /proc/thread-self). False when the kernel refused: the thread stays where it was.
 */
export function joinThreadToCgroup(dir: string): boolean {
  try {
    const tid = fs.readlinkSync('/proc/thread-self').split('/').pop() ?? '';
    if (!/^\d+$/.test(tid)) return false;
    fs.writeFileSync(path.join(dir, 'tasks'), tid);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starting instances share a bounded weight (docs/architecture.md "Cold-start storms").
 *
 * Every instance is its own session (its own process group, so a stop reaches all of it), and with Linux's
 * scheduler autogroups every session is one scheduling entity: 100 instances starting at once would leave
 * knit's gateway, API and controllers — and the instances already serving — 1/101 of the CPU. So an
 * instance without a cgroup of its own runs in a cpu cgroup of its own at the root of the cpu hierarchy
 * (v1), `knit-<owner>-<id>`, beside the autogroups, joined before its first instruction
 * (StartingCgroups.joinArgv). While N of this knit's instances start, each weighs the smaller of a task
 * (1024 cpu.shares) and STARTING_TASKS_PER_CPU × cores × 1024 / N (at least 2): a few starts are not slowed,
 * a storm of them weighs a bounded number of tasks together. Once ready it weighs 1024, the weight of the
 * autogroup it would otherwise be. Changing weights moves no process (moving one between cgroups waits for an
 * RCU grace period: milliseconds on a loaded machine), and the shares writes of one turn of the event loop
 * are one pass. Instances with CPU or memory resources have their own cgroup (InstanceCgroup) and their
 * requests' weight.
 *
 * v1 only: a v2 hierarchy here would be a host where a child cgroup of the root needs the cpu controller
 * delegated, which CgroupManager.enableV2 does for the resource cgroups only; on v2 instances start as before.
 */
export class StartingCgroups {
  /** One task's weight: cpu.shares' default, an autogroup's at nice 0. */
  static readonly TASK_SHARES = 1024;
  private readonly root: string;
  private readonly owner: string;
  private readonly starting = new Set<string>();
  /** Starting instances requests wait for (awaited). */
  private readonly waitedFor = new Set<string>();
  private readonly live = new Set<string>();
  /** Prepared instances not started yet (create with `parked`). */
  private readonly parked = new Set<string>();
  /** Parked instances asked to start, waiting for their turn (process.ts StartQueue): part of a storm. */
  private readonly queued = new Set<string>();
  private rebalancing = false;
  /** The gateway cgroup's cpu.shares last written (GatewayCgroup). */
  private gatewayShares: number = StartingCgroups.TASK_SHARES;
  /** The cpu.shares last written per live instance (a write only when it changes). */
  private readonly written = new Map<string, number>();
  /** Whether the storm under way runs in the idle class (stormClass); undefined while there is none. */
  private stormYields: boolean | undefined;
  /** The cpu.idle last written per live instance (absent: 0, the kernel's default). */
  private readonly idleWritten = new Map<string, boolean>();
  /** What all of this knit's starting instances weigh together, at most: STARTING_TASKS_PER_CPU tasks per core. */
  private readonly startingWeight = startingPoolShares();

  private constructor(root: string, owner: string) {
    this.root = root;
    this.owner = owner;
  }

  /** knit `owner`'s starting cgroups, or undefined where there are none (not v1; the cpu hierarchy not writable). */
  static open(hierarchy: CgroupHierarchy, owner: string): StartingCgroups | undefined {
    if (hierarchy.version !== 1 || !/^[\w.-]+$/.test(owner)) return undefined;
    try {
      fs.accessSync(hierarchy.cpu, fs.constants.W_OK);
    } catch {
      return undefined;
    }
    const group = new StartingCgroups(hierarchy.cpu, owner);
    // What a crashed knit of this data directory left: its instances were killed (reapOrphans), so they are empty.
    // (The gateway threads' cgroup has the same prefix and is this knit's own: GatewayCgroup reuses it.)
    for (const name of fs.readdirSync(hierarchy.cpu)) {
      if (!name.startsWith(group.prefix) || name === gatewayCgroupName(owner)) continue;
      try {
        fs.rmdirSync(path.join(hierarchy.cpu, name));
      } catch {
        // still has processes
      }
    }
    return group;
  }

  private get prefix(): string {
    return `knit-${this.owner}-`;
  }

  /** The cgroup directory of instance `id`. */
  dir(id: string): string {
    return path.join(this.root, this.prefix + id);
  }

  /**
   * Creates instance `id`'s cgroup, weighted as a starting instance; false when the kernel refused (the
   * instance then starts in knit's own cgroup, as before). `parked`: an instance prepared ahead of its start
   * (process.ts ProcessInstance.prepare) weighs the least and is no starting instance until unpark(id).
   */
  create(id: string, parked = false): boolean {
    if (!/^[\w.-]+$/.test(id)) return false;
    try {
      fs.mkdirSync(this.dir(id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return false;
    }
    if (!this.live.has(id)) claimDirs([this.dir(id)]);
    this.live.add(id);
    if (parked) {
      this.parked.add(id);
      this.write(id, MIN_SHARES);
      return true;
    }
    this.starting.add(id);
    // Its own weight (and class) before its first instruction; the others' follow in one pass.
    this.writeIdle(id, this.stormClass());
    this.write(id, this.sharesOf(id));
    this.rebalance();
    return true;
  }

  /**
   * Whether starting instances run in the kernel's idle class now (cpu.idle 1, until each is ready): during a
   * storm, that is while more instances start at once (or wait for their turn to, `queue`) than
   * STARTING_TASKS_PER_CPU per core, if it began while other instances of this knit were ready.
   *
   * Weights alone do not keep the latency of the gateway and of the instances already serving: with group
   * scheduling a thread that slept wakes with little of its group's weight on its CPU, and with the kernel's
   * run-to-parity a starting app keeps the CPU for its slice (4 ms ticks at HZ 250) however little it weighs;
   * a woken gateway thread waited up to 43 ms behind them (perf sched, bench/storm.ts). A non-idle task that
   * wakes preempts an idle-class one at once (kernel sched/fair.c check_preempt_wakeup_fair); the starts get
   * what everything else leaves, weighing 3 each (the kernel's cpu.shares of an idle group).
   *
   * A storm that begins with nothing ready (every service at zero, a restart bringing everything back) keeps
   * its weights: there is no serving instance to protect, and knit's own work on the starts would win every
   * wakeup (bench/scale-from-zero.ts N=100: p95 1.45-1.77x of bare spawns with idle starts, 1.06-1.28x
   * weighted). A few starts (at most the bound) are never idle: they keep their weight on a busy machine.
   */
  private stormClass(): boolean {
    if (this.starting.size + this.queued.size <= STARTING_TASKS_PER_CPU * os.availableParallelism()) {
      this.stormYields = undefined;
      return false;
    }
    // Ready: live, neither starting nor parked (the queued are parked).
    this.stormYields ??= this.live.size > this.starting.size + this.parked.size;
    return this.stormYields;
  }

  /**
   * Parked instance `id` was asked to start and waits for its turn: still parked, but counted in a storm (so the
   * starts whose turn came are idle while a hundred wait behind them).
   */
  queue(id: string): void {
    if (!this.parked.has(id) || this.queued.has(id)) return;
    this.queued.add(id);
    this.rebalance();
  }

  /** Parked instance `id` starts: it weighs as a starting instance from now on. */
  unpark(id: string): void {
    this.queued.delete(id);
    if (!this.parked.delete(id) || !this.live.has(id)) return;
    this.starting.add(id);
    this.writeIdle(id, this.stormClass());
    this.write(id, this.sharesOf(id));
    this.rebalance();
  }

  /**
   * Requests wait for starting instance `id` (its revision has no ready instance and was asked for one):
   * until it is ready, the starting instances requests wait for share the starting weight, and the others
   * weigh the least (2) while there are any. A restart of knit brings back every revision's instances at
   * once; the ones a request is waiting for start first.
   */
  awaited(id: string): void {
    if (!this.starting.has(id) || this.waitedFor.has(id)) return;
    this.waitedFor.add(id);
    this.rebalance();
  }

  /** `argv` behind a shell that moves itself into instance `id`'s cgroup, then execs (as InstanceCgroup.joinArgv). */
  joinArgv(id: string, argv: string[]): string[] {
    return joinCgroupsArgv([this.dir(id)], argv);
  }

  /** Instance `id` is ready: it weighs one task from now on. */
  ready(id: string): void {
    this.waitedFor.delete(id);
    if (!this.starting.delete(id)) return;
    this.writeIdle(id, false);
    this.write(id, StartingCgroups.TASK_SHARES);
    this.rebalance();
  }

  /** The shares starting instance `id` has now: its part of the starting weight, or the least while others are awaited. */
  private sharesOf(id: string): number {
    const awaited = this.waitedFor.size;
    if (awaited > 0 && !this.waitedFor.has(id)) return MIN_SHARES;
    const sharing = awaited > 0 ? awaited : this.starting.size;
    return Math.max(MIN_SHARES, Math.floor(Math.min(StartingCgroups.TASK_SHARES, this.startingWeight / Math.max(1, sharing))));
  }

  /**
   * Removes instance `id`'s cgroup once its processes are gone (the kernel answers EBUSY while they are being
   * reaped); resolves when it is gone or after `timeoutMs`.
   */
  async remove(id: string, timeoutMs = 5000): Promise<void> {
    if (!this.live.delete(id)) return;
    releaseDirs([this.dir(id)]);
    this.parked.delete(id);
    this.waitedFor.delete(id);
    const wasStarting = this.starting.delete(id);
    if (this.queued.delete(id) || wasStarting) this.rebalance();
    this.written.delete(id);
    this.idleWritten.delete(id);
    await removeCgroupDir(this.dir(id), Date.now() + timeoutMs);
  }

  /** Writes every starting instance's shares, once, after the starts and readies of this turn of the event loop. */
  private rebalance(): void {
    if (this.rebalancing) return;
    this.rebalancing = true;
    setImmediate(() => {
      this.rebalancing = false;
      let total = 0;
      const storm = this.stormClass();
      for (const id of this.starting) {
        this.writeIdle(id, storm);
        const shares = this.sharesOf(id);
        this.write(id, shares);
        total += shares;
      }
      this.weighGateway(Math.max(StartingCgroups.TASK_SHARES, total));
    });
  }

  /** The gateway threads' cgroup (GatewayCgroup) weighs what the starting instances weigh together, at least a task. */
  private weighGateway(shares: number): void {
    if (this.gatewayShares === shares) return;
    this.gatewayShares = shares;
    try {
      fs.writeFileSync(path.join(this.root, gatewayCgroupName(this.owner), 'cpu.shares'), String(shares));
    } catch {
      // no gateway threads (knit serve --gateway-threads 0), or not this knit's
    }
  }

  /** Writes instance `id`'s cpu.idle when it changes (a kernel without the file: its starts stay weighted only). */
  private writeIdle(id: string, idle: boolean): void {
    if ((this.idleWritten.get(id) ?? false) === idle || !this.live.has(id)) return;
    try {
      fs.writeFileSync(path.join(this.dir(id), 'cpu.idle'), idle ? '1' : '0');
      this.idleWritten.set(id, idle);
      // The kernel sets the group's weight with its class (3 when idle, 1024 when not; kernel sched/fair.c
      // sched_group_set_idle) and refuses cpu.shares writes while it is idle: the next write is written.
      this.written.delete(id);
    } catch {
      // removed meanwhile, or no cpu.idle (before Linux 5.15)
    }
  }

  private write(id: string, shares: number): void {
    if (this.written.get(id) === shares || !this.live.has(id) || this.idleWritten.get(id)) return;
    try {
      fs.writeFileSync(path.join(this.dir(id), 'cpu.shares'), String(shares));
      this.written.set(id, shares);
    } catch {
      // removed meanwhile
    }
  }
}
