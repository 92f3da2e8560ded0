// kn's pod-spec flags beyond the container's own: --service-account, --pull-secret, --security-context,
// --node-selector, --toleration, --node-affinity (knative/client pkg/flags/podspec_helper.go), and --profile
// (pkg/commands/service/configuration_edit_flags.go Apply).

import type { RevisionSpec as PodSpec, RevisionTemplateSpec, SecurityContext, Service } from '../api/types.ts';
import { CliError } from './errors.ts';
import type { ParsedFlags } from './flags.ts';
import type { Profile } from './kn-config.ts';

type Obj = Record<string, unknown>;

/** kn's util.MapFromArray / MapFromArrayAllowingSingles with its error texts. */
export function mapFromArray(arr: readonly string[], allowSingles: boolean): Map<string, string> {
  const m = new Map<string, string>();
  for (const pair of arr) {
    const i = pair.indexOf('=');
    if (i < 0) {
      if (!allowSingles) throw new CliError(`Argument requires a value that contains the "=" character as delimiter; got ${JSON.stringify(pair)}`);
      m.set(pair, '');
      continue;
    }
    const key = pair.slice(0, i);
    if (key === '') throw new CliError('The key is empty');
    if (m.has(key)) throw new CliError(`The key ${JSON.stringify(key)} has been duplicate in [${arr.join(' ')}]`);
    m.set(key, pair.slice(i + 1));
  }
  return m;
}

function firstContainer(spec: PodSpec): NonNullable<PodSpec['containers']>[number] {
  spec.containers = spec.containers ?? [];
  if (spec.containers.length === 0) spec.containers.push({});
  return spec.containers[0];
}

/** podspec_helper.go DefaultStrictSecCon. */
export function strictSecurityContext(): SecurityContext {
  return { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };
}

function updateNodeSelector(spec: Obj, values: readonly string[]): void {
  const all = mapFromArray(values, true);
  const remove = [...all.keys()].filter((k) => k.endsWith('-'));
  for (const k of remove) all.delete(k);
  const selector: Record<string, string> = { ...((spec.nodeSelector as Record<string, string> | undefined) ?? {}) };
  for (const [k, v] of all) selector[k] = v;
  for (const k of remove) delete selector[k.slice(0, -1)];
  spec.nodeSelector = selector;
}

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const TOLERATION_OPERATORS = ['Exists', 'Equal'];

/** podspec_helper.go UpdateTolerations: all the key=value pairs of the flag make one toleration, appended. */
function updateTolerations(spec: Obj, values: readonly string[]): void {
  const toleration: Obj = {};
  for (const [k, v] of mapFromArray(values, false)) {
    switch (k.toLowerCase()) {
      // corev1.Toleration's fields are omitempty.
      case 'key': if (v !== '') toleration.key = v; break;
      case 'value': if (v !== '') toleration.value = v; break;
      case 'effect': if (TAINT_EFFECTS.includes(v)) toleration.effect = v; break;
      case 'operator': if (TOLERATION_OPERATORS.includes(v)) toleration.operator = v; break;
    }
  }
  spec.tolerations = [...((spec.tolerations as Obj[] | undefined) ?? []), toleration];
}

const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/**
 * podspec_helper.go UpdateNodeAffinity: one match expression; `Type=Required` adds it as an ORed node selector
 * term, `Type=Preferred` as a preferred scheduling term with its Weight.
 */
function updateNodeAffinity(spec: Obj, values: readonly string[]): void {
  const m = mapFromArray(values, false);
  let type = '';
  for (const [k, v] of m) {
    if (k.toLowerCase() !== 'type') continue;
    if (v !== 'Required' && v !== 'Preferred') throw new CliError('Invalid type defined for node affinity, Valid arguments: Required | Preferred');
    type = v;
  }
  if (type === '') throw new CliError('Invalid type defined for node affinity, Valid arguments: Required | Preferred');
  const expr: Obj = {};
  let weight = 0;
  for (const [k, v] of m) {
    switch (k.toLowerCase()) {
      case 'key': expr.key = v; break;
      case 'values': expr.values = v.split(' '); break;
      case 'operator': if (SELECTOR_OPERATORS.includes(v)) expr.operator = v; break;
      case 'weight': {
        if (!/^[+-]?\d+$/.test(v) || Math.abs(Number(v)) > 2147483647) throw new CliError(`error in setting preference weight in node affinity: strconv.ParseInt: parsing ${JSON.stringify(v)}: ${/^[+-]?\d+$/.test(v) ? 'value out of range' : 'invalid syntax'}`);
        weight = Number(v);
        break;
      }
    }
  }
  const affinity = (spec.affinity as Obj | undefined) ?? {};
  const nodeAffinity = (affinity.nodeAffinity as Obj | undefined) ?? {};
  if (type === 'Required') {
    const required = (nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution as { nodeSelectorTerms?: Obj[] } | undefined) ?? {};
    nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = { ...required, nodeSelectorTerms: [...(required.nodeSelectorTerms ?? []), { matchExpressions: [expr] }] };
  } else {
    const preferred = (nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution as Obj[] | undefined) ?? [];
    nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution = [...preferred, { weight, preference: { matchExpressions: [expr] } }];
  }
  spec.affinity = { ...affinity, nodeAffinity };
}

function prefixed(prefix: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof CliError) throw new CliError(`${prefix}: ${e.message}`);
    throw e;
  }
}

/**
 * The flags in kn's ResolvePodSpec order. The scheduling fields are written as kn writes them; Knative's
 * validation (and knit's) refuses them unless the matching `kubernetes.podspec-*` feature is enabled.
 */
export function applyPodSpecFlags(template: RevisionTemplateSpec, flags: ParsedFlags): void {
  const spec = template.spec;
  const loose = spec as unknown as Obj;
  if (flags.changed('service-account')) {
    const name = flags.string('service-account').trim();
    if (name === '') delete spec.serviceAccountName;
    else spec.serviceAccountName = name;
  }
  if (flags.changed('pull-secret')) {
    const name = flags.string('pull-secret').trim();
    if (name === '') delete spec.imagePullSecrets;
    else spec.imagePullSecrets = [{ name }];
  }
  if (flags.changed('security-context')) {
    const c = firstContainer(spec);
    const value = flags.string('security-context');
    switch (value.toLowerCase()) {
      case 'none':
        delete c.securityContext;
        break;
      case 'strict':
        c.securityContext = strictSecurityContext();
        break;
      default:
        throw new CliError(`invalid --security-context ${value}. Valid arguments: strict | none`);
    }
  }
  if (flags.changed('node-selector')) prefixed('Invalid --node-selector', () => updateNodeSelector(loose, flags.list('node-selector')));
  if (flags.changed('toleration')) prefixed('Invalid --toleration', () => updateTolerations(loose, flags.list('toleration')));
  if (flags.changed('node-affinity')) prefixed('Invalid --node-affinity', () => updateNodeAffinity(loose, flags.list('node-affinity')));
}

/**
 * `--profile NAME` adds the profile's annotations to the revision template and its labels to the Service;
 * `--profile NAME-` removes them. An unknown profile is kn's error.
 */
export function applyProfile(service: Service, template: RevisionTemplateSpec, value: string, profiles: Record<string, Profile>, validate: (annotations: Record<string, string>) => void): void {
  const remove = value.endsWith('-');
  const name = remove ? value.slice(0, -1) : value;
  const profile = Object.hasOwn(profiles, name) ? profiles[name] : undefined;
  if (!profile || (profile.annotations.length === 0 && profile.labels.length === 0)) throw new CliError(`profile ${name} doesn't exist`);
  template.metadata = template.metadata ?? {};
  const annotations = { ...(template.metadata.annotations ?? {}) };
  const labels = { ...(service.metadata.labels ?? {}) };
  if (remove) {
    for (const a of profile.annotations) delete annotations[a.name];
    for (const l of profile.labels) delete labels[l.name];
  } else {
    const add = Object.fromEntries(profile.annotations.map((a) => [a.name, a.value]));
    validate(add);
    Object.assign(annotations, add);
    for (const l of profile.labels) labels[l.name] = l.value;
  }
  if (Object.keys(annotations).length > 0) template.metadata.annotations = annotations;
  else delete template.metadata.annotations;
  if (Object.keys(labels).length > 0) service.metadata.labels = labels;
  else delete service.metadata.labels;
}
