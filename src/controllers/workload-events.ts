// The events a cluster's deployment and replicaset controllers and kubelet record about a revision's pods, from knit's autoscaler, instances and projected pods: scaling (to and from zero), pods created and deleted, container crashes.

import os from 'node:os';
import { childName } from '../api/child-name.ts';
import { LABEL, type ObjectMeta, type Revision } from '../api/types.ts';
import type { Store, StoredObject, WatchEventType } from '../store/store.ts';
import type { InstanceExit } from '../runtime/runtime.ts';
import type { EventRecorder, InvolvedObject } from './events.ts';
import { splitKey } from './names.ts';

/** What is read about a revision's scale and instances (the autoscaler's and instance manager's views). */
export interface WorkloadView {
  /** The replicas the revision is asked to run, or undefined once it is gone. */
  scale(key: string): number | undefined;
  /** The last unrequested exit of one of its instances. */
  lastFailure(key: string): InstanceExit | undefined;
}

/** The store keys of the objects the events are about (src/kube/registry.ts storageKeyOf). */
const DEPLOYMENTS = 'apps.deployments';
const REPLICASETS = 'apps.replicasets';
const PODS = 'core.pods';

/** knative/serving pkg/reconciler/revision/resources/names/names.go Deployment: `<revision>-deployment`, shortened as kmeta.ChildName does. */
export function deploymentName(revision: string): string {
  return childName(revision, '-deployment');
}

function asInvolved(o: StoredObject): InvolvedObject {
  return { apiVersion: o.apiVersion, kind: o.kind, metadata: o.metadata };
}

function controlledBy(meta: ObjectMeta, uid: string | undefined): boolean {
  return !!uid && !!meta.ownerReferences?.some((r) => r.controller && r.uid === uid);
}

/**
 * Records, for each revision, what `kubectl describe` shows on a cluster:
 * - `ScalingReplicaSet` "Scaled up|down replica set RS from N to M" by the deployment-controller
 *   on the revision's Deployment (kubernetes pkg/controller/deployment sync.go scaleReplicaSet and
 *   getNewReplicaSet's "from 0 to N") whenever the autoscaler changes the scale — this is how
 *   scaling from and to zero shows;
 * - `SuccessfulCreate` "Created pod: P" and `SuccessfulDelete` "Deleted pod: P" by the
 *   replicaset-controller on the pod's ReplicaSet (kubernetes pkg/controller/controller_utils.go
 *   RealPodControl createPods and DeletePod) as pods appear in and leave the store;
 * - `BackOff` "Back-off restarting failed container C in pod P" by the kubelet on the pod
 *   (kubernetes pkg/kubelet/kuberuntime kuberuntime_manager.go doBackOff) for every crash of an instance.
 * The Deployment and pods are knit's projections in the store; while one is not there, the
 * event is about the Revision instead.
 */
export class WorkloadEvents {
  private readonly store: Store;
  private readonly events: EventRecorder;
  private readonly view: WorkloadView;
  private readonly host: string;
  private readonly scales = new Map<string, number>();
  private readonly failures = new Map<string, InstanceExit>();

  constructor(store: Store, events: EventRecorder, view: WorkloadView, host: string = os.hostname()) {
    this.store = store;
    this.events = events;
    this.view = view;
    this.host = host;
  }

  /** Looks at one revision (`namespace/name`) after its scale or instances may have changed. */
  observe(key: string): void {
    const scale = this.view.scale(key);
    if (scale === undefined) {
      this.scales.delete(key);
      this.failures.delete(key);
      return;
    }
    const before = this.scales.get(key) ?? 0;
    this.scales.set(key, scale);
    if (scale !== before) this.scaled(key, before, scale);
    const failure = this.view.lastFailure(key);
    if (failure && failure !== this.failures.get(key)) {
      this.failures.set(key, failure);
      if (!failure.requested) this.crashed(key);
    }
  }

  /** A pod was stored or deleted (a store watch event of `core.pods`). */
  podChanged(type: WatchEventType, pod: StoredObject): void {
    if (type === 'MODIFIED') return;
    const ns = pod.metadata.namespace ?? 'default';
    const owner = pod.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'ReplicaSet');
    if (!owner) return;
    const rs = this.store.get(REPLICASETS, ns, owner.name);
    if (!rs || rs.metadata.uid !== owner.uid) return;
    const [reason, verb] = type === 'ADDED' ? ['SuccessfulCreate', 'Created'] : ['SuccessfulDelete', 'Deleted'];
    this.events.event(asInvolved(rs), 'Normal', reason, `${verb} pod: ${pod.metadata.name}`, { source: { component: 'replicaset-controller' } });
  }

  private revision(key: string): Revision | undefined {
    const [ns, name] = splitKey(key);
    return this.store.get<Revision>('revisions', ns, name);
  }

  private scaled(key: string, from: number, to: number): void {
    const [ns, name] = splitKey(key);
    const deployment = this.store.get(DEPLOYMENTS, ns, deploymentName(name));
    const about = deployment ?? this.revision(key);
    if (!about) return;
    let rs: string | undefined;
    if (deployment) this.store.scan(REPLICASETS, ns, (r) => {
      if (!rs && controlledBy(r.metadata, deployment.metadata.uid)) rs = r.metadata.name;
    });
    const verb = to > from ? 'up' : 'down';
    this.events.event(asInvolved(about), 'Normal', 'ScalingReplicaSet', `Scaled ${verb} replica set ${rs ?? deploymentName(name)} from ${from} to ${to}`, {
      source: { component: 'deployment-controller' },
    });
  }

  private crashed(key: string): void {
    const [ns, name] = splitKey(key);
    const rev = this.revision(key);
    if (!rev) return;
    const cs = rev.spec.containers;
    const container = (cs.find((c) => (c.ports?.length ?? 0) > 0) ?? cs[0])?.name || 'user-container';
    // The newest pod of the revision: the one that replaces the crashed instance, or the crashed one.
    let pod: StoredObject | undefined;
    this.store.scan(PODS, ns, (p) => {
      if (p.metadata.labels?.[LABEL.revision] !== name) return;
      if (!pod || (p.metadata.creationTimestamp ?? '') >= (pod.metadata.creationTimestamp ?? '')) pod = p;
    });
    if (pod) {
      const copy = structuredClone(pod);
      const node = (copy.spec as { nodeName?: string } | undefined)?.nodeName || this.host;
      this.events.event(asInvolved(copy), 'Warning', 'BackOff', `Back-off restarting failed container ${container} in pod ${copy.metadata.name}_${ns}(${copy.metadata.uid})`, {
        source: { component: 'kubelet', host: node },
        fieldPath: `spec.containers{${container}}`,
      });
    } else {
      this.events.event(asInvolved(rev), 'Warning', 'BackOff', `Back-off restarting failed container ${container} of revision ${name}`, {
        source: { component: 'kubelet', host: this.host },
      });
    }
  }
}
