// Server-side printer columns: Kubernetes' own for the core kinds, and a CRD's additionalPrinterColumns for Knative's kinds.
//
// Core columns and cells follow kubernetes/kubernetes pkg/printers/internalversion/printers.go
// (AddHandlers and printPod, printService, printDeployment, printReplicaSet, printNamespace,
// printSecret, printConfigMap, printEvent), always printed wide as the apiserver's table convertor
// does (pkg/printers/storage ConvertToTable), so kubectl hides the priority-1 columns itself. CRD
// cells follow kubernetes/kubernetes staging/src/k8s.io/apiextensions-apiserver
// pkg/registry/customresource/tableconvertor (ConvertToTable, cellForJSONValue).

import { humanDuration } from '../api/duration.ts';
import { executeJsonPath, parseJsonPath, type JsonPath } from '../cli/jsonpath.ts';
import { OBJECT_META_DOCS } from './core-schemas.ts';

/** A Kubernetes object as JSON. */
export type KubeObject = Record<string, unknown>;

/** meta.k8s.io/v1 TableColumnDefinition. */
export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** One cell: what the apiserver puts in a Table row (Go's string, int64, float64, bool or nil). */
export type Cell = string | number | boolean | null;

/** The columns of a kind and how to compute one object's cells (`now` is the clock for ages, in ms). */
export interface Printer {
  columns: readonly ColumnDefinition[];
  cells(obj: KubeObject, now: number): Cell[];
  /** Row conditions (pods that completed), as printPod sets them. */
  conditions?(obj: KubeObject): { type: string; status: string; reason?: string; message?: string }[] | undefined;
}

/** A CRD's additionalPrinterColumns entry (apiextensions.k8s.io/v1 CustomResourceColumnDefinition). */
export interface CrdColumn {
  name: string;
  type: string;
  jsonPath: string;
  format?: string;
  description?: string;
  priority?: number;
}

const col = (name: string, type: string, description: string, priority = 0, format = ''): ColumnDefinition => ({ name, type, format, description, priority });
const nameColumn = (priority = 0): ColumnDefinition => col('Name', 'string', OBJECT_META_DOCS.name, priority, 'name');
const ageColumn = (): ColumnDefinition => col('Age', 'string', OBJECT_META_DOCS.creationTimestamp);

/** printers.go translateTimestampSince: `<unknown>` for a missing time, else its age. */
export function translateTimestampSince(timestamp: unknown, now: number): string {
  if (typeof timestamp !== 'string' || timestamp === '') return '<unknown>';
  const t = Date.parse(timestamp);
  if (Number.isNaN(t)) return '<unknown>';
  return humanDuration(now - t);
}

const asObj = (v: unknown): KubeObject => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as KubeObject) : {});
const asArr = (v: unknown): KubeObject[] => (Array.isArray(v) ? (v as KubeObject[]).map(asObj) : []);
const asStr = (v: unknown): string => (typeof v === 'string' ? v : '');
const asNum = (v: unknown, dflt = 0): number => (typeof v === 'number' ? v : dflt);
const metaOf = (o: KubeObject) => asObj(o.metadata);
const age = (o: KubeObject, now: number) => translateTimestampSince(metaOf(o).creationTimestamp, now);

/** k8s.io/apimachinery pkg/labels FormatLabels: sorted `k=v` pairs, `<none>` when empty. */
export function formatLabels(m: unknown): string {
  const entries = Object.entries(asObj(m)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length ? entries.map(([k, v]) => `${k}=${String(v)}`).join(',') : '<none>';
}

/** metav1.LabelSelectorAsSelector(…).String(): requirements sorted by key. */
export function labelSelectorString(sel: unknown): string {
  const s = asObj(sel);
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(asObj(s.matchLabels))) reqs.push({ key: k, text: `${k}=${String(v)}` });
  for (const e of asArr(s.matchExpressions)) {
    const key = asStr(e.key);
    const values = (Array.isArray(e.values) ? (e.values as unknown[]).map(String) : []).sort();
    switch (e.operator) {
      case 'In':
        reqs.push({ key, text: `${key} in (${values.join(',')})` });
        break;
      case 'NotIn':
        reqs.push({ key, text: `${key} notin (${values.join(',')})` });
        break;
      case 'Exists':
        reqs.push({ key, text: key });
        break;
      case 'DoesNotExist':
        reqs.push({ key, text: `!${key}` });
        break;
    }
  }
  return reqs
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => r.text)
    .join(',');
}

/** printers.go layoutContainerCells: container names and images, comma-separated. */
function containerCells(podSpec: unknown): [string, string] {
  const cs = asArr(asObj(podSpec).containers);
  return [cs.map((c) => asStr(c.name)).join(','), cs.map((c) => asStr(c.image)).join(',')];
}

const podPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'string', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    ageColumn(),
    col('IP', 'string', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
    col('Node', 'string', 'NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName.', 1),
    col('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.', 1),
    col('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates', 1),
  ],
  cells(pod, now) {
    const spec = asObj(pod.spec);
    const status = asObj(pod.status);
    const conditions = asArr(status.conditions);
    const initSpecs = new Map(asArr(spec.initContainers).map((c) => [asStr(c.name), c]));
    const restartable = (name: string) => initSpecs.get(name)?.restartPolicy === 'Always';
    let restarts = 0;
    let restartableRestarts = 0;
    const total = asArr(spec.containers).length + [...initSpecs.values()].filter((c) => c.restartPolicy === 'Always').length;
    let ready = 0;
    let lastRestart = 0;
    let lastRestartableRestart = 0;
    const phase = asStr(status.phase);
    let reason = asStr(status.reason) || phase;
    if (conditions.some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) reason = 'SchedulingGated';
    const finishedAt = (c: KubeObject) => {
      const t = asObj(asObj(c.lastState).terminated).finishedAt;
      return typeof t === 'string' ? Date.parse(t) || 0 : 0;
    };

    const initStatuses = asArr(status.initContainerStatuses);
    let initializing = false;
    for (let i = 0; i < initStatuses.length; i++) {
      const c = initStatuses[i];
      const name = asStr(c.name);
      restarts += asNum(c.restartCount);
      lastRestart = Math.max(lastRestart, finishedAt(c));
      if (restartable(name)) {
        restartableRestarts += asNum(c.restartCount);
        lastRestartableRestart = Math.max(lastRestartableRestart, finishedAt(c));
      }
      const state = asObj(c.state);
      const terminated = state.terminated === undefined ? undefined : asObj(state.terminated);
      const waiting = state.waiting === undefined ? undefined : asObj(state.waiting);
      if (terminated && asNum(terminated.exitCode) === 0) continue;
      if (restartable(name) && c.started === true) {
        if (c.ready === true) ready++;
        continue;
      }
      if (terminated) {
        if (!asStr(terminated.reason)) reason = asNum(terminated.signal) !== 0 ? `Init:Signal:${asNum(terminated.signal)}` : `Init:ExitCode:${asNum(terminated.exitCode)}`;
        else reason = `Init:${asStr(terminated.reason)}`;
      } else if (waiting && asStr(waiting.reason) && waiting.reason !== 'PodInitializing') {
        reason = `Init:${asStr(waiting.reason)}`;
      } else {
        reason = `Init:${i}/${initSpecs.size}`;
      }
      initializing = true;
      break;
    }

    if (!initializing || conditions.some((c) => c.type === 'Initialized' && c.status === 'True')) {
      restarts = restartableRestarts;
      lastRestart = lastRestartableRestart;
      let hasRunning = false;
      const statuses = asArr(status.containerStatuses);
      for (let i = statuses.length - 1; i >= 0; i--) {
        const c = statuses[i];
        restarts += asNum(c.restartCount);
        lastRestart = Math.max(lastRestart, finishedAt(c));
        const state = asObj(c.state);
        const waiting = asObj(state.waiting);
        const terminated = state.terminated === undefined ? undefined : asObj(state.terminated);
        if (asStr(waiting.reason)) reason = asStr(waiting.reason);
        else if (terminated && asStr(terminated.reason)) reason = asStr(terminated.reason);
        else if (terminated) reason = asNum(terminated.signal) !== 0 ? `Signal:${asNum(terminated.signal)}` : `ExitCode:${asNum(terminated.exitCode)}`;
        else if (c.ready === true && state.running !== undefined) {
          hasRunning = true;
          ready++;
        }
      }
      if (reason === 'Completed' && hasRunning) reason = conditions.some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }

    const deleting = metaOf(pod).deletionTimestamp != null;
    if (deleting && asStr(status.reason) === 'NodeLost') reason = 'Unknown';
    else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

    const restartsCell = restarts !== 0 && lastRestart !== 0 ? `${restarts} (${humanDuration(now - lastRestart)} ago)` : String(restarts);
    const podIPs = asArr(status.podIPs);
    const gates = asArr(spec.readinessGates);
    let gatesCell = '<none>';
    if (gates.length > 0) {
      let trueCount = 0;
      for (const g of gates) {
        const c = conditions.find((c) => c.type === g.conditionType);
        if (c?.status === 'True') trueCount++;
      }
      gatesCell = `${trueCount}/${gates.length}`;
    }
    return [
      asStr(metaOf(pod).name),
      `${ready}/${total}`,
      reason,
      restartsCell,
      age(pod, now),
      asStr(podIPs[0]?.ip) || '<none>',
      asStr(spec.nodeName) || '<none>',
      asStr(status.nominatedNodeName) || '<none>',
      gatesCell,
    ];
  },
  conditions(pod) {
    const phase = asStr(asObj(pod.status).phase);
    if (phase === 'Succeeded') return [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
    if (phase === 'Failed') return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
    return undefined;
  },
};

function serviceExternalIP(svc: KubeObject): string {
  const spec = asObj(svc.spec);
  const externalIPs = Array.isArray(spec.externalIPs) ? (spec.externalIPs as unknown[]).map(String) : [];
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = [...new Set(asArr(asObj(asObj(svc.status).loadBalancer).ingress).map((i) => asStr(i.ip) || asStr(i.hostname)).filter(Boolean))].sort();
      if (externalIPs.length) return [...lb, ...externalIPs].join(',');
      return lb.length ? lb.join(',') : '<pending>';
    }
    case 'ExternalName':
      return asStr(spec.externalName);
  }
  return '<unknown>';
}

const servicePrinter: Printer = {
  columns: [
    nameColumn(),
    col('Type', 'string', 'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.'),
    col('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    col('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    col('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    ageColumn(),
    col('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', 1),
  ],
  cells(svc, now) {
    const spec = asObj(svc.spec);
    const clusterIPs = Array.isArray(spec.clusterIPs) ? (spec.clusterIPs as unknown[]).map(String) : [];
    const ports = asArr(spec.ports)
      .map((p) => (asNum(p.nodePort) > 0 ? `${asNum(p.port)}:${asNum(p.nodePort)}/${asStr(p.protocol) || 'TCP'}` : `${asNum(p.port)}/${asStr(p.protocol) || 'TCP'}`))
      .join(',');
    return [asStr(metaOf(svc).name), asStr(spec.type), clusterIPs[0] ?? '<none>', serviceExternalIP(svc), ports || '<none>', age(svc, now), formatLabels(spec.selector)];
  },
};

const containersColumns = (selectorDescription: string) => [
  col('Containers', 'string', 'Names of each container in the template.', 1),
  col('Images', 'string', 'Images referenced by each container in the template.', 1),
  col('Selector', 'string', selectorDescription, 1),
];

const deploymentPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Ready', 'string', 'Number of the pod with ready state'),
    col('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    col('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    ageColumn(),
    ...containersColumns('Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.'),
  ],
  cells(d, now) {
    const spec = asObj(d.spec);
    const status = asObj(d.status);
    const [names, images] = containerCells(asObj(spec.template).spec);
    return [asStr(metaOf(d).name), `${asNum(status.readyReplicas)}/${asNum(spec.replicas, 1)}`, asNum(status.updatedReplicas), asNum(status.availableReplicas), age(d, now), names, images, labelSelectorString(spec.selector)];
  },
};

const replicaSetPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Desired', 'integer', 'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1.'),
    col('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
    col('Ready', 'integer', 'The number of ready replicas for this replica set.'),
    ageColumn(),
    ...containersColumns("Selector is a label query over pods that should match the replica count. It must match the pod template's labels."),
  ],
  cells(rs, now) {
    const spec = asObj(rs.spec);
    const status = asObj(rs.status);
    const [names, images] = containerCells(asObj(spec.template).spec);
    return [asStr(metaOf(rs).name), asNum(spec.replicas, 1), asNum(status.replicas), asNum(status.readyReplicas), age(rs, now), names, images, labelSelectorString(spec.selector) || '<none>'];
  },
};

const namespacePrinter: Printer = {
  columns: [nameColumn(), col('Status', 'string', 'The status of the namespace'), ageColumn()],
  cells: (ns, now) => [asStr(metaOf(ns).name), asStr(asObj(ns.status).phase), age(ns, now)],
};

const secretPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Type', 'string', 'Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types'),
    col('Data', 'string', "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4"),
    ageColumn(),
  ],
  cells: (s, now) => [asStr(metaOf(s).name), asStr(s.type), Object.keys(asObj(s.data)).length, age(s, now)],
};

const configMapPrinter: Printer = {
  columns: [nameColumn(), col('Data', 'string', "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field."), ageColumn()],
  cells: (cm, now) => [asStr(metaOf(cm).name), Object.keys(asObj(cm.data)).length + Object.keys(asObj(cm.binaryData)).length, age(cm, now)],
};

/**
 * Where printEvent's fields stand in a core/v1 or an events.k8s.io/v1 Event, which the apiserver converts to one
 * internal Event before printing (kubernetes/kubernetes pkg/apis/events/v1 conversion.go Convert_v1_Event_To_core_Event);
 * the other fields it reads (name, eventTime, series, type, reason, reportingInstance) have one name in both.
 */
interface EventFields {
  firstTimestamp: string;
  lastTimestamp: string;
  count: string;
  involved: string;
  message: string;
  source: string;
  reportingController: string;
}

function eventPrinter(f: EventFields): Printer {
  return {
    columns: [
      col('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
      col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
      col('Reason', 'string', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
      col('Object', 'string', 'The object that this event is about.'),
      col('Subobject', 'string', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].', 1),
      col('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', 1),
      col('Message', 'string', 'A human-readable description of the status of this operation.'),
      col('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', 1),
      col('Count', 'string', 'The number of times this event has occurred.', 1),
      nameColumn(1),
    ],
    cells(e, now) {
      const first = e[f.firstTimestamp] ? translateTimestampSince(e[f.firstTimestamp], now) : translateTimestampSince(e.eventTime, now);
      let last = e[f.lastTimestamp] ? translateTimestampSince(e[f.lastTimestamp], now) : first;
      let count = asNum(e[f.count]);
      if (e.series != null) {
        const series = asObj(e.series);
        last = translateTimestampSince(series.lastObservedTime, now);
        count = asNum(series.count);
      } else if (count === 0) count = 1;
      const involved = asObj(e[f.involved]);
      const kind = asStr(involved.kind).toLowerCase();
      const target = asStr(involved.name) ? `${kind}/${asStr(involved.name)}` : kind;
      const source = asObj(e[f.source]);
      const component = asStr(source.component) || asStr(e[f.reportingController]);
      const instance = asStr(source.host) || asStr(e.reportingInstance);
      const where = !component ? '<unknown>' : instance ? `${component}, ${instance}` : component;
      return [last, asStr(e.type), asStr(e.reason), target, asStr(involved.fieldPath), where, asStr(e[f.message]).trim(), first, count, asStr(metaOf(e).name)];
    },
  };
}

const coreEventPrinter = eventPrinter({
  firstTimestamp: 'firstTimestamp', lastTimestamp: 'lastTimestamp', count: 'count', involved: 'involvedObject',
  message: 'message', source: 'source', reportingController: 'reportingComponent',
});

const eventsV1Printer = eventPrinter({
  firstTimestamp: 'deprecatedFirstTimestamp', lastTimestamp: 'deprecatedLastTimestamp', count: 'deprecatedCount', involved: 'regarding',
  message: 'note', source: 'deprecatedSource', reportingController: 'reportingController',
});

/** The apiserver's default table for kinds without a printer (pkg/registry/rest/table.go DefaultTableConvertor): Name and Created At. */
export const defaultPrinter: Printer = {
  columns: [nameColumn(), col('Created At', 'date', OBJECT_META_DOCS.creationTimestamp)],
  cells: (o) => [asStr(metaOf(o).name), typeof metaOf(o).creationTimestamp === 'string' ? (metaOf(o).creationTimestamp as string) : null],
};

/** Kubernetes' printers for the core kinds knit serves, by `group/kind` (`/Pod` for core). */
export const CORE_PRINTERS: Readonly<Record<string, Printer>> = {
  '/Pod': podPrinter,
  '/Service': servicePrinter,
  '/Namespace': namespacePrinter,
  '/Secret': secretPrinter,
  '/ConfigMap': configMapPrinter,
  '/Event': coreEventPrinter,
  'apps/Deployment': deploymentPrinter,
  'apps/ReplicaSet': replicaSetPrinter,
  'events.k8s.io/Event': eventsV1Printer,
};

/** The cell for a non-string column (tableconvertor cellForJSONValue). */
function cellForJSONValue(type: string, value: unknown): Cell {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'string':
      return typeof value === 'string' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      const t = Date.parse(value);
      return Number.isNaN(t) ? '<invalid>' : value;
    }
  }
  return null;
}

const singleValue = parseJsonPath('{.v}');

/**
 * How the JSONPath printer writes one value (client-go util/jsonpath PrintResults: maps and lists as
 * compact JSON with sorted keys, scalars as Go prints them); a JSON null cannot be printed, so its
 * cell is null.
 */
function printValue(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  return executeJsonPath(singleValue, { v });
}

/**
 * The printer of a CRD version: `Name` first, then its additionalPrinterColumns, or `Age` when it
 * declares none (apiextensions-apiserver pkg/apiserver/customresource_handler.go
 * serveDefaultColumnsIfEmpty). Knative's kinds all declare columns, so they have no Age, as
 * `kubectl get ksvc` shows on a cluster.
 */
export function crdPrinter(columns: readonly CrdColumn[]): Printer {
  const declared: CrdColumn[] = columns.length ? [...columns] : [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: OBJECT_META_DOCS.creationTimestamp }];
  const paths: JsonPath[] = declared.map((c) => parseJsonPath(`{${c.jsonPath}}`));
  return {
    columns: [nameColumn(), ...declared.map((c) => col(c.name, c.type, c.description ?? '', c.priority ?? 0, c.format ?? ''))],
    cells(obj, now) {
      const cells: Cell[] = [asStr(metaOf(obj).name)];
      declared.forEach((c, i) => {
        const results = JSON.parse(executeJsonPath(paths[i], obj, { asJson: true, allowMissingKeys: true }) || '[]') as unknown[];
        if (results.length === 0) {
          cells.push(null);
          return;
        }
        const value = results[0];
        if (c.type === 'string') cells.push(printValue(value));
        else if (c.type === 'date') {
          // A date cell is shown as the apiserver shows it: an age (metatable.ConvertToHumanReadableDateType).
          const cell = cellForJSONValue('date', value);
          cells.push(typeof cell === 'string' && cell !== '<invalid>' ? translateTimestampSince(cell, now) : cell);
        } else cells.push(cellForJSONValue(c.type, value));
      });
      return cells;
    },
  };
}
