// The static parts of the leaderboard page (results/report_html.h): style, page script and the
// chart library. Private to results/.
//
// The page script reads only the markup and the JSON blocks report_html.cpp writes:
//   <script type="application/json" id="chart-data">
//     {"runs": [{"id", "label"}], "packs": [{"pack", "passk": [{"run", "points": [[k, value]]}],
//      "lengths": {"unit", "edges": [...], "series": [{"run", "counts": [...]}]}}]}
//   <script type="application/json" class="pack-data" data-pack-index="I">
//     {"problems": [{"prompt", "prompt_truncated", "runs": [{"run", "correct", "n",
//       "samples": [{"idx", "verdict", "extracted", "reason", "tokens", "completion", "truncated"}]}]}]}
// and inserts every database string with textContent, never as markup.
// Constants only: thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

namespace r1b::results {

// chart.js (UMD build), pinned by results/web/package-lock.json; the definition is generated at
// build time by results/web/embed.cmake. NUL-terminated; the size excludes the NUL.
extern const unsigned char kChartJsSource[];
extern const std::size_t kChartJsSourceSize;

inline std::string_view chart_js_source() {
  return {reinterpret_cast<const char*>(kChartJsSource), kChartJsSourceSize};
}

inline constexpr std::string_view kPageStyle = R"css(
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em; color: #1a1a1a; }
h1 { margin-bottom: 0.2em; }
.meta, .hint { color: #666; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ddd; padding: 3px 8px; vertical-align: top; }
th { background: #f4f4f4; cursor: pointer; user-select: none; white-space: nowrap; }
th[data-dir="asc"]::after { content: " \25B2"; }
th[data-dir="desc"]::after { content: " \25BC"; }
.scroll { overflow-x: auto; }
#leaderboard td { white-space: nowrap; }
td.pass1, td.consn, td.passn, td.cell { text-align: right; white-space: nowrap; }
td small { color: #777; }
tr.problem { cursor: pointer; }
tr.problem:hover, tr.problem.open { background: #f3f8ff; }
tr.detail > td { background: #fafafa; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; }
.chart { width: 520px; height: 300px; }
details.pack > summary { font-weight: 600; cursor: pointer; margin: 0.4em 0; }
pre { white-space: pre-wrap; word-break: break-word; max-height: 30em; overflow: auto;
      background: #fff; border: 1px solid #e4e4e4; padding: 6px; margin: 0.3em 0 0.8em; }
.sample-head { font-family: monospace; }
.verdict-correct { color: #17752a; } .verdict-wrong { color: #b3261e; }
.truncated { color: #b36b00; font-style: italic; }
)css";

inline constexpr std::string_view kPageScript = R"js(
(function () {
  'use strict';
  const body = document.body;
  body.dataset.rendered = 'running';
  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  };

  // Sorting: by data-value (numbers; empty sorts last) or else by text.
  function sortTable(table, col, th) {
    const dir = th.dataset.dir === 'desc' ? 'asc' : 'desc';
    table.querySelectorAll('th').forEach(h => delete h.dataset.dir);
    th.dataset.dir = dir;
    const tbody = table.tBodies[0];
    const rows = Array.from(tbody.rows).filter(r => !r.classList.contains('detail'));
    const key = r => {
      const c = r.cells[col];
      if (c.dataset.value !== undefined) return c.dataset.value === '' ? null : parseFloat(c.dataset.value);
      return c.textContent.trim().toLowerCase();
    };
    const sign = dir === 'asc' ? 1 : -1;
    rows.sort((a, b) => {
      const x = key(a), y = key(b);
      if (x === null || y === null) return (x === null) - (y === null);
      return x < y ? -sign : x > y ? sign : 0;
    });
    for (const r of rows) {
      const detail = r.nextElementSibling && r.nextElementSibling.classList.contains('detail') ? r.nextElementSibling : null;
      tbody.appendChild(r);
      if (detail) tbody.appendChild(detail);
    }
  }
  document.querySelectorAll('table.sortable').forEach(table => {
    Array.from(table.tHead.rows[0].cells).forEach((th, col) =>
      th.addEventListener('click', () => sortTable(table, col, th)));
  });

  const chartData = JSON.parse(document.getElementById('chart-data').textContent);
  const runLabel = new Map(chartData.runs.map(r => [r.id, r.label]));
  const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
  const color = id => palette[chartData.runs.findIndex(r => r.id === id) % palette.length];

  function addChart(box, config) {
    const wrap = el('div', undefined, 'chart');
    const canvas = el('canvas');
    wrap.appendChild(canvas);
    box.appendChild(wrap);
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options);
    new Chart(canvas, config);
  }
  const charts = document.getElementById('charts');
  if (typeof Chart === 'undefined') {
    charts.appendChild(el('p', 'The chart library did not load.'));
  } else {
    for (const p of chartData.packs) {
      const box = el('div', undefined, 'charts');
      charts.appendChild(el('h3', p.pack));
      charts.appendChild(box);
      const maxK = Math.max(1, ...p.passk.flatMap(s => s.points.map(pt => pt[0])));
      if (p.passk.length) addChart(box, {
        type: 'line',
        data: { datasets: p.passk.map(s => ({ label: runLabel.get(s.run), borderColor: color(s.run),
          backgroundColor: color(s.run), data: s.points.map(pt => ({ x: pt[0], y: 100 * pt[1] })) })) },
        options: { scales: { x: { type: maxK >= 16 ? 'logarithmic' : 'linear', title: { display: true, text: 'k' } },
                             y: { min: 0, max: 100, title: { display: true, text: 'pass@k (%)' } } },
                   plugins: { title: { display: true, text: 'pass@k' } } } });
      const len = p.lengths;
      if (len.series.length) addChart(box, {
        type: 'bar',
        data: { labels: len.edges.slice(0, -1).map((e, i) => e + '–' + len.edges[i + 1]),
                datasets: len.series.map(s => ({ label: runLabel.get(s.run), data: s.counts, backgroundColor: color(s.run) })) },
        options: { scales: { x: { title: { display: true, text: 'completion ' + len.unit } },
                             y: { title: { display: true, text: 'samples' } } },
                   plugins: { title: { display: true, text: 'response length' } } } });
    }
  }

  const packCache = new Map();
  function packData(index) {
    if (!packCache.has(index)) {
      const block = document.querySelector('script.pack-data[data-pack-index="' + index + '"]');
      packCache.set(index, JSON.parse(block.textContent));
    }
    return packCache.get(index);
  }
  function textBlock(parent, text, truncated) {
    const pre = el('pre', text);
    if (truncated) pre.appendChild(el('span', '\n(truncated)', 'truncated'));
    parent.appendChild(pre);
  }
  function toggleProblem(table, row) {
    const next = row.nextElementSibling;
    if (next && next.classList.contains('detail')) {
      next.remove();
      row.classList.remove('open');
      return;
    }
    const problem = packData(table.dataset.packIndex).problems[Number(row.dataset.index)];
    const tr = el('tr', undefined, 'detail');
    const td = tr.insertCell();
    td.colSpan = row.cells.length;
    td.appendChild(el('h4', 'Prompt'));
    textBlock(td, problem.prompt, problem.prompt_truncated);
    for (const r of problem.runs) {
      const shown = r.samples.length < r.n ? ' (' + r.samples.length + ' of ' + r.n + ' samples shown)' : '';
      td.appendChild(el('h4', runLabel.get(r.run) + ': ' + r.correct + '/' + r.n + ' correct' + shown));
      for (const s of r.samples) {
        const head = el('div', undefined, 'sample-head');
        head.appendChild(el('span', 'sample ' + s.idx + ' '));
        head.appendChild(el('span', s.verdict, 'verdict-' + s.verdict));
        head.appendChild(el('span', ' · extracted: ' + s.extracted + ' · reason: ' + s.reason +
          (s.tokens === null ? '' : ' · ' + s.tokens + ' tokens')));
        td.appendChild(head);
        textBlock(td, s.completion, s.truncated);
      }
    }
    row.after(tr);
    row.classList.add('open');
  }
  document.querySelectorAll('table.problems').forEach(table => {
    table.tBodies[0].addEventListener('click', ev => {
      const row = ev.target.closest('tr.problem');
      if (row) toggleProblem(table, row);
    });
  });
  if (location.hash === '#expand-all') {
    document.querySelectorAll('details.pack').forEach(d => { d.open = true; });
    document.querySelectorAll('table.problems').forEach(table =>
      Array.from(table.querySelectorAll('tr.problem')).forEach(row => toggleProblem(table, row)));
  }
  body.dataset.rendered = 'ok';
})();
)js";

}  // namespace r1b::results
