// lookup.js - the traveller look-up (by document number, or by names and birth date) and one
// traveller's timeline: documents, admissions, crossings, flags and decisions, in time order;
// the look-up by a finger and a traveller's recorded fingers (fingers.js).
import { api, h, table, facts, errorBox, field, announce } from './console.js';
import { words, badge, photoFigure } from './queue.js';
import { fingerLookupForm, fingerTable, printsText, fmrText } from './fingers.js';

export async function renderLookup(root) {
  const q = new URLSearchParams(location.hash.split('?')[1] || '');
  const inp = (id, label, attrs = {}) => field(label, h('input', { id, name: id, value: q.get(id) || '', autocomplete: 'off', ...attrs }));
  const byDoc = h('form', { class: 'card filters', id: 'lookup-document', role: 'search', 'aria-label': 'By document' },
    inp('document', 'Document number', { maxlength: 20, spellcheck: 'false' }),
    inp('state', 'Issuing state (optional)', { maxlength: 3, size: 4 }),
    h('div', {}, h('button', { type: 'submit' }, 'Look up by document')));
  const byName = h('form', { class: 'card filters', id: 'lookup-names', role: 'search', 'aria-label': 'By names and birth date' },
    inp('surname', 'Surname', { maxlength: 40 }), inp('given', 'Given names', { maxlength: 40 }),
    inp('birth', 'Birth date', { type: 'date' }),
    h('div', {}, h('button', { type: 'submit' }, 'Look up by names')));
  const go = (form, keys) => ev => {
    ev.preventDefault();
    const p = new URLSearchParams();
    for (const k of keys) { const v = form.elements[k].value.trim(); if (v) p.set(k, v); }
    location.hash = '#/lookup?' + p.toString();
  };
  byDoc.addEventListener('submit', go(byDoc, ['document', 'state']));
  byName.addEventListener('submit', go(byName, ['surname', 'given', 'birth']));
  const res = h('section', { id: 'lookup-results', 'aria-labelledby': 'res-title' });
  root.replaceChildren(h('h1', {}, 'Traveller look-up'),
    h('div', { class: 'grid2' }, h('div', {}, h('h2', {}, 'By document'), byDoc), h('div', {}, h('h2', {}, 'By names and birth date'), byName)),
    h('h2', {}, 'By fingerprint'), ...fingerLookupForm(),
    res);
  const query = {};
  for (const k of ['document', 'state', 'surname', 'given', 'birth']) if (q.get(k)) query[k] = q.get(k);
  if (!Object.keys(query).length) return;
  try {
    const d = await api('/v1/lookup', { query });
    res.replaceChildren(h('h2', { id: 'res-title' }, `${d.count} record${d.count === 1 ? '' : 's'} found`),
      table(null, [
        { key: 'subject', label: 'Traveller', fmt: r => h('a', { href: `#/subject/${r.subject}` }, `Traveller ${r.subject}`) },
        { key: 'document', label: 'Document record', num: true },
        { key: 'citizen', label: 'Citizen', fmt: r => (r.citizen ? 'yes' : 'no') },
        { key: 'reason', label: 'Why it was found' },
      ], d.hits || [], { id: 'hits' }));
    announce(`${d.count} records found`);
  } catch (e) { res.replaceChildren(errorBox(e)); }
}

export async function renderSubject(root, [id]) {
  const s = await api('/v1/subject', { query: { id } });
  const events = [];
  for (const d of s.documents || []) events.push({ at: null, what: 'Document', text: `${d.type} ${d.issuing_state} ${d.number}, expires ${d.expiry_date}` });
  for (const e of s.encounters || [])
    events.push({ at: e.at, what: e.direction === 'entry' ? 'Entry' : 'Exit',
      text: `${e.port} (${e.port_kind})${e.carrier ? ', ' + e.carrier + ' ' + (e.voyage || '') : ''}: ${words(e.outcome)}` +
            `${e.decision ? ', ' + words(e.decision) : ''}; score ${e.score == null ? '—' : Number(e.score).toFixed(3)}` +
            `${e.chip_check && e.chip_check !== 'no_chip' ? '; chip ' + e.chip_check : ''}` +
            `${e.prints ? '; prints ' + printsText(e.prints) : ''}${e.finger_fmr != null ? '; finger FMR ' + fmrText(e.finger_fmr) : ''}`, enc: e.id });
  for (const a of s.admissions || [])
    events.push({ at: null, what: 'Admission', text: `class ${a.class}, admitted until ${a.admit_until}${a.exit ? ', left (encounter ' + a.exit + ')' : ', no exit recorded'}` });
  for (const f of s.flags || []) events.push({ at: f.created_at, what: 'Flag', text: `${words(f.kind)}: ${f.detail}`, flag: f });
  events.sort((a, b) => (a.at || '').localeCompare(b.at || ''));
  const doc = (s.documents || [])[0] || {};
  const kept = (s.samples || []).filter(x => x.image_kept);
  const fingers = s.finger_samples || [];
  root.replaceChildren(
    h('h1', {}, `Traveller ${s.subject}${doc.surname ? ': ' + doc.surname + ', ' + (doc.given_names || '') : ''}`),
    h('p', { class: 'help' }, h('a', { href: '#/lookup' }, '← Back to the look-up')),
    h('div', { class: 'grid2' },
      h('section', { class: 'card', 'aria-labelledby': 'who' }, h('h2', { id: 'who' }, 'Identity'),
        facts([['Citizen', s.citizen ? 'yes' : 'no'], ['Nationality', doc.nationality], ['Birth date', doc.birth_date],
               ['Sex', doc.sex], ['Documents', (s.documents || []).length], ['Templates on record', (s.samples || []).length],
               ['Fingers enrolled', fingers.filter(f => f.status === 'enrolled').length]])),
      h('section', { 'aria-labelledby': 'faces' }, h('h2', { id: 'faces' }, 'Faces'),
        kept.length ? h('div', { class: 'side' }, kept.slice(-2).map(x => photoFigure(`${x.source} photo, ${x.captured_at}`, { sample: x.id })))
          : h('div', { class: 'noimg' }, 'not retained'))),
    h('section', { class: 'card', 'aria-labelledby': 'tl' }, h('h2', { id: 'tl' }, 'Timeline'),
      h('ol', { class: 'timeline', id: 'timeline' }, events.map(ev => h('li', {},
        ev.at ? h('time', { datetime: ev.at }, ev.at.replace('T', ' ').replace('Z', ' UTC')) : null,
        h('strong', {}, ev.what + ': '), ev.text, ' ',
        ev.flag ? [badge(ev.flag.status), ' ', h('a', { href: `#/flag/${ev.flag.id}` }, `review flag ${ev.flag.id}`)] : null)))),
    table('Documents', [
      { key: 'type', label: 'Type' }, { key: 'issuing_state', label: 'State' }, { key: 'number', label: 'Number' },
      { key: 'nationality', label: 'Nationality' }, { key: 'expiry_date', label: 'Expires' },
      { key: 'checks_failed', label: 'Checks failed', fmt: r => r.checks_failed || 'none' }], s.documents || []),
    fingerTable('Fingerprints recorded', fingers, { id: 'fingers' }));
}
