// kn's configuration file (--config, default ~/.config/kn/config.yaml): plugins directory, profiles and the
// eventing mappings, read as knative/client pkg/config/config.go BootstrapConfig reads them.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { CliError } from './errors.ts';

/** A name/value pair of a profile (pkg/config/types.go NamedValue). */
export interface NamedValue {
  name: string;
  value: string;
}

/** Labels and annotations `--profile NAME` adds (pkg/config/types.go Profile). */
export interface Profile {
  annotations: NamedValue[];
  labels: NamedValue[];
}

/** `eventing.sink-mappings` entries (pkg/config/types.go SinkMapping). */
export interface SinkMapping {
  prefix: string;
  resource: string;
  group: string;
  version: string;
}

/** `eventing.channel-type-mappings` entries (pkg/config/types.go ChannelTypeMapping). */
export interface ChannelTypeMapping {
  alias: string;
  kind: string;
  group: string;
  version: string;
}

export interface KnConfig {
  /** The file read (or that would have been read). */
  configFile: string;
  pluginsDir: string;
  /** kn always looks plugins up in $PATH too. */
  lookupPluginsInPath: true;
  profiles: Record<string, Profile>;
  sinkMappings: SinkMapping[];
  channelTypeMappings: ChannelTypeMapping[];
}

/** pkg/config/config.go builtInProfiles. */
export function builtInProfiles(): Record<string, Profile> {
  return {
    istio: {
      annotations: [
        { name: 'sidecar.istio.io/rewriteAppHTTPProbers', value: 'true' },
        { name: 'serving.knative.openshift.io/enablePassthrough', value: 'true' },
      ],
      labels: [{ name: 'sidecar.istio.io/inject', value: 'true' }],
    },
  };
}

/**
 * pkg/config/config.go defaultConfigDirUnix: ~/.kn if it exists (deprecated, with a warning), else
 * $XDG_CONFIG_HOME/kn, else ~/.config/kn.
 */
export function defaultConfigDir(env: Record<string, string | undefined>, warn: (text: string) => void = () => {}): string {
  const home = env.HOME || os.homedir();
  const legacy = path.join(home, '.kn');
  if (fs.existsSync(legacy)) {
    warn(`WARNING: deprecated kn config directory '${legacy}' detected. Please move your configuration to '${path.join(home, '.config', 'kn')}'\n`);
    return legacy;
  }
  if (env.XDG_CONFIG_HOME) return path.join(env.XDG_CONFIG_HOME, 'kn');
  return path.join(home, '.config', 'kn');
}

/** homedir.Expand: a leading `~` is the home directory. */
function expandHome(p: string, env: Record<string, string | undefined>): string {
  if (p === '~' || p.startsWith('~/')) return path.join(env.HOME || os.homedir(), p.slice(1));
  return p;
}

type Doc = Record<string, unknown>;

function isMap(v: unknown): v is Doc {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** viper keys are case-insensitive: the value of `key` in a mapping, whatever its case. */
function lookup(doc: Doc, key: string): unknown {
  for (const [k, v] of Object.entries(doc)) if (k.toLowerCase() === key) return v;
  return undefined;
}

function str(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Error(`expected a string, got ${JSON.stringify(v)}`);
}

function records<T>(v: unknown, what: string, file: string, build: (m: Doc) => T): T[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw new CliError(`error while parsing ${what} in configuration file ${file}: expected a list`);
  return v.map((e) => {
    if (!isMap(e)) throw new CliError(`error while parsing ${what} in configuration file ${file}: expected a mapping, got ${JSON.stringify(e)}`);
    try {
      return build(e);
    } catch (err) {
      throw new CliError(`error while parsing ${what} in configuration file ${file}: ${(err as Error).message}`);
    }
  });
}

function namedValues(v: unknown): NamedValue[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw new Error('expected a list of name/value pairs');
  return v.map((e) => {
    if (!isMap(e)) throw new Error(`expected a name/value pair, got ${JSON.stringify(e)}`);
    return { name: str(lookup(e, 'name')), value: str(lookup(e, 'value')) };
  });
}

/**
 * Loads kn's configuration: `--config FILE`, else the default file. A missing file is an empty configuration
 * (kn writes a commented template there; knit writes nothing). `--plugins-dir` overrides `plugins.directory`
 * (legacy `plugins-dir`).
 */
export function loadKnConfig(opts: {
  configFlag?: string;
  pluginsDirFlag?: string;
  env: Record<string, string | undefined>;
  warn?: (text: string) => void;
}): KnConfig {
  const explicit = Boolean(opts.configFlag);
  const dir = explicit ? '' : defaultConfigDir(opts.env, opts.warn);
  const configFile = explicit ? opts.configFlag! : path.join(dir, 'config.yaml');
  let text: string | undefined;
  try {
    text = fs.readFileSync(configFile, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new CliError(`cannot stat configfile ${configFile}: ${(e as Error).message}`);
  }
  let doc: Doc = {};
  if (text !== undefined && text.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = parse(text);
    } catch (e) {
      throw new CliError(`While parsing config: ${(e as Error).message.split('\n')[0]} (${configFile})`);
    }
    if (parsed !== null && parsed !== undefined) {
      if (!isMap(parsed)) throw new CliError(`While parsing config: the configuration file ${configFile} is not a YAML mapping`);
      doc = parsed;
    }
  }

  const plugins = lookup(doc, 'plugins');
  const configured = isMap(plugins) ? lookup(plugins, 'directory') : undefined;
  const legacyDir = lookup(doc, 'plugins-dir');
  const defaultPlugins = path.join(explicit ? defaultConfigDir(opts.env) : dir, 'plugins');
  const pluginsDir = opts.pluginsDirFlag || str(configured) || str(legacyDir) || defaultPlugins;

  const eventing = lookup(doc, 'eventing');
  const sinkRaw = (isMap(eventing) ? lookup(eventing, 'sink-mappings') : undefined) ?? lookup(doc, 'sink');
  const sinkMappings = records(sinkRaw, 'sink mappings', configFile, (m) => ({
    prefix: str(lookup(m, 'prefix')), resource: str(lookup(m, 'resource')), group: str(lookup(m, 'group')), version: str(lookup(m, 'version')),
  }));
  const channelTypeMappings = records(isMap(eventing) ? lookup(eventing, 'channel-type-mappings') : undefined, 'channel type mappings', configFile, (m) => ({
    alias: str(lookup(m, 'alias')), kind: str(lookup(m, 'kind')), group: str(lookup(m, 'group')), version: str(lookup(m, 'version')),
  }));

  // pkg/config/config.go mergeProfilesWithBuiltInProfiles: a configured profile replaces a built-in one of its name.
  const profiles = builtInProfiles();
  const configuredProfiles = lookup(doc, 'profiles');
  if (configuredProfiles !== undefined && configuredProfiles !== null) {
    if (!isMap(configuredProfiles)) throw new CliError(`error while parsing profiles in configuration file ${configFile}: expected a mapping of profile names`);
    for (const [name, p] of Object.entries(configuredProfiles)) {
      if (p !== null && !isMap(p)) throw new CliError(`error while parsing profiles in configuration file ${configFile}: profile ${name} is not a mapping`);
      try {
        profiles[name] = { annotations: namedValues(p ? lookup(p, 'annotations') : undefined), labels: namedValues(p ? lookup(p, 'labels') : undefined) };
      } catch (e) {
        throw new CliError(`error while parsing profiles in configuration file ${configFile}: ${(e as Error).message}`);
      }
    }
  }

  return { configFile, pluginsDir: expandHome(pluginsDir, opts.env), lookupPluginsInPath: true, profiles, sinkMappings, channelTypeMappings };
}
