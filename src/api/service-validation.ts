// Service validation (knative/serving pkg/apis/serving/v1/service_validation.go).

import type { FieldError } from './field-error.ts';
import {
  checkMeta, checkTypeMeta, validateNames, validateNoAutoscalingAnnotations, validateRolloutDuration, validateUserInfoUpdate,
  validateVisibilityLabel,
} from './metadata-validation.ts';
import { validateRevisionTemplate, verifyTemplateNameChange } from './revision-validation.ts';
import { validateTrafficList } from './route-validation.ts';
import { checkShape, combine, via, type Errs } from './shape-check.ts';
import type { Service } from './types.ts';
import type { ValidationContext } from './validation.ts';

/** Validates a Service (create/update). Returns Error and Warning diagnostics, or null. */
export function validateService(obj: unknown, ctx: ValidationContext<Service>): FieldError | null {
  const { errs: typeErrs, top } = checkTypeMeta(obj, 'Service');
  if (!top) return typeErrs;
  const errs: Errs = [typeErrs];
  const m = checkMeta(top.metadata);
  if (!ctx.statusUpdate) {
    errs.push(via(combine([
      m.errs,
      validateNames(m.meta),
      via(validateNoAutoscalingAnnotations(m.meta.annotations), 'annotations'),
      via(validateVisibilityLabel(m.meta.labels), 'labels'),
      via(validateRolloutDuration(m.meta.annotations), 'annotations'),
    ]), 'metadata'));
    const spec = checkShape(top.spec, { allowed: { template: 'object', traffic: 'array' } });
    errs.push(via(combine([
      spec.errs,
      via(validateRevisionTemplate(spec.v.template, ctx, m.meta), 'template'),
      via(validateTrafficList(spec.v.traffic, { defaultConfigurationName: true }), 'traffic'),
    ]), 'spec'));
  }
  if (ctx.op === 'update' && ctx.old) errs.push(validateUserInfoUpdate(ctx.old, top, m.meta), verifyTemplateNameChange(ctx.old, top));
  return combine(errs);
}

