// The Eventing part of knit's command table: source, broker, trigger, channel and subscription, with kn's use
// lines, help texts, examples and flags (knative/client pkg/commands/{source,broker,trigger,channel,subscription}).

import type { CommandSpec, Handler } from '../command.ts';
import { describeFlags, LIST_PRINT_FLAGS, namespaceFlags, TEMPLATE_FLAGS, TEMPLATE_FORMATS, waitFlags } from '../flag-groups.ts';
import type { FlagSpec } from '../flags.ts';
import { CE_OVERRIDE_USAGE, sinkUsage } from './common.ts';

const load = {
  broker: () => import('./broker.ts'),
  trigger: () => import('./trigger.ts'),
  channel: () => import('./channel.ts'),
  sources: () => import('./sources.ts'),
};

type Loader = () => Promise<Record<string, unknown>>;

function run(loader: Loader, name: string): () => Promise<Handler> {
  return async () => (await loader())[name] as Handler;
}

const GROUP = 'Eventing Commands:';

function sinkFlag(name = 'sink', short: string | undefined = 's', usage = sinkUsage(name)): FlagSpec {
  return { name, ...(short ? { short } : {}), type: 'string', usage };
}

const CE_OVERRIDE: FlagSpec = { name: 'ce-override', type: 'stringArray', usage: CE_OVERRIDE_USAGE };
const NS = namespaceFlags(false);
const LIST = [...namespaceFlags(true), ...LIST_PRINT_FLAGS];

/** kn describe without --verbose (broker describe takes none). */
function describeOutputFlags(withUrl: boolean): FlagSpec[] {
  return [...NS, { name: 'output', short: 'o', type: 'string', usage: `Output format. One of: json|yaml|name|${TEMPLATE_FORMATS}${withUrl ? '|url' : ''}.` }, ...TEMPLATE_FLAGS];
}

// ---------------------------------------------------------------------------------------------
// broker

const DELIVERY_FLAGS: FlagSpec[] = [
  { name: 'dl-sink', type: 'string', usage: 'The sink receiving event that could not be sent to a destination.' },
  { name: 'retry', type: 'int', usage: 'The minimum number of retries the sender should attempt when sending an event before moving it to the dead letter sink.' },
  { name: 'timeout', type: 'string', usage: 'The timeout of each single request. The value must be greater than 0.' },
  { name: 'backoff-policy', type: 'string', usage: 'The retry backoff policy (linear, exponential).' },
  { name: 'backoff-delay', type: 'string', usage: 'The delay before retrying.' },
  {
    name: 'retry-after-max',
    type: 'string',
    usage:
      'An optional upper bound on the duration specified in a "Retry-After" header when calculating backoff times for retrying 429 and 503 response codes. Setting the value to zero ("PT0S") can be used to opt-out of respecting "Retry-After" header values altogether. This value only takes effect if "Retry" is configured, and also depends on specific implementations (Channels, Sources, etc.) choosing to provide this capability.',
  },
];

const BROKER_CONFIG_FLAG: FlagSpec = {
  name: 'broker-config',
  type: 'string',
  usage:
    'Reference to the broker configuration For example, a pointer to a ConfigMap (cm:, configmap:), Secret(sc:, secret:), RabbitmqCluster(rmq:, rabbitmq: rabbitmqcluster:) etc. It should be used in conjunction with --class flag. The format for specifying the object is a colon separated string consisting of at most 4 slices:\n'
    + 'Length 1: <object-name> (the object will be assumed to be ConfigMap with the same name)\n'
    + 'Length 2: <kind>:<object-name> (the APIVersion will be determined for ConfigMap, Secret, and RabbitmqCluster types)\n'
    + 'Length 3: <kind>:<object-name>:<namespace> (the APIVersion will be determined only for ConfigMap, Secret, and RabbitmqCluster types. Otherwise it will be interpreted as:\n'
    + '<apiVersion>:<kind>:<object-name>)\n'
    + 'Length 4: <apiVersion>:<kind>:<object-name>:<namespace>',
};

const brokerCommand: CommandSpec = {
  name: 'broker',
  aliases: ['brokers'],
  use: 'broker',
  short: 'Manage message brokers',
  group: GROUP,
  subcommands: [
    {
      name: 'create',
      use: 'create NAME',
      short: 'Create a broker',
      example: `
  # Create a broker 'mybroker' in the current namespace
  knit broker create mybroker

  # Create a broker 'mybroker' in the 'myproject' namespace and with a broker class of 'Kafka'
  knit broker create mybroker --namespace myproject --class Kafka

  # Create a broker 'mybroker' in the myproject namespace with config referencing a configmap in current namespace
  knit broker create mybroker --namespace myproject --class Kafka --broker-config cm:spec-cm
  OR
  knit broker create mybroker --namespace myproject --class Kafka --broker-config spec-cm`,
      flags: [...NS, { name: 'class', type: 'string', usage: "Broker class like 'MTChannelBasedBroker' or 'Kafka' (if available)." }, BROKER_CONFIG_FLAG, ...DELIVERY_FLAGS],
      run: run(load.broker, 'createCommand'),
    },
    {
      name: 'delete',
      use: 'delete NAME',
      short: 'Delete a broker',
      example: `
  # Delete a broker 'mybroker' in the current namespace
  knit broker delete mybroker

  # Delete a broker 'mybroker' in the 'myproject' namespace
  knit broker delete mybroker --namespace myproject`,
      flags: [...NS, ...waitFlags('delete', 'broker', 'deleted')],
      run: run(load.broker, 'deleteCommand'),
    },
    {
      name: 'describe',
      use: 'describe NAME',
      short: 'Describe broker',
      example: `
  # Describe broker 'mybroker' in the current namespace
  knit broker describe mybroker

  # Describe broker 'mybroker' in the 'myproject' namespace
  knit broker describe mybroker --namespace myproject

  # Describe broker 'mybroker' in YAML format
  knit broker describe mybroker -o yaml

  # Print only broker URL
  knit broker describe mybroker -o url`,
      flags: describeOutputFlags(true),
      run: run(load.broker, 'describeCommand'),
    },
    {
      name: 'list',
      aliases: ['ls'],
      use: 'list',
      short: 'List brokers',
      example: `
  # List all brokers
  knit broker list

  # List all brokers in JSON output format
  knit broker list -o json`,
      flags: LIST,
      run: run(load.broker, 'listCommand'),
    },
    {
      name: 'update',
      use: 'update NAME',
      short: 'Update a broker',
      example: `
  # Update a broker 'mybroker' in the current namespace with delivery sink svc1
  knit broker update mybroker --dl-sink svc1

  # Update a broker 'mybroker' in the 'myproject' namespace and with retry 2 seconds
  knit broker update mybroker --namespace myproject --retry 2`,
      flags: [...NS, ...DELIVERY_FLAGS],
      run: run(load.broker, 'updateCommand'),
    },
  ],
};

// ---------------------------------------------------------------------------------------------
// trigger

const FILTER_FLAG: FlagSpec = { name: 'filter', type: 'stringSlice', usage: 'Key-value pair for exact CloudEvent attribute matching against incoming events, e.g type=dev.knative.foo' };

const triggerCommand: CommandSpec = {
  name: 'trigger',
  aliases: ['triggers'],
  use: 'trigger',
  short: 'Manage event triggers',
  group: GROUP,
  subcommands: [
    {
      name: 'create',
      use: 'create NAME --sink SINK',
      short: 'Create a trigger',
      example: `
  # Create a trigger 'mytrigger' to declare a subscription to events from default broker. The subscriber is service 'mysvc'
  knit trigger create mytrigger --broker default --sink ksvc:mysvc

  # Create a trigger to filter events with attribute 'type=dev.knative.foo'
  knit trigger create mytrigger --broker default --filter type=dev.knative.foo --sink ksvc:mysvc`,
      flags: [...NS, { name: 'broker', type: 'string', default: 'default', usage: 'Name of the Broker which the trigger associates with.' }, FILTER_FLAG, sinkFlag()],
      run: run(load.trigger, 'createCommand'),
    },
    {
      name: 'delete',
      use: 'delete NAME',
      short: 'Delete a trigger',
      example: `
  # Delete a trigger 'mytrigger' in default namespace
  knit trigger delete mytrigger`,
      flags: NS,
      run: run(load.trigger, 'deleteCommand'),
    },
    {
      name: 'describe',
      use: 'describe NAME',
      short: 'Show details of a trigger',
      example: `
  # Describe a trigger with name 'my-trigger'
  knit trigger describe my-trigger

  # Describe a trigger 'my-trigger' in YAML format
  knit trigger describe my-trigger -o yaml`,
      flags: describeFlags(false),
      run: run(load.trigger, 'describeCommand'),
    },
    {
      name: 'list',
      aliases: ['ls'],
      use: 'list',
      short: 'List triggers',
      example: `
  # List all triggers
  knit trigger list

  # List all triggers in JSON output format
  knit trigger list -o json`,
      flags: LIST,
      run: run(load.trigger, 'listCommand'),
    },
    {
      name: 'update',
      use: 'update NAME',
      short: 'Update a trigger',
      example: `
  # Update the filter which key is 'type' to value 'knative.dev.bar' in a trigger 'mytrigger'
  knit trigger update mytrigger --filter type=knative.dev.bar

  # Remove the filter which key is 'type' from a trigger 'mytrigger'
  knit trigger update mytrigger --filter type-

  # Update the sink of a trigger 'mytrigger' to 'ksvc:new-service'
  knit trigger update mytrigger --sink ksvc:new-service`,
      flags: [...NS, FILTER_FLAG, sinkFlag()],
      run: run(load.trigger, 'updateCommand'),
    },
  ],
};

// ---------------------------------------------------------------------------------------------
// channel, subscription

const channelCommand: CommandSpec = {
  name: 'channel',
  aliases: ['channels'],
  use: 'channel COMMAND',
  short: 'Manage event channels',
  group: GROUP,
  subcommands: [
    {
      name: 'create',
      use: 'create NAME',
      short: 'Create an event channel',
      example: `
  # Create a channel 'pipe' with default setting for channel configuration
  knit channel create pipe

  # Create a channel 'imc1' of type InMemoryChannel using inbuilt alias 'imc'
  knit channel create imc1 --type imc

  # same as above without using inbuilt alias but providing explicit GVK
  knit channel create imc1 --type messaging.knative.dev:v1:InMemoryChannel`,
      flags: [
        ...NS,
        {
          name: 'type',
          type: 'string',
          usage:
            "Override channel type to create, in the format '--type Group:Version:Kind'. If flag is not specified, it uses default messaging layer settings for channel type, cluster wide or specific namespace. You can configure aliases for channel types in kn config and refer the aliases with this flag. You can also refer inbuilt channel type InMemoryChannel using an alias 'imc' like '--type imc'. Examples: '--type messaging.knative.dev:v1beta1:KafkaChannel' for specifying explicit Group:Version:Kind.",
        },
      ],
      run: run(load.channel, 'channelCreateCommand'),
    },
    {
      name: 'delete',
      use: 'delete NAME',
      short: 'Delete a channel',
      example: `
  # Delete a channel 'pipe'
  knit channel delete pipe`,
      flags: NS,
      run: run(load.channel, 'channelDeleteCommand'),
    },
    {
      name: 'describe',
      use: 'describe NAME',
      short: 'Show details of a channel',
      example: `
  # Describe a channel 'pipe'
  knit channel describe pipe

  # Print only channel URL
  knit channel describe pipe -o url`,
      flags: describeFlags(true),
      run: run(load.channel, 'channelDescribeCommand'),
    },
    {
      name: 'list',
      aliases: ['ls'],
      use: 'list',
      short: 'List channels',
      example: `
  # List all channels
  knit channel list

  # List channels in YAML format
  knit channel list -o yaml`,
      flags: LIST,
      run: run(load.channel, 'channelListCommand'),
    },
    {
      name: 'list-types',
      use: 'list-types',
      short: 'List channel types',
      example: `
  # List available channel types
  knit channel list-types

  # List available channel types in YAML format
  knit channel list-types -o yaml`,
      flags: [...NS, ...LIST_PRINT_FLAGS],
      run: run(load.channel, 'channelListTypesCommand'),
    },
  ],
};

const SUBSCRIPTION_SINK_FLAGS: FlagSpec[] = [sinkFlag(), sinkFlag('sink-reply', undefined), sinkFlag('sink-dead-letter', undefined)];

const subscriptionCommand: CommandSpec = {
  name: 'subscription',
  aliases: ['subscriptions', 'sub'],
  use: 'subscription COMMAND',
  short: 'Manage event subscriptions',
  group: GROUP,
  subcommands: [
    {
      name: 'create',
      use: 'create NAME',
      short: 'Create a subscription',
      example: `
  # Create a subscription 'sub0' from InMemoryChannel 'pipe0' to a subscriber ksvc 'receiver'
  knit subscription create sub0 --channel imc:pipe0 --sink ksvc:receiver

  # Create a subscription 'sub1' from KafkaChannel 'k1' to ksvc 'mirror', reply to a broker 'nest' and DeadLetterSink to a ksvc 'bucket'
  knit subscription create sub1 --channel messaging.knative.dev:v1beta1:KafkaChannel:k1 --sink mirror --sink-reply broker:nest --sink-dead-letter bucket`,
      flags: [
        ...NS,
        {
          name: 'channel',
          type: 'string',
          usage:
            "Specify the channel to subscribe to. For the default channel, just use the name (e.g. 'mychannel'). A mapped channel type like 'imc' can be used as a prefix (e.g. 'imc:mychannel'). Finally you can specify the full coordinates to the referenced channel with Group:Version:Kind:Name (e.g. 'messaging.knative.dev:v1beta1:KafkaChannel:mychannel').",
        },
        ...SUBSCRIPTION_SINK_FLAGS,
      ],
      run: run(load.channel, 'subscriptionCreateCommand'),
    },
    {
      name: 'delete',
      use: 'delete NAME',
      short: 'Delete a subscription',
      example: `
  # Delete a subscription 'sub0'
  knit subscription delete sub0`,
      flags: NS,
      run: run(load.channel, 'subscriptionDeleteCommand'),
    },
    {
      name: 'describe',
      use: 'describe NAME',
      short: 'Show details of a subscription',
      example: `
  # Describe a subscription 'pipe'
  knit subscription describe pipe`,
      flags: describeFlags(false),
      run: run(load.channel, 'subscriptionDescribeCommand'),
    },
    {
      name: 'list',
      use: 'list',
      short: 'List subscriptions',
      example: `
  # List all subscriptions
  knit subscription list

  # List subscriptions in YAML format
  knit subscription list -o yaml`,
      flags: LIST,
      run: run(load.channel, 'subscriptionListCommand'),
    },
    {
      name: 'update',
      use: 'update NAME',
      short: 'Update an event subscription',
      example: `
  # Update a subscription 'sub0' with a subscriber ksvc 'receiver'
  knit subscription update sub0 --sink ksvc:receiver

  # Update a subscription 'sub1' with subscriber ksvc 'mirror', reply to a broker 'nest' and DeadLetterSink to a ksvc 'bucket'
  knit subscription update sub1 --sink mirror --sink-reply broker:nest --sink-dead-letter bucket`,
      flags: [...NS, ...SUBSCRIPTION_SINK_FLAGS],
      run: run(load.channel, 'subscriptionUpdateCommand'),
    },
  ],
};

// ---------------------------------------------------------------------------------------------
// source

const PING_FLAGS: FlagSpec[] = [
  { name: 'schedule', type: 'string', usage: "Optional schedule specification in crontab format (e.g. '*/2 * * * *' for every two minutes. By default fire every minute." },
  { name: 'data', short: 'd', type: 'string', usage: 'Data to send in JSON format. This flag can implicitly determine the encoding of the supplied data (text | base64).' },
  { name: 'encoding', short: 'e', type: 'string', usage: 'Data encoding format. One of: text | base64' },
  CE_OVERRIDE,
  sinkFlag(),
];

const APISERVER_FLAGS: FlagSpec[] = [
  { name: 'service-account', type: 'string', usage: 'Name of the service account to use to run this source' },
  { name: 'mode', type: 'string', default: 'Reference', usage: 'The mode the receive adapter controller runs under:,\n"Reference" sends only the reference to the resource,\n"Resource" send the full resource.' },
  {
    name: 'resource',
    type: 'stringArray',
    usage: 'Specification for which events to listen, in the format Kind:APIVersion:LabelSelector, e.g. "Event:sourcesv1:key=value".\n"LabelSelector" is a list of comma separated key value pairs. "LabelSelector" can be omitted, e.g. "Event:sourcesv1".',
  },
  CE_OVERRIDE,
  sinkFlag(),
];

/** The container flags knit's container source honours (a subset of kn's PodSpecFlags). */
const CONTAINER_SOURCE_FLAGS: FlagSpec[] = [
  { name: 'image', type: 'string', usage: 'Image to run.' },
  { name: 'cmd', type: 'stringArray', usage: 'Specify command to be used as entrypoint instead of default one. Example: --cmd /app/start or --cmd sh --cmd /app/start.sh or --cmd /app/start --arg myArg to pass additional arguments.' },
  { name: 'arg', type: 'stringArray', usage: 'Add argument to the container command. Example: --arg myArg1 --arg --myArg2 --arg myArg3=3. You can use this flag multiple times.' },
  {
    name: 'env',
    short: 'e',
    type: 'stringArray',
    usage: 'Environment variable to set. NAME=value; you may provide this flag any number of times to set multiple environment variables. To unset, specify the environment variable name followed by a "-" (e.g., NAME-).',
  },
  sinkFlag(),
];

const BINDING_FLAGS: FlagSpec[] = [
  {
    name: 'subject',
    type: 'string',
    usage: 'Subject which emits cloud events. This argument takes format kind:apiVersion:name for named resources or kind:apiVersion:labelKey1=value1,labelKey2=value2 for matching via a label selector',
  },
  CE_OVERRIDE,
  sinkFlag(),
];

function sourceGroup(name: string, use: string, short: string, specs: { create: Partial<CommandSpec>; update: Partial<CommandSpec>; delete: Partial<CommandSpec>; describe: Partial<CommandSpec>; list: Partial<CommandSpec> }, prefix: string): CommandSpec {
  const order = ['create', 'delete', 'describe', 'list', 'update'] as const;
  return {
    name,
    use,
    short,
    subcommands: order.map((sub) => ({ name: sub, use: sub, short: '', ...specs[sub], run: run(load.sources, `${prefix}${sub.charAt(0).toUpperCase()}${sub.slice(1)}Command`) }) as CommandSpec),
  };
}

const pingCommand = sourceGroup(
  'ping',
  'ping COMMAND',
  'Manage ping sources',
  {
    create: {
      use: 'create NAME --sink SINK',
      short: 'Create a ping source',
      example: `
  # Create a Ping source 'my-ping' which fires every two minutes and sends '{ value: "hello" }' to service 'mysvc' as a cloudevent
  knit source ping create my-ping --schedule "*/2 * * * *" --data '{ value: "hello" }' --sink ksvc:mysvc`,
      flags: [...NS, ...PING_FLAGS],
    },
    delete: { use: 'delete NAME', short: 'Delete a ping source', example: `\n  # Delete a Ping source 'my-ping'\n  knit source ping delete my-ping`, flags: NS },
    describe: {
      use: 'describe NAME',
      short: 'Show details of a ping source',
      example: `\n  # Describe a ping source 'myping'\n  knit source ping describe myping\n\n  # Describe a ping source 'myping' in YAML format\n  knit source ping describe myping -o yaml`,
      flags: describeFlags(false),
    },
    list: { use: 'list', short: 'List ping sources', example: `\n  # List all Ping sources\n  knit source ping list\n\n  # List all Ping sources in YAML format\n  knit source ping list -o yaml`, flags: LIST },
    update: {
      use: 'update NAME',
      short: 'Update a ping source',
      example: `\n  # Update the schedule of a Ping source 'my-ping' to fire every minute\n  knit source ping update my-ping --schedule "* * * * *"`,
      flags: [...NS, ...PING_FLAGS],
    },
  },
  'ping',
);

const apiserverCommand = sourceGroup(
  'apiserver',
  'apiserver COMMAND',
  'Manage Kubernetes api-server sources',
  {
    create: {
      use: 'create NAME --resource RESOURCE --sink SINK',
      short: 'Create an api-server source',
      example: `
  # Create an ApiServerSource 'k8sevents' which consumes Kubernetes events and sends message to service 'mysvc' as a cloudevent
  knit source apiserver create k8sevents --resource Event:v1 --service-account myaccountname --sink ksvc:mysvc`,
      flags: [...NS, ...APISERVER_FLAGS],
    },
    delete: { use: 'delete NAME', short: 'Delete an api-server source', example: `\n  # Delete an ApiServerSource 'k8sevents' in default namespace\n  knit source apiserver delete k8sevents`, flags: NS },
    describe: {
      use: 'describe NAME',
      short: 'Show details of an api-server source',
      example: `\n  # Describe an api-server source with name 'k8sevents'\n  knit source apiserver describe k8sevents\n\n  # Describe an api-server source with name 'k8sevents' in YAML format\n  knit source apiserver describe k8sevents -o yaml`,
      flags: describeFlags(false),
    },
    list: { use: 'list', short: 'List api-server sources', example: `\n  # List all ApiServer sources\n  knit source apiserver list\n\n  # List all ApiServer sources in YAML format\n  knit source apiserver list -o yaml`, flags: LIST },
    update: {
      use: 'update NAME',
      short: 'Update an api-server source',
      example: `\n  # Update an ApiServerSource 'k8sevents' with different service account and sink service\n  knit source apiserver update k8sevents --service-account newsa --sink ksvc:newsvc`,
      flags: [...NS, ...APISERVER_FLAGS],
    },
  },
  'apiserver',
);

const containerSourceCommand = sourceGroup(
  'container',
  'container create|delete|update|list|describe',
  'Manage container sources',
  {
    create: {
      use: 'create NAME --image IMAGE --sink SINK',
      short: 'Create a container source',
      example: `
  # Create a ContainerSource 'src' to start a container with image 'docker.io/sample/image' and send messages to service 'mysvc'
  knit source container create src --image docker.io/sample/image --sink ksvc:mysvc`,
      flags: [...NS, ...CONTAINER_SOURCE_FLAGS],
    },
    delete: { use: 'delete NAME', short: 'Delete a container source', example: `\n  # Delete a ContainerSource 'containersrc' in default namespace\n  knit source container delete containersrc`, flags: NS },
    describe: {
      use: 'describe NAME',
      short: 'Show details of a container source',
      example: `\n  # Describe a container source with name 'k8sevents'\n  knit source container describe k8sevents`,
      flags: [...NS, { name: 'verbose', short: 'v', type: 'boolean', usage: 'More output.' }],
    },
    list: { use: 'list', short: 'List container sources', example: `\n  # List all Container sources\n  knit source container list\n\n  # List all Container sources in YAML format\n  knit source container list -o yaml`, flags: LIST },
    update: {
      use: 'update NAME --image IMAGE',
      short: 'Update a container source',
      example: `\n  # Update a ContainerSource 'src' with a different image uri 'docker.io/sample/newimage'\n  knit source container update src --image docker.io/sample/newimage`,
      flags: [...NS, ...CONTAINER_SOURCE_FLAGS],
    },
  },
  'container',
);

const bindingCommand = sourceGroup(
  'binding',
  'binding COMMAND',
  'Manage sink bindings',
  {
    create: {
      use: 'create NAME --subject SUBJECT --sink SINK',
      short: 'Create a sink binding',
      example: `
  # Create a sink binding which connects a deployment 'myapp' with a Knative service 'mysvc'
  knit source binding create my-binding --subject Deployment:apps/v1:myapp --sink ksvc:mysvc`,
      flags: [...NS, ...BINDING_FLAGS],
    },
    delete: { use: 'delete NAME', short: 'Delete a sink binding', example: `\n  # Delete a sink binding with name 'my-binding'\n  knit source binding delete my-binding`, flags: NS },
    describe: {
      use: 'describe NAME',
      short: 'Show details of a sink binding',
      example: `\n  # Describe a sink binding 'mysinkbinding'\n  knit source binding describe mysinkbinding\n\n  # Describe a sink binding 'mysinkbinding' in YAML format\n  knit source binding describe mysinkbinding -o yaml`,
      flags: describeFlags(false),
    },
    list: { use: 'list', short: 'List sink bindings', example: `\n  # List all sink bindings\n  knit source binding list\n\n  # List all sink bindings in YAML format\n  knit source binding list -o yaml`, flags: LIST },
    update: {
      use: 'update NAME',
      short: 'Update a sink binding',
      example: `\n  # Update the subject of a sink binding 'my-binding' to a new cronjob with label selector 'app=ping'\n  knit source binding update my-binding --subject cronjob:batch/v1beta1:app=ping`,
      flags: [...NS, ...BINDING_FLAGS],
    },
  },
  'binding',
);

const sourceCommand: CommandSpec = {
  name: 'source',
  aliases: ['sources'],
  use: 'source SOURCE|COMMAND',
  short: 'Manage event sources',
  group: GROUP,
  subcommands: [
    {
      name: 'list-types',
      use: 'list-types',
      short: 'List event source types',
      example: `
  # List available event source types
  knit source list-types

  # List available event source types in YAML format
  knit source list-types -o yaml`,
      flags: [...NS, ...LIST_PRINT_FLAGS],
      run: run(load.sources, 'sourceListTypesCommand'),
    },
    {
      name: 'list',
      aliases: ['ls'],
      use: 'list',
      short: 'List event sources',
      example: `
  # List available eventing sources
  knit source list

  # List PingSource type sources
  knit source list --type=PingSource

  # List PingSource and ApiServerSource types sources
  knit source list --type=PingSource --type=apiserversource`,
      flags: [...LIST, { name: 'type', short: 't', type: 'stringSlice', usage: 'Filter list on given source type. This flag can be given multiple times.' }],
      run: run(load.sources, 'sourceListCommand'),
    },
    apiserverCommand,
    pingCommand,
    bindingCommand,
    containerSourceCommand,
  ],
};

/** The Eventing commands, in kn's root order (source, broker, trigger, channel, subscription). */
export const EVENTING_COMMANDS: CommandSpec[] = [sourceCommand, brokerCommand, triggerCommand, channelCommand, subscriptionCommand];
