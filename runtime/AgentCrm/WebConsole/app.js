// The AgentCrm web console: briefs for CSMs, the veto queue for reviewers, over the HTTP API with the user's credential.
// Every value from the server is put on the page as text (textContent), never as markup: a brief quotes customer data.
'use strict';

const store = window.sessionStorage;
const credentialKey = 'agentcrm.credential';
const $ = (id) => document.getElementById(id);
// This page load: the addresses it added (history.pushState) carry it; Back returns to those only.
const loaded = String(Date.now()) + Math.random();

const state = {
  canReview: false,
  // CSMs (and admins) acknowledge briefs and give feedback on them.
  canRespond: false,
  briefsCursor: null,
  reviewsCursor: null,
  reviewsStatus: '',
  // The filters of the list shown (those of its first page, which More and live keep to), and which load is current.
  briefsFilter: {},
  briefsLoad: 0,
  reviewsLoad: 0,
  // Live briefs that arrived while a first page of briefs was loading: applied once it is in, not wiped by it.
  briefsHeld: null,
  // The brief being opened (its read not answered yet): { id, changed } — changed when the stream changed it meanwhile.
  opening: null,
  view: 'briefs',
  live: null,
  // The brief open (or last opened), and when it was read (a count of briefs read, as on each row: data-seen), so Back
  // does not put back an older copy of a row the list has since read again.
  current: null,
  currentSeen: 0,
  seen: 0,
  // One per sign-in: sign-out aborts its requests, and an answer that arrives for an older one is dropped.
  session: new AbortController(),
};

// Thrown for an answer to a request of a session that has ended: nothing shows it.
function staleError() {
  return new DOMException('The session this request was made in has ended.', 'AbortError');
}

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

function mediaType(response) {
  return (response.headers.get('Content-Type') || '').split(';')[0].trim().toLowerCase();
}

function isJson(response) {
  const type = mediaType(response);
  return type === 'application/json' || type === 'application/problem+json' || type.endsWith('+json');
}

// A body that is not the API's JSON: a proxy's or a login page's HTML, most often.
function notJsonText(response) {
  return 'The server answered with something that is not JSON (HTTP ' + response.status + ', ' + (mediaType(response) || 'no content type')
    + ') — a proxy in the way?';
}

// The ProblemDetails of a refused request as one line: its detail, then each field at fault (once: an error the detail
// already says is not said again). A refusal that is not ProblemDetails (a proxy's error page) is named by its status.
async function problemText(response) {
  if (response.status === 401) return 'Your credential is no longer accepted (it was revoked or has expired): sign out and sign in again.';
  const status = 'HTTP ' + response.status + (response.statusText ? ' ' + response.statusText : '');
  if (!isJson(response)) return status + (mediaType(response) === 'text/html' ? ' (from a proxy?)' : '');
  try {
    const problem = await response.json();
    const parts = [problem.detail || problem.title || status];
    for (const [field, messages] of Object.entries(problem.errors || {})) {
      const text = [].concat(messages).filter((m) => !parts.includes(m)).join(' ');
      if (text) parts.push(field + ': ' + text);
    }
    return parts.join(' — ');
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    return status;
  }
}

// fetch, with one clear line when the server cannot be reached (stopped, restarting, network down).
async function reach(path, init) {
  try {
    return await fetch(path, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'The server cannot be reached (stopped or restarting?): try again in a moment.');
  }
}

// A request of the signed-in session: aborted by sign-out, and its answer dropped (an AbortError) if the session ended
// before it came, so nothing of one user's is shown after they signed out.
async function api(method, path, body) {
  const session = state.session;
  const init = { method, headers: { ...authHeaders(), Accept: 'application/json' }, signal: session.signal };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await reach(path, init);
  if (!response.ok) {
    const text = await problemText(response);
    if (session !== state.session) throw staleError();
    throw new ApiError(response.status, text);
  }
  if (response.status === 204) return null;
  if (!isJson(response)) throw new ApiError(response.status, notJsonText(response));
  let value;
  try {
    value = await response.json();
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(response.status, notJsonText(response));
  }
  if (session !== state.session) throw staleError();
  return value;
}

// ---- DOM helpers ---------------------------------------------------------------------------------------------------

// Where a citation's passage is: its document and section. The text before a document's first heading is filed under the
// document's title, which named it twice ("Contract terms playbook § Contract terms playbook").
function citedPlace(c) {
  return c.section === c.title ? c.title + ' (opening text)' : c.title + ' § ' + c.section;
}

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

// A value someone typed (a customer's name, a note, a reason), isolated from the text around it: right-to-left script or
// an unclosed direction override (U+202E) in it cannot reorder what follows (an id, a date).
function bdi(value) {
  return el('bdi', null, value);
}

// The values someone typed that the server wrote into a brief's headline and body (the customer's name, the reasons — which
// quote field values —, the cited documents' titles and sections), longest first; only those that can change the direction
// of what is around them (a right-to-left letter, a direction mark, embedding, override or isolate): any other cannot reorder
// it, and a short one (a grade "e", an "é") would split the text at every match.
const directional = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|[\u{10800}-\u{10fff}\u{1e800}-\u{1efff}]/u;

function typedValues(brief) {
  const values = [brief.customerName];
  for (const r of brief.reasons || []) {
    const e = r.explanation || '';
    values.push(e, e.charAt(0).toUpperCase() + e.slice(1), typeof r.value === 'string' ? r.value : null);
  }
  for (const c of brief.citations || []) values.push(c.title, c.section);
  return [...new Set(values.filter((v) => typeof v === 'string' && directional.test(v)))].sort((a, b) => b.length - a.length);
}

// A headline or body the server wrote, with each typed value in it isolated (bdi): a direction override in a customer's
// name cannot reverse the score and threshold the template puts after it (qa42a #1). A shorter value inside one (the name a
// reason quotes) is isolated in it too.
function isolating(text, brief) {
  return isolatingValues(text, typedValues(brief));
}

function isolatingValues(text, values) {
  const parts = [];
  let from = 0;
  while (from < text.length) {
    let at = -1;
    let value = '';
    for (const v of values) {
      const i = text.indexOf(v, from);
      if (i >= 0 && (at < 0 || i < at)) {
        at = i;
        value = v;
      }
    }
    if (at < 0) break;
    if (at > from) parts.push(text.slice(from, at));
    parts.push(el('bdi', null, ...isolatingValues(value, values.filter((v) => v.length < value.length))));
    from = at + value.length;
  }
  if (from < text.length) parts.push(text.slice(from));
  return parts;
}

// "Name (id)", the name isolated; the id alone when there is no name.
function customer(brief) {
  return brief.customerName ? [bdi(brief.customerName), ' (', bdi(brief.customerId), ')'] : [bdi(brief.customerId)];
}

function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return isNaN(d) ? String(iso) : d.toISOString().slice(0, 16).replace('T', ' ');
}

function show(id, visible) {
  $(id).hidden = !visible;
}

// An AbortError is a request of an ended session (or a live stream stopped): it is no one's error to see.
function setError(id, error) {
  if (error && error.name === 'AbortError') return;
  $(id).textContent = error ? (error.message || String(error)) : '';
}

function valueText(value) {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

// ---- sign in -------------------------------------------------------------------------------------------------------

// Spaces and invisible characters a copy-paste brings along at either end (zero-width space, byte-order mark).
const pasted = /^[\s\u200b-\u200d\u2060\ufeff]+|[\s\u200b-\u200d\u2060\ufeff]+$/g;

// The credential as sent: an API key or a JWT is printable ASCII. Anything else (a smart quote, a zero-width space inside,
// the README's "acrm_…") could not go in a header at all, or would only be refused: said here, and never kept.
function checkedCredential(value) {
  const credential = value.replace(pasted, '');
  if (!credential) throw new Error('Paste the API key or bearer token you were given.');
  const bad = [...credential].find((c) => c < '!' || c > '~');
  if (bad !== undefined) {
    const code = 'U+' + bad.codePointAt(0).toString(16).toUpperCase().padStart(4, '0');
    const shown = /\p{L}|\p{N}|\p{P}|\p{S}/u.test(bad) ? '“' + bad + '”, ' + code : code;
    throw new Error('The key contains characters a key never has (' + shown + '): copy it again, without quotes or spaces.');
  }
  return credential;
}

async function signIn(value) {
  let credential;
  try {
    credential = checkedCredential(value);
  } catch (e) {
    store.removeItem(credentialKey);
    throw e;
  }
  // A new session: what an earlier one still had in flight is dropped.
  state.session.abort();
  state.session = new AbortController();
  store.setItem(credentialKey, credential);
  try {
    await api('GET', '/v1/briefs?limit=1');
  } catch (e) {
    // Only a refusal forgets the credential: a server that is restarting keeps it for the next try.
    if (e.status === 401 || e.status === 403) store.removeItem(credentialKey);
    if (e.status === 401) throw new Error('This credential is not known, or it has expired or been revoked.');
    if (e.status === 403) throw new Error('This credential may not read briefs: the console is for CSMs, reviewers and ops.');
    throw e;
  }
  const me = await api('GET', '/v1/me');
  state.me = me;
  state.canReview = me.role === 'reviewer' || me.role === 'admin';
  state.canRespond = me.role === 'csm' || me.role === 'admin';
}

// Forgets the credential and everything it showed or was typed under it: requests still in flight are aborted (their
// answers dropped), the lists and the brief are emptied, and filters and unsent drafts (a veto reason, a note) are reset,
// so the next person to sign in on this tab starts from nothing.
function signOut() {
  stopLive();
  state.session.abort();
  state.session = new AbortController();
  store.removeItem(credentialKey);
  state.canReview = false;
  state.canRespond = false;
  state.me = null;
  state.current = null;
  state.opening = null;
  state.briefsCursor = null;
  state.reviewsCursor = null;
  state.reviewsStatus = '';
  state.briefsFilter = {};
  state.briefsHeld = null;
  // A load still in flight is no longer current: it neither fills a table nor enables a button.
  state.briefsLoad++;
  state.reviewsLoad++;
  for (const form of ['signin-form', 'filters', 'reviews-filters', 'veto-form', 'feedback-form']) $(form).reset();
  for (const list of ['briefs', 'reviews']) {
    $(list + '-table').tBodies[0].replaceChildren();
    $(list + '-more').disabled = false;
    show(list + '-more', false);
    show(list + '-empty', false);
  }
  for (const id of ['detail-headline', 'detail-meta', 'detail-body', 'detail-citations', 'detail-evidence', 'response-state', 'review-result']) $(id).textContent = '';
  $('detail-reasons').tBodies[0].replaceChildren();
  for (const id of ['briefs-error', 'reviews-error', 'detail-error', 'review-error', 'response-error']) setError(id, null);
  for (const id of ['briefs-announce', 'reviews-announce']) $(id).textContent = '';
  show('signin', true);
  for (const id of ['tabs', 'signout', 'briefs', 'reviews', 'detail']) show(id, false);
  $('who').textContent = '';
  // The address named what was shown (a customer, a brief): gone with it.
  history.replaceState(null, '', location.pathname + location.search);
  $('credential').focus();
}

async function enter() {
  show('signin', false);
  show('tabs', true);
  show('signout', true);
  show('tab-reviews', state.canReview);
  show('filter-unacknowledged-label', state.canRespond);
  $('who').replaceChildren('signed in as ', bdi(state.me.name), ' (' + state.me.role + ')' + (state.canReview ? ' · may review' : ''));
  // What the address names (a reload, a link): its filters, tab and brief.
  const p = addressed();
  const view = applyAddress(p);
  const session = state.session;
  await showView(view);
  // Signed out while the list loaded: the brief the address named is no one's to ask for now (qa42a #5).
  if (session !== state.session) return;
  if (p.get('brief')) await openBrief(p.get('brief'), false);
  else $(view + '-heading').focus();
}

// ---- lists ---------------------------------------------------------------------------------------------------------

// The reader has acknowledged the brief, and since its retraction if it was retracted after (myResponse.retractedSince:
// then it is back in their inbox, README).
function acknowledged(brief) {
  return !!brief.myResponse && !brief.myResponse.retractedSince;
}

// A row of a list; seen: when it was read (see state.currentSeen). Its headline is a link to the brief's address (so it
// opens in another tab too, and is announced as a link); a click anywhere else on the row opens the brief as well.
function briefRow(brief, seen) {
  // data-label names the column where a narrow screen stacks the cells (app.css).
  // Bold until the reader has acknowledged it (a CSM's unread brief).
  const unacknowledged = state.canRespond && !acknowledged(brief) && (brief.status === 'delivered' || brief.status === 'retracted');
  const row = el('tr', { 'data-brief-id': brief.id, 'data-created-at': brief.createdAt, 'data-seen': String(seen), 'data-status': brief.status, className: unacknowledged ? 'brief unacknowledged' : 'brief' },
    el('td', { 'data-label': 'Created (UTC)' }, when(brief.createdAt)),
    el('td', { 'data-label': 'Customer' }, ...customer(brief)),
    el('td', { 'data-label': 'Scenario' }, bdi(brief.scenario)),
    el('td', { 'data-label': 'Headline' }, el('a', { href: address(brief.id) }, el('bdi', null, ...isolating(brief.headline, brief)))),
    el('td', { 'data-label': 'Score' }, Number(brief.score).toFixed(2) + ' / ' + Number(brief.threshold).toFixed(2)),
    el('td', { className: 'status ' + brief.status, 'data-label': 'Status' }, brief.status));
  row.addEventListener('click', (e) => {
    // A click with a modifier on the link (another tab, another window) is the browser's.
    if (e.target.closest('a') && (e.ctrlKey || e.metaKey || e.shiftKey || e.altKey || e.button !== 0)) return;
    e.preventDefault();
    openBrief(brief.id, true);
  });
  return row;
}

function briefsFilter() {
  return {
    status: $('filter-status').value, customerId: $('filter-customer').value.trim(), agentId: $('filter-agent').value.trim(),
    acknowledged: state.canRespond && $('filter-unacknowledged').checked ? 'false' : '',
  };
}

function briefsQuery(filter) {
  const query = new URLSearchParams({ limit: '50' });
  for (const [name, value] of Object.entries(filter)) if (value) query.set(name, value);
  return query;
}

// One page of a list into its table. More continues the list shown, with the filters of its first page (not what was
// typed since) and once at a time (its button is disabled while it loads); a newer first page drops an older load's answer.
// A first page's filters become the list's (commit) only with its rows: a refused one (403, server down) leaves the list,
// its filters, its cursor and where live briefs go as they were, and says so.
async function loadPage(list, more, path, commit) {
  const load = more ? state[list + 'Load'] : ++state[list + 'Load'];
  const button = $(list + '-more');
  const focused = more && document.activeElement === button;
  if (more) {
    if (button.disabled || !state[list + 'Cursor']) return;
    path += '&cursor=' + encodeURIComponent(state[list + 'Cursor']);
  }
  setError(list + '-error', null);
  button.disabled = true;
  if (list === 'briefs' && !more) state.briefsHeld = state.briefsHeld || [];
  try {
    const page = await api('GET', path);
    if (load !== state[list + 'Load']) return;
    const body = $(list + '-table').tBodies[0];
    if (!more) {
      if (commit) commit();
      body.replaceChildren();
    }
    const seen = ++state.seen;
    const rows = page.items.map((brief) => briefRow(brief, seen));
    body.append(...rows);
    state[list + 'Cursor'] = page.nextCursor;
    show(list + '-more', !!page.nextCursor);
    show(list + '-empty', body.rows.length === 0);
    // Said to a screen reader (a live region): what the list now shows.
    $(list + '-announce').textContent = body.rows.length === 0 ? $(list + '-empty').textContent
      : more ? rows.length + ' more ' + (rows.length === 1 ? 'brief' : 'briefs') + ' shown.'
      : rows.length + (page.nextCursor ? ' briefs shown, more on request.' : rows.length === 1 ? ' brief shown.' : ' briefs shown.');
    // More hides itself with the last page: focus goes to the first row it brought, not to the page's body.
    if (focused && !page.nextCursor && [button, document.body, null].includes(document.activeElement)) {
      (rows.length > 0 ? rowLink(rows[0]) : $(list + '-heading')).focus();
    }
    if (!more && commit) syncAddress();
  } catch (e) {
    if (load !== state[list + 'Load'] || e.name === 'AbortError') return;
    // (A refused credential's own line already says what to do.)
    const shown = !more && e.status !== 401 && $(list + '-table').tBodies[0].rows.length > 0;
    setError(list + '-error', shown ? new Error(e.message + ' The list below is still the one shown before.') : e);
  } finally {
    if (load === state[list + 'Load']) {
      button.disabled = false;
      if (list === 'briefs' && !more) {
        const held = state.briefsHeld || [];
        state.briefsHeld = null;
        for (const brief of held) upsertLive(brief);
      }
    }
  }
}

async function loadBriefs(more) {
  const filter = more ? state.briefsFilter : briefsFilter();
  await loadPage('briefs', more, '/v1/briefs?' + briefsQuery(filter), () => { state.briefsFilter = filter; });
}

// The first page again with the filters the list is shown with (not what is typed and not yet shown).
async function reloadBriefs() {
  await loadPage('briefs', false, '/v1/briefs?' + briefsQuery(state.briefsFilter));
}

// More pages keep the filter the queue is shown with; choosing another shows its first page.
async function loadReviews(more) {
  const status = more ? state.reviewsStatus : $('reviews-status').value;
  await loadPage('reviews', more, '/v1/reviews?limit=50' + (status ? '&status=' + encodeURIComponent(status) : ''), () => { state.reviewsStatus = status; });
}

async function showView(view) {
  state.view = view;
  // A brief still opening does not show over the list chosen since.
  state.opening = null;
  show('detail', false);
  show('briefs', view === 'briefs');
  show('reviews', view === 'reviews');
  for (const tab of ['briefs', 'reviews']) {
    $('tab-' + tab).classList.toggle('active', view === tab);
    if (view === tab) $('tab-' + tab).setAttribute('aria-current', 'page');
    else $('tab-' + tab).removeAttribute('aria-current');
  }
  syncAddress();
  if (view === 'briefs') await loadBriefs(false);
  else await loadReviews(false);
}

// ---- the address: what is shown, in the URL's fragment ------------------------------------------------------------
// /console#status=delivered&customer=acme-1&brief=ID: the list's filters (those it is shown with), the review queue's,
// the tab, and the open brief, so Back closes a brief, a reload shows the same, and a brief can be linked. Never the
// credential. Filters and tabs replace the address; opening a brief adds one (history.pushState), which Back leaves.

function listAddress() {
  const p = new URLSearchParams();
  if (state.view === 'reviews') p.set('view', 'reviews');
  const f = state.briefsFilter;
  if (f.status) p.set('status', f.status);
  if (f.customerId) p.set('customer', f.customerId);
  if (f.agentId) p.set('agent', f.agentId);
  if (f.acknowledged === 'false') p.set('unacknowledged', '1');
  if (state.reviewsStatus) p.set('queue', state.reviewsStatus);
  return p;
}

function address(briefId) {
  const p = listAddress();
  if (briefId) p.set('brief', briefId);
  const text = p.toString();
  return text ? '#' + text : location.pathname + location.search;
}

// The address of what is shown now, in place of the current one (a brief's entry stays a brief's).
function syncAddress() {
  if (!state.me) return;
  const open = !$('detail').hidden && state.current ? state.current.id : null;
  history.replaceState(history.state, '', address(open));
}

// The filters, tab and queue an address names, put in the forms (as if typed): the next Show shows them.
function applyAddress(p) {
  const options = (id) => [...$(id).options].map((o) => o.value);
  $('filter-status').value = options('filter-status').includes(p.get('status')) ? p.get('status') : '';
  $('filter-customer').value = p.get('customer') || '';
  $('filter-agent').value = p.get('agent') || '';
  $('filter-unacknowledged').checked = state.canRespond && p.get('unacknowledged') === '1';
  $('reviews-status').value = options('reviews-status').includes(p.get('queue')) ? p.get('queue') : '';
  const view = p.get('view') === 'reviews' && state.canReview ? 'reviews' : 'briefs';
  // The tab not shown loads nothing now, but its list will be shown with these filters when it is chosen: the address
  // keeps them (a reload in one tab keeps both tabs'). The tab shown takes its own with its first page.
  if (view === 'reviews') state.briefsFilter = briefsFilter();
  else if (state.canReview) state.reviewsStatus = $('reviews-status').value;
  return view;
}

function addressed() {
  return new URLSearchParams(location.hash.slice(1));
}

// Back, Forward, or an address typed or followed: show what it names.
async function route() {
  if (!state.me) return;
  const p = addressed();
  const id = p.get('brief');
  p.delete('brief');
  p.sort();
  const shown = listAddress();
  shown.sort();
  if (p.toString() !== shown.toString()) {
    const view = applyAddress(p);
    await showView(view);
    if (!id) $(view + '-heading').focus();
  }
  if (id) {
    if ($('detail').hidden || state.current?.id !== id) await openBrief(id, false);
  } else {
    // Back while a brief was opening: it does not show.
    state.opening = null;
    if (!$('detail').hidden) closeBrief();
  }
}

// ---- one brief -----------------------------------------------------------------------------------------------------

function meta(label, ...values) {
  return [el('dt', null, label), el('dd', null, ...values)];
}

function inVetoWindow(brief) {
  return !!brief.reviewUntil && Date.parse(brief.reviewUntil) > Date.now();
}

// A brief as the server answered it; live: a change from the stream to the brief shown, which keeps what the reader has
// open (the events behind it) and the messages shown.
function renderBrief(brief, live) {
  state.current = brief;
  state.currentSeen = ++state.seen;
  $('detail-headline').replaceChildren(el('bdi', null, ...isolating(brief.headline, brief)));
  const rows = [
    ...meta('Customer', ...customer(brief)),
    ...meta('Status', brief.status + (brief.degraded ? ' · written by the template (the model failed)' : '')
      + (brief.citationsFailed ? ' · cites nothing: the knowledge store could not be searched' : '')),
    ...meta('Agent', bdi(brief.agentId + '@' + brief.agentVersion), ' · ', bdi(brief.scenario)),
    ...meta('Score', Number(brief.score).toFixed(3) + ' (fires at ' + Number(brief.threshold).toFixed(3) + ')'),
    ...meta('Created', when(brief.createdAt) + ' UTC, as of ' + when(brief.asOf) + ' UTC'),
  ];
  if (brief.status === 'delivered' && brief.reviewUntil) {
    rows.push(...meta(inVetoWindow(brief) ? 'Veto window until' : 'Veto window closed', when(brief.reviewUntil) + ' UTC'));
  }
  if (brief.review) {
    const r = brief.review;
    rows.push(...meta('Review', r.verdict, ...(r.reviewer ? [' by ', bdi(r.reviewer)] : []), ' at ' + when(r.at) + ' UTC', ...(r.reason ? [': ', bdi(r.reason)] : [])));
  }
  $('detail-meta').replaceChildren(...rows);
  $('detail-body').replaceChildren(...isolating(brief.body, brief));
  $('detail-reasons').tBodies[0].replaceChildren(...(brief.reasons || []).map((r) =>
    el('tr', null, el('td', null, bdi(r.field)), el('td', null, bdi(valueText(r.value))), el('td', null, Number(r.weight).toFixed(3)), el('td', null, bdi(r.explanation)))));
  const citations = brief.citations || [];
  $('detail-citations').replaceChildren(...(citations.length === 0
    ? [el('li', null, 'None: no knowledge passage matched closely enough.')]
    : citations.map((c) => el('li', null, el('strong', null, bdi(citedPlace(c))), ' — ', bdi(c.snippet)))));
  if (!live) {
    $('detail-evidence').hidden = true;
    $('detail-evidence').textContent = '';
  }
  // What the server would take: a held brief, or a delivered one inside its veto window (one approved from the held
  // queue has none, and a closed window takes no veto).
  const reviewable = state.canReview && (brief.status === 'pendingReview' || (brief.status === 'delivered' && inVetoWindow(brief)));
  show('review-actions', reviewable);
  $('approve-button').hidden = brief.status !== 'pendingReview';
  $('veto-button').textContent = brief.status === 'delivered' ? 'Retract (veto)' : 'Veto';
  if (!live) {
    setError('review-error', null);
    reasonRefused(false);
  }
  renderResponse(brief, live);
}

// A veto reason refused (none given): marked invalid, described by the error that says why.
function reasonRefused(refused) {
  if (refused) {
    $('veto-reason').setAttribute('aria-invalid', 'true');
    $('veto-reason').setAttribute('aria-describedby', 'review-error');
  } else {
    $('veto-reason').removeAttribute('aria-invalid');
    $('veto-reason').removeAttribute('aria-describedby');
  }
}

// The reader's own response: acknowledged when, and their feedback; only on briefs CSMs get.
function renderResponse(brief, live) {
  show('response-actions', state.canRespond && (brief.status === 'delivered' || brief.status === 'retracted'));
  const r = brief.myResponse;
  // A retracted brief still comes to CSMs (and stays in their inbox) until they acknowledge it: here that says they have
  // seen it was withdrawn, and the button says so.
  const retracted = brief.status === 'retracted';
  $('acknowledge-button').textContent = retracted ? 'Acknowledge retraction' : 'Acknowledge';
  const feedback = !r || r.useful === null || r.useful === undefined ? ['.']
    : ['; you found it ' + (r.useful ? 'useful' : 'not useful'), ...(r.note ? [': ', bdi(r.note)] : []), ' (' + when(r.feedbackAt) + ' UTC).'];
  $('response-state').replaceChildren(...(!r ? [retracted ? 'Withdrawn (retracted); not acknowledged yet: acknowledge that you have seen it was withdrawn.' : 'Not acknowledged yet.']
    : r.retractedSince ? ['Withdrawn (retracted) after you acknowledged it ' + when(r.acknowledgedAt) + ' UTC: acknowledge that you have seen it was withdrawn', ...feedback]
      : ['Acknowledged ' + when(r.acknowledgedAt) + ' UTC', ...feedback]));
  $('acknowledge-button').hidden = acknowledged(brief);
  if (!live) setError('response-error', null);
}

async function respond(useful) {
  setError('response-error', null);
  const path = '/v1/briefs/' + encodeURIComponent(state.current.id);
  try {
    let updated;
    if (useful === undefined) {
      updated = await api('POST', path + '/acknowledge');
      renderBrief(updated);
      // Acknowledge hides itself: focus goes to what comes next, the feedback.
      if (!$('useful-button').hidden) $('useful-button').focus();
      return;
    } else {
      const body = { useful };
      const note = $('feedback-note').value.trim();
      if (note) body.note = note;
      updated = await api('POST', path + '/feedback', body);
      $('feedback-note').value = '';
    }
    renderBrief(updated);
  } catch (e) {
    setError('response-error', e);
  }
}

function rowLink(row) {
  return row.querySelector('a');
}

// pushed: opened from the list (a new address, which Back leaves); else opened by an address (a reload, a link, Forward).
async function openBrief(id, pushed) {
  setError('detail-error', null);
  $('review-result').textContent = '';
  // A live change of this brief that arrives while it is read may be newer than the answer (read before the change
  // committed, answered after the stream sent it, when no brief was open to take it): read again until none came meanwhile.
  // A brief opened after this one is what shows.
  const opening = { id, changed: false };
  state.opening = opening;
  try {
    let brief;
    do {
      opening.changed = false;
      brief = await api('GET', '/v1/briefs/' + encodeURIComponent(id));
    } while (opening.changed && state.opening === opening);
    if (state.opening !== opening) return;
    state.opening = null;
    renderBrief(brief);
    show('briefs', false);
    show('reviews', false);
    show('detail', true);
    if (pushed) history.pushState({ opened: loaded }, '', address(id));
    else syncAddress();
    $('detail-headline').focus();
  } catch (e) {
    if (state.opening !== opening) return;
    state.opening = null;
    // Said where the reader looks: over the brief still open (an address edited to another one), else over the list.
    setError(!$('detail').hidden ? 'detail-error' : state.view === 'briefs' ? 'briefs-error' : 'reviews-error', e);
    // An address naming a brief that cannot be shown (not one's, gone): the list's, or the open brief's.
    if (!pushed) syncAddress();
  }
}

// The page's Back: the brief closes at once; the address it was opened to is left as the browser's Back would. One opened
// by an address (a link, a reload) has no list's address of this page before it (after a reload, going back to one
// loads the page again): it is replaced by the list's.
function back() {
  closeBrief();
  if (history.state && history.state.opened === loaded) history.back();
  else syncAddress();
}

// Back to the list as it was (its pages, where it was), the brief's row as it is now: the brief as last read, unless the
// list has read the row again since (a reload, a live change), which is newer.
function closeBrief() {
  show('detail', false);
  show(state.view, true);
  const rows = [...$(state.view + '-table').tBodies[0].rows];
  const old = rows.find((r) => r.dataset.briefId === state.current?.id);
  if (!old) {
    // It left the list meanwhile (a live change that no longer matches its filters).
    $(state.view + '-heading').focus();
    return;
  }
  // Acknowledged from a "not yet acknowledged" list: it leaves the list, as the API would now answer it; focus goes to
  // the row that takes its place (or the one before it, or the list's heading).
  if (state.view === 'briefs' && state.briefsFilter.acknowledged === 'false' && acknowledged(state.current)) {
    const next = old.nextElementSibling || old.previousElementSibling;
    old.remove();
    show('briefs-empty', $('briefs-table').tBodies[0].rows.length === 0);
    if (next) rowLink(next).focus();
    else $('briefs-heading').focus();
    return;
  }
  let row = old;
  if (Number(old.dataset.seen) < state.currentSeen) {
    row = briefRow(state.current, state.currentSeen);
    old.replaceWith(row);
  }
  rowLink(row).focus();
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
      reasonRefused(true);
      $('veto-reason').focus();
      return;
    }
    reasonRefused(false);
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
    // The same reviewer's verdict again (another tab): the API answers the brief with the first one kept, recording
    // nothing. What they typed here was not recorded: they are told, and it stays (in the form, and quoted).
    const r = updated.review || {};
    // What was typed and differs from what stands (a note left empty is nothing typed), each quoted value isolated.
    const unrecorded = [];
    if (verdict === 'veto' && r.reason !== body.reason) unrecorded.push(['reason “', bdi(body.reason), '”']);
    if (verdict === 'veto' && (r.correctLabel ?? null) !== (body.correctLabel ?? null)) unrecorded.push(['correct label']);
    if (body.note && r.note !== body.note) unrecorded.push(['note “', bdi(body.note), '”']);
    if (unrecorded.length > 0) {
      $('review-error').replaceChildren('You had already ' + r.verdict + ' this brief, at ' + when(r.at) + ' UTC',
        ...(r.reason ? [', with the reason “', bdi(r.reason), '”'] : []), ': that stands, and your ',
        ...unrecorded.flatMap((u, i) => (i > 0 ? [', ', ...u] : u)), ' was not recorded. Copy it into a note elsewhere if it matters.');
      return;
    }
    $('veto-reason').value = '';
    $('review-note').value = '';
    $('review-result').textContent = 'Recorded: the brief is now ' + updated.status + '.';
  } catch (e) {
    // Another reviewer decided first (409): show the brief as it now is, with the server's word on it.
    if (e.status === 409) {
      try {
        renderBrief(await api('GET', '/v1/briefs/' + encodeURIComponent(state.current.id)));
      } catch {
        // keep the brief as shown; the 409's message says what happened
      }
    }
    setError('review-error', e);
  }
}

// ---- live updates (server-sent events over fetch: EventSource cannot send the credential) ----------------------------

// A brief from the stream: held while the list's first page loads (that page would wipe it), else into the list.
// The brief open (or last opened, whose row Back puts back) takes the change at once: the stream does not carry the
// reader's response, which it keeps.
function liveBrief(brief) {
  if (state.opening && state.opening.id === brief.id) state.opening.changed = true;
  if (state.current && state.current.id === brief.id) {
    // Retracted now, after the reader acknowledged it: as the API would now answer, back in their inbox until acknowledged again.
    const r = state.current.myResponse;
    const retractedNow = r && brief.status === 'retracted' && state.current.status !== 'retracted';
    brief = { ...brief, myResponse: retractedNow ? { ...r, retractedSince: true } : r };
    renderBrief(brief, true);
  }
  if (state.briefsHeld) state.briefsHeld.push(brief);
  else upsertLive(brief);
}

// The list stays what the API would answer for its filters: a brief that no longer matches leaves it; one not shown goes
// where the API's newest-first pages put it, or, older than the last row while More has pages left, waits for More.
function upsertLive(brief) {
  // The stream does not carry the reader's response: in the "not yet acknowledged" list, a brief it does not show may be
  // one the reader acknowledged (a retraction of it, say), so the API says whether it belongs there.
  const filter = state.briefsFilter;
  if (filter.acknowledged === 'false' && ![...$('briefs-table').tBodies[0].rows].some((r) => r.dataset.briefId === brief.id)) {
    api('GET', '/v1/briefs/' + encodeURIComponent(brief.id))
      .then((current) => { if (state.briefsFilter === filter && !acknowledged(current)) placeLive(current); }, () => {});
    return;
  }
  placeLive(brief);
}

// Orders two createdAt values (ISO 8601) to the server's 100 ns: Date.parse keeps milliseconds only, and the briefs of one
// batch are often less than one apart (qa42a #6), so the digits past the millisecond decide a tie.
function compareInstants(a, b) {
  const past = (iso) => ((/\.\d{3}(\d*)/.exec(iso) || ['', ''])[1] + '0000').slice(0, 4);
  return Date.parse(a) - Date.parse(b) || (past(a) < past(b) ? -1 : past(a) > past(b) ? 1 : 0);
}

function placeLive(brief) {
  const body = $('briefs-table').tBodies[0];
  const rows = [...body.rows];
  const existing = rows.find((r) => r.dataset.briefId === brief.id);
  const f = state.briefsFilter;
  const matches = (!f.status || brief.status === f.status) && (!f.customerId || brief.customerId === f.customerId) && (!f.agentId || brief.agentId === f.agentId);
  const row = briefRow(brief, ++state.seen);
  row.classList.add('fresh');
  // The stream does not carry the reader's response: a row they had acknowledged stays so — unless this change retracts
  // the brief, which an acknowledgement of it delivered does not cover: back among the unacknowledged, as a fresh list
  // shows it (qa37a #4). A brief that carries the reader's response (the open one, liveBrief) is shown by it.
  const retracts = brief.status === 'retracted' && existing && existing.dataset.status !== 'retracted';
  if (existing && !brief.myResponse && !retracts && !existing.classList.contains('unacknowledged')) row.classList.remove('unacknowledged');
  let said = null;
  if (existing) {
    if (matches) existing.replaceWith(row);
    else {
      existing.remove();
      said = 'A brief left the list: it is now ' + brief.status + '.';
    }
  } else if (matches) {
    // Above every row not newer (one written in the same batch is newer than the rows the list had).
    const next = rows.find((r) => compareInstants(r.dataset.createdAt, brief.createdAt) <= 0);
    if (next) next.before(row);
    else if (!state.briefsCursor) body.append(row);
    if (next || !state.briefsCursor) said = 'A brief was added to the list: ' + brief.headline;
  }
  show('briefs-empty', body.rows.length === 0);
  // Said to a screen reader, as a load's count is.
  if (said) $('briefs-announce').textContent = said;
}

// Follows the stream; when it breaks (the server restarted, the network dropped) it tries again every 5 s and, once
// back, reloads the list for the briefs written meanwhile. When the server says it dropped briefs this page read too
// slowly (event: overflow) it does the same at once: the briefs still queued on the old stream are already in the list
// it reloads, where some belong on a later page than the first (More), and a brief carries no place in the list's order
// to tell them from new ones. A refused credential stops it with the reason.
async function startLive(reconnecting) {
  stopLive();
  const controller = new AbortController();
  state.live = controller;
  $('live-state').textContent = reconnecting ? 'reconnecting…' : 'connecting…';
  try {
    const response = await reach('/v1/briefs/stream', { headers: { ...authHeaders(), Accept: 'text/event-stream' }, signal: controller.signal });
    if (!response.ok) throw new ApiError(response.status, await problemText(response));
    $('live-state').textContent = 'live';
    // The list again once subscribed: briefs written since it was loaded (before a reconnect, or before live was ticked)
    // came on no stream.
    reloadBriefs();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        if (state.live !== controller) return;
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
        const event = (block.split('\n').find((l) => l.startsWith('event:')) || 'event: message').slice(6).trim();
        if (event === 'brief' && data) liveBrief(JSON.parse(data));
        else if (event === 'overflow') startLive(true);
      }
    }
    if (state.live === controller) retryLive(controller, 'the stream ended');
  } catch (e) {
    if (state.live !== controller || e.name === 'AbortError') return;
    if (e.status === 401 || e.status === 403) $('live-state').textContent = 'not live: ' + e.message;
    else retryLive(controller, e.message || String(e));
  }
}

function retryLive(controller, why) {
  $('live-state').textContent = 'not live: ' + why + ' — reconnecting in 5 s…';
  setTimeout(() => { if (state.live === controller) startLive(true); }, 5000);
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
      await signIn($('credential').value);
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
  $('reviews-status').addEventListener('change', () => loadReviews(false));
  $('reviews-filters').addEventListener('submit', (e) => e.preventDefault());
  $('detail-close').addEventListener('click', back);
  window.addEventListener('popstate', route);
  $('veto-reason').addEventListener('input', () => { if ($('veto-reason').value.trim()) reasonRefused(false); });
  $('detail-evidence-load').addEventListener('click', loadEvidence);
  $('veto-form').addEventListener('submit', (e) => { e.preventDefault(); review('veto'); });
  $('approve-button').addEventListener('click', () => review('approve'));
  $('acknowledge-button').addEventListener('click', () => respond());
  $('useful-button').addEventListener('click', () => respond(true));
  $('not-useful-button').addEventListener('click', () => respond(false));
  $('live').addEventListener('change', () => ($('live').checked ? startLive(false) : stopLive()));
  if (store.getItem(credentialKey)) {
    signIn(store.getItem(credentialKey)).then(enter).catch((error) => {
      // Refused: signed out. Unreachable: the credential stays, and reloading the page tries again.
      if (!store.getItem(credentialKey)) signOut();
      setError('signin-error', error.status === 0 ? new Error(error.message + ' Reload the page to try again; you stay signed in.') : error);
    });
  }
});
