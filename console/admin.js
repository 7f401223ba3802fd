// admin.js - the admin's page: API keys (make, label, revoke; a new key shown once), the
// registered gate devices, and the retention periods.
import { api, h, table, errorBox, field, announce, state } from './console.js';

// seconds as a person reads them: 43200 -> "12 hours", 2366820000 -> "75 years"
function period(s) {
  if (s === null || s === undefined) return 'forever';
  if (s === 0) return 'not kept';
  for (const [n, u] of [[31557600, 'year'], [86400, 'day'], [3600, 'hour'], [60, 'minute']])
    if (s >= n && s % n === 0) return `${s / n} ${u}${s / n === 1 ? '' : 's'}`;
  return `${s} seconds`;
}

const ROLES = ['officer', 'carrier', 'analyst', 'auditor', 'admin'];

export async function renderAdmin(root) {
  const keys = h('div', { id: 'keys' }), gates = h('div', { id: 'gates' }), ret = h('div', { id: 'retention' });
  const made = h('div', { role: 'status', 'aria-live': 'polite' });
  const mk = h('form', { class: 'card filters', id: 'key-make', 'aria-label': 'Make a key' },
    field('Role', h('select', { id: 'k_role', name: 'role' }, ROLES.map(r => h('option', { value: r }, r)))),
    field('Label', h('input', { id: 'k_label', name: 'label', maxlength: 60 })),
    field('Carrier code (carriers only)', h('input', { id: 'k_carrier', name: 'carrier', maxlength: 3, size: 4 })),
    h('div', {}, h('button', { type: 'submit' }, 'Make key')));
  mk.addEventListener('submit', async ev => {
    ev.preventDefault();
    try {
      const k = await api('/v1/keys', { method: 'POST', query: { role: mk.elements.role.value, label: mk.elements.label.value.trim(),
        carrier: mk.elements.role.value === 'carrier' ? mk.elements.carrier.value.trim().toUpperCase() : '' } });
      made.replaceChildren(h('p', { class: 'ok' }, `Key ${k.id} (${k.role}) made. It is shown once: give it to its holder now.`),
        h('output', { class: 'secret', id: 'new-key' }, k.key));
      mk.reset();
      loadKeys();
    } catch (e) { made.replaceChildren(errorBox(e)); }
  });
  const retForm = h('form', { class: 'card filters', id: 'retention-set', 'aria-label': 'Set a retention period' },
    field('Category', h('select', { id: 'r_cat', name: 'category' },
      ['citizen_biometrics', 'images', 'records', 'overstayer_records', 'unmatched_captures'].map(c => h('option', { value: c }, c)))),
    field('Period (e.g. 12h, 30d, 75y, forever)', h('input', { id: 'r_period', name: 'period', required: true, size: 10 })),
    h('div', {}, h('button', { type: 'submit' }, 'Set period')));
  const retOut = h('p', { role: 'status', 'aria-live': 'polite' });
  retForm.addEventListener('submit', async ev => {
    ev.preventDefault();
    try {
      await api('/v1/retention', { method: 'POST', query: { category: retForm.elements.category.value, period: retForm.elements.period.value.trim() } });
      retOut.className = 'ok'; retOut.textContent = 'Retention period set.'; loadRet();
    } catch (e) { retOut.className = 'error'; retOut.textContent = e.message; }
  });
  root.replaceChildren(h('h1', {}, 'Admin'),
    h('section', { 'aria-labelledby': 'hk' }, h('h2', { id: 'hk' }, 'API keys'), mk, made, keys),
    h('section', { 'aria-labelledby': 'hg' }, h('h2', { id: 'hg' }, 'Gate devices'), gates),
    h('section', { 'aria-labelledby': 'hr' }, h('h2', { id: 'hr' }, 'Retention periods'), retForm, retOut, ret));
  async function loadKeys() {
    try {
      const d = await api('/v1/keys');
      keys.replaceChildren(table(null, [
        { key: 'id', label: 'Id', num: true }, { key: 'role', label: 'Role' }, { key: 'label', label: 'Label' },
        { key: 'carrier', label: 'Carrier' }, { key: 'created_at', label: 'Made' },
        { key: 'revoked_at', label: 'Revoked', fmt: k => k.revoked_at || (k.id === state.session.key_id ? 'valid (your key)' : revokeButton(k)) }],
        d.keys || [], { id: 'key-list' }));
    } catch (e) { keys.replaceChildren(errorBox(e)); }
  }
  function revokeButton(k) {
    const b = h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke key ${k.id}` }, 'Revoke');
    b.addEventListener('click', async () => {
      if (!confirm(`Revoke key ${k.id} (${k.role}${k.label ? ', ' + k.label : ''})? Its sessions end at once.`)) return;
      try { await api('/v1/keys/revoke', { method: 'POST', query: { id: k.id } }); announce(`Key ${k.id} revoked`); loadKeys(); }
      catch (e) { keys.prepend(errorBox(e)); }
    });
    return b;
  }
  async function loadRet() {
    try {
      const d = await api('/v1/retention');
      const rows = Object.entries(d.retention || {}).map(([category, v]) => ({ category, ...v }));
      ret.replaceChildren(table(null, [{ key: 'category', label: 'Category' },
        { key: 'period', label: 'Period', fmt: r => r.period || period(r.seconds) }], rows, { id: 'retention-list' }));
    } catch (e) { ret.replaceChildren(errorBox(e)); }
  }
  (async () => {
    try {
      const d = await api('/v1/gates');
      gates.replaceChildren(table(null, [{ key: 'id', label: 'Id', num: true }, { key: 'name', label: 'Device' }, { key: 'port', label: 'Port' },
        { key: 'registered_at', label: 'Registered' }, { key: 'revoked_at', label: 'Revoked' }], d.gates || d.devices || [], { id: 'gate-list' }));
    } catch (e) { gates.replaceChildren(errorBox(e)); }
  })();
  await Promise.all([loadKeys(), loadRet()]);
}
