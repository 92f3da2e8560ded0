// Helpers every command handler shares: the API client for the invocation, namespace and wait settings.

import { ServingClient, resolveClientConfig } from './client.ts';
import type { CommandContext } from './command.ts';
import type { WaitConfig } from './wait.ts';

/** The API client for this invocation (--server / $KNIT_SERVER / DATA_DIR/endpoints.json). */
export function connect(ctx: CommandContext): ServingClient {
  const f = ctx.flags;
  return new ServingClient(
    resolveClientConfig({
      server: f.string('server') || undefined,
      dataDir: f.string('data-dir') || undefined,
      logHttp: f.bool('log-http'),
      env: ctx.env,
      stderr: (text) => ctx.err.write(text),
    }),
  );
}

/** -n/--namespace, else `default` (there is no kubeconfig context on one machine). */
export function namespaceOf(ctx: CommandContext): string {
  return ctx.flags.string('namespace') || 'default';
}

/** For list commands: undefined with -A/--all-namespaces. */
export function listNamespaceOf(ctx: CommandContext): string | undefined {
  return ctx.flags.bool('all-namespaces') ? undefined : namespaceOf(ctx);
}

/** --wait-timeout / --wait-window. */
export function waitConfigOf(ctx: CommandContext): WaitConfig {
  return { timeoutSeconds: ctx.flags.int('wait-timeout'), errorWindowSeconds: ctx.flags.int('wait-window') };
}

/** "Now" for ages; KNIT_NOW (RFC 3339) pins it for reproducible output. */
export function nowOf(ctx: CommandContext): number {
  const pinned = ctx.env.KNIT_NOW ? Date.parse(ctx.env.KNIT_NOW) : NaN;
  return Number.isNaN(pinned) ? Date.now() : pinned;
}
