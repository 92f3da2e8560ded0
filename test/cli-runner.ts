// Runs the knit CLI for tests: in-process (src/cli/main.ts `run` with captured output, an injected environment and
// working directory), or as the bin/knit child process.

import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { KNIT } from './knit-server.ts';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export interface CliOptions {
  /** The whole environment the command sees (nothing of this process's leaks in). */
  env?: Record<string, string | undefined>;
  /** Default: the temp dir. */
  cwd?: string;
}

/** Runs one knit command line and returns its exit code and output. */
export async function runCli(argv: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  // Loaded here, so that what only spawns bin/knit (the harness) does not load the CLI into the test process.
  const { run } = await import('../src/cli/main.ts');
  let out = '';
  let err = '';
  const code = await run(argv, {
    out: { write: (t) => void (out += t) },
    err: { write: (t) => void (err += t) },
    env: opts.env ?? {},
    cwd: opts.cwd ?? tmpdir(),
  });
  return { code, out, err };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs bin/knit as a child process (asynchronously, so servers living in the test process keep answering). */
export function spawnCli(args: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv; input?: string }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(KNIT, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}
