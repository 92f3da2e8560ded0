// Table test of the Revision reconciler (as knative/serving pkg/reconciler/revision/revision_test.go),
// with scripted instance-manager and autoscaler ports standing in for the Deployment and the PodAutoscaler.

import assert from 'node:assert/strict';
import { reconcileKey } from '../../src/controllers/kit.ts';
import { RevisionReconciler } from '../../src/controllers/revision.ts';
import type { Instances, Scaler } from '../../src/controllers/context.ts';
import type { AutoscalerState, RevisionScaling } from '../../src/autoscaler/kpa.ts';
import type { Workload, WorkloadStatus } from '../../src/runtime/instances.ts';
import { RuntimeError } from '../../src/runtime/runtime.ts';
import { EARLIER, NOW_S, cond, runTable, type Row, type TableEnv } from './table.ts';
import { revision } from './objects.ts';

const KEY = 'default/foo-00001';
const DIGEST = 'ko://app@sha256:0123';

interface RevisionRow extends Row {
  /** The revision's instances are already running with this status (else none are). */
  running?: Partial<WorkloadStatus>;
  /** What resolving the image gives (a digest, or an error); the row then reconciles again. */
  resolves?: { digest?: string; error?: Error };
  /** The autoscaler's state for the revision. */
  pa?: Partial<AutoscalerState>;
  /** Checks on what the reconciler asked of the ports. */
  wantScaling?: Partial<RevisionScaling>;
  wantWorkloadImage?: string;
  wantRemoved?: boolean;
}

const STARTING: WorkloadStatus = {
  desired: 1,
  ready: 0,
  starting: 1,
  everReady: false,
  lastFailure: undefined,
  failing: false,
  deadlineExceeded: false,
  firstReadyMs: undefined,
};

/** The instance manager, scripted by the row. */
class ScriptedInstances implements Instances {
  readonly ensured: Workload[] = [];
  readonly removed: string[] = [];
  private readonly row: RevisionRow;
  private requeued: (() => void) | undefined;
  readonly requeue = new Promise<void>((r) => (this.requeued = r));
  onChange = (_key: string): void => {};
  onActivate = (_key: string): void => {};
  constructor(row: RevisionRow) {
    this.row = row;
  }
  wake(): void {
    this.requeued?.();
  }
  has(): boolean {
    return this.row.running !== undefined || this.ensured.length > 0;
  }
  ensure(w: Workload): void {
    this.ensured.push(w);
  }
  status(): WorkloadStatus {
    return { ...STARTING, ...this.row.running };
  }
  async remove(key: string): Promise<void> {
    this.removed.push(key);
  }
  runtimeFor(): { resolveDigest(image: string): Promise<string | undefined> } {
    const r = this.row.resolves;
    return {
      resolveDigest: async () => {
        if (r?.error) throw r.error;
        return r?.digest;
      },
    };
  }
}

/** The autoscaler, scripted by the row. */
class ScriptedScaler implements Scaler {
  readonly inputs: RevisionScaling[] = [];
  readonly removed: string[] = [];
  private readonly row: RevisionRow;
  onChange = (_key: string): void => {};
  constructor(row: RevisionRow) {
    this.row = row;
  }
  start(): void {}
  stop(): void {}
  poke(): void {}
  readyChanged(): void {}
  ensure(_key: string, input: RevisionScaling): void {
    this.inputs.push(input);
  }
  remove(key: string): void {
    this.removed.push(key);
  }
  state(): AutoscalerState {
    return { scale: 1, desiredScale: -1, active: 'Activating', reason: undefined, scaleTargetInitialized: false, ...this.row.pa };
  }
}

const ports = new WeakMap<RevisionRow, { instances: ScriptedInstances; autoscaler: ScriptedScaler }>();
function portsFor(row: RevisionRow): { instances: ScriptedInstances; autoscaler: ScriptedScaler } {
  let p = ports.get(row);
  if (!p) {
    p = { instances: new ScriptedInstances(row), autoscaler: new ScriptedScaler(row) };
    ports.set(row, p);
  }
  return p;
}

const ACTIVATING = cond('Active', 'Unknown', 'Queued', 'Requests to the target are being buffered as resources are provisioned.', { info: true });
const readyStatus = (at: string) => ({
  observedGeneration: 1,
  conditions: [
    cond('Active', 'True', undefined, undefined, { at, info: true }),
    cond('ContainerHealthy', 'True', undefined, undefined, { at }),
    cond('Ready', 'True', undefined, undefined, { at }),
    cond('ResourcesAvailable', 'True', undefined, undefined, { at }),
  ],
  actualReplicas: 1,
  desiredReplicas: 1,
});
const EXIT = { code: 1, beforeReady: true, requested: false, reason: 'ExitCode1', message: 'Container failed with: boom' };

const rows: RevisionRow[] = [
  {
    name: 'a gone revision releases its autoscaler state and instances',
    key: KEY,
    wantRemoved: true,
  },
  {
    name: 'the first look resolves the image digest in the background: ResourcesAvailable Unknown ResolvingDigests',
    objects: [revision('foo', 1)],
    key: KEY,
    wantStatus: {
      observedGeneration: 1,
      conditions: [cond('ContainerHealthy', 'Unknown'), cond('Ready', 'Unknown', 'ResolvingDigests'), cond('ResourcesAvailable', 'Unknown', 'ResolvingDigests')],
    },
  },
  {
    name: 'a resolved digest is pinned: instances start on it and the revision is Deploying',
    objects: [revision('foo', 1)],
    key: KEY,
    resolves: { digest: DIGEST },
    wantWorkloadImage: DIGEST,
    wantStatusWrites: 2,
    wantStatus: {
      observedGeneration: 1,
      conditions: [ACTIVATING, cond('ContainerHealthy', 'Unknown', 'Deploying'), cond('Ready', 'Unknown', 'Deploying'), cond('ResourcesAvailable', 'Unknown', 'Deploying')],
      containerStatuses: [{ name: 'user-container', imageDigest: DIGEST }],
      actualReplicas: 0,
      desiredReplicas: 1,
    },
  },
  {
    name: 'an image that cannot be fetched: ContainerHealthy False ContainerMissing',
    objects: [revision('foo', 1)],
    key: KEY,
    resolves: { error: new RuntimeError('ContainerMissing', 'Unable to fetch image "ko://app": no such directory') },
    wantStatusWrites: 2,
    wantStatus: {
      observedGeneration: 1,
      conditions: [
        cond('ContainerHealthy', 'False', 'ContainerMissing', 'Unable to fetch image "ko://app": no such directory'),
        cond('Ready', 'False', 'ContainerMissing', 'Unable to fetch image "ko://app": no such directory'),
        cond('ResourcesAvailable', 'Unknown', 'ResolvingDigests'),
      ],
    },
  },
  {
    name: 'any other resolution error is reported as ContainerMissing too',
    objects: [revision('foo', 1)],
    key: KEY,
    resolves: { error: new Error('registry said no') },
    wantStatusWrites: 2,
    wantStatus: {
      observedGeneration: 1,
      conditions: [cond('ContainerHealthy', 'False', 'ContainerMissing', 'registry said no'), cond('Ready', 'False', 'ContainerMissing', 'registry said no'), cond('ResourcesAvailable', 'Unknown', 'ResolvingDigests')],
    },
  },
  {
    name: 'a ready instance: ContainerHealthy, ResourcesAvailable, Active and Ready True',
    objects: [revision('foo', 1)],
    key: KEY,
    running: { ready: 1, everReady: true },
    pa: { active: 'Active', desiredScale: 1 },
    wantStatus: { ...readyStatus(NOW_S) },
  },
  {
    name: 'steady state: an unchanged status is not written',
    objects: [revision('foo', 1, { status: { ...readyStatus(EARLIER) } })],
    key: KEY,
    running: { ready: 1, everReady: true },
    pa: { active: 'Active', desiredScale: 1 },
  },
  {
    name: 'the decided scale becomes desiredReplicas',
    objects: [revision('foo', 1, { status: { ...readyStatus(EARLIER) } })],
    key: KEY,
    running: { ready: 1, everReady: true, desired: 3 },
    pa: { active: 'Active', desiredScale: 3, scale: 3 },
    wantStatus: { ...readyStatus(EARLIER), desiredReplicas: 3 },
  },
  {
    name: 'an instance that exits before it is ready: ContainerHealthy False ExitCode1',
    objects: [revision('foo', 1)],
    key: KEY,
    running: { lastFailure: EXIT, failing: true },
    wantStatus: {
      observedGeneration: 1,
      conditions: [
        ACTIVATING,
        cond('ContainerHealthy', 'False', 'ExitCode1', 'Container failed with: boom'),
        cond('Ready', 'False', 'ExitCode1', 'Container failed with: boom'),
        cond('ResourcesAvailable', 'Unknown', 'Deploying'),
      ],
      actualReplicas: 0,
      desiredReplicas: 1,
    },
    wantScaling: { reachable: false },
  },
  {
    name: 'no instance ready within the progress deadline: ResourcesAvailable False ProgressDeadlineExceeded',
    objects: [revision('foo', 1)],
    key: KEY,
    running: { deadlineExceeded: true },
    wantStatus: {
      observedGeneration: 1,
      conditions: [
        ACTIVATING,
        cond('ContainerHealthy', 'Unknown', 'Deploying'),
        cond('Ready', 'False', 'ProgressDeadlineExceeded', 'Initial scale was never achieved'),
        cond('ResourcesAvailable', 'False', 'ProgressDeadlineExceeded', 'Initial scale was never achieved'),
      ],
      actualReplicas: 0,
      desiredReplicas: 1,
    },
  },
  {
    name: 'a pod no GPU is free for: ResourcesAvailable False Unschedulable with the scheduler\'s message, at once',
    objects: [revision('foo', 1)],
    key: KEY,
    running: { starting: 0, unschedulable: { reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.' } },
    wantStatus: {
      observedGeneration: 1,
      conditions: [
        ACTIVATING,
        cond('ContainerHealthy', 'Unknown', 'Deploying'),
        cond('Ready', 'False', 'Unschedulable', '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.'),
        cond('ResourcesAvailable', 'False', 'Unschedulable', '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.'),
      ],
      actualReplicas: 0,
      desiredReplicas: 1,
    },
  },
  {
    name: 'unschedulable after the deadline too: the scheduler\'s reason wins over ProgressDeadlineExceeded',
    objects: [revision('foo', 1)],
    key: KEY,
    running: { starting: 0, deadlineExceeded: true, unschedulable: { reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.' } },
    wantStatus: {
      observedGeneration: 1,
      conditions: [
        ACTIVATING,
        cond('ContainerHealthy', 'Unknown', 'Deploying'),
        cond('Ready', 'False', 'Unschedulable', '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.'),
        cond('ResourcesAvailable', 'False', 'Unschedulable', '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.'),
      ],
      actualReplicas: 0,
      desiredReplicas: 1,
    },
  },
  {
    name: 'an OOM-killed container: ContainerHealthy False ExitCode137, Knative\'s "Container failed with:" message',
    objects: [revision('foo', 1)],
    key: KEY,
    running: { lastFailure: { code: 137, beforeReady: true, requested: false, reason: 'ExitCode137', message: 'Container failed with: OOMKilled', terminationReason: 'OOMKilled' }, failing: true },
    wantStatus: {
      observedGeneration: 1,
      conditions: [
        ACTIVATING,
        cond('ContainerHealthy', 'False', 'ExitCode137', 'Container failed with: OOMKilled'),
        cond('Ready', 'False', 'ExitCode137', 'Container failed with: OOMKilled'),
        cond('ResourcesAvailable', 'Unknown', 'Deploying'),
      ],
      actualReplicas: 0,
      desiredReplicas: 1,
    },
  },
  {
    name: 'crashing past the deadline: both conditions False, Ready takes the later one',
    objects: [revision('foo', 1)],
    key: KEY,
    running: { lastFailure: EXIT, failing: true, deadlineExceeded: true },
    wantStatus: {
      observedGeneration: 1,
      conditions: [
        ACTIVATING,
        cond('ContainerHealthy', 'False', 'ExitCode1', 'Container failed with: boom'),
        cond('Ready', 'False', 'ProgressDeadlineExceeded', 'Initial scale was never achieved'),
        cond('ResourcesAvailable', 'False', 'ProgressDeadlineExceeded', 'Initial scale was never achieved'),
      ],
      actualReplicas: 0,
      desiredReplicas: 1,
    },
  },
  {
    name: 'a crash after having been ready keeps ResourcesAvailable and fails ContainerHealthy',
    objects: [revision('foo', 1, { status: { ...readyStatus(EARLIER) } })],
    key: KEY,
    running: { everReady: true, lastFailure: { ...EXIT, beforeReady: false }, failing: true },
    pa: { active: 'Active', scaleTargetInitialized: true },
    wantStatus: {
      observedGeneration: 1,
      conditions: [
        cond('Active', 'Unknown', 'Queued', 'Requests to the target are being buffered as resources are provisioned.', { info: true }),
        cond('ContainerHealthy', 'False', 'ExitCode1', 'Container failed with: boom'),
        cond('Ready', 'False', 'ExitCode1', 'Container failed with: boom'),
        cond('ResourcesAvailable', 'True', undefined, undefined, { at: EARLIER }),
      ],
      actualReplicas: 0,
      desiredReplicas: 1,
    },
  },
  {
    name: 'scaled to zero after being ready: Active False NoTraffic, still Ready',
    objects: [revision('foo', 1, { status: { ...readyStatus(EARLIER) } })],
    key: KEY,
    running: { desired: 0, starting: 0, everReady: true },
    pa: { active: 'Inactive', reason: 'NoTraffic', scale: 0, desiredScale: 0, scaleTargetInitialized: true },
    wantStatus: {
      ...readyStatus(EARLIER),
      conditions: [cond('Active', 'False', 'NoTraffic', 'The target is not receiving traffic.', { info: true }), ...readyStatus(EARLIER).conditions.slice(1)],
      actualReplicas: 0,
      desiredReplicas: 0,
    },
  },
  {
    name: 'activation timed out: Active False TimedOut',
    objects: [revision('foo', 1, { status: { ...readyStatus(EARLIER) } })],
    key: KEY,
    running: { desired: 0, starting: 0, everReady: true },
    pa: { active: 'Inactive', reason: 'TimedOut', scale: 0, desiredScale: 0, scaleTargetInitialized: true },
    wantStatus: {
      ...readyStatus(EARLIER),
      conditions: [cond('Active', 'False', 'TimedOut', 'The target could not be activated.', { info: true }), ...readyStatus(EARLIER).conditions.slice(1)],
      actualReplicas: 0,
      desiredReplicas: 0,
    },
  },
  {
    name: 'initial scale 0: Ready once the autoscaler reached its scale target, with no instance',
    objects: [revision('foo', 1)],
    key: KEY,
    running: { desired: 0, starting: 0 },
    pa: { active: 'Inactive', reason: 'NoTraffic', scale: 0, desiredScale: 0, scaleTargetInitialized: true },
    wantStatus: {
      observedGeneration: 1,
      conditions: [
        cond('Active', 'False', 'NoTraffic', 'The target is not receiving traffic.', { info: true }),
        cond('ContainerHealthy', 'True'),
        cond('Ready', 'True'),
        cond('ResourcesAvailable', 'True'),
      ],
      actualReplicas: 0,
      desiredReplicas: 0,
    },
  },
  {
    name: 'a reserve revision is unreachable for the autoscaler',
    objects: [revision('foo', 1, { routingState: 'reserve', status: { ...readyStatus(EARLIER) } })],
    key: KEY,
    running: { ready: 1, everReady: true },
    pa: { active: 'Active', desiredScale: 1 },
    wantScaling: { reachable: false },
  },
  {
    name: 'the progress-deadline annotation and container concurrency reach the autoscaler',
    objects: [
      revision('foo', 1, {
        annotations: { 'serving.knative.dev/progress-deadline': '30s' },
        spec: { containerConcurrency: 4, containers: [{ image: 'ko://app', resources: { requests: { cpu: '500m' } } }] },
        status: { ...readyStatus(EARLIER) },
      }),
    ],
    key: KEY,
    running: { ready: 1, everReady: true },
    pa: { active: 'Active', desiredScale: 1 },
    wantScaling: { reachable: true, progressDeadlineSeconds: 30, containerConcurrency: 4, cpuRequestCores: 0.5 },
  },
  {
    name: 'an unobserved generation: NewObservedGenFailure is replaced by the real state',
    objects: [revision('foo', 1, { status: { ...readyStatus(EARLIER), observedGeneration: 0 } })],
    key: KEY,
    running: { ready: 1, everReady: true },
    pa: { active: 'Active', desiredScale: 1 },
    wantStatus: {
      ...readyStatus(EARLIER),
      // Ready went Unknown (NewObservedGenFailure) and back to True: a new transition.
      conditions: [cond('Active', 'True', undefined, undefined, { at: EARLIER, info: true }), cond('ContainerHealthy', 'True', undefined, undefined, { at: EARLIER }), cond('Ready', 'True'), cond('ResourcesAvailable', 'True', undefined, undefined, { at: EARLIER })],
    },
  },
];

async function run({ ctx }: TableEnv, row: RevisionRow): Promise<number | undefined> {
  const { instances } = portsFor(row);
  const reconciler = new RevisionReconciler(() => instances.wake());
  const first = reconcileKey(ctx, reconciler, row.key);
  if (!row.resolves) return first;
  // The digest resolves in the background and requeues the key: reconcile again.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error('the key was not requeued within 5 s')), 5000)));
  try {
    await Promise.race([instances.requeue, deadline]);
  } finally {
    clearTimeout(timer);
  }
  return reconcileKey(ctx, reconciler, row.key);
}

runTable('revision', rows, run, {
  ports: (row) => portsFor(row),
  check: (_env, row) => {
    const { instances, autoscaler } = portsFor(row);
    if (row.wantWorkloadImage !== undefined) {
      assert.equal(instances.ensured.length, 1, 'one workload ensured');
      assert.equal(instances.ensured[0].template.image, row.wantWorkloadImage);
      assert.equal(instances.ensured[0].template.env.K_REVISION, 'foo-00001');
      assert.equal(instances.ensured[0].template.env.K_CONFIGURATION, 'foo');
    } else {
      assert.equal(instances.ensured.length, 0, 'no workload ensured');
    }
    if (row.wantScaling) {
      assert.equal(autoscaler.inputs.length, 1);
      for (const [k, v] of Object.entries(row.wantScaling)) assert.deepEqual(autoscaler.inputs[0][k as keyof RevisionScaling], v, k);
    }
    assert.deepEqual(instances.removed, row.wantRemoved ? [KEY] : []);
    assert.deepEqual(autoscaler.removed, row.wantRemoved ? [KEY] : []);
  },
});
