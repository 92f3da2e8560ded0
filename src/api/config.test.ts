// Tests for the serving configuration: Knative's defaults, YAML-style overrides and its Go templates.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONFIG_KEYS, defaultServingConfig, GC_DISABLED, mergeServingConfig, renderContainerNameTemplate, renderDomainTemplate,
  renderTagTemplate,
} from './config.ts';
import type { ServingConfig } from './config.ts';

test('defaults are Knative HEAD values (config-defaults, config-autoscaler, config-gc, config-network)', () => {
  const c = defaultServingConfig();
  assert.equal(c.defaults.revisionTimeoutSeconds, 300);
  assert.equal(c.defaults.maxRevisionTimeoutSeconds, 600);
  assert.equal(c.defaults.revisionResponseStartTimeoutSeconds, 300);
  assert.equal(c.defaults.revisionIdleTimeoutSeconds, 0);
  assert.equal(c.defaults.containerNameTemplate, 'user-container');
  assert.equal(c.defaults.containerConcurrency, 0);
  assert.equal(c.defaults.containerConcurrencyMaxLimit, 1000);
  assert.equal(c.defaults.allowContainerConcurrencyZero, true);
  assert.equal(c.defaults.enableServiceLinks, false);
  assert.equal(c.defaults.revisionCpuRequest, null);
  assert.equal(c.features.multiContainer, 'Enabled');
  assert.equal(c.features.podSpecVolumesEmptyDir, 'Enabled');
  assert.equal(c.features.podSpecAffinity, 'Disabled');
  assert.equal(c.features.podSpecFieldRef, 'Disabled');
  assert.equal(c.features.securePodDefaults, 'Disabled');
  assert.equal(c.autoscaler.targetBurstCapacity, 211);
  assert.equal(c.autoscaler.containerConcurrencyTargetFraction, 0.7);
  assert.equal(c.autoscaler.containerConcurrencyTargetDefault, 100);
  assert.equal(c.autoscaler.rpsTargetDefault, 200);
  assert.equal(c.autoscaler.stableWindowSeconds, 60);
  assert.equal(c.autoscaler.panicWindowPercentage, 10);
  assert.equal(c.autoscaler.panicThresholdPercentage, 200);
  assert.equal(c.autoscaler.maxScaleUpRate, 1000);
  assert.equal(c.autoscaler.maxScaleDownRate, 2);
  assert.equal(c.autoscaler.scaleToZeroGracePeriodSeconds, 30);
  assert.equal(c.autoscaler.enableScaleToZero, true);
  assert.equal(c.autoscaler.initialScale, 1);
  assert.equal(c.autoscaler.activatorCapacity, 100);
  assert.equal(c.autoscaler.podAutoscalerClass, 'kpa.autoscaling.knative.dev');
  assert.equal(c.gc.retainSinceCreateTimeSeconds, 48 * 3600);
  assert.equal(c.gc.retainSinceLastActiveTimeSeconds, 15 * 3600);
  assert.equal(c.gc.minNonActiveRevisions, 20);
  assert.equal(c.gc.maxNonActiveRevisions, 1000);
  assert.equal(c.network.domain, 'example.com');
  assert.equal(c.network.domainTemplate, '{{.Name}}.{{.Namespace}}.{{.Domain}}');
  assert.equal(c.network.tagTemplate, '{{.Tag}}-{{.Name}}');
  assert.equal(c.network.clusterDomain, 'cluster.local');
  assert.equal(c.network.rolloutDurationSeconds, 0);
  assert.equal(c.network.tagHeaderBasedRouting, false);
  assert.equal(c.deployment.progressDeadlineSeconds, 600);
});

test('defaultServingConfig returns a fresh object each time', () => {
  const a = defaultServingConfig();
  a.autoscaler.stableWindowSeconds = 1;
  assert.equal(defaultServingConfig().autoscaler.stableWindowSeconds, 60);
});

const mergeRows: { name: string; override: unknown; check: (c: ServingConfig) => void }[] = [
  { name: 'null override', override: null, check: (c) => assert.deepEqual(c, defaultServingConfig()) },
  { name: 'empty sections', override: { defaults: null, autoscaler: {} }, check: (c) => assert.deepEqual(c, defaultServingConfig()) },
  { name: 'stable-window as a Go duration', override: { autoscaler: { 'stable-window': '30s' } }, check: (c) => assert.equal(c.autoscaler.stableWindowSeconds, 30) },
  { name: 'minutes', override: { autoscaler: { 'scale-to-zero-grace-period': '1m30s' } }, check: (c) => assert.equal(c.autoscaler.scaleToZeroGracePeriodSeconds, 90) },
  { name: 'percentage as a number', override: { autoscaler: { 'container-concurrency-target-percentage': 80 } }, check: (c) => assert.equal(c.autoscaler.containerConcurrencyTargetFraction, 0.8) },
  { name: 'legacy fraction', override: { autoscaler: { 'container-concurrency-target-percentage': '0.5' } }, check: (c) => assert.equal(c.autoscaler.containerConcurrencyTargetFraction, 0.5) },
  { name: 'boolean from YAML', override: { autoscaler: { 'enable-scale-to-zero': false } }, check: (c) => assert.equal(c.autoscaler.enableScaleToZero, false) },
  { name: 'boolean from a string', override: { autoscaler: { 'allow-zero-initial-scale': 'True', 'initial-scale': '0' } }, check: (c) => assert.equal(c.autoscaler.initialScale, 0) },
  { name: 'panic-window-percentage 1.5 with the default 60s window (Knative checks only [1, 100])', override: { autoscaler: { 'panic-window-percentage': 1.5 } }, check: (c) => assert.equal(c.autoscaler.panicWindowPercentage, 1.5) },
  { name: 'target burst capacity -1', override: { autoscaler: { 'target-burst-capacity': -1 } }, check: (c) => assert.equal(c.autoscaler.targetBurstCapacity, -1) },
  { name: 'feature flags are case-insensitive', override: { features: { 'kubernetes.podspec-fieldref': 'enabled', 'multi-container': 'Disabled' } }, check: (c) => {
    assert.equal(c.features.podSpecFieldRef, 'Enabled');
    assert.equal(c.features.multiContainer, 'Disabled');
  } },
  { name: 'secure-pod-defaults', override: { features: { 'secure-pod-defaults': 'AllowRootBounded' } }, check: (c) => assert.equal(c.features.securePodDefaults, 'AllowRootBounded') },
  { name: 'gc disabled', override: { gc: { 'retain-since-create-time': 'disabled', 'max-non-active-revisions': 'disabled' } }, check: (c) => {
    assert.equal(c.gc.retainSinceCreateTimeSeconds, GC_DISABLED);
    assert.equal(c.gc.maxNonActiveRevisions, GC_DISABLED);
  } },
  { name: 'network', override: { network: { domain: 'knit.local', 'rollout-duration': 380, 'tag-header-based-routing': 'Enabled' } }, check: (c) => {
    assert.equal(c.network.domain, 'knit.local');
    assert.equal(c.network.rolloutDurationSeconds, 380);
    assert.equal(c.network.tagHeaderBasedRouting, true);
  } },
  { name: 'external-domain-tls and http-protocol', override: { network: { 'external-domain-tls': 'Enabled', 'http-protocol': 'redirected' } }, check: (c) => {
    assert.equal(c.network.externalDomainTLS, true);
    assert.equal(c.network.httpProtocol, 'Redirected');
  } },
  { name: 'revision timeout also moves the response-start default', override: { defaults: { 'revision-timeout-seconds': 100 } }, check: (c) => {
    assert.equal(c.defaults.revisionTimeoutSeconds, 100);
    assert.equal(c.defaults.revisionResponseStartTimeoutSeconds, 100);
  } },
  { name: 'resource defaults', override: { defaults: { 'revision-memory-limit': '512Mi', 'enable-service-links': 'default' } }, check: (c) => {
    assert.equal(c.defaults.revisionMemoryLimit, '512Mi');
    assert.equal(c.defaults.enableServiceLinks, null);
  } },
  { name: 'progress deadline', override: { deployment: { 'progress-deadline': '2m' } }, check: (c) => assert.equal(c.deployment.progressDeadlineSeconds, 120) },
];

for (const row of mergeRows) {
  test(`mergeServingConfig: ${row.name}`, () => {
    const base = defaultServingConfig();
    row.check(mergeServingConfig(base, row.override));
    assert.deepEqual(base, defaultServingConfig(), 'base is not mutated');
  });
}

const badRows: { name: string; override: unknown; want: RegExp }[] = [
  { name: 'not a mapping', override: ['x'], want: /config: expected a mapping with sections defaults, features, autoscaler, gc, network, deployment$/ },
  { name: 'unknown section', override: { autoscaling: {} }, want: /unknown section "autoscaling"/ },
  { name: 'unknown key', override: { autoscaler: { 'stable-windw': '60s' } }, want: /autoscaler: unknown key "stable-windw"/ },
  { name: 'section not a mapping', override: { gc: 'x' }, want: /gc: expected a mapping/ },
  { name: 'bad duration', override: { autoscaler: { 'stable-window': '60' } }, want: /autoscaler\.stable-window: invalid duration "60"/ },
  { name: 'bad boolean', override: { autoscaler: { 'enable-scale-to-zero': 'yes' } }, want: /autoscaler\.enable-scale-to-zero: invalid boolean "yes"/ },
  { name: 'bad integer', override: { defaults: { 'container-concurrency': '1.5' } }, want: /defaults\.container-concurrency: invalid integer "1\.5"/ },
  { name: 'bad flag', override: { features: { 'multi-container': 'on' } }, want: /features\.multi-container: invalid feature flag "on"/ },
  { name: 'bad http-protocol', override: { network: { 'http-protocol': 'Disabled' } }, want: /network\.http-protocol: httpProtocol Disabled in config-network ConfigMap is not supported/ },
  { name: 'bad external-domain-tls', override: { network: { 'external-domain-tls': 'yes' } }, want: /network\.external-domain-tls: external-domain-tls must be "Enabled" or "Disabled"/ },
  { name: 'bad quantity', override: { defaults: { 'revision-cpu-request': 'lots' } }, want: /defaults\.revision-cpu-request: invalid quantity "lots"/ },
  { name: 'structured value', override: { network: { domain: { a: 1 } } }, want: /network\.domain: expected a string, number or boolean/ },
  { name: 'all problems are listed', override: { autoscaler: { a: 1, b: 2 } }, want: /unknown key "a"; autoscaler: unknown key "b"/ },
  { name: 'timeout above max', override: { defaults: { 'revision-timeout-seconds': 700 } }, want: /revision-timeout-seconds \(700\) cannot be greater than max-revision-timeout-seconds \(600\)/ },
  { name: 'container concurrency above limit', override: { defaults: { 'container-concurrency': 2000 } }, want: /container-concurrency = 2000, must be in \[0, 1000\]/ },
  { name: 'stable window too short', override: { autoscaler: { 'stable-window': '5s' } }, want: /stable-window = 5s, must be in \[6s; 1h0m0s\] range/ },
  { name: 'stable window with a fraction', override: { autoscaler: { 'stable-window': '6500ms' } }, want: /stable-window = 6.5s, must be specified with at most second precision/ },
  // knative/serving pkg/autoscaler/config/config_test.go: "panic window percentage too small" / "too big".
  { name: 'panic window percentage too small', override: { autoscaler: { 'panic-window-percentage': '0.1' } }, want: /autoscaler: panic-window-percentage = 0\.1, must be in \[1, 100\] interval/ },
  { name: 'panic window percentage too big', override: { autoscaler: { 'stable-window': '12s', 'panic-window-percentage': '110' } }, want: /panic-window-percentage = 110, must be in \[1, 100\] interval/ },
  { name: 'panic window percentage 0.5 with a 10m window', override: { autoscaler: { 'stable-window': '10m', 'panic-window-percentage': 0.5 } }, want: /panic-window-percentage = 0\.5, must be in \[1, 100\] interval/ },
  { name: 'percentage above 100', override: { autoscaler: { 'container-concurrency-target-percentage': 150 } }, want: /container-concurrency-target-percentage = 150 is outside of valid range of \(0, 100\]/ },
  { name: 'scale-up rate', override: { autoscaler: { 'max-scale-up-rate': 1 } }, want: /max-scale-up-rate = 1, must be greater than 1\.0/ },
  { name: 'initial scale 0', override: { autoscaler: { 'initial-scale': 0 } }, want: /initial-scale = 0, must be at least 0 \(or at least 1 when allow-zero-initial-scale is false\)/ },
  { name: 'burst capacity', override: { autoscaler: { 'target-burst-capacity': -5 } }, want: /target-burst-capacity must be either non-negative or -1/ },
  { name: 'max-scale above limit', override: { autoscaler: { 'max-scale-limit': 10, 'max-scale': 20 } }, want: /max-scale = 20, must be in \[1, 10\] range/ },
  { name: 'gc min above max', override: { gc: { 'min-non-active-revisions': 30, 'max-non-active-revisions': 10 } }, want: /max-non-active-revisions\(10\) must be >= min-non-active-revisions\(30\)/ },
  { name: 'domain template with a path', override: { network: { 'domain-template': '{{.Domain}}/{{.Name}}' } }, want: /domain-template has url path: \/foo/ },
  { name: 'domain template with an unknown field', override: { network: { 'domain-template': '{{.Nom}}.{{.Domain}}' } }, want: /network: domain-template: template: domain-template:1:2: executing "domain-template" at <\.Nom>: can't evaluate field Nom in type config\.DomainTemplateValues/ },
  { name: 'tag template that does not parse', override: { network: { 'tag-template': '{{.Tag' } }, want: /network: tag-template: template: tag-template:1: unclosed action/ },
  { name: 'container name template with an unknown field', override: { defaults: { 'container-name-template': '{{.Uid}}' } }, want: /defaults: container-name-template: template: container-name-template:1:2: executing "container-name-template" at <\.Uid>: can't evaluate field Uid in type v1\.ObjectMeta/ },
  { name: 'negative rollout duration', override: { network: { 'rollout-duration': -1 } }, want: /rollout-duration must be non-negative/ },
];

for (const row of badRows) {
  test(`mergeServingConfig rejects: ${row.name}`, () => {
    assert.throws(() => mergeServingConfig(defaultServingConfig(), row.override), row.want);
  });
}

test('CONFIG_KEYS lists the accepted ConfigMap keys per section', () => {
  assert.ok(CONFIG_KEYS.autoscaler.includes('stable-window'));
  assert.ok(CONFIG_KEYS.defaults.includes('container-concurrency-max-limit'));
  assert.ok(CONFIG_KEYS.features.includes('kubernetes.podspec-affinity'));
  assert.ok(CONFIG_KEYS.features.includes('secure-pod-defaults'));
  assert.equal(CONFIG_KEYS.autoscaler.length, 20);
});

test('the domain and tag templates run on the text/template engine, on Go structs', () => {
  const v = { Name: 'hello', Namespace: 'default', Domain: 'example.com', Annotations: {}, Labels: { app: 'web' } };
  assert.equal(renderDomainTemplate('{{.Name}}.{{.Namespace}}.{{.Domain}}', v), 'hello.default.example.com');
  assert.equal(renderTagTemplate('{{ .Tag }}-{{.Name}}', { Tag: 'v2', Name: 'hello' }), 'v2-hello');
  assert.equal(renderDomainTemplate('{{index .Labels "app"}}.{{.Domain}}', v), 'web.example.com');
  // map[string]string: a missing key indexes to "", not <no value>.
  assert.equal(renderDomainTemplate('{{index .Annotations "missing"}}x', v), 'x');
  assert.throws(() => renderDomainTemplate('{{.Missing}}', v), /can't evaluate field Missing in type config\.DomainTemplateValues/);
  // The whole language, not a subset: conditionals and functions work as in Go.
  assert.equal(renderDomainTemplate('{{if .Name}}x{{end}}', v), 'x');
  assert.equal(renderDomainTemplate('{{with index .Labels "app"}}{{.}}.{{end}}{{.Name}}', v), 'web.hello');
});

test('renderDomainTemplate, renderTagTemplate and renderContainerNameTemplate name their template and type', () => {
  const domain = { Name: 'hello', Namespace: 'default', Domain: 'example.com', Annotations: {}, Labels: { team: 'web' } };
  assert.equal(renderDomainTemplate('{{.Name}}.{{index .Labels "team"}}.{{.Domain}}', domain), 'hello.web.example.com');
  assert.throws(() => renderDomainTemplate('{{.Tag}}', domain),
    /^Error: template: domain-template:1:2: executing "domain-template" at <\.Tag>: can't evaluate field Tag in type config\.DomainTemplateValues$/);
  assert.equal(renderTagTemplate('{{.Tag}}-{{.Name}}', { Name: 'hello', Tag: 'v2' }), 'v2-hello');
  assert.throws(() => renderTagTemplate('{{.Domain}}', { Name: 'hello', Tag: 'v2' }), /in type config\.TagTemplateValues/);
  const meta = { Name: 'svc', Namespace: 'ns', GenerateName: '', Labels: {}, Annotations: {} };
  assert.equal(renderContainerNameTemplate('container-name-template', '{{.Name}}-app', meta), 'svc-app');
});
