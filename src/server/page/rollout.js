// The rollout page's script (no framework, no build step: the server sends this file as it is).
// It asks the admin-only API with the token kept in this tab's session storage, every few
// seconds, and draws what it says. Everything an agent or a spec sent (names, paths, messages)
// is set with textContent, never as HTML; the workflow pictures are the server's own SVG, parsed
// as XML and stripped of anything active before they are shown.
'use strict';

const TOKEN_KEY = 'custody.adminToken';
const POLL_MS = 3000;
const MAX_DENIALS = 50;
const STATES = [
  ['in-sync', 'in sync'],
  ['behind', 'behind'],
  ['error', 'error'],
  ['never', 'never reported'],
];
const STATE_WORDS = Object.fromEntries(STATES);

const $ = (id) => document.getElementById(id);
const short = (r) => (r ? r.slice(0, 12) : '–');

/** An element with text (never HTML) and classes. */
function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}

let view;
let pictures;
let timer;
const closed = new Set();

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** A token in the fragment (`#token=…`, what `custody demo` prints) is taken once and removed from the address bar. */
function takeFragmentToken() {
  const m = /^#token=([\x21-\x7e]+)$/.exec(location.hash);
  if (!m) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
  history.replaceState(null, '', location.pathname + location.search);
}

function showLogin(message) {
  $('main').hidden = true;
  $('login').hidden = false;
  $('status').textContent = message || '';
}

async function api(path) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token()}` }, cache: 'no-store', credentials: 'omit' });
  if (res.status === 401 || res.status === 403) {
    const err = new Error('the admin token was refused');
    err.auth = true;
    throw err;
  }
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

async function poll() {
  clearTimeout(timer);
  if (!token()) return showLogin('');
  try {
    view = await api('/api/rollout');
    const commit = view.head && view.head.commit;
    if (commit && (!pictures || pictures.commit !== commit)) pictures = await api('/api/rollout/pictures');
    $('login').hidden = true;
    $('main').hidden = false;
    $('status').textContent = `Updated ${new Date().toLocaleTimeString()}; refreshes every ${POLL_MS / 1000} s.`;
    render();
  } catch (err) {
    if (err.auth) {
      sessionStorage.removeItem(TOKEN_KEY);
      return showLogin('The server refused this token: paste the admin token again.');
    }
    $('status').textContent = `Could not refresh (${err.message}); trying again.`;
  }
  timer = setTimeout(poll, POLL_MS);
}

/** One agent's state: error (a build failure or a sidecar error), never reported, in sync, or behind. */
function stateOf(a) {
  if (a.buildError || a.sidecars.some((s) => s.error)) return 'error';
  if (a.sidecars.length === 0) return 'never';
  return a.inSync ? 'in-sync' : 'behind';
}

function problemOf(a) {
  if (a.buildError) return `build failed at ${short(a.buildError.revision)}: ${a.buildError.message}`;
  const s = a.sidecars.find((x) => x.error);
  if (s) return `sidecar ${s.instance || ''}: ${s.error.message || s.error.code || 'error'}`;
  if (a.moreSidecars)
    return `more than ${a.moreSidecars.kept} sidecars reported within the hour: the ${a.moreSidecars.kept} heard from most recently are shown`;
  return '';
}

/** Every agent of the view with its organisation and cluster from the specs. */
function rows() {
  const specs = new Map();
  for (const w of (pictures && pictures.workflows) || []) for (const a of w.agents) specs.set(`${w.name}/${a.name}`, a);
  return view.agents.map((a) => {
    const spec = specs.get(`${a.workflow}/${a.agent}`);
    return {
      ...a,
      state: stateOf(a),
      organisation: spec ? spec.organisation : '(not in the specs)',
      clusterName: spec ? spec.cluster : a.cluster || '–',
      node: spec && spec.node,
    };
  });
}

function matches(r, text, state) {
  if (state && r.state !== state) return false;
  if (!text) return true;
  return [r.workflow, r.agent, r.organisation, r.clusterName, STATE_WORDS[r.state]].some((s) => String(s).toLowerCase().includes(text));
}

function groupBy(list, key) {
  const out = new Map();
  for (const x of list) {
    const k = key(x);
    if (!out.has(k)) out.set(k, []);
    out.get(k).push(x);
  }
  return [...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function render() {
  const all = rows();
  const text = $('filter').value.trim().toLowerCase();
  const state = $('state').value;
  const shown = all.filter((r) => matches(r, text, state));

  const src = $('source');
  src.textContent = `${view.repository}${view.branch ? ` (${view.branch})` : ''}: serving ${short(view.head && view.head.commit)}`;
  if (view.repositoryError) src.append(el('span', ` – repository error: ${view.repositoryError.message}`, 'problem'));

  const totals = $('totals');
  totals.replaceChildren(el('span', `${all.length} agents:`));
  for (const [s, words] of STATES) totals.append(el('span', `${all.filter((r) => r.state === s).length} ${words}`, `chip state-${s}`));
  $('shown').textContent = shown.length === all.length ? '' : `${shown.length} of ${all.length} shown`;

  renderDenials(all);
  renderWorkflows(all, shown);
}

function renderDenials(all) {
  const denials = all
    .flatMap((r) => r.recentDenials.map((d) => ({ ...d, at: `${r.workflow}/${r.agent}` })))
    .sort((a, b) => ((b.timestamp || '') < (a.timestamp || '') ? -1 : (b.timestamp || '') > (a.timestamp || '') ? 1 : 0))
    .slice(0, MAX_DENIALS);
  const table = $('denials').querySelector('table');
  const body = table.querySelector('tbody');
  body.replaceChildren(
    ...denials.map((d) => {
      const tr = el('tr', undefined, 'denial');
      tr.append(
        el('td', d.timestamp || '–'),
        el('td', d.at),
        el('td', `${d.method || '?'} ${d.path || '?'}`),
        el('td', d.source || 'no identity'),
        el('td', short(d.revision)),
      );
      return tr;
    }),
  );
  table.hidden = denials.length === 0;
  $('no-denials').hidden = denials.length !== 0;
}

function renderWorkflows(all, shown) {
  const visible = new Set(shown);
  const byName = new Map(((pictures && pictures.workflows) || []).map((w) => [w.name, w]));
  const out = [];
  for (const [workflow, agents] of groupBy(all, (r) => r.workflow)) {
    const here = agents.filter((r) => visible.has(r));
    if (here.length === 0) continue;
    const details = el('details', undefined, 'workflow');
    details.open = !closed.has(workflow);
    details.addEventListener('toggle', () => (details.open ? closed.delete(workflow) : closed.add(workflow)));
    const summary = el('summary');
    summary.append(el('span', workflow, 'name'));
    for (const [s, words] of STATES) {
      const n = agents.filter((r) => r.state === s).length;
      if (n) summary.append(el('span', `${n} ${words}`, `chip state-${s}`));
    }
    details.append(summary);
    const spec = byName.get(workflow);
    if (spec && spec.svg) details.append(picture(spec.svg, agents));
    else if (spec) details.append(el('p', `${spec.agents.length} agents: too many to draw; every one is listed below.`, 'note'));
    for (const [organisation, inOrg] of groupBy(here, (r) => r.organisation)) {
      const org = el('section', undefined, 'organisation');
      org.append(el('h3', organisation));
      for (const [cluster, inCluster] of groupBy(inOrg, (r) => r.clusterName)) {
        org.append(el('h4', `cluster ${cluster}`));
        org.append(agentTable(inCluster));
      }
      details.append(org);
    }
    out.push(details);
  }
  if (out.length === 0) out.push(el('p', all.length ? 'No agent matches the filter.' : 'The server serves no bundle yet.', 'note'));
  $('workflows').replaceChildren(...out);
}

function agentTable(list) {
  const table = el('table', undefined, 'agents');
  const head = el('tr');
  for (const h of ['agent', 'state', 'served', 'enforced', 'last report', 'denials', 'problem']) head.append(el('th', h));
  table.append(el('thead'));
  table.firstChild.append(head);
  const body = el('tbody');
  for (const r of list.sort((a, b) => (a.agent < b.agent ? -1 : 1))) {
    const tr = el('tr', undefined, `agent state-${r.state}`);
    tr.dataset.agent = `${r.workflow}/${r.agent}`;
    tr.dataset.state = r.state;
    const enforced = [...new Set(r.sidecars.map((s) => short(s.activeRevision)))].join(', ') || '–';
    const last =
      r.sidecars
        .map((s) => s.receivedAt || '')
        .sort()
        .pop() || '–';
    tr.append(
      el('td', r.agent, 'agent-name'),
      el('td', STATE_WORDS[r.state], 'state'),
      el('td', short(r.served && r.served.revision)),
      el('td', enforced),
      el('td', last),
      el('td', r.recentDenials.length),
      el('td', problemOf(r), 'problem'),
    );
    body.append(tr);
  }
  table.append(body);
  return table;
}

/** The server's SVG of the workflow, each agent's box coloured by its state. */
function picture(svgText, agents) {
  const doc = new DOMParser().parseFromString(svgText, 'image/svg+xml');
  const svg = doc.documentElement;
  const box = el('div', undefined, 'picture');
  if (svg.nodeName !== 'svg') return box;
  // Nothing active: the server's SVG has none of these, and the page never shows one.
  for (const bad of svg.querySelectorAll('script, foreignObject, a, use, image, iframe')) bad.remove();
  for (const e of [svg, ...svg.querySelectorAll('*')]) {
    for (const attr of [...e.attributes]) if (/^on|href$/i.test(attr.name)) e.removeAttribute(attr.name);
  }
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  const shown = document.importNode(svg, true);
  const state = new Map(agents.filter((r) => r.node).map((r) => [r.node, r.state]));
  for (const g of shown.querySelectorAll('g.node')) {
    const title = g.querySelector('title');
    const s = title && state.get(title.textContent);
    if (s) g.classList.add(`state-${s}`);
  }
  box.append(shown);
  return box;
}

document.addEventListener('DOMContentLoaded', () => {
  takeFragmentToken();
  // `?filter=…&state=…` opens the page filtered (a link one can share; the token is never in it).
  const query = new URLSearchParams(location.search);
  $('filter').value = query.get('filter') || '';
  if (STATE_WORDS[query.get('state')]) $('state').value = query.get('state');
  $('login').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
    $('token').value = '';
    poll();
  });
  $('filter').addEventListener('input', () => view && render());
  $('state').addEventListener('change', () => view && render());
  poll();
});
