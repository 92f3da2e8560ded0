// DomainMapping reconciler: claims the domain, resolves spec.ref to a cluster-local host and maps the domain to it
// on the gateway (knative/serving pkg/reconciler/domainmapping/reconciler.go ReconcileKind and FinalizeKind).

import {
  CLUSTER_DOMAIN_CLAIM_API_VERSION, CLUSTER_DOMAIN_CLAIMS, DomainMappingLifecycle, EXTERNAL_DOMAIN_TLS_NOT_ENABLED, TLS_CERTIFICATE_PROVIDED_EXTERNALLY,
  type ClusterDomainClaim, type DomainMapping, type KReference,
} from '../api/domainmapping-lifecycle.ts';
import { LABEL } from '../api/types.ts';
import { guessResource } from '../kube/names.ts';
import { registry } from '../kube/registry.ts';
import type { MappedTLS } from '../dataplane/routing.ts';
import type { ServingCertificate } from '../dataplane/https.ts';
import type { Store, StoredObject } from '../store/store.ts';
import type { ControllerContext } from './context.ts';
import type { Observed, Reconciler } from './kit.ts';
import { splitKey } from './names.ts';

/** A reconcile step that failed: the condition is marked, and the message is the generated reconciler's InternalError event. */
class Failed extends Error {
  override name = 'Failed';
}

/** KReference.String() (knative/pkg apis/duck/v1 knative_reference.go). */
function refString(r: KReference): string {
  return `Kind = ${r.kind}, Namespace = ${r.namespace ?? ''}, Name = ${r.name}, APIVersion = ${r.apiVersion ?? ''}, Group = ${r.group ?? ''}, Address = ${r.address ?? ''}`;
}

/**
 * knative/pkg resolver/addressable_resolver.go URIFromKReference for the kinds knit stores: the object must exist,
 * a core/v1 Service resolves to its cluster DNS name, anything else to its (first) status address.
 */
function resolveURI(ctx: ControllerContext, ref: KReference): { url: URL; raw: string } {
  const apiVersion = ref.apiVersion ?? '';
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  const resource = guessResource(ref.kind);
  const kind = registry.byResource(group, version, resource);
  const gvr = `${group ? `${group}/` : ''}${version}, Resource=${resource}`;
  if (!kind || !kind.namespaced) throw new Failed(`failed to get lister for ${gvr}: knit does not serve ${ref.kind} in ${apiVersion}`);
  const ns = ref.namespace ?? '';
  const obj = ctx.store.get<StoredObject & { status?: { address?: { url?: string }; addresses?: { name?: string; url?: string }[] } }>(kind.storageKey, ns, ref.name);
  if (!obj) throw new Failed(`failed to get object ${ns}/${ref.name}: ${kind.qualifiedResource} "${ref.name}" not found`);
  if (group === '' && kind.kind === 'Service') {
    // A core/v1 Service only reaches a revision through a Route's host; knit's gateway has no per-Service entry.
    if (!obj.metadata.labels?.[LABEL.route]) {
      throw new Failed(`knit maps a domain to a Knative Service, a Route or a Route's Kubernetes Service; Service "${ref.name}" belongs to no Route`);
    }
    const raw = `http://${ref.name}.${ns}.svc.${ctx.settings.clusterDomain}`;
    return { url: new URL(raw), raw };
  }
  const addresses = obj.status?.addresses ?? [];
  const address = obj.status?.address;
  if (addresses.length === 0 && !address) throw new Failed(`address not set for ${refString(ref)}`);
  let url: string | undefined;
  if (ref.address) {
    const named = addresses.find((a) => a.name === ref.address);
    if (!named) throw new Failed(`address with name ${JSON.stringify(ref.address)} not found for ${refString(ref)}`);
    url = named.url;
  } else {
    url = addresses.length > 0 ? addresses[0].url : address?.url;
  }
  if (!url) throw new Failed(`URL missing in address of ${refString(ref)}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Failed(`hostname missing in address of ${refString(ref)}`);
  }
  if (parsed.hostname === '') throw new Failed(`hostname missing in address of ${refString(ref)}`);
  return { url: parsed, raw: url };
}

/** reconcileDomainClaim: the cluster-wide claim on the name must be (or become) this namespace's. */
function reconcileDomainClaim(ctx: ControllerContext, dm: DomainMapping, lifecycle: DomainMappingLifecycle): void {
  const name = dm.metadata.name ?? '';
  const ns = dm.metadata.namespace ?? 'default';
  const claim = ctx.store.get<ClusterDomainClaim>(CLUSTER_DOMAIN_CLAIMS, '', name);
  if (!claim) {
    if (!ctx.settings.autocreateClusterDomainClaims) {
      lifecycle.markDomainClaimNotOwned();
      throw new Failed(`no ClusterDomainClaim found for domain ${JSON.stringify(name)} (and autocreate-cluster-domain-claims property is not true)`);
    }
    try {
      // resources.MakeDomainClaim: named after the mapping, delegating the name to its namespace.
      ctx.store.create<ClusterDomainClaim>(CLUSTER_DOMAIN_CLAIMS, {
        apiVersion: CLUSTER_DOMAIN_CLAIM_API_VERSION,
        kind: 'ClusterDomainClaim',
        metadata: { name, namespace: '' },
        spec: { namespace: ns },
      });
    } catch (err) {
      throw new Failed(`failed to create ClusterDomainClaim: ${(err as Error).message}`);
    }
  } else if (claim.spec?.namespace !== ns) {
    lifecycle.markDomainClaimNotOwned();
    throw new Failed(`namespace ${JSON.stringify(ns)} does not own ClusterDomainClaim for ${JSON.stringify(name)}`);
  }
  lifecycle.markDomainClaimed();
}

/** resolveRef: the target's host must be `{name}.{namespace}.svc.{cluster domain}` in the mapping's namespace. */
function resolveRef(ctx: ControllerContext, dm: DomainMapping, lifecycle: DomainMappingLifecycle): string {
  let resolved: URL;
  let shown: string;
  try {
    ({ url: resolved, raw: shown } = resolveURI(ctx, dm.spec.ref));
  } catch (err) {
    if (!(err instanceof Failed)) throw err;
    lifecycle.markReferenceNotResolved(err.message);
    throw new Failed(`resolving reference: ${err.message}`);
  }
  if (resolved.pathname.replace(/\/$/, '') !== '') {
    const msg = `resolved URI ${JSON.stringify(shown)} contains a path`;
    lifecycle.markReferenceNotResolved(msg);
    throw new Failed(msg);
  }
  const suffix = `.svc.${ctx.settings.clusterDomain}`;
  const host = resolved.hostname;
  const parts = (host.endsWith(suffix) ? host.slice(0, -suffix.length) : host).split('.');
  if (!host.endsWith(suffix) || parts.length !== 2) {
    const msg = `resolved URI ${JSON.stringify(shown)} must be of the form {name}.{namespace}${suffix}`;
    lifecycle.markReferenceNotResolved(msg);
    throw new Failed(msg);
  }
  if (parts[1] !== dm.metadata.namespace) {
    const msg = `resolved URI ${JSON.stringify(shown)} must be in same namespace as DomainMapping`;
    lifecycle.markReferenceNotResolved(msg);
    throw new Failed(msg);
  }
  lifecycle.markReferenceResolved();
  return host;
}

/** The DomainMapping reconciler. */
export const domainMappingReconciler: Reconciler<DomainMapping, DomainMappingLifecycle> = {
  resource: 'domainmappings',
  lifecycle: DomainMappingLifecycle,

  /** FinalizeKind: the mapping is gone; release its host and the claim it created (only its own namespace's). */
  finalize(ctx: ControllerContext, key: string): void {
    ctx.table.deleteDomainMapping(key);
    ctx.certificates?.release(certOwner(key));
    if (!ctx.settings.autocreateClusterDomainClaims) return;
    const [ns, name] = splitKey(key);
    const claim = ctx.store.get<ClusterDomainClaim>(CLUSTER_DOMAIN_CLAIMS, '', name);
    if (!claim || claim.spec?.namespace !== ns) return;
    // Another mapping of this namespace and name cannot exist (the key is gone), so the claim is free again.
    ctx.store.delete(CLUSTER_DOMAIN_CLAIMS, '', name, { uid: claim.metadata.uid });
  },

  reconcile(ctx: ControllerContext, o: Observed<DomainMapping, DomainMappingLifecycle>): void {
    const { key, object: dm, status, lifecycle } = o;
    if (o.newGeneration) lifecycle.markIngressNotConfigured();
    // The mapped URL is the mapping's name (status.url and status.address share it, as in Knative).
    const setURL = (scheme: string): void => {
      status.url = `${scheme}://${dm.metadata.name}`;
      status.address = { url: status.url };
    };
    setURL('http');
    try {
      reconcileDomainClaim(ctx, dm, lifecycle);
      // tls(): a provided Secret makes the URL https; else with external-domain-tls knit issues the mapping's own
      // certificate (named after the mapping) once the domain is claimed.
      const secretName = dm.spec.tls?.secretName;
      const selfIssued = !secretName && ctx.settings.externalDomainTLS === true && ctx.settings.httpsGateway === true ? ctx.certificates : undefined;
      if (selfIssued) {
        const name = dm.metadata.name ?? '';
        if (selfIssued.ensure(certOwner(key), name, name) === undefined) {
          lifecycle.markCertificateReady();
          setURL('https');
        } else {
          selfIssued.release(certOwner(key));
          lifecycle.markCertificateProvisionFailed(name);
        }
      } else if (secretName && ctx.settings.httpsGateway) {
        lifecycle.markCertificateNotRequired(TLS_CERTIFICATE_PROVIDED_EXTERNALLY);
        setURL('https');
      } else if (secretName) {
        // Stored while knit served HTTPS, read by a knit without --https: nothing can present the certificate.
        lifecycle.markCertificateProvisionFailed(secretName);
      } else {
        lifecycle.markTLSNotEnabled(EXTERNAL_DOMAIN_TLS_NOT_ENABLED);
      }
      if (!selfIssued) ctx.certificates?.release(certOwner(key));
      const targetHost = resolveRef(ctx, dm, lifecycle);
      const tls = secretName && ctx.settings.httpsGateway ? { namespace: dm.metadata.namespace ?? 'default', secretName } : undefined;
      ctx.table.setDomainMapping(key, dm.metadata.name ?? '', targetHost, tls);
      lifecycle.markIngressReady();
    } catch (err) {
      if (!(err instanceof Failed)) throw err;
      // Knative's generated reconciler writes the status and reports the error as an event; the mapping is
      // enqueued again when its claim or its target changes (controllers/manager.ts). As in Knative, a mapping
      // already programmed stays while its reference fails to resolve, but not once its claim is another's.
      if (lifecycle.condition('DomainClaimed')?.status !== 'True') {
        ctx.table.deleteDomainMapping(key);
        ctx.certificates?.release(certOwner(key));
      }
      ctx.events.event(dm, 'Warning', 'InternalError', err.message);
    }
  },
};

/** The owner of a mapping's self-issued certificate (`namespace/name#domainmapping`, apart from its namespace's routes). */
function certOwner(key: string): string {
  return `${key}#domainmapping`;
}

/**
 * The certificate of a mapped host for the HTTPS listener: its DomainMapping's `kubernetes.io/tls` Secret
 * (`tls.crt`, `tls.key`), versioned by the Secret's resourceVersion.
 */
export function tlsSecret(store: Store, tls: MappedTLS | undefined): ServingCertificate | undefined {
  if (!tls) return undefined;
  const secret = store.get<StoredObject & { type?: string; data?: Record<string, string> }>('core.secrets', tls.namespace, tls.secretName);
  if (!secret || secret.type !== 'kubernetes.io/tls') return undefined;
  const cert = secret.data?.['tls.crt'];
  const key = secret.data?.['tls.key'];
  if (!cert || !key) return undefined;
  return { cert: Buffer.from(cert, 'base64').toString('utf8'), key: Buffer.from(key, 'base64').toString('utf8'), version: secret.metadata.resourceVersion ?? '' };
}
