// Reads `knit serve --config FILE`: Knative's ConfigMap keys grouped by map, in YAML.

import fs from 'node:fs';
import { parse } from 'yaml';
import { defaultServingConfig, mergeServingConfig, type ServingConfig } from './api/config.ts';
import { DEFAULT_INSTANCE_LIMITS, type InstanceLimits } from './runtime/instances.ts';
import { parseObservability, type TracingConfig } from './tracing/config.ts';

/** knit's own settings (the `knit:` section), beside Knative's config maps. */
export interface KnitSettings {
  instances: InstanceLimits;
}

function knitSettings(raw: unknown, file: string): KnitSettings {
  const out: KnitSettings = { instances: { ...DEFAULT_INSTANCE_LIMITS } };
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`config file ${file}: knit: must be a map`);
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`config file ${file}: knit: ${k} must be a positive integer, was: ${String(v)}`);
    if (k === 'max-instances-per-revision') out.instances.perRevision = n;
    else if (k === 'max-instances') out.instances.total = n;
    else throw new Error(`config file ${file}: knit: unknown key "${k}"`);
  }
  return out;
}

/** Reads knit's own section of the config file (instance limits). */
export function loadKnitSettings(file: string | undefined): KnitSettings {
  if (!file) return knitSettings(undefined, '');
  const doc = parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown> | null;
  return knitSettings(doc?.knit, file);
}

/** The serving configuration: Knative's defaults, overridden by the optional YAML file. */
export function loadServingConfig(file: string | undefined): ServingConfig {
  const base = defaultServingConfig();
  if (!file) return base;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`config file ${file} is not valid YAML: ${(err as Error).message}`);
  }
  const { knit: _knit, observability: _observability, ...knative } = (doc ?? {}) as Record<string, unknown>;
  try {
    return mergeServingConfig(base, knative);
  } catch (err) {
    throw new Error(`config file ${file}: ${(err as Error).message}`);
  }
}

/** The `observability:` section (config-observability's tracing keys); tracing is off without it. */
export function loadTracingConfig(file: string | undefined): TracingConfig {
  if (!file) return parseObservability(undefined);
  const doc = parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown> | null;
  try {
    return parseObservability(doc?.observability);
  } catch (err) {
    throw new Error(`config file ${file}: ${(err as Error).message}`);
  }
}
