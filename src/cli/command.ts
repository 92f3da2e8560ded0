// The shapes every command shares (its context, handler and place in the command tree) and the global flags;
// imported by the command table (commands.ts) and by the handlers, and importing neither.

import type { FlagSpec, ParsedFlags } from './flags.ts';

/** Where command output goes (stdout / stderr in production, buffers in tests). */
export interface Writer {
  write(text: string): void;
}

/** Everything a command handler gets. */
export interface CommandContext {
  /** Full command path, e.g. `knit service create`. */
  path: string;
  args: string[];
  flags: ParsedFlags;
  out: Writer;
  err: Writer;
  env: Record<string, string | undefined>;
  cwd: string;
}

export type Handler = (ctx: CommandContext) => Promise<void>;

/** One node of the command tree. */
export interface CommandSpec {
  name: string;
  aliases?: string[];
  /** Cobra's `Use` line, e.g. `create NAME --image IMAGE`. */
  use: string;
  short: string;
  long?: string;
  example?: string;
  /** Local flags (besides the global ones). */
  flags?: FlagSpec[];
  subcommands?: CommandSpec[];
  /** Root help groups the command under this header. */
  group?: string;
  hidden?: boolean;
  /** Accept and ignore unknown flags (kn's `options`). */
  ignoreUnknownFlags?: boolean;
  /** Lazily loads the handler so startup only pays for the command that runs. */
  run?: () => Promise<Handler>;
}

// ---------------------------------------------------------------------------------------------
// Global flags

/** Flags every command accepts (cobra persistent flags); listed by `knit options`. */
export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'server', type: 'string', usage: 'URL of the knit API server (default: $KNIT_SERVER, else the API address in DATA_DIR/endpoints.json, else https://127.0.0.1:8081)' },
  { name: 'data-dir', type: 'string', usage: 'knit data directory holding endpoints.json and token (default: $KNIT_DATA_DIR, else ~/.knit)' },
  { name: 'log-http', type: 'boolean', usage: 'log http traffic' },
  // kn's global flags (knative/client pkg/root/root.go): its configuration file and the kubeconfig to use.
  { name: 'config', type: 'string', usage: 'kn configuration file (default: ~/.config/kn/config.yaml)' },
  { name: 'plugins-dir', type: 'string', hidden: true, usage: 'Directory holding kn plugins' },
  { name: 'kubeconfig', type: 'string', usage: 'kubectl configuration file (default: ~/.kube/config); with --kubeconfig, --context or --cluster knit reaches the API the kubeconfig names instead of DATA_DIR\'s' },
  { name: 'context', type: 'string', usage: 'name of the kubeconfig context to use' },
  { name: 'cluster', type: 'string', usage: 'name of the kubeconfig cluster to use' },
];
