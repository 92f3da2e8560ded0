// The process runtime: a `file:///abs/dir` image runs as a host process started in that directory.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeError, type Instance, type InstanceSpec, type Runtime } from './runtime.ts';
import { ChildInstance } from './child-instance.ts';

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

class ProcessInstance extends ChildInstance {
  private killTimer: NodeJS.Timeout | undefined;

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
      const child = spawn(argv[0], argv.slice(1), {
        cwd,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // own process group, so stop() reaches grandchildren too
      });
      this.adopt(child, 'exit');
      this.startProbes({ cwd, env });
    } catch (err) {
      this.failToStart(err instanceof RuntimeError ? err.reason : 'ContainerMissing', (err as Error).message);
    }
  }

  protected override onFinished(): void {
    if (this.killTimer) clearTimeout(this.killTimer);
  }

  stop(): Promise<void> {
    if (this.state === 'exited') return this.exited;
    if (this.beginStop()) {
      const pid = this.child?.pid;
      if (pid !== undefined) {
        killGroup(pid, 'SIGTERM');
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
