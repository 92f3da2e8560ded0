// Revision and RevisionTemplateSpec validation (knative/serving pkg/apis/serving/v1/revision_validation.go):
// template metadata and names, the RevisionSpec knobs, and immutability on update.

import { CURRENT_FIELD, FieldError } from './field-error.ts';
import { getAnnotation, validateAutoscalingAnnotations } from './autoscaling-annotations.ts';
import { parseGoFloat, parseQuantity, QUANTITY_ERROR } from './go-values.ts';
import {
  checkMeta, checkObject, validateObjectMeta, validateSecondsAnnotation, verifyOwnerLabel, type Meta,
} from './metadata-validation.ts';
import { notDNS1035Label } from './name-validation.ts';
import { validatePodSpec } from './podspec-validation.ts';
import { shortDiff } from './semantic-diff.ts';
import { checkShape, combine, isObj, via, type Errs, type FieldKind, type Obj, type Shape } from './shape-check.ts';
import { ANNOTATION, LABEL, type Revision } from './types.ts';
import type { ValidationContext } from './validation.ts';

const REVISION_TEMPLATE: Shape = { allowed: { metadata: 'object', spec: 'object' } };

const ALLOWED_NETWORKING_ANNOTATIONS = new Set([
  'ingress.class', 'ingress-class', 'certificate.class', 'certificate-class', 'disableAutoTLS', 'disable-auto-tls',
  'disable-external-domain-tls', 'httpOption', 'http-protocol',
].map((k) => `networking.knative.dev/${k}`));

const QUEUE_SIDECAR = 'queue.sidecar.serving.knative.dev/';
const QUEUE_RESOURCE_ANNOTATIONS = ['cpu', 'memory', 'ephemeral-storage']
  .flatMap((r) => [`${QUEUE_SIDECAR}${r}-resource-request`, `${QUEUE_SIDECAR}${r}-resource-limit`]);
const QUEUE_PERCENTAGE = [`${QUEUE_SIDECAR}resource-percentage`, `${QUEUE_SIDECAR}resourcePercentage`];

/** Non-autoscaling annotation rules on a revision template; paths relative to the annotations map. */
function validateTemplateAnnotations(annotations: Record<string, string>): FieldError | null {
  const errs: Errs = [];
  for (const key of Object.keys(annotations)) {
    if (key.startsWith('networking.knative.dev/') && !ALLOWED_NETWORKING_ANNOTATIONS.has(key)) {
      errs.push(FieldError.invalidKey(key, CURRENT_FIELD));
    }
  }
  errs.push(validateSecondsAnnotation(annotations, [ANNOTATION.progressDeadline], 'progress-deadline'));
  for (const key of QUEUE_RESOURCE_ANNOTATIONS) {
    const v = annotations[key];
    if (v !== undefined && parseQuantity(v) === null) errs.push(FieldError.invalidValue(v, key, QUANTITY_ERROR));
  }
  const pct = getAnnotation(annotations, QUEUE_PERCENTAGE);
  if (pct) {
    errs.push(new FieldError(
      `${pct.key} is deprecated, use the ${QUEUE_SIDECAR}<resource>-resource-{request,limit} annotations instead`,
      [pct.key], '', 'Warning'));
    const v = parseGoFloat(pct.value);
    if (v === null) errs.push(FieldError.invalidValue(pct.value, CURRENT_FIELD).viaKey(pct.key));
    else if (!(v >= 0.1 && v <= 100)) errs.push(FieldError.outOfBounds(v, 0.1, 100, CURRENT_FIELD).viaKey(pct.key));
  }
  return combine(errs);
}

/** RevisionTemplateSpec validateRevisionName: template name/generateName, BYO name must be prefixed by the parent's name. */
function validateRevisionName(name: string, generateName: string, parent: Meta): FieldError | null {
  const badPrefix = generateName === '' ? null : notDNS1035Label(generateName, true);
  if (badPrefix) return FieldError.invalidValue(badPrefix, 'metadata.generateName');
  if (name !== '') {
    const badName = notDNS1035Label(name, false);
    if (badName) return FieldError.invalidValue(badName, 'metadata.name');
    // Bringing your own name is refused while the parent itself still relies on generateName.
    if (parent.name === '' && parent.generateName !== '') return FieldError.disallowed('metadata.name');
    const prefix = `${parent.name}-`;
    if (!name.startsWith(prefix)) return FieldError.invalidValue(`${JSON.stringify(name)} must have prefix ${JSON.stringify(prefix)}`, 'metadata.name');
  }
  return null;
}

/** RevisionTemplateSpec.Validate; paths relative to the template. */
export function validateRevisionTemplate(raw: unknown, ctx: ValidationContext<unknown>, parent: Meta): FieldError | null {
  const t = checkShape(raw, REVISION_TEMPLATE);
  const m = checkMeta(t.v.metadata);
  return combine([
    t.errs,
    via(m.errs, 'metadata'),
    via(validateRevisionSpec(t.v.spec, ctx), 'spec'),
    via(validateAutoscalingAnnotations(m.meta.annotations, ctx.config, ctx.op), 'metadata.annotations'),
    validateRevisionName(m.meta.name, m.meta.generateName, parent),
    via(validateTemplateAnnotations(m.meta.annotations), 'metadata.annotations'),
  ]);
}

/** VerifyNameChange: with an unchanged BYO name, nothing else in the template may change. */
function verifyNameChange(next: unknown, prev: unknown): FieldError | null {
  const nextName = isObj(next) && isObj(next.metadata) ? next.metadata.name : undefined;
  const prevName = isObj(prev) && isObj(prev.metadata) ? prev.metadata.name : undefined;
  if (typeof nextName !== 'string' || nextName === '' || nextName !== prevName) return null;
  const diff = shortDiff(prev, next);
  return diff === '' ? null : new FieldError('Saw the following changes without a name change (-old +new)', ['metadata.name'], diff);
}

/** VerifyNameChange between a stored parent's spec.template and the new one; paths under spec.template. */
export function verifyTemplateNameChange(old: { spec?: { template?: unknown } }, top: Obj): FieldError | null {
  const newSpec = isObj(top.spec) ? top.spec : {};
  return via(verifyNameChange(newSpec.template, old.spec?.template), 'spec.template');
}

/** RevisionSpec's own fields, which sit inline beside the PodSpec's. */
const REVISION_SPEC_FIELDS: Readonly<Record<string, FieldKind>> = {
  containerConcurrency: 'int64', timeoutSeconds: 'int64', responseStartTimeoutSeconds: 'int64', idleTimeoutSeconds: 'int64',
};

/** RevisionSpec.Validate: the PodSpec rules, then timeoutSeconds and containerConcurrency; paths relative to the RevisionSpec. */
function validateRevisionSpec(raw: unknown, ctx: ValidationContext<unknown>): FieldError | null {
  const { config } = ctx;
  const pod = validatePodSpec(raw, config, REVISION_SPEC_FIELDS);
  const errs: Errs = [pod.errs];
  const ps = pod.v;
  if (typeof ps.timeoutSeconds === 'number' && ps.timeoutSeconds !== 0) {
    const max = config.defaults.maxRevisionTimeoutSeconds;
    if (ps.timeoutSeconds < 0 || ps.timeoutSeconds > max) errs.push(FieldError.outOfBounds(ps.timeoutSeconds, 0, max, 'timeoutSeconds'));
  }
  if (typeof ps.containerConcurrency === 'number') {
    const lo = config.defaults.allowContainerConcurrencyZero ? 0 : 1;
    const hi = config.defaults.containerConcurrencyMaxLimit;
    if (ps.containerConcurrency < lo || ps.containerConcurrency > hi) {
      errs.push(FieldError.outOfBounds(ps.containerConcurrency, lo, hi, CURRENT_FIELD).viaField('containerConcurrency'));
    }
  }
  return combine(errs);
}

/** Validates a Revision; on update only the (immutable) spec is compared. */
export function validateRevision(obj: unknown, ctx: ValidationContext<Revision>): FieldError | null {
  const o = checkObject(obj, 'Revision');
  const { top, meta } = o;
  if (!top) return o.errs;
  const errs: Errs = [o.errs, validateObjectMeta(o,
    via(validateAutoscalingAnnotations(meta.annotations, ctx.config, ctx.op), 'annotations'),
    via(verifyOwnerLabel(meta, LABEL.configuration, 'Configuration'), 'labels'))];
  if (ctx.op === 'update' && ctx.old) {
    const diff = shortDiff(ctx.old.spec, top.spec);
    if (diff !== '') return new FieldError('Immutable fields changed (-old +new)', ['spec'], diff);
  } else {
    errs.push(via(validateRevisionSpec(top.spec, ctx), 'spec'));
  }
  return combine(errs);
}

