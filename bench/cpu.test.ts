// Tests for the bench's CPU accounting from /proc: a process tree's CPU includes its busy descendants, a process's own does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { NODE, killGroup, processCpuSeconds, treeCpuSeconds } from './common.ts';

test('treeCpuSeconds counts a busy grandchild; processCpuSeconds of the idle root does not', async (t) => {
  // An idle shell whose child spins (for at most 30 s), all in one process group of their own.
  const busy = `const t = Date.now(); while (Date.now() - t < 30000) {}`;
  const sh = spawn('/bin/sh', ['-c', `"$0" -e "$1"; exit 0`, NODE, busy], { stdio: 'ignore', detached: true });
  const pid = sh.pid!;
  const exited = new Promise((resolve) => sh.once('exit', resolve));
  t.after(async () => {
    killGroup(pid, 'SIGKILL');
    await exited;
  });
  const until = performance.now() + 20_000;
  let tree = 0;
  while (performance.now() < until) {
    tree = treeCpuSeconds(pid);
    if (tree >= 0.3) break;
    await sleep(20);
  }
  assert.ok(tree >= 0.3, `the tree used ${tree} CPU-seconds within 20 s`);
  const own = processCpuSeconds(pid);
  assert.ok(own !== undefined && own < 0.1, `the idle shell itself used ${own} CPU-seconds`);
  assert.ok(treeCpuSeconds(pid) >= tree, 'CPU time never goes back');
  // A pid that does not exist has no tree.
  assert.equal(treeCpuSeconds(2 ** 22 + 1), 0);
});
