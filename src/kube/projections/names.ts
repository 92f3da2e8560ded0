// Names and stable identifiers of the Kubernetes objects knit projects: Deployment, ReplicaSet and Pod
// names, the pod-template-hash, and the cluster IPs knit reports for Services.

import { createHash } from 'node:crypto';
import { childName } from '../../api/child-name.ts';

/** knative/serving pkg/reconciler/revision/resources/names/names.go Deployment: `<revision>-deployment`. */
export function deploymentName(revision: string): string {
  return childName(revision, '-deployment');
}

/** The ReplicaSet the deployment controller names `<deployment>-<pod-template-hash>`. */
export function replicaSetName(revision: string, templateHash: string): string {
  return `${deploymentName(revision)}-${templateHash}`;
}

/** A pod the ReplicaSet controller names with generateName `<replicaset>-` and 5 random characters. */
export function podName(revision: string, templateHash: string, podId: string): string {
  return `${replicaSetName(revision, templateHash)}-${podId}`;
}

/** k8s.io/apimachinery pkg/util/rand rand.go alphanums: no vowels, no confusable characters. */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** k8s.io/apimachinery pkg/util/rand rand.go SafeEncodeString. */
function safeEncodeString(s: string): string {
  let out = '';
  for (const ch of s) out += ALPHANUMS[(ch.codePointAt(0) ?? 0) % ALPHANUMS.length];
  return out;
}

/** 32-bit FNV-1a, the hash kubernetes pkg/controller/controller_utils.go ComputeHash uses. */
function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * The pod-template-hash label: kubernetes pkg/controller/controller_utils.go ComputeHash encodes the
 * FNV-1a hash of the pod template with SafeEncodeString; a revision's template never changes, so knit
 * hashes the revision's uid, which is stable for the revision's life and differs between revisions.
 */
export function podTemplateHash(revisionUid: string): string {
  return safeEncodeString(String(fnv32a(revisionUid)));
}

/**
 * A stable, unroutable ClusterIP for a projected Service: an address in 10.96.0.0/12 (kube-apiserver's
 * default `--service-cluster-ip-range`) derived from the service's namespace and name, avoiding the
 * first 16 addresses (`kubernetes` and `kube-dns` take 10.96.0.1 and 10.96.0.10 on a cluster).
 * See docs/differences.md "Services".
 */
export function clusterIP(namespace: string, name: string): string {
  const h = createHash('sha256').update(`${namespace}/${name}`).digest().readUInt32BE(0);
  const offset = 16 + (h % (2 ** 20 - 32));
  return `10.${96 + (offset >>> 16)}.${(offset >>> 8) & 255}.${offset & 255}`;
}
