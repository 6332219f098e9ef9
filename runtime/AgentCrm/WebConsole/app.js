// The AgentCrm web console: briefs for CSMs, the veto queue for reviewers, over the HTTP API with the user's credential.
// Every value from the server is put on the page as text (textContent), never as markup: a brief quotes customer data.
'use strict';

const store = window.sessionStorage;
const credentialKey = 'agentcrm.credential';
const $ = (id) => document.getElementById(id);

const state = {
  canReview: false,
  briefsCursor: null,
  reviewsCursor: null,
  view: 'briefs',
  live: null,
  current: null,
};

// ---- HTTP ----------------------------------------------------------------------------------------------------------

function authHeaders() {
  const credential = store.getItem(credentialKey) || '';
  // A JWT has three dot-separated parts; anything else is an API key.
  return credential.split('.').length === 3
    ? { Authorization: 'Bearer ' + credential }
    : { 'X-Api-Key': credential };
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// The ProblemDetails of a refused request as one line: its detail, then each field at fault.
async function problemText(response) {
  try {
    const problem = await response.json();
    const parts = [problem.detail || problem.title || ('HTTP ' + response.status)];
    for (const [field, messages] of Object.entries(problem.errors || {})) {
      parts.push(field + ': ' + [].concat(messages).join(' '));
    }
    return parts.join(' — ');
  } catch {
    return 'HTTP ' + response.status;
  }
}

async function api(method, path, body) {
  const init = { method, headers: { ...authHeaders(), Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (!response.ok) {
    throw new ApiError(response.status, await problemText(response));
  }
  return response.status === 204 ? null : response.json();
}

// ---- DOM helpers ---------------------------------------------------------------------------------------------------

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (name === 'className') node.className = value;
    else if (name === 'onclick') node.addEventListener('click', value);
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(child == null ? '' : String(child)));
  }
  return node;
}

function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return isNaN(d) ? String(iso) : d.toISOString().slice(0, 16).replace('T', ' ');
}

function show(id, visible) {
  $(id).hidden = !visible;
}

function setError(id, error) {
  $(id).textContent = error ? (error.message || String(error)) : '';
}

function valueText(value) {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

// ---- sign in -------------------------------------------------------------------------------------------------------

async function signIn(credential) {
  store.setItem(credentialKey, credential);
  try {
    await api('GET', '/v1/briefs?limit=1');
  } catch (e) {
    store.removeItem(credentialKey);
    if (e.status === 401) throw new Error('This credential is not known, or it has expired or been revoked.');
    if (e.status === 403) throw new Error('This credential may not read briefs: the console is for CSMs, reviewers and ops.');
    throw e;
  }
  try {
    await api('GET', '/v1/reviews?limit=1');
    state.canReview = true;
  } catch (e) {
    if (e.status !== 403) throw e;
    state.canReview = false;
  }
}

function signOut() {
  stopLive();
  store.removeItem(credentialKey);
  state.canReview = false;
  $('credential').value = '';
  show('signin', true);
  for (const id of ['tabs', 'signout', 'briefs', 'reviews', 'detail']) show(id, false);
  $('who').textContent = '';
}

async function enter() {
  show('signin', false);
  show('tabs', true);
  show('signout', true);
  show('tab-reviews', state.canReview);
  $('who').textContent = state.canReview ? 'signed in · may review' : 'signed in';
  await showView('briefs');
}

// ---- lists ---------------------------------------------------------------------------------------------------------

function briefRow(brief) {
  const row = el('tr', { 'data-brief-id': brief.id, tabindex: '0', className: 'brief' },
    el('td', null, when(brief.createdAt)),
    el('td', null, brief.customerName ? brief.customerName + ' (' + brief.customerId + ')' : brief.customerId),
    el('td', null, brief.scenario),
    el('td', null, brief.headline),
    el('td', null, Number(brief.score).toFixed(2) + ' / ' + Number(brief.threshold).toFixed(2)),
    el('td', { className: 'status ' + brief.status }, brief.status));
  row.addEventListener('click', () => openBrief(brief.id));
  row.addEventListener('keydown', (e) => { if (e.key === 'Enter') openBrief(brief.id); });
  return row;
}

function briefsQuery() {
  const query = new URLSearchParams({ limit: '50' });
  const status = $('filter-status').value;
  const customer = $('filter-customer').value.trim();
  const agent = $('filter-agent').value.trim();
  if (status) query.set('status', status);
  if (customer) query.set('customerId', customer);
  if (agent) query.set('agentId', agent);
  return query;
}

async function loadBriefs(more) {
  setError('briefs-error', null);
  const query = briefsQuery();
  if (more && state.briefsCursor) query.set('cursor', state.briefsCursor);
  try {
    const page = await api('GET', '/v1/briefs?' + query);
    const body = $('briefs-table').tBodies[0];
    if (!more) body.replaceChildren();
    for (const brief of page.items) body.append(briefRow(brief));
    state.briefsCursor = page.nextCursor;
    show('briefs-more', !!page.nextCursor);
    show('briefs-empty', body.rows.length === 0);
  } catch (e) {
    setError('briefs-error', e);
  }
}

async function loadReviews(more) {
  setError('reviews-error', null);
  const query = new URLSearchParams({ limit: '50' });
  if (more && state.reviewsCursor) query.set('cursor', state.reviewsCursor);
  try {
    const page = await api('GET', '/v1/reviews?' + query);
    const body = $('reviews-table').tBodies[0];
    if (!more) body.replaceChildren();
    for (const brief of page.items) body.append(briefRow(brief));
    state.reviewsCursor = page.nextCursor;
    show('reviews-more', !!page.nextCursor);
    show('reviews-empty', body.rows.length === 0);
  } catch (e) {
    setError('reviews-error', e);
  }
}

async function showView(view) {
  state.view = view;
  show('detail', false);
  show('briefs', view === 'briefs');
  show('reviews', view === 'reviews');
  $('tab-briefs').classList.toggle('active', view === 'briefs');
  $('tab-reviews').classList.toggle('active', view === 'reviews');
  if (view === 'briefs') await loadBriefs(false);
  else await loadReviews(false);
}

// ---- one brief -----------------------------------------------------------------------------------------------------

function meta(label, value) {
  return [el('dt', null, label), el('dd', null, value)];
}

function renderBrief(brief) {
  state.current = brief;
  $('detail-headline').textContent = brief.headline;
  const rows = [
    ...meta('Customer', brief.customerName ? brief.customerName + ' (' + brief.customerId + ')' : brief.customerId),
    ...meta('Status', brief.status + (brief.degraded ? ' · written by the template (the model failed)' : '')),
    ...meta('Agent', brief.agentId + '@' + brief.agentVersion + ' · ' + brief.scenario),
    ...meta('Score', Number(brief.score).toFixed(3) + ' (fires at ' + Number(brief.threshold).toFixed(3) + ')'),
    ...meta('Created', when(brief.createdAt) + ' UTC, as of ' + when(brief.asOf) + ' UTC'),
  ];
  if (brief.reviewUntil) rows.push(...meta('Veto window until', when(brief.reviewUntil) + ' UTC'));
  if (brief.review) {
    const r = brief.review;
    rows.push(...meta('Review', r.verdict + (r.reviewer ? ' by ' + r.reviewer : '') + ' at ' + when(r.at) + ' UTC' + (r.reason ? ': ' + r.reason : '')));
  }
  $('detail-meta').replaceChildren(...rows);
  $('detail-body').textContent = brief.body;
  $('detail-reasons').tBodies[0].replaceChildren(...(brief.reasons || []).map((r) =>
    el('tr', null, el('td', null, r.field), el('td', null, valueText(r.value)), el('td', null, Number(r.weight).toFixed(3)), el('td', null, r.explanation))));
  const citations = brief.citations || [];
  $('detail-citations').replaceChildren(...(citations.length === 0
    ? [el('li', null, 'None: no knowledge passage matched closely enough.')]
    : citations.map((c) => el('li', null, el('strong', null, c.title + ' § ' + c.section), ' — ' + c.snippet))));
  $('detail-evidence').hidden = true;
  $('detail-evidence').textContent = '';
  const reviewable = state.canReview && (brief.status === 'pendingReview' || brief.status === 'delivered');
  show('review-actions', reviewable);
  $('approve-button').hidden = brief.status !== 'pendingReview';
  $('veto-button').textContent = brief.status === 'delivered' ? 'Retract (veto)' : 'Veto';
  setError('review-error', null);
}

async function openBrief(id) {
  setError('detail-error', null);
  $('review-result').textContent = '';
  try {
    renderBrief(await api('GET', '/v1/briefs/' + encodeURIComponent(id)));
    show('briefs', false);
    show('reviews', false);
    show('detail', true);
  } catch (e) {
    setError(state.view === 'briefs' ? 'briefs-error' : 'reviews-error', e);
  }
}

async function loadEvidence() {
  setError('detail-error', null);
  try {
    const evidence = await api('GET', '/v1/briefs/' + encodeURIComponent(state.current.id) + '/evidence');
    const events = evidence.events || [];
    $('detail-evidence').textContent = events.length === 0
      ? 'No event can be shown: the customer\'s consent does not cover them for this agent\'s purpose.'
      : events.map((e) => JSON.stringify(e)).join('\n');
    $('detail-evidence').hidden = false;
  } catch (e) {
    setError('detail-error', e);
  }
}

async function review(verdict) {
  setError('review-error', null);
  $('review-result').textContent = '';
  const note = $('review-note').value.trim();
  let body;
  if (verdict === 'veto') {
    const reason = $('veto-reason').value.trim();
    if (!reason) {
      setError('review-error', new Error('A veto needs a reason: why the brief is wrong.'));
      return;
    }
    body = { reason };
    const label = $('veto-label').value;
    if (label) body.correctLabel = label === 'true';
  } else {
    body = {};
  }
  if (note) body.note = note;
  try {
    const updated = await api('POST', '/v1/briefs/' + encodeURIComponent(state.current.id) + '/' + verdict, body);
    renderBrief(updated);
    $('veto-reason').value = '';
    $('review-note').value = '';
    $('review-result').textContent = 'Recorded: the brief is now ' + updated.status + '.';
  } catch (e) {
    setError('review-error', e);
  }
}

// ---- live updates (server-sent events over fetch: EventSource cannot send the credential) ----------------------------

function upsertLive(brief) {
  const body = $('briefs-table').tBodies[0];
  const existing = [...body.rows].find((r) => r.dataset.briefId === brief.id);
  const status = $('filter-status').value;
  const customer = $('filter-customer').value.trim();
  const agent = $('filter-agent').value.trim();
  const matches = (!status || brief.status === status) && (!customer || brief.customerId === customer) && (!agent || brief.agentId === agent);
  const row = briefRow(brief);
  row.classList.add('fresh');
  if (existing) existing.replaceWith(row);
  else if (matches) body.prepend(row);
  show('briefs-empty', body.rows.length === 0);
}

async function startLive() {
  stopLive();
  const controller = new AbortController();
  state.live = controller;
  $('live-state').textContent = 'connecting…';
  try {
    const response = await fetch('/v1/briefs/stream', { headers: { ...authHeaders(), Accept: 'text/event-stream' }, signal: controller.signal });
    if (!response.ok) throw new ApiError(response.status, await problemText(response));
    $('live-state').textContent = 'live';
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
        const event = (block.split('\n').find((l) => l.startsWith('event:')) || 'event: message').slice(6).trim();
        if (event === 'brief' && data) upsertLive(JSON.parse(data));
      }
    }
    if (state.live === controller) $('live-state').textContent = 'the stream ended (credential changed?); untick and tick live to reconnect';
  } catch (e) {
    if (state.live === controller && e.name !== 'AbortError') $('live-state').textContent = 'not live: ' + (e.message || e);
  }
}

function stopLive() {
  if (state.live) state.live.abort();
  state.live = null;
  $('live-state').textContent = '';
}

// ---- wiring --------------------------------------------------------------------------------------------------------

document.addEventListener('DOMContentLoaded', () => {
  $('signin-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    setError('signin-error', null);
    try {
      await signIn($('credential').value.trim());
      await enter();
    } catch (error) {
      setError('signin-error', error);
    }
  });
  $('signout').addEventListener('click', signOut);
  $('tab-briefs').addEventListener('click', () => showView('briefs'));
  $('tab-reviews').addEventListener('click', () => showView('reviews'));
  $('filters').addEventListener('submit', (e) => { e.preventDefault(); loadBriefs(false); });
  $('briefs-more').addEventListener('click', () => loadBriefs(true));
  $('reviews-more').addEventListener('click', () => loadReviews(true));
  $('detail-close').addEventListener('click', () => showView(state.view));
  $('detail-evidence-load').addEventListener('click', loadEvidence);
  $('veto-form').addEventListener('submit', (e) => { e.preventDefault(); review('veto'); });
  $('approve-button').addEventListener('click', () => review('approve'));
  $('live').addEventListener('change', () => ($('live').checked ? startLive() : stopLive()));
  if (store.getItem(credentialKey)) {
    signIn(store.getItem(credentialKey)).then(enter).catch((error) => { signOut(); setError('signin-error', error); });
  }
});
