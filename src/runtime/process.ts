// The process runtime: a `file:///abs/dir` image runs as a host process started in that directory.

import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProbeLoop } from './probe.ts';
import { RuntimeError, type Instance, type InstanceExit, type InstanceSpec, type InstanceState, type Runtime } from './runtime.ts';
import { LogRing } from './logs.ts';

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
      throw new RuntimeError('ContainerMissing', `${pkgPath}: ${(err as Error).message}`);
    }
    const start = typeof pkg.scripts?.start === 'string' ? pkg.scripts.start.trim().split(/\s+/) : [];
    const main = start.length === 2 && start[0] === 'node' ? start[1] : typeof pkg.main === 'string' ? pkg.main : 'index.js';
    return [process.execPath, main, ...(args ?? [])];
  }
  throw new RuntimeError(
    'ContainerMissing',
    `image ${pathToImage(dir)} has no entrypoint: set the container's command (kn: --cmd) or add a package.json`,
  );
}

function pathToImage(dir: string): string {
  return `file://${dir}`;
}

class ProcessInstance extends EventEmitter implements Instance {
  readonly id: string;
  readonly spec: InstanceSpec;
  readonly host = '127.0.0.1';
  port = 0;
  state: InstanceState = 'starting';
  startupMs: number | undefined;
  private child: ChildProcess | undefined;
  private probes: ProbeLoop | undefined;
  private readonly logs = new LogRing(200);
  private logStream: fs.WriteStream | undefined;
  private readonly startedAt = performance.now();
  private stopRequested = false;
  private everReady = false;
  private exited: Promise<void>;
  private resolveExited!: () => void;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(spec: InstanceSpec) {
    super();
    this.id = spec.id;
    this.spec = spec;
    this.exited = new Promise((r) => (this.resolveExited = r));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  lastLogLines(n: number): string[] {
    return this.logs.last(n);
  }

  async begin(): Promise<void> {
    try {
      const dir = imageDir(this.spec.image);
      const st = fs.statSync(dir, { throwIfNoEntry: false });
      if (!st?.isDirectory()) throw new RuntimeError('ContainerMissing', `Unable to fetch image "${this.spec.image}": ${dir} is not a directory`);
      const argv = processCommand(dir, this.spec.container.command, this.spec.container.args);
      const cwd = this.spec.container.workingDir ? path.resolve(dir, this.spec.container.workingDir) : dir;
      this.port = await freePort();
      if (this.stopRequested) return this.finish(0, null);
      const env = { ...baseEnv(), ...this.spec.env, PORT: String(this.port) };
      fs.mkdirSync(path.dirname(this.spec.logFile), { recursive: true });
      this.logStream = fs.createWriteStream(this.spec.logFile, { flags: 'a' });
      const child = spawn(argv[0], argv.slice(1), {
        cwd,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // own process group, so stop() reaches grandchildren too
      });
      this.child = child;
      if (child.pid !== undefined) this.emit('spawned', child.pid);
      child.stdout?.on('data', (b: Buffer) => this.onOutput(b));
      child.stderr?.on('data', (b: Buffer) => this.onOutput(b));
      child.once('error', (err) => {
        this.logs.push(`knit: ${err.message}`);
        this.finish(127, null);
      });
      child.once('exit', (code, signal) => this.finish(code, signal));
      this.probes = new ProbeLoop(this.spec.readinessProbe, { host: this.host, port: this.port, containerPort: this.spec.containerPort, cwd, env }, {
        onReady: () => this.setReady(true),
        onUnready: () => this.setReady(false),
      });
    } catch (err) {
      const reason = err instanceof RuntimeError ? err.reason : 'ContainerMissing';
      this.logs.push((err as Error).message);
      this.state = 'exited';
      const exit: InstanceExit = { code: 127, beforeReady: true, requested: false, reason, message: (err as Error).message };
      this.resolveExited();
      queueMicrotask(() => this.emit('exit', exit));
    }
  }

  private onOutput(b: Buffer): void {
    this.logStream?.write(b);
    this.logs.write(b);
  }

  private setReady(ready: boolean): void {
    if (this.state === 'terminating' || this.state === 'exited') return;
    if (ready) {
      if (this.startupMs === undefined) this.startupMs = performance.now() - this.startedAt;
      this.everReady = true;
      this.state = 'ready';
      this.emit('ready');
    } else {
      this.state = 'starting';
      this.emit('unready');
    }
  }

  private finish(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.state === 'exited') return;
    this.state = 'exited';
    this.probes?.stop();
    if (this.killTimer) clearTimeout(this.killTimer);
    this.logStream?.end();
    const exitCode = code ?? 128 + signalNumber(signal);
    const tail = this.logs.last(10).join('\n').trim();
    const message = tail ? `Container failed with: ${tail}` : exitCode === 0 ? 'Container failed with: container exited with no error' : `Container failed with: exit code ${exitCode}`;
    const exit: InstanceExit = { code: exitCode, beforeReady: !this.everReady, requested: this.stopRequested, reason: `ExitCode${exitCode}`, message };
    this.resolveExited();
    this.emit('exit', exit);
  }

  stop(): Promise<void> {
    if (this.state === 'exited') return this.exited;
    if (!this.stopRequested) {
      this.stopRequested = true;
      this.state = 'terminating';
      this.probes?.stop();
      const pid = this.child?.pid;
      if (pid !== undefined) {
        killGroup(pid, 'SIGTERM');
        this.killTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), this.spec.gracePeriodSeconds * 1000);
      }
    }
    return this.exited;
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (os.constants.signals[signal] ?? 0) : 0;
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

/** Runs `file://` images as host processes. */
export class ProcessRuntime implements Runtime {
  readonly name = 'process';

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
    const inst = new ProcessInstance(spec);
    void inst.begin();
    return inst;
  }
}
