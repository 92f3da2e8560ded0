// `knit route list|describe` (kn's route command group).

import type { CommandContext } from './command.ts';
import { connect, listNamespaceOf, namespaceOf, nowOf } from './context.ts';
import { CliError } from './errors.ts';
import { printerOf, printObject, wroteListOrNone } from './output.ts';
import { describeRoute, printRouteList } from './printers.ts';

/** `knit route list [NAME]`. */
export async function listCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args.length > 1) throw new CliError("'knit route list' accepts only one additional argument");
  const format = await printerOf(ctx.flags, ctx.cwd);
  const ns = listNamespaceOf(ctx);
  const client = connect(ctx);
  const name = ctx.args[0];
  const list = await client.list('routes', ns, name ? { fieldSelector: `metadata.name=${name}` } : {});
  const items = name ? list.items.filter((r) => r.metadata.name === name) : list.items;
  if (await wroteListOrNone(ctx.out, items, 'Route', format, list.metadata?.resourceVersion)) return;
  ctx.out.write(printRouteList(items, { noHeaders: ctx.flags.bool('no-headers'), now: nowOf(ctx) }));
}

/** `knit route describe NAME`. */
export async function describeCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args.length !== 1) throw new CliError("'knit route describe' requires name of the route as single argument");
  const printer = await printerOf(ctx.flags, ctx.cwd);
  const client = connect(ctx);
  const route = await client.get('routes', namespaceOf(ctx), ctx.args[0]);
  if (printer) {
    ctx.out.write(await printObject(route, 'Route', printer));
    return;
  }
  ctx.out.write(describeRoute(route, ctx.flags.bool('verbose'), nowOf(ctx)));
}
