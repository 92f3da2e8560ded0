// Table tests of the one-node scheduler filter: nodeSelector and required node affinity against the node's labels.

import assert from 'node:assert/strict';
import test from 'node:test';
import { NODE_AFFINITY_MISMATCH, nodeLabels, unschedulable, type SchedulingSpec } from './scheduling.ts';

const HOST = 'Knit-Box';
const arch = nodeLabels(HOST)['kubernetes.io/arch'];
const term = (...matchExpressions: { key: string; operator: string; values?: string[] }[]) => ({ matchExpressions });
const required = (...nodeSelectorTerms: object[]): SchedulingSpec => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } } } });

const rows: { name: string; spec: SchedulingSpec; fits: boolean }[] = [
  { name: 'nothing asked', spec: {}, fits: true },
  { name: 'nodeSelector on the lowercased hostname', spec: { nodeSelector: { 'kubernetes.io/hostname': 'knit-box' } }, fits: true },
  { name: 'nodeSelector os linux and the node arch', spec: { nodeSelector: { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': arch } }, fits: true },
  { name: 'nodeSelector os windows', spec: { nodeSelector: { 'kubernetes.io/os': 'windows' } }, fits: false },
  { name: 'nodeSelector on a label the node lacks', spec: { nodeSelector: { disktype: 'ssd' } }, fits: false },
  { name: 'affinity In', spec: required(term({ key: 'kubernetes.io/os', operator: 'In', values: ['windows', 'linux'] })), fits: true },
  { name: 'affinity NotIn the node value', spec: required(term({ key: 'kubernetes.io/os', operator: 'NotIn', values: ['linux'] })), fits: false },
  { name: 'affinity NotIn on a missing label', spec: required(term({ key: 'gpu', operator: 'NotIn', values: ['a'] })), fits: true },
  { name: 'affinity Exists / DoesNotExist', spec: required(term({ key: 'kubernetes.io/hostname', operator: 'Exists' }, { key: 'gpu', operator: 'DoesNotExist' })), fits: true },
  { name: 'affinity Gt on a non-integer label', spec: required(term({ key: 'kubernetes.io/os', operator: 'Gt', values: ['1'] })), fits: false },
  { name: 'terms are ORed: the second matches', spec: required(term({ key: 'zone', operator: 'Exists' }), term({ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] })), fits: true },
  { name: 'expressions are ANDed', spec: required(term({ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }, { key: 'zone', operator: 'Exists' })), fits: false },
  { name: 'an empty term matches nothing', spec: required({}), fits: false },
  { name: 'matchFields on metadata.name', spec: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['knit-box'] }] }), fits: true },
  { name: 'no terms at all matches nothing', spec: required(), fits: false },
];

for (const row of rows) {
  test(`scheduling: ${row.name}`, () => {
    const got = unschedulable(row.spec, HOST);
    if (row.fits) assert.equal(got, undefined);
    else assert.deepEqual(got, { reason: 'Unschedulable', message: NODE_AFFINITY_MISMATCH });
  });
}
