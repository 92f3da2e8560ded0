// The podman runtime: any image that is not `file://` runs as an OCI container through podman.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { parseQuantity } from '../api/go-values.ts';
import { ChildInstance, signalNumber } from './child-instance.ts';
import { freePort, killGroup } from './process.ts';
import { RuntimeError, type Instance, type InstanceSpec, type Runtime } from './runtime.ts';
import { PodInstance, checkOneRuntime, type PodNetwork } from './pod.ts';

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
export function runPodman(bin: string, args: string[], timeoutMs = 60_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
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
  const c = spec.container;
  const args = [
    'run', '--rm', '--init',
    '--name', containerName(spec.id),
    '--label', `${INSTANCE_LABEL}=${spec.id}`,
    '--label', `${OWNER_LABEL}=${owner}`,
    '--label', `knit.revision=${spec.namespace}/${spec.revision}`,
    '--log-driver', 'none', // knit captures stdout/stderr itself
    '--sig-proxy=false',
    // In a pod, the pod publishes the ports (its network is the containers' network).
    ...(pod ? ['--pod', pod] : ['-p', `127.0.0.1:${hostPort}:${spec.containerPort}`]),
    '--tmpfs', '/tmp:rw,mode=1777',
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

class PodmanInstance extends ChildInstance {
  private readonly runtime: PodmanRuntime;
  private readonly name: string;
  private readonly pod: PodmanPodRef | undefined;

  constructor(runtime: PodmanRuntime, spec: InstanceSpec, pod?: PodmanPodRef) {
    super(spec);
    this.runtime = runtime;
    this.name = containerName(spec.id);
    this.pod = pod;
  }

  async begin(): Promise<void> {
    try {
      this.port = this.pod ? (this.spec.role === 'sidecar' ? 0 : this.pod.hostPort) : await freePort();
      fs.mkdirSync(path.dirname(this.spec.logFile), { recursive: true });
    } catch (err) {
      this.logs.push(`knit: ${(err as Error).message}`);
      return this.finish(127, null);
    }
    if (this.stopRequested) return this.finish(0, null);
    const child = spawn(this.runtime.bin, podmanRunArgs(this.spec, this.port, this.runtime.owner, this.pod?.name), {
      env: podmanEnv(this.spec),
      stdio: ['ignore', 'pipe', 'pipe'],
      // conmon drops files (e.g. `oom` after an OOM kill) into its working directory.
      cwd: path.dirname(this.spec.logFile),
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

  /** Resolves a tag to `repository@sha256:…` (pulling when the image is not local), so re-tagging never changes a revision. */
  async resolveDigest(image: string, auth?: string): Promise<string | undefined> {
    let r = await runPodman(this.bin, ['image', 'inspect', image]);
    // `localhost/…` names images built here: no registry has them.
    if (r.code !== 0 && this.pull && !image.startsWith('localhost/')) {
      const pulled = await withAuthFile(auth, (authArgs) => runPodman(this.bin, ['pull', '-q', ...authArgs, image], 10 * 60_000));
      if (pulled.code !== 0) throw new RuntimeError('ContainerMissing', `Unable to fetch image "${image}": ${podmanError(pulled)}`);
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

  start(spec: InstanceSpec): Instance {
    if (spec.sidecars?.length) {
      const pod = new PodInstance(spec, { open: (s) => this.openPod(s) });
      void pod.begin();
      return pod;
    }
    const inst = new PodmanInstance(this, spec);
    void inst.begin();
    return inst;
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
