// Route validation and the traffic-target rules Service shares (knative/serving pkg/apis/serving/v1/route_validation.go).

import { CURRENT_FIELD, FieldError } from './field-error.ts';
import {
  checkObject, validateNoAutoscalingAnnotations, validateObjectMeta, validateRolloutDuration, validateUserInfoUpdate,
  validateVisibilityLabel, verifyOwnerLabel,
} from './metadata-validation.ts';
import { isQualifiedName, notDNS1035Label } from './name-validation.ts';
import { checkShape, combine, KIND_DETAILS, num, str, via, type Errs, type Obj, type Shape } from './shape-check.ts';
import { LABEL, type Route } from './types.ts';
import type { ValidationContext } from './validation.ts';

const TRAFFIC_TARGET: Shape = {
  allowed: {
    tag: 'string', revisionName: 'string', configurationName: 'string', latestRevision: 'bool', percent: 'int64', url: 'string',
  },
};

/** How a traffic list is read. */
export interface TrafficOpts {
  /** Inside a Service the configuration is implied and configurationName is refused. */
  defaultConfigurationName: boolean;
}

/** TrafficTarget.Validate. */
function validateTrafficTarget(t: Obj, opts: TrafficOpts): FieldError | null {
  const errs: Errs = [];
  const revisionName = str(t.revisionName);
  const configurationName = str(t.configurationName);
  if (typeof t.latestRevision === 'boolean' && (revisionName !== '') === t.latestRevision) {
    errs.push(FieldError.generic(`may not set revisionName ${JSON.stringify(revisionName)} when latestRevision is ${t.latestRevision}`, 'latestRevision'));
  }
  if (opts.defaultConfigurationName && configurationName !== '') {
    errs.push(FieldError.disallowed('configurationName'));
  } else if (revisionName !== '' && configurationName !== '') {
    errs.push(FieldError.oneOfBoth('revisionName', 'configurationName'));
  } else if (revisionName !== '') {
    const el = isQualifiedName(revisionName);
    if (el.length > 0) errs.push(FieldError.invalidKey(revisionName, 'revisionName', ...el));
  } else if (configurationName !== '') {
    const el = isQualifiedName(configurationName);
    if (el.length > 0) errs.push(FieldError.invalidKey(configurationName, 'configurationName', ...el));
  } else if (!opts.defaultConfigurationName) {
    errs.push(FieldError.oneOfNone('revisionName', 'configurationName'));
  }
  if (typeof t.percent === 'number' && (t.percent < 0 || t.percent > 100)) {
    errs.push(FieldError.outOfBounds(t.percent, 0, 100, 'percent'));
  }
  if (str(t.url) !== '') errs.push(FieldError.disallowed('url'));
  return combine(errs);
}

/** RouteSpec validateTrafficList; paths relative to `traffic`. */
export function validateTrafficList(raw: unknown, opts: TrafficOpts): FieldError | null {
  if (raw !== undefined && raw !== null && !Array.isArray(raw)) return FieldError.invalidValue(raw, CURRENT_FIELD, KIND_DETAILS.array);
  const list = Array.isArray(raw) ? raw : [];
  const errs: Errs = [];
  const tags = new Map<string, number>();
  let sum = 0;
  list.forEach((entry, i) => {
    const c = checkShape(entry, TRAFFIC_TARGET);
    errs.push(c.errs?.viaIndex(i), validateTrafficTarget(c.v, opts)?.viaIndex(i));
    sum += num(c.v.percent);
    const tag = str(c.v.tag);
    if (tag === '') return;
    const badTag = notDNS1035Label(tag, false);
    if (badTag) errs.push(FieldError.invalidArrayValue(badTag, 'tag', i));
    const seen = tags.get(tag);
    if (seen !== undefined) errs.push(new FieldError(`Multiple definitions for ${JSON.stringify(tag)}`, [`[${i}].tag`, `[${seen}].tag`]));
    else tags.set(tag, i);
  });
  if (sum !== 100) errs.push(new FieldError(`Traffic targets sum to ${sum}, want 100`, [CURRENT_FIELD]));
  return combine(errs);
}

/** Validates a Route (create/update). */
export function validateRoute(obj: unknown, ctx: ValidationContext<Route>): FieldError | null {
  const o = checkObject(obj, 'Route');
  const { top, meta } = o;
  if (!top) return o.errs;
  const errs: Errs = [o.errs, validateObjectMeta(o,
    via(validateNoAutoscalingAnnotations(meta.annotations), 'annotations'),
    via(combine([validateVisibilityLabel(meta.labels), verifyOwnerLabel(meta, LABEL.service, 'Service')]), 'labels'),
    via(validateRolloutDuration(meta.annotations), 'annotations'))];
  const spec = checkShape(top.spec, { allowed: { traffic: 'array' } });
  errs.push(via(combine([spec.errs, via(validateTrafficList(spec.v.traffic, { defaultConfigurationName: false }), 'traffic')]), 'spec'));
  if (ctx.op === 'update' && ctx.old && meta.ownerReferences.length === 0) errs.push(validateUserInfoUpdate(ctx.old, top, meta));
  return combine(errs);
}
