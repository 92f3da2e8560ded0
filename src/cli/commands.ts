// The declarative command table of knit: command paths, aliases, help texts, examples and flags.

import { CONTAINERS_FLAGS } from './container-flags.ts';
import type { CommandSpec } from './command.ts';
import type { FlagSpec } from './flags.ts';
import { describeFlags, LIST_PRINT_FLAGS, namespaceFlags, TARGET_FLAG, TEMPLATE_FLAGS, TEMPLATE_FORMATS, waitFlags } from './flag-groups.ts';
import { EVENTING_COMMANDS } from './eventing/commands.ts';

// Shared flag groups live in flag-groups.ts (the Eventing command table uses them too).

/** Pod-spec and autoscaling flags shared by create, update and apply (kn's addSharedFlags + PodSpecFlags). */
const SHARED_EDIT_FLAGS: FlagSpec[] = [
  { name: 'image', type: 'string', once: true, usage: 'Image to run: a registry reference, a file:// URL or a local directory (./app, /abs/dir), which runs as a host process.' },
  { name: 'source', type: 'string', once: true, usage: 'Directory with a Containerfile or Dockerfile: built with podman build on this machine and run as the image (instead of --image).' },
  { name: 'pull-policy', type: 'string', usage: 'Image pull policy. Valid values (case insensitive): Always | Never | IfNotPresent' },
  { name: 'env-file', type: 'string', usage: 'Path to a file containing environment variables (e.g. --env-file=/home/knative/service1/env).' },
  {
    name: 'mount',
    type: 'stringArray',
    usage: 'Mount a ConfigMap (prefix cm: or config-map:), a Secret (prefix secret: or sc:), an EmptyDir (prefix ed: or emptyDir:), a PersistentVolumeClaim (prefix pvc: or persistentVolumeClaim) or an existing Volume (without any prefix) on the specified directory. '
      + 'Example: --mount /mydir=cm:myconfigmap, --mount /mydir=secret:mysecret, --mount /mydir=emptyDir:myvol or --mount /mydir=myvolume. When a configmap or a secret is specified, a corresponding volume is automatically generated. '
      + 'You can mount a volume with readOnly config (true | false) also. Example: --mount /mydir=ed:ed1:readOnly=true. '
      + 'You can specify a volume subpath by following the volume name with slash separated path. Example: --mount /mydir=cm:myconfigmap/subpath/to/be/mounted. '
      + 'You can use this flag multiple times. For unmounting a directory, append "-", e.g. --mount /mydir-, which also removes any auto-generated volume.',
  },
  {
    name: 'volume',
    type: 'stringArray',
    usage: 'Add a volume from a ConfigMap (prefix cm: or config-map:) a Secret (prefix secret: or sc:), an EmptyDir (prefix ed: or emptyDir:) or a PersistentVolumeClaim (prefix pvc: or persistentVolumeClaim). '
      + 'PersistentVolumeClaim only works if the feature gate is enabled in Knative Serving feature flags configuration. Example: --volume myvolume=cm:myconfigmap, --volume myvolume=secret:mysecret or --volume emptyDir:myvol:size=1Gi,type=Memory. '
      + 'You can use this flag multiple times. To unset a ConfigMap/Secret reference, append "-" to the name, e.g. --volume myvolume-.',
  },
  {
    name: 'cmd',
    type: 'stringArray',
    usage: 'Specify command to be used as entrypoint instead of default one. Example: --cmd /app/start or --cmd sh --cmd /app/start.sh or --cmd /app/start --arg myArg to pass additional arguments.',
  },
  { name: 'arg', type: 'stringArray', usage: 'Add argument to the container command. Example: --arg myArg1 --arg --myArg2 --arg myArg3=3. You can use this flag multiple times.' },
  {
    name: 'probe-liveness',
    type: 'string',
    usage: 'Add liveness probe to Service deployment. Supported probe types are HTTGet, Exec and TCPSocket. Format: [http,https]:host:port:path, exec:cmd[,cmd,...], tcp:host:port.',
  },
  {
    name: 'probe-liveness-opts',
    type: 'string',
    usage: 'Add common options to liveness probe. Common opts (comma separated, case insensitive): InitialDelaySeconds=<int_value>, FailureThreshold=<int_value>, SuccessThreshold=<int_value>, PeriodSeconds=<int_value>, TimeoutSeconds=<int_value>',
  },
  {
    name: 'probe-readiness',
    type: 'string',
    usage: 'Add readiness probe to Service deployment. Supported probe types are HTTGet, Exec and TCPSocket. Format: [http,https]:host:port:path, exec:cmd[,cmd,...], tcp:host:port.',
  },
  {
    name: 'probe-readiness-opts',
    type: 'string',
    usage: 'Add common options to readiness probe. Common opts (comma separated, case insensitive): InitialDelaySeconds=<int_value>, FailureThreshold=<int_value>, SuccessThreshold=<int_value>, PeriodSeconds=<int_value>, TimeoutSeconds=<int_value>',
  },
  {
    name: 'limit',
    type: 'stringSlice',
    usage: "The resource requirement limits for this Service. For example, 'cpu=100m,memory=256Mi'. You can use this flag multiple times. To unset a resource limit, append \"-\" to the resource name, e.g. '--limit memory-'.",
  },
  {
    name: 'request',
    type: 'stringSlice',
    usage: "The resource requirement requests for this Service. For example, 'cpu=100m,memory=256Mi'. You can use this flag multiple times. To unset a resource request, append \"-\" to the resource name, e.g. '--request cpu-'.",
  },
  { name: 'port', short: 'p', type: 'string', usage: "The port where application listens on, in the format 'NAME:PORT', where 'NAME' is optional. Examples: '--port h2c:8080' , '--port 8080'." },
  { name: 'user', type: 'int', usage: 'The user ID to run the container (e.g., 1001).' },
  {
    name: 'scale',
    type: 'string',
    usage: 'Set the Minimum and Maximum number of replicas. You can use this flag to set both to a single value, or set a range with min/max values, or set either min or max values without specifying the other. Example: --scale 5 (scale-min = 5, scale-max = 5) or --scale 1..5 (scale-min = 1, scale-max = 5) or --scale 1.. (scale-min = 1, scale-max = unchanged) or --scale ..5 (scale-min = unchanged, scale-max = 5)',
  },
  { name: 'scale-min', type: 'int', usage: 'Minimum number of replicas.' },
  { name: 'scale-max', type: 'int', usage: 'Maximum number of replicas.' },
  { name: 'scale-activation', type: 'int', usage: 'Minimum non-zero value that a service should scale to.' },
  {
    name: 'scale-metric',
    type: 'string',
    usage: 'Set the name of the metric the PodAutoscaler should scale on. Example: --scale-metric rps (to scale on rps) or --scale-metric concurrency (to scale on concurrency). The default metric is concurrency.',
  },
  { name: 'autoscale-window', type: 'string', hidden: true, usage: 'Deprecated option, please use --scale-window' },
  {
    name: 'scale-window',
    type: 'string',
    usage: 'Duration to look back for making auto-scaling decisions. The service is scaled to zero if no request was received in during that time. (eg: 10s)',
  },
  { name: 'cluster-local', type: 'boolean', paired: true, default: false, usage: 'Specify that the service be private. (--no-cluster-local will make the service publicly available)' },
  { name: 'concurrency-target', type: 'int', hidden: true, usage: 'Deprecated, use --scale-target instead.' },
  {
    name: 'scale-target',
    type: 'int',
    usage: 'Recommendation for what metric value the PodAutoscaler should attempt to maintain. Use with --scale-metric flag to configure the metric name for which the target value should be maintained. Default metric name is concurrency. The flag defaults to --concurrency-limit when given.',
  },
  { name: 'concurrency-limit', type: 'int', usage: 'Hard Limit of concurrent requests to be processed by a single replica.' },
  { name: 'concurrency-utilization', type: 'int', hidden: true, default: 70, usage: 'Deprecated, use --scale-utilization instead.' },
  { name: 'scale-utilization', type: 'int', default: 70, usage: 'Percentage of concurrent requests utilization before scaling up.' },
  {
    name: 'label-service',
    type: 'stringArray',
    usage: 'Service label to set. name=value; you may provide this flag any number of times to set multiple labels. To unset, specify the label name followed by a "-" (e.g., name-). This flag takes precedence over the "label" flag.',
  },
  {
    name: 'label-revision',
    type: 'stringArray',
    usage: 'Revision label to set. name=value; you may provide this flag any number of times to set multiple labels. To unset, specify the label name followed by a "-" (e.g., name-). This flag takes precedence over the "label" flag.',
  },
  {
    name: 'revision-name',
    type: 'string',
    usage: 'The revision name to set. Must start with the service name and a dash as a prefix. Empty revision name will result in the server generating a name for the revision. Accepts golang templates, allowing {{.Service}} for the service name, {{.Generation}} for the generation, and {{.Random [n]}} for n random consonants (e.g. {{.Service}}-{{.Random 5}}-{{.Generation}})',
  },
  {
    name: 'lock-to-digest',
    type: 'boolean',
    paired: true,
    default: true,
    usage: 'Keep the running image for the service constant when not explicitly specifying the image. (--no-lock-to-digest pulls the image tag afresh with each new revision)',
  },
  {
    name: 'annotation-service',
    type: 'stringArray',
    usage: 'Service annotation to set. name=value; you may provide this flag any number of times to set multiple annotations. To unset, specify the annotation name followed by a "-" (e.g., name-). This flag takes precedence over the "annotation" flag.',
  },
  {
    name: 'annotation-revision',
    type: 'stringArray',
    usage: 'Revision annotation to set. name=value; you may provide this flag any number of times to set multiple annotations. To unset, specify the annotation name followed by a "-" (e.g., name-). This flag takes precedence over the "annotation" flag.',
  },
  { name: 'scale-init', type: 'int', usage: 'Initial number of replicas with which a service starts. Can be 0 or a positive integer.' },
  { name: 'timeout', type: 'int', default: 300, usage: 'Duration in seconds that the request routing layer will wait for a request delivered to a container to begin replying' },
  ...CONTAINERS_FLAGS,
];

/** kn's PodSpecFlags for the pod around the container, and --profile (podspec-flags.ts). */
const POD_FLAGS: FlagSpec[] = [
  {
    name: 'service-account',
    type: 'string',
    usage: 'Service account name to set. An empty argument ("") clears the service account. The referenced service account must exist in the service\'s namespace.',
  },
  {
    name: 'pull-secret',
    type: 'string',
    usage: 'Image pull secret to set. An empty argument ("") clears the pull secret. The referenced secret must exist in the service\'s namespace.',
  },
  {
    name: 'security-context',
    type: 'string',
    default: 'none',
    usage: "Predefined security context for the service. Accepted values: 'none' for no security context and 'strict' for dropping all capabilities, running as non-root, and no privilege escalation.",
  },
  {
    name: 'node-selector',
    type: 'stringArray',
    usage: 'Add node selector to be set, you may provide this flag any number of times to set multiple node selectors, works if feature flag is enabled in Knative Serving feature flags configuration. Example: --node-selector Disktype="ssd". To unset, specify the key name followed by a "-", example: --node-selector Disktype- .',
  },
  {
    name: 'toleration',
    type: 'stringSlice',
    usage: 'Add toleration to be set, works if the feature gate is enabled in Knative Serving feature flags configuration. Example: --tolerations Key="key1",Operator="Equal",Value="value1",Effect="NoSchedule"',
  },
  {
    name: 'node-affinity',
    type: 'stringSlice',
    usage: 'Add node affinity to be set - only works if the feature gate is enabled in Knative Serving feature flags configuration. When key, operator, values (whitespace separated) and weight are defined for a type, they will be appended in nodeSelectorTerms in case of Required clause, implying the terms will be ORed, and for Preferred clause, all of them will be added in preferredDuringSchedulingIgnoredDuringExecution. Example: --node-affinity Type="Required",Key="topology.kubernetes.io/zone",Operator="In",Values="antarctica-east1 antarctica-west1" or --node-affinity Type="Preferred",Key="topology.kubernetes.io/zone",Operator="In",Values="antarctica-east1",Weight="1"',
  },
  {
    name: 'profile',
    type: 'string',
    usage: 'The profile name must be defined in config.yaml or part of the built-in profile, e.g. Istio. Related annotations and labels will be added to the service.To unset, specify the profile name followed by a "-" (e.g., name-).',
  },
];

const ENV_VALUE_FROM_USAGE =
  'Add environment variable from a value of key in ConfigMap (prefix cm: or config-map:) or a Secret (prefix sc: or secret:). Example: --env-value-from NAME=cm:myconfigmap:key or --env-value-from NAME=secret:mysecret:key. You can use this flag multiple times.';
const ENV_FROM_USAGE =
  'Add environment variables from a ConfigMap (prefix cm: or config-map:) or a Secret (prefix secret:). Example: --env-from cm:myconfigmap or --env-from secret:mysecret. You can use this flag multiple times.';

/** kn's AddCreateFlags: the flags create and apply add on top of the shared ones. */
const CREATE_ONLY_FLAGS: FlagSpec[] = [
  { name: 'env', short: 'e', type: 'stringArray', usage: 'Environment variable to set. NAME=value; you may provide this flag any number of times to set multiple environment variables.' },
  { name: 'env-value-from', type: 'stringArray', usage: ENV_VALUE_FROM_USAGE },
  { name: 'env-from', type: 'stringArray', usage: ENV_FROM_USAGE },
  { name: 'force', type: 'boolean', usage: 'Create service forcefully, replaces existing service if any.' },
  {
    name: 'filename',
    short: 'f',
    type: 'string',
    usage: 'Create a service from file. The created service can be further modified by combining with other options. For example, -f /path/to/file --env NAME=value adds also an environment variable.',
  },
  { name: 'annotation', short: 'a', type: 'stringArray', usage: 'Annotations to set for both Service and Revision. name=value; you may provide this flag any number of times to set multiple annotations.' },
  { name: 'label', short: 'l', type: 'stringArray', usage: 'Labels to set for both Service and Revision. name=value; you may provide this flag any number of times to set multiple labels.' },
];

const UPDATE_ONLY_FLAGS: FlagSpec[] = [
  {
    name: 'env',
    short: 'e',
    type: 'stringArray',
    usage: 'Environment variable to set. NAME=value; you may provide this flag any number of times to set multiple environment variables. To unset, specify the environment variable name followed by a "-" (e.g., NAME-).',
  },
  { name: 'env-value-from', type: 'stringArray', usage: ENV_VALUE_FROM_USAGE },
  { name: 'env-from', type: 'stringArray', usage: ENV_FROM_USAGE },
  {
    name: 'annotation',
    short: 'a',
    type: 'stringArray',
    usage: 'Annotations to set for both Service and Revision. name=value; you may provide this flag any number of times to set multiple annotations. To unset, specify the annotation name followed by a "-" (e.g., name-).',
  },
  {
    name: 'label',
    short: 'l',
    type: 'stringArray',
    usage: 'Labels to set for both Service and Revision. name=value; you may provide this flag any number of times to set multiple labels. To unset, specify the label name followed by a "-" (e.g., name-).',
  },
];

const TAG_FLAG: FlagSpec = {
  name: 'tag',
  type: 'stringSlice',
  usage: "Set tag (format: --tag revisionRef=tagName) where revisionRef can be a revision or '@latest' string representing latest ready revision. This flag can be specified multiple times.",
};

const TRAFFIC_FLAGS: FlagSpec[] = [
  {
    name: 'traffic',
    type: 'stringSlice',
    usage: "Set traffic distribution (format: --traffic revisionRef=percent) where revisionRef can be a revision or a tag or '@latest' string representing latest ready revision. This flag can be given multiple times with percent summing up to 100%.",
  },
  TAG_FLAG,
  { name: 'untag', type: 'stringSlice', usage: 'Untag revision (format: --untag tagName). This flag can be specified multiple times.' },
];

/** `container add` takes the container flags of `service create` (kn's PodSpecFlags AddFlags + AddUpdateFlags). */
const CONTAINER_ADD_FLAGS = (): FlagSpec[] => {
  const podSpec = new Set(['image', 'pull-policy', 'env-file', 'mount', 'cmd', 'arg', 'probe-liveness', 'probe-liveness-opts', 'probe-readiness', 'probe-readiness-opts', 'limit', 'request', 'port', 'user', 'containers', 'extra-containers', 'env', 'env-value-from', 'env-from']);
  return [...SHARED_EDIT_FLAGS, ...CREATE_ONLY_FLAGS].filter((f) => podSpec.has(f.name));
};

const CONTAINER_ADD_EXAMPLE = `
  The command is Beta and may change in the future releases.

  The 'container add' represents utility command that prints YAML container spec to standard output. It's useful for
  multi-container use cases to create definition with help of standard 'knit' option flags. It accepts all container related
  flag available for 'service create'. The command can be chained through Unix pipes to create multiple containers at once.

  # Add a container 'sidecar' from image 'docker.io/example/sidecar' and print it to standard output (Beta)
  knit container add sidecar --image docker.io/example/sidecar

  # Add command can be chained by standard Unix pipe symbol '|' and passed to 'service add|update|apply' commands (Beta)
  knit container add sidecar --image docker.io/example/sidecar:first \\
    | knit container add second --image docker.io/example/sidecar:second \\
    | knit service create myksvc --image docker.io/example/my-app:latest --containers -`;

// ---------------------------------------------------------------------------------------------
// Commands

const load = {
  service: () => import('./service.ts'),
  revision: () => import('./revision.ts'),
  route: () => import('./route.ts'),
  domain: () => import('./domain.ts'),
  misc: () => import('./misc.ts'),
  serve: () => import('./serve-command.ts'),
  logs: () => import('./logs.ts'),
  kubeconfig: () => import('./kubeconfig.ts'),
  plugins: () => import('./plugins.ts'),
  secret: () => import('./secret.ts'),
};

const serviceCommand: CommandSpec = {
  name: 'service',
  aliases: ['ksvc', 'services'],
  use: 'service',
  short: 'Manage Knative services',
  group: 'Serving Commands:',
  subcommands: [
    {
      name: 'apply',
      use: 'apply NAME',
      short: 'Apply a service declaration',
      example: `
# Create an initial service with using 'knit service apply', if the service has not
# been already created
knit service apply s0 --image knativesamples/helloworld

# Apply the service again which is a no-operation if none of the options changed
knit service apply s0 --image knativesamples/helloworld

# Add an environment variable to your service. Note, that you have to always fully
# specify all parameters (in contrast to 'knit service update')
knit service apply s0 --image knativesamples/helloworld --env foo=bar

# Read the service declaration from a file
knit service apply s0 --filename my-svc.yml
`,
      flags: [...namespaceFlags(false), ...SHARED_EDIT_FLAGS, ...POD_FLAGS, ...CREATE_ONLY_FLAGS, ...waitFlags('apply', 'service', 'ready')],
      run: async () => (await load.service()).applyCommand,
    },
    {
      name: 'create',
      use: 'create NAME --image IMAGE',
      short: 'Create a service',
      example: `
  # Create a service 's0' using image knativesamples/helloworld
  knit service create s0 --image knativesamples/helloworld

  # Create a service 'hello' from the app in the local directory ./app (runs as a host process)
  knit service create hello --image ./app --env TARGET=knit

  # Create a service with multiple environment variables
  knit service create s1 --env TARGET=v1 --env FROM=examples --image knativesamples/helloworld

  # Create or replace a service using --force flag
  # if service 's1' doesn't exist, it's a normal create operation
  knit service create --force s1 --image knativesamples/helloworld

  # Create or replace environment variables of service 's1' using --force flag
  knit service create --force s1 --env TARGET=force --env FROM=examples --image knativesamples/helloworld

  # Create a service with port 8080
  knit service create s2 --port 8080 --image knativesamples/helloworld

  # Create a service with port 8080 and port name h2c
  knit service create s2 --port h2c:8080 --image knativesamples/helloworld

  # Create or replace default resources of a service 's1' using --force flag
  # (earlier configured resource requests and limits will be replaced with default)
  # (earlier configured environment variables will be cleared too if any)
  knit service create --force s1 --image knativesamples/helloworld

  # Create a service with label
  knit service create s3 --image knativesamples/helloworld --label app=demo

  # Create a private service (that is a service with no external endpoint)
  knit service create s1 --image knativesamples/helloworld --cluster-local

  # Create a service with 250MB memory and 200m CPU requests and a 500m CPU limit
  knit service create s4 --image knativesamples/helloworld --request memory=250Mi,cpu=200m --limit cpu=500m

  # Create a service from a YAML or JSON file
  knit service create -f hello.yaml

  # Create the service in offline mode: write it to a local file instead of the knit server, without
  # waiting (DIR/<namespace>/ksvc/<name>.yaml for a directory; a .yaml, .yml or .json file holds one service)
  knit service create gitopstest -n test-ns --image knativesamples/helloworld --target=/user/knfiles
  knit service create gitopstest --image knativesamples/helloworld --target=/user/knfiles/test.yaml
  knit service create gitopstest --image knativesamples/helloworld --target=/user/knfiles/test.json`,
      flags: [...namespaceFlags(false), ...SHARED_EDIT_FLAGS, ...POD_FLAGS, ...CREATE_ONLY_FLAGS, TAG_FLAG, TARGET_FLAG, ...waitFlags('create', 'service', 'ready')],
      run: async () => (await load.service()).createCommand,
    },
    {
      name: 'delete',
      use: 'delete NAME [NAME ...]',
      short: 'Delete services',
      example: `
  # Delete a service 'svc1' in default namespace
  knit service delete svc1

  # Delete a service 'svc2' in 'ns1' namespace
  knit service delete svc2 -n ns1

  # Delete all services in 'ns1' namespace
  knit service delete --all -n ns1

  # Delete the services in offline mode instead of the knit server (removes their files)
  knit service delete test -n test-ns --target=/user/knfiles
  knit service delete test --target=/user/knfiles/test.yaml
  knit service delete test --target=/user/knfiles/test.json`,
      flags: [{ name: 'all', type: 'boolean', usage: 'Delete all services in a namespace.' }, ...namespaceFlags(false), TARGET_FLAG, ...waitFlags('delete', 'service', 'deleted')],
      run: async () => (await load.service()).deleteCommand,
    },
    {
      name: 'describe',
      use: 'describe NAME',
      short: 'Show details of a service',
      example: `
  # Describe service 'svc' in human friendly format
  knit service describe svc

  # Describe service 'svc' in YAML format
  knit service describe svc -o yaml

  # Print only service URL
  knit service describe svc -o url

  # Print the image of the service's first container
  knit service describe svc -o jsonpath='{.spec.template.spec.containers[0].image}'

  # Describe the services in offline mode instead of the knit server
  knit service describe test -n test-ns --target=/user/knfiles
  knit service describe test --target=/user/knfiles/test.yaml
  knit service describe test --target=/user/knfiles/test.json`,
      flags: [...describeFlags(true), TARGET_FLAG, { name: 'show-events', type: 'boolean', paired: true, default: true, usage: "Show the service's events at the end, as kubectl describe does (--show-events=false hides them)." }],
      run: async () => (await load.service()).describeCommand,
    },
    {
      name: 'export',
      use: 'export NAME',
      short: 'Export a service and its revisions',
      example: `
  # Export a service in YAML format
  knit service export foo -n bar -o yaml

  # Export a service in JSON format
  knit service export foo -n bar -o json

  # Export a service with revisions
  knit service export foo --with-revisions --mode=export -n bar -o json

  # Export services in kubectl friendly format, as a list kind, one service item for each revision
  knit service export foo --with-revisions --mode=replay -n bar -o json

  # Export for a Knative cluster: build file:// images with podman, push them, write YAML with digests
  knit service export foo --for-cluster --registry registry.example.org/team > foo.yaml
  kubectl apply -f foo.yaml`,
      flags: [
        ...namespaceFlags(false),
        { name: 'with-revisions', type: 'boolean', usage: 'Export all routed revisions' },
        { name: 'mode', type: 'string', usage: 'Format for exporting all routed revisions. One of replay|export' },
        { name: 'for-cluster', type: 'boolean', usage: 'Write Knative YAML for a cluster (default -o yaml): file:// and localhost/ images are built with podman, pushed to --registry and referenced by digest, knit\'s defaults are left to Knative\'s, and a warning names each field that behaves differently on a cluster.' },
        { name: 'registry', type: 'string', usage: 'With --for-cluster: where images are pushed, as REGISTRY/NAMESPACE/SERVICE:REVISION (e.g. 127.0.0.1:5000 or registry.example.org/team; loopback registries without TLS checks).' },
        { name: 'output', short: 'o', type: 'string', usage: `Output format. One of: json|yaml|${TEMPLATE_FORMATS}.` },
        ...TEMPLATE_FLAGS,
      ],
      run: async () => (await load.service()).exportCommand,
    },
    {
      name: 'import',
      use: 'import FILENAME',
      short: 'Import a service and its revisions (experimental)',
      long: `Import a service and its revisions (experimental)

Reads a file written by 'knit service export -o yaml|json' (kn's Export format), creates the service,
then each exported revision owned by the service's configuration, so that the service's traffic
split can route to them again. A traffic target that follows the latest revision is imported
without the revision name the export writes next to it (Serving refuses both together).`,
      example: `
  # Import a service from YAML file
  knit service import /path/to/file.yaml

  # Import a service from JSON file
  knit service import /path/to/file.json

  # Import into namespace 'baz' a service exported with its routed revisions by
  # 'knit service export foo --with-revisions -n bar -o yaml > foo.yaml'
  knit service import foo.yaml -n baz`,
      flags: [...namespaceFlags(false), ...waitFlags('import', 'service', 'ready')],
      run: async () => (await load.service()).importCommand,
    },
    {
      name: 'list',
      aliases: ['ls'],
      use: 'list [name]',
      short: 'List services',
      example: `
  # List all services
  knit service list

  # List all services in JSON output format
  knit service list -o json

  # List service 'web'
  knit service list web

  # Print the name and URL of every service, one per line
  knit service list -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.url}{"\\n"}{end}'
  knit service list -o go-template='{{range .items}}{{.metadata.name}} {{.status.url}}{{"\\n"}}{{end}}'

  # List the services in offline mode instead of the knit server
  knit service list --target=/user/knfiles
  knit service list --target=/user/knfiles/test.json
  knit service list --target=/user/knfiles/test.yaml
  knit service list -n test-ns --target=/user/knfiles`,
      flags: [...namespaceFlags(true), ...LIST_PRINT_FLAGS, TARGET_FLAG],
      run: async () => (await load.service()).listCommand,
    },
    {
      name: 'update',
      use: 'update NAME',
      short: 'Update a service',
      example: `
  # Updates a service 'svc' with new environment variables
  knit service update svc --env KEY1=VALUE1 --env KEY2=VALUE2

  # Update a service 'svc' with new port
  knit service update svc --port 80

  # Updates a service 'svc' with new request and limit parameters
  knit service update svc --request cpu=500m --limit memory=1024Mi --limit cpu=1000m

  # Assign tag 'latest' and 'stable' to revisions 'echo-v2' and 'echo-v1' respectively
  knit service update svc --tag echo-v2=latest --tag echo-v1=stable
  OR
  knit service update svc --tag echo-v2=latest,echo-v1=stable

  # Update tag from 'testing' to 'staging' for latest ready revision of service
  knit service update svc --untag testing --tag @latest=staging

  # Add tag 'test' to echo-v3 revision with 10% traffic and rest to latest ready revision of service
  knit service update svc --tag echo-v3=test --traffic test=10,@latest=90

  # Split 50% traffic to stable, 40% traffic to staging and the
  # rest will automatically be directed to echo-v3 (the remaining revision)
  knit service update svc --traffic stable=50,staging=40

  # Update the service in offline mode instead of the knit server (--traffic, --tag and --untag
  # are not available offline)
  knit service update gitopstest -n test-ns --env KEY1=VALUE1 --target=/user/knfiles
  knit service update gitopstest --env KEY1=VALUE1 --target=/user/knfiles/test.yaml
  knit service update gitopstest --env KEY1=VALUE1 --target=/user/knfiles/test.json`,
      flags: [...namespaceFlags(false), ...SHARED_EDIT_FLAGS, ...POD_FLAGS, ...UPDATE_ONLY_FLAGS, TARGET_FLAG, ...waitFlags('update', 'service', 'ready'), ...TRAFFIC_FLAGS],
      run: async () => (await load.service()).updateCommand,
    },
    {
      name: 'wait',
      use: 'wait NAME',
      short: 'Wait for a service to be ready',
      example: `
  # Waits on a service 'svc'
  knit service wait svc

  # Waits on a service 'svc' with a timeout
  knit service wait svc --wait-timeout 10

  # Waits on a service 'svc' with a timeout and wait window
  knit service wait svc --wait-timeout 10 --wait-window 1`,
      flags: [
        ...namespaceFlags(false),
        { name: 'wait-timeout', type: 'int', default: 600, usage: 'Seconds to wait before giving up on waiting for service to be ready.' },
        { name: 'wait-window', type: 'int', default: 2, usage: 'Seconds to wait for service to be ready after a false ready condition is returned' },
      ],
      run: async () => (await load.service()).waitCommand,
    },
  ],
};

const containerCommand: CommandSpec = {
  name: 'container',
  use: 'container COMMAND',
  short: "Manage service's containers (experimental)",
  group: 'Serving Commands:',
  subcommands: [
    {
      name: 'add',
      use: 'add NAME',
      short: 'Add a container',
      example: CONTAINER_ADD_EXAMPLE,
      flags: CONTAINER_ADD_FLAGS(),
      run: async () => (await import('./container.ts')).containerAddCommand,
    },
  ],
};

const revisionCommand: CommandSpec = {
  name: 'revision',
  aliases: ['revisions'],
  use: 'revision',
  short: 'Manage service revisions',
  group: 'Serving Commands:',
  subcommands: [
    {
      name: 'delete',
      use: 'delete NAME [NAME ...]',
      short: 'Delete revisions',
      example: `
  # Delete a revision 'svc1-abcde' in default namespace
  knit revision delete svc1-abcde

  # Delete all unreferenced revisions
  knit revision delete --prune-all

  # Delete all unreferenced revisions for a given service 'mysvc'
  knit revision delete --prune mysvc`,
      flags: [
        { name: 'prune', type: 'string', usage: 'Remove unreferenced revisions for a given service in a namespace.' },
        { name: 'prune-all', type: 'boolean', usage: 'Remove all unreferenced revisions in a namespace.' },
        ...namespaceFlags(false),
        ...waitFlags('delete', 'revision', 'deleted'),
      ],
      run: async () => (await load.revision()).deleteCommand,
    },
    {
      name: 'describe',
      use: 'describe NAME',
      short: 'Show details of a revision',
      example: `
  # Describe revision 'hello-00001' in human friendly format
  knit revision describe hello-00001

  # Describe revision 'hello-00001' in YAML format
  knit revision describe hello-00001 -o yaml

  # Print the image digest of revision 'hello-00001'
  knit revision describe hello-00001 -o go-template='{{(index .status.containerStatuses 0).imageDigest}}'`,
      flags: describeFlags(false),
      run: async () => (await load.revision()).describeCommand,
    },
    {
      name: 'list',
      aliases: ['ls'],
      use: 'list',
      short: 'List revisions',
      long: 'List revisions for a given service.',
      example: `
  # List all revisions
  knit revision list

  # List revisions for a service 'svc1' in namespace 'myapp'
  knit revision list -s svc1 -n myapp

  # List all revisions in JSON output format
  knit revision list -o json

  # List revision 'web'
  knit revision list web

  # Print the name and generation of the revisions of service 'svc1'
  knit revision list -s svc1 -o jsonpath='{range .items[*]}{.metadata.name}{"\\t"}{.metadata.labels.serving\\.knative\\.dev/configurationGeneration}{"\\n"}{end}'`,
      flags: [...namespaceFlags(true), ...LIST_PRINT_FLAGS, { name: 'service', short: 's', type: 'string', usage: 'Service name' }],
      run: async () => (await load.revision()).listCommand,
    },
  ],
};

const routeCommand: CommandSpec = {
  name: 'route',
  aliases: ['routes'],
  use: 'route',
  short: 'List and describe service routes',
  group: 'Serving Commands:',
  subcommands: [
    {
      name: 'describe',
      use: 'describe NAME',
      short: 'Show details of a route',
      example: `
  # Describe route 'hello' in human friendly format
  knit route describe hello

  # Describe route 'hello' in YAML format
  knit route describe hello -o yaml`,
      flags: describeFlags(false),
      run: async () => (await load.route()).describeCommand,
    },
    {
      name: 'list',
      aliases: ['ls'],
      use: 'list NAME',
      short: 'List routes',
      example: `
  # List all routes
  knit route list

  # List route 'web' in namespace 'dev'
  knit route list web -n dev

  # List all routes in YAML format
  knit route list -o yaml`,
      flags: [...namespaceFlags(true), ...LIST_PRINT_FLAGS],
      run: async () => (await load.route()).listCommand,
    },
  ],
};

const DOMAIN_REF_FLAG: FlagSpec = {
  name: 'ref',
  type: 'string',
  usage: "Addressable target reference for Domain Mapping. You can specify a Knative service, a Knative route. Examples: '--ref' ksvc:hello' or simply '--ref hello' for a Knative service 'hello', '--ref' kroute:hello' for a Knative route 'hello'. '--ref ksvc:mysvc:mynamespace' for a Knative service 'mysvc' in another namespace 'mynamespace', If a prefix is not provided, it is considered as a Knative service in the current namespace. If referring to a Knative service in another namespace, 'ksvc:name:namespace' combination must be provided explicitly.",
};

/** kn's domain group (knative/client pkg/commands/domain). */
const domainCommand: CommandSpec = {
  name: 'domain',
  aliases: ['domains'],
  use: 'domain COMMAND',
  short: 'Manage domain mappings',
  group: 'Serving Commands:',
  subcommands: [
    {
      name: 'create',
      use: 'create NAME',
      short: 'Create a domain mapping',
      example: `
  # Create a domain mappings 'hello.example.com' for Knative service 'hello' with TLS secret set
  knit domain create hello.example.com --ref hello --tls my-cert-secret`,
      flags: [{ name: 'tls', type: 'string', usage: 'Enable TLS and point to the secret that holds the server certificate.' }, ...namespaceFlags(false), DOMAIN_REF_FLAG],
      run: async () => (await load.domain()).createCommand,
    },
    {
      name: 'delete',
      use: 'delete NAME',
      short: 'Delete a domain mapping',
      example: `
  # Delete domain mappings 'hello.example.com'
  knit domain delete hello.example.com`,
      flags: namespaceFlags(false),
      run: async () => (await load.domain()).deleteCommand,
    },
    {
      name: 'describe',
      use: 'describe NAME',
      short: 'Show details of a domain mapping',
      example: `
  # Show details of for the domain 'hello.example.com'
  knit domain describe hello.example.com`,
      flags: describeFlags(true),
      run: async () => (await load.domain()).describeCommand,
    },
    {
      name: 'list',
      aliases: ['ls'],
      use: 'list',
      short: 'List domain mappings',
      example: `
  # List all domain mappings
  knit domain list

  # List all domain mappings in JSON output format
  knit domain list -o json`,
      flags: [...namespaceFlags(true), ...LIST_PRINT_FLAGS],
      run: async () => (await load.domain()).listCommand,
    },
    {
      name: 'update',
      use: 'update NAME',
      short: 'Update a domain mapping',
      example: `
  # Update a domain mappings 'hello.example.com' for Knative service 'hello'
  knit domain update hello.example.com --ref hello`,
      flags: [...namespaceFlags(false), DOMAIN_REF_FLAG],
      run: async () => (await load.domain()).updateCommand,
    },
  ],
};

/** The root of the command tree. */
export const ROOT: CommandSpec = {
  name: 'knit',
  use: 'knit',
  short: 'knit manages Knative Serving and Eventing on one machine',
  long: `knit is the command line interface for managing Knative Serving and Eventing resources on one machine,
and the server that runs them (knit serve)

 Find more information about Knative at: https://knative.dev`,
  subcommands: [
    serviceCommand,
    revisionCommand,
    containerCommand,
    routeCommand,
    domainCommand,
    ...EVENTING_COMMANDS,
    {
      name: 'logs',
      use: 'logs SERVICE',
      short: "Print the logs of a service's instances",
      long: `Print what the instances of a service wrote to stdout and stderr, each line prefixed with
[INSTANCE]. By default the revisions that receive traffic and the latest created one are shown;
--revision picks one. With -f, new lines are printed as they are written until interrupted.`,
      group: 'Serving Commands:',
      example: `
  # Print the logs of service 'hello'
  knit logs hello

  # Follow the logs of revision 'hello-00002', starting with its last 20 lines
  knit logs hello --revision hello-00002 -f --tail 20

  # Print the logs of the sidecar container 'cache' of service 'hello'
  knit logs hello -c cache`,
      flags: [
        ...namespaceFlags(false),
        { name: 'revision', type: 'string', usage: 'Only the logs of this revision of the service.' },
        { name: 'follow', short: 'f', type: 'boolean', usage: 'Keep printing new lines as they are written.' },
        { name: 'tail', type: 'int', default: -1, usage: 'Lines to show from the end of each instance log (-1 shows all).' },
        { name: 'container', short: 'c', type: 'string', usage: 'The container whose logs to print (default: the serving container).' },
      ],
      run: async () => (await load.logs()).logsCommand,
    },
    {
      name: 'serve',
      use: 'serve',
      short: 'Run the knit server: API, controllers, autoscaler and gateway',
      long: `Run the knit server in the foreground until SIGINT or SIGTERM: the Kubernetes-style API for
serving.knative.dev/v1, the controllers, the autoscaler and the HTTP gateway that routes requests
to revisions. Ports given as :0 pick free ones; the chosen addresses are written to
DATA_DIR/endpoints.json, where the knit CLI finds them. DATA_DIR is --data-dir (a global
option), else $KNIT_DATA_DIR, else ~/.knit.`,
      group: 'Server Commands:',
      example: `
  # Run the server with the default addresses and data directory (~/.knit)
  knit serve

  # Run the server on free ports with its own data directory
  knit serve --data-dir /tmp/knit --http 127.0.0.1:0 --api 127.0.0.1:0 --local-http 127.0.0.1:0

  # Reach a service through the gateway
  curl -H 'Host: hello.default.example.com' http://127.0.0.1:8080/`,
      flags: [
        { name: 'http', type: 'string', default: '127.0.0.1:8080', usage: 'HOST:PORT of the external HTTP gateway.' },
        { name: 'api', type: 'string', default: '127.0.0.1:8081', usage: 'HOST:PORT of the API server.' },
        { name: 'local-http', type: 'string', default: '127.0.0.1:8082', usage: 'HOST:PORT of the cluster-local HTTP gateway.' },
        { name: 'https', type: 'string', usage: 'HOST:PORT of the HTTPS gateway for domain mappings with a TLS Secret (off unless given).' },
        { name: 'metrics', type: 'string', default: '127.0.0.1:9095', usage: 'HOST:PORT of the Prometheus metrics listener (GET /metrics; the API token is required off loopback).' },
        { name: 'domain', type: 'string', default: 'example.com', usage: 'Domain of the service URLs (http://NAME.NAMESPACE.DOMAIN).' },
        { name: 'config', type: 'string', usage: 'Optional YAML configuration file of the server.' },
        { name: 'trusted-proxies', type: 'string', usage: 'Comma-separated addresses or CIDR ranges of proxies in front of the gateway whose Forwarded and X-Forwarded-* headers are kept (default: none).' },
        { name: 'gateway-threads', type: 'string', default: '', usage: 'Worker threads running the gateway, all accepting on the same ports (default: one per core; 0: the gateway runs on the main thread).' },
        { name: 'gpu-inventory', type: 'string', usage: 'JSON file listing the GPUs instances may get (default: the NVIDIA GPUs detected on this machine; env KNIT_GPU_INVENTORY).' },
      ],
      run: async () => (await load.serve()).serveCommand,
    },
    {
      name: 'kubeconfig',
      use: 'kubeconfig',
      short: 'Print the kubeconfig for kubectl, or merge it into ~/.kube/config',
      long: `Print the kubeconfig that knit serve wrote to DATA_DIR/kubeconfig: cluster "knit" (the API's
https URL and its CA), user "knit-admin" (the bearer token) and context "knit" (namespace default).
With --merge, add those entries to the kubeconfig kubectl reads (the first file of $KUBECONFIG,
else ~/.kube/config), replacing earlier knit entries, and make "knit" the current context.`,
      group: 'Server Commands:',
      example: `
  # Point kubectl at knit for this shell
  export KUBECONFIG=~/.knit/kubeconfig

  # Or add knit to kubectl's own configuration
  knit kubeconfig --merge
  kubectl get ksvc`,
      flags: [
        { name: 'merge', type: 'boolean', usage: "Merge into kubectl's kubeconfig instead of printing." },
        { name: 'kubeconfig', type: 'string', usage: 'The kubeconfig file to merge into (default: the first file of $KUBECONFIG, else ~/.kube/config).' },
      ],
      run: async () => (await load.kubeconfig()).kubeconfigCommand,
    },
    {
      name: 'plugin',
      aliases: ['plugins'],
      use: 'plugin',
      short: 'Manage knit plugins',
      long: `Manage knit plugins

Plugins provide extended functionality that is not part of the core knit command-line distribution.
An executable named knit-NAME or kn-NAME runs as "knit NAME" (kn-source-github as "knit source github").`,
      group: 'Other Commands:',
      subcommands: [
        {
          name: 'list',
          aliases: ['ls'],
          use: 'list',
          short: 'List plugins',
          long: `List all installed plugins.

Available plugins are those that are:
- executable
- begin with "knit-" or "kn-"
- Kn's plugin directory
- Anywhere in the execution $PATH`,
          flags: [{ name: 'verbose', type: 'boolean', usage: 'verbose output' }],
          run: async () => (await load.plugins()).pluginListCommand,
        },
      ],
    },
    {
      name: 'secret',
      aliases: ['secrets'],
      use: 'secret COMMAND',
      short: 'Manage secrets',
      group: 'Other Commands:',
      subcommands: [
        {
          name: 'create',
          use: 'create NAME',
          short: 'Create secret',
          flags: [
            ...namespaceFlags(false),
            { name: 'from-literal', short: 'l', type: 'stringSlice', usage: 'Specify comma separated list of key=value pairs.' },
            { name: 'type', type: 'string', usage: 'Specify Secret type.' },
            { name: 'tls-cert', type: 'string', usage: 'Path to TLS certificate file.' },
            { name: 'tls-key', type: 'string', usage: 'Path to TLS key file.' },
          ],
          run: async () => (await load.secret()).createCommand,
        },
        {
          name: 'delete',
          use: 'delete NAME',
          short: 'Delete secret',
          flags: namespaceFlags(false),
          run: async () => (await load.secret()).deleteCommand,
        },
        {
          name: 'list',
          aliases: ['ls'],
          use: 'list',
          short: 'List secrets',
          flags: [...namespaceFlags(false), ...LIST_PRINT_FLAGS],
          run: async () => (await load.secret()).listCommand,
        },
      ],
    },
    {
      name: 'completion',
      use: 'completion SHELL',
      short: 'Output shell completion code',
      long: `Output shell completion code for bash or zsh.
The shell code must be evaluated to provide interactive completion of knit commands.`,
      group: 'Other Commands:',
      example: `
 # Generate completion code for bash
 source <(knit completion bash)

 # Generate completion code for zsh
 source <(knit completion zsh)`,
      run: async () => (await load.misc()).completionCommand,
    },
    {
      name: 'version',
      use: 'version',
      short: 'Show the version of this client',
      group: 'Other Commands:',
      flags: [{ name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml.' }],
      run: async () => (await load.misc()).versionCommand,
    },
    {
      name: 'options',
      use: 'options',
      short: 'Print the list of flag inherited by all commands',
      long: 'Print the list of flag inherited by all commands',
      example: `
  # Print flags inherited by all commands
  knit options`,
      ignoreUnknownFlags: true,
      run: async () => (await load.misc()).optionsCommand,
    },
  ],
};
