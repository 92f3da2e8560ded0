// Test helper: Service/Revision/Route objects in representative states for the printer golden tests.

import type { Condition, Revision, Route, Service } from '../../src/api/types.ts';

/** The fixed "now" of the golden tests. */
export const NOW = Date.parse('2024-05-01T12:00:00Z');

/** RFC 3339 timestamp `seconds` before NOW. */
export function ago(seconds: number): string {
  return new Date(NOW - seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function cond(type: string, status: Condition['status'], agoSeconds: number, reason?: string, message?: string): Condition {
  return { type, status, lastTransitionTime: ago(agoSeconds), ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

const DIGEST = 'sha256:5ea96b' + '1'.repeat(58);

interface RevOpts {
  name: string;
  service: string;
  generation: number;
  createdAgo: number;
  image: string;
  userImage?: string;
  digest?: string;
  replicas?: [number, number];
  ready?: Condition[];
  routingState?: string;
  annotations?: Record<string, string>;
  env?: { name: string; value: string }[];
  port?: number;
}

function revision(o: RevOpts): Revision {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Revision',
    metadata: {
      name: o.name,
      namespace: 'default',
      creationTimestamp: ago(o.createdAgo),
      generation: 1,
      labels: {
        'serving.knative.dev/configuration': o.service,
        'serving.knative.dev/configurationGeneration': String(o.generation),
        'serving.knative.dev/routingState': o.routingState ?? 'active',
        'serving.knative.dev/service': o.service,
      },
      annotations: { ...(o.userImage ? { 'client.knative.dev/user-image': o.userImage } : {}), ...(o.annotations ?? {}) },
    },
    spec: {
      containers: [{ image: o.image, ...(o.port ? { ports: [{ containerPort: o.port }] } : {}), ...(o.env ? { env: o.env } : {}) }],
      containerConcurrency: 0,
      timeoutSeconds: 300,
    },
    status: {
      observedGeneration: 1,
      ...(o.digest ? { containerStatuses: [{ name: 'user-container', imageDigest: o.digest }] } : {}),
      ...(o.replicas ? { actualReplicas: o.replicas[0], desiredReplicas: o.replicas[1] } : {}),
      conditions: o.ready ?? [cond('Ready', 'True', o.createdAgo - 5), cond('Active', 'True', o.createdAgo - 5), cond('ContainerHealthy', 'True', o.createdAgo - 5), cond('ResourcesAvailable', 'True', o.createdAgo - 5)],
    },
  };
}

/** A ready service with one revision taking 100% (image pinned to a digest). */
export const helloService: Service = {
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  metadata: {
    name: 'hello',
    namespace: 'default',
    creationTimestamp: ago(300),
    generation: 1,
    labels: { app: 'demo', team: 'x' },
    annotations: { 'serving.knative.dev/creator': 'admin', 'serving.knative.dev/lastModifier': 'admin' },
  },
  spec: { template: { spec: { containers: [{ image: 'docker.io/me/hello' }] } } },
  status: {
    observedGeneration: 1,
    url: 'http://hello.default.example.com',
    address: { url: 'http://hello.default.svc.cluster.local' },
    latestCreatedRevisionName: 'hello-00001',
    latestReadyRevisionName: 'hello-00001',
    traffic: [{ revisionName: 'hello-00001', latestRevision: true, percent: 100 }],
    conditions: [cond('Ready', 'True', 46), cond('ConfigurationsReady', 'True', 46), cond('RoutesReady', 'True', 46)],
  },
};

export const helloRevision: Revision = revision({
  name: 'hello-00001',
  service: 'hello',
  generation: 1,
  createdAgo: 290,
  image: `docker.io/me/hello@${DIGEST}`,
  userImage: 'docker.io/me/hello',
  digest: `docker.io/me/hello@${DIGEST}`,
  replicas: [1, 1],
  env: [{ name: 'TARGET', value: 'knit' }],
  port: 8080,
  annotations: { 'autoscaling.knative.dev/max-scale': '5', 'autoscaling.knative.dev/target': '10' },
});

/** A service whose only revision failed (process exited). */
export const brokenService: Service = {
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  metadata: { name: 'broken', namespace: 'default', creationTimestamp: ago(40), generation: 1 },
  spec: { template: { spec: { containers: [{ image: 'file:///srv/broken' }] } } },
  status: {
    observedGeneration: 1,
    latestCreatedRevisionName: 'broken-00001',
    conditions: [
      cond('Ready', 'False', 30, 'RevisionFailed', 'Revision "broken-00001" failed with message: Container failed with: exit status 1.'),
      cond('ConfigurationsReady', 'False', 30, 'RevisionFailed', 'Revision "broken-00001" failed with message: Container failed with: exit status 1.'),
      cond('RoutesReady', 'Unknown', 30, 'RevisionMissing', 'Configuration "broken" does not have any ready Revision.'),
    ],
  },
};

export const brokenRevision: Revision = revision({
  name: 'broken-00001',
  service: 'broken',
  generation: 1,
  createdAgo: 35,
  image: 'file:///srv/broken',
  replicas: [0, 0],
  routingState: 'pending',
  ready: [
    cond('Ready', 'False', 30, 'ExitCode1', 'Container failed with: exit status 1'),
    cond('ContainerHealthy', 'False', 30, 'ExitCode1', 'Container failed with: exit status 1'),
    cond('ResourcesAvailable', 'Unknown', 34),
    cond('Active', 'Unknown', 34, 'Deploying'),
  ],
});

/** A service splitting 80/20 between two tagged revisions. */
export const splitService: Service = {
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  metadata: { name: 'split', namespace: 'default', creationTimestamp: ago(600), generation: 3 },
  spec: {
    template: { metadata: { annotations: { 'client.knative.dev/user-image': 'docker.io/me/split:v2' } }, spec: { containers: [{ image: 'docker.io/me/split:v2' }] } },
    traffic: [
      { tag: 'current', latestRevision: true, percent: 80 },
      { tag: 'stable', revisionName: 'split-00001', latestRevision: false, percent: 20 },
    ],
  },
  status: {
    observedGeneration: 3,
    url: 'http://split.default.example.com',
    latestCreatedRevisionName: 'split-00002',
    latestReadyRevisionName: 'split-00002',
    traffic: [
      { tag: 'current', revisionName: 'split-00002', latestRevision: true, percent: 80, url: 'http://current-split.default.example.com' },
      { tag: 'stable', revisionName: 'split-00001', latestRevision: false, percent: 20, url: 'http://stable-split.default.example.com' },
    ],
    conditions: [cond('Ready', 'True', 80), cond('ConfigurationsReady', 'True', 85), cond('RoutesReady', 'True', 80)],
  },
};

export const splitRevision2: Revision = revision({
  name: 'split-00002',
  service: 'split',
  generation: 2,
  createdAgo: 90,
  image: 'docker.io/me/split:v2',
  userImage: 'docker.io/me/split:v2',
  digest: `docker.io/me/split@${DIGEST}`,
  replicas: [2, 2],
});

/** Scaled to zero: no traffic share left, no replicas. */
export const splitRevision1: Revision = revision({
  name: 'split-00001',
  service: 'split',
  generation: 1,
  createdAgo: 600,
  image: 'docker.io/me/split:v1',
  digest: `docker.io/me/split@${DIGEST}`,
  replicas: [0, 0],
  ready: [cond('Ready', 'True', 590), cond('Active', 'False', 300, 'NoTraffic', 'The target is not receiving traffic.'), cond('ContainerHealthy', 'True', 590), cond('ResourcesAvailable', 'True', 590)],
});
splitRevision1.status!.conditions![1].severity = 'Info';

export const splitRoute: Route = {
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Route',
  metadata: {
    name: 'split',
    namespace: 'default',
    creationTimestamp: ago(600),
    labels: { 'serving.knative.dev/service': 'split' },
    ownerReferences: [{ apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'split', uid: 'u1', controller: true }],
  },
  spec: { traffic: splitService.spec.traffic },
  status: {
    url: 'http://split.default.example.com',
    traffic: splitService.status!.traffic,
    conditions: [cond('Ready', 'True', 80), cond('AllTrafficAssigned', 'True', 80), cond('CertificateProvisioned', 'True', 590, 'TLSNotEnabled', 'autoTLS is not enabled'), cond('IngressReady', 'True', 80)],
  },
};

/** The fixtures the list and describe tests serve, by API resource (hello, and the 80/20 split with its route). */
export const listed: readonly (readonly [resource: string, obj: object])[] = [
  ['services', helloService],
  ['revisions', helloRevision],
  ['services', splitService],
  ['revisions', splitRevision1],
  ['revisions', splitRevision2],
  ['routes', splitRoute],
];
