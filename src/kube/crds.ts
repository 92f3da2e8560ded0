// Knative Serving's CRDs (./schemas/*.yaml, Apache-2.0 data from knative/serving config/core/300-resources/), parsed once.

import { readFileSync } from 'node:fs';
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
    crd = parse(readFileSync(new URL(`./schemas/${file}`, import.meta.url), 'utf8')) as CrdDocument;
    parsed.set(file, crd);
  }
  return crd;
}
