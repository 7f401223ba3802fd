// chart.js - hand-written SVG bar charts for the reports. A chart is a few dozen bars with
// labels: a library (and its licence and bundle) would add more than it saves. Each chart
// carries a title and a description for screen readers, and the same numbers are in the table
// beside it.
import { h } from './console.js';

// bars: [{label, value}] (or two series: value and value2); max: the axis' top (default the
// largest value); unit: appended to the value labels.
export function barChart(title, bars, { max, unit = '', series = null } = {}) {
  const rowH = 26, left = 110, right = 70, width = 640;
  const two = bars.some(b => b.value2 !== undefined);
  const top = 28, height = top + bars.length * rowH * (two ? 1.6 : 1) + 10;
  const m = max || Math.max(1e-9, ...bars.map(b => Math.max(b.value || 0, b.value2 || 0)));
  const scale = v => ((width - left - right) * Math.max(0, v || 0)) / m;
  const id = 'c' + Math.random().toString(36).slice(2, 8);
  const svg = h('svg:svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': `${id}t ${id}d` },
    h('svg:title', { id: `${id}t` }, title),
    h('svg:desc', { id: `${id}d` }, bars.map(b => `${b.label}: ${fmt(b.value)}${unit}${two ? ', ' + fmt(b.value2) + unit : ''}`).join('; ')),
    h('svg:text', { x: 0, y: 16, 'font-weight': '600' }, title),
    series ? h('svg:g', {}, series.map((s, i) => [
      h('svg:rect', { x: width - 260 + i * 130, y: 6, width: 12, height: 12, class: i ? 'bar2' : 'bar' }),
      h('svg:text', { x: width - 244 + i * 130, y: 16 }, s)])) : null,
    h('svg:line', { x1: left, y1: top - 4, x2: left, y2: height - 6, class: 'axis' }));
  bars.forEach((b, i) => {
    const y = top + i * rowH * (two ? 1.6 : 1);
    svg.append(h('svg:text', { x: left - 6, y: y + 15, 'text-anchor': 'end' }, b.label));
    svg.append(h('svg:rect', { x: left, y: y + 3, width: scale(b.value), height: two ? 16 : 18, class: 'bar' }));
    svg.append(h('svg:text', { x: left + scale(b.value) + 4, y: y + 16 }, fmt(b.value) + unit));
    if (two) {
      svg.append(h('svg:rect', { x: left, y: y + 20, width: scale(b.value2), height: 16, class: 'bar2' }));
      svg.append(h('svg:text', { x: left + scale(b.value2) + 4, y: y + 33 }, fmt(b.value2) + unit));
    }
  });
  return svg;
}

const fmt = v => (v === null || v === undefined ? '—' : Number.isInteger(v) ? String(v) : Number(v).toFixed(2));
