// knit's spawner process (see spawner.ts): forks and execs instance processes for knit serve, so that a burst
// of cold starts does not stall knit's event loop (forking knit's large process costs tens of milliseconds
// each on a loaded machine; this process is small). Requests arrive as JSON lines on stdin, events leave as
// JSON lines on stdout. It exits when knit closes its stdin; the instances it started live on (own process
// groups), as they do when knit itself is killed.
//
// Only node: built-ins, and no knit module: the process stays small. Its fds 0-2 are knit's pipes; every
// child gets its own stdio in place of them and nothing else (Node opens every other descriptor with O_CLOEXEC,
// and what this process inherited without it is closed first).

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import readline from 'node:readline';
import type { SpawnerRequest } from './spawner.ts';

// The request shapes are spawner.ts's; a type-only import is erased, so no knit module is loaded here.
type Request = SpawnerRequest;
type FifoRequest = Extract<SpawnerRequest, { op: 'fifo' }>;
type SpawnRequest = Extract<SpawnerRequest, { op: 'spawn' }>;

/** The stdin gates of children spawned with `gate`, by request id, until opened or the child exits. */
const gates = new Map<number, NodeJS.WritableStream>();

function send(m: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(m)}\n`);
}

function makeFifo(r: FifoRequest): void {
  execFile('mkfifo', ['-m', '0600', r.path], (err) => {
    if (err) return send({ id: r.id, event: 'error', message: err.message });
    try {
      if (r.uid !== process.getuid?.() || r.gid !== process.getgid?.()) fs.chownSync(r.path, r.uid, r.gid);
      send({ id: r.id, event: 'done' });
    } catch (e) {
      send({ id: r.id, event: 'error', message: (e as Error).message });
    }
  });
}

/**
 * The write end of the instance's output FIFO, blocking, as a container's stdout is. knit holds the read end, so
 * a blocking open would return at once — unless knit died (kill -9) between sending the request and now: then it
 * would wait for a reader for ever, with this whole process (and its stdin's EOF) stuck behind it. So the FIFO is
 * first opened non-blocking, which fails with ENXIO when no reader has it open; only then blocking.
 */
function openFifoForWriting(fifo: string): number {
  const probe = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  try {
    return fs.openSync(fifo, fs.constants.O_WRONLY);
  } finally {
    fs.closeSync(probe);
  }
}

function spawnChild(r: SpawnRequest): void {
  let out: number | undefined;
  let child: ChildProcess;
  try {
    if (r.output !== undefined) out = openFifoForWriting(r.output);
    child = spawn(r.file, r.args, {
      cwd: r.cwd,
      env: r.env,
      stdio: [r.gate ? 'pipe' : 'ignore', out ?? 'ignore', out ?? 'ignore', ...(r.info ? ['pipe' as const] : [])],
      detached: r.detached ?? false,
      ...(r.uid !== undefined ? { uid: r.uid } : {}),
      ...(r.gid !== undefined ? { gid: r.gid } : {}),
    });
  } catch (err) {
    send({ id: r.id, event: 'error', message: (err as Error).message });
    return;
  } finally {
    if (out !== undefined) fs.closeSync(out);
  }
  child.once('error', (err) => send({ id: r.id, event: 'error', message: err.message }));
  if (child.stdin) {
    child.stdin.on('error', () => {}); // the child went before its gate opened
    gates.set(r.id, child.stdin);
  }
  if (child.pid !== undefined) send({ id: r.id, event: 'spawned', pid: child.pid });
  const info = child.stdio[3] as NodeJS.ReadableStream | null | undefined;
  if (info) {
    info.setEncoding('utf8');
    info.on('data', (data: string) => send({ id: r.id, event: 'info', data }));
    info.on('error', () => {});
    info.on('end', () => send({ id: r.id, event: 'info-end' }));
  }
  child.once('exit', (code, signal) => {
    gates.delete(r.id);
    send({ id: r.id, event: 'exit', code, signal });
  });
}

function openGate(id: number): void {
  const gate = gates.get(id);
  gates.delete(id);
  gate?.end('go\n');
}

/**
 * Closes what this process inherited without close-on-exec beyond fds 0-2 (as process.ts closeInheritedFds
 * does in knit serve): a child would get every one of them, where a container starts with stdio only.
 */
function closeInherited(): void {
  for (const e of fs.readdirSync('/proc/self/fdinfo')) {
    const fd = Number(e);
    if (!Number.isInteger(fd) || fd <= 2) continue;
    try {
      const flags = /^flags:\s*([0-7]+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      if (flags !== undefined && (parseInt(flags, 8) & 0o2000000) === 0) fs.closeSync(fd);
    } catch {
      // gone meanwhile
    }
  }
}

closeInherited();
const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let r: Request;
  try {
    r = JSON.parse(line) as Request;
  } catch {
    return;
  }
  if (r.op === 'fifo') makeFifo(r);
  else if (r.op === 'spawn') spawnChild(r);
  else if (r.op === 'open') openGate(r.id);
});
// knit is gone (or closed the channel): nothing will ask or listen any more.
lines.on('close', () => process.exit(0));
