// Service validation (knative/serving pkg/apis/serving/v1/service_validation.go).

import type { FieldError } from './field-error.ts';
import {
  checkObject, validateNoAutoscalingAnnotations, validateObjectMeta, validateRolloutDuration, validateUserInfoUpdate,
  validateVisibilityLabel,
} from './metadata-validation.ts';
import { validateRevisionTemplate, verifyTemplateNameChange } from './revision-validation.ts';
import { validateTrafficList } from './route-validation.ts';
import { checkShape, combine, via, type Errs } from './shape-check.ts';
import type { Service } from './types.ts';
import type { ValidationContext } from './validation.ts';

/** Validates a Service (create/update). Returns Error and Warning diagnostics, or null. */
export function validateService(obj: unknown, ctx: ValidationContext<Service>): FieldError | null {
  const o = checkObject(obj, 'Service');
  const { top, meta } = o;
  if (!top) return o.errs;
  const errs: Errs = [o.errs];
  if (!ctx.statusUpdate) {
    errs.push(validateObjectMeta(o,
      via(validateNoAutoscalingAnnotations(meta.annotations), 'annotations'),
      via(validateVisibilityLabel(meta.labels), 'labels'),
      via(validateRolloutDuration(meta.annotations), 'annotations')));
    const spec = checkShape(top.spec, { allowed: { template: 'object', traffic: 'array' } });
    errs.push(via(combine([
      spec.errs,
      via(validateRevisionTemplate(spec.v.template, ctx, meta), 'template'),
      via(validateTrafficList(spec.v.traffic, { defaultConfigurationName: true }), 'traffic'),
    ]), 'spec'));
  }
  if (ctx.op === 'update' && ctx.old) errs.push(validateUserInfoUpdate(ctx.old, top, meta), verifyTemplateNameChange(ctx.old, top));
  return combine(errs);
}
