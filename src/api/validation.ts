// Knative's validating webhook over raw JSON (knative/serving pkg/apis/serving/v1/*_validation.go): the
// context every kind's validation receives, and the dispatch by kind. The rules live in the per-kind files.

import { FieldError } from './field-error.ts';
import type { ServingConfig } from './config.ts';
import { validateConfiguration } from './configuration-validation.ts';
import { validateRevision } from './revision-validation.ts';
import { validateRoute } from './route-validation.ts';
import { validateService } from './service-validation.ts';
import { isObj } from './shape-check.ts';
import type { Configuration, Revision, Route, Service } from './types.ts';

/** What validation needs to know about the request. `old` is the stored object on update. */
export interface ValidationContext<T> {
  config: ServingConfig;
  op: 'create' | 'update';
  old?: T;
  /** A status-subresource update: Service/Configuration metadata and spec are not re-validated. */
  statusUpdate?: boolean;
}

/** Dispatches on `kind`; an unknown kind is an error at `kind`. */
export function validateObject(obj: unknown, ctx: ValidationContext<Service | Configuration | Revision | Route>): FieldError | null {
  const kind = isObj(obj) ? obj.kind : undefined;
  switch (kind) {
    case 'Service': return validateService(obj, ctx as ValidationContext<Service>);
    case 'Configuration': return validateConfiguration(obj, ctx as ValidationContext<Configuration>);
    case 'Revision': return validateRevision(obj, ctx as ValidationContext<Revision>);
    case 'Route': return validateRoute(obj, ctx as ValidationContext<Route>);
    default:
      if (kind === undefined || kind === null || kind === '') return FieldError.missing('kind');
      return FieldError.invalidValue(kind, 'kind', 'expected one of Service, Configuration, Revision, Route');
  }
}
