// The process runtime: a `file:///abs/dir` image runs as a process in a sandbox holding that directory (see sandbox.ts).

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeError, type Instance, type InstanceSpec, type Runtime } from './runtime.ts';
import { ChildInstance } from './child-instance.ts';
import { Spawner, type RemoteChild, type RemoteSpawnOptions } from './spawner.ts';
import { PodInstance, checkOneRuntime } from './pod.ts';
import { openNetns } from './process-pod.ts';
import type { Probe } from '../api/types.ts';
import { CgroupManager, cgroupRefusal, detectCgroups, enforcedLimits, resourceSettings, wantsCgroup, type CgroupSupport, type InstanceCgroup, type StartingCgroups } from './cgroups.ts';
import { gpuEnv, type GpuDevice } from './gpu.ts';
import {
  DEFAULT_GID, DEFAULT_UID, SANDBOX_ENV, bwrapArgs, childOf, detectSandbox, execInSandbox, instanceIdentity, readSandboxPid,
  signalGroupExcept, unsandboxedRefusal, verifyRunAsNonRoot, type SandboxLayout, type SandboxSupport, type SandboxTools,
} from './sandbox.ts';

/** Picks a free loopback port by binding port 0 and releasing it. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Loopback ports handed to instances that have not ended: freePort's port is free when it answers, but the
 * instance binds it only later, so instances started at once could be handed the same port (and the second's
 * readiness probe would reach the first's app). knit hands a port to one instance at a time.
 */
const instancePorts = new Set<number>();

/** A free loopback port no other instance of this knit holds; releaseInstancePort gives it back. */
export async function reserveInstancePort(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = await freePort();
    if (!instancePorts.has(port)) {
      instancePorts.add(port);
      return port;
    }
  }
  throw new RuntimeError('CreateContainerError', 'no free loopback port for the instance');
}

export function releaseInstancePort(port: number | undefined): void {
  if (port !== undefined) instancePorts.delete(port);
}

/** The directory a `file://` image names. */
export function imageDir(image: string): string {
  return fileURLToPath(image);
}

/** The minimal environment every instance starts from (never knit's own environment). */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  // Put the Node that runs knit first, so `node` in a workload means a supported Node.
  env.PATH = [path.dirname(process.execPath), process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'].join(':');
  for (const k of ['LANG', 'LC_ALL', 'TZ', 'HOME']) {
    const v = process.env[k];
    if (v) env[k] = v;
  }
  return env;
}

/**
 * The command line for an instance: the container's command + args; without a command, a
 * directory with a package.json runs `node <main>` (default `index.js`, or its start script's
 * file when that is `node FILE`).
 */
export function processCommand(dir: string, command: string[] | undefined, args: string[] | undefined): string[] {
  if (command && command.length > 0) return [...command, ...(args ?? [])];
  const pkgPath = path.join(dir, 'package.json');
  if (fs.existsSync(pkgPath)) {
    let pkg: { main?: unknown; scripts?: { start?: unknown } };
    try {
      pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8')) as typeof pkg;
    } catch (err) {
      throw new RuntimeError('ContainerMissing', `${pkgPath}: ${(err as Error).message}`, { cause: err });
    }
    const start = typeof pkg.scripts?.start === 'string' ? pkg.scripts.start.trim().split(/\s+/) : [];
    const main = start.length === 2 && start[0] === 'node' ? start[1] : typeof pkg.main === 'string' ? pkg.main : 'index.js';
    // The entry point is the image's file wherever the container's workingDir points.
    return [process.execPath, path.resolve(dir, main), ...(args ?? [])];
  }
  throw new RuntimeError(
    'ContainerMissing',
    `image ${pathToImage(dir)} has no entrypoint: set the container's command (kn: --cmd) or add a package.json`,
  );
}

/** Where an instance's stdout FIFO is made: `.ID.stdout` beside its log file (log listings take `*.log` only). */
function fifoPath(logFile: string): string {
  return path.join(path.dirname(logFile), `.${path.basename(logFile, '.log')}.stdout`);
}

function pathToImage(dir: string): string {
  return `file://${dir}`;
}

/** A `file://` pod's network namespace, which a container of the pod joins (see pod-net.ts). */
export interface PodNetns {
  /** A host pid inside the namespace (its holder). */
  pid: number;
  /** Runs an httpGet/tcpSocket/grpc probe from inside the namespace. */
  probe: (probe: Probe | undefined, port: number, timeoutMs: number) => Promise<boolean>;
}

/** A sandbox launched by ProcessInstance.launch, and what its probes need. */
interface Launched {
  child: RemoteChild;
  output: net.Socket;
  layout: SandboxLayout;
  env: Record<string, string>;
  tools: SandboxTools;
  sandboxPid: Promise<number | undefined>;
}

/**
 * The shell that execs a sandbox's app (as the instance's user, after setpriv), with stdin /dev/null: bwrap sets
 * PWD to the directory it changes to, and dash exports it; a container's app gets the env it was given, so $1
 * `set` puts back the container's own PWD ($2) and `unset` removes it.
 */
const EXEC = 'if [ "$1" = set ]; then export PWD="$2"; else unset PWD; fi; shift 2; exec "$@" </dev/null';

/**
 * The same for a prepared instance's sandbox: it first waits until knit opens its stdin gate (Spawner.openGate
 * writes `go`), then execs the app in its place (same pid). Gate closed without `go` (knit is gone): it exits.
 */
const GATE = `read -r go && [ "$go" = go ] || exit 0; ${EXEC}`;

/**
 * How many prepared instances start their app at once, per core. A scale from zero of a prepared instance is only
 * its app's start, so a burst of them made every app runnable in the same millisecond: 100 at once on 2 cores
 * left a warm service's backend waiting 20-40 ms for a CPU at a time (`bench/storm.ts`: warm p99 50-100 ms,
 * against 21-23 ms when the starts were spread by the sandbox set-up). 4 per core kept it at 15 ms.
 */
export const PREPARED_STARTS_PER_CPU = 4;

/** How long one start holds its place at most (an app that never gets ready must not hold the others back). */
const PREPARED_START_HOLD_MS = 1000;

/** A bounded number of places, first come first served: prepared starts (PREPARED_STARTS_PER_CPU), preparations. */
export class StartQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = Math.max(1, limit);
  }

  /**
   * Waits for a place: `turn` settles once this start may run (at once when a place is free). `leave()` gives the
   * place back (once ready, gone, or after PREPARED_START_HOLD_MS), or takes a waiting start out of the queue
   * (its `turn` then settles at once, without a place).
   */
  enter(): { turn: Promise<void>; leave: () => void } {
    let state: 'waiting' | 'running' | 'left' = 'waiting';
    let go!: () => void;
    const turn = new Promise<void>((resolve) => (go = resolve));
    let timer: NodeJS.Timeout | undefined;
    const start = (): void => {
      state = 'running';
      this.running++;
      timer = setTimeout(leave, PREPARED_START_HOLD_MS);
      timer.unref();
      go();
    };
    const leave = (): void => {
      if (state === 'left') return;
      if (state === 'running') {
        clearTimeout(timer);
        this.running--;
        this.waiting.shift()?.();
      } else {
        const i = this.waiting.indexOf(start);
        if (i >= 0) this.waiting.splice(i, 1);
        go();
      }
      state = 'left';
    };
    if (this.running < this.limit) start();
    else this.waiting.push(start);
    return { turn, leave };
  }
}

class ProcessInstance extends ChildInstance {
  private killTimer: NodeJS.Timeout | undefined;
  private readonly options: Required<ProcessRuntimeOptions>;
  /** Set for a container of a multi-container pod: it runs in the pod's network namespace. */
  private readonly netns: PodNetns | undefined;
  /** Set while the instance runs in a sandbox. */
  private sandboxed = false;
  /** The sandbox's pid 1 (bwrap's init) and the app it started, as the host numbers them. */
  private sandboxPid: number | undefined;
  private appPid: number | undefined;
  private readonly cgroups: CgroupManager | CgroupSupport;
  /** The instance's cgroup, while it has one. */
  private cgroup: InstanceCgroup | undefined;
  /** The loopback port reserved for it (reserveInstancePort), released when it ends. */
  private reservedPort: number | undefined;
  /** Without resources: the cpu cgroups its cgroup is one of (cgroups.ts StartingCgroups), while it has it. */
  private cpuGroup: StartingCgroups | undefined;
  /** Settles once the cgroup is removed after the instance is gone (stop() waits for it). */
  private cgroupRemoved: Promise<void> = Promise.resolve();
  /** A prepared instance's sandbox, launched and waiting at its gate, until begin() takes it or discard() ends it. */
  private held: Promise<Launched | undefined> | undefined;
  /** Set once begin() took the prepared sandbox: from then on the instance's own supervision ends it. */
  private taken = false;
  /** Requests wait for it (awaited). */
  private isAwaited = false;
  /** The places of prepared starts (set for a prepared instance), and how this one leaves its place. */
  private readonly starts: StartQueue | undefined;
  private leaveStarts: (() => void) | undefined;
  /** Drops a preparation still waiting for its turn (prepare). */
  private dropPreparation: (() => void) | undefined;
  /** Settles once what a prepared sandbox held (cgroup, port) is given back after it ended untaken. */
  private heldGone: Promise<void> = Promise.resolve();

  constructor(spec: InstanceSpec, options: Required<ProcessRuntimeOptions>, cgroups: CgroupManager | CgroupSupport, netns?: PodNetns, starts?: StartQueue) {
    super(spec);
    this.options = options;
    this.cgroups = cgroups;
    this.netns = netns;
    this.starts = starts;
    // Ready: it weighs as a task of its own from now on (before any request reaches it).
    this.once('ready', () => this.cpuGroup?.ready(this.spec.id));
  }

  awaited(): void {
    this.isAwaited = true;
    this.cpuGroup?.awaited(this.spec.id);
  }

  /** A prepared instance starts: its cpu cgroup weighs as a starting instance's from now on. */
  private unpark(): void {
    this.cpuGroup?.unpark(this.spec.id);
    if (this.isAwaited) this.cpuGroup?.awaited(this.spec.id);
  }

  /**
   * `command` behind the join of the instance's cpu cgroup, for an instance without a cgroup of its own: while
   * it starts it weighs a share of one task with the others starting (cgroups.ts StartingCgroups). As is where
   * there are none.
   */
  private joinCpuGroup(command: string[], parked: boolean): string[] {
    if (this.cgroup || !(this.cgroups instanceof CgroupManager)) return command;
    const group = this.cgroups.starting(this.spec.env.KNIT_OWNER ?? 'local');
    // Prepared ahead of its start: parked (the least weight, not starting) until its gate opens.
    if (!group?.create(this.spec.id, parked)) return command;
    this.cpuGroup = group;
    return group.joinArgv(this.spec.id, command);
  }

  /**
   * The instance's cgroup, with its container's limits written (see cgroups.ts), when its container
   * sets CPU or memory resources. Without cgroups an instance runs unlimited, unless it asks for
   * limits: then it fails with why.
   */
  private createCgroup(): InstanceCgroup | undefined {
    const resources = this.spec.container.resources;
    if (!wantsCgroup(resources)) return undefined;
    const need = enforcedLimits(resources);
    const cg = this.cgroups;
    if (!(cg instanceof CgroupManager)) {
      if (need.length > 0) throw new RuntimeError('CreateContainerError', cgroupRefusal(need, cg.ok ? 'knit cannot create them here' : cg.why));
      return undefined;
    }
    try {
      // KNIT_OWNER (instances.ts OWNER_ENV) names the knit data directory: one cgroup directory per knit.
      return cg.create(this.spec.env.KNIT_OWNER ?? 'local', this.spec.id, resourceSettings(resources));
    } catch (err) {
      const why = `knit could not create the instance's cgroup (${(err as Error).message})`;
      if (need.length > 0) throw new RuntimeError('CreateContainerError', cgroupRefusal(need, why), { cause: err });
      return undefined;
    }
  }

  /** bwrap arguments for the instance's own cgroup (read-only where a container sees it) and its GPUs' device nodes. */
  private resourceArgs(cgroup: InstanceCgroup | undefined): string[] {
    const args: string[] = [];
    if (cgroup) {
      const binds = cgroup.sandboxBinds();
      const v1 = binds.some((b) => b.target !== '/sys/fs/cgroup');
      for (const dir of ['/sys', '/sys/fs']) args.push('--perms', '0755', '--dir', dir);
      // v1: a tmpfs at /sys/fs/cgroup holding the controllers, as a container runtime mounts it (Knative's
      // cgroup conformance test looks for a mount there), made read-only once the controllers are bound.
      if (v1) args.push('--perms', '0755', '--tmpfs', '/sys/fs/cgroup');
      for (const b of binds) args.push('--ro-bind', b.source, b.target);
      if (v1) args.push('--remount-ro', '/sys/fs/cgroup');
    }
    for (const dev of gpuDeviceNodes(this.spec.gpus)) args.push('--dev-bind', dev, dev);
    return args;
  }

  protected override terminationReason(): 'OOMKilled' | undefined {
    return this.cgroup && this.cgroup.oomKills() > 0 ? 'OOMKilled' : undefined;
  }

  /**
   * Prepares the instance ahead of its start (ProcessRuntime.prepare): its sandbox is made, in its cgroup and
   * with its port, stdout and environment, and the sandbox's process waits at a gate (GATE) to exec the app.
   * begin() then only opens the gate: a scale from zero pays for the app's own start, not the sandbox's.
   */
  prepare(queue: StartQueue): void {
    // Preparations take turns (a start never waits behind a burst of them in the spawner): one that has not begun
    // when its start or discard comes is dropped, and the start runs anew.
    const place = queue.enter();
    let dropped = false;
    this.dropPreparation = () => {
      dropped = true;
      place.leave();
    };
    this.held = place.turn.then(async () => {
      if (dropped) return undefined;
      try {
        return await this.launch(true);
      } finally {
        place.leave();
      }
    });
  }

  /** Removes a prepared instance no start took; resolves once its sandbox and cgroup are gone. */
  async discard(): Promise<void> {
    this.dropPreparation?.();
    const held = await this.held;
    this.held = undefined;
    if (held && !held.child.exited) {
      const gone = new Promise((resolve) => held.child.once('exit', resolve));
      if (held.child.pid !== undefined) killGroup(held.child.pid, 'SIGKILL');
      await gone;
    }
    await this.heldGone;
  }

  async begin(): Promise<void> {
    let launched: Launched | undefined;
    if (this.held) {
      this.dropPreparation?.();
      launched = await this.held;
      this.held = undefined;
      if (launched && !launched.child.exited) {
        this.taken = true;
        // Its place among the prepared starts; given back once it is ready or gone.
        const place = this.starts?.enter();
        if (place) {
          this.cpuGroup?.queue(this.spec.id);
          this.leaveStarts = place.leave;
          this.once('ready', place.leave);
          launched.child.once('exit', place.leave);
          await place.turn;
        }
        if (!this.stopRequested && !launched.child.exited) {
          // Started now, not when it was prepared (its startup time and probes count from here).
          this.startedAt = performance.now();
          this.unpark();
          this.options.spawner.openGate(launched.child);
        }
      } else {
        // The prepared sandbox is gone (or was never made): once its cgroup is, the instance starts anew.
        launched = undefined;
        await this.heldGone;
      }
    }
    launched ??= await this.launch(false);
    if (launched) this.run(launched);
  }

  /**
   * Makes the instance's sandbox and spawns its process in it: the app, or (`gated`, for prepare) a shell that
   * waits at the gate to exec it. Undefined when nothing runs: a start reports why (failToStart or finish); a
   * failed preparation leaves nothing behind and reports nothing (the start that follows runs anew and does).
   */
  private async launch(gated: boolean): Promise<Launched | undefined> {
    try {
      const dir = imageDir(this.spec.image);
      const st = fs.statSync(dir, { throwIfNoEntry: false });
      if (!st?.isDirectory()) throw new RuntimeError('ContainerMissing', `Unable to fetch image "${this.spec.image}": ${dir} is not a directory`);
      const argv = processCommand(dir, this.spec.container.command, this.spec.container.args);
      const sandbox = this.options.sandbox;
      if (sandbox === 'off') {
        if (gated) return undefined;
        await this.beginUnsandboxed(dir, argv);
        return undefined;
      }
      if (!sandbox.ok) throw new RuntimeError('CreateContainerError', unsandboxedRefusal(sandbox.why));
      const sc = this.spec.container.securityContext;
      const { uid, gid } = instanceIdentity(sc, { uid: DEFAULT_UID, gid: DEFAULT_GID });
      this.refuseRoot(uid);
      const real = fs.realpathSync(dir);
      // workingDir resolves inside the sandbox: relative to the image directory, or as given.
      const layout: SandboxLayout = { imageDir: real, cwd: path.resolve(real, this.spec.container.workingDir ?? '.'), uid, gid, volumes: this.spec.volumes };
      const netns = this.netns;
      // In a pod's own network the serving port is the declared one, as in a container; a sidecar gets no PORT.
      if (!netns) this.port = this.reservedPort = await reserveInstancePort();
      else this.port = this.spec.containerPort;
      if (this.stopRequested) {
        this.finish(0, null);
        return undefined;
      }
      this.cgroup = this.createCgroup();
      layout.extraArgs = [...(layout.extraArgs ?? []), ...this.resourceArgs(this.cgroup)];
      // A container's writable root is the private /tmp here, so HOME defaults to it.
      const env = { ...baseEnv(), HOME: '/tmp', ...this.spec.env, ...gpuEnvOf(this.spec.gpus), ...(this.spec.role === 'sidecar' ? {} : { PORT: String(this.port) }) };
      const pwd = this.spec.env.PWD;
      const bwrap = bwrapArgs(sandbox.tools, layout, ['/bin/sh', '-c', gated ? GATE : EXEC, gated ? 'knit-gate' : 'knit-exec', pwd === undefined ? 'unset' : 'set', pwd ?? '', ...argv]);
      // nsenter joins the pod's network namespace, then execs bwrap (same pid, same fds).
      const command = netns ? [sandbox.tools.nsenter, '--target', String(netns.pid), '--net', '--', sandbox.tools.bwrap, ...bwrap] : [sandbox.tools.bwrap, ...bwrap];
      // The cgroup is joined first (a shell writes its pid, then execs the command).
      const joined = this.cgroup ? this.cgroup.joinArgv(command) : this.joinCpuGroup(command, gated);
      // fd 3: bwrap's --info-fd. Own process group, so stop() reaches the sandbox's processes.
      const started = await this.spawnInstance(joined, { cwd: '/', env, info: true, ...(gated ? { gate: true } : {}) }, uid, gid, gated);
      if (!started) {
        if (gated) this.heldGone = this.releaseHeld(undefined);
        return undefined;
      }
      const launched: Launched = { ...started, layout, env, tools: sandbox.tools, sandboxPid: readSandboxPid(started.child) };
      // Prepared and not yet started: if its sandbox ends meanwhile, what it held goes with it.
      if (gated) started.child.once('exit', () => void (this.taken || (this.heldGone = this.releaseHeld(started.output))));
      return launched;
    } catch (err) {
      // Nothing started in it: the cgroup goes at once.
      if (gated) {
        this.heldGone = this.releaseHeld(undefined);
        return undefined;
      }
      if (this.cgroup) this.cgroupRemoved = this.cgroup.remove();
      else if (this.cpuGroup) this.cgroupRemoved = this.cpuGroup.remove(this.spec.id, 0);
      releaseInstancePort(this.reservedPort);
      this.failToStart(err instanceof RuntimeError ? err.reason : 'ContainerMissing', (err as Error).message);
      return undefined;
    }
  }

  /** What a prepared instance held, given back (its sandbox is gone or was never made): a start begins anew. */
  private releaseHeld(output: net.Socket | undefined): Promise<void> {
    output?.destroy();
    // Its processes may still be being reaped (the kernel answers EBUSY meanwhile): the removal waits for them.
    const removed = this.cgroup ? this.cgroup.remove() : this.cpuGroup ? this.cpuGroup.remove(this.spec.id) : Promise.resolve();
    this.cgroup = undefined;
    this.cpuGroup = undefined;
    releaseInstancePort(this.reservedPort);
    this.reservedPort = undefined;
    return removed;
  }

  /** Supervises the launched sandbox and probes its app. */
  private run(launched: Launched): void {
    const { child, output, layout, env, tools, sandboxPid } = launched;
    const netns = this.netns;
    this.sandboxed = true;
    void sandboxPid.then((pid) => (this.sandboxPid = pid));
    this.adoptStarted(child, output);
    this.startProbes({
      exec: async (command, timeoutMs) => {
        const pid = await sandboxPid;
        const cg = this.cgroup;
        return pid !== undefined && this.state !== 'exited' && execInSandbox(tools, pid, layout, env, command, timeoutMs, netns !== undefined, cg ? (argv) => cg.joinArgv(argv) : undefined);
      },
      ...(netns ? { remote: netns.probe } : {}),
    });
  }

  /**
   * The app's own process once the sandbox runs it (what CPU and memory are measured on, and what a
   * kill reaches as it would the app), else bwrap's.
   */
  override get pid(): number | undefined {
    if (!this.sandboxed || this.state === 'exited') return super.pid;
    if (this.appPid === undefined && this.sandboxPid !== undefined) this.appPid = childOf(this.sandboxPid);
    return this.appPid ?? super.pid;
  }

  /** The kubelet's runAsNonRoot check against the uid the instance would run as. */
  private refuseRoot(uid: number): void {
    const refusal = verifyRunAsNonRoot(this.spec.container.securityContext, uid, this.spec.container.name ?? 'user-container');
    if (refusal) throw new RuntimeError('CreateContainerConfigError', refusal);
  }

  /**
   * The explicit opt-out (KNIT_SANDBOX=off): a host process in the image directory, as knit's own
   * user, or as runAsUser/runAsGroup when knit is root.
   */
  private async beginUnsandboxed(dir: string, argv: string[]): Promise<void> {
    // Volumes are bound in the sandbox's own mount namespace; a host process has none to bind them in.
    if ((this.spec.volumes?.length ?? 0) > 0) throw new RuntimeError('CreateContainerError', `volumeMounts need the sandbox: knit binds volumes inside an instance's own mount namespace, which ${SANDBOX_ENV}=off does not create`);
    const sc = this.spec.container.securityContext;
    const own = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    const id = own.uid === 0 ? instanceIdentity(sc, own) : own;
    this.refuseRoot(id.uid);
    const cwd = this.spec.container.workingDir ? path.resolve(dir, this.spec.container.workingDir) : dir;
    this.port = this.reservedPort = await reserveInstancePort();
    if (this.stopRequested) return this.finish(0, null);
    const env = { ...baseEnv(), ...this.spec.env, ...gpuEnvOf(this.spec.gpus), PORT: String(this.port) };
    const switchUser = id.uid !== own.uid || id.gid !== own.gid;
    this.cgroup = this.createCgroup();
    let command = argv;
    if (this.cgroup) {
      // The shell joins the cgroup as root, then drops to the instance's user.
      if (switchUser && !fs.existsSync(SETPRIV)) throw new RuntimeError('CreateContainerError', `running as uid ${id.uid} inside a cgroup needs util-linux's setpriv (${SETPRIV}), which is not installed`);
      if (switchUser) command = [SETPRIV, '--reuid', String(id.uid), '--regid', String(id.gid), '--clear-groups', '--', ...argv];
      command = this.cgroup.joinArgv(command);
    } else if (!switchUser) command = this.joinCpuGroup(command, false);
    // Own process group, so stop() reaches grandchildren too.
    const started = await this.spawnInstance(command, { cwd, env, ...(switchUser && !this.cgroup ? { uid: id.uid, gid: id.gid } : {}) }, id.uid, id.gid);
    if (!started) return;
    this.adoptStarted(started.child, started.output);
    this.startProbes({ cwd, env });
  }

  /**
   * Starts the instance's process through knit's spawner process (spawner.ts: no fork of knit itself), its
   * stdout and stderr a FIFO owned by `uid:gid`. Undefined when it did not start: a stop came first (the
   * instance ends as stopped, its cgroup with it), or the spawn failed (the instance ends with 127).
   *
   * The instance's stdout and stderr: one FIFO owned by the instance's uid, whose write end is both its fd 1
   * and fd 2, knit holding the read end. Not libuv's socketpairs (`stdio: 'pipe'`): a socket cannot be
   * reopened through /dev/stdout (ENXIO), which Knative's runtime contract requires (knative/serving
   * test/types/runtime.go MustFiles), and a pipe made by knit would belong to knit's uid (mode 0600), so the
   * instance could not reopen it either. One FIFO for both keeps stdout and stderr lines in the order they
   * were written. The FIFO's name is removed once both ends are open; only they remain (the instance reopens it
   * through /proc/self/fd, which needs no path to it).
   */
  private async spawnInstance(argv: string[], opts: Omit<RemoteSpawnOptions, 'output' | 'detached'>, uid: number, gid: number, gated = false): Promise<{ child: RemoteChild; output: net.Socket } | undefined> {
    const fifo = fifoPath(this.spec.logFile);
    const spawner = this.options.spawner;
    await fs.promises.mkdir(path.dirname(fifo), { recursive: true });
    await fs.promises.rm(fifo, { force: true });
    let readFd: number | undefined;
    try {
      try {
        await spawner.mkfifo(fifo, uid, gid);
      } catch (err) {
        throw new RuntimeError('CreateContainerError', `creating the instance's stdout: ${(err as Error).message}`, { cause: err });
      }
      readFd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      if (this.stopRequested) {
        fs.closeSync(readFd);
        this.finish(0, null);
        return undefined;
      }
      let child: RemoteChild;
      try {
        child = await spawner.spawn(argv[0], argv.slice(1), { ...opts, output: fifo, detached: true });
      } catch (err) {
        fs.closeSync(readFd);
        if (gated) return undefined;
        this.logs.push(`knit: ${(err as Error).message}`);
        this.finish(127, null);
        return undefined;
      }
      // The write end is open (the instance holds it): reading can start.
      const output = new net.Socket({ fd: readFd, readable: true, writable: false });
      output.on('error', () => output.destroy()); // the instance's output ends; its exit is reported by the process
      return { child, output };
    } finally {
      // Only the open ends remain.
      await fs.promises.rm(fifo, { force: true });
    }
  }

  /** Supervises a started process; a stop that came while it was being spawned (nothing served yet) kills it at once. */
  private adoptStarted(child: RemoteChild, output: net.Socket): void {
    this.adopt(child, 'exit', output);
    if (this.stopRequested && child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
  }

  protected override onFinished(): void {
    releaseInstancePort(this.reservedPort);
    if (this.killTimer) clearTimeout(this.killTimer);
    if (this.cgroup) this.cgroupRemoved = this.cgroup.remove();
    else if (this.cpuGroup) this.cgroupRemoved = this.cpuGroup.remove(this.spec.id);
  }

  stop(): Promise<void> {
    if (this.state === 'exited') return this.gone();
    if (this.beginStop()) {
      // A prepared start still waiting for its place runs nothing.
      this.leaveStarts?.();
      const pid = this.child?.pid;
      if (pid !== undefined) {
        if (this.sandboxed) {
          // Before the sandbox runs the app (the cgroup-joining shell before its exec, bwrap still setting up), no
          // process would take SIGTERM (bwrap's init ignores it) and the app, started after, would run until the
          // grace period's SIGKILL: it has served nothing yet, so it goes at once, as a container killed while
          // being created does.
          if (this.sandboxPid !== undefined) this.appPid ??= childOf(this.sandboxPid);
          // bwrap itself would die on SIGTERM before the instance: only the instance gets it.
          if (this.appPid === undefined) killGroup(pid, 'SIGKILL');
          else signalGroupExcept(pid, pid, 'SIGTERM');
        } else killGroup(pid, 'SIGTERM');
        this.killTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), this.spec.gracePeriodSeconds * 1000);
      }
    }
    return this.gone();
  }

  /** Gone means its cgroup is gone too, so a stopping knit leaves none behind. */
  private gone(): Promise<void> {
    return this.exited.then(() => this.cgroupRemoved);
  }
}

/** Signals a whole process group, ignoring groups that are already gone. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Closes the descriptors knit inherited from its parent without close-on-exec. Node and libuv open every
 * descriptor of their own with O_CLOEXEC, but a child gets every inherited one that lacks it (spawn does
 * not close them, nor do bwrap and setpriv): a workload would start with whatever knit's parent left open,
 * where a container starts with stdin, stdout and stderr only. Node's IPC channel (NODE_CHANNEL_FD) is kept.
 */
export function closeInheritedFds(): number[] {
  const keep = new Set([0, 1, 2, Number(process.env.NODE_CHANNEL_FD ?? -1)]);
  const closed: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc/self/fdinfo');
  } catch {
    return closed;
  }
  for (const e of entries) {
    const fd = Number(e);
    if (!Number.isInteger(fd) || keep.has(fd)) continue;
    try {
      const flags = /^flags:\s*([0-7]+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      if (flags === undefined || (parseInt(flags, 8) & 0o2000000) !== 0) continue; // O_CLOEXEC: knit's own
      fs.closeSync(fd);
      closed.push(fd);
    } catch {
      // gone meanwhile
    }
  }
  return closed;
}

export interface ProcessRuntimeOptions {
  /**
   * How instances are isolated: a detected sandbox (default: detected at construction), or
   * `'off'` to run them as host processes (the default when KNIT_SANDBOX=off).
   */
  sandbox?: SandboxSupport | 'off';
  /** Whether instances get cgroups (default: detected at construction; see cgroups.ts). */
  cgroups?: CgroupSupport;
  /** The process that forks instance processes (default: one of this runtime's own, started on first use). */
  spawner?: Spawner;
}

/** util-linux's setpriv, which drops to the instance's user after it joined its cgroup. */
const SETPRIV = '/usr/bin/setpriv';

/** The env of an instance holding GPUs. */
function gpuEnvOf(gpus: GpuDevice[] | undefined): Record<string, string> {
  return gpus && gpus.length > 0 ? gpuEnv(gpus) : {};
}

/** The device nodes of an instance's GPUs that exist on this host (bound into its sandbox). */
export function gpuDeviceNodes(gpus: GpuDevice[] | undefined): string[] {
  return [...new Set((gpus ?? []).flatMap((g) => g.devices))].filter((d) => fs.existsSync(d));
}

/** Runs `file://` images as sandboxed processes (see sandbox.ts and docs/architecture.md "Sandbox"). */
export class ProcessRuntime implements Runtime {
  readonly name = 'process';
  private readonly options: Required<ProcessRuntimeOptions>;
  private readonly cgroups: CgroupManager | CgroupSupport;
  /** The places of prepared instances' starts (PREPARED_STARTS_PER_CPU). */
  private readonly starts = new StartQueue(PREPARED_STARTS_PER_CPU * os.availableParallelism());
  /** Preparations under way at once: one per core. */
  private readonly preparations = new StartQueue(os.availableParallelism());
  /** Instances prepared for starts not asked for yet, by instance id, with the spec they were prepared for. */
  private readonly prepared = new Map<string, { inst: ProcessInstance; fingerprint: string }>();

  constructor(options: ProcessRuntimeOptions = {}) {
    const cgroups = options.cgroups ?? detectCgroups();
    this.options = { sandbox: options.sandbox ?? (process.env[SANDBOX_ENV] === 'off' ? 'off' : detectSandbox()), cgroups, spawner: options.spawner ?? new Spawner() };
    this.cgroups = cgroups.ok ? new CgroupManager(cgroups.hierarchy) : cgroups;
    closeInheritedFds();
  }

  handles(image: string): boolean {
    return image.startsWith('file://');
  }

  async resolveDigest(image: string): Promise<string | undefined> {
    const dir = imageDir(image);
    if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
      throw new RuntimeError('ContainerMissing', `Unable to fetch image "${image}": ${dir} is not a directory`);
    }
    // A directory has no content digest; the revision runs whatever the directory holds.
    return undefined;
  }

  start(spec: InstanceSpec): Instance {
    if (spec.sidecars?.length) {
      const pod = new PodInstance(spec, { open: (s) => (checkOneRuntime(s, (i) => this.handles(i)), openNetns(this.options.sandbox, s, (c, netns) => this.startIn(c, netns))) });
      void pod.begin();
      return pod;
    }
    return this.startIn(spec);
  }

  /**
   * Makes the sandbox of a future instance of `spec` and leaves its process waiting to exec the app (see
   * ProcessInstance.prepare), so that `start(spec)` only has to let it go: the cgroup, port, stdout FIFO, the
   * sandbox's namespaces and mounts and the drop to the instance's user are done before the first request. Only
   * in a sandbox, and not for a pod (sidecars).
   */
  prepare(spec: InstanceSpec): void {
    const sandbox = this.options.sandbox;
    if (sandbox === 'off' || !sandbox.ok || spec.sidecars?.length || this.prepared.has(spec.id)) return;
    const inst = new ProcessInstance(spec, this.options, this.cgroups, undefined, this.starts);
    inst.prepare(this.preparations);
    this.prepared.set(spec.id, { inst, fingerprint: JSON.stringify(spec) });
  }

  async discard(id: string): Promise<void> {
    const p = this.prepared.get(id);
    this.prepared.delete(id);
    await p?.inst.discard();
  }

  private startIn(spec: InstanceSpec, netns?: PodNetns): Instance {
    const p = netns ? undefined : this.prepared.get(spec.id);
    if (p) {
      this.prepared.delete(spec.id);
      // What was prepared runs only an instance of exactly the spec it was prepared for.
      if (p.fingerprint === JSON.stringify(spec)) {
        void p.inst.begin();
        return p.inst;
      }
      const inst = new ProcessInstance(spec, this.options, this.cgroups);
      void p.inst.discard().then(() => inst.begin());
      return inst;
    }
    const inst = new ProcessInstance(spec, this.options, this.cgroups, netns);
    // After the caller's listeners are on: in a pod's namespace nothing is awaited before the spawn.
    if (netns) queueMicrotask(() => void inst.begin());
    else void inst.begin();
    return inst;
  }
}
