// Table tests of the client-side traffic/tag computation (--traffic, --tag, --untag) by kn's rules (knative/client
// pkg/commands/traffic/compute.go Compute: untag, tag @latest, tag revisions, then percents).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Revision, Service, TrafficTarget } from '../api/types.ts';
import { computeTraffic, type TrafficContext, type TrafficFlags } from './traffic.ts';

function rev(name: string): Revision {
  return { apiVersion: 'serving.knative.dev/v1', kind: 'Revision', metadata: { name, namespace: 'default' }, spec: { containers: [] } };
}

function svc(spec: TrafficTarget[], status: TrafficTarget[], latestReady: string): Service {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: 'svc', namespace: 'default' },
    spec: { template: { spec: { containers: [] } }, traffic: spec },
    status: { traffic: status, latestReadyRevisionName: latestReady, latestCreatedRevisionName: latestReady },
  };
}

/** One revision, all traffic on @latest. */
const ONE = svc([{ latestRevision: true, percent: 100 }], [{ revisionName: 'echo-v1', latestRevision: true, percent: 100 }], 'echo-v1');
const ONE_REVS = [rev('echo-v1')];

/** Three routed revisions: r1 #v1 and r2 #v2 at 0%, r3 (@latest) at 100%. */
const THREE = svc(
  [
    { tag: 'v1', revisionName: 'r1', latestRevision: false, percent: 0 },
    { tag: 'v2', revisionName: 'r2', latestRevision: false, percent: 0 },
    { latestRevision: true, percent: 100 },
  ],
  [
    { tag: 'v1', revisionName: 'r1', latestRevision: false, percent: 0 },
    { tag: 'v2', revisionName: 'r2', latestRevision: false, percent: 0 },
    { revisionName: 'r3', latestRevision: true, percent: 100 },
  ],
  'r3',
);
const THREE_REVS = [rev('r1'), rev('r2'), rev('r3')];

/** @latest already tagged `old`. */
const TAGGED = svc([{ tag: 'old', latestRevision: true, percent: 100 }], [{ tag: 'old', revisionName: 'echo-v1', latestRevision: true, percent: 100 }], 'echo-v1');

interface Row {
  name: string;
  service: Service;
  flags: Partial<TrafficFlags>;
  ctx?: Partial<TrafficContext>;
  want?: TrafficTarget[];
  error?: string;
}

const rows: Row[] = [
  { name: 'sum over 100', service: ONE, flags: { traffic: ['echo-v1=60', '@latest=50'] }, error: 'given traffic percents sum to 110, want <=100' },
  { name: 'percent not an integer', service: ONE, flags: { traffic: ['echo-v1=100p'] }, error: 'error converting given 100p to integer value for traffic distribution' },
  { name: 'percent out of range', service: ONE, flags: { traffic: ['echo-v1=-100'] }, error: 'invalid value for traffic percent -100, expected 0 <= percent <= 100' },
  { name: 'empty value', service: ONE, flags: { traffic: ['@latest='] }, error: 'expecting the value format in value1=value2, given @latest=' },
  { name: 'two equal signs', service: ONE, flags: { traffic: ['a=b=50'] }, error: 'expecting the value format in value1=value2, given a=b=50' },
  {
    name: 'repeated revision reference in --traffic',
    service: ONE,
    flags: { traffic: ['echo-v1=50', 'echo-v1=50'] },
    error: 'repetition of revision reference echo-v1 is not allowed, use only once with --traffic flag',
  },
  { name: 'repeated @latest in --tag', service: ONE, flags: { tags: ['@latest=a', '@latest=b'] }, error: 'repetition of identifier @latest is not allowed, use only once with --tag flag' },
  {
    name: 'bare percent means @latest, trailing % stripped',
    service: THREE,
    flags: { traffic: ['50%', 'v1=50'] },
    want: [
      { tag: 'v1', revisionName: 'r1', latestRevision: false, percent: 50 },
      { tag: 'v2', revisionName: 'r2', latestRevision: false, percent: 0 },
      { latestRevision: true, percent: 50 },
    ],
  },
  {
    name: 'remainder goes to the one unreferenced revision',
    service: THREE,
    flags: { traffic: ['r1=10', 'r2=10'] },
    want: [
      { tag: 'v1', revisionName: 'r1', latestRevision: false, percent: 10 },
      { tag: 'v2', revisionName: 'r2', latestRevision: false, percent: 10 },
      { revisionName: 'r3', latestRevision: false, percent: 80 },
    ],
  },
  {
    name: '@latest counts as the latest ready revision for the remainder',
    service: THREE,
    flags: { traffic: ['@latest=60', 'r1=20'] },
    want: [
      { tag: 'v1', revisionName: 'r1', latestRevision: false, percent: 20 },
      { tag: 'v2', revisionName: 'r2', latestRevision: false, percent: 20 },
      { latestRevision: true, percent: 60 },
    ],
  },
  {
    name: 'too few revisions for the remainder',
    service: THREE,
    flags: { traffic: ['r1=50'] },
    error: 'unable to allocate the remaining traffic: 50%. Reason: incorrect number of revisions specified. Only 1 revision should be missing',
  },
  {
    name: 'remainder cannot be placed when the targets are unknown revisions',
    service: THREE,
    flags: { traffic: ['r1=10', 'r2=10'] },
    ctx: { revisions: [] },
    error: 'unable to allocate the remaining traffic: 80%. Reason: cannot determine the missing revision',
  },
  {
    name: 'with a template change the remainder goes to @latest',
    service: ONE,
    flags: { traffic: ['echo-v1=50'] },
    ctx: { mutation: true },
    want: [
      { latestRevision: true, percent: 50 },
      { revisionName: 'echo-v1', latestRevision: false, percent: 50 },
    ],
  },
  {
    name: 'with a template change all N revisions must be listed',
    service: THREE,
    flags: { traffic: ['r1=10', 'r2=10'] },
    ctx: { mutation: true },
    error: 'unable to allocate the remaining traffic: 80%. Reason: incorrect number of revisions specified. Only 1 revision should be missing',
  },
  {
    name: 'percentages by tag; untagged 0% targets vanish',
    service: THREE,
    flags: { traffic: ['v1=50', 'v2=50'] },
    want: [
      { tag: 'v1', revisionName: 'r1', latestRevision: false, percent: 50 },
      { tag: 'v2', revisionName: 'r2', latestRevision: false, percent: 50 },
    ],
  },
  { name: 'tag @latest', service: ONE, flags: { tags: ['@latest=current'] }, ctx: { setPercentages: false }, want: [{ tag: 'current', latestRevision: true, percent: 100 }] },
  {
    name: 'tag a revision not in the traffic block appends a 0% target',
    service: ONE,
    flags: { tags: ['echo-v0=stable'] },
    ctx: { setPercentages: false },
    want: [
      { latestRevision: true, percent: 100 },
      { tag: 'stable', revisionName: 'echo-v0', latestRevision: false, percent: 0 },
    ],
  },
  {
    name: 'tag used by another revision',
    service: THREE,
    flags: { tags: ['r3=v1'] },
    ctx: { setPercentages: false },
    error: "refusing to overwrite existing tag in service, add flag '--untag v1' in command to untag it",
  },
  {
    name: 'duplicate tag given for @latest',
    service: THREE,
    flags: { tags: ['@latest=v2'] },
    ctx: { setPercentages: false },
    error: "refusing to overwrite existing tag in service, add flag '--untag v2' in command to untag it",
  },
  {
    name: '@latest already tagged differently',
    service: TAGGED,
    flags: { tags: ['@latest=new'] },
    ctx: { setPercentages: false },
    error: "tag 'old' exists on latest ready revision of service, refusing to overwrite existing tag with 'new', add flag '--untag old' in command to untag it",
  },
  { name: 'untag then retag @latest', service: TAGGED, flags: { untags: ['old'], tags: ['@latest=new'] }, ctx: { setPercentages: false }, want: [{ tag: 'new', latestRevision: true, percent: 100 }] },
  { name: 'same tag again is a no-op', service: TAGGED, flags: { tags: ['@latest=old'] }, ctx: { setPercentages: false }, want: [{ tag: 'old', latestRevision: true, percent: 100 }] },
  { name: 'untag unknown tags', service: TAGGED, flags: { untags: ['foo', 'bar'] }, ctx: { setPercentages: false }, error: 'tag(s) foo, bar not present for any revisions of service svc' },
  {
    name: 'untag drops a 0% target',
    service: THREE,
    flags: { untags: ['v1'] },
    ctx: { setPercentages: false },
    want: [
      { tag: 'v2', revisionName: 'r2', latestRevision: false, percent: 0 },
      { latestRevision: true, percent: 100 },
    ],
  },
  {
    name: 'create with tags: @latest=100 plus tags',
    service: svc([], [], ''),
    flags: { traffic: ['@latest=100'], tags: ['@latest=x', 'r=y'] },
    want: [
      { tag: 'x', latestRevision: true, percent: 100 },
      { tag: 'y', revisionName: 'r', latestRevision: false, percent: 0 },
    ],
  },
];

describe('computeTraffic', () => {
  for (const row of rows) {
    it(row.name, () => {
      const flags: TrafficFlags = { traffic: [], tags: [], untags: [], ...row.flags };
      const ctx: TrafficContext = { setPercentages: true, mutation: false, revisions: row.service === ONE || row.service === TAGGED ? ONE_REVS : THREE_REVS, ...row.ctx };
      const input = structuredClone(row.service);
      if (row.error !== undefined) {
        assert.throws(() => computeTraffic(input, flags, ctx), { message: row.error });
      } else {
        assert.deepEqual(computeTraffic(input, flags, ctx), row.want);
      }
      assert.deepEqual(input, row.service, 'the service is not mutated');
    });
  }
});
