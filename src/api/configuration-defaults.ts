// Configuration defaults and the ConfigurationSpec defaults Service shares
// (knative/serving pkg/apis/serving/v1/configuration_defaults.go).

import type { DefaultingContext } from './defaults.ts';
import { hasOwners, metaOf, objAt, setUserInfo } from './metadata-defaults.ts';
import { defaultRevisionSpec } from './revision-defaults.ts';
import { isObj, type Obj } from './shape-check.ts';
import type { Configuration, ObjectMeta, RevisionSpec, RevisionTemplateSpec } from './types.ts';

/** SetDefaults for a Configuration; user annotations only when it has no owner. Mutates and returns `cfg`. */
export function defaultConfiguration(cfg: Configuration, ctx: DefaultingContext<Configuration>): Configuration {
  if (!isObj(cfg)) return cfg;
  const spec = objAt(cfg as unknown as Obj, 'spec');
  if (spec) defaultConfigurationSpec(spec, ctx, metaOf(cfg));
  if (!hasOwners(cfg)) setUserInfo(cfg as unknown as Obj, ctx, ctx.old?.spec);
  return cfg;
}

/**
 * ConfigurationSpec.SetDefaults. On update, a template that keeps its (non-empty) BYO name is left
 * alone: defaulting it would suggest changes that conflict with the name not changing.
 */
export function defaultConfigurationSpec(
  spec: Obj, ctx: DefaultingContext<{ spec?: { template?: RevisionTemplateSpec } }>, parent: ObjectMeta,
): void {
  const { config, op } = ctx;
  const oldTemplate = op === 'update' ? ctx.old?.spec?.template : undefined;
  const template = objAt(spec, 'template');
  if (!template) return;
  const name = isObj(template.metadata) ? template.metadata.name : undefined;
  if (oldTemplate && typeof name === 'string' && name !== '' && name === oldTemplate.metadata?.name) return;
  const rs = objAt(template, 'spec');
  if (rs) defaultRevisionSpec(rs as unknown as RevisionSpec, config, op, parent);
}
