// reports.js - the analyst's pages: the overstay report (US or EU rule, DHS tables by country,
// class and port, a chart of each, CSV), match and capture rates (by port, day, age band, sex),
// and the evaluation's DET curves and calibration tables.
import { api, h, table, facts, errorBox, field, csvLink, announce } from './console.js';
import { barChart } from './chart.js';

const today = () => new Date().toISOString().slice(0, 10);
const pct = v => (v === null || v === undefined ? '—' : Number(v).toFixed(2));
// the columns of `bex overstays --format csv --by X`, in its order
const DHS = ['expected_departures', 'out_of_country_overstays', 'in_country_overstays', 'total_overstays',
  'total_overstay_rate', 'in_country_overstay_rate', 'no_exit_recorded'];
const DHS_LABEL = ['Expected departures', 'Out-of-country overstays', 'In-country overstays', 'Total overstays',
  'Total overstay rate (%)', 'In-country overstay rate (%)', 'No exit recorded'];
const LIST = ['subject', 'admission', 'document', 'nationality', 'class', 'port', 'entry', 'admit_until', 'exit', 'status', 'days_over'];

function hashQuery() { return new URLSearchParams(location.hash.split('?')[1] || ''); }

export async function renderOverstays(root) {
  const q = hashQuery();
  const asOf = q.get('as_of') || today(), policy = q.get('policy') || 'us';
  const form = h('form', { class: 'card filters', id: 'overstay-form' },
    field('As of', h('input', { id: 'as_of', name: 'as_of', type: 'date', value: asOf, required: true })),
    field('Rule', h('select', { id: 'policy', name: 'policy' },
      h('option', { value: 'us', selected: policy === 'us' }, 'US (DHS: admit-until date)'),
      h('option', { value: 'eu', selected: policy === 'eu' }, 'EU (90 days in any 180)'))),
    h('div', {}, h('button', { type: 'submit' }, 'Show report')));
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    location.hash = `#/reports/overstays?as_of=${form.elements.as_of.value}&policy=${form.elements.policy.value}`;
  });
  const out = h('div', { id: 'overstay-report' });
  root.replaceChildren(h('h1', {}, 'Overstay report'), form, out);
  let d;
  try { d = await api('/v1/overstays', { query: { as_of: asOf, policy } }); } catch (e) { out.replaceChildren(errorBox(e)); return; }
  const t = d.totals || {};
  const sections = [['country', 'by_country', 'By country of citizenship'], ['class', 'by_class', 'By class of admission'],
    ['port', 'by_port', 'By port of entry']];
  out.replaceChildren(
    h('section', { class: 'card', 'aria-labelledby': 'tot' }, h('h2', { id: 'tot' }, `Totals as of ${d.as_of}, ${d.policy.toUpperCase()} rule`),
      facts([['Admissions', t.admissions], ['Expected departures', t.expected_departures],
             ['Overstays (total)', t.total_overstays], ['In-country overstays', t.in_country_overstays],
             ['Out-of-country overstays', t.out_of_country_overstays], ['Total overstay rate', pct(t.total_overstay_rate) + ' %'],
             ['In-country overstay rate', pct(t.in_country_overstay_rate) + ' %'], ['No exit recorded', t.no_exit_recorded]])),
    ...sections.map(([k, key, title]) => {
      const rows = d[key] || [];
      return h('section', { class: 'card', 'aria-labelledby': `h-${k}` }, h('h2', { id: `h-${k}` }, title),
        h('div', {},
          table(null, [{ key: k, label: k[0].toUpperCase() + k.slice(1) },
            ...DHS.map((c, i) => ({ key: c, label: DHS_LABEL[i], num: true, fmt: c.endsWith('_rate') ? r => pct(r[c]) : null }))],
            rows, { id: `by-${k}`, 'aria-label': title }),
          h('div', { class: 'report-chart' }, barChart(`Overstays ${title.toLowerCase()}`, rows.map(r => ({ label: r[k], value: r.total_overstays, value2: r.in_country_overstays })),
            { series: ['total', 'in country'] }))),
        h('p', {}, csvLink(`overstays-${d.as_of}-${d.policy}-by-${k}.csv`, [k, ...DHS],
          rows.map(r => Object.fromEntries([[k, r[k]], ...DHS.map(c => [c, c.endsWith('_rate') ? pct(r[c]) : r[c]])])),
          `Download the table by ${k} (CSV)`)));
    }),
    h('section', { class: 'card', 'aria-labelledby': 'h-list' }, h('h2', { id: 'h-list' }, `Overstays (${(d.overstays || []).length})`),
      table(null, LIST.map(c => ({ key: c, label: c.replace(/_/g, ' '), num: c === 'days_over' })), d.overstays || [], { id: 'overstay-list' }),
      h('p', {}, csvLink(`overstays-${d.as_of}-${d.policy}.csv`, LIST, d.overstays || [], 'Download the list (CSV)'))));
  announce(`Overstay report as of ${d.as_of}: ${t.total_overstays} overstays`);
}

export async function renderRates(root) {
  const q = hashQuery();
  const to = q.get('to') || today();
  const from = q.get('from') || new Date(Date.parse(to) - 30 * 86400e3).toISOString().slice(0, 10);
  const by = q.get('by') || 'port';
  const form = h('form', { class: 'card filters', id: 'rates-form' },
    field('From', h('input', { id: 'from', name: 'from', type: 'date', value: from })),
    field('To', h('input', { id: 'to', name: 'to', type: 'date', value: to })),
    field('By', h('select', { id: 'by', name: 'by' }, [['port', 'port'], ['day', 'day'], ['age_band', 'age band'], ['sex', 'sex']]
      .map(([v, t]) => h('option', { value: v, selected: v === by }, t)))),
    h('div', {}, h('button', { type: 'submit' }, 'Show rates')));
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    location.hash = `#/reports/rates?from=${form.elements.from.value}&to=${form.elements.to.value}&by=${form.elements.by.value}`;
  });
  const out = h('div', { id: 'rates' });
  root.replaceChildren(h('h1', {}, 'Match and capture rates'),
    h('p', { class: 'help' }, 'Age bands at the crossing, from the document\'s birth date: children under 14 and adults over 79 are bands of their own.'),
    form, out);
  let d;
  try { d = await api('/v1/reports/rates', { query: { from, to, by } }); } catch (e) { out.replaceChildren(errorBox(e)); return; }
  const rows = d.rows || [];
  const cols = ['key', 'entries', 'exits', 'crossings', 'captured', 'matched', 'not_matched', 'no_photo', 'capture_rate', 'match_rate'];
  const r2 = v => (v === null || v === undefined ? '—' : (100 * v).toFixed(1) + ' %');
  out.replaceChildren(h('section', { class: 'card' },
    h('div', {},
      table(`By ${by.replace('_', ' ')}, ${d.from} to ${d.to}`, cols.map(c => ({ key: c, label: c === 'key' ? by.replace('_', ' ') : c.replace(/_/g, ' '),
        num: c !== 'key', fmt: c.endsWith('_rate') ? r => r2(r[c]) : null })), rows, { id: 'rates-table' }),
      h('div', { class: 'report-chart' }, barChart(`Capture and match rates by ${by.replace('_', ' ')}`, rows.map(r => ({ label: r.key, value: 100 * (r.capture_rate || 0),
        value2: 100 * (r.match_rate || 0) })), { max: 100, unit: '%', series: ['capture', 'match'] }))),
    h('p', {}, csvLink(`rates-${by}-${d.from}-${d.to}.csv`, cols, rows, 'Download the rates (CSV)'))));
}

export async function renderEval(root) {
  const out = h('div', { id: 'eval' });
  root.replaceChildren(h('h1', {}, 'Evaluation'),
    h('p', { class: 'help' }, 'The files of the latest evaluation (bex eval ...), served with bex serve --eval-dir: DET curves and calibration tables.'), out);
  let d;
  try { d = await api('/v1/eval/files'); } catch (e) {
    out.replaceChildren(e.status === 404 ? h('p', {}, 'No evaluation is served: start the service with its --eval-dir.') : errorBox(e));
    return;
  }
  // the curves first, then the tables
  const files = (d.files || []).map(f => (typeof f === 'string' ? { name: f } : f))
    .sort((a, b) => (b.name.endsWith('.svg') - a.name.endsWith('.svg')) || a.name.localeCompare(b.name));
  if (!files.length) { out.replaceChildren(h('p', {}, 'The evaluation folder holds no files.')); return; }
  out.replaceChildren(...files.map(f => {
    const sec = h('section', { class: 'card', 'aria-labelledby': 'e-' + f.name.replace(/[^A-Za-z0-9]/g, '-') },
      h('h2', { id: 'e-' + f.name.replace(/[^A-Za-z0-9]/g, '-') }, f.name), h('p', { class: 'help' }, 'Loading…'));
    (async () => {
      const r = await api('/v1/eval/file', { query: { name: f.name }, raw: true });
      const body = sec.lastChild;
      if (!r.ok) { body.textContent = `not available (HTTP ${r.status})`; return; }
      if (f.name.endsWith('.svg')) {
        const url = URL.createObjectURL(new Blob([await r.blob()], { type: 'image/svg+xml' }));
        body.replaceWith(h('img', { src: url, class: 'evalimg', alt: `${f.name}: a DET curve (false non-match rate against false match rate)` }));
      } else if (f.name.endsWith('.csv')) {
        const all = (await r.text()).trim().split('\n').map(l => l.split(','));
        const cols = all[0] || [], rows = all.slice(1), MAX = 40;
        // long tables (a DET curve's points) thinned to MAX rows evenly, the last kept
        const step = Math.max(1, Math.ceil(rows.length / MAX));
        const shown = rows.filter((_, i) => i % step === 0 || i === rows.length - 1);
        const num = v => (/^-?[0-9.]+(e-?[0-9]+)?$/i.test(v) && v.length > 8 ? String(Number(Number(v).toPrecision(5))) : v);
        body.replaceWith(h('div', {}, step > 1 ? h('p', { class: 'help' }, `${shown.length} of its ${rows.length} rows, evenly spaced.`) : null,
          table(null, cols.map((c, i) => ({ key: i, label: c, num: true })), shown.map(l => Object.assign({}, l.map(num))), { 'aria-label': f.name })));
      } else {
        body.replaceWith(h('pre', {}, (await r.text()).slice(0, 20000)));
      }
    })().catch(e => sec.append(errorBox(e)));
    return sec;
  }));
}
