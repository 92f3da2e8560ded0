// The podman runtime: any image that is not `file://` runs as an OCI container through podman.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { parseQuantity } from '../api/go-values.ts';
import { ChildInstance, signalNumber } from './child-instance.ts';
import { freePort, killGroup, releaseInstancePort, reserveInstancePort } from './process.ts';
import { RuntimeError, type Instance, type InstanceSpec, type Runtime } from './runtime.ts';
import { PodInstance, checkOneRuntime, type PodNetwork } from './pod.ts';
import { verifyRunAsNonRoot } from './sandbox.ts';
import type { SecurityContext } from '../api/types.ts';
import { GPU_RESOURCE } from './gpu.ts';

/** The label every knit container carries (value: the instance id); reaping looks for it. */
export const INSTANCE_LABEL = 'knit.instance';
/** The label naming the knit process that owns a container (`pid:starttime`). */
export const OWNER_LABEL = 'knit.owner';

export interface PodmanOptions {
  /** The podman binary (default `podman` on PATH). */
  podman?: string;
  /** Pull images that are not in local storage (default true). */
  pull?: boolean;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one podman command (no shell) and collects its output; never rejects. */
export function runPodman(bin: string, args: string[], timeoutMs = 60_000, opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL', ...opts });
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('error', (err) => resolve({ code: 127, stdout, stderr: stderr + err.message }));
    child.once('close', (code, signal) => resolve({ code: code ?? 128 + signalNumber(signal), stdout, stderr }));
  });
}

/** podman's own error, without its `Error: ` prefix, on one line. */
function podmanError(r: CommandResult): string {
  const lines = r.stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('time='));
  return (lines.at(-1) ?? `podman exited with ${r.code}`).replace(/^Error: /, '').replace(/^inspecting object: /, '');
}


/** `pid:starttime` of a process (field 22 of /proc/PID/stat tells a live process from a recycled pid). */
function processIdentity(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return `${pid}:${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
  } catch {
    return undefined;
  }
}

/** The container name of an instance. */
export function containerName(id: string): string {
  return `knit-${id}`;
}

/** The podman pod of a multi-container instance. */
export function podName(id: string): string {
  return `knit-pod-${id}`;
}

/** The repository part of an image reference (no tag, no digest). */
function repositoryOf(image: string): string {
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? ref.slice(0, colon) : ref;
}

interface ImageInfo {
  Id: string;
  Digest?: string;
  RepoDigests?: string[];
}

/**
 * The digest reference that pins `image`: the entry of the image's RepoDigests whose repository
 * is the one the user named (podman may have completed a short name, e.g. `localhost/app`).
 */
export function pinnedReference(image: string, info: ImageInfo): string | undefined {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return image;
  const digest = info.Digest;
  if (!digest) return undefined;
  const repo = repositoryOf(image);
  const matches = (ref: string): boolean => {
    const r = repositoryOf(ref);
    return r === repo || r.endsWith(`/${repo}`);
  };
  const refs = info.RepoDigests ?? [];
  return refs.find((r) => matches(r) && r.endsWith(`@${digest}`)) ?? refs.find(matches) ?? `${repo}@${digest}`;
}

function cpuShares(cores: number): number {
  // Kubernetes' MilliCPUToShares: milli × 1024 / 1000, at least 2.
  return Math.max(2, Math.floor((Math.round(cores * 1000) * 1024) / 1000));
}

/**
 * The `podman run` command line for an instance: published on a loopback port, the runtime
 * contract's env, the container's command/args/workingDir/user, its resource limits, a writable
 * /tmp, no stdin and no tty. `--init` makes SIGTERM reach apps that run as PID 1 without handlers.
 */
export function podmanRunArgs(spec: InstanceSpec, hostPort: number, owner: string, pod?: string): string[] {
  return ['run', '--sig-proxy=false', ...podmanContainerArgs(spec, hostPort, owner, pod)];
}

/**
 * The `podman create` command line of a prepared instance: exactly the arguments `podman run` would
 * take (podmanRunArgs), but for `--sig-proxy`, which belongs to the client that attaches (`podman start
 * --attach --sig-proxy=false`).
 */
export function podmanCreateArgs(spec: InstanceSpec, hostPort: number, owner: string): string[] {
  return ['create', ...podmanContainerArgs(spec, hostPort, owner)];
}

/** What `podman run` and `podman create` of an instance share: every argument after the verb. */
function podmanContainerArgs(spec: InstanceSpec, hostPort: number, owner: string, pod?: string): string[] {
  const c = spec.container;
  const args = [
    '--rm', '--init',
    '--name', containerName(spec.id),
    '--label', `${INSTANCE_LABEL}=${spec.id}`,
    '--label', `${OWNER_LABEL}=${owner}`,
    '--label', `knit.revision=${spec.namespace}/${spec.revision}`,
    '--log-driver', 'none', // knit captures stdout/stderr itself
    // In a pod, the pod publishes the ports (its network is the containers' network).
    ...(pod ? ['--pod', pod] : ['-p', `127.0.0.1:${hostPort}:${spec.containerPort}`]),
    '--tmpfs', '/tmp:rw,mode=1777',
    // The image was pulled (or not) when the revision was created; `Never` must not pull now either.
    `--pull=${c.imagePullPolicy === 'Never' ? 'never' : 'missing'}`,
    // Knative sets PORT on the serving container only.
    ...(spec.role === 'sidecar' ? [] : ['-e', `PORT=${spec.containerPort}`]),
  ];
  // Values travel in podman's own environment (`-e NAME` takes the value from there), never on its
  // command line, where any local user could read a Secret's value; see podmanEnv.
  for (const [k, v] of Object.entries(spec.env)) args.push('-e', podmanReads(k) ? `${k}=${v}` : k);
  if (c.workingDir) args.push('-w', c.workingDir);
  const sc = c.securityContext;
  if (sc?.runAsUser !== undefined) args.push('--user', sc.runAsGroup !== undefined ? `${sc.runAsUser}:${sc.runAsGroup}` : String(sc.runAsUser));
  if (sc?.readOnlyRootFilesystem) args.push('--read-only');
  if (sc?.allowPrivilegeEscalation === false) args.push('--security-opt', 'no-new-privileges');
  for (const cap of sc?.capabilities?.drop ?? []) args.push('--cap-drop', cap);
  for (const cap of sc?.capabilities?.add ?? []) args.push('--cap-add', cap);
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  const memory = limits.memory !== undefined ? parseQuantity(limits.memory) : null;
  if (memory !== null && memory > 0) {
    const bytes = String(Math.floor(memory / 4096) * 4096);
    args.push('--memory', bytes, '--memory-swap', bytes); // no swap, as on a kubelet
  }
  const cpuLimit = limits.cpu !== undefined ? parseQuantity(limits.cpu) : null;
  if (cpuLimit !== null && cpuLimit > 0) args.push('--cpus', String(Math.max(0.01, cpuLimit)));
  const cpuRequest = requests.cpu !== undefined ? parseQuantity(requests.cpu) : cpuLimit;
  if (cpuRequest !== null && cpuRequest > 0) args.push('--cpu-shares', String(cpuShares(cpuRequest)));
  // The pod's volumes (volumes.ts): host directories bound at mountPath; no SELinux relabel (`:Z`), which Debian does not use.
  for (const v of spec.volumes ?? []) args.push('-v', `${v.hostPath}:${v.mountPath}:${v.readOnly ? 'ro' : 'rw'}`);
  // The pod's GPUs through CDI (NVIDIA Container Toolkit's `nvidia.com/gpu=INDEX` devices).
  for (const g of spec.gpus ?? []) args.push('--device', `${GPU_RESOURCE}=${g.index}`);
  if (c.command && c.command.length > 0) args.push('--entrypoint', JSON.stringify(c.command));
  args.push(spec.image);
  if (c.args && c.args.length > 0) args.push(...c.args);
  return args;
}

/**
 * Names podman itself reads from its environment (its home, runtime and config directories, proxies,
 * its own re-exec markers, the Go runtime): giving podman an instance's value for one of these would
 * change podman, so such a variable is passed as `-e NAME=VALUE` on the command line instead.
 */
export function podmanReads(name: string): boolean {
  return /^(HOME|PATH|TMPDIR|USER|LOGNAME|SHELL|LANG|LC_.*|TZ|XDG_.*|CONTAINERS?_.*|_CONTAINERS_.*|PODMAN_.*|STORAGE_.*|BUILDAH_.*|DOCKER_.*|REGISTRY_AUTH_FILE|DBUS_.*|NOTIFY_SOCKET|SSL_CERT_.*|GO[A-Z]*|(HTTPS?|FTP|NO|ALL)_PROXY)$/i.test(name);
}

/** podman's environment for `podman run`: knit's own, plus the instance's variables `-e NAME` names. */
export function podmanEnv(spec: InstanceSpec): NodeJS.ProcessEnv {
  // Null prototype: a variable named `__proto__` is a variable like any other.
  const env = Object.assign(Object.create(null) as NodeJS.ProcessEnv, process.env);
  for (const [k, v] of Object.entries(spec.env)) if (!podmanReads(k)) env[k] = v;
  return env;
}

/** The podman pod a container of a multi-container instance joins. */
interface PodmanPodRef {
  name: string;
  /** The host port the pod publishes the serving port on. */
  hostPort: number;
  /** Host ports of the sidecars' probe ports. */
  portMap: Record<number, number>;
}

/**
 * verifyRunAsNonRoot for an image's USER (`NAME`, `UID`, `UID:GID`, or empty for root), as the kubelet judges
 * it: an explicit runAsUser 0, a root image user, or a user name it cannot check is refused.
 */
export function imageUserRefusal(sc: SecurityContext | undefined, imageUser: string, container: string): string | undefined {
  if (!sc?.runAsNonRoot || sc.runAsUser !== undefined) return verifyRunAsNonRoot(sc, 1, container);
  const user = imageUser.split(':')[0];
  if (user === '' || user === '0') return verifyRunAsNonRoot(sc, 0, container);
  if (!/^\d+$/.test(user)) return `container has runAsNonRoot and image has non-numeric user (${user}), cannot verify user is non-root (container: ${container})`;
  return undefined;
}

/** The working directory of an instance's podman and conmon, beside its log. */
function conmonDirOf(spec: InstanceSpec): string {
  return path.join(path.dirname(spec.logFile), '.conmon', spec.id);
}

/** What tells two prepared containers apart: podman's arguments and the environment its `-e NAME` take values from. */
function fingerprint(createArgs: string[], env: Record<string, string>): string {
  return JSON.stringify([createArgs, Object.entries(env)]);
}

/** A container created and initialised ahead of its instance's start (PodmanRuntime.prepare). */
interface PreparedContainer {
  id: string;
  name: string;
  /** The loopback port it publishes its serving port on. */
  port: number;
  /** The fingerprint of the arguments and env it was created with. */
  fingerprint: string;
  /** Its podman/conmon working directory. */
  dir: string;
  /** Settles true once it is created and initialised, false when it could not be. */
  ready: Promise<boolean>;
}

class PodmanInstance extends ChildInstance {
  private readonly runtime: PodmanRuntime;
  private readonly name: string;
  private readonly pod: PodmanPodRef | undefined;
  private readonly prepared: PreparedContainer | undefined;
  /** The loopback port reserved for it (reserveInstancePort), released when it ends. */
  private reservedPort: number | undefined;

  constructor(runtime: PodmanRuntime, spec: InstanceSpec, pod?: PodmanPodRef, prepared?: PreparedContainer) {
    super(spec);
    this.runtime = runtime;
    this.name = containerName(spec.id);
    this.pod = pod;
    this.prepared = prepared;
  }

  async begin(): Promise<void> {
    if (this.prepared) {
      const p = this.prepared;
      if (await this.runtime.usable(p, this.spec)) {
        if (this.stopRequested) {
          await this.runtime.removePrepared(p);
          return this.finish(0, null);
        }
        this.port = this.reservedPort = p.port;
        // The container exists and its process waits to be started: `podman start` runs it and, attached, carries its output and exit status.
        return this.run(['start', '--attach', '--sig-proxy=false', this.name]);
      }
    }
    try {
      if (this.pod) this.port = this.spec.role === 'sidecar' ? 0 : this.pod.hostPort;
      else this.port = this.reservedPort = await reserveInstancePort();
      fs.mkdirSync(path.dirname(this.spec.logFile), { recursive: true });
    } catch (err) {
      this.logs.push(`knit: ${(err as Error).message}`);
      return this.finish(127, null);
    }
    const refusal = await this.runtime.refuseStart(this.spec);
    if (refusal) {
      releaseInstancePort(this.reservedPort);
      return this.failToStart(refusal.reason, refusal.message);
    }
    if (this.stopRequested) return this.finish(0, null);
    try {
      fs.mkdirSync(this.conmonDir, { recursive: true });
    } catch (err) {
      this.logs.push(`knit: ${(err as Error).message}`);
      return this.finish(127, null);
    }
    this.run(podmanRunArgs(this.spec, this.port, this.runtime.owner, this.pod?.name));
  }

  /** Runs the podman client that runs the container (`podman run`, or `podman start --attach` of a prepared one) and supervises it. */
  private run(args: string[]): void {
    const child = spawn(this.runtime.bin, args, {
      env: podmanEnv(this.spec),
      stdio: ['ignore', 'pipe', 'pipe'],
      // conmon drops files into its working directory: `oom` after an OOM kill (see terminationReason).
      cwd: this.conmonDir,
      detached: true, // a Ctrl-C at knit's terminal must not reach the container before the drain
    });
    // 'close' (not 'exit'): the container's last output lines arrive before it.
    this.adopt(child, 'close');
    this.startProbes({
      // `podman exec` itself takes ~100 ms: never less than the probe's own timeout.
      exec: async (command, timeoutMs) => {
        const ms = Math.max(timeoutMs, (this.spec.readinessProbe?.timeoutSeconds || 1) * 1000);
        return (await runPodman(this.runtime.bin, ['exec', this.name, ...command], ms)).code === 0;
      },
      ...(this.pod ? { portMap: this.pod.portMap } : {}),
    });
  }

  private get gone(): boolean {
    return this.state === 'exited';
  }

  /** The instance's own working directory for podman and conmon, beside its log. */
  private get conmonDir(): string {
    return conmonDirOf(this.spec);
  }

  /**
   * podman's State.OOMKilled comes from the `oom` file conmon writes when the container's cgroup
   * saw an OOM kill (containers/conmon src/ctr_oom.c write_oom_files writes it into its working directory too);
   * `--rm` removes the container before it could be inspected, so knit reads that file.
   */
  protected override terminationReason(): 'OOMKilled' | undefined {
    return fs.existsSync(path.join(this.conmonDir, 'oom')) ? 'OOMKilled' : undefined;
  }

  protected override onFinished(): void {
    releaseInstancePort(this.reservedPort);
    fs.rmSync(this.conmonDir, { recursive: true, force: true });
  }

  stop(): Promise<void> {
    if (this.state === 'exited') return this.exited;
    // Before the spawn, begin() sees stopRequested and starts nothing.
    if (this.beginStop() && this.child) void this.stopContainer();
    return this.exited;
  }

  /** `podman stop -t <grace>` (the image's stop signal, then SIGKILL), retried while the container is still being created. */
  private async stopContainer(): Promise<void> {
    const grace = Math.max(0, Math.ceil(this.spec.gracePeriodSeconds));
    const giveUp = Date.now() + 30_000;
    for (;;) {
      const r = await runPodman(this.runtime.bin, ['stop', '-t', String(grace), this.name], (grace + 30) * 1000);
      if (this.gone) return;
      if (r.code === 0 || Date.now() > giveUp) break;
      // "no such container": podman run has not created it yet.
      await new Promise((res) => setTimeout(res, 100));
      if (this.gone) return;
    }
    // Stopped: podman run removes the container and exits. Force it if it does not.
    const forced = setTimeout(() => {
      const pid = this.child?.pid;
      if (pid !== undefined) killGroup(pid, 'SIGKILL');
      void runPodman(this.runtime.bin, ['rm', '-f', '-t', '0', this.name]);
    }, 10_000);
    await this.exited;
    clearTimeout(forced);
  }
}

/** Runs every image that is not `file://` as a podman container. */
/**
 * Runs `fn` with `--authfile FILE` arguments for the auth document (in a private temporary directory, removed
 * afterwards), or with none.
 */
export async function withAuthFile<T>(auth: string | undefined, fn: (args: string[]) => Promise<T>): Promise<T> {
  if (auth === undefined) return fn([]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-auth-'));
  try {
    const file = path.join(dir, 'auth.json');
    fs.writeFileSync(file, auth, { mode: 0o600 });
    return await fn(['--authfile', file]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export class PodmanRuntime implements Runtime {
  readonly name = 'podman';
  readonly bin: string;
  /** This process's identity, written on every container it starts. */
  readonly owner: string;
  private readonly pull: boolean;
  /** Containers prepared for instances not started yet, by instance id. */
  private readonly prepared = new Map<string, PreparedContainer>();

  constructor(opts: PodmanOptions = {}) {
    this.bin = opts.podman ?? 'podman';
    this.pull = opts.pull ?? true;
    this.owner = processIdentity(process.pid) ?? String(process.pid);
  }

  /** podman's version line when podman runs here, else undefined. */
  static async available(bin = 'podman'): Promise<string | undefined> {
    const r = await runPodman(bin, ['--version'], 10_000);
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  handles(image: string): boolean {
    return !image.startsWith('file://');
  }

  /**
   * Resolves a tag to `repository@sha256:…`, so re-tagging never changes a revision, pulling as the
   * kubelet's pull policies say (kubernetes pkg/kubelet/images/image_manager.go shouldPullImage):
   * `Always` pulls again (a re-pushed tag gives the new revision the new content), `IfNotPresent` and no
   * policy pull only a missing image, `Never` never pulls: a missing image then has no digest, and its
   * instances fail to start with the kubelet's ErrImageNeverPull (see refuseStart). `auth` (the
   * revision's imagePullSecrets as containers-auth.json) is used for a pull.
   */
  async resolveDigest(image: string, pullPolicy?: string, auth?: string): Promise<string | undefined> {
    // `localhost/…` names images built here: no registry has them.
    const registry = this.pull && !image.startsWith('localhost/');
    const pull = async (): Promise<void> => {
      const pulled = await withAuthFile(auth, (authArgs) => runPodman(this.bin, ['pull', '-q', ...authArgs, image], 10 * 60_000));
      if (pulled.code !== 0) throw new RuntimeError('ContainerMissing', `Unable to fetch image "${image}": ${podmanError(pulled)}`);
    };
    if (pullPolicy === 'Always' && registry) await pull();
    let r = await runPodman(this.bin, ['image', 'inspect', image]);
    if (r.code !== 0 && pullPolicy === 'Never') return undefined;
    if (r.code !== 0 && registry && pullPolicy !== 'Always') {
      await pull();
      r = await runPodman(this.bin, ['image', 'inspect', image]);
    }
    if (r.code !== 0) throw new RuntimeError('ContainerMissing', `Unable to fetch image "${image}": ${podmanError(r)}`);
    let info: ImageInfo | undefined;
    try {
      info = (JSON.parse(r.stdout) as ImageInfo[])[0];
    } catch {
      // handled below
    }
    if (!info) throw new RuntimeError('ContainerMissing', `Unable to fetch image "${image}": podman image inspect gave no image`);
    return pinnedReference(image, info);
  }

  /**
   * What the kubelet refuses before it creates a container: a missing image under `imagePullPolicy: Never`
   * (ErrImageNeverPull, kubernetes pkg/kubelet/images/image_manager.go EnsureImageExists) and a root user
   * under `runAsNonRoot` (CreateContainerConfigError, pkg/kubelet/kuberuntime/security_context_others.go
   * verifyRunAsNonRoot, judged on the image's USER when the container sets no runAsUser).
   */
  async refuseStart(spec: InstanceSpec): Promise<{ reason: string; message: string } | undefined> {
    const c = spec.container;
    const sc = c.securityContext;
    const name = c.name ?? 'user-container';
    const explicit = sc?.runAsUser !== undefined ? verifyRunAsNonRoot(sc, 1, name) : undefined;
    if (explicit) return { reason: 'CreateContainerConfigError', message: explicit };
    const needUser = sc?.runAsNonRoot === true && sc.runAsUser === undefined;
    if (c.imagePullPolicy !== 'Never' && !needUser) return undefined;
    const r = await runPodman(this.bin, ['image', 'inspect', '--format', '{{.Config.User}}', spec.image]);
    if (r.code !== 0) {
      if (c.imagePullPolicy === 'Never') return { reason: 'ErrImageNeverPull', message: `Container image "${c.image ?? spec.image}" is not present with pull policy of Never` };
      return undefined; // podman run reports it
    }
    const refusal = imageUserRefusal(sc, r.stdout.trim(), name);
    return refusal ? { reason: 'CreateContainerConfigError', message: refusal } : undefined;
  }

  start(spec: InstanceSpec): Instance {
    if (spec.sidecars?.length) {
      const pod = new PodInstance(spec, { open: (s) => this.openPod(s) });
      void pod.begin();
      return pod;
    }
    const prepared = this.prepared.get(spec.id);
    this.prepared.delete(spec.id);
    const inst = new PodmanInstance(this, spec, undefined, prepared);
    void inst.begin();
    return inst;
  }

  /**
   * Creates and initialises the container of a future instance of `spec` (`podman create` with exactly the
   * arguments `podman run` would take, then `podman init`: the OCI runtime has made its namespaces, network
   * and mounts, and its process waits to be started), so that `start(spec)` only has to `podman start` it.
   * A pod (sidecars) is not prepared. What the kubelet would refuse is not prepared either: the start refuses it.
   */
  prepare(spec: InstanceSpec): void {
    if (spec.sidecars?.length || this.prepared.has(spec.id)) return;
    const p: PreparedContainer = { id: spec.id, name: containerName(spec.id), port: 0, fingerprint: '', dir: conmonDirOf(spec), ready: Promise.resolve(false) };
    p.ready = this.createPrepared(p, spec);
    this.prepared.set(spec.id, p);
  }

  private async createPrepared(p: PreparedContainer, spec: InstanceSpec): Promise<boolean> {
    try {
      if (await this.refuseStart(spec)) return false;
      p.port = await reserveInstancePort();
      const args = podmanCreateArgs(spec, p.port, this.owner);
      p.fingerprint = fingerprint(args, spec.env);
      await fs.promises.mkdir(p.dir, { recursive: true });
      // conmon, started by `podman init`, works in p.dir: its `oom` file lands where the instance looks (terminationReason).
      const created = await runPodman(this.bin, args, 10 * 60_000, { env: podmanEnv(spec), cwd: p.dir });
      const init = created.code === 0 ? await runPodman(this.bin, ['init', p.name], 60_000, { cwd: p.dir }) : created;
      if (init.code === 0) return true;
      console.error(`knit: preparing the container of ${spec.namespace}/${spec.revision}: ${podmanError(init)}`);
    } catch (err) {
      console.error(`knit: preparing the container of ${spec.namespace}/${spec.revision}: ${(err as Error).message}`);
    }
    await this.removePrepared(p);
    return false;
  }

  /**
   * Whether a prepared container can run an instance of `spec`: it was made, and with exactly what `podman run`
   * of this spec would take. One that cannot is removed.
   */
  async usable(p: PreparedContainer, spec: InstanceSpec): Promise<boolean> {
    if (!(await p.ready)) return false;
    if (p.fingerprint === fingerprint(podmanCreateArgs(spec, p.port, this.owner), spec.env)) return true;
    await this.removePrepared(p);
    return false;
  }

  /** Removes a prepared container and its working directory. */
  async removePrepared(p: PreparedContainer): Promise<void> {
    await runPodman(this.bin, ['rm', '-f', '-t', '0', '--ignore', p.name]);
    releaseInstancePort(p.port || undefined);
    await fs.promises.rm(p.dir, { recursive: true, force: true });
  }

  async discard(id: string): Promise<void> {
    const p = this.prepared.get(id);
    if (!p) return;
    this.prepared.delete(id);
    await p.ready;
    await this.removePrepared(p);
  }

  /**
   * `podman pod create` for a multi-container instance: the pod's infra container holds the network
   * its containers share, and the pod publishes the serving port on loopback, and each port a sidecar's
   * probe names (the kubelet probes a pod's IP; knit reaches the pod's ports from the host).
   */
  private async openPod(spec: InstanceSpec): Promise<PodNetwork> {
    checkOneRuntime(spec, (i) => this.handles(i));
    const name = podName(spec.id);
    const hostPort = await freePort();
    const portMap: Record<number, number> = {};
    for (const s of spec.sidecars ?? []) {
      for (const p of [s.container.readinessProbe, s.container.livenessProbe, s.container.startupProbe]) {
        const port = p?.httpGet?.port ?? p?.tcpSocket?.port ?? p?.grpc?.port;
        if (typeof port === 'number' && port > 0 && portMap[port] === undefined) portMap[port] = await freePort();
      }
    }
    const publish = [`127.0.0.1:${hostPort}:${spec.containerPort}`, ...Object.entries(portMap).map(([inner, host]) => `127.0.0.1:${host}:${inner}`)];
    const r = await runPodman(this.bin, [
      'pod', 'create', '--name', name,
      '--label', `${INSTANCE_LABEL}=${spec.id}`, '--label', `${OWNER_LABEL}=${this.owner}`, '--label', `knit.revision=${spec.namespace}/${spec.revision}`,
      ...publish.flatMap((p) => ['-p', p]),
    ]);
    if (r.code !== 0) throw new RuntimeError('CreateContainerError', `cannot create the pod: ${podmanError(r)}`);
    const ref: PodmanPodRef = { name, hostPort, portMap };
    return {
      host: '127.0.0.1',
      port: hostPort,
      start: (s) => {
        const inst = new PodmanInstance(this, s, ref);
        void inst.begin();
        return inst;
      },
      close: async () => {
        await runPodman(this.bin, ['pod', 'rm', '-f', '-t', '0', name]);
      },
    };
  }

  /** Removes knit containers whose owning knit process is gone (left by a crash); returns how many. */
  async reapOrphans(): Promise<number> {
    const r = await runPodman(this.bin, ['ps', '-a', '--filter', `label=${INSTANCE_LABEL}`, '--format', 'json']);
    if (r.code !== 0) return 0;
    let list: { Id: string; Labels?: Record<string, string> | null }[] = [];
    try {
      list = JSON.parse(r.stdout || '[]') as typeof list;
    } catch {
      return 0;
    }
    const orphans = list.filter((c) => {
      const owner = c.Labels?.[OWNER_LABEL] ?? '';
      const pid = Number(owner.split(':')[0]);
      return !(pid > 0 && processIdentity(pid) === owner);
    });
    if (orphans.length > 0) await runPodman(this.bin, ['rm', '-f', '-t', '0', ...orphans.map((c) => c.Id)]);
    return orphans.length + (await this.reapPods());
  }

  /** Removes the pods (multi-container instances) whose owning knit process is gone. */
  private async reapPods(): Promise<number> {
    const r = await runPodman(this.bin, ['pod', 'ps', '--filter', `label=${INSTANCE_LABEL}`, '--format', 'json']);
    if (r.code !== 0) return 0;
    let list: { Id: string; Labels?: Record<string, string> | null }[] = [];
    try {
      list = (JSON.parse(r.stdout || '[]') as typeof list | null) ?? [];
    } catch {
      return 0;
    }
    const orphans = list.filter((p) => {
      const owner = p.Labels?.[OWNER_LABEL] ?? '';
      const pid = Number(owner.split(':')[0]);
      return !(pid > 0 && processIdentity(pid) === owner);
    });
    if (orphans.length > 0) await runPodman(this.bin, ['pod', 'rm', '-f', '-t', '0', ...orphans.map((p) => p.Id)]);
    return orphans.length;
  }
}
