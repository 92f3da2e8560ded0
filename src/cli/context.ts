// Helpers every command handler shares: the API client for the invocation, namespace and wait settings.

import { ServingClient, resolveClientConfig } from './client.ts';
import { GLOBAL_FLAGS, type CommandContext } from './command.ts';
import { loadKubeTarget, type KubeTarget } from './kube-context.ts';
import type { WaitConfig } from './wait.ts';

/** --kubeconfig, --context or --cluster given: the API and namespace come from a kubeconfig context. */
export function usesKubeconfig(ctx: CommandContext): boolean {
  const f = ctx.flags;
  return ['kubeconfig', 'context', 'cluster'].some((n) => f.changed(n) && f.specs.get(n) === GLOBAL_FLAGS.find((g) => g.name === n));
}

const targets = new WeakMap<CommandContext, KubeTarget>();

/** The kubeconfig context of this invocation, loaded once. */
function kubeTargetOf(ctx: CommandContext): KubeTarget {
  let t = targets.get(ctx);
  if (!t) {
    const f = ctx.flags;
    t = loadKubeTarget({ kubeconfig: f.string('kubeconfig') || undefined, context: f.string('context') || undefined, cluster: f.string('cluster') || undefined, env: ctx.env });
    targets.set(ctx, t);
  }
  return t;
}

/** The API client for this invocation (--kubeconfig/--context/--cluster, else --server / $KNIT_SERVER / DATA_DIR/endpoints.json). */
export function connect(ctx: CommandContext): ServingClient {
  const f = ctx.flags;
  if (usesKubeconfig(ctx)) {
    const t = kubeTargetOf(ctx);
    return new ServingClient({
      server: t.server, token: t.token, ca: t.ca, cert: t.cert, key: t.key, insecure: t.insecure,
      logHttp: f.bool('log-http'), stderr: (text) => ctx.err.write(text),
    });
  }
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

/** -n/--namespace, else the kubeconfig context's namespace when one is used, else `default`. */
export function namespaceOf(ctx: CommandContext): string {
  return ctx.flags.string('namespace') || (usesKubeconfig(ctx) ? kubeTargetOf(ctx).namespace : 'default');
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
