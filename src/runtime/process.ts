// The process runtime: a `file:///abs/dir` image runs as a process in a sandbox holding that directory (see sandbox.ts).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeError, type Instance, type InstanceSpec, type Runtime } from './runtime.ts';
import { ChildInstance } from './child-instance.ts';
import { PodInstance, checkOneRuntime } from './pod.ts';
import { openNetns } from './process-pod.ts';
import type { Probe } from '../api/types.ts';
import {
  DEFAULT_GID, DEFAULT_UID, SANDBOX_ENV, bwrapArgs, childOf, detectSandbox, execInSandbox, instanceIdentity, readSandboxPid,
  signalGroupExcept, unsandboxedRefusal, verifyRunAsNonRoot, type SandboxLayout, type SandboxSupport,
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

  constructor(spec: InstanceSpec, options: Required<ProcessRuntimeOptions>, netns?: PodNetns) {
    super(spec);
    this.options = options;
    this.netns = netns;
  }

  async begin(): Promise<void> {
    try {
      const dir = imageDir(this.spec.image);
      const st = fs.statSync(dir, { throwIfNoEntry: false });
      if (!st?.isDirectory()) throw new RuntimeError('ContainerMissing', `Unable to fetch image "${this.spec.image}": ${dir} is not a directory`);
      const argv = processCommand(dir, this.spec.container.command, this.spec.container.args);
      const sandbox = this.options.sandbox;
      if (sandbox === 'off') return await this.beginUnsandboxed(dir, argv);
      if (!sandbox.ok) throw new RuntimeError('CreateContainerError', unsandboxedRefusal(sandbox.why));
      const sc = this.spec.container.securityContext;
      const { uid, gid } = instanceIdentity(sc, { uid: DEFAULT_UID, gid: DEFAULT_GID });
      this.refuseRoot(uid);
      const real = fs.realpathSync(dir);
      // workingDir resolves inside the sandbox: relative to the image directory, or as given.
      const layout: SandboxLayout = { imageDir: real, cwd: path.resolve(real, this.spec.container.workingDir ?? '.'), uid, gid, volumes: this.spec.volumes };
      const netns = this.netns;
      // In a pod's own network the serving port is the declared one, as in a container; a sidecar gets no PORT.
      this.port = netns ? this.spec.containerPort : await freePort();
      if (this.stopRequested) return this.finish(0, null);
      // A container's writable root is the private /tmp here, so HOME defaults to it.
      const env = { ...baseEnv(), HOME: '/tmp', ...this.spec.env, ...(this.spec.role === 'sidecar' ? {} : { PORT: String(this.port) }) };
      const bwrap = bwrapArgs(sandbox.tools, layout, argv);
      // nsenter joins the pod's network namespace, then execs bwrap (same pid, same fds).
      const [cmd, cmdArgs] = netns ? [sandbox.tools.nsenter, ['--target', String(netns.pid), '--net', '--', sandbox.tools.bwrap, ...bwrap]] : [sandbox.tools.bwrap, bwrap];
      const child = spawn(cmd, cmdArgs, {
        cwd: '/',
        env,
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
        detached: true, // own process group, so stop() reaches the sandbox's processes
      });
      this.sandboxed = true;
      const sandboxPid = readSandboxPid(child);
      void sandboxPid.then((pid) => (this.sandboxPid = pid));
      this.adopt(child, 'exit');
      this.startProbes({
        exec: async (command, timeoutMs) => {
          const pid = await sandboxPid;
          return pid !== undefined && this.state !== 'exited' && execInSandbox(sandbox.tools, pid, layout, env, command, timeoutMs, netns !== undefined);
        },
        ...(netns ? { remote: netns.probe } : {}),
      });
    } catch (err) {
      this.failToStart(err instanceof RuntimeError ? err.reason : 'ContainerMissing', (err as Error).message);
    }
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
    this.port = await freePort();
    if (this.stopRequested) return this.finish(0, null);
    const env = { ...baseEnv(), ...this.spec.env, PORT: String(this.port) };
    const child = spawn(argv[0], argv.slice(1), {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, so stop() reaches grandchildren too
      ...(id.uid !== own.uid || id.gid !== own.gid ? { uid: id.uid, gid: id.gid } : {}),
    });
    this.adopt(child, 'exit');
    this.startProbes({ cwd, env });
  }

  protected override onFinished(): void {
    if (this.killTimer) clearTimeout(this.killTimer);
  }

  stop(): Promise<void> {
    if (this.state === 'exited') return this.exited;
    if (this.beginStop()) {
      const pid = this.child?.pid;
      if (pid !== undefined) {
        // bwrap itself would die on SIGTERM before the instance: only the instance gets it.
        if (this.sandboxed) signalGroupExcept(pid, pid, 'SIGTERM');
        else killGroup(pid, 'SIGTERM');
        this.killTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), this.spec.gracePeriodSeconds * 1000);
      }
    }
    return this.exited;
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

export interface ProcessRuntimeOptions {
  /**
   * How instances are isolated: a detected sandbox (default: detected at construction), or
   * `'off'` to run them as host processes (the default when KNIT_SANDBOX=off).
   */
  sandbox?: SandboxSupport | 'off';
}

/** Runs `file://` images as sandboxed processes (see sandbox.ts and docs/architecture.md "Sandbox"). */
export class ProcessRuntime implements Runtime {
  readonly name = 'process';
  private readonly options: Required<ProcessRuntimeOptions>;

  constructor(options: ProcessRuntimeOptions = {}) {
    this.options = { sandbox: options.sandbox ?? (process.env[SANDBOX_ENV] === 'off' ? 'off' : detectSandbox()) };
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

  private startIn(spec: InstanceSpec, netns?: PodNetns): Instance {
    const inst = new ProcessInstance(spec, this.options, netns);
    // After the caller's listeners are on: in a pod's namespace nothing is awaited before the spawn.
    if (netns) queueMicrotask(() => void inst.begin());
    else void inst.begin();
    return inst;
  }
}
