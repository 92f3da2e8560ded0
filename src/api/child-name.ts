// Knative's child-name shortener (knative.dev/pkg kmeta/names.go ChildName), used for revision and
// container names.

import { createHash } from 'node:crypto';

/** The longest Kubernetes name (a DNS-1123 label). */
const LONGEST = 63;
const MD5_LEN = 32;

/** parent+suffix; over 63 characters the parent is cut and an MD5 of it inserted before the suffix. */
export function childName(parent: string, suffix: string): string {
  if (parent.length + suffix.length <= LONGEST) return parent + suffix;
  const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
  const head = LONGEST - MD5_LEN - suffix.length;
  // A suffix that leaves no room: hash the whole name ('a' keeps it starting with a letter).
  if (head <= 0) return `a${md5(parent + suffix)}`.slice(0, LONGEST);
  return parent.slice(0, head) + md5(parent) + suffix;
}
