// What every runtime's instance shares: a supervised child process, its startup, readiness and
// liveness probes, its captured output, and Knative's exit reporting (ExitCode<N>, "Container failed with: …").

import type { SupervisedChild } from './spawner.ts';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogRing } from './logs.ts';
import { ProbeLoop, ProbeWorker, REAL_SECONDS, type ProbeClock, type ProbeTarget } from './probe.ts';
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
  protected child: SupervisedChild | undefined;
  protected stopRequested = false;
  protected readonly logs = new LogRing(200);
  protected readonly exited: Promise<void>;
  private probes: ProbeLoop | undefined;
  private liveness: ProbeWorker | undefined;
  private startup: ProbeWorker | undefined;
  /** Set when a failed liveness or startup probe killed the container: its exit is a crash, not a requested stop. */
  private killedByProbe = false;
  private logStream: fs.WriteStream | undefined;
  /** When it was started (a prepared instance: when its start was asked for, not when it was prepared). */
  protected startedAt = performance.now();
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
   * The kubelet's termination reason when it is not the exit code's (`OOMKilled` when the OOM killer
   * killed a process of the instance); asked once, when the instance is gone, before onFinished.
   */
  protected terminationReason(_exitCode: number): 'OOMKilled' | undefined {
    return undefined;
  }

  /**
   * Supervises a spawned child: its output goes to the log file and ring, 'spawned' is emitted,
   * and `endEvent` ('exit', or 'close' to wait for the last output) ends the instance. `output` replaces
   * the child's stdout/stderr pipes when the runtime gave it other stdio (see process.ts spawnInstance).
   */
  protected adopt(child: SupervisedChild, endEvent: 'exit' | 'close', output?: NodeJS.ReadableStream): void {
    fs.mkdirSync(path.dirname(this.spec.logFile), { recursive: true });
    this.logStream = fs.createWriteStream(this.spec.logFile, { flags: 'a' });
    this.child = child;
    if (child.pid !== undefined) this.emit('spawned', child.pid);
    output?.on('data', (b: Buffer) => this.onOutput(b));
    child.stdout?.on('data', (b: Buffer) => this.onOutput(b));
    child.stderr?.on('data', (b: Buffer) => this.onOutput(b));
    child.once('error', (err) => {
      this.logs.push(`knit: ${err.message}`);
      this.finish(127, null);
    });
    child.once(endEvent, (code: number | null, signal: NodeJS.Signals | null) => this.finish(code, signal));
  }

  /**
   * Starts probing the instance's published port as the kubelet does: the startup probe first, if
   * any; once it passes, readiness and liveness (kubernetes pkg/kubelet/prober/worker.go doProbe
   * skips both until the startup probe has succeeded). A failed liveness or startup probe kills the
   * container, which then exits as a crash, so the replica is restarted in its pod.
   */
  protected startProbes(target: Omit<ProbeTarget, 'host' | 'port' | 'containerPort'>, clock: ProbeClock = REAL_SECONDS): void {
    const t: ProbeTarget = { ...target, host: this.host, port: this.port, containerPort: this.spec.containerPort };
    const { livenessProbe, startupProbe } = this.spec.container;
    const afterStartup = (): void => {
      if (this.stopRequested || this.state === 'exited') return;
      // A sidecar without a readiness probe is ready once running, as the kubelet treats any container
      // without one (kubernetes pkg/kubelet/prober/prober_manager.go UpdatePodStatus).
      if (this.spec.role === 'sidecar' && !this.spec.readinessProbe) this.setReady(true);
      else this.probes = new ProbeLoop(this.spec.readinessProbe, t, { onReady: () => this.setReady(true), onUnready: () => this.setReady(false) }, clock);
      if (livenessProbe) this.liveness = new ProbeWorker('liveness', livenessProbe, t, { onFailure: (n) => this.killForProbe('Liveness', n) }, clock);
    };
    if (startupProbe) this.startup = new ProbeWorker('startup', startupProbe, t, { onSuccess: afterStartup, onFailure: (n) => this.killForProbe('Startup', n) }, clock);
    else afterStartup();
  }

  /** The kubelet's answer to a failed liveness or startup probe: leave rotation, stop the container, report a crash. */
  private killForProbe(kind: 'Liveness' | 'Startup', failures: number): void {
    if (this.stopRequested || this.state === 'exited') return;
    this.logs.push(`knit: ${kind} probe failed ${failures} times in a row; container will be restarted`);
    this.killedByProbe = true;
    this.setReady(false);
    void this.stop();
  }

  private stopProbes(): void {
    this.probes?.stop();
    this.liveness?.stop();
    this.startup?.stop();
  }

  /** Leaves the ready state for 'terminating' and stops probing (the caller then signals). */
  protected beginStop(): boolean {
    if (this.stopRequested) return false;
    this.stopRequested = true;
    this.state = 'terminating';
    this.stopProbes();
    return true;
  }

  private onOutput(b: Buffer): void {
    this.logStream?.write(b);
    this.logs.write(b);
  }

  private setReady(ready: boolean): void {
    if (this.state === 'terminating' || this.state === 'exited') return;
    if (ready) {
      if (this.state === 'ready') return;
      if (this.startupMs === undefined) this.startupMs = performance.now() - this.startedAt;
      this.everReady = true;
      this.state = 'ready';
      this.emit('ready');
    } else {
      if (this.state !== 'ready') return;
      this.state = 'starting';
      this.emit('unready');
    }
  }

  /** Ends the instance with Knative's exit report (ExitCode<N>, "Container failed with: …"). */
  protected finish(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.state === 'exited') return;
    this.state = 'exited';
    this.stopProbes();
    const exitCode = code ?? 128 + signalNumber(signal);
    const termination = exitCode !== 0 ? this.terminationReason(exitCode) : undefined;
    this.onFinished();
    this.logStream?.end();
    const tail = this.logs.last(10).join('\n').trim();
    // An OOM kill leaves no last words: the kubelet's reason stands in for them.
    const message = tail ? `Container failed with: ${tail}` : exitCode === 0 ? 'Container failed with: container exited with no error' : `Container failed with: ${termination ?? `exit code ${exitCode}`}`;
    const exit: InstanceExit = { code: exitCode, beforeReady: !this.everReady, requested: this.stopRequested && !this.killedByProbe, reason: `ExitCode${exitCode}`, message, ...(termination ? { terminationReason: termination } : {}) };
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
