// `knit route list|describe` (kn's route command group).

import type { CommandContext } from './commands.ts';
import { connect, listNamespaceOf, namespaceOf, nowOf } from './context.ts';
import { CliError } from './errors.ts';
import { checkOutputFormat, printList, printObject } from './output.ts';
import { describeRoute, printRouteList } from './printers.ts';

/** `knit route list [NAME]`. */
export async function listCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args.length > 1) throw new CliError("'knit route list' accepts only one additional argument");
  const format = ctx.flags.changed('output') ? checkOutputFormat(ctx.flags.string('output')) : undefined;
  const ns = listNamespaceOf(ctx);
  const client = connect(ctx);
  const name = ctx.args[0];
  const list = await client.list('routes', ns, name ? { fieldSelector: `metadata.name=${name}` } : {});
  const items = name ? list.items.filter((r) => r.metadata.name === name) : list.items;
  if (format) {
    ctx.out.write(await printList(items, 'Route', format, list.metadata?.resourceVersion));
    return;
  }
  if (items.length === 0) {
    ctx.out.write('No routes found.\n');
    return;
  }
  ctx.out.write(printRouteList(items, { noHeaders: ctx.flags.bool('no-headers'), now: nowOf(ctx) }));
}

/** `knit route describe NAME`. */
export async function describeCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args.length !== 1) throw new CliError("'knit route describe' requires name of the route as single argument");
  const client = connect(ctx);
  const route = await client.get('routes', namespaceOf(ctx), ctx.args[0]);
  if (ctx.flags.changed('output')) {
    ctx.out.write(await printObject(route, 'Route', checkOutputFormat(ctx.flags.string('output'))));
    return;
  }
  ctx.out.write(describeRoute(route, ctx.flags.bool('verbose'), nowOf(ctx)));
}
