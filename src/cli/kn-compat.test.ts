// knative/client's tests translated for knit: unknown sub-commands (cmd/kn/main_test.go), plugins
// (pkg/plugin/manager_test.go, pkg/commands/plugin/list_test.go), the kn config file (pkg/config/config_test.go),
// pod-spec flags and --profile (pkg/flags/podspec_helper_test.go, pkg/commands/service/configuration_edit_flags_test.go),
// resource flags (pkg/flags/resources_test.go) and autoscaling validation order (pkg/serving/config_changes_test.go).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Service } from '../api/types.ts';
import type { CommandSpec } from './command.ts';
import { GLOBAL_FLAGS } from './command.ts';
import { ROOT } from './commands.ts';
import { applyEditFlags, newService, readServiceFile } from './edit.ts';
import { expandFlags, parseCommandLine, reconcilePairedFlags } from './flags.ts';
import { loadKnConfig } from './kn-config.ts';
import { loadKubeTarget } from './kube-context.ts';
import { printList } from './output.ts';
import { argsWithoutCommands, overridesBuiltIn, stripFlags } from './plugins.ts';
import { runCli } from '../../test/cli-runner.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-kn-compat-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A fresh directory under the test's temp dir. */
function dir(name: string): string {
  const d = path.join(tmp, name);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

/** An executable shell script. */
function script(file: string, body: string): string {
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

/** Runs the CLI in-process with HOME in a temp dir, no server. */
function cli(argv: string[], env: Record<string, string> = {}) {
  return runCli(argv, { env: { KNIT_SERVER: 'http://127.0.0.1:1', HOME: dir('home'), PATH: '/usr/bin:/bin', ...env }, cwd: tmp });
}

describe('unknown sub-commands are reported before flags (cmd/kn/main_test.go TestUnknownCommands, TestRunWithExit)', () => {
  const subs = 'apply, create, delete, describe, export, import, list, update, wait';
  it('service unknown test --scale-min=0', async () => {
    const r = await cli(['service', 'unknown', 'test', '--scale-min=0']);
    assert.equal(r.code, 1);
    assert.equal(r.err, `Error: unknown sub-command 'unknown' for 'knit service'. Available sub-commands: ${subs}\nRun 'knit service --help' for usage\n`);
  });
  it('service --foo=bar: no word, the flag is the error', async () => {
    const r = await cli(['service', '--foo=bar']);
    assert.equal(r.code, 1);
    assert.equal(r.err, "Error: unknown flag: --foo for 'knit service'\nRun 'knit service --help' for usage\n");
  });
  it('an unknown flag with a value before the word', async () => {
    const r = await cli(['service', '--scale-min', '0', 'blub']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^Error: unknown sub-command '0' for 'knit service'/);
  });
  it('kn non-existing: unknown command', async () => {
    const r = await cli(['non-existing']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^Error: unknown command "non-existing" for "knit"/);
  });
  it('kn service create foo --foo: unknown flag', async () => {
    const r = await cli(['service', 'create', 'foo', '--foo']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^Error: unknown flag: --foo for 'knit service create'/);
  });
});

describe('plugin helpers (cmd/kn/main_test.go)', () => {
  it('TestStripFlags', () => {
    assert.deepEqual(stripFlags(['test', '-h', 'second', '--bla']), ['test', 'second']);
    assert.deepEqual(stripFlags(['--help', 'test']), ['test']);
    assert.deepEqual(stripFlags(['--unknown-option', 'bla', 'test', 'second']), ['test', 'second']);
    assert.deepEqual(stripFlags(['--config', 'bla', 'test', 'second']), ['test', 'second']);
    assert.deepEqual(stripFlags(['test']), ['test']);
    assert.deepEqual(stripFlags(['--log-http', 'test', '--', 'x', '-y']), ['test', 'x', '-y']);
  });
  it('TestArgsWithoutCommands', () => {
    assert.deepEqual(argsWithoutCommands(['--option', 'val', 'one', 'second', 'rest'], ['one', 'second']), ['--option', 'val', 'rest']);
    assert.deepEqual(argsWithoutCommands(['--option', 'val', 'one', 'second', 'rest'], ['second', 'one']), ['--option', 'val', 'one', 'rest']);
    assert.deepEqual(argsWithoutCommands(['--option', 'val', 'one', 'second', 'third', 'one', 'rest'], ['second', 'one']), ['--option', 'val', 'one', 'third', 'rest']);
  });
  it('TestValidatePlugin: a plugin may add a command or a group member, never replace one', () => {
    const leaf = (name: string): CommandSpec => ({ name, use: name, short: name, run: async () => async () => {} });
    const root: CommandSpec = {
      name: 'kn', use: 'kn', short: 'kn',
      subcommands: [{ name: 'one', use: 'one', short: 'one', subcommands: [leaf('eins'), leaf('zwei')] }, leaf('two')],
    };
    const rows: [string[], boolean][] = [
      [['test'], false], [['one', 'drei'], false], [['one'], true], [['one', 'zwei'], true],
      [['one', 'zwei', 'trois'], true], [['two'], true], [['two', 'deux', 'and', 'more'], true],
    ];
    for (const [parts, overrides] of rows) assert.equal(overridesBuiltIn(root, parts), overrides, parts.join(' '));
  });
});

describe('plugins: dispatch and list', () => {
  const bin = dir('plugin-bin');
  script(path.join(bin, 'knit-hello'), 'echo "hello $*"; echo "to stderr" >&2');
  script(path.join(bin, 'kn-source-git_hub'), 'echo "github $*"');
  script(path.join(bin, 'kn-fail'), 'exit 3');
  const env = { PATH: `${bin}:/usr/bin:/bin` };

  it('knit hello runs knit-hello with the remaining arguments, flags included', async () => {
    const r = await cli(['hello', 'a', '--b', 'c', '-n', 'x'], env);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'hello a --b c -n x\n');
    assert.equal(r.err, 'to stderr\n');
  });
  it('a kn- plugin runs too; dashes in words are underscores in the file name', async () => {
    const r = await cli(['source', 'git-hub', 'create', 'x'], env);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'github create x\n');
  });
  it('a failing plugin: Error: exit status N, without the usage hint (TestRunWithPluginError)', async () => {
    const r = await cli(['fail'], env);
    assert.equal(r.code, 1);
    assert.equal(r.err, 'Error: exit status 3\n');
  });
  it('knit plugin list lists plugins on $PATH, sorted by name', async () => {
    const r = await cli(['plugin', 'list'], env);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `- kn-fail : ${bin}/kn-fail\n- kn-source-git_hub : ${bin}/kn-source-git_hub\n- knit-hello : ${bin}/knit-hello\n`);
  });
  it('no plugins: No plugins found.; --verbose names the directory', async () => {
    const empty = dir('no-plugins');
    const r = await cli(['plugin', 'ls'], { PATH: empty });
    assert.equal(r.out, 'No plugins found.\n');
    const v = await cli(['plugin', 'list', '--verbose', '--plugins-dir', path.join(empty, 'nope')], { PATH: empty });
    assert.equal(v.out, `The following plugins are available, using options:\n  plugins dir: '${path.join(empty, 'nope')}' (does not exist)\n  lookup plugins in $PATH: true\n\nNo plugins found in path '${path.join(empty, 'nope')}'.\n`);
  });
  it('the plugins directory from the config file; a non-executable one is listed with a warning', async () => {
    const pdir = dir('config-plugins');
    fs.writeFileSync(path.join(pdir, 'kn-lazy'), 'not executable', { mode: 0o644 });
    const cfg = path.join(dir('config-dir'), 'config.yaml');
    fs.writeFileSync(cfg, `plugins:\n  directory: ${pdir}\n`);
    const r = await cli(['plugin', 'list', '--config', cfg], { PATH: dir('empty-path') });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `- kn-lazy : ${pdir}/kn-lazy\n\nWARNING:\n  - ${pdir}/kn-lazy is not executable by current user\n`);
  });
  it('a plugin that would replace a built-in command is refused, and list reports it', async () => {
    const b = dir('override-bin');
    script(path.join(b, 'kn-service-create'), 'echo should not run');
    const r = await cli(['service', 'create', 'x', '--image', 'i'], { PATH: b });
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.equal(r.err, `Error: plugin ${b}/kn-service-create is overriding built-in command 'service create' which is not allowed\nRun 'knit --help' for usage\n`);
    const l = await cli(['plugin', 'list'], { PATH: b });
    assert.equal(l.code, 1);
    assert.equal(l.out, `- kn-service-create : ${b}/kn-service-create\n\nERROR:\n  - ${b}/kn-service-create overwrites existing built-in command: 'service create'\n`);
    assert.match(l.err, /^Error: plugin validation errors\n/);
  });
  it('a plugin may add a sub-command to a group: knit service log', async () => {
    const b = dir('group-bin');
    script(path.join(b, 'knit-service-log'), 'echo "log $*"');
    const r = await cli(['service', 'log', 'mysvc'], { PATH: b });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'log mysvc\n');
  });
});

describe("kn's config file (pkg/config/config_test.go)", () => {
  it('TestBootstrapConfig: plugins directory, profiles merged with the built-in istio, eventing mappings', () => {
    const cfg = path.join(dir('bootstrap'), 'config.yaml');
    fs.writeFileSync(cfg, `
plugins:
  directory: /tmp
profiles:
  knative:
    labels:
      - name: environment
        value: "knative"
    annotations:
      - name: sidecar.knative.io/inject
        value: "true"
      - name: sidecar.knative.io/rewriteAppHTTPProbers
        value: "true"
eventing:
  sink-mappings:
  - prefix: service
    resource: services
    group: core
    version: v1
  channel-type-mappings:
  - alias: kafka
    kind: KafkaChannel
    group: messaging.knative.dev
    version: v1alpha1
`);
    const c = loadKnConfig({ configFlag: cfg, env: { HOME: dir('bootstrap-home') } });
    assert.equal(c.configFile, cfg);
    assert.equal(c.pluginsDir, '/tmp');
    assert.equal(c.lookupPluginsInPath, true);
    assert.deepEqual(c.profiles.istio, {
      labels: [{ name: 'sidecar.istio.io/inject', value: 'true' }],
      annotations: [{ name: 'sidecar.istio.io/rewriteAppHTTPProbers', value: 'true' }, { name: 'serving.knative.openshift.io/enablePassthrough', value: 'true' }],
    });
    assert.deepEqual(c.profiles.knative, {
      labels: [{ name: 'environment', value: 'knative' }],
      annotations: [{ name: 'sidecar.knative.io/inject', value: 'true' }, { name: 'sidecar.knative.io/rewriteAppHTTPProbers', value: 'true' }],
    });
    assert.deepEqual(c.sinkMappings, [{ prefix: 'service', resource: 'services', group: 'core', version: 'v1' }]);
    assert.deepEqual(c.channelTypeMappings, [{ alias: 'kafka', kind: 'KafkaChannel', group: 'messaging.knative.dev', version: 'v1alpha1' }]);
  });
  it('TestBootstrapConfigWithoutConfigFile: defaults under ~/.config/kn (XDG_CONFIG_HOME respected)', () => {
    const home = dir('nocfg-home');
    const c = loadKnConfig({ env: { HOME: home } });
    assert.equal(c.configFile, path.join(home, '.config', 'kn', 'config.yaml'));
    assert.equal(c.pluginsDir, path.join(home, '.config', 'kn', 'plugins'));
    assert.equal(fs.existsSync(c.configFile), false, 'knit writes no template file');
    const x = loadKnConfig({ env: { HOME: home, XDG_CONFIG_HOME: '/xdg' } });
    assert.equal(x.pluginsDir, '/xdg/kn/plugins');
  });
  it('TestBootstrapLegacyConfigFields: plugins-dir and sink', () => {
    const cfg = path.join(dir('legacy'), 'config.yaml');
    fs.writeFileSync(cfg, 'plugins-dir: /legacy-plugin\nlookup-plugins: true\nsink:\n- prefix: service\n  resource: services\n  group: core\n  version: v1\n');
    const c = loadKnConfig({ configFlag: cfg, env: { HOME: dir('legacy-home') } });
    assert.equal(c.pluginsDir, '/legacy-plugin');
    assert.deepEqual(c.sinkMappings, [{ prefix: 'service', resource: 'services', group: 'core', version: 'v1' }]);
  });
  it('--plugins-dir wins over the file; ~ expands', () => {
    const cfg = path.join(dir('override'), 'config.yaml');
    fs.writeFileSync(cfg, 'plugins:\n  directory: ~/plugs\n');
    assert.equal(loadKnConfig({ configFlag: cfg, env: { HOME: '/h' } }).pluginsDir, '/h/plugs');
    assert.equal(loadKnConfig({ configFlag: cfg, pluginsDirFlag: '/p', env: { HOME: '/h' } }).pluginsDir, '/p');
  });
  it('a malformed file is an error naming it', () => {
    const cfg = path.join(dir('broken'), 'config.yaml');
    fs.writeFileSync(cfg, 'profiles: [1, 2]\n');
    assert.throws(() => loadKnConfig({ configFlag: cfg, env: {} }), { message: `error while parsing profiles in configuration file ${cfg}: expected a mapping of profile names` });
  });
});

// ---------------------------------------------------------------------------------------------
// Edit flags, applied to a Service without a server.

function flagsFor(command: 'create' | 'update', argv: string[]) {
  const cmd = ROOT.subcommands!.find((c) => c.name === 'service')!.subcommands!.find((c) => c.name === command)!;
  const own = expandFlags(cmd.flags ?? []);
  const { flags } = parseCommandLine(argv, [...own, ...GLOBAL_FLAGS.filter((g) => !own.some((f) => f.name === g.name))]);
  reconcilePairedFlags(flags);
  return flags;
}

function created(argv: string[], env: Record<string, string> = { HOME: dir('edit-home') }): Service {
  const svc = newService('hello', 'default');
  applyEditFlags(svc, flagsFor('create', ['--image', 'img', ...argv]), { command: 'create', cwd: '/', env });
  return svc;
}

function updated(svc: Service, argv: string[], env: Record<string, string> = { HOME: dir('edit-home') }): Service {
  applyEditFlags(svc, flagsFor('update', argv), { command: 'update', cwd: '/', env });
  return svc;
}

describe('service account and pull secret (create_test.go TestServiceCreateWithServiceAccountName, podspec_helper.go)', () => {
  it('--service-account sets serviceAccountName; "" clears it', () => {
    const svc = created(['--service-account', 'foo-bar-account']);
    assert.equal(svc.spec.template.spec.serviceAccountName, 'foo-bar-account');
    assert.equal(updated(svc, ['--service-account', '']).spec.template.spec.serviceAccountName, undefined);
  });
  it('--pull-secret sets one imagePullSecret; "" clears them', () => {
    const svc = created(['--pull-secret', ' regcred ']);
    assert.deepEqual(svc.spec.template.spec.imagePullSecrets, [{ name: 'regcred' }]);
    assert.equal(updated(svc, ['--pull-secret', '']).spec.template.spec.imagePullSecrets, undefined);
  });
});

describe('--security-context (podspec_helper_test.go TestUpdateSecurityContext)', () => {
  it('strict: no privilege escalation, non-root, all capabilities dropped, RuntimeDefault seccomp; none removes it', () => {
    const svc = created(['--security-context', 'strict']);
    assert.deepEqual(svc.spec.template.spec.containers[0].securityContext, {
      allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.equal(updated(svc, ['--security-context', 'none']).spec.template.spec.containers[0].securityContext, undefined);
  });
  it('anything else is kn\'s error', () => {
    assert.throws(() => created(['--security-context', 'unknown']), { message: 'invalid --security-context unknown. Valid arguments: strict | none' });
  });
});

describe('--node-selector, --toleration, --node-affinity (podspec_helper_test.go)', () => {
  const specOf = (svc: Service): Record<string, unknown> => svc.spec.template.spec as unknown as Record<string, unknown>;
  it('TestUpdateNodeSelector', () => {
    const svc = created(['--node-selector', 'k8s.io/hostname=test']);
    assert.deepEqual(specOf(updated(svc, ['--node-selector', 'foo1=bar1', '--node-selector', 'foo2=bar2'])).nodeSelector, { 'k8s.io/hostname': 'test', foo1: 'bar1', foo2: 'bar2' });
    assert.deepEqual(specOf(updated(svc, ['--node-selector', 'k8s.io/hostname-'])).nodeSelector, { foo1: 'bar1', foo2: 'bar2' });
    assert.throws(() => created(['--node-selector', '=test']), { message: 'Invalid --node-selector: The key is empty' });
  });
  it('TestUpdateToleration: the pairs of one flag make one toleration', () => {
    const svc = created(['--toleration', 'Key=node-role.kubernetes.io/master,effect=NoSchedule,operator=Equal,Value=']);
    assert.deepEqual(specOf(svc).tolerations, [{ key: 'node-role.kubernetes.io/master', effect: 'NoSchedule', operator: 'Equal' }]);
    assert.throws(() => created(['--toleration', 'Key=k,effect=NoSchedule,operator=Equal,=test']), { message: 'Invalid --toleration: The key is empty' });
  });
  it('TestUpdateNodeAffinity', () => {
    const req = created(['--node-affinity', 'Type=Required,Key=topology.kubernetes.io/zone,Operator=In,Values=antarctica-east1 antarctica-east2']);
    assert.deepEqual(specOf(req).affinity, {
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['antarctica-east1', 'antarctica-east2'] }] }] } },
    });
    const pref = created(['--node-affinity', 'Type=Preferred,Key=topology.kubernetes.io/zone,Operator=In,Values=antarctica-east1,Weight=1']);
    assert.deepEqual(specOf(pref).affinity, {
      nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['antarctica-east1'] }] } }] },
    });
    assert.throws(() => created(['--node-affinity', '=Preferred,Key=k']), { message: 'Invalid --node-affinity: The key is empty' });
    assert.throws(() => created(['--node-affinity', 'Type=Preferred,-topology.kubernetes.io/zone']), {
      message: 'Invalid --node-affinity: Argument requires a value that contains the "=" character as delimiter; got "-topology.kubernetes.io/zone"',
    });
    assert.throws(() => created(['--node-affinity', 'Type=Sometimes,Key=k']), { message: 'Invalid --node-affinity: Invalid type defined for node affinity, Valid arguments: Required | Preferred' });
  });
});

describe('--profile (configuration_edit_flags_test.go)', () => {
  it('TestApplyDefaultProfileFlag: istio', () => {
    const svc = created(['--profile', 'istio']);
    assert.equal(svc.metadata.labels?.['sidecar.istio.io/inject'], 'true');
    assert.equal(svc.spec.template.metadata?.annotations?.['sidecar.istio.io/rewriteAppHTTPProbers'], 'true');
    assert.equal(svc.spec.template.metadata?.annotations?.['serving.knative.openshift.io/enablePassthrough'], 'true');
  });
  const home = dir('profile-home');
  fs.mkdirSync(path.join(home, '.config', 'kn'), { recursive: true });
  fs.writeFileSync(path.join(home, '.config', 'kn', 'config.yaml'), `
profiles:
  testprofile:
    labels:
      - name: environment
        value: "test"
    annotations:
      - name: sidecar.testprofile.io/inject
        value: "true"
      - name: sidecar.testprofile.io/rewriteAppHTTPProbers
        value: "true"
`);
  it('TestApplyProfileFlag and TestDeleteProfileFlag: a configured profile, then NAME- removes it', () => {
    const svc = created(['--profile', 'testprofile'], { HOME: home });
    assert.equal(svc.spec.template.metadata?.annotations?.['sidecar.testprofile.io/inject'], 'true');
    assert.equal(svc.spec.template.metadata?.annotations?.['sidecar.testprofile.io/rewriteAppHTTPProbers'], 'true');
    assert.equal(svc.metadata.labels?.environment, 'test');
    updated(svc, ['--profile', 'testprofile-'], { HOME: home });
    assert.equal(svc.spec.template.metadata?.annotations?.['sidecar.testprofile.io/inject'], undefined);
    assert.deepEqual(Object.keys(svc.spec.template.metadata?.annotations ?? {}).filter((k) => !k.startsWith('client.knative.dev/')), []);
    assert.equal(svc.metadata.labels, undefined);
  });
  it('TestApplyProfileFlagError', () => {
    assert.throws(() => created(['--profile', 'invalidprofile']), { message: "profile invalidprofile doesn't exist" });
  });
});

describe('resources and validation order', () => {
  it('resources_test.go: a removal key carries a value that is never parsed', () => {
    const svc = created(['--limit', 'memory=200Mi,cpu=200m,memory-=200MB']);
    assert.deepEqual(svc.spec.template.spec.containers[0].resources, { limits: { cpu: '200m' } });
    assert.deepEqual(created(['--request', 'cpu=500m,cpu-']).spec.template.spec.containers[0].resources, {});
    assert.throws(() => created(['--request', 'memory=200MB']), /quantities must match the regular expression/);
    assert.throws(() => created(['--limit', 'memory:500Mi']), /quantities must match the regular expression/);
  });
  it('update --concurrency-limit -1 --scale-target 0 reports --scale-target first', () => {
    const svc = created([]);
    assert.throws(() => updated(svc, ['--concurrency-limit', '-1', '--scale-target', '0']), { message: 'target 0 should be at least 0.01: autoscaling.knative.dev/target' });
  });
  it('config_changes_test.go: autoscaling annotations are validated as Serving does', () => {
    assert.throws(() => created(['--scale-target', '-1']), /should be at least 0\.01/);
    assert.throws(() => created(['--scale-utilization', '0']), { message: 'expected 1 <= 0 <= 100: autoscaling.knative.dev/target-utilization-percentage' });
    assert.throws(() => created(['--scale-window', '5s']), { message: 'expected 6s <= 5s <= 1h0m0s: autoscaling.knative.dev/window' });
    assert.equal(created(['--scale-init', '0']).spec.template.metadata?.annotations?.['autoscaling.knative.dev/initial-scale'], '0');
  });
});

describe('-o json of a list: keys sorted at every level, as kn prints unstructured lists (service/list_test.go TestListEmptyWithJSON)', () => {
  it('an empty list', async () => {
    const out = await printList([], 'Service', { format: 'json' });
    assert.equal(out, '{\n    "apiVersion": "serving.knative.dev/v1",\n    "items": [],\n    "kind": "ServiceList",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n');
  });
  it('items too', async () => {
    const out = await printList([{ metadata: { name: 'a', namespace: 'default' }, spec: { template: { spec: { containers: [{ image: 'i' }] } } }, status: { url: 'http://a' } }], 'Service', { format: 'json' });
    const doc = JSON.parse(out) as { items: Record<string, unknown>[] };
    assert.deepEqual(Object.keys(doc.items[0]), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    assert.deepEqual(Object.keys(doc.items[0].metadata as object), ['name', 'namespace']);
    assert.ok(out.indexOf('"apiVersion"') < out.indexOf('"items"') && out.indexOf('"items"') < out.lastIndexOf('"kind": "ServiceList"'));
  });
});

// knative/client pkg/commands/service/create_test.go serviceYAML / serviceJSON and the broken variants of
// TestServiceCreateInvalidDataJSON and TestServiceCreateInvalidDataYAML.
const SERVICE_YAML = `
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: foo
spec:
  template:
    spec:
      containers:
        - image: gcr.io/foo/bar:baz
          env:
            - name: TARGET
              value: "Go Sample v1"
`;
const SERVICE_JSON = `
{
  "apiVersion": "serving.knative.dev/v1",
  "kind": "Service",
  "metadata": {
    "name": "foo"
  },
  "spec": {
    "template": {
\t\t"spec": {
\t\t"containers": [
\t\t\t{
\t\t\t"image": "gcr.io/foo/bar:baz",
\t\t\t"env": [
\t\t\t\t{
\t\t\t\t"name": "TARGET",
\t\t\t\t"value": "Go Sample v1"
\t\t\t\t}
\t\t\t]
\t\t  }
\t\t]
\t  }
\t}
  }
}`;

describe('-f with a broken file: encoding/json and go-yaml terms, with file and position', () => {
  const fileWith = (name: string, text: string): string => {
    const f = path.join(dir('service-files'), name);
    fs.writeFileSync(f, text);
    return f;
  };
  it('the good files decode', async () => {
    for (const [n, t] of [['good.yaml', SERVICE_YAML], ['good.json', SERVICE_JSON]]) {
      const svc = await readServiceFile(fileWith(n, t), '/');
      assert.equal(svc.metadata.name, 'foo');
      assert.equal(svc.spec.template.spec.containers[0].image, 'gcr.io/foo/bar:baz');
    }
  });
  const rows: [string, string, string][] = [
    ['invalid.json', SERVICE_JSON.replace('{\n', '{{\n'), "invalid character '{' looking for beginning of object key string (line 2, column 2)"],
    ['invalid.json', SERVICE_JSON.replace('metadata"', 'metadata'), "invalid character '\\n' in string literal (line 5, column 15)"],
    ['invalid.json', SERVICE_JSON.replace(' [', ''), "invalid character ']' after object key:value pair (line 21, column 3)"],
    ['invalid.yaml', SERVICE_YAML.replace('- image', 'image'), 'error converting YAML to JSON: yaml: line 10: mapping values are not allowed in this context'],
    ['invalid.yaml', SERVICE_YAML.replace('name:', ''), 'error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go struct field Service.metadata of type v1.ObjectMeta'],
    ['invalid.yaml', SERVICE_YAML.replace('env', '\tenv'), 'error converting YAML to JSON: yaml: line 11: found a tab character that violates indentation'],
    ['invalid.yaml', SERVICE_YAML.replace('- image: gcr.io/foo/bar:baz', '- image: [1]'), 'error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field Service.spec.template.spec.containers.image of type string'],
  ];
  for (const [name, text, want] of rows) {
    it(want, async () => {
      const f = fileWith(name, text);
      await assert.rejects(readServiceFile(f, '/'), { message: `error parsing ${f}: ${want}` });
    });
  }
});

describe('--env-from forms of create_mock_test.go', () => {
  it('config-map:NAME and secret:NAME add sources; NAME- on create leaves none', () => {
    assert.deepEqual(created(['--env-from', 'config-map:config-map-name']).spec.template.spec.containers[0].envFrom, [{ configMapRef: { name: 'config-map-name' } }]);
    assert.deepEqual(created(['--env-from', 'secret:secret-name']).spec.template.spec.containers[0].envFrom, [{ secretRef: { name: 'secret-name' } }]);
    assert.equal(created(['--env-from', 'config-map:config-map-name-']).spec.template.spec.containers[0].envFrom, undefined);
    assert.equal(created(['--env-from', 'secret:secret-name-']).spec.template.spec.containers[0].envFrom, undefined);
    assert.throws(() => created(['--env-from', '-']), { message: '"-" is not a valid value for "--env-from"' });
  });
  it('update removes one source and keeps the other', () => {
    const svc = created(['--env-from', 'cm:a', '--env-from', 'sc:b']);
    assert.deepEqual(updated(svc, ['--env-from', 'config-map:a-']).spec.template.spec.containers[0].envFrom, [{ secretRef: { name: 'b' } }]);
  });
});

describe('kubeconfig loading (client-go clientcmd rules)', () => {
  const d = dir('kubeconfigs');
  const a = path.join(d, 'a');
  const b = path.join(d, 'b');
  fs.writeFileSync(path.join(d, 'token'), 'tok-from-file\n');
  fs.writeFileSync(path.join(d, 'ca.pem'), 'CA PEM');
  fs.writeFileSync(a, `apiVersion: v1
kind: Config
current-context: first
contexts:
- name: first
  context: { cluster: c1, user: u1, namespace: team }
clusters:
- name: c1
  cluster: { server: https://one.example:6443, certificate-authority: ca.pem }
users:
- name: u1
  user: { tokenFile: ${path.join(d, 'token')} }
`);
  fs.writeFileSync(b, `apiVersion: v1
kind: Config
current-context: second
contexts:
- name: second
  context: { cluster: c2, user: u2 }
- name: first
  context: { cluster: ignored }
- name: plugin
  context: { cluster: c2, user: execer }
clusters:
- name: c2
  cluster: { server: https://two.example, insecure-skip-tls-verify: true }
users:
- name: u2
  user: { token: t2 }
- name: execer
  user: { exec: { command: get-token } }
`);
  it('$KUBECONFIG: files merged, the first file\'s current-context and entries win; relative CA files resolve beside the file', () => {
    const t = loadKubeTarget({ env: { KUBECONFIG: `${a}:${b}` } });
    assert.deepEqual(t, { server: 'https://one.example:6443', namespace: 'team', context: 'first', ca: 'CA PEM', token: 'tok-from-file' });
  });
  it('--context picks another context, its namespace defaulting to default; --cluster overrides the cluster', () => {
    const t = loadKubeTarget({ context: 'second', env: { KUBECONFIG: `${a}:${b}` } });
    assert.deepEqual(t, { server: 'https://two.example', namespace: 'default', context: 'second', insecure: true, token: 't2' });
    assert.equal(loadKubeTarget({ context: 'first', cluster: 'c2', env: { KUBECONFIG: `${a}:${b}` } }).server, 'https://two.example');
  });
  it('--kubeconfig reads that file only', () => {
    assert.throws(() => loadKubeTarget({ kubeconfig: b, context: 'first', env: { KUBECONFIG: a } }), { message: 'invalid configuration: no server found for cluster "ignored"' });
  });
  it('exec credential plugins are refused with a message; no context at all is client-go\'s error', () => {
    assert.throws(() => loadKubeTarget({ kubeconfig: b, context: 'plugin', env: {} }), /user "execer" of the kubeconfig authenticates with an exec plugin, which knit does not run/);
    assert.throws(() => loadKubeTarget({ env: { HOME: dir('no-kube-home') } }), { message: 'invalid configuration: no configuration has been provided, try setting KUBERNETES_MASTER environment variable' });
  });
});
