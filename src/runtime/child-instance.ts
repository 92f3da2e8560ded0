// What every runtime's instance shares: a supervised child process, its readiness probes, its
// captured output, and Knative's exit reporting (ExitCode<N>, "Container failed with: …").

import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogRing } from './logs.ts';
import { ProbeLoop, type ProbeTarget } from './probe.ts';
import type { Instance, InstanceExit, InstanceSpec, InstanceState } from './runtime.ts';

/** The number of a signal (128 + it is the exit code of a process it killed). */
export function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (os.constants.signals[signal] ?? 0) : 0;
}

/** An instance backed by one child process (the app itself, or the podman client running it). */
export abstract class ChildInstance extends EventEmitter implements Instance {
  readonly id: string;
  readonly spec: InstanceSpec;
  readonly host = '127.0.0.1';
  port = 0;
  state: InstanceState = 'starting';
  startupMs: number | undefined;
  protected child: ChildProcess | undefined;
  protected stopRequested = false;
  protected readonly logs = new LogRing(200);
  protected readonly exited: Promise<void>;
  private probes: ProbeLoop | undefined;
  private logStream: fs.WriteStream | undefined;
  private readonly startedAt = performance.now();
  private everReady = false;
  private resolveExited!: () => void;

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

  abstract stop(): Promise<void>;

  /** Called once the instance is gone, before 'exit' is emitted (timers to clear). */
  protected onFinished(): void {}

  /**
   * Supervises a spawned child: its output goes to the log file and ring, 'spawned' is emitted,
   * and `endEvent` ('exit', or 'close' to wait for the last output) ends the instance.
   */
  protected adopt(child: ChildProcess, endEvent: 'exit' | 'close'): void {
    fs.mkdirSync(path.dirname(this.spec.logFile), { recursive: true });
    this.logStream = fs.createWriteStream(this.spec.logFile, { flags: 'a' });
    this.child = child;
    if (child.pid !== undefined) this.emit('spawned', child.pid);
    child.stdout?.on('data', (b: Buffer) => this.onOutput(b));
    child.stderr?.on('data', (b: Buffer) => this.onOutput(b));
    child.once('error', (err) => {
      this.logs.push(`knit: ${err.message}`);
      this.finish(127, null);
    });
    child.once(endEvent, (code: number | null, signal: NodeJS.Signals | null) => this.finish(code, signal));
  }

  /** Starts readiness probing against the instance's published port. */
  protected startProbes(target: Omit<ProbeTarget, 'host' | 'port' | 'containerPort'>): void {
    this.probes = new ProbeLoop(
      this.spec.readinessProbe,
      { ...target, host: this.host, port: this.port, containerPort: this.spec.containerPort },
      { onReady: () => this.setReady(true), onUnready: () => this.setReady(false) },
    );
  }

  /** Leaves the ready state for 'terminating' and stops probing (the caller then signals). */
  protected beginStop(): boolean {
    if (this.stopRequested) return false;
    this.stopRequested = true;
    this.state = 'terminating';
    this.probes?.stop();
    return true;
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

  /** Ends the instance with Knative's exit report (ExitCode<N>, "Container failed with: …"). */
  protected finish(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.state === 'exited') return;
    this.state = 'exited';
    this.probes?.stop();
    this.onFinished();
    this.logStream?.end();
    const exitCode = code ?? 128 + signalNumber(signal);
    const tail = this.logs.last(10).join('\n').trim();
    const message = tail ? `Container failed with: ${tail}` : exitCode === 0 ? 'Container failed with: container exited with no error' : `Container failed with: exit code ${exitCode}`;
    const exit: InstanceExit = { code: exitCode, beforeReady: !this.everReady, requested: this.stopRequested, reason: `ExitCode${exitCode}`, message };
    this.resolveExited();
    this.emit('exit', exit);
  }

  /** Ends an instance that could not be started at all, with the runtime's reason. */
  protected failToStart(reason: string, message: string): void {
    this.logs.push(message);
    this.state = 'exited';
    const exit: InstanceExit = { code: 127, beforeReady: true, requested: false, reason, message };
    this.resolveExited();
    queueMicrotask(() => this.emit('exit', exit));
  }
}
