// The core/v1 Services a Knative install shows: per Route an ExternalName service to the cluster-local
// gateway, per Revision its public and private ClusterIP services, and the gateways themselves.

import { renderTagTemplate } from '../../api/config.ts';
import { LABEL, type Revision, type Route } from '../../api/types.ts';
import { servingContainer } from '../../controllers/revision.ts';
import { clusterIP } from './names.ts';
import { ownerRef, podAutoscalerAnnotations, QUEUE_PORTS, revisionLabels, type JsonObject, type Projected } from './workload.ts';

/** knative/serving pkg/networking/constants.go SKSLabelKey and ServiceTypeKey. */
const SKS_LABEL = 'networking.internal.knative.dev/serverlessservice';
const SERVICE_TYPE_LABEL = 'networking.internal.knative.dev/serviceType';
const H2C_APP_PROTOCOL = 'kubernetes.io/h2c';

/** A listener of knit's gateway, as the gateway Services report it. */
export interface GatewayAddress {
  /** The address clients dial (127.0.0.1 for a wildcard bind). */
  ip: string;
  port: number;
}

/** The external and cluster-local gateway listeners. */
export interface GatewayAddresses {
  external: GatewayAddress;
  local: GatewayAddress;
}

/** The ClusterIP fields; `ip` defaults to the stable unroutable address of the service (names.ts clusterIP). */
function clusterIPSpec(namespace: string, name: string, ip = clusterIP(namespace, name)): JsonObject {
  return { clusterIP: ip, clusterIPs: [ip], ipFamilies: [ip.includes(':') ? 'IPv6' : 'IPv4'], ipFamilyPolicy: 'SingleStack', internalTrafficPolicy: 'Cluster', sessionAffinity: 'None' };
}

/**
 * knative/serving pkg/reconciler/route/resources/service.go MakeK8sService for a route (and each of its
 * tags, named by the tag template): the ingress reports the cluster-local gateway as a domain, so the
 * service is an ExternalName one pointing at `kourier-internal.kourier-system.svc.<cluster domain>`.
 */
export function routeServices(route: Route, clusterDomain: string, tagTemplate: string): Projected[] {
  const name = route.metadata.name ?? '';
  const ns = route.metadata.namespace ?? 'default';
  const tags = [...new Set((route.spec.traffic ?? []).map((t) => t.tag).filter((t): t is string => !!t))];
  const hosts = [name, ...tags.map((tag) => renderTagTemplate(tagTemplate, { Name: name, Tag: tag }))];
  const labels: Record<string, string> = {};
  // makeServiceObjectMeta: the route's labels without visibility, plus serving.knative.dev/route.
  for (const [k, v] of Object.entries(route.metadata.labels ?? {})) if (k !== LABEL.visibility) labels[k] = v;
  labels[LABEL.route] = name;
  return hosts.map((host) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: host,
      namespace: ns,
      labels: { ...labels },
      ...(route.metadata.annotations ? { annotations: { ...route.metadata.annotations } } : {}),
      ownerReferences: [ownerRef(route.apiVersion, 'Route', route.metadata)],
    },
    spec: {
      type: 'ExternalName',
      externalName: `kourier-internal.kourier-system.svc.${clusterDomain}`,
      sessionAffinity: 'None',
      ports: [{ name: 'http2', protocol: 'TCP', appProtocol: H2C_APP_PROTOCOL, port: 80, targetPort: 80 }],
    },
    status: { loadBalancer: {} },
  }));
}

/**
 * The revision's public and private services (knative/serving pkg/reconciler/serverlessservice/resources/
 * services.go MakePublicService and MakePrivateService): port 80 to the queue-proxy's 8012 (8013 for
 * h2c), 443 to 8112, and on the private one the metrics ports. On a cluster the ServerlessService owns
 * them; knit has no ServerlessService, so the Revision does.
 */
export function revisionServices(rev: Revision): Projected[] {
  const name = rev.metadata.name ?? '';
  const ns = rev.metadata.namespace ?? 'default';
  const h2c = servingContainer(rev).ports?.[0]?.name === 'h2c';
  const portName = h2c ? 'http2' : 'http';
  const target = h2c ? QUEUE_PORTS.h2c : QUEUE_PORTS.http;
  const serving = { name: portName, protocol: 'TCP', ...(h2c ? { appProtocol: H2C_APP_PROTOCOL } : {}), port: 80, targetPort: target };
  const https = { name: 'https', protocol: 'TCP', port: 443, targetPort: QUEUE_PORTS.https };
  // MakeSKS copies the PodAutoscaler's annotations less the metric one.
  const annotations = podAutoscalerAnnotations(rev);
  delete annotations['autoscaling.knative.dev/metric'];
  const meta = (svcName: string, type: 'Public' | 'Private') => ({
    name: svcName,
    namespace: ns,
    labels: { ...revisionLabels(rev), [SKS_LABEL]: name, [SERVICE_TYPE_LABEL]: type },
    ...(Object.keys(annotations).length > 0 ? { annotations: { ...annotations } } : {}),
    ownerReferences: [ownerRef(rev.apiVersion, 'Revision', rev.metadata)],
  });
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(name, 'Public'),
      spec: { ...clusterIPSpec(ns, name), type: 'ClusterIP', ports: [serving, https] },
      status: { loadBalancer: {} },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(`${name}-private`, 'Private'),
      spec: {
        ...clusterIPSpec(ns, `${name}-private`),
        type: 'ClusterIP',
        ports: [
          serving,
          https,
          { name: 'http-autometric', protocol: 'TCP', port: QUEUE_PORTS.autoscalingMetrics, targetPort: 'http-autometric' },
          { name: 'http-usermetric', protocol: 'TCP', port: QUEUE_PORTS.userMetrics, targetPort: 'http-usermetric' },
          { name: `${portName}-istio`, protocol: 'TCP', port: target, targetPort: target },
        ],
        selector: { [LABEL.revisionUID]: rev.metadata.uid ?? '' },
      },
      status: { loadBalancer: {} },
    },
  ];
}

function loadBalancer(ns: string, name: string, labels: Record<string, string>, selector: Record<string, string>, ports: JsonObject[], ip: string): Projected {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, labels },
    spec: { ...clusterIPSpec(ns, name, ip), type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: false, selector, ports },
    status: { loadBalancer: { ingress: [{ ip, ipMode: 'VIP' }] } },
  };
}

function internal(ns: string, name: string, labels: Record<string, string>, selector: Record<string, string>, ports: JsonObject[], ip: string): Projected {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, labels },
    spec: { ...clusterIPSpec(ns, name, ip), type: 'ClusterIP', selector, ports },
    status: { loadBalancer: {} },
  };
}

/**
 * The gateways as Kourier's and Istio's installs name them: `kourier` (kourier-system) and
 * `istio-ingressgateway` (istio-system) of type LoadBalancer, whose ingress IP and first port are knit's
 * external gateway, so `curl -H "Host: …" http://$IP:$PORT` reaches it; `kourier-internal` and
 * `knative-local-gateway` are the cluster-local gateway, which route services point at. Their ClusterIP
 * is the gateway's own address, since that is where it is reached on this machine.
 */
export function gatewayServices(gw: GatewayAddresses): Projected[] {
  const ext = gw.external;
  const local = gw.local;
  const kourierLabels = { 'app.kubernetes.io/component': 'net-kourier', 'app.kubernetes.io/name': 'knative-serving', 'networking.knative.dev/ingress-provider': 'kourier' };
  const kourierSelector = { app: '3scale-kourier-gateway' };
  const istioLabels = { app: 'istio-ingressgateway', istio: 'ingressgateway' };
  const istioSelector = { app: 'istio-ingressgateway', istio: 'ingressgateway' };
  return [
    loadBalancer('kourier-system', 'kourier', kourierLabels, kourierSelector, [{ name: 'http2', protocol: 'TCP', port: ext.port, targetPort: ext.port }], ext.ip),
    internal('kourier-system', 'kourier-internal', kourierLabels, kourierSelector, [{ name: 'http2', protocol: 'TCP', port: local.port, targetPort: local.port }], local.ip),
    loadBalancer('istio-system', 'istio-ingressgateway', istioLabels, istioSelector, [{ name: 'http2', protocol: 'TCP', port: ext.port, targetPort: ext.port }], ext.ip),
    internal('istio-system', 'knative-local-gateway', { app: 'knative-local-gateway', 'experimental.istio.io/disable-gateway-port-translation': 'true' }, istioSelector, [{ name: 'http2', protocol: 'TCP', port: local.port, targetPort: local.port }], local.ip),
  ];
}
