// Flag declarations and parsing with kn's (cobra/pflag) semantics, on top of node:util parseArgs.

import { parseArgs } from 'node:util';

export type FlagType = 'string' | 'boolean' | 'int' | 'stringArray' | 'stringSlice';

/** One flag of a command, as declared in the command table. */
export interface FlagSpec {
  name: string;
  short?: string;
  type: FlagType;
  usage: string;
  /** Default shown in help (pflag prints it when it is not the zero value) and returned when unset. */
  default?: string | number | boolean;
  hidden?: boolean;
  /** Also declare `--no-<name>` (kn's AddBothBoolFlagsUnhidden). */
  paired?: boolean;
  /** Reject a second occurrence (kn's uniqueStringArg, used for --image). */
  once?: boolean;
}

/** A flag occurrence in command-line order (needed where kn looks at argv positions, e.g. --env vs --env-file). */
export interface FlagOccurrence {
  name: string;
  value: string;
}

/** A user error raised while parsing flags; main appends ` for '<command path>'` like kn's FlagErrorFunc. */
export class FlagError extends Error {}

/** Expands paired booleans into their `--x` / `--no-x` declarations. */
export function expandFlags(specs: readonly FlagSpec[]): FlagSpec[] {
  const out: FlagSpec[] = [];
  for (const spec of specs) {
    if (spec.paired && spec.type === 'boolean') {
      const value = spec.default === true;
      out.push({ ...spec, paired: undefined, default: value });
      out.push({
        name: `no-${spec.name}`,
        type: 'boolean',
        usage: invertUsage(spec.usage),
        default: !value,
        hidden: spec.hidden,
      });
    } else {
      out.push(spec);
    }
  }
  return out;
}

function invertUsage(usage: string): string {
  return 'Do not ' + usage.charAt(0).toLowerCase() + usage.slice(1);
}

/** Parsed values of one command line. */
export class ParsedFlags {
  readonly specs: ReadonlyMap<string, FlagSpec>;
  readonly occurrences: readonly FlagOccurrence[];
  private readonly values: Map<string, string | boolean | number | string[]>;

  constructor(specs: ReadonlyMap<string, FlagSpec>, values: Map<string, string | boolean | number | string[]>, occurrences: FlagOccurrence[]) {
    this.specs = specs;
    this.values = values;
    this.occurrences = occurrences;
  }

  /** True if the flag was given on the command line (pflag's Changed). */
  changed(name: string): boolean {
    return this.values.has(name);
  }

  /** Number of distinct flags given (pflag's NFlag). */
  count(): number {
    return this.values.size;
  }

  string(name: string): string {
    const v = this.values.get(name);
    if (typeof v === 'string') return v;
    const d = this.specs.get(name)?.default;
    return typeof d === 'string' ? d : '';
  }

  bool(name: string): boolean {
    const v = this.values.get(name);
    if (typeof v === 'boolean') return v;
    return this.specs.get(name)?.default === true;
  }

  int(name: string): number {
    const v = this.values.get(name);
    if (typeof v === 'number') return v;
    const d = this.specs.get(name)?.default;
    return typeof d === 'number' ? d : 0;
  }

  list(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? v : [];
  }

  /** Overrides a value after parsing (used to reconcile `--no-x` into `--x`). */
  set(name: string, value: string | boolean | number | string[]): void {
    this.values.set(name, value);
  }
}

/** Result of parsing a command line for one command. */
export interface ParseResult {
  flags: ParsedFlags;
  args: string[];
}

const TRUE_VALUES = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_VALUES = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** strconv.ParseInt(s, 0, 64) as used by pflag's int flags, with Go's error text. */
export function parseGoInt(s: string): number {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(s);
  if (!m) throw new FlagError(`strconv.ParseInt: parsing ${goQuote(s)}: invalid syntax`);
  const body = m[2].replaceAll('_', '');
  let n: bigint;
  if (/^0[xXoObB]/.test(body)) n = BigInt(body.toLowerCase());
  else if (body.length > 1 && body.startsWith('0')) n = BigInt('0o' + body.slice(1));
  else n = BigInt(body);
  if (m[1] === '-') n = -n;
  if (n > 9223372036854775807n || n < -9223372036854775808n) {
    throw new FlagError(`strconv.ParseInt: parsing ${goQuote(s)}: value out of range`);
  }
  return Number(n);
}

function parseBoolValue(s: string): boolean {
  if (TRUE_VALUES.has(s)) return true;
  if (FALSE_VALUES.has(s)) return false;
  throw new FlagError(`strconv.ParseBool: parsing ${goQuote(s)}: invalid syntax`);
}

function flagDisplayName(spec: FlagSpec): string {
  return spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
}

/**
 * Parses argv for one command: pflag's syntax (`--f v`, `--f=v`, `-f v`, `-fv`, `-f=v`, combined short bools,
 * values may start with '-', `--` ends flags, flags and arguments interleave). Unknown flags and bad values
 * raise FlagError with pflag's wording. With `ignoreUnknown`, unknown flags are dropped (kn's `options`).
 */
export function parseCommandLine(argv: readonly string[], specList: readonly FlagSpec[], ignoreUnknown = false): ParseResult {
  const specs = new Map<string, FlagSpec>();
  const shorts = new Map<string, FlagSpec>();
  for (const spec of specList) {
    specs.set(spec.name, spec);
    if (spec.short) shorts.set(spec.short, spec);
  }
  const occurrences: FlagOccurrence[] = [];
  const positionals: string[] = [];
  const boolValues = new Map<string, boolean>();

  const take = (spec: FlagSpec, value: string): void => {
    if (spec.type === 'boolean') {
      try {
        boolValues.set(spec.name, parseBoolValue(value));
      } catch (e) {
        throw new FlagError(`invalid argument ${goQuote(value)} for ${goQuote(flagDisplayName(spec))} flag: ${(e as Error).message}`);
      }
    } else if (spec.type === 'int') {
      try {
        parseGoInt(value);
      } catch (e) {
        throw new FlagError(`invalid argument ${goQuote(value)} for ${goQuote(flagDisplayName(spec))} flag: ${(e as Error).message}`);
      }
    } else if (spec.once && occurrences.some((o) => o.name === spec.name)) {
      throw new FlagError(`invalid argument ${goQuote(value)} for ${goQuote(flagDisplayName(spec))} flag: can be provided only once`);
    }
    occurrences.push({ name: spec.name, value });
  };

  let i = 0;
  while (i < argv.length) {
    const s = argv[i++];
    if (s.length < 2 || s[0] !== '-') {
      positionals.push(s);
      continue;
    }
    if (s[1] === '-') {
      if (s.length === 2) {
        positionals.push(...argv.slice(i));
        break;
      }
      const body = s.slice(2);
      if (body[0] === '-' || body[0] === '=') throw new FlagError(`bad flag syntax: ${s}`);
      const eq = body.indexOf('=');
      const name = eq < 0 ? body : body.slice(0, eq);
      const spec = specs.get(name);
      if (!spec) {
        if (ignoreUnknown) continue;
        throw new FlagError(`unknown flag: --${name}`);
      }
      if (eq >= 0) take(spec, body.slice(eq + 1));
      else if (spec.type === 'boolean') take(spec, 'true');
      else if (i < argv.length) take(spec, argv[i++]);
      else throw new FlagError(`flag needs an argument: ${s}`);
      continue;
    }
    let shorthands = s.slice(1);
    while (shorthands.length > 0) {
      const c = shorthands[0];
      const spec = shorts.get(c);
      if (!spec) {
        if (ignoreUnknown) break;
        throw new FlagError(`unknown shorthand flag: '${c}' in -${shorthands}`);
      }
      if (shorthands.length > 2 && shorthands[1] === '=') {
        take(spec, shorthands.slice(2));
        shorthands = '';
      } else if (spec.type === 'boolean') {
        take(spec, 'true');
        shorthands = shorthands.slice(1);
      } else if (shorthands.length > 1) {
        take(spec, shorthands.slice(1));
        shorthands = '';
      } else if (i < argv.length) {
        take(spec, argv[i++]);
        shorthands = '';
      } else {
        throw new FlagError(`flag needs an argument: '${c}' in -${shorthands}`);
      }
    }
  }

  // Hand the normalized command line to parseArgs (strict) to collect values; every value is inline so
  // values starting with '-' are never mistaken for options.
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  const normalized: string[] = [];
  for (const spec of specList) options[spec.name] = { type: spec.type === 'boolean' ? 'boolean' : 'string', multiple: spec.type !== 'boolean' };
  for (const o of occurrences) {
    const spec = specs.get(o.name)!;
    if (spec.type === 'boolean') {
      if (boolValues.get(o.name) === true && !normalized.includes(`--${o.name}`)) normalized.push(`--${o.name}`);
    } else {
      normalized.push(`--${o.name}=${o.value}`);
    }
  }
  normalized.push('--', ...positionals);
  const parsed = parseArgs({ args: normalized, options, allowPositionals: true, strict: true });

  const values = new Map<string, string | boolean | number | string[]>();
  for (const spec of specList) {
    const raw = (parsed.values as Record<string, string[] | boolean | undefined>)[spec.name];
    if (spec.type === 'boolean') {
      if (boolValues.has(spec.name)) values.set(spec.name, boolValues.get(spec.name)!);
      continue;
    }
    if (!Array.isArray(raw) || raw.length === 0) continue;
    switch (spec.type) {
      case 'string':
        values.set(spec.name, raw[raw.length - 1]);
        break;
      case 'int':
        values.set(spec.name, parseGoInt(raw[raw.length - 1]));
        break;
      case 'stringArray':
        values.set(spec.name, raw);
        break;
      case 'stringSlice':
        values.set(spec.name, raw.flatMap(splitSliceValue));
        break;
    }
  }
  return { flags: new ParsedFlags(specs, values, occurrences), args: parsed.positionals };
}

/** pflag stringSlice: each occurrence is a CSV record (`a=1,b=2`); quotes protect commas. */
export function splitSliceValue(value: string): string[] {
  if (value === '') return [];
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '"') {
      if (quoted && value[i + 1] === '"') {
        cur += '"';
        i++;
      } else {
        quoted = !quoted;
      }
    } else if (ch === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out;
}

/**
 * kn's ReconcileBoolFlags: for every `--no-x` paired with a boolean `--x`, reject giving both and reject an
 * explicit "false" on either; a given `--no-x` turns `--x` off.
 */
export function reconcilePairedFlags(flags: ParsedFlags): void {
  const names = [...flags.specs.keys()].sort();
  for (const name of names) {
    if (!name.startsWith('no-')) continue;
    const positive = name.slice(3);
    const pos = flags.specs.get(positive);
    const neg = flags.specs.get(name)!;
    if (!pos || pos.type !== 'boolean' || neg.type !== 'boolean') continue;
    if (flags.changed(name)) {
      if (flags.changed(positive)) throw new FlagError(`only one of --${name} and --${positive} may be specified`);
      if (!flags.bool(name)) throw new FlagError(`use --${positive} instead of providing "false" to --${name}`);
      flags.set(positive, false);
    } else if (flags.changed(positive) && !flags.bool(positive)) {
      throw new FlagError(`use --${name} instead of providing "false" to --${positive}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Help text for flags (pflag's FlagUsagesWrapped)

function varName(spec: FlagSpec): string {
  switch (spec.type) {
    case 'boolean':
      return '';
    case 'stringSlice':
      return 'strings';
    default:
      return spec.type;
  }
}

function defaultSuffix(spec: FlagSpec): string {
  const d = spec.default;
  if (d === undefined || d === false || d === 0 || d === '') return '';
  if (spec.type === 'string') return ` (default ${goQuote(String(d))})`;
  return ` (default ${String(d)})`;
}

/** Renders flag usages like pflag (sorted, aligned, optionally wrapped to a terminal width). */
export function flagUsages(specList: readonly FlagSpec[], cols = 0): string {
  const visible = specList.filter((s) => !s.hidden).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lines: { head: string; usage: string }[] = [];
  let maxlen = 0;
  for (const spec of visible) {
    let head = spec.short ? `  -${spec.short}, --${spec.name}` : `      --${spec.name}`;
    const v = varName(spec);
    if (v) head += ' ' + v;
    if (head.length + 1 > maxlen) maxlen = head.length + 1;
    lines.push({ head, usage: spec.usage + defaultSuffix(spec) });
  }
  let out = '';
  for (const { head, usage } of lines) {
    const spacing = ' '.repeat(maxlen - head.length);
    out += `${head} ${spacing} ${wrap(maxlen + 2, cols, usage)}\n`;
  }
  return out;
}

function wrapN(i: number, slop: number, s: string): [string, string] {
  if (i + slop > s.length) return [s, ''];
  const head = s.slice(0, i);
  const w = Math.max(head.lastIndexOf(' '), head.lastIndexOf('\t'), head.lastIndexOf('\n'));
  if (w <= 0) return [s, ''];
  const nl = head.lastIndexOf('\n');
  if (nl > 0 && nl < w) return [s.slice(0, nl), s.slice(nl + 1)];
  return [s.slice(0, w), s.slice(w + 1)];
}

/** pflag's wrap(): wraps `s` to width `w` with hanging indent `i`; `w` 0 means no wrapping. */
export function wrap(i: number, w: number, s: string): string {
  if (w === 0) return s.replaceAll('\n', '\n' + ' '.repeat(i));
  let width = w - i;
  let r = '';
  if (width < 24) {
    i = 16;
    width = w - i;
    r += '\n' + ' '.repeat(i);
  }
  if (width < 24) return s.replaceAll('\n', r);
  const slop = 5;
  width -= slop;
  let [l, rest] = wrapN(width, slop, s);
  r += l.replaceAll('\n', '\n' + ' '.repeat(i));
  while (rest !== '') {
    let t: string;
    [t, rest] = wrapN(width, slop, rest);
    r += '\n' + ' '.repeat(i) + t.replaceAll('\n', '\n' + ' '.repeat(i));
  }
  return r;
}
