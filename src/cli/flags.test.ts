// Tests of flag parsing (pflag syntax, paired --x/--no-x rules), flag help formatting and CLI error messages.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatError } from './errors.ts';
import { expandFlags, flagUsages, parseCommandLine, reconcilePairedFlags, splitSliceValue, type FlagSpec } from './flags.ts';
import { runCli, type CliResult } from '../../test/cli-runner.ts';

const SPECS: FlagSpec[] = expandFlags([
  { name: 'image', type: 'string', once: true, usage: 'Image to run.' },
  { name: 'arg', type: 'stringArray', usage: 'Add argument.' },
  { name: 'port', short: 'p', type: 'string', usage: 'Port.' },
  { name: 'namespace', short: 'n', type: 'string', usage: 'Namespace.' },
  { name: 'all-namespaces', short: 'A', type: 'boolean', usage: 'All.' },
  { name: 'verbose', short: 'v', type: 'boolean', usage: 'More.' },
  { name: 'tag', type: 'stringSlice', usage: 'Tags.' },
  { name: 'wait', type: 'boolean', paired: true, default: true, usage: "Wait for 'service create' operation to be completed." },
  { name: 'wait-timeout', type: 'int', default: 600, usage: 'Seconds.' },
]);

function parse(...argv: string[]) {
  const r = parseCommandLine(argv, SPECS);
  reconcilePairedFlags(r.flags);
  return r;
}

describe('parseCommandLine', () => {
  it('accepts pflag syntax and values starting with a dash', () => {
    const r = parse('svc', '--arg', '--myArg2', '--arg=x=1', '-p8080', '--image', 'img', 'more');
    assert.deepEqual(r.args, ['svc', 'more']);
    assert.deepEqual(r.flags.list('arg'), ['--myArg2', 'x=1']);
    assert.equal(r.flags.string('port'), '8080');
    assert.equal(r.flags.string('image'), 'img');
  });

  it('short forms: -p 80, -p=80, combined booleans -Av', () => {
    assert.equal(parse('-p', '80').flags.string('port'), '80');
    assert.equal(parse('-p=80').flags.string('port'), '80');
    const r = parse('-Av');
    assert.equal(r.flags.bool('all-namespaces'), true);
    assert.equal(r.flags.bool('verbose'), true);
  });

  it('stringSlice splits on commas and accumulates', () => {
    assert.deepEqual(parse('--tag', 'a=x,b=y', '--tag', 'c=z').flags.list('tag'), ['a=x', 'b=y', 'c=z']);
    assert.deepEqual(splitSliceValue('"a,b",c'), ['a,b', 'c']);
  });

  it('-- ends flags', () => {
    assert.deepEqual(parse('--', '--image', 'x').args, ['--image', 'x']);
  });

  it('defaults and changed()', () => {
    const r = parse();
    assert.equal(r.flags.bool('wait'), true);
    assert.equal(r.flags.int('wait-timeout'), 600);
    assert.equal(r.flags.changed('wait'), false);
    assert.equal(r.flags.count(), 0);
    assert.equal(parse('--wait-timeout', '0x10').flags.int('wait-timeout'), 16);
  });

  it('--no-wait turns --wait off', () => {
    assert.equal(parse('--no-wait').flags.bool('wait'), false);
    assert.equal(parse('--wait').flags.bool('wait'), true);
  });

  const errors: [string[], string][] = [
    [['--wait', '--no-wait'], 'only one of --no-wait and --wait may be specified'],
    [['--wait=false'], 'use --no-wait instead of providing "false" to --wait'],
    [['--no-wait=false'], 'use --wait instead of providing "false" to --no-wait'],
    [['--foo'], 'unknown flag: --foo'],
    [['-x'], "unknown shorthand flag: 'x' in -x"],
    [['-Ax'], "unknown shorthand flag: 'x' in -x"],
    [['--image'], 'flag needs an argument: --image'],
    [['-p'], "flag needs an argument: 'p' in -p"],
    [['--image', 'a', '--image', 'b'], 'invalid argument "b" for "--image" flag: can be provided only once'],
    [['--wait-timeout', 'abc'], 'invalid argument "abc" for "--wait-timeout" flag: strconv.ParseInt: parsing "abc": invalid syntax'],
    [['--wait=maybe'], 'invalid argument "maybe" for "--wait" flag: strconv.ParseBool: parsing "maybe": invalid syntax'],
    [['---x'], 'bad flag syntax: ---x'],
  ];
  for (const [argv, message] of errors) {
    it(`rejects ${argv.join(' ')}`, () => assert.throws(() => parse(...argv), { message }));
  }
});

describe('flagUsages', () => {
  it('aligns like pflag and shows non-zero defaults', () => {
    assert.equal(
      flagUsages(SPECS.filter((s) => ['all-namespaces', 'image', 'wait', 'no-wait', 'wait-timeout'].includes(s.name))),
      [
        '  -A, --all-namespaces     All.',
        '      --image string       Image to run.',
        "      --no-wait            Do not wait for 'service create' operation to be completed.",
        "      --wait               Wait for 'service create' operation to be completed. (default true)",
        '      --wait-timeout int   Seconds. (default 600)',
        '',
      ].join('\n'),
    );
  });

  it('wraps to the terminal width with a hanging indent', () => {
    const out = flagUsages([{ name: 'x', type: 'string', usage: 'word '.repeat(20).trim() }], 60);
    for (const line of out.trimEnd().split('\n')) assert.ok(line.length <= 60, line);
    assert.match(out, /\n {19}word/);
  });
});

describe('error rendering', () => {
  it('hint names the first quoted knit command', () => {
    assert.equal(formatError("unknown flag: --foo for 'knit service create'"), "Error: unknown flag: --foo for 'knit service create'\nRun 'knit service create --help' for usage\n");
    assert.equal(formatError("'service create' requires the service name given as single argument"), "Error: 'service create' requires the service name given as single argument\nRun 'knit --help' for usage\n");
    assert.equal(formatError('error: Something'), "Error: Something\nRun 'knit --help' for usage\n");
  });
});

/** Runs the CLI in-process (no server needed for these paths). */
function cli(...argv: string[]): Promise<CliResult> {
  return runCli(argv, { env: { KNIT_SERVER: 'http://127.0.0.1:1' }, cwd: '/tmp' });
}

describe('command-line errors (kn wording)', () => {
  const cases: [string[], string][] = [
    [['service'], "Error: no sub-command given for 'knit service'. Available sub-commands: apply, create, delete, describe, export, import, list, update, wait\nRun 'knit service --help' for usage\n"],
    [['ksvc', 'nope'], "Error: unknown sub-command 'nope' for 'knit service'. Available sub-commands: apply, create, delete, describe, export, import, list, update, wait\nRun 'knit service --help' for usage\n"],
    [['service', 'create', '--foo'], "Error: unknown flag: --foo for 'knit service create'\nRun 'knit service create --help' for usage\n"],
    [['service', 'create'], "Error: 'service create' requires the service name given as single argument\nRun 'knit --help' for usage\n"],
    [['service', 'create', 'x'], "Error: 'service create' requires the image name to run provided with the --image option\nRun 'knit --help' for usage\n"],
    [['service', 'create', 'x', '--image', 'img', '--env', 'A'], 'Error: Invalid --env: argument requires a value that contains the "=" character; got "A"\nRun \'knit --help\' for usage\n'],
    [
      ['service', 'create', 'x', '--image', 'img', '--port', 'abc'],
      "Error: the port specification 'abc' is not valid. Please provide in the format 'NAME:PORT', where 'NAME' is optional. Examples: '--port h2c:8080' , '--port 8080'.\nRun 'knit --help' for usage\n",
    ],
    [
      ['service', 'create', 'x', '--image', 'img', '-p', 'h2c:'],
      "Error: the port specification 'h2c:' is not valid. Please provide in the format 'NAME:PORT', where 'NAME' is optional. Examples: '--port h2c:8080' , '--port 8080'.\nRun 'knit --help' for usage\n",
    ],
    [['service', 'create', 'x', '--image', 'img', '--wait', '--no-wait'], "Error: only one of --no-wait and --wait may be specified\nRun 'knit --help' for usage\n"],
    [['service', 'create', 'x', '--image', 'img', '--cluster-local=false'], 'Error: use --no-cluster-local instead of providing "false" to --cluster-local\nRun \'knit --help\' for usage\n'],
    [['service', 'create', 'x', '--image', 'img', '--scale', '1-5'], "Error: Scale must be of the format x..y or x\nRun 'knit --help' for usage\n"],
    [['service', 'create', 'x', '--image', 'img', '--scale', '3', '--scale-min', '1'], "Error: only --scale or --scale-min can be specified\nRun 'knit --help' for usage\n"],
    [['service', 'create', 'x', '--image', 'img', '--scale-max', '-1'], "Error: expected 0 <= -1 <= 2147483647: autoscaling.knative.dev/max-scale\nRun 'knit --help' for usage\n"],
    [['service', 'create', 'x', '--image', 'img', '--concurrency-limit', '-1'], "Error: invalid concurrency-limit -1 (must not be less than 0)\nRun 'knit --help' for usage\n"],
    [['service', 'create', 'x', '--image', 'img', '-a', 'a=1', '-a', 'a=2'], 'Error: Invalid --annotation: The key "a" has been duplicate in [a=1 a=2]\nRun \'knit --help\' for usage\n'],
    [
      ['service', 'create', 'x', '--image', 'img', '--annotation-service', 'autoscaling.knative.dev/min-scale=1'],
      "Error: service can not have auto-scaling related annotation: autoscaling.knative.dev/min-scale , please update using '--annotation-revision'\nRun 'knit --help' for usage\n",
    ],
    // knative/client pkg/commands/flags/podspec.go ResolvePodSpec and podspec_helper.go's env source parsing.
    [['service', 'create', 'x', '--image', 'img', '--env-from', '-'], 'Error: "-" is not a valid value for "--env-from"\nRun \'knit --help\' for usage\n'],
    [['service', 'create', 'x', '--image', 'img', '--env-from', 'config-map:'], "Error: the name of config-map cannot be an empty string\nRun 'knit --help' for usage\n"],
    [['service', 'create', 'x', '--image', 'img', '--env-from', 'secret:'], "Error: the name of secret cannot be an empty string\nRun 'knit --help' for usage\n"],
    [['service', 'create', 'x', '--image', 'img', '--env-value-from', 'A=secret::k'], "Error: the name of Secret cannot be an empty string\nRun 'knit --help' for usage\n"],
    [['service', 'create', 'x', '--image', 'img', '--env-value-from', 'A=cm:c:'], 'Error: the key referenced by resource ConfigMap "c" cannot be an empty string\nRun \'knit --help\' for usage\n'],
    [['service', 'create', 'x', '--image', 'img', '--env-value-from', 'A=vault:c:k'], 'Error: unsupported env source type ""vault""; supported source types are "config-map" ("cm") and "secret" ("sc")\nRun \'knit --help\' for usage\n'],
    [['service', 'create', 'x', '--image', 'img', '--tag', 'a=b=c'], "Error: expecting the value format in value1=value2, given a=b=c\nRun 'knit --help' for usage\n"],
    [['service', 'update', 'x'], "Error: flag(s) not set\nUsage: update NAME\nRun 'knit --help' for usage\n"],
    [['service', 'update', '--env', 'A=1'], "Error: 'service update' requires the service name given as single argument\nRun 'knit --help' for usage\n"],
    [['service', 'list', 'a', 'b'], "Error: 'knit service list' accepts maximum 1 argument\nRun 'knit service list --help' for usage\n"],
    [['service', 'delete'], "Error: 'service delete' requires the service name(s)\nRun 'knit --help' for usage\n"],
    [['service', 'delete', 'a', '--all'], "Error: 'service delete' with --all flag requires no arguments\nRun 'knit --help' for usage\n"],
    [['service', 'describe'], "Error: 'service describe' requires the service name given as single argument\nRun 'knit --help' for usage\n"],
    [['service', 'export', 'x'], "Error: 'knit service export' requires output format\nRun 'knit service export --help' for usage\n"],
    [['service', 'wait'], "Error: 'service wait' requires the service name given as single argument\nRun 'knit --help' for usage\n"],
    [['revision', 'list', 'a', 'b'], "Error: 'knit revision list' accepts maximum 1 argument, not 2 arguments as given\nRun 'knit revision list --help' for usage\n"],
    [['revision', 'describe'], "Error: 'knit revision describe' requires name of the revision as single argument\nRun 'knit revision describe --help' for usage\n"],
    [['revision', 'delete'], "Error: 'knit revision delete' requires one or more revision name\nRun 'knit revision delete --help' for usage\n"],
    [['revision', 'delete', 'x', '--prune-all'], "Error: 'knit revision delete' with --prune-all flag requires no arguments\nRun 'knit revision delete --help' for usage\n"],
    [['route', 'list', 'a', 'b'], "Error: 'knit route list' accepts only one additional argument\nRun 'knit route list --help' for usage\n"],
    [['route', 'describe'], "Error: 'knit route describe' requires name of the route as single argument\nRun 'knit route describe --help' for usage\n"],
    [['completion', 'fish'], "Error: 'bash' or 'zsh' shell completion is supported\nRun 'knit --help' for usage\n"],
    [['completion'], "Error: Only one argument can be provided, either 'bash' or 'zsh'\nRun 'knit --help' for usage\n"],
    [['version', '-o', 'xml'], "Error: invalid value for output flag, choose one among 'json' or 'yaml'\nRun 'knit --help' for usage\n"],
    [['serve', '--http', 'nope'], "Error: invalid value 'nope' for --http: expected HOST:PORT (e.g. 127.0.0.1:8080, or :0 for a free port)\nRun 'knit --help' for usage\n"],
    [['serve', '--trusted-proxies', '10.0.0.0/99'], "Error: invalid value '10.0.0.0/99' for --trusted-proxies: invalid trusted proxy \"10.0.0.0/99\": bad prefix length \"99\"\nRun 'knit --help' for usage\n"],
    [['serve', '--trusted-proxies', 'proxy.example'], "Error: invalid value 'proxy.example' for --trusted-proxies: invalid trusted proxy \"proxy.example\": want an IP address or a CIDR range such as 10.0.0.0/8\nRun 'knit --help' for usage\n"],
    [['serve', '--gateway-threads', '-1'], "Error: invalid value '-1' for --gateway-threads: expected a number of threads from 0 to 999 (0: the gateway on the main thread)\nRun 'knit --help' for usage\n"],
    [['serve', '--gateway-threads', 'two'], "Error: invalid value 'two' for --gateway-threads: expected a number of threads from 0 to 999 (0: the gateway on the main thread)\nRun 'knit --help' for usage\n"],
  ];
  for (const [argv, stderr] of cases) {
    it(argv.join(' '), async () => {
      const r = await cli(...argv);
      assert.equal(r.err, stderr);
      assert.equal(r.code, 1);
      assert.equal(r.out, '');
    });
  }

  it('an unreachable server names the address and suggests knit serve', async () => {
    const r = await cli('service', 'list');
    assert.equal(r.code, 1);
    assert.match(r.err, /^Error: error connecting to the cluster, please verify connection at: http:\/\/127\.0\.0\.1:1: .*knit serve/);
  });
});

describe('help', () => {
  it('knit with no arguments prints the root help and succeeds', async () => {
    const r = await cli();
    assert.equal(r.code, 0);
    assert.match(r.out, /^knit is the command line interface/);
    // Names are padded to the longest sub-command ('subscription'), as cobra's NamePadding does in kn's root help.
    assert.match(r.out, /\nServing Commands:\n {2}service {6}Manage Knative services\n {2}revision {5}Manage service revisions\n/);
    assert.match(r.out, /\nEventing Commands:\n {2}source {7}Manage event sources\n {2}broker {7}Manage message brokers\n {2}trigger {6}Manage event triggers\n {2}channel {6}Manage event channels\n {2}subscription Manage event subscriptions\n\n/);
    assert.ok(r.out.endsWith('Use "knit options" for a list of global command-line options (applies to all commands).\n'));
  });

  it('group help: usage, aliases, sub-commands', async () => {
    const r = await cli('service', '--help');
    assert.equal(r.code, 0);
    assert.equal(
      r.out,
      `Manage Knative services

Usage:
  knit service [options]

Aliases:
  service, ksvc, services

Available Commands:
  apply       Apply a service declaration
  create      Create a service
  delete      Delete services
  describe    Show details of a service
  export      Export a service and its revisions
  import      Import a service and its revisions (experimental)
  list        List services
  update      Update a service
  wait        Wait for a service to be ready

Use "knit <command> --help" for more information about a given command.
Use "knit options" for a list of global command-line options (applies to all commands).
`,
    );
  });

  it('leaf help: usage, examples, options in kn layout', async () => {
    const r = await cli('service', 'create', '-h');
    assert.equal(r.code, 0);
    assert.ok(r.out.startsWith('Create a service\n\nUsage:\n  knit service create NAME --image IMAGE [options]\n\nExamples:\n\n  # Create a service '), r.out.slice(0, 200));
    assert.match(r.out, /\nOptions:\n {2}-a, --annotation stringArray {12}Annotations to set for both Service and Revision\./);
    assert.match(r.out, /\n {6}--wait {30}Wait for 'service create' operation to be completed\. \(default true\)\n/);
    assert.match(r.out, /\n {6}--no-wait {27}Do not wait for 'service create' operation to be completed\.\n/);
    assert.doesNotMatch(r.out, /--help|--server|Use "knit <command>/);
    assert.ok(r.out.endsWith('\n\nUse "knit options" for a list of global command-line options (applies to all commands).\n'));
  });

  it('every example in every help uses knit and parses', async () => {
    const { ROOT } = await import('./commands.ts');
    const walk = (c: typeof ROOT, path: string[]): [string[], string][] => [
      ...(c.example ? [[path, c.example] as [string[], string]] : []),
      ...(c.subcommands ?? []).flatMap((s) => walk(s, [...path, s.name])),
    ];
    for (const [path, example] of walk(ROOT, [])) {
      assert.doesNotMatch(example, /\bkn /, path.join(' '));
      for (const line of example.split('\n').map((l) => l.trim())) {
        if (!line.startsWith('knit ')) continue;
        const argv = line.slice(5).split(/\s+/).map((w) => w.replace(/^["']|["']$/g, ''));
        if (argv[0] === 'serve' || argv[0] === 'completion') continue;
        const { resolveCommand } = await import('./main.ts');
        const { chain, rest } = resolveCommand(argv);
        assert.equal(chain.map((c) => c.name).join(' '), ['knit', ...path].join(' '), line);
        const { GLOBAL_FLAGS } = await import('./command.ts');
        assert.doesNotThrow(() => parseCommandLine(rest, [...expandFlags(chain[chain.length - 1].flags ?? []), ...GLOBAL_FLAGS]), line);
      }
    }
  });

  it('knit options lists the global flags', async () => {
    const r = await cli('options', '--whatever');
    assert.equal(r.code, 0);
    assert.match(r.out, /^The following options can be passed to any command:\n\n {6}--cluster string/);
    assert.match(r.out, /\n {6}--data-dir string/);
  });
});
