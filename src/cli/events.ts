// The "Events:" section of `knit service describe`, laid out as `kubectl describe` prints an object's events
// (k8s.io/kubectl pkg/describe DescribeEvents); kn's describe shows none (docs/differences.md).

import { humanDuration } from '../api/duration.ts';
import { DESCRIBE_TABWRITER, TabWriter } from './tabwriter.ts';

/** The core/v1 Event fields the section shows. */
export interface DescribedEvent {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string } | null;
  source?: { component?: string; host?: string };
  reportingController?: string;
}

function since(ts: string | null | undefined, now: number): string {
  const t = ts ? Date.parse(ts) : NaN;
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
}

function lastSeen(e: DescribedEvent): number {
  const t = Date.parse(e.lastTimestamp ?? e.eventTime ?? '');
  return Number.isNaN(t) ? 0 : t;
}

/** `Events:  <none>`, or a Type/Reason/Age/From/Message table oldest first (kubectl's SortableEvents: by last time). */
export function describeEvents(events: readonly DescribedEvent[], now: number): string {
  const tw = new TabWriter(DESCRIBE_TABWRITER);
  if (events.length === 0) {
    tw.write('Events:\t<none>\n');
    return tw.take();
  }
  const sorted = [...events].sort((a, b) => lastSeen(a) - lastSeen(b));
  tw.write('Events:\n  Type\tReason\tAge\tFrom\tMessage\n  ----\t------\t----\t----\t-------\n');
  for (const e of sorted) {
    const first = e.eventTime ? since(e.eventTime, now) : since(e.firstTimestamp, now);
    let age = first;
    if (e.series) age = `${since(e.series.lastObservedTime, now)} (x${e.series.count ?? 0} over ${first})`;
    else if ((e.count ?? 0) > 1) age = `${since(e.lastTimestamp, now)} (x${e.count} over ${first})`;
    const from = e.source?.component || e.reportingController || '';
    tw.write(`  ${e.type ?? ''}\t${e.reason ?? ''}\t${age}\t${from}\t${(e.message ?? '').trim()}\n`);
  }
  return tw.take();
}
