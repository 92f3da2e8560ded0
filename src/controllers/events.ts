// Events the reconcilers record (Kubernetes' EventRecorder): the recorder interface, the reporting components, and a bounded in-memory recorder.

import { rfc3339 } from '../api/time.ts';
import type { ObjectMeta } from '../api/types.ts';

export type EventType = 'Normal' | 'Warning';

/** The object an event is about (an event's involvedObject). */
export interface InvolvedObject {
  /** `serving.knative.dev/v1` when absent (the reconcilers' kinds). */
  apiVersion?: string;
  kind: string;
  metadata: ObjectMeta;
}

/** core/v1 EventSource: the component that reports an event, and its host. */
export interface EventSource {
  component: string;
  host?: string;
}

/** Who reports an event (default: the controller of the object's kind, see `controllerComponent`) and which part of the object it is about. */
export interface EventOptions {
  source?: EventSource;
  /** involvedObject.fieldPath, e.g. `spec.containers{user-container}` for a container of a pod. */
  fieldPath?: string;
}

/** client-go tools/record EventRecorder.Eventf, as the reconcilers use it. */
export interface EventRecorder {
  event(object: InvolvedObject, type: EventType, reason: string, message: string, opts?: EventOptions): void;
}

/**
 * The component that reports events about a Knative kind: each controller's event source is its
 * agent name (knative/serving pkg/client/injection/reconciler/serving/v1/service/controller.go
 * defaultControllerAgentName, and likewise for configuration, revision and route).
 */
const CONTROLLER_OF_KIND: Readonly<Record<string, string>> = {
  Service: 'service-controller',
  Configuration: 'configuration-controller',
  Revision: 'revision-controller',
  Route: 'route-controller',
};

/** The reporting component for events about `kind` recorded without an explicit source. */
export function controllerComponent(kind: string): string {
  return CONTROLLER_OF_KIND[kind] ?? `${kind.toLowerCase()}-controller`;
}

/** One recorded event; repeats of the same (object, type, reason, message) bump `count`. */
export interface RecordedEvent {
  namespace: string;
  involvedObject: { kind: string; name: string; uid: string };
  type: EventType;
  reason: string;
  message: string;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
}

/**
 * Keeps the last `capacity` distinct events, folding repeats into one entry with a count and
 * first/last timestamps, as client-go's event correlator does.
 */
export class MemoryEventRecorder implements EventRecorder {
  private readonly capacity: number;
  private readonly now: () => Date;
  /** Insertion order is recency order: a repeat moves its entry to the end. */
  private readonly entries = new Map<string, RecordedEvent>();

  constructor(capacity = 1000, now: () => Date = () => new Date()) {
    this.capacity = capacity;
    this.now = now;
  }

  event(object: InvolvedObject, type: EventType, reason: string, message: string): void {
    const md = object.metadata;
    const id = JSON.stringify([object.kind, md.namespace, md.name, md.uid, type, reason, message]);
    const at = rfc3339(this.now());
    const seen = this.entries.get(id);
    if (seen) {
      this.entries.delete(id);
      seen.count++;
      seen.lastTimestamp = at;
      this.entries.set(id, seen);
      return;
    }
    this.entries.set(id, {
      namespace: md.namespace ?? 'default',
      involvedObject: { kind: object.kind, name: md.name ?? '', uid: md.uid ?? '' },
      type,
      reason,
      message,
      count: 1,
      firstTimestamp: at,
      lastTimestamp: at,
    });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** Oldest first (by last occurrence). */
  list(): RecordedEvent[] {
    return [...this.entries.values()].map((e) => ({ ...e, involvedObject: { ...e.involvedObject } }));
  }
}
