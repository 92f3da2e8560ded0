// Gradual rollout: moves a latestRevision target's traffic to a new revision in steps over
// serving.knative.dev/rollout-duration (knative/serving pkg/reconciler/route/traffic/rollout.go).

/** One revision's share inside a configuration target during a rollout. */
export interface RolloutRevision {
  revisionName: string;
  percent: number;
}

/** A latestRevision target (per tag and configuration) and how its traffic is spread. */
export interface ConfigurationRollout {
  configurationName: string;
  tag: string;
  percent: number;
  /** Oldest first; the last one is the newest (the configuration's latest ready revision). */
  revisions: RolloutRevision[];
  stepParams: {
    /** Nanoseconds since the epoch, as Knative stores them. */
    startTime?: number;
    nextStepTime?: number;
    stepDuration?: number;
    stepSize?: number;
  };
}

export interface Rollout {
  configurations: ConfigurationRollout[];
}

const NS_PER_MS = 1_000_000;
const NS_PER_S = 1_000_000_000;

/** Rollout in progress = some configuration spreads its traffic over ≥ 2 revisions. */
export function rolloutInProgress(r: Rollout): boolean {
  return r.configurations.some((c) => c.revisions.length > 1);
}

function sortKey(c: ConfigurationRollout): string {
  return `${c.tag}\u0000${c.configurationName}`;
}

/** Parses a stored rollout, discarding it when invalid (as Knative does). */
export function parseRollout(json: string | undefined): Rollout | undefined {
  if (!json) return undefined;
  try {
    const r = JSON.parse(json) as Rollout;
    if (!Array.isArray(r.configurations)) return undefined;
    for (const c of r.configurations) {
      if (c.percent > 100 || !Array.isArray(c.revisions)) return undefined;
      const sum = c.revisions.reduce((a, x) => a + x.percent, 0);
      if (sum !== c.percent) return undefined;
      const step = c.stepParams?.stepSize ?? 0;
      if (step < 0 || step > c.percent) return undefined;
      c.stepParams ??= {};
    }
    return r;
  } catch {
    return undefined;
  }
}

/** Adjusts a previous revision list to a new configuration percent (increase goes to the newest). */
function adjust(prev: RolloutRevision[], percent: number): RolloutRevision[] {
  const revs = prev.map((r) => ({ ...r }));
  let total = revs.reduce((a, r) => a + r.percent, 0);
  if (percent >= total) {
    revs[revs.length - 1].percent += percent - total;
    return revs;
  }
  // Decrease: remove from the oldest first, dropping revisions that reach 0.
  let excess = total - percent;
  while (excess > 0 && revs.length > 0) {
    const take = Math.min(excess, revs[0].percent);
    revs[0].percent -= take;
    excess -= take;
    total -= take;
    if (revs[0].percent === 0) revs.shift();
  }
  return revs;
}

/**
 * One step of the rollout: `current` is what the route wants now (each latestRevision target at
 * its newest ready revision), `previous` what was programmed. Returns what to program.
 */
export function stepRollout(current: Rollout, previous: Rollout | undefined, nowMs: number): Rollout {
  const now = nowMs * NS_PER_MS;
  const out: ConfigurationRollout[] = [];
  for (const cur of current.configurations) {
    if (cur.percent === 0) continue;
    const prev = previous?.configurations.find((p) => p.tag === cur.tag && p.configurationName === cur.configurationName);
    if (!prev || cur.percent === 1 || prev.revisions.length === 0) {
      out.push(structuredClone(cur));
      continue;
    }
    const desired = cur.revisions[cur.revisions.length - 1].revisionName;
    const revs = adjust(prev.revisions, cur.percent);
    const newest = revs[revs.length - 1];
    if (revs.length > 0 && newest.revisionName === desired) {
      const next: ConfigurationRollout = { ...cur, revisions: revs, stepParams: { ...prev.stepParams } };
      const sp = next.stepParams;
      if (sp.stepSize && sp.nextStepTime !== undefined && now >= sp.nextStepTime) {
        let move = sp.stepSize;
        // Take from the older revisions, newest-old first.
        for (let i = revs.length - 2; i >= 0 && move > 0; i--) {
          const take = Math.min(move, revs[i].percent);
          revs[i].percent -= take;
          newest.percent += take;
          move -= take;
        }
        next.revisions = revs.filter((r) => r.percent > 0 || r === newest);
        if (next.revisions.length === 1) next.stepParams = {};
        else sp.nextStepTime = now + (sp.stepDuration ?? 0);
      } else if (revs.length === 1) {
        next.stepParams = {};
      }
      out.push(next);
      continue;
    }
    // A new revision: take 1% from the newest old revision with traffic and start a rollout.
    const donor = [...revs].reverse().find((r) => r.percent > 0);
    if (donor) donor.percent -= 1;
    const started = revs.filter((r) => r.percent > 0);
    started.push({ revisionName: desired, percent: 1 });
    out.push({ ...cur, revisions: started, stepParams: { startTime: now } });
  }
  out.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
  return { configurations: out };
}

/**
 * Fixes the step timing once the ingress is ready after a start (knit's is ready at once):
 * `durationS` is the rollout duration in seconds.
 */
export function scheduleSteps(r: Rollout, durationS: number, nowMs: number): Rollout {
  const now = nowMs * NS_PER_MS;
  for (const c of r.configurations) {
    const sp = c.stepParams;
    if (c.revisions.length < 2 || sp.startTime === undefined || sp.stepSize) continue;
    const minStep = Math.max(NS_PER_S, Math.ceil((now - sp.startTime) / NS_PER_S) * NS_PER_S);
    const d = Math.max(1, durationS * NS_PER_S - minStep);
    const numSteps = Math.min(Math.max(1, Math.floor(d / minStep)), Math.max(1, c.percent - 1));
    sp.stepSize = Math.max(1, Math.round((c.percent - 1) / numSteps));
    sp.stepDuration = Math.floor(d / numSteps);
    sp.nextStepTime = now + sp.stepDuration;
  }
  return r;
}

/** Milliseconds until the earliest next step, or undefined when nothing is scheduled. */
export function nextStepInMs(r: Rollout, nowMs: number): number | undefined {
  let best: number | undefined;
  for (const c of r.configurations) {
    if (c.revisions.length < 2) continue;
    const t = c.stepParams.nextStepTime;
    const wait = t === undefined ? 1000 : Math.max(0, t / NS_PER_MS - nowMs);
    if (best === undefined || wait < best) best = wait;
  }
  return best;
}
