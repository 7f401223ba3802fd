// fingers.js - fingerprints in the console (issue 17): what was recorded per finger (a traveller's
// finger samples: position, status, quality, coded problems, never a template), what an
// encounter did with prints, and the officer's look-up by a finger (POST /v1/lookup/fingers).
import { api, h, table, facts, errorBox, field, announce } from './console.js';

// ANSI/NIST-ITL finger positions 1-10
export const FINGER_NAMES = ['', 'right thumb', 'right index', 'right middle', 'right ring', 'right little',
  'left thumb', 'left index', 'left middle', 'left ring', 'left little'];
export const fingerName = p => (FINGER_NAMES[p] ? `${FINGER_NAMES[p]} (${p})` : `position ${p}`);

// finger.h's BEX_FINGER_* problem bits, as bex_finger_problem_code names them
const PROBLEMS = ['too dry', 'too wet', 'partial', 'small area', 'few minutiae', 'low contrast'];
export function problemsText(bits) {
  const n = Number(bits) || 0;
  const out = PROBLEMS.filter((_, i) => n & (1 << i));
  if (n >> PROBLEMS.length) out.push(`code ${n >> PROBLEMS.length << PROBLEMS.length}`);
  return out.length ? out.join(', ') : 'none';
}

// encounters.prints: whether an entry took prints
const PRINTS = { taken: 'taken', under_age: 'not taken: under the minimum age', citizen: 'not taken: a citizen',
  not_required: 'not taken: not required here' };
export const printsText = p => (p ? PRINTS[p] || p : null);
export const fmrText = v => (v === null || v === undefined ? null : Number(v).toExponential(2));

// A table of finger samples (GET /v1/subject's finger_samples rows); a kept image is shown when
// the officer asks (GET /v1/finger/image: an audited read, answered as PNG), below the table.
export function fingerTable(caption, rows, attrs = {}) {
  const shown = h('div', { class: 'side finger-images' });
  const show = r => {
    const b = h('button', { type: 'button', class: 'secondary', 'data-sample': r.id }, `Show ${FINGER_NAMES[r.position] || 'finger'}`);
    b.addEventListener('click', async () => {
      b.disabled = true;
      const cap = `${fingerName(r.position)}, ${r.source} ${r.captured_at}`;
      const box = h('div', { class: 'noimg' }, 'Loading…');
      const fig = h('figure', {}, box, h('figcaption', {}, cap));
      shown.append(fig);
      try {
        const res = await api('/v1/finger/image', { query: { sample: r.id }, raw: true });
        if (res.ok && res.headers.get('Content-Type') === 'image/png') {
          box.replaceWith(h('img', { src: URL.createObjectURL(await res.blob()), alt: `Fingerprint: ${cap}`, class: 'fingerimg' }));
          announce(`Fingerprint shown: ${cap}`);
          return;
        }
        const body = await res.json().catch(() => null);
        box.textContent = res.status === 404 ? 'not retained' : (body && body.error) || `HTTP ${res.status}`;
      } catch (e) { box.textContent = String(e.message || e); }
    });
    return b;
  };
  return h('div', {}, table(caption, [
    { key: 'position', label: 'Finger', fmt: r => fingerName(r.position) },
    { key: 'status', label: 'Status' },
    { key: 'quality', label: 'Quality', num: true, fmt: r => (r.quality === null || r.quality === undefined ? '—' : r.quality) },
    { key: 'problems', label: 'Problems', fmt: r => problemsText(r.problems) },
    { key: 'source', label: 'Taken at' },
    { key: 'encounter', label: 'Encounter', num: true },
    { key: 'captured_at', label: 'Captured' },
    { key: 'image_kept', label: 'Image kept', fmt: r => (r.image_kept ? ['yes ', show(r)] : 'no') },
  ], rows, attrs), shown);
}

// The look-up by finger: one finger's image (position, file, optional resolution), optionally a
// traveller or a document number for 1:1 (a document's holder found by GET /v1/lookup).
export function fingerLookupForm() {
  const pos = h('select', { id: 'finger-position', name: 'finger-position' },
    FINGER_NAMES.slice(1).map((n, i) => h('option', { value: i + 1, selected: i + 1 === 2 }, `${i + 1} ${n}`)));
  const file = h('input', { id: 'finger-file', name: 'finger-file', type: 'file', required: true,
    accept: '.tif,.tiff,.wsq,.png,.jpg,.jpeg,.pgm,image/tiff,image/png,image/jpeg' });
  const ppi = h('input', { id: 'finger-ppi', name: 'finger-ppi', type: 'number', min: 100, max: 2000, step: 1, size: 5 });
  const subj = h('input', { id: 'finger-subject', name: 'finger-subject', inputmode: 'numeric', maxlength: 18, size: 8, autocomplete: 'off' });
  const doc = h('input', { id: 'finger-document', name: 'finger-document', maxlength: 20, spellcheck: 'false', autocomplete: 'off' });
  const form = h('form', { class: 'card filters', id: 'lookup-finger', role: 'search', 'aria-label': 'By fingerprint' },
    field('Finger', pos), field('Image (TIFF, WSQ, PNG, JPEG)', file), field('Resolution, ppi (optional)', ppi),
    field('Traveller number (optional)', subj), field('or document number (optional)', doc),
    h('div', {}, h('button', { type: 'submit' }, 'Look up by finger')));
  const res = h('section', { id: 'finger-result', 'aria-live': 'polite', 'aria-label': 'Fingerprint look-up result' });
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    const btn = form.querySelector('button');
    btn.disabled = true;
    res.replaceChildren(h('p', { class: 'help' }, 'Comparing…'));
    try {
      res.replaceChildren(...await lookUp(Number(pos.value), file.files[0], ppi.value.trim(), subj.value.trim(), doc.value.trim()));
    } catch (e) {
      res.replaceChildren(errorBox(e));
      announce(`Fingerprint look-up refused: ${e.message}`);
    } finally { btn.disabled = false; }
  });
  return [form, res];
}

class Refusal extends Error {} // a look-up the page refuses before sending it

async function lookUp(position, file, ppi, subject, document) {
  if (!file) throw new Refusal('choose the finger image file');
  if (subject && !/^[1-9][0-9]{0,17}$/.test(subject)) throw new Refusal('a traveller number is a whole number');
  if (subject && document) throw new Refusal('give a traveller number or a document number, not both');
  let holder = subject || null;
  if (document) { // the document's holder: 1:1 against that traveller's fingers
    const d = await api('/v1/lookup', { query: { document } });
    const subjects = [...new Set((d.hits || []).map(x => x.subject))];
    if (!subjects.length) throw new Refusal(`no document ${document} is on record`);
    if (subjects.length > 1) throw new Refusal(`document ${document} names ${subjects.length} travellers: give the traveller number`);
    holder = subjects[0];
  }
  const form = new FormData();
  form.append(`finger${position}`, file, file.name);
  if (ppi) form.append('finger_ppi', ppi);
  const d = await api('/v1/lookup/fingers', { method: 'POST', form, query: { subject: holder } });
  const f = d.finger || {};
  const found = f.match && d.subject;
  const gallery = f.gallery === 'holder' ? `traveller ${holder}'s fingers (1:1)`
    : `every enrolled traveller (1:N, ${f.gallery_size} in the gallery)`;
  const best = d.subject || f.subject; // the best-scoring candidate, a match or not
  announce(found ? `Fingerprint look-up: traveller ${d.subject}` : 'Fingerprint look-up: no match');
  return [
    h('h2', { id: 'finger-title' }, found ? 'Found by finger' : 'No match by finger'),
    h('div', { class: 'card' }, facts([
      ['Decision', h('span', { id: 'finger-decision', class: found ? 'ok' : 'warn' },
        found ? 'match' + (f.ambiguous ? ' (ambiguous: another traveller also scores high)' : '')
          : 'no match' + (f.ambiguous ? ' (ambiguous)' : ''))],
      ['Traveller', found ? h('a', { id: 'finger-subject-link', href: `#/subject/${d.subject}` }, `Traveller ${d.subject}`) : 'none found'],
      ['Best candidate', best ? [h('a', { href: `#/subject/${best}` }, `traveller ${best}`), found ? '' : ' (below the threshold: not this traveller by finger)'] : 'none (no enrolled fingers to compare)'],
      ['Compared with', gallery],
      ['Finger FMR', fmrText(f.finger_fmr)], ['Fused FMR', fmrText(f.fused_fmr)], ['Target FMR', fmrText(f.target_fmr)],
      ['Operating point', f.operating_point]])),
    table('Finger scores', [
      { key: 'position', label: 'Finger', fmt: r => fingerName(r.position) },
      { key: 'score', label: 'Score', num: true, fmt: r => Number(r.score).toFixed(4) }], f.fingers || [], { id: 'finger-scores' }),
  ];
}
