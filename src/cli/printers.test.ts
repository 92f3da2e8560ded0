// Golden tests of the human-readable printers (tables and describe layouts) on fixture objects.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as fx from '../../test/cli/fixtures.ts';
import type { Revision, Service } from '../api/types.ts';
import {
  describeRevision,
  describeRoute,
  describeService,
  formatBullet,
  newRevisionDesc,
  orderByConfigurationGeneration,
  printRevisionList,
  printRouteList,
  printServiceList,
  sortRevisions,
  trafficAndTagsForRevision,
} from './printers.ts';

/** Golden text: a leading newline is dropped and `·` marks trailing spaces, which matter (Go's tabwriter emits them). */
function golden(text: string): string {
  return text.replace(/^\n/, '').replace(/·+$/gm, (m) => ' '.repeat(m.length));
}

function descs(svc: Service, revisions: Revision[]) {
  return orderByConfigurationGeneration(revisions.map((r) => newRevisionDesc(r, svc.status?.traffic?.find((t) => t.revisionName === r.metadata.name), svc)));
}

function revisionRows(revisions: Revision[]) {
  const services = [fx.helloService, fx.splitService, fx.brokenService];
  return sortRevisions(revisions).map((revision) => {
    const svc = services.find((s) => s.metadata.name === revision.metadata.labels?.['serving.knative.dev/service']);
    const { percent, tags } = trafficAndTagsForRevision(revision.metadata.name ?? '', svc);
    return { revision, traffic: percent, tags };
  });
}

describe('service list', () => {
  it('prints ready, failed and split services sorted by name', () => {
    assert.equal(
      printServiceList([fx.splitService, fx.helloService, fx.brokenService], { now: fx.NOW }),
      golden(`
NAME     URL                                LATEST        AGE   CONDITIONS   READY   REASON
broken                                                    40s   0 OK / 3     False   RevisionFailed : Revision "broken-00001" failed with message: Container failed with: exit status 1.
hello    http://hello.default.example.com   hello-00001   5m    3 OK / 3     True····
split    http://split.default.example.com   split-00002   10m   3 OK / 3     True····
`),
    );
  });

  it('adds NAMESPACE with -A and drops headers with --no-headers', () => {
    assert.equal(
      printServiceList([fx.helloService], { now: fx.NOW, allNamespaces: true }),
      golden(`
NAMESPACE   NAME    URL                                LATEST        AGE   CONDITIONS   READY   REASON
default     hello   http://hello.default.example.com   hello-00001   5m    3 OK / 3     True····
`),
    );
    assert.equal(printServiceList([fx.helloService], { now: fx.NOW, noHeaders: true }), golden(`
hello   http://hello.default.example.com   hello-00001   5m    3 OK / 3   True···
`));
  });

  it('shows <unknown> for a service without status', () => {
    const bare: Service = { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'new', namespace: 'default' }, spec: { template: { spec: { containers: [] } } } };
    assert.equal(
      printServiceList([bare], { now: fx.NOW }),
      golden(`
NAME   URL   LATEST   AGE         CONDITIONS   READY       REASON
new                   <unknown>   0 OK / 0     <unknown>   <unknown>
`),
    );
  });
});

describe('revision list', () => {
  it('prints traffic, tags and generations, newest generation first per service', () => {
    assert.equal(
      printRevisionList(revisionRows([fx.splitRevision1, fx.helloRevision, fx.splitRevision2, fx.brokenRevision]), { now: fx.NOW }),
      golden(`
NAME           SERVICE   TRAFFIC   TAGS      GENERATION   AGE     CONDITIONS   READY   REASON
broken-00001   broken                        1            35s     0 OK / 4     False   ExitCode1 : Container failed with: exit status 1
hello-00001    hello     100%                1            4m50s   4 OK / 4     True····
split-00002    split     80%       current   2            90s     4 OK / 4     True····
split-00001    split     20%       stable    1            10m     3 OK / 4     True····
`),
    );
  });

  it('truncates cells to 50 characters', () => {
    const long = structuredClone(fx.helloRevision);
    long.metadata.name = 'x'.repeat(60);
    const out = printRevisionList([{ revision: long, traffic: 0, tags: [] }], { now: fx.NOW, noHeaders: true });
    assert.ok(out.startsWith('x'.repeat(46) + ' ...   hello'));
  });
});

describe('route list', () => {
  it('prints NAME URL READY', () => {
    assert.equal(
      printRouteList([fx.splitRoute], { now: fx.NOW, allNamespaces: true }),
      golden(`
NAME    URL                                READY
split   http://split.default.example.com   True
`),
    );
  });
});

describe('service describe', () => {
  it('ready service: pinned image, replicas, conditions', () => {
    assert.equal(
      describeService(fx.helloService, descs(fx.helloService, [fx.helloRevision]), false, fx.NOW),
      golden(`
Name:       hello
Namespace:  default
Labels:     app=demo, team=x
Age:        5m
URL:        http://hello.default.example.com

Revisions:··
  100%  @latest (hello-00001) [1] (4m)
        Image:     docker.io/me/hello (pinned to 5ea96b)
        Replicas:  1/1

Conditions:··
  OK TYPE                   AGE REASON
  ++ Ready                  46s·
  ++ ConfigurationsReady    46s·
  ++ RoutesReady            46s·
`),
    );
  });

  it('two revisions split 80/20 with tags; the old one scaled to zero', () => {
    assert.equal(
      describeService(fx.splitService, descs(fx.splitService, [fx.splitRevision1, fx.splitRevision2]), false, fx.NOW),
      golden(`
Name:       split
Namespace:  default
Age:        10m
URL:        http://split.default.example.com

Revisions:··
   80%  @latest (split-00002) #current [2] (1m)
        Image:     docker.io/me/split:v2 (pinned to 5ea96b)
        Replicas:  2/2
   20%  split-00001 #stable [1] (10m)
        Image:     docker.io/me/split:v1 (at 5ea96b)
        Replicas:  0/0

Conditions:··
  OK TYPE                   AGE REASON
  ++ Ready                   1m·
  ++ ConfigurationsReady     1m·
  ++ RoutesReady             1m·
`),
    );
  });

  it('failed service: `!` bullet, Error line, reasons', () => {
    assert.equal(
      describeService(fx.brokenService, descs(fx.brokenService, [fx.brokenRevision]), false, fx.NOW),
      golden(`
Name:       broken
Namespace:  default
Age:        40s
URL:········

Revisions:··
     !  broken-00001 (latest created) [1] (35s)
        Error:     ExitCode1
        Image:     file:///srv/broken
        Replicas:  0/0

Conditions:··
  OK TYPE                   AGE REASON
  !! Ready                  30s RevisionFailed
  !! ConfigurationsReady    30s RevisionFailed
  ?? RoutesReady            30s RevisionMissing
`),
    );
  });

  it('verbose: all labels/annotations, cluster URL, revision details', () => {
    assert.equal(
      describeService(fx.helloService, descs(fx.helloService, [fx.helloRevision]), true, fx.NOW),
      golden(`
Name:         hello
Namespace:    default
Labels:       app=demo
              team=x
Annotations:  serving.knative.dev/creator=admin
              serving.knative.dev/lastModifier=admin
Age:          5m
URL:          http://hello.default.example.com
Cluster:      http://hello.default.svc.cluster.local

Revisions:··
  100%  @latest (hello-00001) [1] (4m)
        Image:        docker.io/me/hello (pinned to 5ea96b)
        Replicas:     1/1
        Port:         8080
        Env:          TARGET=knit
        Scale:        0 ... 5
        Concurrency:··
          Target:     10

Conditions:··
  OK TYPE                   AGE REASON
  ++ Ready                  46s·
  ++ ConfigurationsReady    46s·
  ++ RoutesReady            46s·
`),
    );
  });

  it('bullets', () => {
    assert.equal(formatBullet(100, 'True'), '100%');
    assert.equal(formatBullet(50, 'True'), ' 50%');
    assert.equal(formatBullet(0, 'True'), '   +');
    assert.equal(formatBullet(10, 'False'), ' 10!');
    assert.equal(formatBullet(0, 'Unknown'), '   ?');
  });
});

describe('revision describe', () => {
  it('ready revision', () => {
    assert.equal(
      describeRevision(fx.helloRevision, undefined, false, fx.NOW),
      golden(`
Name:         hello-00001
Namespace:    default
Annotations:  autoscaling.knative.dev/max-scale=5, autoscaling.knative.dev/target=10
Age:          4m
Image:        docker.io/me/hello (pinned to 5ea96b)
Replicas:     1/1
Port:         8080
Env:          TARGET=knit
Scale:        0 ... 5
Concurrency:··
  Target:     10
Service:      hello

Conditions:··
  OK TYPE                  AGE REASON
  ++ Ready                  4m·
  ++ Active                 4m·
  ++ ContainerHealthy       4m·
  ++ ResourcesAvailable     4m·
`),
    );
  });

  it('failed revision with reasons', () => {
    assert.equal(
      describeRevision(fx.brokenRevision, undefined, false, fx.NOW),
      golden(`
Name:       broken-00001
Namespace:  default
Age:        35s
Image:      file:///srv/broken
Replicas:   0/0
Service:    broken

Conditions:··
  OK TYPE                  AGE REASON
  !! Ready                 30s ExitCode1
  ?? Active                34s Deploying
  !! ContainerHealthy      30s ExitCode1
  ?? ResourcesAvailable    34s·
`),
    );
  });

  it('verbose, scaled to zero, with service traffic and tags; Info severity sorts last', () => {
    assert.equal(
      describeRevision(fx.splitRevision1, fx.splitService, true, fx.NOW),
      golden(`
Name:                        split-00001
Namespace:                   default
Labels:                      serving.knative.dev/configuration=split
                             serving.knative.dev/configurationGeneration=1
                             serving.knative.dev/routingState=active
                             serving.knative.dev/service=split
Age:                         10m
Image:                       docker.io/me/split:v1 (at 5ea96b)
Replicas:                    0/0
Service:                     split
  Configuration Generation:  1
  Latest Created:            false
  Latest Ready:              false
  Traffic:                   20%
  Tags:                      stable

Conditions:··
  OK TYPE                  AGE REASON
  ++ Ready                  9m·
  ++ ContainerHealthy       9m·
  ++ ResourcesAvailable     9m·
   I Active                 5m NoTraffic (The target is not receiving traffic.)
`),
    );
  });
});

describe('route describe', () => {
  it('traffic targets with tag URLs', () => {
    assert.equal(
      describeRoute(fx.splitRoute, false, fx.NOW),
      golden(`
Name:       split
Namespace:  default
Age:        10m
URL:        http://split.default.example.com
Service:    split

Traffic Targets:··
   80%  @latest (split-00002) #current
        URL:  http://current-split.default.example.com
   20%  split-00001 #stable
        URL:  http://stable-split.default.example.com

Conditions:··
  OK TYPE                      AGE REASON
  ++ Ready                      1m·
  ++ AllTrafficAssigned         1m·
  ++ CertificateProvisioned     9m TLSNotEnabled
  ++ IngressReady               1m·
`),
    );
  });
});
