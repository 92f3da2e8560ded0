// Equality and diffs over JSON values, as Knative compares specs (equality.Semantic.DeepEqual, knative/pkg kmp.ShortDiff).

import { isObj } from './shape-check.ts';

const absent = (v: unknown): boolean => v === undefined || v === null || (Array.isArray(v) && v.length === 0);

/** equality.Semantic.DeepEqual over JSON: null, missing and empty lists are the same. */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (absent(a) || absent(b)) return absent(a) && absent(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => semanticEqual(x, b[i]));
  }
  if (isObj(a) && isObj(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!semanticEqual(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

const render = (v: unknown): string => (v === undefined || v === null ? '<nil>' : JSON.stringify(v));

/** A short "-old +new" listing of the differing leaves, like kmp.ShortDiff; '' when equal. */
export function shortDiff(prev: unknown, next: unknown): string {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (semanticEqual(a, b)) return;
    if (isObj(a) && isObj(b)) {
      for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
        walk(a[k], b[k], /^[A-Za-z_][\w-]*$/.test(k) ? (path ? `${path}.${k}` : k) : `${path}[${JSON.stringify(k)}]`);
      }
      return;
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((x, i) => walk(x, b[i], `${path}[${i}]`));
      return;
    }
    out.push(`${path === '' ? '{}' : path}:\n\t-: ${render(a)}\n\t+: ${render(b)}\n`);
  };
  walk(prev, next, '');
  return out.join('');
}

