// A revision's replica as the Pod the kubelet would report: Knative's labels, the owner ReplicaSet,
// phase, conditions and the user container's status (restarts, state, lastState) from knit's instance.

import { rfc3339 } from '../../api/time.ts';
import type { ObjectMeta, Revision } from '../../api/types.ts';
import type { PodSnapshot } from '../../runtime/instances.ts';
import type { ContainerSnapshot } from '../../runtime/runtime.ts';
import { podName, podTemplateHash } from './names.ts';
import { ownerRef, podSpec, podTemplateMeta, userContainerName, type JsonObject, type KubeCondition, type Projected } from './workload.ts';

/** Where the pod runs: the machine as the node. */
export interface NodeInfo {
  nodeName: string;
  hostIP: string;
}

type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | { terminated: { exitCode: number; reason: string; message?: string; startedAt: string; finishedAt: string; containerID?: string } };

const time = (d: Date | undefined): string | undefined => (d ? rfc3339(d) : undefined);

/** The kubelet's reason for a terminated container (pkg/kubelet/kuberuntime: `Completed` for exit 0, else `Error`). */
export function terminatedReason(exitCode: number): string {
  return exitCode === 0 ? 'Completed' : 'Error';
}

/** The logs' tail the kubelet keeps as terminated.message under FallbackToLogsOnError (knit words its exits "Container failed with: …"). */
function terminationMessage(message: string): string {
  return message.replace(/^Container failed with: /, '');
}

function containerState(p: PodSnapshot, podMeta: ObjectMeta, container: string): ContainerState {
  const containerID = p.instanceId ? `${p.runtime}://${p.instanceId}` : undefined;
  switch (p.state) {
    case 'waiting': {
      // pkg/kubelet/kuberuntime/kuberuntime_manager.go doBackOff: "back-off %s restarting failed container=%s pod=%s".
      const seconds = Math.round((p.backoffMs ?? 0) / 1000);
      return { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${seconds}s restarting failed container=${container} pod=${podMeta.name}_${podMeta.namespace}(${podMeta.uid ?? ''})` } };
    }
    case 'exited': {
      const e = p.lastExit;
      const exitCode = e?.code ?? 0;
      return { terminated: { exitCode, reason: terminatedReason(exitCode), ...(e && exitCode !== 0 ? { message: terminationMessage(e.message) } : {}), startedAt: time(e?.startedAt ?? p.startedAt) ?? '', finishedAt: time(e?.finishedAt) ?? '', ...(containerID ? { containerID } : {}) } };
    }
    default:
      if (p.pid === undefined && p.state === 'starting') return { waiting: { reason: 'ContainerCreating' } };
      return { running: { startedAt: time(p.startedAt) ?? '' } };
  }
}

/**
 * kubernetes pkg/kubelet/kubelet_pods.go getPhase for one container: Pending while it waits to be
 * created, Running once started (a crash-looping container of a restartPolicy Always pod keeps the pod
 * Running), Succeeded or Failed once terminated for good.
 */
export function podPhase(state: ContainerState, restartPolicy: 'Always' | 'OnFailure' | 'Never', hasLastTermination: boolean): 'Pending' | 'Running' | 'Succeeded' | 'Failed' {
  if ('running' in state) return 'Running';
  if ('waiting' in state) return hasLastTermination ? (restartPolicy === 'Always' ? 'Running' : 'Pending') : 'Pending';
  if (restartPolicy === 'Always') return 'Running';
  if (state.terminated.exitCode === 0) return 'Succeeded';
  return restartPolicy === 'Never' ? 'Failed' : 'Running';
}

/** kubernetes pkg/apis/core/v1/helper/qos GetPodQOS for one container. */
export function qosClass(resources: { requests?: Record<string, string>; limits?: Record<string, string> } | undefined): 'BestEffort' | 'Burstable' | 'Guaranteed' {
  const req = resources?.requests ?? {};
  const lim = resources?.limits ?? {};
  if (Object.keys(req).length === 0 && Object.keys(lim).length === 0) return 'BestEffort';
  const guaranteed = ['cpu', 'memory'].every((r) => lim[r] !== undefined && (req[r] === undefined || req[r] === lim[r]));
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** GetPodQOS over every container: Guaranteed only if all are, BestEffort only if none asks for anything. */
function podQosClass(containers: JsonObject[]): 'BestEffort' | 'Burstable' | 'Guaranteed' {
  const classes = containers.map((c) => qosClass(c.resources as { requests?: Record<string, string> }));
  if (classes.every((c) => c === 'BestEffort')) return 'BestEffort';
  return classes.every((c) => c === 'Guaranteed') ? 'Guaranteed' : 'Burstable';
}

/** A sidecar's containerStatus, from its snapshot in the pod. */
function sidecarStatus(c: ContainerSnapshot, p: PodSnapshot, podMeta: ObjectMeta): JsonObject {
  const e = c.lastExit;
  const containerID = p.instanceId ? `${p.runtime}://${p.instanceId}-${c.name}` : undefined;
  let state: ContainerState;
  if (c.state === 'waiting') {
    const seconds = Math.round((c.backoffMs ?? 0) / 1000);
    state = c.backoffMs !== undefined && e
      ? { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${seconds}s restarting failed container=${c.name} pod=${podMeta.name}_${podMeta.namespace}(${podMeta.uid ?? ''})` } }
      : { waiting: { reason: 'ContainerCreating' } };
  } else if (c.state === 'exited') {
    const exitCode = e?.code ?? 0;
    state = { terminated: { exitCode, reason: terminatedReason(exitCode), ...(e && exitCode !== 0 ? { message: terminationMessage(e.message) } : {}), startedAt: time(e?.startedAt) ?? '', finishedAt: time(e?.finishedAt) ?? '' } };
  } else state = { running: { startedAt: time(c.startedAt) ?? '' } };
  const lastState: JsonObject =
    e && c.state !== 'exited'
      ? { terminated: { exitCode: e.code, reason: terminatedReason(e.code), ...(e.code !== 0 ? { message: terminationMessage(e.message) } : {}), startedAt: rfc3339(e.startedAt), finishedAt: rfc3339(e.finishedAt) } }
      : {};
  return {
    name: c.name,
    state,
    lastState,
    ready: c.ready && !p.deletedAt,
    restartCount: c.restartCount,
    image: c.image,
    imageID: c.image,
    ...(containerID && 'running' in state ? { containerID } : {}),
    started: 'running' in state,
  };
}

/**
 * The pod of one replica. `uid` is the stored pod's (the store assigns it on create), used only in the
 * back-off message as the kubelet writes it.
 */
export function buildPod(rev: Revision, replicaSet: ObjectMeta, p: PodSnapshot, node: NodeInfo, uid?: string): Projected {
  const name = podName(rev.metadata.name ?? '', podTemplateHash(rev.metadata.uid ?? ''), p.podId);
  const tmpl = podTemplateMeta(rev);
  const spec = podSpec(rev);
  const container = userContainerName(rev);
  const metadata: ObjectMeta = {
    name,
    generateName: `${replicaSet.name}-`,
    namespace: rev.metadata.namespace,
    labels: tmpl.labels,
    annotations: tmpl.annotations,
    ownerReferences: [ownerRef('apps/v1', 'ReplicaSet', replicaSet)],
  };
  if (p.deletedAt) {
    const grace = Number(spec.terminationGracePeriodSeconds);
    metadata.deletionTimestamp = rfc3339(new Date(p.deletedAt.getTime() + grace * 1000));
    (metadata as ObjectMeta & { deletionGracePeriodSeconds?: number }).deletionGracePeriodSeconds = grace;
  }
  const state = containerState(p, { ...metadata, uid }, container);
  const ready = p.state === 'ready' && !p.deletedAt;
  const sidecarStatuses = (p.sidecars ?? []).map((c) => sidecarStatus(c, p, { ...metadata, uid }));
  // The serving container is ready when the pod is, or, in a pod with sidecars, when its own probe passes
  // while a sidecar is not ready (knit's instance state is the pod's).
  const servingReady = ready || (p.sidecars !== undefined && p.state === 'starting' && p.servingReady === true && !p.deletedAt);
  const unready = [...(servingReady ? [] : [container]), ...sidecarStatuses.filter((c) => !c.ready).map((c) => String(c.name))].sort();
  const started = 'running' in state;
  const created = rfc3339(p.createdAt);
  const readyTime = time(p.readyChangedAt ?? p.lastExit?.finishedAt) ?? created;
  const notReady = { reason: 'ContainersNotReady', message: `containers with unready status: [${(unready.length > 0 ? unready : [container]).join(' ')}]` };
  const conditions: KubeCondition[] = [
    { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: created },
    ready
      ? { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: readyTime }
      : { type: 'Ready', status: 'False', lastProbeTime: null, lastTransitionTime: readyTime, ...notReady },
    ready
      ? { type: 'ContainersReady', status: 'True', lastProbeTime: null, lastTransitionTime: readyTime }
      : { type: 'ContainersReady', status: 'False', lastProbeTime: null, lastTransitionTime: readyTime, ...notReady },
    { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: created },
  ];
  const e = p.lastExit;
  // The previous instance's exit, as the kubelet keeps the last termination of a restarted container.
  const lastState: JsonObject =
    e && p.state !== 'exited'
      ? { terminated: { exitCode: e.code, reason: terminatedReason(e.code), ...(e.code !== 0 ? { message: terminationMessage(e.message) } : {}), startedAt: rfc3339(e.startedAt), finishedAt: rfc3339(e.finishedAt) } }
      : {};
  const servingSpec = (spec.containers as JsonObject[]).find((c) => c.name === container) ?? (spec.containers as JsonObject[])[0];
  const image = String(servingSpec.image ?? '');
  const containerStatus: JsonObject = {
    name: container,
    state,
    lastState,
    ready: servingReady,
    restartCount: p.restartCount,
    image,
    imageID: p.instanceId || e ? image : '',
    ...(p.instanceId && p.pid !== undefined ? { containerID: `${p.runtime}://${p.instanceId}` } : {}),
    started,
  };
  const podIP = p.pid !== undefined || p.state !== 'starting' ? p.host : undefined;
  const status: JsonObject = {
    phase: podPhase(state, 'Always', 'terminated' in lastState),
    conditions,
    hostIP: node.hostIP,
    hostIPs: [{ ip: node.hostIP }],
    ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
    startTime: created,
    // The kubelet lists container statuses sorted by name (pkg/kubelet/types SortedContainerStatuses).
    containerStatuses: [containerStatus, ...sidecarStatuses].sort((a, b) => (String(a.name) < String(b.name) ? -1 : String(a.name) > String(b.name) ? 1 : 0)),
    qosClass: podQosClass(spec.containers as JsonObject[]),
  };
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: { ...spec, nodeName: node.nodeName }, status };
}
