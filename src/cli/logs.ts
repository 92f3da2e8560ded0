// `knit logs SERVICE`: the instances' stdout/stderr, which kn users otherwise get from kubectl.

import type { CommandContext } from './command.ts';
import { connect, namespaceOf } from './context.ts';
import { CliError } from './errors.ts';

function generationOf(rev: { metadata: { labels?: Record<string, string> } }): number {
  return Number(rev.metadata.labels?.['serving.knative.dev/configurationGeneration'] ?? 0);
}

/** `knit logs SERVICE [--revision REV] [-c CONTAINER] [-f] [--tail N]`. */
export async function logsCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args.length !== 1) throw new CliError("'knit logs' requires the service name given as single argument");
  const ns = namespaceOf(ctx);
  const name = ctx.args[0];
  const client = connect(ctx);
  const svc = await client.get('services', ns, name);
  let revisions: string[];
  if (ctx.flags.changed('revision')) {
    const rev = await client.get('revisions', ns, ctx.flags.string('revision'));
    if (rev.metadata.labels?.['serving.knative.dev/service'] !== name) {
      throw new CliError(`revision '${rev.metadata.name}' does not belong to service '${name}'`);
    }
    revisions = [rev.metadata.name ?? ''];
  } else {
    // Every revision that serves traffic, else the latest created one.
    const routed = new Set((svc.status?.traffic ?? []).map((t) => t.revisionName).filter((r): r is string => !!r));
    if (svc.status?.latestCreatedRevisionName) routed.add(svc.status.latestCreatedRevisionName);
    const list = await client.list('revisions', ns, { labelSelector: `serving.knative.dev/service=${name}` });
    revisions = list.items.filter((r) => routed.has(r.metadata.name ?? '')).sort((a, b) => generationOf(a) - generationOf(b)).map((r) => r.metadata.name ?? '');
  }
  if (revisions.length === 0) throw new CliError(`no revisions found for the service ${name}`);
  const tail = ctx.flags.changed('tail') ? ctx.flags.int('tail') : undefined;
  if (tail !== undefined && tail < 0) throw new CliError(`invalid --tail ${tail}: must not be negative`);
  const follow = ctx.flags.bool('follow');
  // -c: one container's logs (the serving container's by default), as `kubectl logs -c`.
  const container = ctx.flags.changed('container') ? ctx.flags.string('container') : undefined;
  if (container !== undefined && container === '') throw new CliError('the container name given with --container must not be empty');
  await Promise.all(revisions.map((rev) => client.streamLog(ns, rev, { follow, tailLines: tail, container }, (chunk) => ctx.out.write(chunk))));
}
