// Configuration validation (knative/serving pkg/apis/serving/v1/configuration_validation.go).

import type { FieldError } from './field-error.ts';
import {
  checkMeta, checkTypeMeta, validateNames, validateNoAutoscalingAnnotations, validateUserInfoUpdate, verifyLabelOwnerRef,
} from './metadata-validation.ts';
import { validateRevisionTemplate, verifyTemplateNameChange } from './revision-validation.ts';
import { checkShape, combine, via, type Errs } from './shape-check.ts';
import { LABEL, type Configuration } from './types.ts';
import type { ValidationContext } from './validation.ts';

/** Validates a Configuration (create/update). */
export function validateConfiguration(obj: unknown, ctx: ValidationContext<Configuration>): FieldError | null {
  const { errs: typeErrs, top } = checkTypeMeta(obj, 'Configuration');
  if (!top) return typeErrs;
  const errs: Errs = [typeErrs];
  const m = checkMeta(top.metadata);
  if (!ctx.statusUpdate) {
    const service = m.meta.labels[LABEL.service];
    errs.push(via(combine([
      m.errs,
      validateNames(m.meta),
      via(service === undefined ? null : verifyLabelOwnerRef(service, LABEL.service, 'Service', m.meta.ownerReferences), 'labels'),
      via(validateNoAutoscalingAnnotations(m.meta.annotations), 'annotations'),
    ]), 'metadata'));
    const spec = checkShape(top.spec, { allowed: { template: 'object' } });
    errs.push(via(combine([spec.errs, via(validateRevisionTemplate(spec.v.template, ctx, m.meta), 'template')]), 'spec'));
  }
  if (ctx.op === 'update' && ctx.old) {
    if (m.meta.ownerReferences.length === 0) errs.push(validateUserInfoUpdate(ctx.old, top, m.meta));
    errs.push(verifyTemplateNameChange(ctx.old, top));
  }
  return combine(errs);
}

