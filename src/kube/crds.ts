// Knative Serving's CRDs (./schemas/*.yaml, Apache-2.0 data from knative/serving config/core/300-resources/), parsed once.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import type { Schema } from './core-schemas.ts';
import type { CrdColumn } from './printers.ts';

/** The parts of an apiextensions.k8s.io/v1 CustomResourceDefinition knit reads. */
export interface CrdDocument {
  spec: {
    group: string;
    names: { kind: string; listKind?: string; plural: string; singular: string; shortNames?: string[]; categories?: string[] };
    scope: 'Namespaced' | 'Cluster';
    versions: { name: string; served: boolean; subresources?: { status?: object; scale?: object }; additionalPrinterColumns?: CrdColumn[]; schema: { openAPIV3Schema: Schema } }[];
  };
}

const parsed = new Map<string, CrdDocument>();

/** The CRD in ./schemas/`file` (e.g. `service.yaml`). */
export function knativeCrd(file: string): CrdDocument {
  let crd = parsed.get(file);
  if (!crd) {
    crd = parseCached(fs.readFileSync(new URL(`./schemas/${file}`, import.meta.url), 'utf8')) as CrdDocument;
    parsed.set(file, crd);
  }
  return crd;
}

/**
 * Where parsed CRDs are kept between starts: beside the compile cache bin/knit keeps
 * (`${XDG_CACHE_HOME:-$HOME/.cache}/knit/`), a JSON file per YAML text, named by its SHA-256.
 */
function cacheDir(): string {
  return path.join(process.env.XDG_CACHE_HOME || path.join(process.env.HOME || os.homedir() || '/tmp', '.cache'), 'knit', 'crds');
}

/**
 * `text` parsed as YAML, from the cache when this very text was parsed before: parsing Knative's CRDs took
 * ~180 ms of every start of knit, reading their JSON takes a few. The cache is only an optimisation: any
 * failure to read or write it parses the YAML.
 */
export function parseCached(text: string, dir: string = cacheDir()): unknown {
  const file = path.join(dir, `${createHash('sha256').update(text).digest('hex')}.json`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    // not cached yet (or unreadable): parsed below
  }
  const doc: unknown = parse(text);
  try {
    fs.mkdirSync(dir, { recursive: true });
    // Written whole, then renamed: a concurrent start never reads half a file.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(doc));
    fs.renameSync(tmp, file);
  } catch {
    // a read-only home: parsed again next time
  }
  return doc;
}
