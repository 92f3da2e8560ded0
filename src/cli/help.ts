// Help output in kn's layout (its cobra usage template), with `knit` as the binary name.

import { GLOBAL_FLAGS, type CommandSpec } from './command.ts';
import { BIN } from './errors.ts';
import { expandFlags, flagUsages } from './flags.ts';

const MIN_NAME_PADDING = 11;

/** Joins a command path: `knit service create`. */
export function commandPath(chain: readonly CommandSpec[]): string {
  return chain.map((c) => c.name).join(' ');
}

function namePadding(parent: CommandSpec | undefined): number {
  const max = Math.max(0, ...(parent?.subcommands ?? []).map((c) => c.name.length));
  return Math.max(MIN_NAME_PADDING, max);
}

function commandLine(cmd: CommandSpec, padding: number): string {
  return `  ${cmd.name.padEnd(padding)} ${cmd.short}`;
}

function sortedSubcommands(cmd: CommandSpec): CommandSpec[] {
  return [...(cmd.subcommands ?? [])].filter((c) => !c.hidden).sort((a, b) => (a.name < b.name ? -1 : 1));
}

function rootGroups(root: CommandSpec): string {
  const groups = new Map<string, CommandSpec[]>();
  for (const sub of root.subcommands ?? []) {
    if (!sub.group || sub.hidden) continue;
    const list = groups.get(sub.group) ?? [];
    list.push(sub);
    groups.set(sub.group, list);
  }
  const padding = namePadding(root);
  return [...groups].map(([header, cmds]) => [header, ...cmds.map((c) => commandLine(c, padding))].join('\n')).join('\n\n');
}

/** Width used to wrap flag usages: the terminal width when stdout is one, else no wrapping (like pflag). */
export function terminalColumns(): number {
  return process.stdout.isTTY ? process.stdout.columns ?? 0 : 0;
}

/** Renders `--help` for the command at the end of `chain` (kn's help template). */
export function renderHelp(chain: readonly CommandSpec[], cols = 0): string {
  const cmd = chain[chain.length - 1];
  const isRoot = chain.length === 1;
  const parentPath = commandPath(chain.slice(0, -1));
  let text = (cmd.long ?? cmd.short).trim();

  let usage = '\n\n';
  if (!isRoot) {
    let line = `${parentPath} ${cmd.use}`;
    if (!line.includes('[options]')) line += ' [options]';
    usage += `Usage:\n  ${line}\n\n`;
  }
  if (cmd.aliases && cmd.aliases.length > 0) usage += `Aliases:\n  ${[cmd.name, ...cmd.aliases].join(', ')}\n\n`;
  if (cmd.example) usage += `Examples:\n${cmd.example.trimEnd()}\n\n`;
  if (isRoot) usage += `${rootGroups(cmd)}\n\n`;
  if (!isRoot && cmd.subcommands && cmd.subcommands.length > 0) {
    const padding = namePadding(cmd);
    usage += `Available Commands:\n${sortedSubcommands(cmd).map((c) => commandLine(c, padding)).join('\n')}\n\n`;
  }
  const local = expandFlags(cmd.flags ?? []);
  if (local.some((f) => !f.hidden)) usage += `Options:\n${flagUsages(local, cols).trimEnd()}\n\n`;
  if (cmd.subcommands && cmd.subcommands.length > 0) usage += `Use "${BIN} <command> --help" for more information about a given command.\n`;
  usage += `Use "${BIN} options" for a list of global command-line options (applies to all commands).`;
  text += usage + '\n';
  return text;
}

/** Output of `knit options`: the global flags. */
export function renderOptions(cols = 0): string {
  return `The following options can be passed to any command:\n\n${flagUsages(GLOBAL_FLAGS, cols)}`;
}

/** Names of the visible subcommands, sorted, for kn's "Available sub-commands" errors. */
export function availableSubcommands(cmd: CommandSpec): string {
  return sortedSubcommands(cmd)
    .map((c) => c.name)
    .join(', ');
}
