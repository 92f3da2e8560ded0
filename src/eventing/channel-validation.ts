// Destination helpers the messaging reconcilers share (knative/eventing pkg/reconciler/subscription
// isNilOrEmptyDestination).

import type { Destination } from './types.ts';

/** True for a missing or `{}` Destination (isDestinationNilOrEmpty). */
export function isEmptyDestination(d: Destination | undefined): boolean {
  return d === undefined || d === null || (typeof d === 'object' && Object.keys(d).length === 0);
}
