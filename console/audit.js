// audit.js - the auditor's page: the audit chain's state and head (GET /v1/audit/verify), and
// the log searched by key, action and date, newest first, paged by key (?before=ID).
import { api, h, table, facts, errorBox, field } from './console.js';

export async function renderAudit(root) {
  const q = new URLSearchParams(location.hash.split('?')[1] || '');
  const chain = h('section', { class: 'card', id: 'chain', 'aria-labelledby': 'ch' }, h('h2', { id: 'ch' }, 'The chain'), h('p', {}, 'Checking…'));
  const form = h('form', { class: 'card filters', id: 'audit-search', role: 'search', 'aria-label': 'Search the audit log' },
    field('Key id', h('input', { id: 'key_id', name: 'key', value: q.get('key') || '', inputmode: 'numeric', size: 6 })),
    field('Action', h('input', { id: 'action', name: 'action', value: q.get('action') || '', size: 14 })),
    field('From (date)', h('input', { id: 'a_since', name: 'since', type: 'date', value: q.get('since') || '' })),
    field('To (date)', h('input', { id: 'a_until', name: 'until', type: 'date', value: q.get('until') || '' })),
    h('div', {}, h('button', { type: 'submit' }, 'Search')));
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    const p = new URLSearchParams();
    for (const k of ['key', 'action', 'since', 'until']) { const v = form.elements[k].value.trim(); if (v) p.set(k, v); }
    location.hash = '#/audit?' + p.toString();
  });
  const log = h('section', { id: 'audit-log', 'aria-labelledby': 'lg' });
  root.replaceChildren(h('h1', {}, 'Audit'), chain, h('h2', { id: 'lg' }, 'The log'), form, log);
  api('/v1/audit/verify').then(v => chain.replaceChildren(h('h2', { id: 'ch' }, 'The chain'),
    h('p', { class: v.ok ? 'ok' : 'error' }, v.ok ? 'Intact: every entry\'s hash follows from the one before.' : `Broken at entry ${v.first_bad}.`),
    facts([['Entries', v.entries], ['Head', h('code', { id: 'chain-head' }, v.head)]]))).catch(e => chain.append(errorBox(e)));
  const stack = [null];
  let at = 0;
  async function load() {
    const query = { key: q.get('key'), action: q.get('action'), limit: 50,
      since: q.get('since') ? q.get('since') + 'T00:00:00Z' : '', until: q.get('until') ? q.get('until') + 'T23:59:59Z' : '',
      before: stack[at] };
    let d;
    try { d = await api('/v1/audit', { query }); } catch (e) { log.replaceChildren(errorBox(e)); return; }
    const prev = h('button', { type: 'button', class: 'secondary', disabled: at === 0 }, 'Newer');
    const next = h('button', { type: 'button', class: 'secondary', disabled: !d.next_before }, 'Older');
    prev.addEventListener('click', () => { at--; load(); });
    next.addEventListener('click', () => { stack[at + 1] = d.next_before; at++; load(); });
    log.replaceChildren(table(null, [
      { key: 'id', label: 'Entry', num: true }, { key: 'at', label: 'At (UTC)' }, { key: 'actor', label: 'Actor' },
      { key: 'action', label: 'Action' }, { key: 'object', label: 'Object' }, { key: 'detail', label: 'Detail' }],
      d.rows || [], { id: 'audit-rows' }), h('div', { class: 'pager' }, prev, next));
  }
  await load();
}
