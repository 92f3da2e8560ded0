// The spawner process: starts processes for knit with a FIFO as their stdout/stderr and an info pipe, reports
// their pid and exit; when it dies, its children are killed and reported gone. And instance ports are never shared.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Spawner, type RemoteChild } from './spawner.ts';
import { releaseInstancePort, reserveInstancePort } from './process.ts';
import { processAlive as alive } from '../../test/harness.ts';

function exitOf(child: RemoteChild): Promise<[number | null, NodeJS.Signals | null]> {
  return new Promise((resolve) => child.once('exit', (code: number | null, signal: NodeJS.Signals | null) => resolve([code, signal])));
}

/** A new spawner and an output FIFO it made (owned by this process's user) in a temp dir removed after the test. */
async function withFifo(t: { after(fn: () => void): void }): Promise<{ dir: string; spawner: Spawner; fifo: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-spawner-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const spawner = new Spawner();
  const fifo = path.join(dir, 'out');
  await spawner.mkfifo(fifo, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
  return { dir, spawner, fifo };
}

test('spawner: a child writes to the FIFO knit reads, fd 3 is relayed, its exit status comes back', async (t) => {
  const { dir, spawner, fifo } = await withFifo(t);
  assert.ok(fs.statSync(fifo).isFIFO());
  assert.equal(fs.statSync(fifo).mode & 0o777, 0o600);
  const readFd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const child = await spawner.spawn('/bin/sh', ['-c', 'echo out; echo err >&2; echo info >&3; ls /proc/self/fd; exit 7'], { cwd: dir, env: { PATH: '/usr/bin:/bin' }, output: fifo, info: true, detached: true });
  assert.ok(child.pid !== undefined && child.pid > 0);
  const output = new net.Socket({ fd: readFd, readable: true, writable: false });
  let text = '';
  output.setEncoding('utf8').on('data', (s: string) => (text += s));
  let info = '';
  child.stdio[3]!.setEncoding('utf8').on('data', (s: string) => (info += s));
  const ended = new Promise((r) => output.once('close', r));
  assert.deepEqual(await exitOf(child), [7, null]);
  await ended;
  assert.equal(info, 'info\n');
  const lines = text.trim().split('\n');
  assert.deepEqual(lines.slice(0, 2), ['out', 'err']);
  // ls's own fds: 0-2, the info pipe at 3 and the directory it reads; nothing of the spawner's or knit's.
  assert.ok(lines.slice(2).every((fd) => Number(fd) <= 4), `unexpected fds ${lines.slice(2).join(' ')}`);
});

test('spawner: an output FIFO nobody reads (knit killed after asking) rejects the spawn instead of hanging the spawner', async (t) => {
  const { dir, spawner, fifo } = await withFifo(t);
  await assert.rejects(spawner.spawn('/bin/true', [], { cwd: dir, env: {}, output: fifo, detached: true }), /ENXIO/);
  // The spawner still answers: a blocked open would have stopped it reading requests.
  const child = await spawner.spawn('/bin/sh', ['-c', 'exit 3'], { cwd: dir, env: {}, detached: true });
  assert.deepEqual(await exitOf(child), [3, null]);
});

test('spawner: a missing command rejects the spawn', async () => {
  const spawner = new Spawner();
  await assert.rejects(spawner.spawn('/nonexistent/cmd', [], { cwd: '/', env: {} }), /ENOENT/);
});

test('spawner: when the spawner process dies, its children are killed and reported gone; the next spawn gets a new one', async () => {
  const spawner = new Spawner();
  const child = await spawner.spawn('/bin/sleep', ['60'], { cwd: '/', env: {}, detached: true });
  const pid = child.pid!;
  assert.ok(alive(pid));
  const exited = exitOf(child);
  const helper = (spawner as unknown as { helper: { pid: number } }).helper.pid;
  process.kill(helper, 'SIGKILL');
  assert.deepEqual(await exited, [null, 'SIGKILL']);
  const deadline = Date.now() + 5000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(alive(pid), false, 'the orphan was killed');
  const next = await spawner.spawn('/bin/true', [], { cwd: '/', env: {} });
  assert.deepEqual(await exitOf(next), [0, null]);
});

test('instance ports: ports reserved at once are all different', async () => {
  const ports = await Promise.all(Array.from({ length: 200 }, () => reserveInstancePort()));
  try {
    assert.equal(new Set(ports).size, ports.length);
  } finally {
    for (const p of ports) releaseInstancePort(p);
  }
});

test('spawner: an exit reported before anyone listens still reaches a listener added later', async () => {
  const spawner = new Spawner();
  const child = await spawner.spawn('/bin/true', [], { cwd: '/', env: {} });
  const deadline = Date.now() + 5000;
  while (!child.exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(child.exited, true);
  assert.deepEqual(await exitOf(child), [0, null]);
});

test('spawner: a gated child reads nothing until its gate opens, then `go` and EOF; without a gate stdin is /dev/null', async (t) => {
  const { dir, spawner, fifo } = await withFifo(t);
  const readFd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const output = new net.Socket({ fd: readFd, readable: true, writable: false });
  let text = '';
  output.setEncoding('utf8').on('data', (s: string) => (text += s));
  // Prints when it starts waiting, then what it read and whether more followed.
  const script = 'echo waiting; read -r a; echo "read $a"; if read -r b; then echo "more $b"; else echo eof; fi';
  const child = await spawner.spawn('/bin/sh', ['-c', script], { cwd: dir, env: { PATH: '/usr/bin:/bin' }, output: fifo, gate: true, detached: true });
  for (const deadline = Date.now() + 5000; !text.includes('waiting');) {
    assert.ok(Date.now() < deadline, 'the child runs');
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(child.exited, false, 'it waits at the gate');
  assert.ok(!text.includes('read'), 'nothing came through the gate yet');
  spawner.openGate(child);
  assert.deepEqual(await exitOf(child), [0, null]);
  for (const deadline = Date.now() + 5000; !text.includes('eof');) {
    assert.ok(Date.now() < deadline, `the rest of its output (${JSON.stringify(text)})`);
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(text, 'waiting\nread go\neof\n');
  output.destroy();
  const plain = await spawner.spawn('/bin/sh', ['-c', 'read -r a && exit 1; exit 0'], { cwd: dir, env: { PATH: '/usr/bin:/bin' }, detached: true });
  assert.deepEqual(await exitOf(plain), [0, null], 'stdin at EOF at once');
});
