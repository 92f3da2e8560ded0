// The one launcher of `knit serve` for tests and benchmarks: a child process on free loopback ports with its own
// data dir, ready once it wrote DATA_DIR/endpoints.json, stopped by a signal (SIGKILL after a grace period).

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const REPO = path.resolve(import.meta.dirname, '..');
export const KNIT = path.join(REPO, 'bin', 'knit');

/** DATA_DIR/endpoints.json as `knit serve` writes it (docs/architecture.md). */
export interface Endpoints {
  api: string;
  http: string;
  localHttp: string;
  /** The Prometheus metrics URL. */
  metrics: string;
  pid: number;
}

export interface KnitServeOptions {
  dataDir: string;
  /** What runs knit, up to the `serve` word (default: bin/knit). */
  command?: string[];
  /** More `knit serve` flags after the data dir and the three port-0 listeners (e.g. --domain, --config). */
  args?: string[];
  /** The server's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * Run it as the leader of its own process group: stop() signals the whole group, and whatever is left in
   * the group when the leader exits is killed at once (benchmarks want this; instances have their own groups).
   */
  processGroup?: boolean;
  /** Called with each chunk the server prints. */
  onOutput?: (text: string, stream: 'stdout' | 'stderr') => void;
}

/** The PEM of the CA that signs the API's certificate of the knit serve using `dataDir`. */
export function apiCa(dataDir: string): string {
  return fs.readFileSync(path.join(dataDir, 'pki', 'ca.crt'), 'utf8');
}

/** Output kept per stream: the last MiB. */
const KEEP = 1 << 20;

function keepTail(text: string): string {
  return text.length > KEEP ? text.slice(-KEEP) : text;
}

function signalProcess(pid: number, signal: NodeJS.Signals, group: boolean): void {
  try {
    process.kill(group ? -pid : pid, signal);
  } catch {
    // gone
  }
}

/** A `knit serve` child process. */
export class KnitServeProcess {
  readonly name = 'knit serve';
  readonly child: ChildProcess;
  readonly pid: number;
  readonly dataDir: string;
  private combined = '';
  private errText = '';
  private exit: { code: number | null; signal: string | null } | undefined;
  private readonly exitP: Promise<void>;
  private readonly group: boolean;

  constructor(opts: KnitServeOptions) {
    this.dataDir = opts.dataDir;
    this.group = opts.processGroup === true;
    // A restart on the same data dir must not read the previous server's endpoints.
    fs.rmSync(path.join(opts.dataDir, 'endpoints.json'), { force: true });
    const [cmd, ...pre] = opts.command ?? [KNIT];
    const argv = [...pre, 'serve', '--data-dir', opts.dataDir, '--http', '127.0.0.1:0', '--api', '127.0.0.1:0', '--local-http', '127.0.0.1:0', '--metrics', '127.0.0.1:0', ...(opts.args ?? [])];
    const child = spawn(cmd, argv, { cwd: opts.cwd ?? REPO, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: this.group });
    this.child = child;
    this.pid = child.pid ?? -1;
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      this.combined = keepTail(this.combined + s);
      opts.onOutput?.(s, 'stdout');
    });
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      this.combined = keepTail(this.combined + s);
      this.errText = keepTail(this.errText + s);
      opts.onOutput?.(s, 'stderr');
    });
    this.exitP = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        // Only now, while the group id cannot belong to anyone else: its stragglers or nothing.
        if (this.group && this.pid > 0) signalProcess(this.pid, 'SIGKILL', true);
        resolve();
      });
      child.once('error', (e) => {
        this.errText += `spawn error: ${e.message}\n`;
        this.combined += `spawn error: ${e.message}\n`;
        this.exit ??= { code: 127, signal: null };
        resolve();
      });
    });
  }

  /** Everything the server printed (stdout and stderr as they came; the last MiB). */
  output(): string {
    return this.combined;
  }

  /** What the server printed on stderr (the last MiB). */
  stderr(): string {
    return this.errText;
  }

  /** How it ended, once it did. */
  exited(): { code: number | null; signal: string | null } | undefined {
    return this.exit;
  }

  /** Waits until the server wrote its endpoints.json (and its token); throws when it exits first or after timeoutMs. */
  async ready(timeoutMs = 20_000): Promise<{ endpoints: Endpoints; token: string; ca: string }> {
    const file = path.join(this.dataDir, 'endpoints.json');
    const deadline = performance.now() + timeoutMs;
    while (!this.exit && performance.now() < deadline) {
      try {
        const e = JSON.parse(fs.readFileSync(file, 'utf8')) as Endpoints;
        if (e.pid === this.pid && e.api && e.http) return { endpoints: e, token: fs.readFileSync(path.join(this.dataDir, 'token'), 'utf8').trim(), ca: apiCa(this.dataDir) };
      } catch {
        // not written yet, or half-written
      }
      await sleep(20);
    }
    const why = this.exit ? `exited ${JSON.stringify(this.exit)}` : `no endpoints.json after ${timeoutMs} ms`;
    throw new Error(`knit serve did not start (${why}): ${this.combined.trim().slice(-2000)}`);
  }

  /** Sends `signal` (to the group, with processGroup) and waits for the exit; SIGKILL after graceMs. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
    if (this.exit || this.pid <= 0) return;
    signalProcess(this.pid, signal, this.group);
    const timer = setTimeout(() => {
      if (!this.exit) signalProcess(this.pid, 'SIGKILL', this.group);
    }, graceMs);
    await this.exitP;
    clearTimeout(timer);
  }
}

/** Starts `knit serve` and waits until it is ready; a server that does not get ready is stopped before the error. */
export async function startKnitServe(opts: KnitServeOptions, timeoutMs = 20_000): Promise<{ proc: KnitServeProcess; endpoints: Endpoints; token: string }> {
  const proc = new KnitServeProcess(opts);
  try {
    return { proc, ...(await proc.ready(timeoutMs)) };
  } catch (e) {
    await proc.stop('SIGKILL', 0);
    throw e;
  }
}
