// Service defaults (knative/serving pkg/apis/serving/v1/service_defaults.go).

import { defaultConfigurationSpec } from './configuration-defaults.ts';
import type { DefaultingContext } from './defaults.ts';
import { metaOf, objAt, setUserInfo, unset } from './metadata-defaults.ts';
import { defaultTrafficList } from './route-defaults.ts';
import { isObj, type Obj } from './shape-check.ts';
import type { Service } from './types.ts';

/** SetDefaults for a Service: template, traffic and creator/lastModifier. Mutates and returns `svc`. */
export function defaultService(svc: Service, ctx: DefaultingContext<Service>): Service {
  if (!isObj(svc)) return svc;
  const spec = objAt(svc as unknown as Obj, 'spec');
  if (spec) {
    defaultConfigurationSpec(spec, ctx, metaOf(svc));
    if (unset(spec.traffic) || (Array.isArray(spec.traffic) && spec.traffic.length === 0)) {
      spec.traffic = [{ percent: 100, latestRevision: true }];
    }
    defaultTrafficList(spec.traffic);
  }
  setUserInfo(svc as unknown as Obj, ctx, ctx.old?.spec);
  return svc;
}
