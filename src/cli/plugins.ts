// Plugins: `knit-NAME` / `kn-NAME` executables in the plugins directory or on $PATH run as `knit NAME …`, and
// `knit plugin list` (knative/client pkg/plugin/manager.go, verify.go, pkg/commands/plugin/list.go, cmd/kn/main.go).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { CommandContext, CommandSpec, Writer } from './command.ts';
import { GLOBAL_FLAGS } from './command.ts';
import { BIN, CliError } from './errors.ts';
import { loadKnConfig, type KnConfig } from './kn-config.ts';

/** File name prefixes of plugins, knit's own first: `knit-hello` wins over `kn-hello` for `knit hello`. */
export const PLUGIN_PREFIXES = [`${BIN}-`, 'kn-'] as const;

export interface Plugin {
  /** The file name (`knit-hello`). */
  name: string;
  path: string;
  /** The command words that lead to it (`['source', 'github']` for `kn-source-github`). */
  commandParts: string[];
}

/** An error of a plugin run: printed without the `Run '… --help'` hint (cmd/kn/main.go runError). */
export class PluginRunError extends Error {
  override name = 'PluginRunError';
}

/**
 * cmd/kn/main.go stripFlags with pflag's whitelisting of unknown flags: the words of a command line without its
 * flags. `-h`/`--help` are dropped; a known global flag that takes a value skips it; an unknown flag skips the
 * next word unless that starts with `-` (pflag stripUnknownFlagValue); `--` makes the rest words.
 */
export function stripFlags(argv: readonly string[]): string[] {
  const words: string[] = [];
  const args = argv.filter((a) => a !== '-h' && a !== '--help');
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      words.push(...args.slice(i + 1));
      break;
    }
    if (a.length < 2 || !a.startsWith('-')) {
      words.push(a);
      continue;
    }
    if (a.includes('=')) continue;
    const name = a.startsWith('--') ? a.slice(2) : undefined;
    const known = name !== undefined ? GLOBAL_FLAGS.find((f) => f.name === name) : undefined;
    if (known) {
      if (known.type !== 'boolean') i++;
      continue;
    }
    // An unknown long flag, or one unknown shorthand on its own, takes the next word if it is no flag.
    if ((name !== undefined || a.length === 2) && i + 1 < args.length && !args[i + 1].startsWith('-')) i++;
  }
  return words;
}

/** cmd/kn/main.go argsWithoutCommands: the arguments a plugin gets, its own command words removed in order. */
export function argsWithoutCommands(args: readonly string[], commandParts: readonly string[]): string[] {
  const parts = [...commandParts];
  const out: string[] = [];
  for (const a of args) {
    if (parts.length > 0 && parts[0] === a) {
      parts.shift();
      continue;
    }
    out.push(a);
  }
  return out;
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function pathDirs(env: Record<string, string | undefined>): string[] {
  return (env.PATH ?? '').split(path.delimiter).filter((d) => d !== '');
}

/** pkg/plugin/manager.go findInDirOrPath: the plugins directory first (any file), then $PATH (executables). */
function findInDirOrPath(name: string, dir: string, env: Record<string, string | undefined>): string | undefined {
  const inDir = path.join(dir, name);
  if (isFile(inDir)) return inDir;
  for (const d of pathDirs(env)) {
    const p = path.join(d, name);
    if (isFile(p) && isExecutable(p)) return p;
  }
  return undefined;
}

/**
 * pkg/plugin/manager.go FindPlugin / findMostSpecificPluginInPath: the longest run of leading words that names a
 * plugin (`-` in a word is `_` in the file name; a word with a `/` ends the run).
 */
export function findPlugin(words: readonly string[], cfg: KnConfig, env: Record<string, string | undefined>): Plugin | undefined {
  for (let i = words.length; i > 0; i--) {
    const parts: string[] = [];
    for (const w of words.slice(0, i)) {
      if (w.includes(path.sep)) break;
      parts.push(w);
    }
    if (parts.length === 0) continue;
    const stem = parts.map((p) => p.replaceAll('-', '_')).join('-');
    for (const prefix of PLUGIN_PREFIXES) {
      const found = findInDirOrPath(prefix + stem, cfg.pluginsDir, env);
      if (found) return { name: prefix + stem, path: found, commandParts: parts };
    }
  }
  return undefined;
}

/** cobra's Find on the command tree: the deepest command the words name and the words left over. */
function findCommand(root: CommandSpec, words: readonly string[]): { cmd: CommandSpec; rest: string[]; found: boolean } {
  let cmd = root;
  let i = 0;
  for (; i < words.length; i++) {
    const sub = cmd.subcommands?.find((c) => c.name === words[i] || (c.aliases ?? []).includes(words[i]));
    if (!sub) break;
    cmd = sub;
  }
  return { cmd, rest: words.slice(i), found: cmd !== root };
}

/** Whether a plugin would replace a built-in command: a leaf, or a group named exactly (cmd/kn/main.go validatePlugin). */
export function overridesBuiltIn(root: CommandSpec, commandParts: readonly string[]): boolean {
  const { cmd, rest, found } = findCommand(root, commandParts);
  if (!found) return false;
  const group = (cmd.subcommands?.length ?? 0) > 0;
  return !group || rest.length === 0;
}

export function validatePlugin(root: CommandSpec, plugin: Plugin): void {
  if (overridesBuiltIn(root, plugin.commandParts)) {
    throw new CliError(`plugin ${plugin.path} is overriding built-in command '${plugin.commandParts.join(' ')}' which is not allowed`);
  }
}

/** Where the plugin's standard streams go: the terminal's own (the knit binary), or the run's writers (tests). */
export interface PluginIo {
  out: Writer;
  err: Writer;
  env: Record<string, string | undefined>;
  cwd: string;
  inheritStdio?: boolean;
}

/** pkg/plugin/manager.go plugin.Execute: runs it with the arguments and knit's environment; a failure is Go's ExitError text. */
export function executePlugin(plugin: Plugin, args: readonly string[], io: PluginIo): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(plugin.path, args, {
      cwd: io.cwd,
      env: io.env,
      stdio: io.inheritStdio ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.setEncoding('utf8').on('data', (s: string) => io.out.write(s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => io.err.write(s));
    child.on('error', (e) => reject(new PluginRunError(`fork/exec ${plugin.path}: ${e.message}`, { cause: e })));
    child.on('close', (code, signal) => {
      if (signal) reject(new PluginRunError(`signal: ${signalText(signal)}`));
      else if (code !== 0) reject(new PluginRunError(`exit status ${code}`));
      else resolve();
    });
  });
}

/** Go's syscall.Signal strings for the common ones. */
function signalText(signal: NodeJS.Signals): string {
  const texts: Partial<Record<NodeJS.Signals, string>> = { SIGKILL: 'killed', SIGTERM: 'terminated', SIGINT: 'interrupt', SIGSEGV: 'segmentation fault', SIGABRT: 'aborted', SIGPIPE: 'broken pipe', SIGHUP: 'hangup' };
  return texts[signal] ?? signal;
}

/** Splits a plugin file name into its command words (pkg/plugin/manager.go extractPluginCommandFromFileName). */
function commandPartsOf(fileName: string): string[] {
  const prefix = PLUGIN_PREFIXES.find((p) => fileName.startsWith(p)) ?? '';
  return fileName.slice(prefix.length).split('-').map((p) => p.replaceAll('_', '-'));
}

function lookupDirs(cfg: KnConfig, env: Record<string, string | undefined>): string[] {
  return [...new Set([cfg.pluginsDir, ...pathDirs(env)])];
}

function pluginFiles(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((f) => !f.isDirectory() && PLUGIN_PREFIXES.some((p) => f.name.startsWith(p)));
  } catch {
    return [];
  }
}

/** pkg/plugin/manager.go ListPlugins: every plugin file, the first of each name winning, sorted by name. */
export function listPlugins(cfg: KnConfig, env: Record<string, string | undefined>): Plugin[] {
  const seen = new Set<string>();
  const plugins: Plugin[] = [];
  for (const dir of lookupDirs(cfg, env)) {
    for (const f of pluginFiles(dir)) {
      if (seen.has(f.name)) continue;
      seen.add(f.name);
      plugins.push({ name: f.name, path: path.join(dir, f.name), commandParts: commandPartsOf(f.name) });
    }
  }
  return plugins.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export interface Verification {
  errors: string[];
  warnings: string[];
}

/** pkg/plugin/verify.go Verify: plugins that the current user cannot execute, or that an earlier one of the same name shadows. */
export function verifyPlugins(cfg: KnConfig, env: Record<string, string | undefined>): Verification {
  const v: Verification = { errors: [], warnings: [] };
  const seen = new Map<string, string>();
  for (const dir of lookupDirs(cfg, env)) {
    let files: fs.Dirent[];
    try {
      files = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') v.errors.push(`unable to read directory '${dir}' from your plugin path: ${(e as Error).message}`);
      continue;
    }
    for (const f of files) {
      if (f.isDirectory() || !PLUGIN_PREFIXES.some((p) => f.name.startsWith(p))) continue;
      const p = path.join(dir, f.name);
      let st: fs.Stats;
      try {
        st = fs.statSync(p);
      } catch (e) {
        v.errors.push((e as NodeJS.ErrnoException).code === 'ENOENT' ? `cannot find plugin in ${p}` : `cannot stat ${p}: ${(e as Error).message}`);
        continue;
      }
      if (!st.isFile()) v.warnings.push(`${p} is not a file`);
      else if (!isExecutable(p)) v.warnings.push(`${p} is not executable by current user`);
      const earlier = seen.get(f.name);
      if (earlier !== undefined) v.warnings.push(`${p} is ignored because it is shadowed by an equally named plugin: ${earlier}`);
      seen.set(f.name, p);
    }
  }
  return v;
}

function section(label: string, values: string[]): string {
  if (values.length === 0) return '';
  return `${values.length === 1 ? label : `${label}s`}:\n${values.map((s) => `  - ${s}\n`).join('')}`;
}

/** The plugins configuration of an invocation: `--config`, `--plugins-dir`. */
export function knConfigOf(ctx: Pick<CommandContext, 'flags' | 'env' | 'err'>): KnConfig {
  return loadKnConfig({ configFlag: ctx.flags.string('config') || undefined, pluginsDirFlag: ctx.flags.string('plugins-dir') || undefined, env: ctx.env, warn: (t) => ctx.err.write(t) });
}

/** `knit plugin list [--verbose]` (pkg/commands/plugin/list.go listPlugins). */
export async function pluginListCommand(ctx: CommandContext): Promise<void> {
  const { ROOT } = await import('./commands.ts');
  const cfg = knConfigOf(ctx);
  const verbose = ctx.flags.bool('verbose');
  let out = '';
  if (verbose) {
    out += 'The following plugins are available, using options:\n';
    out += `  plugins dir: '${cfg.pluginsDir}'${fs.existsSync(cfg.pluginsDir) ? '' : ' (does not exist)'}\n`;
    out += `  lookup plugins in $PATH: ${cfg.lookupPluginsInPath}\n\n`;
  }
  const plugins = listPlugins(cfg, ctx.env);
  if (plugins.length === 0) {
    ctx.out.write(out + (verbose ? `No plugins found in path '${cfg.pluginsDir}'.\n` : 'No plugins found.\n'));
    return;
  }
  const v = verifyPlugins(cfg, ctx.env);
  for (const p of plugins) {
    if (overridesBuiltIn(ROOT, p.commandParts)) v.errors.push(`${p.path} overwrites existing built-in command: '${p.commandParts.join(' ')}'`);
  }
  for (const p of plugins) out += `- ${p.name} : ${p.path}${verbose ? `  (${p.path})` : ''}\n`;
  if (v.errors.length + v.warnings.length > 0) out += `\n${section('ERROR', v.errors)}${section('WARNING', v.warnings)}`;
  ctx.out.write(out);
  if (v.errors.length > 0) throw new CliError('plugin validation errors');
}
