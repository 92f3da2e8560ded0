// The process runtime against the shared runtime contract, plus its own entrypoint rules.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ProcessRuntime, processCommand } from './process.ts';
import { runtimeContract } from './contract.ts';

const fixtures = path.resolve(import.meta.dirname, '../../test/fixtures');
const image = (dir: string): string => pathToFileURL(path.join(fixtures, dir)).href;

runtimeContract('process', new ProcessRuntime(), { probeApp: image('runtime-app'), crashApp: image('crash-app') });

test('process: without a command, a package.json main runs on the Node that runs knit', () => {
  assert.deepEqual(processCommand(path.join(fixtures, 'runtime-app'), undefined, ['x']), [process.execPath, 'server.js', 'x']);
});

test('process: a directory without entrypoint is refused with a clear ContainerMissing', () => {
  assert.throws(() => processCommand(fixtures, [], undefined), /has no entrypoint: set the container's command/);
});

test('process: a missing directory is ContainerMissing at digest resolution', async () => {
  await assert.rejects(new ProcessRuntime().resolveDigest('file:///nonexistent/knit'), (e: Error & { reason?: string }) => e.reason === 'ContainerMissing');
});
