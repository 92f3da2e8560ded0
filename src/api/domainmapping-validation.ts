// DomainMapping validation (knative/serving pkg/apis/serving/v1beta1/domainmapping_validation.go, with knative/pkg
// apis/duck/v1 knative_reference.go KReference.Validate for spec.ref).

import type { ServingConfig } from './config.ts';
import type { DomainMapping } from './domainmapping-lifecycle.ts';
import { FieldError } from './field-error.ts';
import { checkMeta, validateUserInfoUpdate } from './metadata-validation.ts';
import { isDNS1123Label, isDNS1123Subdomain } from './name-validation.ts';
import { checkShape, combine, isObj, str, via, type Errs, type Shape } from './shape-check.ts';
import type { ValidationContext } from './validation.ts';

const SPEC: Shape = { allowed: { ref: 'object', tls: 'object' } };
const REF: Shape = { allowed: { kind: 'string', namespace: 'string', name: 'string', apiVersion: 'string', group: 'string', address: 'string' } };
const TLS: Shape = { allowed: { secretName: 'string' } };

/**
 * k8s.io/apimachinery pkg/util/validation IsFullyQualifiedDomainName, rendered as its ErrorList's
 * ToAggregate: `name: Invalid value: "foo": should be a domain with at least two segments separated by dots`.
 */
export function fqdnError(name: string): string | null {
  if (name === '') return 'name: Required value';
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  const invalid = (value: string, detail: string): string => `name: Invalid value: ${JSON.stringify(value)}: ${detail}`;
  const sub = isDNS1123Subdomain(n);
  if (sub.length > 0) return invalid(n, sub.join(','));
  const labels = n.split('.');
  if (labels.length < 2) return invalid(n, 'should be a domain with at least two segments separated by dots');
  for (const label of labels) {
    const errs = isDNS1123Label(label);
    if (errs.length > 0) return invalid(label, errs.join(','));
  }
  return null;
}

/** KReference.Validate (group references not allowed, as DomainMapping does not opt in), paths relative to the ref. */
function validateRef(raw: unknown, parentNamespace: string): FieldError | null {
  const c = checkShape(raw, REF);
  const r = c.v;
  const errs: Errs = [c.errs];
  if (str(r.name) === '') errs.push(FieldError.missing('name'));
  if (str(r.group) !== '') errs.push(FieldError.disallowed('group'));
  if (str(r.apiVersion) === '') errs.push(FieldError.missing('apiVersion'));
  if (str(r.kind) === '') errs.push(FieldError.missing('kind'));
  const ns = str(r.namespace);
  if (ns !== '' && parentNamespace !== '' && ns !== parentNamespace) {
    errs.push(new FieldError('mismatched namespaces', ['namespace'], `parent namespace: ${JSON.stringify(parentNamespace)} does not match ref: ${JSON.stringify(ns)}`));
  }
  return combine(errs);
}

/** DomainMapping.Validate over the raw object; `config` gives the cluster-local domain. */
export function validateDomainMapping(obj: unknown, ctx: ValidationContext<DomainMapping>): FieldError | null {
  if (!isObj(obj)) return FieldError.invalidValue(obj, '', 'expected a DomainMapping object');
  const m = checkMeta(obj.metadata);
  const metaErrs: Errs = [m.errs];
  if (m.meta.generateName !== '') metaErrs.push(FieldError.disallowed('generateName'));
  const name = m.meta.name;
  const bad = fqdnError(name);
  if (bad) metaErrs.push(FieldError.generic(`invalid name ${JSON.stringify(name)}: ${bad}`, 'name'));
  const clusterDomain = clusterDomainOf(ctx.config);
  if (name.endsWith(`.${clusterDomain}`)) {
    metaErrs.push(FieldError.generic(`invalid name ${JSON.stringify(name)}: must not be a subdomain of cluster local domain ${JSON.stringify(clusterDomain)}`, 'name'));
  }
  const errs: Errs = [via(combine(metaErrs), 'metadata')];
  if (ctx.op === 'update' && ctx.old) errs.push(validateUserInfoUpdate(ctx.old, obj, m.meta));
  const spec = checkShape(obj.spec, SPEC);
  const specErrs: Errs = [spec.errs];
  const namespace = isObj(obj.metadata) ? str(obj.metadata.namespace) : '';
  specErrs.push(via(validateRef(spec.v.ref, namespace), 'ref'));
  if (spec.v.tls !== undefined) {
    const tls = checkShape(spec.v.tls, TLS);
    specErrs.push(via(tls.errs, 'tls'));
    if (!tls.errs && str(tls.v.secretName) === '') specErrs.push(FieldError.missing('tls.secretName'));
    if (!ctx.config.network.gatewayHttps) {
      // Without `knit serve --https` no listener could present the certificate: refused, not stored and ignored.
      const refused = FieldError.disallowed('tls');
      refused.details = 'knit serve runs without --https, so the gateway cannot serve this mapping over TLS';
      specErrs.push(refused);
    }
  }
  errs.push(via(combine(specErrs), 'spec'));
  return combine(errs);
}

function clusterDomainOf(config: ServingConfig): string {
  return config.network.clusterDomain;
}
