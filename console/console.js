// console.js - the officer console's core (issue 15): the session (sign-in, sign-out), the API
// helper (cookie, X-CSRF-Token on changes, 401 back to sign-in), the role-aware navigation and
// the hash router that draws each page module into <main>. No framework; every text goes in as
// text (textContent), never as HTML.
import * as queue from './queue.js';
import * as lookup from './lookup.js';
import * as reports from './reports.js';
import * as audit from './audit.js';
import * as admin from './admin.js';

export const state = { session: null };

export class ApiError extends Error {
  constructor(status, message, body) { super(message); this.status = status; this.body = body; }
}

// A call of the service's API. opts: method, query (object), body (JSON), form (a FormData, sent
// as multipart/form-data: the browser writes its boundary), raw (the Response).
export async function api(path, opts = {}) {
  const method = opts.method || 'GET';
  const headers = {};
  if (method !== 'GET' && state.session) headers['X-CSRF-Token'] = state.session.csrf;
  let body;
  if (opts.body !== undefined) { body = JSON.stringify(opts.body); headers['Content-Type'] = 'application/json'; }
  else if (opts.form !== undefined) body = opts.form;
  let url = path;
  if (opts.query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
    const s = q.toString();
    if (s) url += (url.includes('?') ? '&' : '?') + s;
  }
  const r = await fetch(url, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  if (opts.raw) return r;
  const ct = r.headers.get('Content-Type') || '';
  const data = ct.includes('json') ? await r.json().catch(() => null) : await r.text();
  if (r.status === 401 && state.session && path !== '/v1/session') {
    signedOut('Your session has ended (expired, signed out elsewhere, or its key revoked): sign in again.');
  }
  if (!r.ok) throw new ApiError(r.status, (data && data.error) || `${r.status} ${r.statusText}`, data);
  return data;
}

// An element: h('p', {class: 'x', onclick: fn}, 'text', child, ...). Text is text, never HTML.
export function h(tag, attrs, ...kids) {
  const e = tag.startsWith('svg:') ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
                                   : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const k of kids.flat(Infinity)) {
    if (k === undefined || k === null || k === false) continue;
    e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return e;
}

// A table: cols [{key, label, num, fmt(row) -> text|Node}], rows; caption text.
export function table(caption, cols, rows, attrs = {}) {
  // a wrapper that may scroll sideways on a narrow screen: focusable, so the keyboard can scroll it
  return h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption || attrs['aria-label'] || 'table' },
    h('table', attrs,
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, cols.map(c => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
      h('tbody', {}, rows.length ? rows.map(r => h('tr', {}, cols.map(c => {
        const v = c.fmt ? c.fmt(r) : r[c.key];
        return h('td', { class: c.num ? 'num' : null }, v === null || v === undefined ? '' : v);
      }))) : h('tr', {}, h('td', { colspan: cols.length }, 'Nothing to show.')))));
}

export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(p => p).map(([k, v]) =>
    [h('dt', {}, k), h('dd', {}, v === null || v === undefined || v === '' ? '—' : v)]));
}

export function announce(text) { document.getElementById('live-status').textContent = text; }

export function errorBox(e) {
  const msg = e instanceof ApiError ? `${e.message} (HTTP ${e.status})` : String(e.message || e);
  return h('p', { class: 'error', role: 'alert' }, msg);
}

// A field of a filter form: label and control.
export function field(label, control) {
  return h('div', {}, h('label', { for: control.id }, label), control);
}

// CSV text of rows under cols (the keys), quoted where needed; a download link for it.
export function csvLink(name, cols, rows, label) {
  const q = v => { const s = v === null || v === undefined ? '' : String(v); return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s; };
  const text = [cols.join(','), ...rows.map(r => cols.map(c => q(r[c])).join(','))].join('\n') + '\n';
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  return h('a', { href: url, download: name, class: 'csv' }, label || `Download ${name}`);
}

// ---- pages ----

// Each page: path pattern, title, roles that see it in the navigation and may open it.
const PAGES = [
  { id: 'queue', re: /^queue$/, title: 'Review queue', roles: ['officer', 'analyst'], mod: queue, fn: 'renderQueue' },
  { id: 'flag', re: /^flag\/(\d+)$/, title: 'Flag', roles: ['officer'], mod: queue, fn: 'renderFlag', hidden: true },
  { id: 'lookup', re: /^lookup$/, title: 'Traveller look-up', roles: ['officer'], mod: lookup, fn: 'renderLookup' },
  { id: 'subject', re: /^subject\/(\d+)$/, title: 'Traveller', roles: ['officer'], mod: lookup, fn: 'renderSubject', hidden: true },
  { id: 'overstays', re: /^reports\/overstays$/, title: 'Overstays', roles: ['analyst', 'officer'], mod: reports, fn: 'renderOverstays' },
  { id: 'rates', re: /^reports\/rates$/, title: 'Match rates', roles: ['analyst', 'admin'], mod: reports, fn: 'renderRates' },
  { id: 'eval', re: /^reports\/eval$/, title: 'Evaluation', roles: ['analyst', 'admin'], mod: reports, fn: 'renderEval' },
  { id: 'audit', re: /^audit$/, title: 'Audit', roles: ['auditor', 'admin'], mod: audit, fn: 'renderAudit' },
  { id: 'admin', re: /^admin$/, title: 'Admin', roles: ['admin'], mod: admin, fn: 'renderAdmin' },
];
const HOME = { officer: 'queue', analyst: 'reports/overstays', auditor: 'audit', admin: 'admin' };

function drawNav() {
  const nav = document.getElementById('nav');
  nav.replaceChildren(...PAGES.filter(p => !p.hidden && p.roles.includes(state.session.role)).map(p =>
    h('a', { href: '#/' + p.re.source.replace(/^\^|\$$/g, '').replace(/\\\//g, '/'), 'data-page': p.id }, p.title)));
  nav.hidden = false;
  document.getElementById('who-text').textContent =
    `${state.session.label || 'key ' + state.session.key_id} · ${state.session.role}`;
  document.getElementById('who').hidden = false;
}

let cleanup = null;
export function onLeave(fn) { cleanup = fn; }

async function route() {
  if (!state.session) return;
  if (cleanup) { cleanup(); cleanup = null; }
  const path = location.hash.replace(/^#\/?/, '').split('?')[0];
  if (!path) { location.replace('#/' + HOME[state.session.role]); return; }
  const page = PAGES.find(p => p.re.test(path));
  const root = document.getElementById('page');
  document.getElementById('signin-page').hidden = true;
  root.hidden = false;
  for (const a of document.querySelectorAll('#nav a'))
    if (page && a.dataset.page === (page.hidden ? (page.id === 'flag' ? 'queue' : 'lookup') : page.id)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  if (!page || !page.roles.includes(state.session.role)) {
    root.replaceChildren(h('h1', {}, 'Not available'), h('p', {}, page
      ? `The ${page.title.toLowerCase()} page is not open to the ${state.session.role} role.`
      : 'There is no such page.'), h('p', {}, h('a', { href: '#/' + HOME[state.session.role] }, 'Go to your first page')));
    document.title = 'Not available · bex console';
    return;
  }
  document.title = `${page.title} · bex console`;
  const m = path.match(page.re);
  root.replaceChildren(h('p', { class: 'help' }, 'Loading…'));
  try {
    await page.mod[page.fn](root, m.slice(1));
  } catch (e) {
    if (!state.session) return;
    root.replaceChildren(h('h1', {}, page.title), errorBox(e));
  }
  if (document.activeElement === document.body || !root.contains(document.activeElement)) {
    const h1 = root.querySelector('h1');
    if (h1) { h1.setAttribute('tabindex', '-1'); h1.focus({ preventScroll: true }); }
  }
}

function signedIn(s) {
  state.session = s;
  drawNav();
  route();
}

export function signedOut(message) {
  state.session = null;
  if (cleanup) { cleanup(); cleanup = null; }
  document.getElementById('nav').hidden = true;
  document.getElementById('nav').replaceChildren();
  document.getElementById('who').hidden = true;
  document.getElementById('page').hidden = true;
  document.getElementById('page').replaceChildren();
  document.getElementById('signin-page').hidden = false;
  document.getElementById('signin-error').textContent = message || '';
  document.title = 'Sign in · bex console';
  document.getElementById('key').focus();
}

async function start() {
  document.getElementById('signin').addEventListener('submit', async ev => {
    ev.preventDefault();
    const input = document.getElementById('key');
    const err = document.getElementById('signin-error');
    err.textContent = '';
    const key = input.value.trim();
    if (!/^[0-9a-fA-F]{64}$/.test(key)) { err.textContent = 'A key is 64 hexadecimal digits.'; return; }
    try {
      const s = await api('/v1/session', { method: 'POST', body: { key } });
      input.value = '';
      if (!location.hash || location.hash === '#/') location.replace('#/' + HOME[s.role]);
      signedIn(s);
    } catch (e) {
      err.textContent = e.status === 403 ? 'This key may not use the console (carrier keys work with the API only).'
        : e.status === 401 ? 'That key is not valid: it is unknown or revoked.' : e.message;
    }
  });
  document.getElementById('signout').addEventListener('click', async () => {
    try { await api('/v1/session/end', { method: 'POST' }); } catch (e) { /* signed out either way */ }
    signedOut('You are signed out.');
  });
  window.addEventListener('hashchange', route);
  try {
    const r = await fetch('/v1/session', { credentials: 'same-origin', cache: 'no-store' });
    if (r.ok) return signedIn(await r.json());
  } catch (e) { /* the service is away: sign-in shows the error */ }
  signedOut('');
}

start();
