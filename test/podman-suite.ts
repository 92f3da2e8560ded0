// Runs a file's podman tests as one suite, or reports them as one skipped line naming what is missing
// and how to install it (scripts/test-deps.sh installs it as root before `npm test`).

import { describe, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const CONF = '/etc/containers/containers.conf';

function onPath(bin: string): boolean {
  try {
    execFileSync(bin, ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** Why the podman tests cannot run here, or undefined when they can. */
export function podmanMissing(): string | undefined {
  const missing = ['podman', 'runc'].filter((b) => !onPath(b));
  if (!fs.existsSync(CONF)) missing.push(CONF);
  if (missing.length === 0) return undefined;
  return `${missing.join(', ')} missing: as root, apt-get install -y podman runc busybox-static and write ${CONF} (scripts/test-deps.sh does both)`;
}

/** `describe(name, fn)` when podman can run, else one skipped test that says why. */
export function podmanSuite(name: string, fn: () => void, options: { concurrency?: boolean } = {}): void {
  const why = podmanMissing();
  if (why) test(name, { skip: why }, () => {});
  else describe(name, options, fn);
}
