// Table test of the Route reconciler (as knative/serving pkg/reconciler/route/route_test.go): traffic,
// hosts, the ingress and its rollout state, and the labeler.

import assert from 'node:assert/strict';
import { reconcileKey } from '../../src/controllers/kit.ts';
import { routeReconciler } from '../../src/controllers/route.ts';
import { LABEL, type TrafficTarget } from '../../src/api/types.ts';
import type { HostRule, HostTarget } from '../../src/dataplane/routing.ts';
import type { Rollout } from '../../src/controllers/rollout.ts';
import { EARLIER, NOW, NOW_S, cond, runTable, type Obj, type Row } from './table.ts';
import { configuration, ownedBy, revision, route } from './objects.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { X509Certificate } from 'node:crypto';
import { RouteCertificates } from '../../src/controllers/certificates.ts';
import { ensureApiPki } from '../../src/kube/pki.ts';

const ROUTES = { 'serving.knative.dev/routes': 'foo' };
const URL = 'http://foo.default.example.com';
const ADDRESS = { url: 'http://foo.default.svc.cluster.local' };
const NOT_CONFIGURED = cond('IngressReady', 'Unknown', 'IngressNotConfigured', 'Ingress has not yet been reconciled.');
const ROLLOUT_MSG = 'A gradual rollout of the latest revision(s) is in progress.';
const NOW_NS = NOW.getTime() * 1_000_000;

interface RouteRow extends Row {
  /** Host → "revision=percent,..." the route programs (default group and tags). */
  wantHosts?: Record<string, string>;
  /** Routes whose routing entries are deleted. */
  wantRoutingDeleted?: string[];
  /** Check tag-header targets on this host. */
  wantTagTargets?: { host: string; tags: Record<string, string> };
}

/** A configuration whose latest ready revision is `ready`, listing route foo. */
function readyConfig(name: string, ready: string, created = ready, o: { annotations?: Record<string, string> } = {}): Obj {
  return configuration(name, {
    annotations: o.annotations ?? ROUTES,
    status: { observedGeneration: 1, conditions: [cond('Ready', 'True', undefined, undefined, { at: EARLIER })], latestCreatedRevisionName: created, latestReadyRevisionName: ready },
  });
}

const readyRevStatus = { observedGeneration: 1, conditions: [cond('Ready', 'True', undefined, undefined, { at: EARLIER })] };
const unknownRevStatus = { observedGeneration: 1, conditions: [cond('Ready', 'Unknown', 'Deploying', undefined, { at: EARLIER })] };
const failedRevStatus = { observedGeneration: 1, conditions: [cond('Ready', 'False', 'ExitCode1', 'boom', { at: EARLIER })] };

/** A ready revision `config-0000<gen>` that lists route foo. */
function readyRev(config: string, gen: number, o: Parameters<typeof revision>[2] = {}): Obj {
  return revision(config, gen, { annotations: ROUTES, status: readyRevStatus, ...o });
}

/** The status of route foo once every condition is True, serving `traffic`. */
function readyStatus(traffic: TrafficTarget[], at = NOW_S) {
  return {
    observedGeneration: 1,
    conditions: [
      cond('AllTrafficAssigned', 'True', undefined, undefined, { at }),
      cond('CertificateProvisioned', 'True', 'TLSNotEnabled', 'external-domain-tls is not enabled', { at }),
      cond('IngressReady', 'True', undefined, undefined, { at }),
      cond('Ready', 'True', undefined, undefined, { at }),
    ],
    url: URL,
    traffic,
    address: ADDRESS,
  };
}

/** The status of route foo during a rollout (IngressReady Unknown since `at`). */
function rollingStatus(traffic: TrafficTarget[], at = NOW_S) {
  return {
    ...readyStatus(traffic, EARLIER),
    conditions: [
      cond('AllTrafficAssigned', 'True', undefined, undefined, { at: EARLIER }),
      cond('CertificateProvisioned', 'True', 'TLSNotEnabled', 'external-domain-tls is not enabled', { at: EARLIER }),
      cond('IngressReady', 'Unknown', 'RolloutInProgress', ROLLOUT_MSG, { at }),
      cond('Ready', 'Unknown', 'RolloutInProgress', ROLLOUT_MSG, { at }),
    ],
  };
}

/** A status failing AllTrafficAssigned with `reason`/`message` at generation 1 (never reconciled before). */
function trafficError(status: 'False' | 'Unknown', reason: string, message: string) {
  return {
    observedGeneration: 1,
    conditions: [cond('AllTrafficAssigned', status, reason, message), cond('CertificateProvisioned', 'Unknown'), NOT_CONFIGURED, cond('Ready', status, reason, message)],
    url: URL,
  };
}

const latest = (rev: string, percent = 100): TrafficTarget => ({ revisionName: rev, latestRevision: true, percent });
const pinned = (rev: string, percent = 100): TrafficTarget => ({ revisionName: rev, latestRevision: undefined, percent });

/** knit's ingress for route foo with a stored rollout. */
function ingress(rollout: Rollout, annotations: Record<string, string> = {}): Obj {
  return {
    apiVersion: 'networking.internal.knative.dev/v1alpha1',
    kind: 'Ingress',
    metadata: {
      name: 'foo',
      namespace: 'default',
      labels: { [LABEL.route]: 'foo' },
      annotations: { ...annotations, 'networking.internal.knative.dev/rollout': JSON.stringify(rollout) },
      ownerReferences: [ownedBy('Route', 'foo', 'uid-route-foo')],
    },
    spec: { rules: [] },
  };
}

function rolloutOf(revisions: { revisionName: string; percent: number }[], stepParams: Rollout['configurations'][0]['stepParams'] = {}): Rollout {
  return { configurations: [{ configurationName: 'foo', tag: '', percent: 100, revisions, stepParams }] };
}

const ROLLING = { 'serving.knative.dev/rollout-duration': '10s' };

/** Host rules of route foo for one group: three cluster-local names and the external one. */
function hostRules(targets: HostTarget[], name = 'foo'): HostRule[] {
  return [
    { host: `${name}.default`, visibility: 'cluster-local', targets },
    { host: `${name}.default.svc`, visibility: 'cluster-local', targets },
    { host: `${name}.default.svc.cluster.local`, visibility: 'cluster-local', targets },
    { host: `${name}.default.example.com`, visibility: 'external', targets },
  ];
}

const rows: RouteRow[] = [
  {
    name: 'a gone route drops its routing entry and releases the revisions and configurations it listed',
    objects: [configuration('foo', { annotations: ROUTES }), revision('foo', 1, { annotations: ROUTES })],
    key: 'default/foo',
    wantRoutingDeleted: ['default/foo'],
    wantUpdates: [
      { kind: 'Revision', metadata: { name: 'foo-00001', labels: { [LABEL.routingState]: 'reserve' }, annotations: { 'serving.knative.dev/routingStateModified': NOW_S } } },
      { kind: 'Configuration', metadata: { name: 'foo', annotations: {} } },
    ],
  },
  {
    name: 'a configuration target with a ready revision: traffic assigned, ingress created, Ready',
    objects: [readyConfig('foo', 'foo-00001'), readyRev('foo', 1), route('foo')],
    key: 'default/foo',
    wantCreates: [
      {
        kind: 'Ingress',
        metadata: {
          name: 'foo',
          labels: { [LABEL.route]: 'foo', 'serving.knative.dev/routeNamespace': 'default' },
          annotations: { 'networking.internal.knative.dev/rollout': JSON.stringify(rolloutOf([{ revisionName: 'foo-00001', percent: 100 }])) },
          ownerReferences: [ownedBy('Route', 'foo', 'uid-route-foo')],
        },
        spec: { rules: hostRules([{ revision: 'default/foo-00001', percent: 100 }]) },
      },
    ],
    wantStatus: readyStatus([latest('foo-00001')]),
    wantEvents: ['Normal Created Created Ingress "foo"'],
    wantHosts: { 'foo.default.example.com': 'default/foo-00001=100', 'foo.default.svc.cluster.local': 'default/foo-00001=100' },
  },
  {
    name: 'the labeler marks the referenced revision active and lists the route on it and its configuration',
    objects: [
      readyConfig('foo', 'foo-00001', 'foo-00001', { annotations: {} }),
      revision('foo', 1, { routingState: 'pending', status: readyRevStatus }),
      route('foo'),
      ingress(rolloutOf([{ revisionName: 'foo-00001', percent: 100 }])),
    ],
    key: 'default/foo',
    wantUpdates: [
      { kind: 'Ingress', metadata: { name: 'foo' } },
      {
        kind: 'Revision',
        metadata: { name: 'foo-00001', labels: { [LABEL.routingState]: 'active' }, annotations: { 'serving.knative.dev/routes': 'foo', 'serving.knative.dev/routingStateModified': NOW_S } },
      },
      { kind: 'Configuration', metadata: { name: 'foo', annotations: { 'serving.knative.dev/routes': 'foo' } } },
    ],
    wantStatus: readyStatus([latest('foo-00001')]),
  },
  {
    name: 'a missing configuration: AllTrafficAssigned False ConfigurationMissing',
    objects: [route('foo')],
    key: 'default/foo',
    wantStatus: trafficError('False', 'ConfigurationMissing', 'Configuration "foo" referenced in traffic not found.'),
  },
  {
    name: 'a missing revision: AllTrafficAssigned False RevisionMissing',
    objects: [route('foo', { traffic: [{ revisionName: 'foo-00009', percent: 100 }] })],
    key: 'default/foo',
    wantStatus: trafficError('False', 'RevisionMissing', 'Revision "foo-00009" referenced in traffic not found.'),
  },
  {
    name: 'a configuration with no ready revision yet: AllTrafficAssigned Unknown RevisionMissing',
    objects: [
      configuration('foo', { annotations: ROUTES, status: { observedGeneration: 1, conditions: [cond('Ready', 'Unknown', undefined, undefined, { at: EARLIER })], latestCreatedRevisionName: 'foo-00001' } }),
      revision('foo', 1, { annotations: ROUTES, status: unknownRevStatus }),
      route('foo'),
    ],
    key: 'default/foo',
    wantStatus: trafficError('Unknown', 'RevisionMissing', 'Configuration "foo" is waiting for a Revision to become ready.'),
  },
  {
    name: 'a failed configuration: AllTrafficAssigned False RevisionMissing',
    objects: [
      configuration('foo', {
        annotations: ROUTES,
        status: { observedGeneration: 1, conditions: [cond('Ready', 'False', 'RevisionFailed', 'x', { at: EARLIER })], latestCreatedRevisionName: 'foo-00001' },
      }),
      revision('foo', 1, { annotations: ROUTES, status: failedRevStatus }),
      route('foo'),
    ],
    key: 'default/foo',
    wantStatus: trafficError('False', 'RevisionMissing', 'Configuration "foo" does not have any ready Revision.'),
  },
  {
    name: 'a revision target not ready yet: AllTrafficAssigned Unknown RevisionMissing',
    objects: [revision('foo', 1, { annotations: ROUTES, status: unknownRevStatus }), route('foo', { traffic: [{ revisionName: 'foo-00001', percent: 100 }] })],
    key: 'default/foo',
    wantStatus: trafficError('Unknown', 'RevisionMissing', 'Revision "foo-00001" is not yet ready.'),
  },
  {
    name: 'a failed revision target: AllTrafficAssigned False RevisionMissing',
    objects: [revision('foo', 1, { annotations: ROUTES, status: failedRevStatus }), route('foo', { traffic: [{ revisionName: 'foo-00001', percent: 100 }] })],
    key: 'default/foo',
    wantStatus: trafficError('False', 'RevisionMissing', 'Revision "foo-00001" failed to become ready.'),
  },
  {
    name: "a Service's route naming another Service's revision: RevisionNotOwned",
    objects: [readyRev('bar', 1, { service: 'bar' }), route('foo', { labels: { [LABEL.service]: 'foo' }, traffic: [{ revisionName: 'bar-00001', percent: 100 }] })],
    key: 'default/foo',
    wantStatus: trafficError('False', 'RevisionNotOwned', 'Revision "bar-00001" belongs to Service "bar", not Service "foo".'),
  },
  {
    name: "a Service's route naming a standalone configuration's revision: RevisionNotOwned",
    objects: [readyRev('bar', 1), route('foo', { labels: { [LABEL.service]: 'foo' }, traffic: [{ revisionName: 'bar-00001', percent: 100 }] })],
    key: 'default/foo',
    wantStatus: trafficError('False', 'RevisionNotOwned', 'Revision "bar-00001" does not belong to Service "foo".'),
  },
  {
    name: 'a failing target outranks one that is not ready yet',
    objects: [
      revision('foo', 1, { annotations: ROUTES, status: unknownRevStatus }),
      route('foo', { traffic: [{ revisionName: 'foo-00001', percent: 50 }, { configurationName: 'gone', percent: 50 }] }),
    ],
    key: 'default/foo',
    wantStatus: trafficError('False', 'ConfigurationMissing', 'Configuration "gone" referenced in traffic not found.'),
  },
  {
    name: 'an observed generation keeps IngressReady when a target goes missing',
    objects: [route('foo', { status: readyStatus([latest('foo-00001')], EARLIER) })],
    key: 'default/foo',
    wantStatus: {
      ...readyStatus([latest('foo-00001')], EARLIER),
      conditions: [
        cond('AllTrafficAssigned', 'False', 'ConfigurationMissing', 'Configuration "foo" referenced in traffic not found.'),
        cond('CertificateProvisioned', 'True', 'TLSNotEnabled', 'external-domain-tls is not enabled', { at: EARLIER }),
        cond('IngressReady', 'True', undefined, undefined, { at: EARLIER }),
        cond('Ready', 'False', 'ConfigurationMissing', 'Configuration "foo" referenced in traffic not found.'),
      ],
    },
  },
  {
    name: 'traffic split over two pinned revisions',
    objects: [readyRev('foo', 1), readyRev('foo', 2), route('foo', { traffic: [{ revisionName: 'foo-00001', percent: 70 }, { revisionName: 'foo-00002', percent: 30 }] })],
    key: 'default/foo',
    wantCreates: [{ kind: 'Ingress', metadata: { name: 'foo' } }],
    wantStatus: readyStatus([pinned('foo-00001', 70), pinned('foo-00002', 30)]),
    wantEvents: ['Normal Created Created Ingress "foo"'],
    wantHosts: { 'foo.default.example.com': 'default/foo-00001=70,default/foo-00002=30' },
  },
  {
    name: 'targets naming the same revision are merged',
    objects: [readyRev('foo', 1), route('foo', { traffic: [{ revisionName: 'foo-00001', percent: 40 }, { revisionName: 'foo-00001', percent: 60 }] })],
    key: 'default/foo',
    wantCreates: [{ kind: 'Ingress', metadata: { name: 'foo' } }],
    wantStatus: readyStatus([pinned('foo-00001', 100)]),
    wantEvents: ['Normal Created Created Ingress "foo"'],
    wantHosts: { 'foo.default.example.com': 'default/foo-00001=100' },
  },
  {
    name: 'a tagged target gets its own URL and hosts',
    objects: [readyConfig('foo', 'foo-00001'), readyRev('foo', 1), route('foo', { traffic: [{ configurationName: 'foo', latestRevision: true, percent: 100, tag: 'current' }] })],
    key: 'default/foo',
    wantCreates: [{ kind: 'Ingress', metadata: { name: 'foo' } }],
    wantStatus: readyStatus([{ tag: 'current', revisionName: 'foo-00001', latestRevision: true, percent: 100, url: 'http://current-foo.default.example.com' }]),
    wantEvents: ['Normal Created Created Ingress "foo"'],
    wantHosts: { 'foo.default.example.com': 'default/foo-00001=100', 'current-foo.default.example.com': 'default/foo-00001=100', 'current-foo.default.svc.cluster.local': 'default/foo-00001=100' },
  },
  {
    name: 'a 0% tagged revision is reachable only through its tag',
    objects: [
      readyConfig('foo', 'foo-00002'),
      readyRev('foo', 1),
      readyRev('foo', 2),
      route('foo', { traffic: [{ configurationName: 'foo', latestRevision: true, percent: 100 }, { revisionName: 'foo-00001', percent: 0, tag: 'old' }] }),
    ],
    key: 'default/foo',
    wantCreates: [{ kind: 'Ingress', metadata: { name: 'foo' } }],
    wantStatus: readyStatus([latest('foo-00002'), { tag: 'old', revisionName: 'foo-00001', latestRevision: undefined, percent: 0, url: 'http://old-foo.default.example.com' }]),
    wantEvents: ['Normal Created Created Ingress "foo"'],
    wantHosts: { 'foo.default.example.com': 'default/foo-00002=100,default/foo-00001=0', 'old-foo.default.example.com': 'default/foo-00001=100' },
  },
  {
    name: 'tag-header-based routing puts the tag targets on the default host',
    settings: { tagHeaderBasedRouting: true },
    objects: [readyConfig('foo', 'foo-00001'), readyRev('foo', 1), route('foo', { traffic: [{ configurationName: 'foo', latestRevision: true, percent: 100, tag: 'current' }] })],
    key: 'default/foo',
    wantCreates: [{ kind: 'Ingress', metadata: { name: 'foo' } }],
    wantStatus: readyStatus([{ tag: 'current', revisionName: 'foo-00001', latestRevision: true, percent: 100, url: 'http://current-foo.default.example.com' }]),
    wantEvents: ['Normal Created Created Ingress "foo"'],
    wantTagTargets: { host: 'foo.default.example.com', tags: { current: 'default/foo-00001=100' } },
  },
  {
    name: 'a cluster-local route: svc.cluster.local URL, no external host, TLS not enabled for cluster-local',
    objects: [readyConfig('foo', 'foo-00001'), readyRev('foo', 1), route('foo', { labels: { [LABEL.visibility]: 'cluster-local' } })],
    key: 'default/foo',
    wantCreates: [{ kind: 'Ingress', metadata: { name: 'foo' }, spec: { rules: hostRules([{ revision: 'default/foo-00001', percent: 100 }]).slice(0, 3) } }],
    wantStatus: {
      ...readyStatus([latest('foo-00001')]),
      conditions: [
        cond('AllTrafficAssigned', 'True'),
        cond('CertificateProvisioned', 'True', 'TLSNotEnabled', 'TLS is not enabled for cluster-local'),
        cond('IngressReady', 'True'),
        cond('Ready', 'True'),
      ],
      url: 'http://foo.default.svc.cluster.local',
    },
    wantEvents: ['Normal Created Created Ingress "foo"'],
  },
  {
    name: 'a host label over 63 characters: AllTrafficAssigned False ErrorConfig',
    objects: [readyConfig('foo', 'foo-00001'), readyRev('foo', 1), route('foo', { traffic: [{ configurationName: 'foo', latestRevision: true, percent: 100, tag: 't'.repeat(60) }] })],
    key: 'default/foo',
    wantStatus: trafficError(
      'False',
      'ErrorConfig',
      `Invalid domain name "${'t'.repeat(60)}-foo.default.example.com": a DNS label must be no more than 63 characters`,
    ),
  },
  {
    name: 'the domain template shapes the URL and the external host',
    settings: { domainTemplate: '{{.Name}}-{{.Namespace}}.{{.Domain}}' },
    objects: [readyConfig('foo', 'foo-00001'), readyRev('foo', 1), route('foo')],
    key: 'default/foo',
    wantCreates: [{ kind: 'Ingress', metadata: { name: 'foo' } }],
    wantStatus: { ...readyStatus([latest('foo-00001')]), url: 'http://foo-default.example.com' },
    wantEvents: ['Normal Created Created Ingress "foo"'],
    wantHosts: { 'foo-default.example.com': 'default/foo-00001=100' },
  },
  {
    name: 'without a rollout duration a new revision takes all the traffic at once',
    objects: [readyConfig('foo', 'foo-00002'), readyRev('foo', 1), readyRev('foo', 2), route('foo', { status: readyStatus([latest('foo-00001')], EARLIER) }), ingress(rolloutOf([{ revisionName: 'foo-00001', percent: 100 }]))],
    key: 'default/foo',
    wantUpdates: [
      { kind: 'Ingress', metadata: { name: 'foo' }, spec: { rules: hostRules([{ revision: 'default/foo-00002', percent: 100 }]) } },
      { kind: 'Revision', metadata: { name: 'foo-00001', labels: { [LABEL.routingState]: 'reserve' } } },
    ],
    wantStatus: readyStatus([latest('foo-00002')], EARLIER),
  },
  {
    name: 'rollout: a new ready revision starts at 1% and the next step is due in a second',
    objects: [
      readyConfig('foo', 'foo-00002'),
      readyRev('foo', 1),
      readyRev('foo', 2),
      route('foo', { annotations: ROLLING, status: readyStatus([latest('foo-00001')], EARLIER) }),
      ingress(rolloutOf([{ revisionName: 'foo-00001', percent: 100 }]), ROLLING),
    ],
    key: 'default/foo',
    wantUpdates: [{ kind: 'Ingress', metadata: { name: 'foo' }, spec: { rules: hostRules([{ revision: 'default/foo-00001', percent: 99 }, { revision: 'default/foo-00002', percent: 1 }]) } }],
    wantStatus: rollingStatus([{ revisionName: 'foo-00001', latestRevision: false, percent: 99 }, latest('foo-00002', 1)]),
    wantResult: 1000,
  },
  {
    name: 'rollout: at the step time stepSize percent moves to the new revision',
    objects: [
      readyConfig('foo', 'foo-00002'),
      readyRev('foo', 1),
      readyRev('foo', 2),
      route('foo', { annotations: ROLLING, status: rollingStatus([{ revisionName: 'foo-00001', latestRevision: false, percent: 99 }, latest('foo-00002', 1)], EARLIER) }),
      ingress(
        rolloutOf([{ revisionName: 'foo-00001', percent: 99 }, { revisionName: 'foo-00002', percent: 1 }], { startTime: NOW_NS - 1e9, stepSize: 11, stepDuration: 1e9, nextStepTime: NOW_NS }),
        ROLLING,
      ),
    ],
    key: 'default/foo',
    wantUpdates: [{ kind: 'Ingress', metadata: { name: 'foo' }, spec: { rules: hostRules([{ revision: 'default/foo-00001', percent: 88 }, { revision: 'default/foo-00002', percent: 12 }]) } }],
    wantStatus: rollingStatus([{ revisionName: 'foo-00001', latestRevision: false, percent: 88 }, latest('foo-00002', 12)], EARLIER),
    wantResult: 1000,
  },
  {
    name: 'rollout: the last step ends it, IngressReady True, and the old revision becomes reserve',
    objects: [
      readyConfig('foo', 'foo-00002'),
      readyRev('foo', 1),
      readyRev('foo', 2),
      route('foo', {
        annotations: ROLLING,
        status: rollingStatus([{ revisionName: 'foo-00001', latestRevision: false, percent: 1 }, latest('foo-00002', 99)], EARLIER),
      }),
      ingress(
        rolloutOf([{ revisionName: 'foo-00001', percent: 1 }, { revisionName: 'foo-00002', percent: 99 }], { startTime: NOW_NS - 9e9, stepSize: 11, stepDuration: 1e9, nextStepTime: NOW_NS }),
        ROLLING,
      ),
    ],
    key: 'default/foo',
    wantUpdates: [
      { kind: 'Ingress', metadata: { name: 'foo' }, spec: { rules: hostRules([{ revision: 'default/foo-00002', percent: 100 }]) } },
      {
        kind: 'Revision',
        metadata: { name: 'foo-00001', labels: { [LABEL.routingState]: 'reserve' }, annotations: { 'serving.knative.dev/routes': undefined, 'serving.knative.dev/routingStateModified': NOW_S } },
      },
    ],
    wantStatus: {
      ...readyStatus([latest('foo-00002', 100)], EARLIER),
      conditions: [
        cond('AllTrafficAssigned', 'True', undefined, undefined, { at: EARLIER }),
        cond('CertificateProvisioned', 'True', 'TLSNotEnabled', 'external-domain-tls is not enabled', { at: EARLIER }),
        cond('IngressReady', 'True'),
        cond('Ready', 'True'),
      ],
    },
  },
];

const shares = (targets: HostTarget[]): string => targets.map((t) => `${t.revision}=${t.percent}`).join(',');

runTable('route', rows, ({ ctx }, row) => reconcileKey(ctx, routeReconciler, row.key), {
  check: ({ table }, row) => {
    assert.deepEqual(table.deleted, row.wantRoutingDeleted ?? [], 'routing entries deleted');
    const rules = table.routes.get(row.key) ?? [];
    for (const [host, want] of Object.entries(row.wantHosts ?? {})) {
      const rule = rules.find((r) => r.host === host);
      assert.ok(rule, `host ${host} programmed; have ${rules.map((r) => r.host).join(' ')}`);
      assert.equal(shares(rule.targets), want, host);
    }
    if (row.wantTagTargets) {
      const rule = rules.find((r) => r.host === row.wantTagTargets!.host);
      assert.ok(rule?.tagTargets, 'tag targets on the default host');
      assert.deepEqual(Object.fromEntries(Object.entries(rule.tagTargets).map(([k, v]) => [k, shares(v)])), row.wantTagTargets.tags);
    }
  },
});

// external-domain-tls (knative/serving pkg/reconciler/route/route.go externalDomainTLS): certificates from a real
// issuer over a real CA in a temporary DATA_DIR.
interface TLSRow extends RouteRow {
  /** A CA whose key cannot sign: every issue fails. */
  brokenCA?: boolean;
  /** Hosts that must carry a certificate from the CA afterwards. */
  wantCertifiedHosts?: string[];
  /** External hosts whose rules must (true) or must not (false) redirect plain HTTP. */
  wantRedirect?: Record<string, boolean>;
}

const tlsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-route-tls-'));
after(() => fs.rmSync(tlsDir, { recursive: true, force: true }));
const tlsPki = ensureApiPki(tlsDir, ['127.0.0.1'], NOW);
const TLS_ON = { externalDomainTLS: true, httpsGateway: true };

function tlsStatus(traffic: TrafficTarget[], url: string, cert: ReturnType<typeof cond>, ready = cond('Ready', 'True')) {
  return { observedGeneration: 1, conditions: [cond('AllTrafficAssigned', 'True'), cert, cond('IngressReady', 'True'), ready], url, traffic, address: ADDRESS };
}

const tlsRows: TLSRow[] = [
  {
    name: 'external-domain-tls: https URL and tag URL, CertificateProvisioned True, plain HTTP kept (http-protocol Enabled)',
    settings: TLS_ON,
    objects: [readyConfig('foo', 'foo-00002'), readyRev('foo', 1), readyRev('foo', 2), route('foo', { traffic: [{ configurationName: 'foo', latestRevision: true, percent: 100 }, { revisionName: 'foo-00001', percent: 0, tag: 'old' }] })],
    key: 'default/foo',
    wantCreates: [{ kind: 'Ingress', metadata: { name: 'foo' } }],
    wantStatus: tlsStatus([latest('foo-00002'), { tag: 'old', revisionName: 'foo-00001', latestRevision: undefined, percent: 0, url: 'https://old-foo.default.example.com' }], 'https://foo.default.example.com', cond('CertificateProvisioned', 'True')),
    wantEvents: ['Normal Created Created Ingress "foo"'],
    wantCertifiedHosts: ['foo.default.example.com', 'old-foo.default.example.com'],
    wantRedirect: { 'foo.default.example.com': false, 'old-foo.default.example.com': false },
  },
  {
    name: 'external-domain-tls with http-protocol Redirected: the external rules redirect plain HTTP',
    settings: { ...TLS_ON, httpProtocol: 'Redirected' },
    objects: [readyConfig('foo', 'foo-00001'), readyRev('foo', 1), route('foo')],
    key: 'default/foo',
    wantCreates: [{ kind: 'Ingress', metadata: { name: 'foo' } }],
    wantStatus: tlsStatus([latest('foo-00001')], 'https://foo.default.example.com', cond('CertificateProvisioned', 'True')),
    wantEvents: ['Normal Created Created Ingress "foo"'],
    wantCertifiedHosts: ['foo.default.example.com'],
    wantRedirect: { 'foo.default.example.com': true },
  },
  {
    name: 'external-domain-tls without the HTTPS gateway: TLSNotEnabled, http URL',
    settings: { externalDomainTLS: true, httpsGateway: false, httpProtocol: 'Redirected' },
    objects: [readyConfig('foo', 'foo-00001'), readyRev('foo', 1), route('foo')],
    key: 'default/foo',
    wantCreates: [{ kind: 'Ingress', metadata: { name: 'foo' } }],
    wantStatus: tlsStatus([latest('foo-00001')], URL, cond('CertificateProvisioned', 'True', 'TLSNotEnabled', 'external-domain-tls is not enabled')),
    wantEvents: ['Normal Created Created Ingress "foo"'],
    wantRedirect: { 'foo.default.example.com': false },
  },
  {
    name: 'external-domain-tls and a cluster-local route: no certificate, TLS not enabled for cluster-local',
    settings: TLS_ON,
    objects: [readyConfig('foo', 'foo-00001'), readyRev('foo', 1), route('foo', { labels: { [LABEL.visibility]: 'cluster-local' } })],
    key: 'default/foo',
    wantCreates: [{ kind: 'Ingress', metadata: { name: 'foo' } }],
    wantStatus: tlsStatus([latest('foo-00001')], 'http://foo.default.svc.cluster.local', cond('CertificateProvisioned', 'True', 'TLSNotEnabled', 'TLS is not enabled for cluster-local')),
    wantEvents: ['Normal Created Created Ingress "foo"'],
  },
  {
    name: 'networking.knative.dev/disable-external-domain-tls: "true" opts the route out',
    settings: TLS_ON,
    objects: [readyConfig('foo', 'foo-00001'), readyRev('foo', 1), route('foo', { annotations: { 'networking.knative.dev/disable-external-domain-tls': 'true' } })],
    key: 'default/foo',
    wantCreates: [{ kind: 'Ingress', metadata: { name: 'foo' } }],
    wantStatus: tlsStatus([latest('foo-00001')], URL, cond('CertificateProvisioned', 'True', 'TLSNotEnabled', 'external-domain-tls is not enabled')),
    wantEvents: ['Normal Created Created Ingress "foo"'],
  },
  {
    name: 'a certificate that cannot be issued: CertificateProvisioned False CertificateProvisionFailed, http URL',
    settings: TLS_ON,
    brokenCA: true,
    objects: [readyConfig('foo', 'foo-00001'), readyRev('foo', 1), route('foo')],
    key: 'default/foo',
    wantCreates: [{ kind: 'Ingress', metadata: { name: 'foo' } }],
    wantStatus: tlsStatus(
      [latest('foo-00001')],
      URL,
      cond('CertificateProvisioned', 'False', 'CertificateProvisionFailed', 'Certificate route-uid-route-foo fails to be provisioned.'),
      cond('Ready', 'False', 'CertificateProvisionFailed', 'Certificate route-uid-route-foo fails to be provisioned.'),
    ),
    wantEvents: ['Normal Created Created Ingress "foo"'],
  },
];

const issuers = new Map<string, RouteCertificates>();
runTable('route external-domain-tls', tlsRows, ({ ctx }, row) => {
  const ca = row.brokenCA ? { certPem: tlsPki.caPem, keyPem: 'not a key' } : { certPem: tlsPki.caPem, keyPem: tlsPki.caKeyPem };
  const issuer = new RouteCertificates(fs.mkdtempSync(path.join(tlsDir, 'routes-')), ca, () => NOW);
  issuers.set(row.name, issuer);
  ctx.certificates = issuer;
  return reconcileKey(ctx, routeReconciler, row.key);
}, {
  check: ({ table }, row) => {
    const issuer = issuers.get(row.name)!;
    const ca = new X509Certificate(tlsPki.caPem);
    for (const host of row.wantCertifiedHosts ?? []) {
      const got = issuer.forHost(host);
      assert.ok(got, `a certificate for ${host}`);
      const cert = new X509Certificate(got.cert);
      assert.ok(cert.checkIssued(ca) && cert.verify(ca.publicKey), `${host}'s certificate is signed by knit's CA`);
      assert.equal(cert.checkHost(host), host);
    }
    if (!row.wantCertifiedHosts) assert.equal(issuer.forHost('foo.default.example.com'), undefined, 'no certificate');
    const rules = table.routes.get(row.key) ?? [];
    for (const [host, want] of Object.entries(row.wantRedirect ?? {})) {
      const rule = rules.find((r) => r.host === host && r.visibility === 'external');
      assert.ok(rule, `external rule for ${host}`);
      assert.equal(rule.httpsRedirect === true, want, `${host} redirects`);
    }
  },
});
