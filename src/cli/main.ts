// Entry point of the knit CLI: resolves the command from argv, parses flags, prints help or runs the handler.

import { GLOBAL_FLAGS, type CommandContext, type CommandSpec, type Writer } from './command.ts';
import { ROOT } from './commands.ts';
import { BIN, CliError, formatError } from './errors.ts';
import { FlagError, expandFlags, parseCommandLine, reconcilePairedFlags, type FlagSpec } from './flags.ts';
import { availableSubcommands, commandPath, renderHelp, terminalColumns } from './help.ts';
import { loadKnConfig } from './kn-config.ts';
import { PluginRunError, argsWithoutCommands, executePlugin, findPlugin, stripFlags, validatePlugin } from './plugins.ts';

/** The process environment a run sees; tests inject their own. */
export interface RunEnvironment {
  out: Writer;
  err: Writer;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Plugins get the process's own stdin/stdout/stderr (the knit binary); else their output goes to out/err. */
  inheritStdio?: boolean;
}

function helpFlag(cmd: CommandSpec): FlagSpec {
  return { name: 'help', short: 'h', type: 'boolean', usage: `help for ${cmd.name}`, hidden: true };
}

/** All flags a command accepts: its own, the global ones it does not redefine (serve's --config) and -h/--help. */
function allFlags(cmd: CommandSpec): FlagSpec[] {
  const own = expandFlags(cmd.flags ?? []);
  return [...own, ...GLOBAL_FLAGS.filter((g) => !own.some((f) => f.name === g.name)), helpFlag(cmd)];
}

function findSubcommand(cmd: CommandSpec, word: string): CommandSpec | undefined {
  return cmd.subcommands?.find((c) => c.name === word || (c.aliases ?? []).includes(word));
}

/**
 * Cobra's Find: walk the leading non-flag words down the command tree, skipping flags (and the value of a flag
 * that takes one, as judged by the current command's flags; unknown `--x` without `=` is assumed to take one).
 */
export function resolveCommand(argv: readonly string[]): { chain: CommandSpec[]; rest: string[] } {
  const chain: CommandSpec[] = [ROOT];
  const rest: string[] = [];
  let descending = true;
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i];
    if (s === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const cmd = chain[chain.length - 1];
    if (s.length > 1 && s.startsWith('-')) {
      rest.push(s);
      if (!s.includes('=') && i + 1 < argv.length && descending) {
        const flags = allFlags(cmd);
        const spec = s.startsWith('--') ? flags.find((f) => f.name === s.slice(2)) : s.length === 2 ? flags.find((f) => f.short === s[1]) : undefined;
        const unknownLong = s.startsWith('--') && !spec;
        if ((spec && spec.type !== 'boolean') || unknownLong || (!spec && s.length === 2)) rest.push(argv[++i]);
      }
      continue;
    }
    const sub = descending ? findSubcommand(cmd, s) : undefined;
    if (sub) {
      chain.push(sub);
      continue;
    }
    descending = false;
    rest.push(s);
  }
  return { chain, rest };
}

function levenshtein(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

function suggestions(cmd: CommandSpec, typed: string): string {
  const t = typed.toLowerCase();
  const names = (cmd.subcommands ?? [])
    .filter((c) => !c.hidden && (levenshtein(t, c.name.toLowerCase()) <= 2 || c.name.toLowerCase().startsWith(t)))
    .map((c) => c.name);
  return names.length === 0 ? '' : `\n\nDid you mean this?\n${names.map((n) => `\t${n}\n`).join('')}`;
}

/** Runs one knit command line and returns the exit code. */
export async function run(argv: readonly string[], io: RunEnvironment): Promise<number> {
  try {
    await dispatch(argv, io);
    return 0;
  } catch (e) {
    if (e instanceof PluginRunError) {
      // cmd/kn/main.go printError: a plugin's failure gets no usage hint.
      io.err.write(`Error: ${e.message}\n`);
      return 1;
    }
    io.err.write(formatError(errorMessage(e)));
    if (io.env.KNIT_DEBUG && e instanceof Error && !(e instanceof CliError) && !(e instanceof FlagError)) io.err.write(`${e.stack}\n`);
    return 1;
  }
}

function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

async function dispatch(argv: readonly string[], io: RunEnvironment): Promise<void> {
  if (argv[0] === '__complete') {
    await (await import('./misc.ts')).complete(ROOT, argv.slice(1), io.out, io.env);
    return;
  }
  const { chain, rest } = resolveCommand(argv);
  if (await runPlugin(argv, chain, io)) return;
  // `knit help [command...]` is cobra's implicit help command.
  if (chain.length === 1 && rest[0] === 'help') {
    const target = resolveCommand(rest.slice(1).filter((a) => !a.startsWith('-')));
    io.out.write(renderHelp(target.chain, terminalColumns()));
    return;
  }
  const cmd = chain[chain.length - 1];
  const path = commandPath(chain);

  // knative/client cmd/kn/main.go validateRootCommand: below a command group, a word that names no sub-command
  // is reported before any flag error (unknown flags are skipped to find it).
  if (!cmd.run && chain.length > 1) {
    let words: string[];
    try {
      words = parseCommandLine(rest, allFlags(cmd), true).args;
    } catch {
      words = rest.filter((a) => !a.startsWith('-'));
    }
    if (words.length > 0) throw new CliError(`unknown sub-command '${words[0]}' for '${path}'. Available sub-commands: ${availableSubcommands(cmd)}`);
  }

  let parsed;
  try {
    parsed = parseCommandLine(rest, allFlags(cmd), cmd.ignoreUnknownFlags === true);
  } catch (e) {
    if (e instanceof FlagError) throw new FlagError(`${e.message} for '${path}'`);
    throw e;
  }
  if (parsed.flags.bool('help')) {
    io.out.write(renderHelp(chain, terminalColumns()));
    return;
  }
  reconcilePairedFlags(parsed.flags);

  if (!cmd.run) {
    if (chain.length === 1) {
      if (parsed.args.length === 0) {
        io.out.write(renderHelp(chain, terminalColumns()));
        return;
      }
      throw new CliError(`unknown command "${parsed.args[0]}" for "${BIN}"${suggestions(cmd, parsed.args[0])}`);
    }
    if (parsed.args.length === 0) throw new CliError(`no sub-command given for '${path}'. Available sub-commands: ${availableSubcommands(cmd)}`);
    throw new CliError(`unknown sub-command '${parsed.args[0]}' for '${path}'. Available sub-commands: ${availableSubcommands(cmd)}`);
  }

  const handler = await cmd.run();
  const ctx: CommandContext = { path, args: parsed.args, flags: parsed.flags, out: io.out, err: io.err, env: io.env, cwd: io.cwd };
  await handler(ctx);
}

/** The value of a global flag anywhere on the command line (kn's bootstrap flags are read before the command is). */
function scanFlag(argv: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') break;
    if (a === `--${name}` && i + 1 < argv.length) value = argv[++i];
    else if (a.startsWith(`--${name}=`)) value = a.slice(name.length + 3);
  }
  return value;
}

/**
 * cmd/kn/main.go run: a `knit-NAME` or `kn-NAME` plugin named by the command words runs instead of the command
 * tree (it may add a sub-command to a group, never replace a command). True if one ran.
 */
async function runPlugin(argv: readonly string[], chain: CommandSpec[], io: RunEnvironment): Promise<boolean> {
  const words = stripFlags(argv);
  if (words.length === 0) return false;
  const leafFlags = chain[chain.length - 1].flags ?? [];
  const config = leafFlags.some((f) => f.name === 'config') ? undefined : scanFlag(argv, 'config');
  let cfg;
  try {
    cfg = loadKnConfig({ configFlag: config, pluginsDirFlag: scanFlag(argv, 'plugins-dir'), env: io.env, warn: (t) => io.err.write(t) });
  } catch (e) {
    // A broken kn config file fails the commands that use it (--profile, plugin list) and plugins, not the
    // built-in commands it has nothing to say about (`knit serve` among them).
    const leaf = chain[chain.length - 1];
    if (chain.length > 1 && leaf.run && leaf.name !== 'plugin') return false;
    throw e;
  }
  const plugin = findPlugin(words, cfg, io.env);
  if (!plugin) return false;
  validatePlugin(ROOT, plugin);
  await executePlugin(plugin, argsWithoutCommands(argv, plugin.commandParts), io);
  return true;
}

function stdWriter(stream: NodeJS.WriteStream): Writer {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
  return { write: (text: string) => void stream.write(text) };
}

if (import.meta.main) {
  // bin/knit enabled Node's compile cache for this process only; keep it out of what `knit serve` starts.
  if (process.env.KNIT_OWN_COMPILE_CACHE) {
    delete process.env.NODE_COMPILE_CACHE;
    delete process.env.KNIT_OWN_COMPILE_CACHE;
  }
  const code = await run(process.argv.slice(2), {
    out: stdWriter(process.stdout),
    err: stdWriter(process.stderr),
    env: process.env,
    cwd: process.cwd(),
    inheritStdio: true,
  });
  process.exit(code);
}
