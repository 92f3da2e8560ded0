// Route hosts: URLs from the domain and tag templates, and the host rules a route programs
// (knative/serving pkg/reconciler/route/domains/domains.go, resources/ingress.go MakeIngressSpec).

import { renderDomainTemplate, renderTagTemplate } from '../../api/config.ts';
import { LABEL, type Route } from '../../api/types.ts';
import type { HostRule, HostTarget } from '../../dataplane/routing.ts';
import type { ControllerSettings } from '../context.ts';

/** The host label of a target: the route name, or the tag template (`{{.Tag}}-{{.Name}}`). */
function hostName(settings: ControllerSettings, route: Route, tag: string): string {
  const name = route.metadata.name ?? '';
  if (!tag) return name;
  return renderTagTemplate(settings.tagTemplate, { Name: name, Tag: tag });
}

/** The external host of a target: the domain template (`{{.Name}}.{{.Namespace}}.{{.Domain}}`). */
export function externalHost(settings: ControllerSettings, route: Route, tag: string): string {
  return renderDomainTemplate(settings.domainTemplate, {
    Name: hostName(settings, route, tag),
    Namespace: route.metadata.namespace ?? 'default',
    Domain: settings.domain,
    Annotations: route.metadata.annotations ?? {},
    Labels: route.metadata.labels ?? {},
  });
}

/** `networking.knative.dev/visibility: cluster-local`. */
export function isClusterLocal(route: Route): boolean {
  return route.metadata.labels?.[LABEL.visibility] === 'cluster-local';
}

/** The URL of the route (tag "") or of one of its tags. */
export function urlFor(settings: ControllerSettings, route: Route, tag: string): string {
  const ns = route.metadata.namespace;
  return isClusterLocal(route) ? `http://${hostName(settings, route, tag)}.${ns}.svc.${settings.clusterDomain}` : `http://${externalHost(settings, route, tag)}`;
}

/** The cluster-local address of the route. */
export function addressFor(settings: ControllerSettings, route: Route): string {
  return `http://${route.metadata.name}.${route.metadata.namespace}.svc.${settings.clusterDomain}`;
}

/** Host rules per tag group: three cluster-local names, and the external one unless cluster-local. */
export function hostRules(settings: ControllerSettings, route: Route, groups: Map<string, HostTarget[]>): HostRule[] {
  const ns = route.metadata.namespace;
  const rules: HostRule[] = [];
  let tagTargets: Record<string, HostTarget[]> | undefined;
  if (settings.tagHeaderBasedRouting) {
    tagTargets = {};
    for (const [tag, targets] of groups) if (tag) tagTargets[tag] = targets;
  }
  for (const [tag, targets] of groups) {
    const name = hostName(settings, route, tag);
    const extra = tag === '' && tagTargets ? { tagTargets } : {};
    for (const h of [`${name}.${ns}`, `${name}.${ns}.svc`, `${name}.${ns}.svc.${settings.clusterDomain}`]) {
      rules.push({ host: h, visibility: 'cluster-local', targets, ...extra });
    }
    if (!isClusterLocal(route)) rules.push({ host: externalHost(settings, route, tag), visibility: 'external', targets, ...extra });
  }
  return rules;
}

/** The first target host that is not a valid DNS name (or the template error), if any. */
export function invalidHost(settings: ControllerSettings, route: Route): string | undefined {
  for (const t of route.spec.traffic ?? []) {
    let host: string;
    try {
      host = externalHost(settings, route, t.tag ?? '');
    } catch (err) {
      return `${(err as Error).message}`;
    }
    if (host.split('.').some((label) => label.length === 0 || label.length > 63)) return host;
  }
  return undefined;
}
