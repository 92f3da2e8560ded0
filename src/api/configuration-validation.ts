// Configuration validation (knative/serving pkg/apis/serving/v1/configuration_validation.go).

import type { FieldError } from './field-error.ts';
import {
  checkObject, validateNoAutoscalingAnnotations, validateObjectMeta, validateUserInfoUpdate, verifyOwnerLabel,
} from './metadata-validation.ts';
import { validateRevisionTemplate, verifyTemplateNameChange } from './revision-validation.ts';
import { checkShape, combine, via, type Errs } from './shape-check.ts';
import { LABEL, type Configuration } from './types.ts';
import type { ValidationContext } from './validation.ts';

/** Validates a Configuration (create/update). */
export function validateConfiguration(obj: unknown, ctx: ValidationContext<Configuration>): FieldError | null {
  const o = checkObject(obj, 'Configuration');
  const { top, meta } = o;
  if (!top) return o.errs;
  const errs: Errs = [o.errs];
  if (!ctx.statusUpdate) {
    errs.push(validateObjectMeta(o,
      via(verifyOwnerLabel(meta, LABEL.service, 'Service'), 'labels'),
      via(validateNoAutoscalingAnnotations(meta.annotations), 'annotations')));
    const spec = checkShape(top.spec, { allowed: { template: 'object' } });
    errs.push(via(combine([spec.errs, via(validateRevisionTemplate(spec.v.template, ctx, meta), 'template')]), 'spec'));
  }
  if (ctx.op === 'update' && ctx.old) {
    if (meta.ownerReferences.length === 0) errs.push(validateUserInfoUpdate(ctx.old, top, meta));
    errs.push(verifyTemplateNameChange(ctx.old, top));
  }
  return combine(errs);
}
