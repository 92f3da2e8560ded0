// The scheduler's node filter on knit's one node: a revision's nodeSelector and required node affinity
// against the node's well-known labels (kubernetes pkg/scheduler/framework/plugins/nodeaffinity), so a
// pod that no node would take stays Pending with the scheduler's message instead of running anyway.

import os from 'node:os';
import type { StartError } from '../runtime/instances.ts';

/** What kube-scheduler reports for a pod whose node selector or affinity matches no node (one node here). */
export const NODE_AFFINITY_MISMATCH = "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.";

/** Go's GOARCH names for Node's process.arch, as the kubelet labels `kubernetes.io/arch`. */
const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/** The labels the kubelet puts on its Node (kubernetes pkg/kubelet/kubelet_node_status.go initialNode). */
export function nodeLabels(hostname = os.hostname()): Record<string, string> {
  const arch = GOARCH[process.arch] ?? process.arch;
  return {
    'kubernetes.io/hostname': hostname.toLowerCase(),
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': arch,
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': arch,
  };
}

interface Requirement {
  key?: string;
  operator?: string;
  values?: string[];
}

interface NodeSelectorTerm {
  matchExpressions?: Requirement[];
  matchFields?: Requirement[];
}

/** The pod-spec fields the filter reads (all optional; validation has checked their shapes). */
export interface SchedulingSpec {
  nodeSelector?: Record<string, string>;
  affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] } } };
}

/** One requirement against a label set (kubernetes pkg/apis/core/v1/helper NodeSelectorRequirementsAsSelector). */
function matches(req: Requirement, labels: Record<string, string>): boolean {
  const key = req.key ?? '';
  const has = Object.hasOwn(labels, key);
  const value = has ? labels[key] : undefined;
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In': return has && values.includes(value!);
    case 'NotIn': return !has || !values.includes(value!);
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
    case 'Gt':
    case 'Lt': {
      // One integer value; a label that is not an integer does not match.
      if (!has || values.length !== 1 || !/^-?\d+$/.test(value!) || !/^-?\d+$/.test(values[0])) return false;
      const a = BigInt(value!);
      const b = BigInt(values[0]);
      return req.operator === 'Gt' ? a > b : a < b;
    }
    default: return false;
  }
}

/** A term matches when all its expressions and fields do; an empty term matches nothing (as in Kubernetes). */
function termMatches(term: NodeSelectorTerm, labels: Record<string, string>, fields: Record<string, string>): boolean {
  const exprs = term.matchExpressions ?? [];
  const fs = term.matchFields ?? [];
  if (exprs.length === 0 && fs.length === 0) return false;
  return exprs.every((r) => matches(r, labels)) && fs.every((r) => matches(r, fields));
}

/**
 * Why the node would not take the pod, or undefined when it would. Tolerations need no check (the
 * node has no taints) and preferred terms only rank nodes, so with one node they change nothing.
 */
export function unschedulable(spec: SchedulingSpec, hostname = os.hostname()): StartError | undefined {
  const labels = nodeLabels(hostname);
  const mismatch: StartError = { reason: 'Unschedulable', message: NODE_AFFINITY_MISMATCH };
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) {
    if (labels[k] !== v) return mismatch;
  }
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms !== undefined) {
    const fields = { 'metadata.name': hostname.toLowerCase() };
    if (!terms.some((t) => termMatches(t, labels, fields))) return mismatch;
  }
  return undefined;
}
