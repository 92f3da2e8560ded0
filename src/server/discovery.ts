// Kubernetes discovery documents, so kubectl can find serving.knative.dev/v1 on knit's API.

import { GROUP, VERSION } from '../api/types.ts';

const groupVersion = `${GROUP}/${VERSION}`;

const resourceList = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion,
  resources: [
    { name: 'services', singularName: 'service', namespaced: true, kind: 'Service', shortNames: ['kservice', 'ksvc'], categories: ['all', 'knative', 'serving'] },
    { name: 'configurations', singularName: 'configuration', namespaced: true, kind: 'Configuration', shortNames: ['config', 'cfg'], categories: ['all', 'knative', 'serving'] },
    { name: 'revisions', singularName: 'revision', namespaced: true, kind: 'Revision', shortNames: ['rev'], categories: ['all', 'knative', 'serving'] },
    { name: 'routes', singularName: 'route', namespaced: true, kind: 'Route', shortNames: ['rt'], categories: ['all', 'knative', 'serving'] },
  ].flatMap((r) => [
    { ...r, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] },
    { name: `${r.name}/status`, singularName: '', namespaced: true, kind: r.kind, verbs: ['get', 'patch', 'update'] },
  ]),
};

const documents: Record<string, unknown> = {
  '/version': { major: '1', minor: '33', gitVersion: 'v1.33.0-knit', platform: `${process.platform}/${process.arch}` },
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
  '/api/v1': { kind: 'APIResourceList', groupVersion: 'v1', resources: [] },
  '/apis': {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [{ name: GROUP, versions: [{ groupVersion, version: VERSION }], preferredVersion: { groupVersion, version: VERSION } }],
  },
  [`/apis/${GROUP}`]: { kind: 'APIGroup', apiVersion: 'v1', name: GROUP, versions: [{ groupVersion, version: VERSION }], preferredVersion: { groupVersion, version: VERSION } },
  [`/apis/${groupVersion}`]: resourceList,
};

/** The discovery document served at `path`, or undefined when the path is not a discovery path. */
export function discovery(path: string): unknown {
  return documents[path.replace(/\/$/, '') || '/'];
}
