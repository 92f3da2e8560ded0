// Configuration conditions and their typed markers (knative/serving pkg/apis/serving/v1/configuration_lifecycle.go).

import { ConditionSet, Lifecycle, READY } from './conditions.ts';
import type { ConfigurationStatus } from './types.ts';

/** configCondSet: Ready only. */
export const ConfigurationConditions = new ConditionSet([]);

/** The markers the Configuration reconciler sets, with Knative's reasons and messages. */
export class ConfigurationLifecycle extends Lifecycle {
  declare protected readonly status: ConfigurationStatus;

  constructor(status: ConfigurationStatus, now: () => Date) {
    super(ConfigurationConditions, status, now);
  }

  /** SetLatestCreatedRevisionName: a newer revision than the ready one makes Ready Unknown. */
  setLatestCreatedRevisionName(name: string): void {
    this.status.latestCreatedRevisionName = name;
    if (this.status.latestReadyRevisionName !== name) this.m.markUnknown(READY, '', '');
  }

  /** SetLatestReadyRevisionName: Ready once the latest created revision is the ready one. */
  setLatestReadyRevisionName(name: string): void {
    this.status.latestReadyRevisionName = name;
    if (name === this.status.latestCreatedRevisionName) this.m.markTrue(READY);
  }

  /** MarkLatestCreatedFailed. */
  markLatestCreatedFailed(name: string, message: string): void {
    this.m.markFalse(READY, 'RevisionFailed', `Revision "${name}" failed with message: ${message}.`);
  }

  /** MarkRevisionCreationFailed. */
  markRevisionCreationFailed(message: string): void {
    this.m.markFalse(READY, 'RevisionFailed', `Revision creation failed with message: ${message}.`);
  }
}
