// Table tests for the validating webhook: each row is an object, a context and Knative's exact error text.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultServingConfig } from './config.ts';
import type { ServingConfig } from './config.ts';
import { validateConfiguration } from './configuration-validation.ts';
import { rejects } from './field-error.ts';
import { isDNS1035Label, isQualifiedName, notDNS1035Label } from './name-validation.ts';
import { isImageReference } from './podspec-validation.ts';
import { validateRevision } from './revision-validation.ts';
import { validateRoute } from './route-validation.ts';
import { semanticEqual, shortDiff } from './semantic-diff.ts';
import { validateService } from './service-validation.ts';
import { validateObject } from './validation.ts';

// Test fixtures are free-form JSON on purpose: the validator takes `unknown`.
type J = any;

const DNS1035 = "[a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')]";
const QUANTITY = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const P = 'spec.template.spec';
const C = `${P}.containers[0]`;
const V = `${P}.volumes[0]`;
const A = 'spec.template.metadata.annotations.autoscaling.knative.dev/';
const INSECURE = 'Kubernetes default value is insecure, Knative may default this to secure in a future release';

/** A hello-world Service (Knative's helloworld-go sample) in its defaulted form (what the API server validates). */
function helloService(): J {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: {
      name: 'hello',
      namespace: 'default',
      annotations: { 'serving.knative.dev/creator': 'alice', 'serving.knative.dev/lastModifier': 'alice' },
    },
    spec: {
      template: {
        metadata: { labels: { app: 'hello' }, annotations: { 'autoscaling.knative.dev/target': '10' }, creationTimestamp: null },
        spec: {
          containerConcurrency: 0,
          timeoutSeconds: 300,
          enableServiceLinks: false,
          containers: [{
            name: 'user-container',
            image: 'file:///tmp/app',
            ports: [{ name: 'http1', containerPort: 8080 }],
            env: [{ name: 'TARGET', value: 'World' }],
            readinessProbe: { tcpSocket: {}, successThreshold: 1 },
          }],
        },
      },
      traffic: [{ percent: 100, latestRevision: true }],
    },
  };
}

function helloConfiguration(): J {
  const s = helloService();
  return { apiVersion: s.apiVersion, kind: 'Configuration', metadata: s.metadata, spec: { template: s.spec.template } };
}

function helloRevision(): J {
  const s = helloService();
  return { apiVersion: s.apiVersion, kind: 'Revision', metadata: { name: 'hello-00001', namespace: 'default' }, spec: s.spec.template.spec };
}

function helloRoute(): J {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Route',
    metadata: { name: 'hello', namespace: 'default' },
    spec: { traffic: [{ configurationName: 'hello', percent: 100, latestRevision: true }] },
  };
}

const svc = (mutate: (o: J) => void): J => {
  const o = helloService();
  mutate(o);
  return o;
};
const container = (mutate: (c: J) => void): J => svc((o) => mutate(o.spec.template.spec.containers[0]));
const podSpec = (mutate: (p: J) => void): J => svc((o) => mutate(o.spec.template.spec));
const annotate = (annotations: Record<string, unknown>): J => svc((o) => Object.assign(o.spec.template.metadata.annotations, annotations));
const sidecar = (extra: J = {}): J => ({ name: 'sidecar', image: 'busybox', ...extra });

function config(mutate: (c: ServingConfig) => void = () => {}): ServingConfig {
  const c = defaultServingConfig();
  mutate(c);
  return c;
}

interface Row {
  name: string;
  obj: J;
  kind?: 'Service' | 'Configuration' | 'Revision' | 'Route';
  op?: 'create' | 'update';
  old?: J;
  cfg?: ServingConfig;
  /** The Error-level rendering, or null when the object is accepted. */
  want: string | null;
}

const serviceRows: Row[] = [
  { name: 'valid hello-world Service', obj: helloService(), want: null },
  { name: 'valid Service before defaulting (raw user YAML)', obj: svc((o) => { delete o.spec.traffic; o.spec.traffic = [{ percent: 100, latestRevision: true }]; }), want: null },

  // metadata (knative/pkg apis/metadata_validation.go ValidateObjectMetadata)
  { name: 'name Bad_Name', obj: svc((o) => { o.metadata.name = 'Bad_Name'; }), want: `not a DNS 1035 label: ${DNS1035}: metadata.name` },
  { name: 'name too long', obj: svc((o) => { o.metadata.name = 'a'.repeat(64); }), want: 'not a DNS 1035 label: [must be no more than 63 characters]: metadata.name' },
  { name: 'name starting with a digit', obj: svc((o) => { o.metadata.name = '1hello'; }), want: `not a DNS 1035 label: ${DNS1035}: metadata.name` },
  { name: 'neither name nor generateName', obj: svc((o) => { delete o.metadata.name; }), want: 'name or generateName is required: metadata.name' },
  { name: 'generateName with trailing dash', obj: svc((o) => { delete o.metadata.name; o.metadata.generateName = 'hello-'; }), want: null },
  { name: 'bad generateName', obj: svc((o) => { delete o.metadata.name; o.metadata.generateName = 'Hello-'; }), want: `not a DNS 1035 label prefix: ${DNS1035}: metadata.generateName` },
  {
    name: 'autoscaling annotation on the Service',
    obj: svc((o) => { o.metadata.annotations['autoscaling.knative.dev/min-scale'] = '1'; }),
    want: 'invalid key name "autoscaling.knative.dev/min-scale": metadata.annotations\nautoscaling annotations must be put under "spec.template.metadata.annotations" to work',
  },
  { name: 'rollout-duration ok', obj: svc((o) => { o.metadata.annotations['serving.knative.dev/rollout-duration'] = '10m'; }), want: null },
  {
    name: 'rollout-duration not whole seconds',
    obj: svc((o) => { o.metadata.annotations['serving.knative.dev/rollout-duration'] = '1.5s'; }),
    want: 'rollout-duration=1.5s is not at second precision: metadata.annotations.serving.knative.dev/rollout-duration',
  },
  {
    name: 'rollout-duration negative',
    obj: svc((o) => { o.metadata.annotations['serving.knative.dev/rollout-duration'] = '-1s'; }),
    want: 'rollout-duration=-1s must be positive: metadata.annotations.serving.knative.dev/rollout-duration',
  },
  {
    name: 'rolloutDuration alias unparsable',
    obj: svc((o) => { o.metadata.annotations['serving.knative.dev/rolloutDuration'] = 'soon'; }),
    want: 'invalid value: soon: metadata.annotations.serving.knative.dev/rolloutDuration',
  },
  { name: 'visibility label cluster-local', obj: svc((o) => { o.metadata.labels = { 'networking.knative.dev/visibility': 'cluster-local' }; }), want: null },
  {
    name: 'visibility label other value',
    obj: svc((o) => { o.metadata.labels = { 'networking.knative.dev/visibility': 'public' }; }),
    want: 'invalid value: public: metadata.labels.networking.knative.dev/visibility',
  },
  {
    name: 'wrong apiVersion',
    obj: svc((o) => { o.apiVersion = 'serving.knative.dev/v1beta1'; }),
    want: 'invalid value: serving.knative.dev/v1beta1: apiVersion\nexpected "serving.knative.dev/v1"',
  },
  { name: 'missing apiVersion and kind', obj: svc((o) => { delete o.apiVersion; delete o.kind; }), want: 'missing field(s): apiVersion, kind' },
  { name: 'wrong kind', obj: svc((o) => { o.kind = 'Route'; }), want: 'invalid value: Route: kind\nexpected "Service"' },
  { name: 'unknown top-level field', obj: svc((o) => { o.foo = 1; }), want: 'must not set the field(s): foo' },
  { name: 'unknown spec field', obj: svc((o) => { o.spec.foo = {}; }), want: 'must not set the field(s): spec.foo' },
  { name: 'unknown metadata field', obj: svc((o) => { o.metadata.nmae = 'x'; }), want: 'must not set the field(s): metadata.nmae' },
  {
    name: 'metadata is not an object',
    obj: svc((o) => { o.metadata = 'x'; }),
    want: 'invalid value: x: metadata\nmust be an object\nname or generateName is required: metadata.name',
  },
  {
    name: 'annotation value is a number',
    obj: annotate({ 'autoscaling.knative.dev/target': 10 }),
    want: 'invalid value: 10: spec.template.metadata.annotations.autoscaling.knative.dev/target\nmust be a string',
  },
  { name: 'status is ignored', obj: svc((o) => { o.status = { observedGeneration: 3 }; }), want: null },
  { name: 'not an object at all', obj: 'hello', want: 'invalid value: hello: \nexpected a Service object' },

  // PodSpec field mask (knative/serving pkg/apis/serving/fieldmask.go PodSpecMask)
  { name: 'unknown PodSpec field nodeName', obj: podSpec((p) => { p.nodeName = 'node-1'; }), want: `must not set the field(s): ${P}.nodeName` },
  {
    name: 'several refused PodSpec fields',
    obj: podSpec((p) => { p.nodeName = 'n'; p.restartPolicy = 'Always'; p.foo = 1; p.terminationGracePeriodSeconds = 0; }),
    want: `must not set the field(s): ${P}.foo, ${P}.nodeName, ${P}.restartPolicy, ${P}.terminationGracePeriodSeconds`,
  },
  { name: 'hostNetwork false is the zero value', obj: podSpec((p) => { p.hostNetwork = false; }), want: null },
  { name: 'hostNetwork true', obj: podSpec((p) => { p.hostNetwork = true; }), want: `must not set the field(s): ${P}.hostNetwork` },
  { name: 'affinity without its feature', obj: podSpec((p) => { p.affinity = { nodeAffinity: {} }; }), want: `must not set the field(s): ${P}.affinity` },
  {
    name: 'affinity with its feature enabled',
    obj: podSpec((p) => { p.affinity = { nodeAffinity: {} }; }),
    cfg: config((c) => { c.features.podSpecAffinity = 'Enabled'; }),
    want: null,
  },
  { name: 'automountServiceAccountToken false', obj: podSpec((p) => { p.automountServiceAccountToken = false; }), want: null },
  { name: 'automountServiceAccountToken true', obj: podSpec((p) => { p.automountServiceAccountToken = true; }), want: `must not set the field(s): ${P}.automountServiceAccountToken` },
  {
    name: 'bad serviceAccountName',
    obj: podSpec((p) => { p.serviceAccountName = 'foo@bar.baz'; }),
    want: `invalid value: foo@bar.baz: ${P}.serviceAccountName\na lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
  },
  { name: 'imagePullSecrets ok', obj: podSpec((p) => { p.imagePullSecrets = [{ name: 'regcred' }]; }), want: null },

  // RevisionSpec scalars (knative/serving pkg/apis/serving/v1/revision_validation.go RevisionSpec.Validate)
  { name: 'containerConcurrency is a string', obj: podSpec((p) => { p.containerConcurrency = 'x'; }), want: `invalid value: x: ${P}.containerConcurrency\nmust be an integer` },
  { name: 'containerConcurrency above the limit', obj: podSpec((p) => { p.containerConcurrency = 1001; }), want: `expected 0 <= 1001 <= 1000: ${P}.containerConcurrency` },
  {
    name: 'containerConcurrency 0 when zero is not allowed',
    obj: helloService(),
    cfg: config((c) => { c.defaults.allowContainerConcurrencyZero = false; }),
    want: `expected 1 <= 0 <= 1000: ${P}.containerConcurrency`,
  },
  { name: 'timeoutSeconds above max', obj: podSpec((p) => { p.timeoutSeconds = 601; }), want: `expected 0 <= 601 <= 600: ${P}.timeoutSeconds` },
  { name: 'timeoutSeconds not an integer', obj: podSpec((p) => { p.timeoutSeconds = 1.5; }), want: `invalid value: 1.5: ${P}.timeoutSeconds\nmust be an integer` },
  { name: 'responseStartTimeoutSeconds is not bounded', obj: podSpec((p) => { p.responseStartTimeoutSeconds = 5000; }), want: null },

  // containers
  { name: 'no containers', obj: podSpec((p) => { delete p.containers; }), want: `missing field(s): ${P}.containers` },
  { name: 'empty containers', obj: podSpec((p) => { p.containers = []; }), want: `missing field(s): ${P}.containers` },
  {
    name: 'containers is not a list',
    obj: podSpec((p) => { p.containers = 'x'; }),
    want: `invalid value: x: ${P}.containers\nmust be a list\nmissing field(s): ${P}.containers`,
  },
  { name: 'empty container', obj: podSpec((p) => { p.containers = [{}]; }), want: `missing field(s): ${C}` },
  { name: 'missing image', obj: container((c) => { delete c.image; }), want: `missing field(s): ${C}.image` },
  {
    name: 'unparsable image',
    obj: container((c) => { c.image = 'foo:bar:baz'; }),
    want: `Failed to parse image reference: ${C}.image\nimage: "foo:bar:baz", error: could not parse reference: foo:bar:baz`,
  },
  { name: 'registry image with digest', obj: container((c) => { c.image = `gcr.io/knative-samples/helloworld-go@sha256:${'a'.repeat(64)}`; }), want: null },
  { name: 'registry image with port and tag', obj: container((c) => { c.image = 'localhost:5000/app:v1'; }), want: null },
  { name: 'reserved container name', obj: container((c) => { c.name = 'queue-proxy'; }), want: `"queue-proxy" is a reserved container name: ${C}.name` },
  { name: 'lifecycle', obj: container((c) => { c.lifecycle = {}; }), want: `must not set the field(s): ${C}.lifecycle` },
  { name: 'stdin true', obj: container((c) => { c.stdin = true; c.tty = false; }), want: `must not set the field(s): ${C}.stdin` },
  { name: 'unknown container field', obj: container((c) => { c.imagePullPolicy = 'Always'; c.imagee = 'x'; }), want: `must not set the field(s): ${C}.imagee` },
  { name: 'bad terminationMessagePolicy', obj: container((c) => { c.terminationMessagePolicy = 'Nope'; }), want: `invalid value: Nope: ${C}.terminationMessagePolicy` },
  { name: 'args must be strings', obj: container((c) => { c.args = ['-v', 3]; }), want: `invalid value: 3: ${C}.args[1]\nmust be a string` },

  // ports
  {
    name: 'port 8012',
    obj: container((c) => { c.ports = [{ containerPort: 8012 }]; }),
    want: `invalid value: 8012 is a reserved port: ${C}.ports.containerPort\n8012 is a reserved port, please use a different value`,
  },
  {
    name: 'port 8008 (profiling)',
    obj: container((c) => { c.ports = [{ containerPort: 8008 }]; }),
    want: `invalid value: 8008 is a reserved port: ${C}.ports.containerPort\n8008 is a reserved port, please use a different value`,
  },
  {
    name: 'two ports',
    obj: container((c) => { c.ports = [{ containerPort: 8080 }, { containerPort: 8081 }]; }),
    want: `more than one container port is set: ${P}.containers[*].ports\nOnly a single port is allowed across all containers`,
  },
  {
    name: 'port name not allowed',
    obj: container((c) => { c.ports = [{ name: 'http', containerPort: 8080 }]; }),
    want: `Port name http is not allowed: ${C}.ports\nName must be empty, or one of: 'h2c', 'http1'`,
  },
  { name: 'port name h2c', obj: container((c) => { c.ports = [{ name: 'h2c', containerPort: 8080 }]; }), want: null },
  { name: 'protocol UDP', obj: container((c) => { c.ports[0].protocol = 'UDP'; }), want: `invalid value: UDP: ${C}.ports.protocol` },
  { name: 'protocol TCP', obj: container((c) => { c.ports[0].protocol = 'TCP'; }), want: null },
  { name: 'hostPort', obj: container((c) => { c.ports[0].hostPort = 80; }), want: `must not set the field(s): ${C}.ports.hostPort` },
  { name: 'hostPort 0 is unset', obj: container((c) => { c.ports[0].hostPort = 0; }), want: null },
  { name: 'containerPort too large', obj: container((c) => { c.ports = [{ containerPort: 70000 }]; }), want: `expected 0 <= 70000 <= 65535: ${C}.ports.containerPort` },
  {
    name: 'containerPort is a string',
    obj: container((c) => { c.ports = [{ containerPort: '8080' }]; }),
    want: `invalid value: 8080: ${C}.ports.containerPort\nmust be a 32-bit integer`,
  },

  // env
  { name: 'env PORT', obj: container((c) => { c.env = [{ name: 'PORT', value: '9000' }]; }), want: `"PORT" is a reserved environment variable: ${C}.env[0].name` },
  { name: 'env K_REVISION', obj: container((c) => { c.env.push({ name: 'K_REVISION', value: 'x' }); }), want: `"K_REVISION" is a reserved environment variable: ${C}.env[1].name` },
  { name: 'env without name', obj: container((c) => { c.env = [{ value: 'x' }]; }), want: `missing field(s): ${C}.env[0].name` },
  { name: 'env value is a number', obj: container((c) => { c.env = [{ name: 'N', value: 8080 }]; }), want: `invalid value: 8080: ${C}.env[0].value\nmust be a string` },
  { name: 'env secretKeyRef', obj: container((c) => { c.env = [{ name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }]; }), want: null },
  {
    name: 'env fieldRef without its feature',
    obj: container((c) => { c.env = [{ name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }]; }),
    want: `must not set the field(s): ${C}.env[0].valueFrom.fieldRef`,
  },
  {
    name: 'env fieldRef with its feature',
    obj: container((c) => { c.env = [{ name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }]; }),
    cfg: config((c) => { c.features.podSpecFieldRef = 'Enabled'; }),
    want: null,
  },
  {
    name: 'envFrom with neither source',
    obj: container((c) => { c.envFrom = [{}]; }),
    want: `expected exactly one, got neither: ${C}.envFrom.configMapRef, ${C}.envFrom.secretRef`,
  },
  {
    name: 'envFrom with both sources',
    obj: container((c) => { c.envFrom = [{ configMapRef: { name: 'a' }, secretRef: { name: 'b' } }]; }),
    want: `expected exactly one, got both: ${C}.envFrom.configMapRef, ${C}.envFrom.secretRef`,
  },

  // probes
  { name: 'readiness probe without handler', obj: container((c) => { c.readinessProbe = { successThreshold: 1 }; }), want: `expected exactly one, got neither: ${C}.readinessProbe.exec, ${C}.readinessProbe.grpc, ${C}.readinessProbe.httpGet, ${C}.readinessProbe.tcpSocket` },
  {
    name: 'readiness probe with two handlers',
    obj: container((c) => { c.readinessProbe = { httpGet: {}, tcpSocket: {}, successThreshold: 1 }; }),
    want: `expected exactly one, got both: ${C}.readinessProbe.httpGet, ${C}.readinessProbe.tcpSocket`,
  },
  {
    name: 'aggressive probe with failureThreshold',
    obj: container((c) => { c.readinessProbe = { httpGet: { path: '/' }, periodSeconds: 0, failureThreshold: 3, successThreshold: 1 }; }),
    want: `failureThreshold is disallowed when periodSeconds is zero: ${C}.readinessProbe.failureThreshold`,
  },
  {
    name: 'periodic probe without timeout and failureThreshold',
    obj: container((c) => { c.readinessProbe = { httpGet: { path: '/' }, periodSeconds: 5, successThreshold: 1 }; }),
    want: `expected 1 <= 0 <= 2147483647: ${C}.readinessProbe.failureThreshold, ${C}.readinessProbe.timeoutSeconds`,
  },
  {
    name: 'readiness successThreshold 0',
    obj: container((c) => { c.readinessProbe.successThreshold = 0; }),
    want: `expected 1 <= 0 <= 2147483647: ${C}.readinessProbe.successThreshold`,
  },
  {
    name: 'liveness probe on another named port',
    obj: container((c) => { c.livenessProbe = { tcpSocket: { port: 'imap' } }; }),
    want: `invalid value: imap: ${C}.livenessProbe.tcpSocket.port\nProbe port must match container port`,
  },
  { name: 'liveness probe on the serving port name', obj: container((c) => { c.livenessProbe = { httpGet: { port: 'http1' } }; }), want: null },
  { name: 'readiness probe on a numeric port', obj: container((c) => { c.readinessProbe = { httpGet: { port: 8081 }, successThreshold: 1 }; }), want: null },
  { name: 'unnamed serving port counts as "http"', obj: container((c) => { delete c.ports; c.livenessProbe = { httpGet: { port: 'http' } }; }), want: null },
  {
    name: 'probe terminationGracePeriodSeconds',
    obj: container((c) => { c.livenessProbe = { tcpSocket: {}, terminationGracePeriodSeconds: 5 }; }),
    want: `must not set the field(s): ${C}.livenessProbe.terminationGracePeriodSeconds`,
  },
  { name: 'grpc readiness probe', obj: container((c) => { c.readinessProbe = { grpc: { port: 8080, service: '' }, successThreshold: 1 }; }), want: null },

  // resources, securityContext
  { name: 'resources ok', obj: container((c) => { c.resources = { limits: { memory: '128Mi', cpu: 1 }, requests: { cpu: '250m' } }; }), want: null },
  { name: 'bad quantity', obj: container((c) => { c.resources = { limits: { memory: 'lots' } }; }), want: `invalid value: lots: ${C}.resources.limits.memory\n${QUANTITY}` },
  { name: 'resources claims', obj: container((c) => { c.resources = { claims: [{ name: 'gpu' }] }; }), want: `must not set the field(s): ${C}.resources.claims` },
  { name: 'a whole GPU', obj: container((c) => { c.resources = { limits: { 'nvidia.com/gpu': '1' }, requests: { memory: '250Mi', cpu: '200m' } }; }), want: null },
  { name: 'half a GPU', obj: container((c) => { c.resources = { limits: { 'nvidia.com/gpu': '0.5' } }; }), want: `invalid value: 0.5: ${C}.resources.limits.nvidia.com/gpu\nmust be an integer` },
  { name: 'a GPU request without its limit', obj: container((c) => { c.resources = { requests: { 'nvidia.com/gpu': '1' } }; }), want: `invalid value: 1: ${C}.resources.requests.nvidia.com/gpu\nmust be equal to nvidia.com/gpu limit of 0` },
  { name: 'privileged true', obj: container((c) => { c.securityContext = { privileged: true }; }), want: `must not set the field(s): ${C}.securityContext.privileged` },
  { name: 'privileged false', obj: container((c) => { c.securityContext = { privileged: false }; }), want: null },
  { name: 'runAsUser -10', obj: container((c) => { c.securityContext = { runAsUser: -10 }; }), want: `expected 0 <= -10 <= 2147483647: ${C}.securityContext.runAsUser` },
  { name: 'capabilities add', obj: container((c) => { c.securityContext = { capabilities: { add: ['NET_ADMIN'] } }; }), want: `must not set the field(s): ${C}.securityContext.capabilities.add` },
  {
    name: 'capabilities add with its feature',
    obj: container((c) => { c.securityContext = { capabilities: { add: ['NET_ADMIN'] } }; }),
    cfg: config((c) => { c.features.containerSpecAddCapabilities = 'Enabled'; }),
    want: null,
  },
  { name: 'seLinuxOptions', obj: container((c) => { c.securityContext = { seLinuxOptions: {} }; }), want: `must not set the field(s): ${C}.securityContext.seLinuxOptions` },
  { name: 'pod securityContext without its feature', obj: podSpec((p) => { p.securityContext = { runAsUser: 1000 }; }), want: `must not set the field(s): ${P}.securityContext` },

  // multiple containers
  { name: 'serving container and sidecar', obj: podSpec((p) => { p.containers.push(sidecar()); }), want: null },
  {
    name: 'two containers without a port',
    obj: podSpec((p) => { delete p.containers[0].ports; delete p.containers[0].readinessProbe; p.containers.push(sidecar()); }),
    want: `missing field(s): ${P}.containers[*].ports`,
  },
  {
    name: 'two containers with a port each',
    obj: podSpec((p) => { p.containers.push(sidecar({ ports: [{ containerPort: 9000 }] })); }),
    want: `more than one container port is set: ${P}.containers[*].ports\nOnly a single port is allowed across all containers`,
  },
  {
    name: 'multi-container disabled',
    obj: podSpec((p) => { p.containers.push(sidecar()); }),
    cfg: config((c) => { c.features.multiContainer = 'Disabled'; }),
    want: 'multi-container is off, but found 2 containers: ',
  },
  {
    name: 'sidecar probe without multi-container-probing',
    obj: podSpec((p) => { p.containers.push(sidecar({ readinessProbe: { tcpSocket: { port: 9000 }, periodSeconds: 1 } })); }),
    want: `must not set the field(s): ${P}.containers[1].readinessProbe, ${P}.containers[1].readinessProbe.periodSeconds`,
  },
  {
    name: 'sidecar probe without a port under multi-container-probing',
    obj: podSpec((p) => { p.containers.push(sidecar({ readinessProbe: { tcpSocket: {}, successThreshold: 1 } })); }),
    cfg: config((c) => { c.features.multiContainerProbing = 'Enabled'; }),
    want: `invalid value: 0: ${P}.containers[1].readinessProbe.tcpSocket.port\nProbe port must be specified`,
  },
  { name: 'sidecar may set PORT', obj: podSpec((p) => { p.containers.push(sidecar({ env: [{ name: 'PORT', value: '1' }] })); }), want: null },
  {
    name: 'sidecar may not set K_SERVICE',
    obj: podSpec((p) => { p.containers.push(sidecar({ env: [{ name: 'K_SERVICE', value: '1' }] })); }),
    want: `"K_SERVICE" is a reserved environment variable: ${P}.containers[1].env[0].name`,
  },
  {
    name: 'duplicate container names',
    obj: podSpec((p) => { p.containers.push(sidecar({ name: 'user-container' })); }),
    want: `duplicate container name "user-container": ${P}.containers[1].name`,
  },
  { name: 'initContainers without their feature', obj: podSpec((p) => { p.initContainers = [{ image: 'busybox' }]; }), want: `must not set the field(s): ${P}.initContainers` },
  {
    name: 'init container with a probe',
    obj: podSpec((p) => { p.initContainers = [{ name: 'init', image: 'busybox', readinessProbe: { tcpSocket: {} } }]; }),
    cfg: config((c) => { c.features.podSpecInitContainers = 'Enabled'; }),
    want: `field not allowed in an init container: ${P}.initContainers[0].readinessProbe`,
  },

  // volumes
  {
    name: 'secret volume mounted read-only',
    obj: podSpec((p) => { p.volumes = [{ name: 'v', secret: { secretName: 's' } }]; p.containers[0].volumeMounts = [{ name: 'v', mountPath: '/etc/s', readOnly: true }]; }),
    want: null,
  },
  {
    name: 'secret volume mounted read-write',
    obj: podSpec((p) => { p.volumes = [{ name: 'v', secret: { secretName: 's' } }]; p.containers[0].volumeMounts = [{ name: 'v', mountPath: '/etc/s' }]; }),
    want: `volume mount should be readOnly for this type of volume: ${C}.volumeMounts[0].readOnly`,
  },
  {
    name: 'emptyDir mounted read-write',
    obj: podSpec((p) => { p.volumes = [{ name: 'v', emptyDir: { medium: 'Memory', sizeLimit: '100M' } }]; p.containers[0].volumeMounts = [{ name: 'v', mountPath: '/cache' }]; }),
    want: null,
  },
  { name: 'volume not mounted', obj: podSpec((p) => { p.volumes = [{ name: 'v', emptyDir: {} }]; }), want: `volume with name "v" not mounted: ${V}.name` },
  {
    name: 'mount without a volume',
    obj: container((c) => { c.volumeMounts = [{ name: 'nope', mountPath: '/data' }]; }),
    want: `volume mount should be readOnly for this type of volume: ${C}.volumeMounts[0].readOnly\nvolumeMount has no matching volume: ${C}.volumeMounts[0].name`,
  },
  {
    name: 'mount at a reserved path',
    obj: podSpec((p) => { p.volumes = [{ name: 'v', emptyDir: {} }]; p.containers[0].volumeMounts = [{ name: 'v', mountPath: '//dev//' }]; }),
    want: `mountPath "/dev" is a reserved path: ${C}.volumeMounts[0].mountPath`,
  },
  {
    name: 'relative mountPath',
    obj: podSpec((p) => { p.volumes = [{ name: 'v', emptyDir: {} }]; p.containers[0].volumeMounts = [{ name: 'v', mountPath: 'data' }]; }),
    want: `invalid value: data: ${C}.volumeMounts[0].mountPath`,
  },
  {
    name: 'mountPropagation without its feature',
    obj: podSpec((p) => { p.volumes = [{ name: 'v', emptyDir: {} }]; p.containers[0].volumeMounts = [{ name: 'v', mountPath: '/d', mountPropagation: 'HostToContainer' }]; }),
    want: `must not set the field(s): ${C}.volumeMounts[0].mountPropagation`,
  },
  {
    name: 'emptyDir medium',
    obj: podSpec((p) => { p.volumes = [{ name: 'v', emptyDir: { medium: 'Disk' } }]; p.containers[0].volumeMounts = [{ name: 'v', mountPath: '/d' }]; }),
    want: `invalid value: Disk: ${V}.emptyDir.medium`,
  },
  {
    name: 'hostPath without its feature',
    obj: podSpec((p) => { p.volumes = [{ name: 'v', hostPath: { path: '/' } }]; p.containers[0].volumeMounts = [{ name: 'v', mountPath: '/d', readOnly: true }]; }),
    want: `must not set the field(s): ${V}.hostPath`,
  },
  {
    name: 'volume without a source',
    obj: podSpec((p) => { p.volumes = [{ name: 'v' }]; p.containers[0].volumeMounts = [{ name: 'v', mountPath: '/d', readOnly: true }]; }),
    want: `expected exactly one, got neither: ${V}.configMap, ${V}.emptyDir, ${V}.projected, ${V}.secret`,
  },
  {
    name: 'volume with two sources',
    obj: podSpec((p) => { p.volumes = [{ name: 'v', secret: { secretName: 's' }, configMap: { name: 'c' } }]; p.containers[0].volumeMounts = [{ name: 'v', mountPath: '/d', readOnly: true }]; }),
    want: `expected exactly one, got both: ${V}.configMap, ${V}.secret`,
  },
  {
    name: 'projected volume sources need names',
    obj: podSpec((p) => { p.volumes = [{ name: 'v', projected: { sources: [{ secret: {} }, { configMap: {} }] } }]; p.containers[0].volumeMounts = [{ name: 'v', mountPath: '/d', readOnly: true }]; }),
    want: `missing field(s): ${V}.projected[0].secret.name, ${V}.projected[1].configMap.name`,
  },
  {
    name: 'bad volume name',
    obj: podSpec((p) => { p.volumes = [{ name: 'V_1', emptyDir: {} }]; p.containers[0].volumeMounts = [{ name: 'V_1', mountPath: '/d' }]; }),
    want: `invalid value: V_1: ${V}.name`,
  },

  // traffic (knative/serving pkg/apis/serving/v1/route_validation.go validateTrafficList)
  { name: 'traffic summing to 90', obj: svc((o) => { o.spec.traffic[0].percent = 90; }), want: 'Traffic targets sum to 90, want 100: spec.traffic' },
  {
    name: 'duplicate tags',
    obj: svc((o) => { o.spec.traffic = [{ tag: 't', revisionName: 'hello-00001', latestRevision: false, percent: 50 }, { tag: 't', latestRevision: true, percent: 50 }]; }),
    want: 'Multiple definitions for "t": spec.traffic[0].tag, spec.traffic[1].tag',
  },
  {
    name: 'latestRevision true with a revisionName',
    obj: svc((o) => { o.spec.traffic = [{ revisionName: 'hello-00001', latestRevision: true, percent: 100 }]; }),
    want: 'may not set revisionName "hello-00001" when latestRevision is true: spec.traffic[0].latestRevision',
  },
  {
    name: 'latestRevision false without a revisionName',
    obj: svc((o) => { o.spec.traffic = [{ latestRevision: false, percent: 100 }]; }),
    want: 'may not set revisionName "" when latestRevision is false: spec.traffic[0].latestRevision',
  },
  { name: 'configurationName inside a Service', obj: svc((o) => { o.spec.traffic[0].configurationName = 'hello'; }), want: 'must not set the field(s): spec.traffic[0].configurationName' },
  { name: 'bad tag', obj: svc((o) => { o.spec.traffic[0].tag = 'Bad'; }), want: `invalid value: not a DNS 1035 label: ${DNS1035}: spec.traffic.tag[0]` },
  { name: 'percent above 100', obj: svc((o) => { o.spec.traffic[0].percent = 101; }), want: 'Traffic targets sum to 101, want 100: spec.traffic\nexpected 0 <= 101 <= 100: spec.traffic[0].percent' },
  { name: 'url in spec', obj: svc((o) => { o.spec.traffic[0].url = 'http://x'; }), want: 'must not set the field(s): spec.traffic[0].url' },
  {
    name: 'percent is a string',
    obj: svc((o) => { o.spec.traffic[0].percent = 'x'; }),
    want: 'Traffic targets sum to 0, want 100: spec.traffic\ninvalid value: x: spec.traffic[0].percent\nmust be an integer',
  },
  {
    name: 'revisionName not a qualified name',
    obj: svc((o) => { o.spec.traffic = [{ revisionName: 'bad name', latestRevision: false, percent: 100 }]; }),
    want: `invalid key name "bad name": spec.traffic[0].revisionName\nname part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
  },
  { name: 'unknown traffic field', obj: svc((o) => { o.spec.traffic[0].weight = 1; }), want: 'must not set the field(s): spec.traffic[0].weight' },

  // template metadata (knative/serving pkg/apis/serving/v1/revision_validation.go RevisionTemplateSpec.Validate)
  { name: 'BYO revision name', obj: svc((o) => { o.spec.template.metadata.name = 'hello-v1'; }), want: null },
  { name: 'BYO revision name without prefix', obj: svc((o) => { o.spec.template.metadata.name = 'foo'; }), want: 'invalid value: "foo" must have prefix "hello-": spec.template.metadata.name' },
  {
    name: 'BYO revision name with a generateName parent',
    obj: svc((o) => { delete o.metadata.name; o.metadata.generateName = 'hello-'; o.spec.template.metadata.name = 'hello-v1'; }),
    want: 'must not set the field(s): spec.template.metadata.name',
  },
  { name: 'BYO revision name not DNS-1035', obj: svc((o) => { o.spec.template.metadata.name = 'Hello-v1'; }), want: `invalid value: not a DNS 1035 label: ${DNS1035}: spec.template.metadata.name` },
  {
    name: 'unknown networking annotation on the template',
    obj: annotate({ 'networking.knative.dev/visibility': 'cluster-local' }),
    want: 'invalid key name "networking.knative.dev/visibility": spec.template.metadata.annotations',
  },
  { name: 'allowed networking annotation on the template', obj: annotate({ 'networking.knative.dev/ingress.class': 'x' }), want: null },
  {
    name: 'progress-deadline not whole seconds',
    obj: annotate({ 'serving.knative.dev/progress-deadline': '1.5s' }),
    want: 'progress-deadline=1.5s is not at second precision: spec.template.metadata.annotations.serving.knative.dev/progress-deadline',
  },
  {
    name: 'queue sidecar cpu request',
    obj: annotate({ 'queue.sidecar.serving.knative.dev/cpu-resource-request': 'lots' }),
    want: `invalid value: lots: spec.template.metadata.annotations.queue.sidecar.serving.knative.dev/cpu-resource-request\n${QUANTITY}`,
  },
  {
    name: 'queue sidecar resource-percentage out of range',
    obj: annotate({ 'queue.sidecar.serving.knative.dev/resource-percentage': '0.05' }),
    want: 'expected 0.1 <= 0.05 <= 100: spec.template.metadata.annotations.[queue.sidecar.serving.knative.dev/resource-percentage]',
  },

  // autoscaling annotations (knative/serving pkg/apis/autoscaling/annotation_validation.go)
  { name: 'target 0', obj: annotate({ 'autoscaling.knative.dev/target': '0' }), want: `target 0 should be at least 0.01: ${A}target` },
  { name: 'min-scale -1', obj: annotate({ 'autoscaling.knative.dev/min-scale': '-1' }), want: `expected 0 <= -1 <= 2147483647: ${A}min-scale` },
  { name: 'minScale alias not a number', obj: annotate({ 'autoscaling.knative.dev/minScale': 'x' }), want: `invalid value: x: ${A}minScale` },
  { name: 'min-scale beyond int32', obj: annotate({ 'autoscaling.knative.dev/min-scale': '3000000000' }), want: `expected 0 <= 3000000000 <= 2147483647: ${A}min-scale` },
  {
    name: 'max-scale below min-scale',
    obj: annotate({ 'autoscaling.knative.dev/min-scale': '5', 'autoscaling.knative.dev/max-scale': '2' }),
    want: `max-scale=2 is less than min-scale=5: ${A}max-scale, ${A}min-scale`,
  },
  { name: 'canonical key wins over alias', obj: annotate({ 'autoscaling.knative.dev/min-scale': '1', 'autoscaling.knative.dev/minScale': 'x' }), want: null },
  { name: 'window too short', obj: annotate({ 'autoscaling.knative.dev/window': '5s' }), want: `expected 6s <= 5s <= 1h0m0s: ${A}window` },
  { name: 'window not whole seconds', obj: annotate({ 'autoscaling.knative.dev/window': '6500ms' }), want: `must be specified with at most second precision: ${A}window` },
  { name: 'unknown knative class', obj: annotate({ 'autoscaling.knative.dev/class': 'foo.knative.dev' }), want: `invalid value: foo.knative.dev: ${A}class` },
  { name: 'custom class', obj: annotate({ 'autoscaling.knative.dev/class': 'custom.example.com', 'autoscaling.knative.dev/metric': 'anything' }), want: null },
  { name: 'cpu metric under KPA', obj: annotate({ 'autoscaling.knative.dev/metric': 'cpu' }), want: `invalid value: cpu: ${A}metric` },
  { name: 'cpu metric under HPA', obj: annotate({ 'autoscaling.knative.dev/class': 'hpa.autoscaling.knative.dev', 'autoscaling.knative.dev/metric': 'cpu' }), want: null },
  { name: 'rps metric', obj: annotate({ 'autoscaling.knative.dev/metric': 'rps' }), want: null },
  { name: 'initial-scale 0', obj: annotate({ 'autoscaling.knative.dev/initial-scale': '0' }), want: `invalid value: 0: ${A}initial-scale` },
  {
    name: 'initial-scale 0 when allowed',
    obj: annotate({ 'autoscaling.knative.dev/initial-scale': '0' }),
    cfg: config((c) => { c.autoscaler.allowZeroInitialScale = true; }),
    want: null,
  },
  { name: 'panic threshold too low', obj: annotate({ 'autoscaling.knative.dev/panic-threshold-percentage': '100' }), want: `expected 110 <= 100 <= 1000: ${A}panic-threshold-percentage` },
  { name: 'target-burst-capacity -2', obj: annotate({ 'autoscaling.knative.dev/target-burst-capacity': '-2' }), want: `invalid value: -2: ${A}target-burst-capacity` },
  { name: 'target-burst-capacity -1', obj: annotate({ 'autoscaling.knative.dev/target-burst-capacity': '-1' }), want: null },
  { name: 'scale-down-delay too long', obj: annotate({ 'autoscaling.knative.dev/scale-down-delay': '2h' }), want: `expected 0s <= 2h <= 1h0m0s: ${A}scale-down-delay` },
  { name: 'activation-scale 1', obj: annotate({ 'autoscaling.knative.dev/activation-scale': '1' }), want: `expected 2 <= 1 <= 2147483647: ${A}activation-scale` },
  { name: 'target utilization 0.5', obj: annotate({ 'autoscaling.knative.dev/target-utilization-percentage': '0.5' }), want: `expected 1 <= 0.5 <= 100: ${A}target-utilization-percentage` },
  {
    name: 'aggregation algorithm under explicit KPA',
    obj: annotate({ 'autoscaling.knative.dev/class': 'kpa.autoscaling.knative.dev', 'autoscaling.knative.dev/metric-aggregation-algorithm': 'median' }),
    want: `invalid value: median: ${A}metric-aggregation-algorithm`,
  },
  { name: 'aggregation algorithm without a class', obj: annotate({ 'autoscaling.knative.dev/metric-aggregation-algorithm': 'median' }), want: null },
  {
    name: 'max-scale above max-scale-limit',
    obj: annotate({ 'autoscaling.knative.dev/max-scale': '20' }),
    cfg: config((c) => { c.autoscaler.maxScaleLimit = 10; }),
    want: `expected 1 <= 20 <= 10: ${A}max-scale`,
  },
  {
    name: 'unlimited max-scale with max-scale-limit',
    obj: helloService(),
    cfg: config((c) => { c.autoscaler.maxScaleLimit = 10; }),
    want: `max-scale=0 (unlimited), must be less than 10: ${A}max-scale`,
  },
];

// Updates: `old` is the stored object.
const renamedTemplate = (): J => svc((o) => { o.spec.template.metadata.name = 'hello-v1'; });
const updateRows: Row[] = [
  {
    name: 'BYO name unchanged while the template changed',
    old: renamedTemplate(),
    obj: svc((o) => { o.spec.template.metadata.name = 'hello-v1'; o.spec.template.spec.containers[0].image = 'file:///tmp/app2'; }),
    op: 'update',
    want: 'Saw the following changes without a name change (-old +new): spec.template.metadata.name\nspec.containers[0].image:\n\t-: "file:///tmp/app"\n\t+: "file:///tmp/app2"\n',
  },
  {
    name: 'BYO name changed with the template',
    old: renamedTemplate(),
    obj: svc((o) => { o.spec.template.metadata.name = 'hello-v2'; o.spec.template.spec.containers[0].image = 'file:///tmp/app2'; }),
    op: 'update',
    want: null,
  },
  { name: 'BYO name unchanged, template unchanged', old: renamedTemplate(), obj: renamedTemplate(), op: 'update', want: null },
  {
    name: 'creator changed',
    old: helloService(),
    obj: svc((o) => { o.metadata.annotations['serving.knative.dev/creator'] = 'mallory'; }),
    op: 'update',
    want: 'annotation value is immutable: metadata.annotations.serving.knative.dev/creator',
  },
  {
    name: 'lastModifier changed without a spec change',
    old: helloService(),
    obj: svc((o) => { o.metadata.annotations['serving.knative.dev/lastModifier'] = 'bob'; }),
    op: 'update',
    want: 'invalid value: bob: metadata.annotations.serving.knative.dev/lastModifier',
  },
  {
    name: 'lastModifier changed with a spec change',
    old: helloService(),
    obj: svc((o) => { o.metadata.annotations['serving.knative.dev/lastModifier'] = 'bob'; o.spec.template.spec.containers[0].image = 'busybox'; }),
    op: 'update',
    want: null,
  },
  {
    name: 'max-scale-limit is only enforced on create',
    old: helloService(),
    obj: helloService(),
    op: 'update',
    cfg: config((c) => { c.autoscaler.maxScaleLimit = 10; }),
    want: null,
  },
];

const configurationRows: Row[] = [
  { name: 'valid Configuration', kind: 'Configuration', obj: helloConfiguration(), want: null },
  {
    name: 'service label without an owner',
    kind: 'Configuration',
    obj: ((o: J) => { o.metadata.labels = { 'serving.knative.dev/service': 'hello' }; return o; })(helloConfiguration()),
    want: 'missing field(s): metadata.labels.serving.knative.dev/service',
  },
  {
    name: 'service label with its owner',
    kind: 'Configuration',
    obj: ((o: J) => {
      o.metadata.labels = { 'serving.knative.dev/service': 'hello' };
      o.metadata.ownerReferences = [{ apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'hello', uid: 'u1', controller: true }];
      return o;
    })(helloConfiguration()),
    want: null,
  },
  { name: 'traffic on a Configuration', kind: 'Configuration', obj: ((o: J) => { o.spec.traffic = []; return o; })(helloConfiguration()), want: 'must not set the field(s): spec.traffic' },
  {
    name: 'autoscaling annotation on a Configuration',
    kind: 'Configuration',
    obj: ((o: J) => { o.metadata.annotations['autoscaling.knative.dev/class'] = 'kpa.autoscaling.knative.dev'; return o; })(helloConfiguration()),
    want: 'invalid key name "autoscaling.knative.dev/class": metadata.annotations\nautoscaling annotations must be put under "spec.template.metadata.annotations" to work',
  },
  {
    name: 'owned Configuration: creator is not checked on update',
    kind: 'Configuration',
    op: 'update',
    old: helloConfiguration(),
    obj: ((o: J) => {
      o.metadata.ownerReferences = [{ apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'hello', uid: 'u1' }];
      o.metadata.annotations['serving.knative.dev/creator'] = 'someone-else';
      return o;
    })(helloConfiguration()),
    want: null,
  },
];

const revisionRows: Row[] = [
  { name: 'valid Revision', kind: 'Revision', obj: helloRevision(), want: null },
  {
    name: 'Revision port 8012',
    kind: 'Revision',
    obj: ((o: J) => { o.spec.containers[0].ports = [{ containerPort: 8012 }]; return o; })(helloRevision()),
    want: 'invalid value: 8012 is a reserved port: spec.containers[0].ports.containerPort\n8012 is a reserved port, please use a different value',
  },
  {
    name: 'Revision may carry autoscaling annotations',
    kind: 'Revision',
    obj: ((o: J) => { o.metadata.annotations = { 'autoscaling.knative.dev/min-scale': '1' }; return o; })(helloRevision()),
    want: null,
  },
  {
    name: 'Revision autoscaling annotation out of range',
    kind: 'Revision',
    obj: ((o: J) => { o.metadata.annotations = { 'autoscaling.knative.dev/min-scale': '-1' }; return o; })(helloRevision()),
    want: 'expected 0 <= -1 <= 2147483647: metadata.annotations.autoscaling.knative.dev/min-scale',
  },
  {
    name: 'configuration label without an owner',
    kind: 'Revision',
    obj: ((o: J) => { o.metadata.labels = { 'serving.knative.dev/configuration': 'hello' }; return o; })(helloRevision()),
    want: 'missing field(s): metadata.labels.serving.knative.dev/configuration',
  },
  {
    name: 'Revision spec changed on update',
    kind: 'Revision',
    op: 'update',
    old: helloRevision(),
    obj: ((o: J) => { o.spec.containers[0].image = 'busybox'; return o; })(helloRevision()),
    want: 'Immutable fields changed (-old +new): spec\ncontainers[0].image:\n\t-: "file:///tmp/app"\n\t+: "busybox"\n',
  },
  {
    name: 'Revision metadata changed on update',
    kind: 'Revision',
    op: 'update',
    old: helloRevision(),
    obj: ((o: J) => { o.metadata.labels = { 'serving.knative.dev/routingState': 'active' }; return o; })(helloRevision()),
    want: null,
  },
];

const routeRows: Row[] = [
  { name: 'valid Route', kind: 'Route', obj: helloRoute(), want: null },
  { name: 'Route without traffic', kind: 'Route', obj: ((o: J) => { o.spec.traffic = []; return o; })(helloRoute()), want: 'Traffic targets sum to 0, want 100: spec.traffic' },
  {
    name: 'Route target with neither name',
    kind: 'Route',
    obj: ((o: J) => { o.spec.traffic = [{ percent: 100 }]; return o; })(helloRoute()),
    want: 'expected exactly one, got neither: spec.traffic[0].configurationName, spec.traffic[0].revisionName',
  },
  {
    name: 'Route target with both names',
    kind: 'Route',
    obj: ((o: J) => { o.spec.traffic = [{ configurationName: 'a', revisionName: 'a-00001', percent: 100 }]; return o; })(helloRoute()),
    want: 'expected exactly one, got both: spec.traffic[0].configurationName, spec.traffic[0].revisionName',
  },
  {
    name: 'Route split by tag',
    kind: 'Route',
    obj: ((o: J) => {
      o.spec.traffic = [{ revisionName: 'hello-00001', percent: 90 }, { tag: 'canary', revisionName: 'hello-00002', percent: 10 }];
      return o;
    })(helloRoute()),
    want: null,
  },
  {
    name: 'Route service label without owner',
    kind: 'Route',
    obj: ((o: J) => { o.metadata.labels = { 'serving.knative.dev/service': 'hello' }; return o; })(helloRoute()),
    want: 'missing field(s): metadata.labels.serving.knative.dev/service',
  },
  {
    name: 'Route rollout-duration',
    kind: 'Route',
    obj: ((o: J) => { o.metadata.annotations = { 'serving.knative.dev/rollout-duration': '100ms' }; return o; })(helloRoute()),
    want: 'rollout-duration=100ms is not at second precision: metadata.annotations.serving.knative.dev/rollout-duration',
  },
  {
    name: 'unowned Route creator changed',
    kind: 'Route',
    op: 'update',
    old: ((o: J) => { o.metadata.annotations = { 'serving.knative.dev/creator': 'alice' }; return o; })(helloRoute()),
    obj: ((o: J) => { o.metadata.annotations = { 'serving.knative.dev/creator': 'bob' }; return o; })(helloRoute()),
    want: 'annotation value is immutable: metadata.annotations.serving.knative.dev/creator',
  },
];

function run(row: Row) {
  const ctx = { config: row.cfg ?? config(), op: row.op ?? 'create', old: row.old } as const;
  switch (row.kind ?? 'Service') {
    case 'Service': return validateService(row.obj, ctx);
    case 'Configuration': return validateConfiguration(row.obj, ctx);
    case 'Revision': return validateRevision(row.obj, ctx);
    case 'Route': return validateRoute(row.obj, ctx);
  }
}

for (const row of [...serviceRows, ...updateRows, ...configurationRows, ...revisionRows, ...routeRows]) {
  test(`validate ${row.kind ?? 'Service'}: ${row.name}`, () => {
    const err = run(row);
    assert.equal(err?.filter('Error')?.error ?? null, row.want);
    assert.equal(rejects(err), row.want !== null);
  });
}

// Warnings never reject; they are returned alongside errors.
const warningRows: { name: string; obj: J; cfg?: ServingConfig; want: string | null }[] = [
  {
    name: 'Kubernetes insecure defaults',
    obj: helloService(),
    want: `${INSECURE}: ${C}.securityContext.allowPrivilegeEscalation, ${C}.securityContext.capabilities, ${C}.securityContext.runAsNonRoot, ${C}.securityContext.seccompProfile`,
  },
  {
    name: 'secure-pod-defaults enabled',
    obj: helloService(),
    cfg: config((c) => { c.features.securePodDefaults = 'Enabled'; }),
    want: null,
  },
  {
    name: 'secure settings spelled out',
    obj: container((c) => { c.securityContext = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }; }),
    want: null,
  },
  {
    name: 'empty capabilities and seccomp type',
    obj: container((c) => { c.securityContext = { allowPrivilegeEscalation: true, runAsNonRoot: false, capabilities: {}, seccompProfile: { type: '' } }; }),
    want: `${INSECURE}: ${C}.securityContext.capabilities.drop, ${C}.securityContext.seccompProfile.type`,
  },
  {
    name: 'drop "all" misspelled',
    obj: container((c) => { c.securityContext = { allowPrivilegeEscalation: false, capabilities: { drop: ['all'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }; }),
    want: `invalid value: all: ${C}.securityContext.capabilities.drop\nMust be spelled as 'ALL'`,
  },
  {
    name: 'deprecated queue resource-percentage',
    obj: svc((o) => {
      o.spec.template.metadata.annotations['queue.sidecar.serving.knative.dev/resource-percentage'] = '50';
      o.spec.template.spec.containers[0].securityContext = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
    }),
    want: 'queue.sidecar.serving.knative.dev/resource-percentage is deprecated, use the queue.sidecar.serving.knative.dev/<resource>-resource-{request,limit} annotations instead: spec.template.metadata.annotations.queue.sidecar.serving.knative.dev/resource-percentage',
  },
];

for (const row of warningRows) {
  test(`warnings: ${row.name}`, () => {
    const err = validateService(row.obj, { config: row.cfg ?? config(), op: 'create' });
    assert.equal(err?.filter('Warning')?.error ?? null, row.want);
    assert.equal(rejects(err), false);
  });
}

test('validateObject dispatches on kind', () => {
  const ctx = { config: config(), op: 'create' } as const;
  assert.equal(validateObject(helloRoute(), ctx), null);
  assert.equal(validateObject(helloService(), ctx)?.filter('Error') ?? null, null);
  assert.equal(validateObject({ kind: 'Pod' }, ctx)?.error, 'invalid value: Pod: kind\nexpected one of Service, Configuration, Revision, Route');
  assert.equal(validateObject({}, ctx)?.error, 'missing field(s): kind');
});

type AnyKind = 'Service' | 'Configuration' | 'Revision' | 'Route';
const withTemplate = (k: AnyKind): boolean => k === 'Service' || k === 'Configuration';
const withTraffic = (k: AnyKind): boolean => k === 'Service' || k === 'Route';

/**
 * Malformed JSON of every sort: validation must not throw, must refuse it, and must say what is wrong.
 * `want(kind)` lists diagnostics (message and path) that the refusal must contain.
 */
const malformedRows: { input: J; want: (kind: AnyKind) => string[] }[] = [
  { input: null, want: (k) => [`invalid value: <nil>: \nexpected a ${k} object`] },
  { input: 1, want: (k) => [`invalid value: 1: \nexpected a ${k} object`] },
  { input: [], want: (k) => [`invalid value: []: \nexpected a ${k} object`] },
  { input: 'x', want: (k) => [`invalid value: x: \nexpected a ${k} object`] },
  { input: { spec: null }, want: () => ['name or generateName is required: metadata.name'] },
  {
    input: { spec: { template: 5 } },
    want: (k) => [withTemplate(k) ? 'invalid value: 5: spec.template\nmust be an object' : 'must not set the field(s): spec.template'],
  },
  {
    input: { spec: { template: { spec: { containers: [null, 1, 'a', []] } } } },
    want: (k) => withTemplate(k)
      ? ['invalid value: <nil>: spec.template.spec.containers[0]\nmust be an object', 'invalid value: a: spec.template.spec.containers[2]\nmust be an object']
      : ['must not set the field(s): spec.template'],
  },
  {
    input: { spec: { traffic: {} } },
    want: (k) => [withTraffic(k) ? 'invalid value: {}: spec.traffic\nmust be a list' : 'must not set the field(s): spec.traffic'],
  },
  {
    input: { spec: { template: { spec: { containers: [{ ports: 'x', env: {}, volumeMounts: 1, readinessProbe: [] }], volumes: [1] } } } },
    want: (k) => withTemplate(k)
      ? [
        'invalid value: x: spec.template.spec.containers[0].ports\nmust be a list',
        'invalid value: {}: spec.template.spec.containers[0].env\nmust be a list',
        'invalid value: 1: spec.template.spec.containers[0].volumeMounts\nmust be a list',
        'invalid value: []: spec.template.spec.containers[0].readinessProbe\nmust be an object',
        'invalid value: 1: spec.template.spec.volumes[0]\nmust be an object',
      ]
      : ['must not set the field(s): spec.template'],
  },
  {
    input: { metadata: { labels: [], annotations: 'x', ownerReferences: {} } },
    want: () => [
      'invalid value: []: metadata.labels\nmust be a map of strings to strings',
      'invalid value: x: metadata.annotations\nmust be a map of strings to strings',
      'invalid value: {}: metadata.ownerReferences\nmust be a list',
    ],
  },
];

test('malformed JSON is refused with what is wrong, never with a throw', () => {
  for (const { input, want } of malformedRows) {
    for (const kind of ['Service', 'Configuration', 'Revision', 'Route'] as const) {
      const obj = input !== null && typeof input === 'object' && !Array.isArray(input) ? { apiVersion: 'serving.knative.dev/v1', kind, ...input } : input;
      const err = run({ name: '', kind, obj, want: null });
      const label = `${kind} ${JSON.stringify(input)}`;
      assert.equal(rejects(err), true, `${label} must be refused`);
      const message = err?.filter('Error')?.error ?? '';
      for (const diagnostic of want(kind)) assert.ok(message.includes(diagnostic), `${label}: want ${JSON.stringify(diagnostic)} in ${JSON.stringify(message)}`);
    }
  }
});

test('name helpers match Kubernetes', () => {
  assert.deepEqual(isDNS1035Label('hello-world'), []);
  assert.equal(isDNS1035Label('a-').length, 1);
  assert.deepEqual(isQualifiedName('example.com/MyName'), []);
  assert.deepEqual(isQualifiedName('/x'), ['prefix part must be non-empty']);
  // Knative's wording: "a qualified name" and lengths in characters, where the API server says "a valid label key" and bytes.
  assert.match(isQualifiedName('a/b/c')[0], /^a qualified name must consist of/);
  assert.deepEqual(isQualifiedName(`x/${'n'.repeat(64)}`), ['name part must be no more than 63 characters']);
  // Go's maskTrailingDash drops the two last bytes of a generateName ending in '-': "a_-" is checked as "aa".
  assert.equal(notDNS1035Label('a_-', true), null);
  assert.equal(notDNS1035Label('a_-', false)?.startsWith('not a DNS 1035 label: [a DNS-1035 label must consist'), true);
  assert.equal(isImageReference('file:///srv/app'), true);
  assert.equal(isImageReference('file://relative'), false);
  assert.equal(isImageReference('docker.io/library/nginx:1.27'), true);
  assert.equal(isImageReference('Nginx'), false);
});

test('semanticEqual and shortDiff', () => {
  assert.equal(semanticEqual({ a: [], b: null }, {}), true);
  assert.equal(semanticEqual({ a: {} }, {}), false);
  assert.equal(shortDiff({ a: 1 }, { a: 1, b: null }), '');
  assert.equal(shortDiff({ a: { b: 1 } }, { a: { b: 2 }, c: 'x' }), 'a.b:\n\t-: 1\n\t+: 2\nc:\n\t-: <nil>\n\t+: "x"\n');
  assert.equal(shortDiff({ m: { 'x.y/z': '1' } }, { m: { 'x.y/z': '2' } }), 'm["x.y/z"]:\n\t-: "1"\n\t+: "2"\n');
});
