// Reads `knit serve --config FILE`: Knative's ConfigMap keys grouped by map, in YAML.

import fs from 'node:fs';
import { parse } from 'yaml';
import { defaultServingConfig, mergeServingConfig, type ServingConfig } from './api/config.ts';

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
  try {
    return mergeServingConfig(base, doc ?? {});
  } catch (err) {
    throw new Error(`config file ${file}: ${(err as Error).message}`);
  }
}
