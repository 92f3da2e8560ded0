// Client-side traffic/tag computation of `service create|update` (--traffic, --tag, --untag), as kn's traffic.Compute.

import type { Revision, Service, TrafficTarget } from '../api/types.ts';
import { CliError } from './errors.ts';

const LATEST = '@latest';
/** Client-only annotation kn consults when looking for the revision that takes the remaining traffic. */
const REVISION_TAGS_ANNOTATION = 'client.knative.dev/tags';

/** Values of the traffic flags (already split on commas). */
export interface TrafficFlags {
  traffic: string[];
  tags: string[];
  untags: string[];
}

/** Context of the computation. */
export interface TrafficContext {
  /** --traffic was given, or this is `create` with tags (percentages then default to `@latest=100`). */
  setPercentages: boolean;
  /** The update also changes the template, so a new revision will appear. */
  mutation: boolean;
  /** Revisions of the service (for the remainder rule). */
  revisions: readonly Revision[];
}

function splitByEqualSign(pair: string): [string, string] {
  const parts = pair.split('=');
  if (parts.length === 1) return [LATEST, parts[0].replace(/%$/, '')];
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') throw new CliError(`expecting the value format in value1=value2, given ${pair}`);
  return [parts[0], parts[1].replace(/%$/, '')];
}

function errorRepeating(flag: string, name: string): CliError {
  const what = name === LATEST ? `identifier ${LATEST}` : `revision reference ${name}`;
  return new CliError(`repetition of ${what} is not allowed, use only once with ${flag} flag`);
}

function errorDistribution(sum: number, reason: 'count' | 'notFound'): CliError {
  const msg = reason === 'count' ? 'incorrect number of revisions specified. Only 1 revision should be missing' : 'cannot determine the missing revision';
  return new CliError(`unable to allocate the remaining traffic: ${100 - sum}%. Reason: ${msg}`);
}

/** Go's strconv.Atoi acceptance: optional sign and decimal digits. */
function atoi(s: string): number | undefined {
  return /^[+-]?\d+$/.test(s) ? Number.parseInt(s, 10) : undefined;
}

function isLatest(t: TrafficTarget): boolean {
  // Serving defaults latestRevision to (revisionName == "") when it is not set.
  return t.latestRevision ?? !t.revisionName;
}

function newTarget(tag: string, revision: string, percent: number, latestRevision: boolean): TrafficTarget {
  const t: TrafficTarget = {};
  if (tag) t.tag = tag;
  if (latestRevision) {
    t.latestRevision = true;
  } else {
    t.revisionName = revision;
    t.latestRevision = false;
  }
  t.percent = percent;
  return t;
}

/** Validates the flags and returns the percentages to apply, with the auto-filled remainder appended (kn's verifyInput). */
function verifyInput(flags: TrafficFlags, svc: Service, ctx: TrafficContext): string[] {
  const percentages = [...flags.traffic];
  const statusTargets = svc.status?.traffic ?? [];
  const existingCount = statusTargets.length;

  let latestTagged = false;
  for (const each of flags.tags) {
    const [rev] = splitByEqualSign(each);
    if (latestTagged && rev === LATEST) throw errorRepeating('--tag', LATEST);
    if (rev === LATEST) latestTagged = true;
  }

  const refs = new Map<string, number>();
  let sum = 0;
  percentages.forEach((each, i) => {
    const [ref, percent] = splitByEqualSign(each);
    if (refs.has(ref)) throw errorRepeating('--traffic', ref);
    refs.set(ref, i);
    const n = atoi(percent);
    if (n === undefined) throw new CliError(`error converting given ${percent} to integer value for traffic distribution`);
    if (n < 0 || n > 100) throw new CliError(`invalid value for traffic percent ${n}, expected 0 <= percent <= 100`);
    sum += n;
  });

  if (sum === 100) return percentages;
  if (sum > 100) throw new CliError(`given traffic percents sum to ${sum}, want <=100`);
  const latestRefTraffic = refs.has(LATEST);
  const specCount = percentages.length;
  if (specCount === 0) return percentages;
  if (specCount < existingCount - 1) throw errorDistribution(sum, 'count');

  if (ctx.mutation) {
    if (specCount !== existingCount) throw errorDistribution(sum, 'count');
    if (!refs.has(LATEST)) return [...percentages, `${LATEST}=${100 - sum}`];
  } else {
    if (specCount !== existingCount - 1) throw errorDistribution(sum, 'count');
    if (latestRefTraffic) refs.set(svc.status?.latestReadyRevisionName ?? '', 0);
  }

  for (const target of statusTargets) {
    const rev = ctx.revisions.find((r) => r.metadata.name === target.revisionName);
    if (!rev) break;
    const tagRef = rev.metadata.annotations?.[REVISION_TAGS_ANNOTATION] ?? '';
    if (!refs.has(rev.metadata.name ?? '') && !refs.has(tagRef)) return [...percentages, `${rev.metadata.name}=${100 - sum}`];
  }
  throw errorDistribution(sum, 'notFound');
}

/**
 * Computes the new `spec.traffic` from the service and the flags: untag, then tag, then (with --traffic) reset all
 * percents and assign the given ones, finally drop targets without tag and percent.
 */
export function computeTraffic(svc: Service, flags: TrafficFlags, ctx: TrafficContext): TrafficTarget[] {
  const percentages = verifyInput(flags, svc, ctx);
  let traffic: TrafficTarget[] = (svc.spec.traffic ?? []).map((t) => ({ ...t }));

  const unknownTags: string[] = [];
  for (const tag of flags.untags) {
    const t = traffic.find((x) => x.tag === tag);
    if (t) delete t.tag;
    else unknownTags.push(tag);
  }
  if (unknownTags.length > 0) {
    throw new CliError(`tag(s) ${unknownTags.join(', ')} not present for any revisions of service ${svc.metadata.name ?? ''}`);
  }

  const tagPresent = (tag: string): boolean => traffic.some((t) => t.tag === tag);
  for (const each of flags.tags) {
    const [revision, tag] = splitByEqualSign(each);
    if (revision === LATEST) {
      const latest = traffic.find(isLatest);
      const existing = latest?.tag ?? '';
      if (existing === tag) continue;
      if (tagPresent(tag)) throw new CliError(`refusing to overwrite existing tag in service, add flag '--untag ${tag}' in command to untag it`);
      if (existing !== '') {
        throw new CliError(`tag '${existing}' exists on latest ready revision of service, refusing to overwrite existing tag with '${tag}', add flag '--untag ${existing}' in command to untag it`);
      }
      if (latest) latest.tag = tag;
      else traffic.push(newTarget(tag, '', 0, true));
      continue;
    }
    if (traffic.some((t) => t.tag === tag && t.revisionName === revision)) continue;
    if (tagPresent(tag)) throw new CliError(`refusing to overwrite existing tag in service, add flag '--untag ${tag}' in command to untag it`);
    const first = traffic.find((t) => t.revisionName === revision);
    if (first && !first.tag) first.tag = tag;
    else traffic.push(newTarget(tag, revision, 0, false));
  }

  if (ctx.setPercentages) {
    for (const t of traffic) t.percent = 0;
    for (const each of percentages) {
      const [ref, percent] = splitByEqualSign(each);
      const n = Number.parseInt(percent, 10);
      if (ref === LATEST) {
        const latest = traffic.find(isLatest);
        if (latest) latest.percent = n;
        else traffic.push(newTarget('', '', n, true));
        continue;
      }
      const byTag = traffic.find((t) => t.tag === ref);
      if (byTag) {
        byTag.percent = n;
        continue;
      }
      const byName = traffic.find((t) => t.revisionName === ref);
      if (byName) {
        byName.percent = n;
        continue;
      }
      traffic.push(newTarget('', ref, n, false));
    }
  }
  traffic = traffic.filter((t) => (t.tag ?? '') !== '' || (t.percent ?? 0) !== 0);
  return traffic;
}
