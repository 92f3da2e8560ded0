// DomainMapping defaults (knative/serving pkg/apis/serving/v1beta1/domainmapping_defaults.go SetDefaults).

import type { DefaultingContext } from './defaults.ts';
import type { DomainMapping } from './domainmapping-lifecycle.ts';
import { metaOf, objAt, setUserInfo } from './metadata-defaults.ts';
import { isObj, type Obj } from './shape-check.ts';

/** SetDefaults: spec.ref.namespace ← the mapping's namespace (KReference.SetDefaults), then the creator/lastModifier annotations. */
export function defaultDomainMapping(dm: DomainMapping, ctx: DefaultingContext<DomainMapping>): DomainMapping {
  if (!isObj(dm)) return dm;
  const spec = objAt(dm as unknown as Obj, 'spec');
  const ref = spec ? objAt(spec, 'ref') : null;
  if (ref && (ref.namespace === undefined || ref.namespace === null || ref.namespace === '')) ref.namespace = metaOf(dm).namespace ?? '';
  setUserInfo(dm as unknown as Obj, ctx, ctx.old?.spec);
  return dm;
}
