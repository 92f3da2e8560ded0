// Runs the knit CLI in-process for tests: src/cli/main.ts `run` with captured stdout and stderr, an injected
// environment and working directory.

import { tmpdir } from 'node:os';
import { run } from '../src/cli/main.ts';

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
