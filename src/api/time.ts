// Kubernetes timestamps: RFC 3339 in UTC with second precision.

/** `2026-01-02T03:04:05Z` for a Date, as Kubernetes writes metav1.Time. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
