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
import type { ValidationContext } from '../api/validation.ts';
import type { Configuration, Container, Resource, Revision, RevisionSpec, Route, Service } from '../api/types.ts';
import type { StoredObject } from '../store/store.ts';

import { StatusError } from '../api/status-error.ts';

const WEBHOOK = 'admission webhook "validation.webhook.serving.knative.dev" denied the request: validation failed: ';

/**
 * What knit refuses in a container. Env from Secrets and ConfigMaps (valueFrom, envFrom) is honoured
 * when an instance starts (controllers/env-sources.ts), so only volume mounts are left.
 */
function unsupportedContainerFields(c: Container, path: string): FieldError | null {
  let errs: FieldError | null = null;
  (c.volumeMounts ?? []).forEach((_m, i) => {
    errs = FieldError.combine(errs, withDetails(FieldError.disallowed(`${path}.volumeMounts[${i}]`), 'knit does not mount volumes yet'));
  });
  return errs;
}

function withDetails(err: FieldError, details: string): FieldError {
  err.details = details;
  return err;
}

/** What knit cannot honour on one machine, refused with field errors instead of ignored. */
function machineLimits(spec: RevisionSpec | undefined, path: string): FieldError | null {
  if (!spec) return null;
  let errs: FieldError | null = null;
  (spec.containers ?? []).forEach((c, i) => {
    errs = FieldError.combine(errs, unsupportedContainerFields(c, `${path}.containers[${i}]`));
  });
  (spec.volumes ?? []).forEach((_v, i) => {
    errs = FieldError.combine(errs, withDetails(FieldError.disallowed(`${path}.volumes[${i}]`), 'knit does not mount volumes yet'));
  });
  return errs;
}

function templateSpec(resource: Resource, obj: StoredObject): { spec: RevisionSpec | undefined; path: string } {
  if (resource === 'revisions') return { spec: obj.spec as RevisionSpec | undefined, path: 'spec' };
  if (resource === 'routes') return { spec: undefined, path: '' };
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

const KINDS: Readonly<Record<Resource, KindAdmission>> = {
  services: kind<Service>(defaultService, validateService),
  configurations: kind<Configuration>(defaultConfiguration, validateConfiguration),
  revisions: kind<Revision>(defaultRevision, validateRevision),
  routes: kind<Route>(defaultRoute, validateRoute),
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
   * warnings to pass on; throws StatusError (422) with Knative's message when refused.
   */
  admit(resource: Resource, op: 'create' | 'update', raw: unknown, old: StoredObject | undefined, user: string): { object: StoredObject; warnings: string[] } {
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
      throw new StatusError(422, 'Invalid', WEBHOOK + (err?.error ?? 'the object is malformed'));
    }
    let err = k.validate(obj, { config: this.config, op, old });
    if (!rejects(err)) {
      const { spec, path } = templateSpec(resource, obj);
      err = FieldError.combine(err, machineLimits(spec, path));
    }
    if (rejects(err)) throw new StatusError(422, 'Invalid', WEBHOOK + err!.filter('Error')!.error);
    const warnings = err?.filter('Warning')?.error;
    return { object: obj, warnings: warnings ? warnings.split('\n') : [] };
  }
}
