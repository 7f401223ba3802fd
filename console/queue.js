// queue.js - the review queue (open flags, newest first, filtered by kind, port and date, paged
// by key: ?before=ID) and one flag's review: the live capture beside the document photo and the
// candidates, the scores and operating point, the encounter's data and chip check, and the
// officer's decisions, each one key press.
import { api, h, table, facts, errorBox, field, announce, onLeave, state, ApiError } from './console.js';
import { fingerTable, printsText, fmrText } from './fingers.js';

export const FLAG_KINDS = ['impostor_suspected', 'two_identities', 'biographic_mismatch', 'document_problem',
  'manifest_mismatch', 'document_shared', 'not_matched', 'not_on_manifest', 'document_photo_unusable', 'no_photo',
  'outside_departure_window', 'gate_log_forged', 'gate_log_replayed', 'score_drift', 'chip_data_group_altered',
  'chip_signature_invalid', 'chip_unknown_signer', 'chip_expired_signer', 'chip_revoked', 'chip_malformed',
  'chip_mrz_mismatch', 'chip_authentication_failed', 'fingerprints_incomplete'];
const PAGE = 25;

export const words = s => (s || '').replace(/_/g, ' ');
export const badge = st => h('span', { class: 'badge ' + st }, st);

function select(id, options, value) {
  return h('select', { id, name: id }, options.map(([v, t]) => h('option', { value: v, selected: v === value }, t)));
}

// The filters live in the hash's query: #/queue?kind=..&port=..&since=..&until=..&status=..
function filtersFromHash() {
  const q = new URLSearchParams(location.hash.split('?')[1] || '');
  return { status: q.get('status') || 'open', kind: q.get('kind') || '', port: q.get('port') || '',
           since: q.get('since') || '', until: q.get('until') || '' };
}

export async function renderQueue(root) {
  const f = filtersFromHash();
  const form = h('form', { class: 'card filters', id: 'queue-filters', role: 'search', 'aria-label': 'Filter the flags' },
    field('Status', select('status', [['open', 'open'], ['referred', 'referred'], ['confirmed', 'confirmed'],
                                       ['cleared', 'cleared'], ['', 'any']], f.status)),
    field('Kind', select('kind', [['', 'any kind'], ...FLAG_KINDS.map(k => [k, words(k)])], f.kind)),
    field('Port', h('input', { id: 'port', name: 'port', value: f.port, size: 6, maxlength: 8, autocomplete: 'off' })),
    field('From (date)', h('input', { id: 'since', name: 'since', type: 'date', value: f.since })),
    field('To (date)', h('input', { id: 'until', name: 'until', type: 'date', value: f.until })),
    h('div', {}, h('button', { type: 'submit' }, 'Filter')));
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const k of ['status', 'kind', 'port', 'since', 'until']) { const v = form.elements[k].value.trim(); if (v) q.set(k, k === 'port' ? v.toUpperCase() : v); }
    location.hash = '#/queue?' + q.toString();
  });
  const list = h('div', { id: 'queue-list' });
  root.replaceChildren(h('h1', {}, 'Review queue'),
    h('p', { class: 'help' }, 'Flags newest first. Open one with its link, or move with ', h('kbd', {}, 'j'), '/', h('kbd', {}, 'k'),
      ' and open with ', h('kbd', {}, 'Enter'), '.'), form, list);
  const pages = [null]; // the "before" of each page seen, for going back
  let at = 0, rows = [], sel = -1;
  const officer = state.session.role === 'officer';
  async function load() {
    const query = { status: f.status, kind: f.kind, port: f.port, limit: PAGE,
      since: f.since ? f.since + 'T00:00:00Z' : '', until: f.until ? f.until + 'T23:59:59Z' : '' };
    if (pages[at] !== null) { if (typeof pages[at] === 'object') query.offset = pages[at].offset; else query.before = pages[at]; }
    let d;
    try { d = await api('/v1/flags', { query }); } catch (e) { list.replaceChildren(errorBox(e)); return; }
    rows = d.flags || [];
    sel = -1;
    // keyset paging (next_before) where the service has it, else offsets
    let next = null;
    if (d.next_before) next = d.next_before;
    else if (rows.length === PAGE) next = { offset: (pages[at] && pages[at].offset || 0) + PAGE };
    const tbl = table(`Flags (${d.total ?? rows.length} in all)`, [
      { key: 'id', label: 'Flag', num: true },
      { key: 'created_at', label: 'Raised (UTC)', fmt: r => r.created_at.replace('T', ' ').replace('Z', '') },
      { key: 'kind', label: 'Kind', fmt: r => words(r.kind) },
      { key: 'port', label: 'Port' },
      { key: 'status', label: 'Status', fmt: r => badge(r.status) },
      { key: 'detail', label: 'Detail' },
      { key: 'open', label: 'Review', fmt: r => officer ? h('a', { href: `#/flag/${r.id}`, class: 'review' }, `Review flag ${r.id}`) : '' },
    ], rows, { id: 'flags' });
    const prev = h('button', { type: 'button', class: 'secondary', disabled: at === 0 }, 'Newer');
    const nextB = h('button', { type: 'button', class: 'secondary', disabled: !next, id: 'older' }, 'Older');
    prev.addEventListener('click', () => { at--; load(); });
    nextB.addEventListener('click', () => { pages[at + 1] = next; at++; load(); });
    list.replaceChildren(tbl, h('div', { class: 'pager' }, prev, nextB, h('span', {}, `Page ${at + 1}`)));
    announce(`${rows.length} flags shown`);
  }
  function mark() {
    const trs = [...list.querySelectorAll('tbody tr')];
    trs.forEach((tr, i) => tr.classList.toggle('selected', i === sel));
    const a = trs[sel] && trs[sel].querySelector('a');
    if (a) a.focus();
  }
  const keys = ev => {
    if (ev.altKey || ev.ctrlKey || ev.metaKey || /^(INPUT|SELECT|TEXTAREA)$/.test(ev.target.tagName)) return;
    if (ev.key === 'j' && sel < rows.length - 1) { sel++; mark(); }
    else if (ev.key === 'k' && sel > 0) { sel--; mark(); }
  };
  document.addEventListener('keydown', keys);
  onLeave(() => document.removeEventListener('keydown', keys));
  await load();
}

// ---- one flag ----

// A photo from the service (GET /v1/photo), shown from a blob: URL; "not retained" when
// retention did not keep it, never a broken image.
export function photoFigure(caption, query) {
  const box = h('div', { class: 'noimg' }, 'Loading…');
  const fig = h('figure', {}, box, h('figcaption', {}, caption));
  (async () => {
    try {
      let r = await api('/v1/photo', { query, raw: true });
      // a chip's JPEG 2000, which browsers cannot draw: asked for again as PNG, converted by the service
      if (r.ok && r.headers.get('Content-Type') === 'image/jp2') r = await api('/v1/photo', { query: { ...query, as: 'png' }, raw: true });
      if (r.ok && (r.headers.get('Content-Type') || '').startsWith('image/')) {
        const type = r.headers.get('Content-Type');
        const url = URL.createObjectURL(await r.blob());
        const img = h('img', { src: url, alt: caption });
        // a format this browser cannot draw (a chip's JPEG 2000): said so, never a broken image
        img.addEventListener('error', () => {
          box.textContent = `kept, but this browser cannot show ${type === 'image/jp2' ? 'JPEG 2000' : type}`;
          img.replaceWith(box);
        });
        box.replaceWith(img);
        return;
      }
      const body = await r.json().catch(() => null);
      box.textContent = body && body.retained === false ? 'not retained' : r.status === 404 ? 'not retained' : 'no photo';
      box.setAttribute('aria-label', `${caption}: ${box.textContent}`);
    } catch (e) { box.textContent = 'no photo'; }
  })();
  return fig;
}

const num = (v, d = 3) => (v === null || v === undefined ? '—' : Number(v).toFixed(d));

// One candidate's 1:1 comparison with the live capture (GET /v1/candidates): its score, the
// threshold, the operating point and the decision, beside its photo.
function candidateScores(c, cands) {
  if (!c) return h('p', { class: 'help' }, 'not compared: no score from the service');
  const gone = cands.template === 'gone';
  const score = c.score === null ? `— (${gone ? cands.reason || 'the capture is gone' : 'no sample to compare'})`
    : num(c.score) + (c.own_capture ? ' (this capture itself)' : '');
  const verdict = c.score === null ? 'not compared' : c.match ? 'match' : 'no match';
  const row = (k, v, cls) => [h('dt', {}, k), h('dd', { class: cls }, v)];
  return h('dl', { class: 'facts cand', 'data-subject': c.subject },
    row('Score', score, 'score'), row('Threshold', num(c.threshold), 'threshold'),
    row('Operating point', c.operating_point, 'op'), row('Calibration', c.calibration, 'cal'),
    row('Decision', verdict, 'match'));
}

function chipText(e) {
  if (!e.chip_check || e.chip_check === 'no_chip') return 'no chip read';
  const d = e.chip_detail || {};
  const pa = d.passive_authentication || {};
  return [e.chip_check, pa.message, d.mrz && d.mrz.message].filter(Boolean).join(' — ');
}

let notice = null; // the last decision's outcome, shown again once the flag is drawn anew

export async function renderFlag(root, [id]) {
  root.replaceChildren(h('p', {}, 'Loading flag ' + id + '…'));
  // the flag itself: from the queue (by id: the newest flags up to it)
  const fl = await api('/v1/flags', { query: { before: Number(id) + 1, limit: 1, status: '' } }).catch(() => null);
  let flag = fl && fl.flags && fl.flags.find(f => String(f.id) === id);
  if (!flag) { // a service without keyset paging: look through the queue
    for (let off = 0; off < 5000 && !flag; off += 1000) {
      const d = await api('/v1/flags', { query: { limit: 1000, offset: off } });
      flag = (d.flags || []).find(f => String(f.id) === id);
      if ((d.flags || []).length < 1000) break;
    }
  }
  if (!flag) throw new ApiError(404, `flag ${id} is not on record`);
  const enc = flag.encounter ? await api('/v1/encounter', { query: { id: flag.encounter } }) : null;
  const e = enc ? enc.encounter : null;
  const subjects = await Promise.all((flag.subjects || []).map(s => api('/v1/subject', { query: { id: s } }).catch(() => null)));
  // each candidate scored 1:1 against the live capture; those the flag does not name (the
  // encounter's own traveller, its document's holder) shown too
  const cands = e ? await api('/v1/candidates', { query: { encounter: e.id } }).catch(() => null) : null;
  const scored = new Map(((cands && cands.candidates) || []).map(c => [c.subject, c]));
  const others = [...scored.keys()].filter(s => !(flag.subjects || []).includes(s));
  const candidates = subjects.concat(await Promise.all(others.map(s =>
    api('/v1/subject', { query: { id: s } }).catch(() => null))));
  // the fingers this encounter recorded (its travellers' finger samples; never a template)
  const encFingers = e ? candidates.filter(Boolean).flatMap(s => (s.finger_samples || []).filter(f => f.encounter === e.id)) : [];
  const out = h('p', { id: 'decision-result', role: 'status', 'aria-live': 'polite' });
  if (notice && notice.id === id) { out.className = 'ok'; out.textContent = notice.text; notice = null; }
  const actions = h('div', { class: 'actions', id: 'decide-actions', role: 'group', 'aria-label': 'Decisions' });
  const KEYS = {};
  function action(key, label, run, cls) {
    const b = h('button', { type: 'button', class: cls, 'aria-keyshortcuts': key, 'data-action': label.toLowerCase().split(' ')[0] },
      label, h('kbd', { 'aria-hidden': 'true' }, key));
    b.addEventListener('click', async () => {
      for (const x of actions.querySelectorAll('button')) x.disabled = true;
      try {
        await run();
        notice = { id, text: `${label}: done.` };
        announce(notice.text);
        await route();
      } catch (err) {
        out.className = 'error';
        out.textContent = `${label}: ${err.message}`;
        for (const x of actions.querySelectorAll('button')) x.disabled = false;
      }
    });
    KEYS[key] = b;
    actions.append(b);
  }
  const route = () => renderFlag(root, [id]).catch(err => root.replaceChildren(errorBox(err)));
  const setStatus = st => () => api('/v1/flags/status', { method: 'POST', query: { id: flag.id, status: st } });
  if (flag.status !== 'confirmed') action('c', 'Confirm flag', setStatus('confirmed'), 'danger');
  if (flag.status !== 'cleared') action('x', 'Clear flag', setStatus('cleared'));
  if (flag.status !== 'referred') action('r', 'Refer to secondary', setStatus('referred'), 'secondary');
  if (flag.status !== 'open') action('o', 'Reopen flag', setStatus('open'), 'secondary');
  if (e && e.direction === 'entry' && e.decision === 'referred') {
    action('a', 'Admit entry', () => api('/v1/decide', { method: 'POST', query: { encounter: e.id, decision: 'admit' } }));
    action('f', 'Refuse entry', () => api('/v1/decide', { method: 'POST', query: { encounter: e.id, decision: 'refuse' } }), 'danger');
  }
  // an exit that matched nobody: the officer names the traveller among the candidates
  const overrideTargets = e && e.direction === 'exit' && e.outcome !== 'matched' && e.outcome !== 'officer_override'
    ? subjects.filter(Boolean) : [];
  overrideTargets.slice(0, 9).forEach((s, i) =>
    action(String(i + 1), `Override exit: traveller ${s.subject}`, () =>
      api('/v1/override', { method: 'POST', query: { encounter: e.id, subject: s.subject } }), 'secondary'));
  // the next open flag below this one in the queue (older): a night shift works down the queue
  const next = h('button', { type: 'button', class: 'secondary', id: 'next-flag', 'aria-keyshortcuts': 'n' },
    'Next open flag', h('kbd', { 'aria-hidden': 'true' }, 'n'));
  next.addEventListener('click', async () => {
    try {
      const d = await api('/v1/flags', { query: { status: 'open', before: flag.id, limit: 1 } });
      const f = (d.flags || [])[0];
      if (f) location.hash = `#/flag/${f.id}`;
      else { out.className = ''; out.textContent = 'No older open flag: the queue is done.'; announce(out.textContent); }
    } catch (err) { out.className = 'error'; out.textContent = err.message; }
  });
  KEYS.n = next;
  const keys = ev => {
    if (ev.altKey || ev.ctrlKey || ev.metaKey || /^(INPUT|SELECT|TEXTAREA)$/.test(ev.target.tagName)) return;
    const b = KEYS[ev.key];
    if (b && !b.disabled) { ev.preventDefault(); b.click(); }
  };
  document.addEventListener('keydown', keys);
  onLeave(() => document.removeEventListener('keydown', keys));

  const photos = [];
  if (e) {
    photos.push(photoFigure(`Live capture, encounter ${e.id} (${e.direction}, ${e.port})`, { encounter: e.id, kind: 'live' }));
    if (e.document) {
      // a chip that failed its check: the photo is what the chip carried, not the issuer's
      const chip = e.chip_check && e.chip_check !== 'no_chip'
        ? (e.chip_check === 'authentic' ? 'chip photo, chip authentic' : `chip photo, NOT VERIFIED: ${e.chip_check.replace(/_/g, ' ')}`)
        : 'document photo';
      photos.push(photoFigure(`Presented ${chip}, document ${e.document}`, { encounter: e.id, kind: 'document' }));
    }
  }
  for (const s of candidates.filter(Boolean)) {
    const kept = (s.samples || []).filter(x => x.image_kept && x.source !== 'document');
    const d = (s.documents || [])[0] || {};
    const name = [d.surname, d.given_names].filter(Boolean).join(', ');
    const cap = `Candidate: traveller ${s.subject}${name ? ' — ' + name : ''}${d.nationality ? ' (' + d.nationality + ')' : ''}`;
    const fig = kept.length ? photoFigure(cap, { sample: kept[kept.length - 1].id })
      : h('figure', {}, h('div', { class: 'noimg', role: 'img', 'aria-label': cap + ': not retained' }, 'not retained'), h('figcaption', {}, cap));
    if (cands) fig.append(candidateScores(scored.get(s.subject), cands));
    photos.push(fig);
  }
  root.replaceChildren(
    h('h1', {}, `Flag ${flag.id}: ${words(flag.kind)} `, badge(flag.status)),
    h('p', { class: 'help' }, h('a', { href: '#/queue' }, '← Back to the queue')),
    h('section', { class: 'card', 'aria-labelledby': 'why' }, h('h2', { id: 'why' }, 'Why it was raised'),
      facts([['Detail', flag.detail], ['Raised', flag.created_at], ['Port', flag.port],
             ['Travellers', (flag.subjects || []).map((s, i) => [i ? ', ' : '', h('a', { href: `#/subject/${s}` }, `traveller ${s}`)])],
             ['Documents', (flag.documents || []).join(', ')]])),
    h('section', { 'aria-labelledby': 'ph' }, h('h2', { id: 'ph' }, 'Faces side by side'), h('div', { class: 'side' }, photos)),
    e ? h('section', { class: 'card', 'aria-labelledby': 'match' }, h('h2', { id: 'match' }, 'The comparison'),
      facts([['Outcome', words(e.outcome)], ['Decision', words(e.decision)], ['Score', num(e.score)],
             ['Threshold', num(e.threshold)], ['Operating point', e.operating_point],
             ['Gallery', e.gallery ? `${e.gallery} (${e.gallery_size} template${e.gallery_size === 1 ? '' : 's'})` : null],
             ['Calibration', e.calibration_id ? `store calibration ${e.calibration_id}` : 'shipped table']])) : null,
    e ? h('section', { class: 'card', 'aria-labelledby': 'enc' }, h('h2', { id: 'enc' }, `Encounter ${e.id}`),
      facts([['Direction', e.direction], ['At', e.at], ['Port', `${e.port} (${e.port_kind})`],
             ['Carrier / voyage', [e.carrier, e.voyage].filter(Boolean).join(' ') || null], ['Class', e.class],
             ['Admit until', e.admit_until], ['Citizen', e.citizen ? 'yes' : 'no'], ['Chip check', chipText(e)],
             ['Fingerprints', printsText(e.prints) || (e.direction === 'entry' ? 'not recorded' : null)],
             ['Finger FMR', e.finger_fmr != null ? `${fmrText(e.finger_fmr)} (a finger decided this exit)` : null]]),
      encFingers.length ? fingerTable(`Fingers recorded at encounter ${e.id}`, encFingers, { id: 'encounter-fingers' }) : null) : null,
    h('section', { class: 'card', 'aria-labelledby': 'dec' }, h('h2', { id: 'dec' }, 'Decide'),
      h('p', { class: 'help' }, 'Each decision is one key: the key is shown on its button. Every decision is audited under your key.'),
      actions, h('div', { class: 'actions' }, next), out));
}
