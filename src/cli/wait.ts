// Waiting for a Service to become Ready (progress lines from its watch) and for objects to be deleted.

import type { Condition, Resource, Service } from '../api/types.ts';
import type { ServingClient, WatchEvent } from './client.ts';
import { isGone, isNotFound } from '../api/status-error.ts';
import type { Writer } from './command.ts';
import { progressSeconds } from './duration.ts';
import { CliError } from './errors.ts';

/** --wait-timeout and --wait-window, in seconds. */
export interface WaitConfig {
  timeoutSeconds: number;
  errorWindowSeconds: number;
}

/** Receives each Ready-condition message seen while waiting, with the time since the wait started. */
export type MessageCallback = (elapsedMs: number, message: string) => void;

/** kn's SimpleMessageCallback: `%7.3fs <message>`, a repeated message printed as `...`. */
export function simpleMessageCallback(out: Writer): MessageCallback {
  let previous = '';
  return (elapsedMs, message) => {
    out.write(`${progressSeconds(elapsedMs)} ${message === previous ? '...' : message}\n`);
    previous = message;
  };
}

function readyCondition(svc: Service): Condition | undefined {
  return svc.status?.conditions?.find((c) => c.type === 'Ready');
}

/** Serving's Service.IsReady: observed the current generation and Ready=True. */
export function isServiceReady(svc: Service): boolean {
  return (svc.metadata.generation ?? 0) === (svc.status?.observedGeneration ?? -1) && readyCondition(svc)?.status === 'True';
}

function timeoutError(kind: string, name: string, seconds: number): CliError {
  return new CliError(`timeout: ${kind} '${name}' not ready after ${seconds} seconds`);
}

type Outcome = { kind: 'ready' } | { kind: 'retry' } | { kind: 'failed'; error: Error };

/**
 * Waits until the service is Ready (kn's WaitForService): returns the elapsed milliseconds. Only MODIFIED watch events
 * whose generation equals the observed generation count; Ready=False fails only if it persists for the error window;
 * the overall timeout fails with kn's `timeout: service 'NAME' not ready after N seconds`.
 */
export async function waitForService(client: ServingClient, namespace: string, name: string, cfg: WaitConfig, onMessage: MessageCallback): Promise<number> {
  let current: Service | undefined;
  try {
    current = await client.get('services', namespace, name);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  if (current && isServiceReady(current)) return 0;

  const start = Date.now();
  const deadline = start + cfg.timeoutSeconds * 1000;
  let resourceVersion = current?.metadata.resourceVersion ?? '';
  for (;;) {
    const outcome = await watchUntilReady(client, namespace, name, resourceVersion, start, deadline, cfg, onMessage, current);
    if (outcome.kind === 'ready') return Date.now() - start;
    if (outcome.kind === 'failed') throw outcome.error;
    // The stream ended (or the resourceVersion expired): take a fresh look, then watch again from there.
    await new Promise((r) => setTimeout(r, 100));
    if (Date.now() >= deadline) throw timeoutError('service', name, cfg.timeoutSeconds);
    try {
      const svc = await client.get('services', namespace, name);
      if (isServiceReady(svc)) return Date.now() - start;
      current = svc;
      resourceVersion = svc.metadata.resourceVersion ?? '';
    } catch (e) {
      if (!isNotFound(e)) throw e;
      resourceVersion = '';
    }
  }
}

function watchUntilReady(
  client: ServingClient,
  namespace: string,
  name: string,
  resourceVersion: string,
  start: number,
  deadline: number,
  cfg: WaitConfig,
  onMessage: MessageCallback,
  /** The state read before watching: a failure already there must not wait for another event. */
  initial?: Service,
): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    let settled = false;
    let errorTimer: NodeJS.Timeout | undefined;
    let errorToken = 0;
    let latest: Service | undefined;
    const finish = (o: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeoutTimer);
      if (errorTimer) clearTimeout(errorTimer);
      watch.close();
      resolve(o);
    };
    const timeoutTimer = setTimeout(() => finish({ kind: 'failed', error: timeoutError('service', name, cfg.timeoutSeconds) }), Math.max(0, deadline - Date.now()));
    const onEvent = (ev: WatchEvent<Service>): void => {
      if (settled) return;
      if (ev.type === 'ERROR') {
        const status = ev.object as unknown as { code?: number };
        if (status.code === 410) finish({ kind: 'retry' });
        return;
      }
      if (ev.type !== 'MODIFIED' || ev.object.metadata?.name !== name) return;
      const svc = ev.object;
      if ((svc.metadata.generation ?? 0) !== (svc.status?.observedGeneration ?? -1)) return;
      const ready = readyCondition(svc);
      if (!ready) return;
      latest = svc;
      switch (ready.status) {
        case 'True':
          finish({ kind: 'ready' });
          return;
        case 'False':
          if (!errorTimer) {
            const token = ++errorToken;
            const check = (): void => {
              explainFailure(client, namespace, latest!).then(
                (error) => {
                  if (token !== errorToken || settled) return;
                  // Without an error the latest revision is still deploying: look again a little later.
                  if (error) finish({ kind: 'failed', error });
                  else errorTimer = setTimeout(check, Math.max(1000, cfg.errorWindowSeconds * 1000));
                },
                (e: unknown) => finish({ kind: 'failed', error: e as Error }),
              );
            };
            errorTimer = setTimeout(check, cfg.errorWindowSeconds * 1000);
          }
          break;
        default:
          if (errorTimer) {
            clearTimeout(errorTimer);
            errorTimer = undefined;
            errorToken++;
          }
      }
      if (ready.message) onMessage(Date.now() - start, ready.message);
    };
    const watch = client.watch('services', namespace, { resourceVersion, fieldSelector: `metadata.name=${name}` }, onEvent);
    if (initial) onEvent({ type: 'MODIFIED', object: initial });
    watch.done.then(
      () => finish({ kind: 'retry' }),
      (e: unknown) => finish(isGone(e) ? { kind: 'retry' } : { kind: 'failed', error: e as Error }),
    );
  });
}

/**
 * Turns a Service's persisting Ready=False into kn's `<Reason>: <Message>` error, naming the root cause when the
 * Ready condition only carries a consequence: a failed ConfigurationsReady wins, else a failed latest created
 * revision gives Serving's `RevisionFailed: Revision "R" failed with message: M.`. Returns undefined (keep waiting)
 * when Ready=False only says RevisionMissing while the latest revision is still being decided.
 */
export async function explainFailure(client: ServingClient, namespace: string, svc: Service): Promise<Error | undefined> {
  const ready = readyCondition(svc);
  const asError = (c: Condition): CliError => new CliError(`${c.reason ?? ''}: ${c.message ?? ''}`);
  if (!ready || ready.reason === 'RevisionFailed') return ready ? asError(ready) : undefined;
  const config = svc.status?.conditions?.find((c) => c.type === 'ConfigurationsReady');
  if (config?.status === 'False' && config.reason) return asError(config);
  const latestName = svc.status?.latestCreatedRevisionName;
  if (!latestName) return ready.reason === 'RevisionMissing' ? undefined : asError(ready);
  let revReady: Condition | undefined;
  try {
    const rev = await client.get('revisions', namespace, latestName);
    revReady = rev.status?.conditions?.find((c) => c.type === 'Ready');
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  if (revReady?.status === 'False') return new CliError(`RevisionFailed: Revision "${latestName}" failed with message: ${revReady.message ?? ''}.`);
  if (revReady?.status !== 'True' && ready.reason === 'RevisionMissing') return undefined;
  return asError(ready);
}

/**
 * Waits for the DELETED event of an object (kn's delete --wait); `resourceVersion` is the version seen before deleting.
 * Fails with kn's timeout message after `timeoutSeconds`.
 */
export function waitForDeletion(client: ServingClient, resource: Resource, kind: string, namespace: string, name: string, resourceVersion: string, timeoutSeconds: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      watch.close();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => finish(timeoutError(kind, name, timeoutSeconds)), timeoutSeconds * 1000);
    const watch = client.watch(resource, namespace, { resourceVersion, fieldSelector: `metadata.name=${name}` }, (ev) => {
      if (ev.type === 'DELETED' && ev.object.metadata?.name === name) finish();
    });
    watch.done.then(
      () => {
        // The stream ended without the event: the object may already be gone.
        client.get(resource, namespace, name).then(
          () => finish(new CliError(`watch for ${kind} '${name}' ended before it was deleted`)),
          (e: unknown) => (isNotFound(e) ? finish() : finish(e as Error)),
        );
      },
      (e: unknown) => finish(e as Error),
    );
    // The object may have gone before the watch started.
    client.get(resource, namespace, name).then(
      () => undefined,
      (e: unknown) => {
        if (isNotFound(e)) finish();
      },
    );
  });
}
