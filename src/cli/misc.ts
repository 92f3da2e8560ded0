// `knit version`, `knit options`, `knit completion bash|zsh` and the hidden `__complete` helper behind completion.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { API_VERSION, type Resource } from '../api/types.ts';
import { GLOBAL_FLAGS, type CommandContext, type CommandSpec, type Writer } from './command.ts';
import { BIN, CliError } from './errors.ts';
import { expandFlags } from './flags.ts';
import { renderOptions, terminalColumns } from './help.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Short git revision of the checkout knit runs from, read from .git without spawning git. */
function gitRevision(): string {
  const head = readText(`${REPO_ROOT}.git/HEAD`)?.trim();
  if (!head) return '';
  let sha = head;
  const ref = /^ref: (.+)$/.exec(head)?.[1];
  if (ref) {
    sha = readText(`${REPO_ROOT}.git/${ref}`)?.trim() ?? '';
    if (!sha) {
      const packed = readText(`${REPO_ROOT}.git/packed-refs`) ?? '';
      sha = packed.split('\n').find((l) => l.endsWith(` ${ref}`))?.split(' ')[0] ?? '';
    }
  }
  return /^[0-9a-f]{7,}$/.test(sha) ? sha.slice(0, 7) : '';
}

/** Version information shown by `knit version`. */
export function versionInfo(): { Version: string; BuildDate: string; GitRevision: string; SupportedAPIs: { serving: string[] } } {
  let version = '';
  try {
    version = (JSON.parse(readText(`${REPO_ROOT}package.json`) ?? '{}') as { version?: string }).version ?? '';
  } catch {
    version = '';
  }
  return {
    Version: version ? `v${version}` : '',
    BuildDate: '',
    GitRevision: gitRevision(),
    SupportedAPIs: { serving: [`${API_VERSION} (knit ${version ? `v${version}` : 'dev'})`] },
  };
}

/** `knit version [-o json|yaml]`. */
export async function versionCommand(ctx: CommandContext): Promise<void> {
  const info = versionInfo();
  if (ctx.flags.changed('output')) {
    const format = ctx.flags.string('output');
    if (format === 'json') {
      ctx.out.write(JSON.stringify(info, null, '\t') + '\n');
      return;
    }
    if (format === 'yaml') {
      const YAML = await import('yaml');
      ctx.out.write(YAML.stringify(info, { indentSeq: false }));
      return;
    }
    throw new CliError("invalid value for output flag, choose one among 'json' or 'yaml'");
  }
  let out = `Version:      ${info.Version}\nBuild Date:   ${info.BuildDate}\nGit Revision: ${info.GitRevision}\nSupported APIs:\n* Serving\n`;
  for (const api of info.SupportedAPIs.serving) out += `  - ${api}\n`;
  ctx.out.write(out);
}

/** `knit options`: the flags every command accepts. */
export async function optionsCommand(ctx: CommandContext): Promise<void> {
  ctx.out.write(renderOptions(terminalColumns()));
}

const BASH_COMPLETION = `# bash completion for ${BIN}                                  -*- shell-script -*-
# Load it with: source <(${BIN} completion bash)

__${BIN}_complete() {
    local cur="\${COMP_WORDS[COMP_CWORD]}"
    local IFS=$'\\n'
    local candidates
    candidates=$(${BIN} __complete "\${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" 2>/dev/null)
    COMPREPLY=( $(compgen -W "$candidates" -- "$cur") )
}

complete -o default -F __${BIN}_complete ${BIN}
`;

const ZSH_COMPLETION = `#compdef ${BIN}
# zsh completion for ${BIN}
# Load it with: source <(${BIN} completion zsh)

_${BIN}() {
    local -a candidates
    candidates=("\${(@f)$(${BIN} __complete "\${(@)words[2,CURRENT-1]}" "\${words[CURRENT]}" 2>/dev/null)}")
    candidates=(\${candidates:#})
    compadd -a candidates
}

if [ "$funcstack[1]" = "_${BIN}" ]; then
    _${BIN} "$@"
else
    compdef _${BIN} ${BIN}
fi
`;

/** `knit completion bash|zsh`. */
export async function completionCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args.length !== 1) throw new CliError("Only one argument can be provided, either 'bash' or 'zsh'");
  switch (ctx.args[0]) {
    case 'bash':
      ctx.out.write(BASH_COMPLETION);
      return;
    case 'zsh':
      ctx.out.write(ZSH_COMPLETION);
      return;
    default:
      throw new CliError("'bash' or 'zsh' shell completion is supported");
  }
}

/** Which resource names complete the positional argument of a command path. */
const NAME_COMPLETION: Record<string, Resource> = {
  'service describe': 'services',
  'service update': 'services',
  'service delete': 'services',
  'service wait': 'services',
  'service export': 'services',
  'service apply': 'services',
  'service list': 'services',
  'revision describe': 'revisions',
  'revision delete': 'revisions',
  'revision list': 'revisions',
  'route describe': 'routes',
  'route list': 'routes',
};

/**
 * The hidden `knit __complete WORDS... CURRENT` used by the completion scripts: prints one candidate per line
 * (subcommands, flags, or resource names fetched from the API; API errors just yield nothing).
 */
export async function complete(root: CommandSpec, words: readonly string[], out: Writer, env: Record<string, string | undefined>): Promise<void> {
  const current = words.length > 0 ? words[words.length - 1] : '';
  const typed = words.slice(0, -1);
  const chain: CommandSpec[] = [root];
  let positional = false;
  let namespace: string | undefined;
  let server: string | undefined;
  let dataDir: string | undefined;
  let target: string | undefined;
  for (let i = 0; i < typed.length; i++) {
    const w = typed[i];
    if (w === '--target') target = typed[i + 1];
    else if (w.startsWith('--target=')) target = w.slice('--target='.length);
    if (w === '-n' || w === '--namespace') namespace = typed[i + 1];
    else if (w.startsWith('--namespace=')) namespace = w.slice('--namespace='.length);
    if (w === '--server') server = typed[i + 1];
    if (w === '--data-dir') dataDir = typed[i + 1];
    if (w.startsWith('-')) continue;
    const cmd = chain[chain.length - 1];
    const sub = positional ? undefined : cmd.subcommands?.find((c) => c.name === w || (c.aliases ?? []).includes(w));
    if (sub) chain.push(sub);
    else positional = true;
  }
  const cmd = chain[chain.length - 1];
  const lines: string[] = [];
  if (current.startsWith('-')) {
    for (const f of [...expandFlags(cmd.flags ?? []), ...GLOBAL_FLAGS]) {
      if (f.hidden) continue;
      lines.push(`--${f.name}`);
      if (f.short) lines.push(`-${f.short}`);
    }
    lines.push('--help');
  } else if (cmd.subcommands && !positional) {
    for (const c of cmd.subcommands) if (!c.hidden) lines.push(c.name);
  } else {
    const resource = NAME_COMPLETION[chain.slice(1).map((c) => c.name).join(' ')];
    if (resource === 'services' && target) {
      // Offline mode: the names of the service files (kn's completion honours --target too).
      const { OfflineServices } = await import('./offline.ts');
      try {
        lines.push(...new OfflineServices(target, namespace ?? 'default', process.cwd()).list().map((s) => s.metadata.name ?? ''));
      } catch {
        // no such directory or an unreadable file: nothing to offer
      }
    } else if (resource) {
      const { ServingClient, resolveClientConfig } = await import('./client.ts');
      const client = new ServingClient(resolveClientConfig({ server, dataDir, env }));
      const names = await Promise.race([
        client.list(resource, namespace ?? 'default').then((l) => l.items.map((i) => i.metadata.name ?? '')),
        new Promise<string[]>((r) => setTimeout(() => r([]), 2000).unref()),
      ]).catch(() => [] as string[]);
      lines.push(...names);
    }
  }
  out.write(lines.filter((l) => l.startsWith(current)).map((l) => `${l}\n`).join(''));
}
