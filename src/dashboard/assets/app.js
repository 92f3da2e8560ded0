// knit's dashboard: a plain ES module that reads and writes the API as the CLI does (same REST paths and bodies,
// `?watch=true` streams for live updates) with the token kept in sessionStorage (docs/configuration.md "Dashboard").

const SERVING = '/apis/serving.knative.dev/v1';
const EVENTING = '/apis/eventing.knative.dev/v1';
const REV_LABEL = 'serving.knative.dev/revision';
const SVC_LABEL = 'serving.knative.dev/service';
const $ = (id) => document.getElementById(id);

const state = {
  token: sessionStorage.getItem('knit-token') ?? '',
  ns: sessionStorage.getItem('knit-ns') ?? 'default',
  services: new Map(), revisions: new Map(), pods: new Map(), events: new Map(), brokers: new Map(), triggers: new Map(),
  /** The namespace's broker and trigger counts (the event_count series), from the metrics poll. */
  eventing: { brokers: new Map(), triggers: new Map() },
  selected: '',
  /** Traffic percents the user typed and has not applied, by revision. */
  draft: new Map(),
  /** Tags typed and not yet added, by revision. */
  tagDraft: new Map(),
  abort: new AbortController(),
  logAbort: undefined,
  /** Per revision: the last counters read and the rate and mean latency since the read before. */
  metrics: new Map(),
};

const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

/** One API call with the token; a refusal throws the Status message the API answered. */
async function api(method, path, body) {
  const headers = { authorization: `Bearer ${state.token}`, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: state.abort.signal });
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  if (!res.ok) {
    const err = new Error(json?.message ?? `${res.status} ${res.statusText}`);
    err.status = res.status;
    throw err;
  }
  return json;
}

function showError(err) { $('error').textContent = err ? String(err.message ?? err) : ''; }

/** Lists a collection, then follows its watch from the list's resourceVersion; relists when the stream ends. */
async function follow(path, map, onListed) {
  const signal = state.abort.signal;
  while (!signal.aborted) {
    try {
      const list = await api('GET', path);
      map.clear();
      for (const o of list.items ?? []) map.set(o.metadata.name, o);
      if (onListed) { render(); onListed(); onListed = undefined; } else schedule();
      const res = await fetch(`${path}?watch=true&resourceVersion=${encodeURIComponent(list.metadata?.resourceVersion ?? '')}`, {
        headers: { authorization: `Bearer ${state.token}` }, signal,
      });
      if (!res.ok || !res.body) throw new Error(`watch ${path}: ${res.status}`);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      let stale = false;
      while (!stale) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          const ev = JSON.parse(line);
          if (ev.type === 'ERROR') { stale = true; break; }
          if (ev.type === 'DELETED') map.delete(ev.object.metadata.name);
          else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') map.set(ev.object.metadata.name, ev.object);
          schedule();
        }
      }
      reader.cancel().catch(() => {});
    } catch (err) {
      if (signal.aborted) return;
      if (err.status === 401) { logout('The API refused the token (401 Unauthorized).'); return; }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

let pending = false;
function schedule() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; render(); });
}

/** kubernetes apimachinery pkg/util/duration HumanDuration, as kn's AGE column prints it. */
function age(ts) {
  if (!ts) return '';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 192) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 730) return `${d}d`;
  return `${Math.floor(d / 365)}y${d % 365}d`;
}

const cond = (o, type) => (o.status?.conditions ?? []).find((c) => c.type === type);
/** kn's CONDITIONS column: `OK / TOTAL` (knative/client pkg/printers ConditionsValue). */
function conditionsValue(o) {
  const cs = o.status?.conditions ?? [];
  return `${cs.filter((c) => c.status === 'True').length} OK / ${cs.length}`;
}

function instancesOf(pred) {
  let n = 0;
  for (const p of state.pods.values()) if (!p.metadata.deletionTimestamp && pred(p.metadata.labels ?? {})) n++;
  return n;
}

function serviceRevisions(name) {
  return [...state.revisions.values()]
    .filter((r) => r.metadata.labels?.[SVC_LABEL] === name)
    .sort((a, b) => (b.metadata.labels?.['serving.knative.dev/configurationGeneration'] ?? 0) - (a.metadata.labels?.['serving.knative.dev/configurationGeneration'] ?? 0) || b.metadata.name.localeCompare(a.metadata.name));
}

function render() {
  const focused = document.activeElement?.id;
  const names = [...state.services.keys()].sort();
  $('count').textContent = `(${names.length})`;
  $('services').tBodies[0].innerHTML = names.map((n) => {
    const s = state.services.get(n);
    const ready = cond(s, 'Ready');
    return `<tr class="${n === state.selected ? 'selected' : ''}" data-name="${esc(n)}"><td><button type="button" class="link" data-select="${esc(n)}" aria-label="Show service ${esc(n)}">${esc(n)}</button></td>`
      + `<td>${esc(s.status?.url)}</td><td>${esc(s.status?.latestCreatedRevisionName)}</td><td>${esc(age(s.metadata.creationTimestamp))}</td>`
      + `<td>${esc(conditionsValue(s))}</td><td class="${ready?.status === 'True' ? 'ok' : 'bad'}">${esc(ready?.status ?? 'Unknown')}</td><td>${esc(ready?.reason)}</td>`
      + `<td data-instances="${esc(n)}">${instancesOf((l) => l[SVC_LABEL] === n)}</td></tr>`;
  }).join('');
  renderDetail();
  renderEventing();
  if (focused && document.activeElement?.id !== focused) $(focused)?.focus();
}

/** The Brokers and Triggers tables: kn's columns (knative/client pkg/commands/{broker,trigger}) and the event counts. */
function renderEventing() {
  const readyCells = (o) => {
    const ready = cond(o, 'Ready');
    return `<td class="${ready?.status === 'True' ? 'ok' : 'bad'}">${esc(ready?.status ?? 'Unknown')}</td><td>${esc(ready?.reason)}</td>`;
  };
  const brokers = [...state.brokers.keys()].sort();
  $('broker-count').textContent = `(${brokers.length})`;
  $('brokers').tBodies[0].innerHTML = brokers.map((n) => {
    const b = state.brokers.get(n);
    const c = state.eventing.brokers.get(n);
    return `<tr data-broker="${esc(n)}"><td>${esc(n)}</td><td>${esc(b.status?.address?.url)}</td><td>${esc(age(b.metadata.creationTimestamp))}</td>`
      + `<td>${esc(conditionsValue(b))}</td>${readyCells(b)}<td data-accepted="${esc(n)}">${c?.accepted ?? 0}</td><td>${c?.refused ?? 0}</td></tr>`;
  }).join('');
  const triggers = [...state.triggers.keys()].sort();
  $('trigger-count').textContent = `(${triggers.length})`;
  $('triggers').tBodies[0].innerHTML = triggers.map((n) => {
    const t = state.triggers.get(n);
    const c = state.eventing.triggers.get(n);
    return `<tr data-trigger="${esc(n)}"><td>${esc(n)}</td><td>${esc(t.spec?.broker)}</td><td>${esc(t.status?.subscriberUri)}</td><td>${esc(age(t.metadata.creationTimestamp))}</td>`
      + `${readyCells(t)}<td data-delivered="${esc(n)}">${c?.delivered ?? 0}</td><td>${c?.failed ?? 0}</td></tr>`;
  }).join('');
}

function renderDetail() {
  const s = state.services.get(state.selected);
  $('detail').hidden = !s;
  if (!s) return;
  $('detail-title').textContent = `Service ${s.metadata.name}`;
  // The update form starts from the service's spec once it is known (after a create, when its first event lands).
  if ($('update-form').dataset.for !== s.metadata.name) {
    const c = s.spec?.template?.spec?.containers?.[0];
    $('update-image').value = c?.image ?? '';
    $('update-env').value = (c?.env ?? []).filter((e) => e.value !== undefined).map((e) => `${e.name}=${e.value}`).join('\n');
    $('update-form').dataset.for = s.metadata.name;
  }
  $('conditions').tBodies[0].innerHTML = (s.status?.conditions ?? []).map((c) =>
    `<tr><td>${esc(c.type)}</td><td>${esc(c.status)}</td><td>${esc(c.reason)}</td><td>${esc(c.message)}</td></tr>`).join('');
  const traffic = s.status?.traffic ?? [];
  const revs = serviceRevisions(s.metadata.name);
  let sum = 0;
  const html = revs.map((r) => {
    const n = r.metadata.name;
    const mine = traffic.filter((t) => t.revisionName === n);
    const actual = mine.reduce((a, t) => a + (t.percent ?? 0), 0);
    const shown = state.draft.get(n) ?? String(actual);
    sum += Number(shown) || 0;
    const tags = mine.filter((t) => t.tag).map((t) =>
      `${esc(t.tag)} <button type="button" class="link" data-untag="${esc(t.tag)}" aria-label="Untag ${esc(t.tag)}">untag</button>`).join(' ');
    const urls = mine.filter((t) => t.url).map((t) => esc(t.url)).join('<br>');
    const ready = cond(r, 'Ready');
    return `<tr><td>${esc(n)}</td><td><input class="pct" id="pct-${esc(n)}" data-pct="${esc(n)}" type="number" min="0" max="100" step="1" value="${esc(shown)}" aria-label="Traffic percent for ${esc(n)}"> <small>now ${actual}%</small></td>`
      + `<td>${tags}</td><td>${urls}</td><td data-rev-instances="${esc(n)}">${instancesOf((l) => l[REV_LABEL] === n)}</td><td>${esc(ready?.status ?? 'Unknown')}</td>`
      + metricCells(n)
      + `<td><input class="tag" id="tag-${esc(n)}" data-tag-input="${esc(n)}" value="${esc(state.tagDraft.get(n) ?? '')}" aria-label="New tag for ${esc(n)}"> <button type="button" data-tag="${esc(n)}" aria-label="Tag ${esc(n)}">Tag</button></td></tr>`;
  }).join('');
  // Not while the user types in one of its inputs: the rows are redrawn once focus leaves it.
  const body = $('revisions').tBodies[0];
  const editing = document.activeElement?.tagName === 'INPUT' && body.contains(document.activeElement);
  if (body.dataset.html !== html && !editing) {
    body.innerHTML = html;
    body.dataset.html = html;
  }
  $('traffic-sum').textContent = `sum: ${sum}%`;
  const sel = $('log-revision');
  const want = revs.map((r) => r.metadata.name).join('\n');
  if (sel.dataset.list !== want) {
    const keep = sel.value;
    sel.innerHTML = revs.map((r) => `<option>${esc(r.metadata.name)}</option>`).join('');
    sel.dataset.list = want;
    if (revs.some((r) => r.metadata.name === keep)) sel.value = keep;
  }
  const own = (name) => name === s.metadata.name || state.revisions.get(name)?.metadata.labels?.[SVC_LABEL] === s.metadata.name;
  const evs = [...state.events.values()].filter((e) => own(e.involvedObject?.name ?? e.regarding?.name))
    .sort((a, b) => Date.parse(b.lastTimestamp ?? b.eventTime ?? b.metadata.creationTimestamp) - Date.parse(a.lastTimestamp ?? a.eventTime ?? a.metadata.creationTimestamp));
  $('events').tBodies[0].innerHTML = evs.map((e) => {
    const o = e.involvedObject ?? e.regarding ?? {};
    return `<tr><td>${esc(age(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp))}</td><td>${esc(e.type)}</td><td>${esc(e.reason)}</td><td>${esc(`${o.kind ?? ''}/${o.name ?? ''}`)}</td><td>${esc(e.message ?? e.note)}</td></tr>`;
  }).join('');
}

function metricCells(rev) {
  const m = state.metrics.get(rev);
  if (!m) return '<td>0</td><td></td><td>0</td><td>0</td>';
  const cold = m.now.coldStarts ? ` (mean ${Math.round(m.now.coldStartSumMs / m.now.coldStarts)} ms)` : '';
  return `<td>${m.rate.toFixed(1)}</td><td>${m.latency === undefined ? '' : `${Math.round(m.latency)} ms`}</td>`
    + `<td data-requests="${esc(rev)}">${m.now.requests}</td><td data-cold-starts="${esc(rev)}">${m.now.coldStarts}${esc(cold)}</td>`;
}

/** Reads the per-revision counters every 2 s; rates are the difference between two reads. */
async function pollMetrics() {
  const signal = state.abort.signal;
  while (!signal.aborted) {
    try {
      const body = await api('GET', `/dashboard/api/namespaces/${encodeURIComponent(state.ns)}/metrics`);
      const at = performance.now();
      state.eventing.brokers = new Map((body.eventing?.brokers ?? []).map((b) => [b.broker, b]));
      state.eventing.triggers = new Map((body.eventing?.triggers ?? []).map((t) => [t.trigger, t]));
      // Brokers and triggers are listed with the counters rather than watched: a browser keeps at most six
      // HTTP/1.1 connections per host, and the four watches above hold four of them.
      const ns = encodeURIComponent(state.ns);
      for (const [kind, map] of [['brokers', state.brokers], ['triggers', state.triggers]]) {
        const list = await api('GET', `${EVENTING}/namespaces/${ns}/${kind}`);
        map.clear();
        for (const o of list.items ?? []) map.set(o.metadata.name, o);
      }
      for (const now of body.items ?? []) {
        const before = state.metrics.get(now.revision);
        const dt = before ? (at - before.at) / 1000 : 0;
        const dn = before ? now.requests - before.now.requests : 0;
        state.metrics.set(now.revision, {
          now, at,
          rate: dt > 0 ? Math.max(0, dn) / dt : 0,
          latency: dn > 0 ? (now.latencySumMs - before.now.latencySumMs) / dn : before?.latency,
        });
      }
      schedule();
    } catch (err) {
      if (signal.aborted) return;
      if (err.status === 401) { logout('The API refused the token (401 Unauthorized).'); return; }
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function select(name) {
  if (state.selected !== name) {
    state.draft.clear();
    state.tagDraft.clear();
    stopLog();
    $('log').textContent = '';
    $('log-revision').dataset.list = '';
  }
  state.selected = name;
  $('update-form').dataset.for = '';
  render();
  $('detail').scrollIntoView?.({ block: 'nearest' });
}

/** NAME=value lines, as kn's --env takes them. */
function parseEnv(text) {
  const env = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`expecting the value format in value1=value2, given ${line}`);
    env.push({ name: line.slice(0, eq), value: line.slice(eq + 1) });
  }
  return env;
}

/** An image reference, or a directory path that becomes a file:// image (absolute: the page has no working directory). */
function imageOf(text) {
  const v = text.trim();
  if (v.startsWith('/')) return `file://${v}`;
  if (v.startsWith('./') || v.startsWith('../') || v === '.') throw new Error(`directory path must be absolute in the dashboard: ${v}`);
  return v;
}

const servicePath = (name) => `${SERVING}/namespaces/${encodeURIComponent(state.ns)}/services${name ? `/${encodeURIComponent(name)}` : ''}`;

/**
 * Reads the service, changes it and writes it back with PUT, as kn's update does: a conflict (the controllers
 * wrote its status meanwhile) is retried up to 3 times (knative/client pkg/serving/v1/client.go MaxUpdateRetries).
 */
async function updateService(name, change) {
  for (let attempt = 0; ; attempt++) {
    const svc = await api('GET', servicePath(name));
    change(svc);
    try {
      return await api('PUT', servicePath(name), svc);
    } catch (err) {
      if (err.status !== 409 || attempt >= 3) throw err;
    }
  }
}

async function act(fn) {
  showError(undefined);
  try { await fn(); } catch (err) { showError(err); }
}

/** kn's check of a traffic split given for every revision (knative/client pkg/kn/traffic compute.go verifyInput). */
function checkSplit(entries) {
  let sum = 0;
  for (const [, v] of entries) {
    const n = Number(v);
    if (!/^\d+$/.test(String(v).trim())) throw new Error(`error converting given ${v} to integer value for traffic distribution`);
    if (n < 0 || n > 100) throw new Error(`invalid value for traffic percent ${n}, expected 0 <= percent <= 100`);
    sum += n;
  }
  if (sum > 100) throw new Error(`given traffic percents sum to ${sum}, want <=100`);
  if (sum < 100) throw new Error(`unable to allocate the remaining traffic: ${100 - sum}%. Reason: incorrect number of revisions specified. Only 1 revision should be missing`);
}

function applyTraffic() {
  return act(async () => {
    const name = state.selected;
    const entries = [...document.querySelectorAll('input[data-pct]')].map((i) => [i.dataset.pct, i.value]);
    checkSplit(entries);
    await updateService(name, (svc) => {
      const old = svc.spec.traffic ?? [];
      const tagsOf = (rev) => old.filter((t) => t.tag && (t.revisionName === rev || (t.latestRevision && svc.status?.latestReadyRevisionName === rev))).map((t) => t.tag);
      const traffic = [];
      for (const [rev, v] of entries) {
        const pct = Number(v);
        const tags = tagsOf(rev);
        if (pct > 0 || tags.length === 0) {
          if (pct > 0) traffic.push({ revisionName: rev, percent: pct, ...(tags[0] ? { tag: tags[0] } : {}) });
          for (const tag of pct > 0 ? tags.slice(1) : []) traffic.push({ revisionName: rev, percent: 0, tag });
        } else for (const tag of tags) traffic.push({ revisionName: rev, percent: 0, tag });
      }
      svc.spec.traffic = traffic;
    });
    state.draft.clear();
  });
}

function tag(rev) {
  return act(async () => {
    const value = $(`tag-${rev}`).value.trim();
    if (!value) throw new Error('type a tag first');
    await updateService(state.selected, (svc) => {
      const traffic = svc.spec.traffic ?? [];
      if (traffic.some((t) => t.tag === value)) throw new Error(`refusing to overwrite existing tag in service, add flag '--untag ${value}' in command to untag it`);
      const free = traffic.find((t) => t.revisionName === rev && !t.tag);
      if (free) free.tag = value;
      else traffic.push({ revisionName: rev, percent: 0, tag: value });
      svc.spec.traffic = traffic;
    });
    state.tagDraft.delete(rev);
    schedule();
  });
}

function untag(value) {
  return act(() => updateService(state.selected, (svc) => {
    const traffic = [];
    for (const t of svc.spec.traffic ?? []) {
      if (t.tag !== value) traffic.push(t);
      else if ((t.percent ?? 0) > 0) { delete t.tag; traffic.push(t); }
    }
    svc.spec.traffic = traffic;
  }));
}

function stopLog() { state.logAbort?.abort(); state.logAbort = undefined; }

async function tailLog() {
  stopLog();
  const rev = $('log-revision').value;
  const out = $('log');
  out.textContent = '';
  if (!rev) return;
  const ctl = new AbortController();
  state.logAbort = ctl;
  try {
    const res = await fetch(`${SERVING}/namespaces/${encodeURIComponent(state.ns)}/revisions/${encodeURIComponent(rev)}/log?follow=true&tailLines=200`, {
      headers: { authorization: `Bearer ${state.token}` }, signal: ctl.signal,
    });
    if (!res.ok) { const j = await res.json().catch(() => ({})); throw new Error(j.message ?? `${res.status}`); }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out.textContent += value;
      if (out.textContent.length > 200_000) out.textContent = out.textContent.slice(-100_000);
      out.scrollTop = out.scrollHeight;
    }
  } catch (err) {
    if (!ctl.signal.aborted) showError(err);
  }
}

function start() {
  $('login').hidden = true;
  $('app').hidden = false;
  $('who').innerHTML = `namespace ${esc(state.ns)} <button type="button" id="logout">Log out</button>`;
  $('logout').addEventListener('click', () => logout(''));
  state.abort = new AbortController();
  const ns = encodeURIComponent(state.ns);
  // The services table first; the lists that fill in its details once it is drawn (one server, less contention).
  follow(`${SERVING}/namespaces/${ns}/services`, state.services, () => {
    follow(`${SERVING}/namespaces/${ns}/revisions`, state.revisions);
    follow(`/api/v1/namespaces/${ns}/pods`, state.pods);
    follow(`/api/v1/namespaces/${ns}/events`, state.events);
    pollMetrics();
  });
}

function logout(message) {
  state.abort.abort();
  stopLog();
  sessionStorage.removeItem('knit-token');
  state.token = '';
  for (const m of [state.services, state.revisions, state.pods, state.events, state.metrics, state.brokers, state.triggers, state.eventing.brokers, state.eventing.triggers]) m.clear();
  state.selected = '';
  $('app').hidden = true;
  $('login').hidden = false;
  $('who').textContent = '';
  $('login-error').textContent = message;
  $('token').focus();
}

function wire() {
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    state.token = $('token').value.trim();
    state.ns = $('login-ns').value.trim() || 'default';
    state.abort = new AbortController();
    try {
      await api('GET', `${servicePath()}?limit=1`);
    } catch (err) {
      $('login-error').textContent = err.status === 401 ? 'The API refused the token (401 Unauthorized).' : String(err.message);
      return;
    }
    sessionStorage.setItem('knit-token', state.token);
    sessionStorage.setItem('knit-ns', state.ns);
    $('token').value = '';
    $('login-error').textContent = '';
    start();
  });
  $('create-form').addEventListener('submit', (e) => {
    e.preventDefault();
    act(async () => {
      const name = $('create-name').value.trim();
      const container = { image: imageOf($('create-image').value) };
      const env = parseEnv($('create-env').value);
      if (env.length) container.env = env;
      await api('POST', servicePath(), {
        apiVersion: 'serving.knative.dev/v1', kind: 'Service',
        metadata: { name, namespace: state.ns },
        spec: { template: { spec: { containers: [container] } } },
      });
      $('create-form').reset();
      select(name);
    });
  });
  $('update-form').addEventListener('submit', (e) => {
    e.preventDefault();
    act(async () => {
      const image = imageOf($('update-image').value);
      const env = parseEnv($('update-env').value);
      await updateService(state.selected, (svc) => {
        const c = svc.spec.template.spec.containers[0];
        c.image = image;
        const refs = (c.env ?? []).filter((v) => v.value === undefined);
        c.env = [...env, ...refs.filter((r) => !env.some((v) => v.name === r.name))];
        if (c.env.length === 0) delete c.env;
        if (svc.spec.template.metadata?.name) delete svc.spec.template.metadata.name;
      });
    });
  });
  $('revisions').addEventListener('focusout', () => schedule());
  $('traffic-form').addEventListener('submit', (e) => { e.preventDefault(); applyTraffic(); });
  $('traffic-form').addEventListener('input', (e) => {
    const n = e.target.dataset?.pct;
    if (n) { state.draft.set(n, e.target.value); schedule(); }
    const t = e.target.dataset?.tagInput;
    if (t) state.tagDraft.set(t, e.target.value);
  });
  $('traffic-form').addEventListener('click', (e) => {
    const b = e.target.closest('button');
    if (b?.dataset.tag) tag(b.dataset.tag);
    else if (b?.dataset.untag) untag(b.dataset.untag);
  });
  $('services').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-select]');
    if (b) select(b.dataset.select);
  });
  $('log-start').addEventListener('click', () => { tailLog(); });
  $('delete').addEventListener('click', () => {
    const name = state.selected;
    if (!window.confirm(`Delete service ${name}?`)) return;
    act(async () => {
      await api('DELETE', servicePath(name));
      stopLog();
      state.selected = '';
      render();
    });
  });
  setInterval(schedule, 10_000); // the AGE column
}

wire();
if (state.token) start();
else { $('login').hidden = false; $('login-ns').value = state.ns; }
