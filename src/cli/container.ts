// kn's extra containers: `--containers FILE|-` on service create/update/apply (knative/client pkg/flags/podspec.go)
// and `knit container add NAME --image ...` (pkg/commands/container/add.go), which prints a PodSpec to pipe into it.

import fs from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { Container, RevisionTemplateSpec } from '../api/types.ts';
import type { CommandContext } from './command.ts';
import { CliError } from './errors.ts';
import type { ParsedFlags } from './flags.ts';
import { resolveImage } from './edit.ts';

/** Reads all of stdin (a pipe or a file); '' when it is a terminal. */
function readStdin(): string {
  try {
    if (fs.fstatSync(0).isCharacterDevice()) return '';
    return fs.readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

/** True if stdin is a pipe or a file (add.go IsPipeInput: not a character device). */
function stdinIsPiped(): boolean {
  try {
    return !fs.fstatSync(0).isCharacterDevice();
  } catch {
    return false;
  }
}

function goType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/**
 * podspec_helper.go decodeContainersFromFile: a YAML or JSON PodSpec, of which only `containers` is used. Errors
 * are Go's: `EOF` for empty input, `cannot unmarshal ... into Go struct field PodSpec.containers ...` for a wrong shape.
 */
export function decodeContainers(text: string): Container[] {
  const docs = parseAllDocuments(text);
  const first = Array.isArray(docs) ? docs[0] : undefined;
  if (!first || first.contents === null) throw new CliError('EOF');
  if (first.errors.length > 0) throw new CliError(`error converting YAML to JSON: ${first.errors[0].message.split('\n')[0]}`);
  const spec = first.toJS() as unknown;
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new CliError(`error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${goType(spec)} into Go value of type v1.PodSpec`);
  const containers = (spec as { containers?: unknown }).containers;
  if (containers === undefined || containers === null) return [];
  if (!Array.isArray(containers)) throw new CliError(`error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${goType(containers)} into Go struct field PodSpec.containers of type []v1.Container`);
  for (const c of containers) {
    if (c === null || typeof c !== 'object' || Array.isArray(c)) throw new CliError(`error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${goType(c)} into Go struct field PodSpec.containers of type v1.Container`);
  }
  return containers as Container[];
}

/**
 * podspec_helper.go UpdateContainers: with one container, the extra ones are appended; with several, a
 * container of the same name is replaced and the others are appended.
 */
export function updateContainers(spec: { containers?: Container[] }, extra: Container[]): void {
  const current = (spec.containers ??= []);
  if (current.length === 1) {
    current.push(...extra);
    return;
  }
  const matched = new Set<string>();
  current.forEach((c, i) => {
    for (const e of extra) {
      if (c.name === e.name) {
        current[i] = e;
        matched.add((e.name ?? '').toLowerCase());
      }
    }
  });
  for (const e of extra) if (!matched.has((e.name ?? '').toLowerCase())) current.push(e);
}

/** The value of `--containers` (or `--extra-containers`), if given. */
function containersSource(flags: ParsedFlags): string | undefined {
  if (flags.changed('containers')) return flags.string('containers');
  if (flags.changed('extra-containers')) return flags.string('extra-containers');
  return undefined;
}

/** Applies `--containers FILE|-` to a revision template (a no-op without it). `stdin` is read for '-'. */
export function applyContainers(template: RevisionTemplateSpec, flags: ParsedFlags, cwd: string, stdin: () => string = readStdin): void {
  const source = containersSource(flags);
  if (source === undefined) return;
  let text: string;
  if (source === '-') text = stdin();
  else {
    try {
      text = fs.readFileSync(resolve(cwd, source), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CliError(`open ${source}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message}`);
    }
  }
  // A local directory names a file:// image, as --image does (knit's own convenience; relative to the working directory).
  const extra = decodeContainers(text).map((c) => (typeof c.image === 'string' && /^(\.{1,2}(\/|$)|\/)/.test(c.image) ? { ...c, image: resolveImage(c.image, cwd) } : c));
  updateContainers(template.spec, extra);
}

/** Keys sorted at every level, as sigs.k8s.io/yaml prints a Go struct (through JSON, whose maps it sorts). */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sorted((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/**
 * `knit container add NAME --image IMAGE [podspec flags]`: the PodSpec of one container built from the same
 * flags as `service create`, printed as YAML. Piped input (an earlier `container add`) is read as
 * `--containers -`, so calls chain; empty piped input adds nothing (kn would fail with EOF).
 */
export async function containerAddCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args.length !== 1) throw new CliError("'container add' requires the container name given as single argument");
  const name = ctx.args[0];
  if (!ctx.flags.changed('image') || ctx.flags.string('image') === '') throw new CliError("'container add'  requires the image name to run provided with the --image option");
  const { resolvePodSpecFlags } = await import('./edit.ts');
  const template: RevisionTemplateSpec = { spec: { containers: [{}] } };
  resolvePodSpecFlags(template, ctx.flags, ctx.cwd);
  if (containersSource(ctx.flags) === undefined && stdinIsPiped()) {
    const text = readStdin();
    if (text.trim() !== '') updateContainers(template.spec, decodeContainers(text));
  }
  const containers = template.spec.containers.map((c, i) => ({ ...(i === 0 ? { ...c, name } : c), resources: c.resources ?? {} }));
  ctx.out.write(stringify(sorted({ containers }), { lineWidth: 0, indentSeq: false }));
}
