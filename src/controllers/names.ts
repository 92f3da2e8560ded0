// Derived names: Knative's child-name shortener (knative.dev/pkg kmeta/names.go ChildName) and
// revision names (knative/serving pkg/reconciler/configuration/resources/revision.go).

import { createHash } from 'node:crypto';

const LONGEST = 63;

/** kmeta.ChildName: parent+suffix, shortened with an MD5 of the parent when over 63 chars. */
export function childName(parent: string, suffix: string): string {
  const n = parent + suffix;
  if (n.length <= LONGEST) return n;
  const hash = createHash('md5').update(parent).digest('hex');
  if (suffix.length >= 31) {
    // Knative's fallback when the suffix alone is too long: hash the whole name.
    return (parent.slice(0, Math.max(0, LONGEST - 32)) + createHash('md5').update(n).digest('hex')).slice(0, LONGEST);
  }
  return parent.slice(0, 31 - suffix.length) + hash + suffix;
}

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
