// Admission: Knative's webhook in front of the store — defaulting, then validation, then the
// limits of running on one machine. A rejected request changes nothing.

import { FieldError, rejects } from '../api/field-error.ts';
import { defaultServingConfig, type ServingConfig } from '../api/config.ts';
import { defaultConfiguration } from '../api/configuration-defaults.ts';
import type { DefaultingContext } from '../api/defaults.ts';
import { defaultRevision } from '../api/revision-defaults.ts';
import { defaultRoute } from '../api/route-defaults.ts';
import { defaultService } from '../api/service-defaults.ts';
import { validateConfiguration } from '../api/configuration-validation.ts';
import { validateRevision } from '../api/revision-validation.ts';
import { validateRoute } from '../api/route-validation.ts';
import { validateService } from '../api/service-validation.ts';
import { defaultDomainMapping } from '../api/domainmapping-defaults.ts';
import type { DomainMapping } from '../api/domainmapping-lifecycle.ts';
import { validateDomainMapping } from '../api/domainmapping-validation.ts';
import type { ValidationContext } from '../api/validation.ts';
import type { Configuration, Container, Resource, Revision, RevisionSpec, Route, Service } from '../api/types.ts';
import type { StoredObject } from '../store/store.ts';

import { StatusError } from '../api/status-error.ts';

const WEBHOOK = 'admission webhook "validation.webhook.serving.knative.dev" denied the request: validation failed: ';

/**
 * What knit refuses in a container's volume mounts. Secret, configMap, projected and emptyDir volumes are
 * mounted (runtime/volumes.ts); mount propagation other than None would need host mounts shared into
 * the instance, which knit does not make.
 */
function unsupportedContainerFields(c: Container, path: string): FieldError | null {
  let errs: FieldError | null = null;
  (c.volumeMounts ?? []).forEach((m, i) => {
    const at = `${path}.volumeMounts[${i}]`;
    if (m.mountPropagation !== undefined && m.mountPropagation !== 'None') {
      errs = FieldError.combine(errs, withDetails(FieldError.disallowed(`${at}.mountPropagation`), 'knit does not propagate mounts between the host and instances'));
    }
    // kubernetes pkg/apis/core/validation/validation.go validateLocalDescendingPath, as the apiserver checks subPath.
    if (m.subPath) errs = FieldError.combine(errs, descendingPath(m.subPath, `${at}.subPath`));
  });
  return errs;
}

/** validateLocalDescendingPath: a relative path with no `..` element. */
function descendingPath(p: string, at: string): FieldError | null {
  if (p.startsWith('/')) return FieldError.invalidValue(p, at, 'must be a relative path');
  if (p.split('/').includes('..')) return FieldError.invalidValue(p, at, "must not contain '..'");
  return null;
}

function withDetails(err: FieldError, details: string): FieldError {
  err.details = details;
  return err;
}

const UNMOUNTABLE = ['persistentVolumeClaim', 'hostPath', 'csi', 'image', 'ephemeral'];

/**
 * What knit refuses in a pod's volumes: the sources Knative gates behind feature flags that knit has no
 * storage for (when a flag enables them), a projected serviceAccountToken (knit issues no service
 * account tokens), and key paths that would leave the volume.
 */
function unsupportedVolumes(volumes: unknown[], path: string): FieldError | null {
  let errs: FieldError | null = null;
  volumes.forEach((raw, i) => {
    const at = `${path}.volumes[${i}]`;
    const v = (raw ?? {}) as Record<string, unknown>;
    for (const k of UNMOUNTABLE) {
      if (v[k] !== undefined && v[k] !== null) errs = FieldError.combine(errs, withDetails(FieldError.disallowed(`${at}.${k}`), `knit does not mount ${k} volumes`));
    }
    const items = (list: unknown, where: string): void => {
      if (!Array.isArray(list)) return;
      list.forEach((it, j) => {
        const p = (it as { path?: unknown } | null)?.path;
        if (typeof p === 'string' && p !== '') errs = FieldError.combine(errs, descendingPath(p, `${where}.items[${j}].path`));
      });
    };
    const secret = v.secret as { items?: unknown } | undefined;
    const configMap = v.configMap as { items?: unknown } | undefined;
    items(secret?.items, `${at}.secret`);
    items(configMap?.items, `${at}.configMap`);
    const sources = (v.projected as { sources?: unknown } | undefined)?.sources;
    if (Array.isArray(sources)) {
      sources.forEach((src, j) => {
        const s = (src ?? {}) as Record<string, { items?: unknown } | undefined>;
        const sat = `${at}.projected.sources[${j}]`;
        if (s.serviceAccountToken !== undefined && s.serviceAccountToken !== null) {
          errs = FieldError.combine(errs, withDetails(FieldError.disallowed(`${sat}.serviceAccountToken`), 'knit has no service accounts and issues no service account tokens'));
        }
        for (const k of ['secret', 'configMap', 'downwardAPI']) items(s[k]?.items, `${sat}.${k}`);
      });
    }
  });
  return errs;
}

/** What knit cannot honour on one machine, refused with field errors instead of ignored. */
function machineLimits(spec: RevisionSpec | undefined, path: string): FieldError | null {
  if (!spec) return null;
  let errs: FieldError | null = null;
  (spec.containers ?? []).forEach((c, i) => {
    errs = FieldError.combine(errs, unsupportedContainerFields(c, `${path}.containers[${i}]`));
  });
  errs = FieldError.combine(errs, unsupportedVolumes(spec.volumes ?? [], path));
  // One node: required pod (anti-)affinity would need the scheduler's view of other pods; preferred terms,
  // node affinity, nodeSelector and tolerations are honoured (controllers/scheduling.ts).
  const affinity = (spec as { affinity?: Record<string, Record<string, unknown> | undefined> }).affinity;
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const req = affinity?.[kind]?.requiredDuringSchedulingIgnoredDuringExecution;
    if (Array.isArray(req) && req.length > 0) {
      errs = FieldError.combine(errs, withDetails(FieldError.disallowed(`${path}.affinity.${kind}.requiredDuringSchedulingIgnoredDuringExecution`), 'knit runs every pod on one node, so required pod affinity and anti-affinity cannot be honoured'));
    }
  }
  // Volumes are materialised for the serving container only (runtime/volumes.ts): a sidecar's mounts are refused.
  const containers = spec.containers ?? [];
  if (containers.length > 1) {
    containers.forEach((c, i) => {
      if ((c.ports?.length ?? 0) > 0 || !(c.volumeMounts?.length)) return;
      errs = FieldError.combine(errs, withDetails(FieldError.disallowed(`${path}.containers[${i}].volumeMounts`), 'knit mounts volumes into the serving container only, not into sidecars'));
    });
  }
  return errs;
}

function templateSpec(resource: AdmittedResource, obj: StoredObject): { spec: RevisionSpec | undefined; path: string } {
  if (resource === 'revisions') return { spec: obj.spec as RevisionSpec | undefined, path: 'spec' };
  if (resource === 'routes' || resource === 'domainmappings') return { spec: undefined, path: '' };
  const s = obj.spec as { template?: { spec?: RevisionSpec } } | undefined;
  return { spec: s?.template?.spec, path: 'spec.template.spec' };
}

/** One kind's SetDefaults and Validate, over stored objects. */
interface KindAdmission {
  setDefaults(obj: StoredObject, ctx: DefaultingContext<StoredObject>): void;
  validate(obj: unknown, ctx: ValidationContext<StoredObject>): FieldError | null;
}

function kind<T>(
  setDefaults: (obj: T, ctx: DefaultingContext<T>) => unknown,
  validate: (obj: unknown, ctx: ValidationContext<T>) => FieldError | null,
): KindAdmission {
  return {
    setDefaults: (obj, ctx) => { setDefaults(obj as T, ctx as DefaultingContext<T>); },
    validate: (obj, ctx) => validate(obj, ctx as ValidationContext<T>),
  };
}

/** The resources Knative's webhook admits: the four serving.knative.dev/v1 kinds and v1beta1 DomainMapping. */
export type AdmittedResource = Resource | 'domainmappings';

const KINDS: Readonly<Record<AdmittedResource, KindAdmission>> = {
  services: kind<Service>(defaultService, validateService),
  configurations: kind<Configuration>(defaultConfiguration, validateConfiguration),
  revisions: kind<Revision>(defaultRevision, validateRevision),
  routes: kind<Route>(defaultRoute, validateRoute),
  domainmappings: kind<DomainMapping>(defaultDomainMapping, validateDomainMapping),
};

/** Knative's webhooks for one API server, with the cluster configuration it was started with. */
export class Admission {
  private readonly config: ServingConfig;

  /** `config` is the serving configuration (`knit serve --config`); Knative's defaults when omitted. */
  constructor(config: ServingConfig = defaultServingConfig()) {
    this.config = config;
  }

  /**
   * Defaults and validates an object for create or update. Returns the object to store and the
   * warnings to pass on; throws StatusError with Knative's message when refused: 400 BadRequest, as
   * kube-apiserver answers a webhook's denial (knative/pkg webhook MakeErrorStatus makes a BadRequest status;
   * kubernetes staging/src/k8s.io/apiserver/pkg/admission/plugin/webhook/errors ToStatusErr keeps it).
   */
  admit(resource: AdmittedResource, op: 'create' | 'update', raw: unknown, old: StoredObject | undefined, user: string): { object: StoredObject; warnings: string[] } {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new StatusError(400, 'BadRequest', 'the request body must be a JSON object');
    }
    const k = KINDS[resource];
    const obj = structuredClone(raw) as StoredObject;
    try {
      k.setDefaults(obj, { config: this.config, user, op, old });
    } catch {
      // Defaulting assumes well-typed input; validation of the raw object says what is wrong.
      const err = k.validate(raw, { config: this.config, op, old });
      throw new StatusError(400, 'BadRequest', WEBHOOK + (err?.error ?? 'the object is malformed'));
    }
    let err = k.validate(obj, { config: this.config, op, old });
    if (!rejects(err)) {
      const { spec, path } = templateSpec(resource, obj);
      err = FieldError.combine(err, machineLimits(spec, path));
    }
    if (rejects(err)) throw new StatusError(400, 'BadRequest', WEBHOOK + err!.filter('Error')!.error);
    const warnings = err?.filter('Warning')?.error;
    return { object: obj, warnings: warnings ? warnings.split('\n') : [] };
  }
}
