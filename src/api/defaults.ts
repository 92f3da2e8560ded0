// Knative's mutating webhook (knative/serving pkg/apis/serving/v1/*_defaults.go SetDefaults): the context
// every kind's defaulting receives, and the dispatch by kind. The defaults live in the per-kind files.

import type { ServingConfig } from './config.ts';
import { defaultConfiguration } from './configuration-defaults.ts';
import { defaultRevision } from './revision-defaults.ts';
import { defaultRoute } from './route-defaults.ts';
import { defaultService } from './service-defaults.ts';
import type { Configuration, Revision, Route, Service } from './types.ts';

/** What defaulting needs to know about the request. `old` is the stored object on update. */
export interface DefaultingContext<T> {
  config: ServingConfig;
  /** The requesting user; recorded in creator/lastModifier annotations (skipped when empty). */
  user: string;
  op: 'create' | 'update';
  old?: T;
}

/** Dispatches on `kind`; objects of other kinds are returned untouched. */
export function defaultObject<T extends { kind?: unknown }>(obj: T, ctx: DefaultingContext<T>): T {
  const c = ctx as DefaultingContext<never>;
  switch (obj?.kind) {
    case 'Service': return defaultService(obj as unknown as Service, c) as unknown as T;
    case 'Configuration': return defaultConfiguration(obj as unknown as Configuration, c) as unknown as T;
    case 'Revision': return defaultRevision(obj as unknown as Revision, c) as unknown as T;
    case 'Route': return defaultRoute(obj as unknown as Route, c) as unknown as T;
    default: return obj;
  }
}
