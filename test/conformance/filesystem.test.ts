// knative/serving test/conformance/runtime/filesystem_test.go (TestMustHaveFiles, TestShouldHaveFiles) with the
// expectations of test/types/runtime.go MustFiles and ShouldFiles, translated for both runtimes; and what
// `/dev/stdout` and `/dev/stderr` are for: a line written through them reaches `knit logs`.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { conformance, eventually, test, type FileInfo, type RuntimeInfo } from './support.ts';

const DIR = true;
const FILE = false;

/** test/types/runtime.go MustFiles. */
const MUST_FILES: Record<string, FileInfo> = {
  '/dev/fd': { isDir: DIR, sourceFile: '/proc/self/fd' },
  '/dev/full': { isDir: FILE },
  '/dev/null': { isDir: FILE },
  '/dev/ptmx': { isDir: FILE },
  '/dev/random': { isDir: FILE },
  '/dev/stdin': { isDir: FILE, sourceFile: '/proc/self/fd/0' },
  '/dev/stdout': { isDir: FILE, sourceFile: '/proc/self/fd/1' },
  '/dev/stderr': { isDir: FILE, sourceFile: '/proc/self/fd/2' },
  '/dev/tty': { isDir: FILE },
  '/dev/urandom': { isDir: FILE },
  '/dev/zero': { isDir: FILE },
  '/proc/self/fd': { isDir: DIR },
  '/proc/self/fd/0': { isDir: FILE },
  '/proc/self/fd/1': { isDir: FILE },
  '/proc/self/fd/2': { isDir: FILE },
  '/tmp': { isDir: DIR, mode: 'rwxrwxrwx' },
};

/** test/types/runtime.go ShouldFiles. */
const SHOULD_FILES: Record<string, FileInfo> = {
  '/etc/resolv.conf': { isDir: FILE, mode: 'rw*r**r**' },
  '/dev/console': { error: 'stat /dev/console: no such file or directory' },
};

/** filesystem_test.go verifyPermissionsString: '*' matches anything. */
function permissionsMatch(got: string, want: string): boolean {
  return got.length === want.length && [...want].every((c, i) => c === '*' || c === got[i]);
}

/** filesystem_test.go testFiles: every expectation, then no read or write error where others may read or write. */
function checkFiles(ri: RuntimeInfo, paths: Record<string, FileInfo>): void {
  for (const [p, want] of Object.entries(paths)) {
    const got = ri.host.files[p];
    assert.ok(got, `runtime contract file info not present: ${p}`);
    if (want.error) assert.equal(got.error, want.error, `${p}.Error`);
    if (want.isDir !== undefined) assert.equal(got.isDir, want.isDir, `${p}.IsDir (${JSON.stringify(got)})`);
    if (want.sourceFile) assert.equal(got.sourceFile, want.sourceFile, `${p}.SourceFile`);
    if (want.mode) assert.ok(permissionsMatch(got.mode ?? '', want.mode), `${p} has invalid permissions string ${got.mode}, want ${want.mode}`);
    const access = ri.host.fileaccess[p];
    if (access) {
      assert.equal(access.read_error, undefined, `Want no read errors for file ${p}`);
      assert.equal(access.write_error, undefined, `Want no write errors for file ${p}`);
    }
  }
}

conformance('runtime filesystem', (t) => {
  test('TestMustHaveFiles', async () => {
    const { ri } = await t.fetchRuntimeInfo('must-files');
    checkFiles(ri, MUST_FILES);
  });

  test('TestShouldHaveFiles: /etc/resolv.conf, and no /dev/console', async () => {
    const { ri } = await t.fetchRuntimeInfo('should-files');
    checkFiles(ri, SHOULD_FILES);
  });

  test('/dev/stdout and /dev/stderr open for writing, and what goes through them reaches knit logs', async () => {
    await t.create('stdio');
    await t.ready('stdio');
    const mark = `mark-${randomBytes(6).toString('hex')}`;
    const r = await t.request('stdio', `/write-stdio?mark=${mark}`);
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(JSON.parse(r.body), { '/dev/stdout': 'ok', '/dev/stderr': 'ok' });
    await eventually('both lines in knit logs', async () => {
      const logs = await t.knit.knit(['logs', 'stdio']);
      return logs.stdout.includes(`${mark} via /dev/stdout`) && logs.stdout.includes(`${mark} via /dev/stderr`);
    }, 10_000, 100);
  });
});
