// Derived names: revision names (knative/serving pkg/reconciler/configuration/resources/revision.go)
// and the keys of queues, the routing table and the instance manager.

import { childName } from '../api/child-name.ts';

/** `<config>-00001` for generation 1 (more digits from generation 100000 on). */
export function revisionName(configuration: string, generation: number): string {
  return childName(configuration, `-${String(generation).padStart(5, '0')}`);
}

/** `namespace/name` keys used by queues, the routing table and the instance manager. */
export function objectKey(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? 'default'}/${name ?? ''}`;
}

export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}
