// The client of knit's spawner process (spawner-helper.ts): instance processes are forked by a small helper
// process instead of knit serve itself, so a burst of cold starts costs knit's event loop one JSON line per
// start instead of a fork of its whole address space (and of `mkfifo`) each.

import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import readline from 'node:readline';
import { PassThrough } from 'node:stream';

const HELPER = path.join(import.meta.dirname, 'spawner-helper.ts');

/** What a supervised process needs from the process it supervises: a ChildProcess, or a RemoteChild. */
export interface SupervisedChild {
  readonly pid?: number | undefined;
  readonly stdout?: NodeJS.ReadableStream | null;
  readonly stderr?: NodeJS.ReadableStream | null;
  readonly stdio?: readonly unknown[];
  once(event: 'exit' | 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  once(event: 'error', listener: (err: Error) => void): unknown;
}

export interface RemoteSpawnOptions {
  cwd: string;
  env: Record<string, string>;
  /** A FIFO whose write end the child gets as stdout and stderr (the caller holds its read end open). */
  output?: string;
  /** Give the child a pipe at fd 3 whose content arrives on `stdio[3]` (bwrap's --info-fd). */
  info?: boolean;
  /**
   * Give the child a pipe as stdin that stays silent until `Spawner.openGate` writes `go` and a newline to it and
   * closes it (a prepared instance waits on it; see process.ts GATE). Without it, stdin is /dev/null.
   */
  gate?: boolean;
  detached?: boolean;
  uid?: number;
  gid?: number;
}

/** The spawner's requests, one JSON line each on its stdin (spawner-helper.ts reads them). */
export type SpawnerRequest =
  | { op: 'fifo'; id: number; path: string; uid: number; gid: number }
  | ({ op: 'spawn'; id: number; file: string; args: string[] } & RemoteSpawnOptions)
  | { op: 'open'; id: number };

type ExitListener = (code: number | null, signal: NodeJS.Signals | null) => void;

/**
 * A process the spawner started: emits 'exit' (code, signal) once, or 'error'. Its exit may be reported in
 * the same read as its start, before its supervisor listens: an 'exit' listener added after the exit is
 * called at once (in a microtask), as if it had listened all along.
 */
export class RemoteChild extends EventEmitter {
  pid: number | undefined;
  /** The spawner's id of the request that started it. */
  readonly requestId: number;
  readonly stdout = null;
  readonly stderr = null;
  /** Index 3 carries the child's fd 3 output when asked for (`info`). */
  readonly stdio: [null, null, null, PassThrough | null];
  /** Its exit status, once it exited. */
  private status: [number | null, NodeJS.Signals | null] | undefined;

  constructor(requestId: number, info: boolean) {
    super();
    this.requestId = requestId;
    this.stdio = [null, null, null, info ? new PassThrough() : null];
  }

  get exited(): boolean {
    return this.status !== undefined;
  }

  /** @internal the spawner reports the exit. */
  exit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.status) return;
    this.status = [code, signal];
    this.stdio[3]?.end();
    this.emit('exit', code, signal);
  }

  override on(event: string | symbol, listener: Parameters<EventEmitter['on']>[1]): this {
    if (event === 'exit' && this.status) {
      const [code, signal] = this.status;
      queueMicrotask(() => (listener as ExitListener)(code, signal));
      return this;
    }
    return super.on(event, listener);
  }

  override once(event: string | symbol, listener: Parameters<EventEmitter['on']>[1]): this {
    if (event === 'exit' && this.status) return this.on(event, listener);
    return super.once(event, listener);
  }
}

type Waiter = { resolve: () => void; reject: (err: Error) => void };

interface Event {
  id: number;
  event: 'done' | 'error' | 'spawned' | 'info' | 'info-end' | 'exit';
  message?: string;
  pid?: number;
  data?: string;
  code?: number | null;
  signal?: NodeJS.Signals | null;
}

/** One spawner process, started on first use and again after it died. */
export class Spawner {
  private helper: ChildProcess | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();
  private readonly children = new Map<number, { child: RemoteChild; spawned: Waiter }>();

  private ensure(): ChildProcess {
    if (this.helper) return this.helper;
    // Its own process group (a Ctrl-C at knit's terminal must not end it before knit drains), no env of knit's.
    const helper = spawn(process.execPath, [HELPER], { stdio: ['pipe', 'pipe', 'inherit'], detached: true, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    this.helper = helper;
    helper.unref();
    // Requests never keep knit running by themselves (see refresh).
    (helper.stdin as unknown as { unref(): void }).unref();
    helper.stdin!.on('error', () => {});
    readline.createInterface({ input: helper.stdout! }).on('line', (line) => this.onLine(line));
    helper.once('exit', () => this.helperGone(helper));
    helper.once('error', () => this.helperGone(helper));
    this.refresh();
    return helper;
  }

  /** The helper keeps knit's event loop alive only while something waits on it. */
  private refresh(): void {
    const out = this.helper?.stdout as (NodeJS.ReadableStream & { ref?(): void; unref?(): void }) | undefined;
    // The process handle too: its exit must be seen even after its stdout closed.
    if (this.waiting.size + this.children.size > 0) {
      out?.ref?.();
      this.helper?.ref();
    } else {
      out?.unref?.();
      this.helper?.unref();
    }
  }

  private send(m: SpawnerRequest): void {
    this.ensure().stdin!.write(`${JSON.stringify(m)}\n`);
  }

  /** Makes a FIFO (mode 0600) owned by uid:gid at `file`. */
  mkfifo(file: string, uid: number, gid: number): Promise<void> {
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.send({ op: 'fifo', id, path: file, uid, gid });
      this.refresh();
    });
  }

  /** Starts `file args` in the spawner; resolves once it runs (its pid known), rejects when it could not be started. */
  spawn(file: string, args: string[], opts: RemoteSpawnOptions): Promise<RemoteChild> {
    const id = this.nextId++;
    const child = new RemoteChild(id, opts.info ?? false);
    return new Promise<RemoteChild>((resolve, reject) => {
      this.children.set(id, { child, spawned: { resolve: () => resolve(child), reject } });
      this.send({ op: 'spawn', id, file, args, ...opts });
      this.refresh();
    });
  }

  /** Opens the stdin gate of a child spawned with `gate` (writes `go` and a newline, then closes the pipe). */
  openGate(child: RemoteChild): void {
    if (this.children.get(child.requestId)?.child === child) this.send({ op: 'open', id: child.requestId });
  }

  private onLine(line: string): void {
    let ev: Event;
    try {
      ev = JSON.parse(line) as Event;
    } catch {
      return;
    }
    const w = this.waiting.get(ev.id);
    if (w) {
      this.waiting.delete(ev.id);
      if (ev.event === 'done') w.resolve();
      else w.reject(new Error(ev.message ?? 'spawner failed'));
      this.refresh();
      return;
    }
    const c = this.children.get(ev.id);
    if (!c) return;
    const { child } = c;
    switch (ev.event) {
      case 'spawned':
        child.pid = ev.pid;
        c.spawned.resolve();
        break;
      case 'info':
        child.stdio[3]?.write(ev.data ?? '');
        break;
      case 'info-end':
        child.stdio[3]?.end();
        break;
      case 'error':
        if (child.pid === undefined) {
          this.children.delete(ev.id);
          c.spawned.reject(new Error(ev.message ?? 'spawn failed'));
        } else child.emit('error', new Error(ev.message ?? 'spawn failed'));
        break;
      case 'exit':
        this.children.delete(ev.id);
        child.exit(ev.code ?? null, ev.signal ?? null);
        break;
    }
    this.refresh();
  }

  /**
   * The helper died: nothing reports its children's exits any more, so each is killed (its process group) and
   * reported gone; what waited fails. The next request starts a new helper.
   */
  private helperGone(helper: ChildProcess): void {
    if (this.helper !== helper) return;
    this.helper = undefined;
    const err = new Error('knit: the spawner process exited');
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
    const children = [...this.children.values()];
    this.children.clear();
    for (const { child, spawned } of children) {
      if (child.pid === undefined) {
        spawned.reject(err);
        continue;
      }
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      child.exit(null, 'SIGKILL');
    }
  }
}
