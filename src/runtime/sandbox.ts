// The sandbox a `file://` instance runs in (bubblewrap): its own uid, mount, pid and IPC namespaces, no view of knit's data directory.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { SecurityContext } from '../api/types.ts';
import { sandboxVolumeArgs, type VolumeBind } from './volumes.ts';

/**
 * The uid and gid an instance runs as when its container sets no runAsUser/runAsGroup: nobody and
 * nogroup, the unprivileged identity images conventionally run as. Every such instance shares it;
 * what keeps two instances apart is the sandbox (own pid namespace, own /tmp, no view of each
 * other's files), not the uid. See docs/architecture.md "Sandbox".
 */
export const DEFAULT_UID = 65534;
export const DEFAULT_GID = 65534;

/** The environment variable that, set to `off`, runs `file://` instances unsandboxed as knit's own user. */
export const SANDBOX_ENV = 'KNIT_SANDBOX';

/** The helpers the sandbox needs, as absolute paths (all under /usr, which every sandbox sees). */
export interface SandboxTools {
  bwrap: string;
  setpriv: string;
  nsenter: string;
}

/** Whether knit can sandbox instances here: the tools, or why not. */
export type SandboxSupport = { ok: true; tools: SandboxTools } | { ok: false; why: string };

function which(name: string): string | undefined {
  for (const dir of ['/usr/bin', '/usr/sbin', '/bin', '/sbin', ...(process.env.PATH ?? '').split(':')]) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Finds bubblewrap and util-linux's setpriv and nsenter. Switching to another uid needs root:
 * bubblewrap's own --uid (a user namespace) keeps knit's uid on the host, so it is not used.
 */
export function detectSandbox(): SandboxSupport {
  if (process.getuid?.() !== 0) return { ok: false, why: 'knit is not running as root, so it cannot run instances as another user' };
  const bwrap = which('bwrap');
  if (!bwrap) return { ok: false, why: 'bubblewrap (bwrap) is not installed (apt-get install bubblewrap)' };
  const setpriv = which('setpriv');
  const nsenter = which('nsenter');
  if (!setpriv || !nsenter) return { ok: false, why: 'setpriv or nsenter (util-linux) is not installed' };
  return { ok: true, tools: { bwrap, setpriv, nsenter } };
}

/** The message a refused instance reports when it cannot be sandboxed and the opt-out is not set. */
export function unsandboxedRefusal(why: string): string {
  return `file:// instances run sandboxed and ${why}; run knit as root with bubblewrap installed (apt-get install bubblewrap), or set ${SANDBOX_ENV}=off to run them unsandboxed as knit's own user`;
}

/** The uid and gid an instance runs as: the container's runAsUser/runAsGroup, else `fallback`. */
export function instanceIdentity(sc: SecurityContext | undefined, fallback: { uid: number; gid: number }): { uid: number; gid: number } {
  return { uid: sc?.runAsUser ?? fallback.uid, gid: sc?.runAsGroup ?? (sc?.runAsUser !== undefined ? DEFAULT_GID : fallback.gid) };
}

/**
 * kubernetes pkg/kubelet/kuberuntime/security_context_others.go verifyRunAsNonRoot: with
 * runAsNonRoot set, an explicit runAsUser 0 or an image that would run as root is refused (the
 * kubelet reports it as CreateContainerConfigError). Returns the kubelet's message, or undefined.
 * The kubelet appends `(pod: "NAME_NAMESPACE(UID)", container: NAME)`; knit names the container only.
 */
export function verifyRunAsNonRoot(sc: SecurityContext | undefined, imageUid: number, container: string): string | undefined {
  if (!sc?.runAsNonRoot) return undefined;
  if (sc.runAsUser !== undefined) return sc.runAsUser === 0 ? `container's runAsUser breaks non-root policy (container: ${container})` : undefined;
  return imageUid === 0 ? `container has runAsNonRoot and image will run as root (container: ${container})` : undefined;
}

/** What an instance's sandbox holds. */
export interface SandboxLayout {
  /** The image directory (bound read-only at its own path). */
  imageDir: string;
  /** The working directory inside the sandbox. */
  cwd: string;
  uid: number;
  gid: number;
  /** The pod's volumes bound into the sandbox at their mountPath (volumes.ts). */
  volumes?: VolumeBind[];
  /** More bwrap arguments after the binds: the instance's cgroup and GPU devices (see processResourceArgs in process.ts). */
  extraArgs?: string[];
}

/** System directories bound read-only at their own path, so the Node that runs knit and busybox-style commands work inside. */
function systemBinds(): { args: string[]; binds: string[] } {
  const args = ['--ro-bind', '/usr', '/usr'];
  const binds = ['/usr'];
  for (const top of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    const st = fs.lstatSync(top, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isSymbolicLink()) args.push('--symlink', fs.readlinkSync(top), top);
    else if (st.isDirectory()) {
      args.push('--ro-bind', top, top);
      binds.push(top);
    }
  }
  args.push('--ro-bind', '/etc', '/etc');
  binds.push('/etc');
  return { args, binds };
}

function within(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/**
 * Read-only binds of host directories at their own path. bwrap would create their missing parents
 * with mode 0700, which another uid cannot traverse: they are created 0755 first, except inside a
 * tree that is already bound.
 */
function bindsAt(dirs: string[], bound: string[]): string[] {
  const args: string[] = [];
  const made = new Set<string>();
  for (const dir of dirs) {
    if (bound.some((b) => within(dir, b))) continue;
    const parents: string[] = [];
    for (let p = path.dirname(dir); p !== '/' && p !== '/tmp'; p = path.dirname(p)) parents.unshift(p);
    for (const p of parents) {
      if (made.has(p) || bound.some((b) => within(p, b))) continue;
      made.add(p);
      args.push('--perms', '0755', '--dir', p);
    }
    args.push('--ro-bind', dir, dir);
    bound.push(dir);
  }
  return args;
}

/**
 * The `node_modules` directories of the image directory's ancestors: Node resolves a bare import
 * there (nodejs/node lib/internal/modules/cjs/loader.js Module._nodeModulePaths), so an app in a
 * project's subdirectory finds the project's dependencies, read-only, as it does on the host.
 */
export function ancestorNodeModules(imageDir: string): string[] {
  const dirs: string[] = [];
  for (let p = path.dirname(imageDir); ; p = path.dirname(p)) {
    const nm = path.join(p, 'node_modules');
    if (fs.statSync(nm, { throwIfNoEntry: false })?.isDirectory()) dirs.unshift(fs.realpathSync(nm));
    if (p === '/') break;
  }
  return dirs;
}

/**
 * The bubblewrap command line that runs `argv` in a new sandbox: new pid (with its own /proc),
 * IPC and cgroup namespaces, a mount namespace holding /usr, /etc, the library directories, the
 * Node binary's directory and the image directory (all read-only), a private writable /tmp and a
 * minimal /dev (no console); the host network, so the gateway reaches it on 127.0.0.1. bwrap
 * keeps the environment it is given and writes the sandbox's pid to fd 3 (`--info-fd`). Inside,
 * setpriv drops to the instance's uid/gid with no supplementary groups and no capabilities;
 * bubblewrap already set no_new_privs, so setuid binaries cannot raise them again.
 */
export function bwrapArgs(tools: SandboxTools, layout: SandboxLayout, argv: string[]): string[] {
  const system = systemBinds();
  const nodeDir = path.dirname(fs.realpathSync(process.execPath));
  return [
    '--unshare-pid', '--unshare-ipc', '--unshare-cgroup-try',
    // The sandbox dies with bwrap (and bwrap with knit): a killed bwrap leaves no instance behind.
    '--die-with-parent',
    ...system.args,
    '--proc', '/proc',
    // Read-only, as in a container (the OCI runtime spec's default readonlyPaths, which containerd and podman apply).
    '--ro-bind', '/proc/sys', '/proc/sys',
    '--dev', '/dev',
    '--perms', '1777', '--tmpfs', '/tmp',
    ...bindsAt([nodeDir, ...ancestorNodeModules(layout.imageDir), layout.imageDir], system.binds),
    // Volumes last, over what they mount on (system.binds now lists every read-only tree).
    ...sandboxVolumeArgs(layout.volumes ?? [], system.binds),
    ...(layout.extraArgs ?? []),
    '--chdir', layout.cwd,
    '--info-fd', '3',
    '--',
    ...dropTo(tools, layout),
    ...argv,
  ];
}

function dropTo(tools: SandboxTools, layout: SandboxLayout): string[] {
  return [tools.setpriv, '--reuid', String(layout.uid), '--regid', String(layout.gid), '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--'];
}

/** Reads the sandbox's pid (its pid 1, as the host numbers it) from bwrap's info fd. */
export function readSandboxPid(child: { readonly stdio?: readonly unknown[] }): Promise<number | undefined> {
  const info = child.stdio?.[3] as NodeJS.ReadableStream | null | undefined;
  if (!info) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let text = '';
    info.setEncoding('utf8');
    info.on('data', (c: string) => (text += c));
    info.on('error', () => resolve(undefined));
    info.on('end', () => {
      const m = /"child-pid"\s*:\s*(\d+)/.exec(text);
      resolve(m ? Number(m[1]) : undefined);
    });
  });
}

/**
 * Runs `command` inside a running sandbox, as `kubectl exec` runs it in a container: nsenter joins
 * its mount, pid, IPC and cgroup namespaces, setpriv drops to the instance's uid/gid. True on exit 0.
 */
export function execInSandbox(
  tools: SandboxTools,
  sandboxPid: number,
  layout: SandboxLayout,
  env: Record<string, string>,
  command: string[],
  timeoutMs: number,
  /** Join its network namespace too (a pod's container, whose network is not the host's). */
  net = false,
  wrap: (argv: string[]) => string[] = (argv) => argv,
): Promise<boolean> {
  return new Promise((resolve) => {
    if (command.length === 0) return resolve(false);
    const args = ['--target', String(sandboxPid), '--mount', '--pid', '--ipc', '--cgroup', ...(net ? ['--net'] : []), `--wdns=${layout.cwd}`, '--', ...dropTo(tools, layout), ...command];
    // `wrap` puts the command into the instance's cgroup first (process.ts), as an exec runs in its container's.
    const [bin, ...rest] = wrap([tools.nsenter, ...args]);
    const child = spawn(bin, rest, { env, stdio: 'ignore', detached: true });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) killProcessGroup(child.pid, 'SIGKILL');
    }, timeoutMs);
    child.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

function killProcessGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/**
 * The first child of process `pid`, if it has one: from /proc/PID/task/PID/children (one small read; the
 * sandbox's init is one thread), else by the ppid field of every /proc/PID/stat (a scan of every process,
 * which a burst of starts would pay once per instance per pod listing).
 */
export function childOf(pid: number): number | undefined {
  try {
    const first = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0];
    return first ? Number(first) : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || fs.existsSync(`/proc/${pid}`)) return childOfByScan(pid);
    return undefined; // the process is gone
  }
}

/** Whether the kernel lists children in /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN). */
const PROC_CHILDREN = fs.existsSync(`/proc/self/task/${process.pid}/children`);

/** Every descendant of `root` (each thread's children, breadth first). */
function descendantsOf(root: number): number[] {
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    let tasks: string[];
    try {
      tasks = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // gone
    }
    for (const tid of tasks) {
      let children = '';
      try {
        children = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.trim().split(' ')) {
        if (!c) continue;
        out.push(Number(c));
        queue.push(Number(c));
      }
    }
  }
  return out;
}

function childOfByScan(pid: number): number | undefined {
  for (const entry of procEntries()) {
    const stat = readStat(entry);
    if (stat && Number(stat[1]) === pid) return entry;
  }
  return undefined;
}

function procEntries(): number[] {
  try {
    return fs.readdirSync('/proc').map(Number).filter((n) => Number.isInteger(n));
  } catch {
    return [];
  }
}

/** The fields of /proc/PID/stat after the command's closing parenthesis: state, ppid, pgrp, ... */
function readStat(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * Signals every process of the group `pgid` but `except`. A sandbox's processes stay in the group
 * knit gave bwrap, whose own process dies on SIGTERM instead of waiting for them: SIGTERM goes to
 * the instance's processes only, and bwrap exits with the status of the instance once it has gone.
 */
export function signalGroupExcept(pgid: number, except: number, signal: NodeJS.Signals): void {
  // The group leader is bwrap, and the sandbox has its own pid namespace (orphans go to its init, bwrap's
  // child): every process of the group descends from the leader, so its tree is walked, not every process.
  const candidates = PROC_CHILDREN ? [pgid, ...descendantsOf(pgid)] : procEntries();
  for (const pid of candidates) {
    if (pid === except || Number(readStat(pid)?.[2]) !== pgid) continue;
    try {
      process.kill(pid, signal);
    } catch {
      // gone meanwhile
    }
  }
}
