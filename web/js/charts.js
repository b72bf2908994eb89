// charts.js: live time-series charts on uPlot (web/vendor/uPlot.js, copied
// from the npm package by `make deps`). When the library is missing the
// charts say so and the rest of the page works.
//
// SPDX-License-Identifier: MIT

import { h } from './ui.js';

let uPlotPromise = null;

function loadUPlot() {
  if (!uPlotPromise) {
    uPlotPromise = import('../vendor/uPlot.js').then((m) => m.default);
  }
  return uPlotPromise;
}

// Colours that stay apart for readers with the common colour-vision
// deficiencies (Okabe-Ito), then two greys.
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#8C6D00', '#555555', '#999999'];

// A live chart in @host: @series names its lines, @unit labels the y axis,
// @fmt formats a value. push(t, values) adds a point (t in seconds, values
// in the order of @series, null for a gap) and drops points older than
// @windowSeconds. The y axis starts at 0 and reaches at least @minTop. Resolves once the chart is drawn (or
// the library failed to load: then the chart is a notice).
export async function liveChart(host, { title, series, unit, fmt, windowSeconds, minTop }) {
  const data = [[], ...series.map(() => [])];
  let plot = null;
  const box = h('div', { class: 'chart-plot' });
  host.replaceChildren(box);
  try {
    const uPlot = await loadUPlot();
    const width = () => Math.max(240, host.clientWidth - 8);
    plot = new uPlot(
      {
        title,
        width: width(),
        height: 220,
        cursor: { focus: { prox: 16 } },
        legend: { live: true },
        scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max((max || 0) * 1.1, minTop)] } },
        axes: [
          {},
          { label: unit, size: 64, values: (u, vals) => vals.map((v) => fmt(v)) },
        ],
        series: [
          {},
          ...series.map((name, i) => ({
            label: name,
            stroke: PALETTE[i % PALETTE.length],
            width: 2,
            spanGaps: false,
            value: (u, v) => (v == null ? '—' : fmt(v)),
          })),
        ],
      },
      data,
      box,
    );
    const ro = new ResizeObserver(() => plot.setSize({ width: width(), height: 220 }));
    ro.observe(host);
  } catch (e) {
    host.replaceChildren(
      h('p', { class: 'notice' }, `${title}: the chart library could not be loaded (${e.message}); run make deps.`),
    );
  }
  return {
    points: () => data[0].length,
    push(t, values) {
      data[0].push(t);
      values.forEach((v, i) => data[i + 1].push(v));
      while (data[0].length > 0 && data[0][0] < t - windowSeconds) {
        for (const col of data) col.shift();
      }
      if (plot) plot.setData(data);
      // For tests and the curious: how many points, and the last ones.
      host.dataset.points = String(data[0].length);
      host.dataset.last = JSON.stringify(values);
    },
  };
}
