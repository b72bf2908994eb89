// overview.js: the Overview page. Every few seconds it reads
// GET /api/v1/cluster (the nodes; 404 on a daemon without it: this node
// alone, from /readyz and /metrics), GET /readyz and GET /metrics (the
// Prometheus text: counts, cache, store, uptime, version, and the counters
// and histograms behind the live charts), without reloading the page.
//
// SPDX-License-Identifier: MIT

import * as api from './api.js';
import * as prom from './prom.js';
import { liveChart } from './charts.js';
import { bytes, count, defList, duration, h, percent, showError } from './ui.js';

const OPS = ['stat', 'list', 'create', 'mkdir', 'setattr', 'delete', 'rename', 'other'];
const WINDOW_SECONDS = 300; // the charts show the last five minutes

// The cards of figures from /metrics: [title, id, [[term, element id]]].
const FACT_CARDS = [
  ['Namespace', 'namespace', [['Inodes', 'ns-inodes'], ['Directories', 'ns-directories'], ['Files', 'ns-files']]],
  [
    'Cache',
    'cache',
    [['Size', 'cache-bytes'], ['Entries', 'cache-entries'], ['Hit ratio', 'cache-hit-ratio'], ['Evictions', 'cache-evictions']],
  ],
  ['Store', 'store', [['Size on disk', 'store-disk-bytes'], ['Transactions', 'store-transactions']]],
];

// How often the page polls, in ms: ?refresh=N in the page's URL (the
// tests use a short one), else 2 s.
function refreshMs() {
  const v = Number(new URLSearchParams(location.search).get('refresh'));
  return v >= 200 && v <= 60000 ? v : 2000;
}

function section(title, id, ...body) {
  return h('section', { class: 'card', id, 'aria-labelledby': `${id}-h` }, h('h2', { id: `${id}-h` }, title), ...body);
}

function fmtRate(v) {
  if (v == null) return '—';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function fmtLatency(v) {
  if (v == null) return '—';
  const ms = v * 1000;
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 1 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(3)} ms`;
}

export function mount(main) {
  const ctl = new AbortController();
  const errorBox = h('div', { class: 'error', role: 'alert', hidden: true, id: 'overview-error' });
  const metricsNote = h('p', { class: 'notice', id: 'metrics-note', hidden: true });
  const clusterNote = h('p', { class: 'notice', id: 'cluster-note', hidden: true });
  const updated = h('span', { id: 'updated' }, 'loading…');
  const set = (id, text) => {
    const el = main.querySelector(`#${id}`);
    if (el) el.textContent = text;
  };

  const nodeFacts = defList([
    ['Role', '—', 'node-role'],
    ['Health', '—', 'node-health'],
    ['Version', '—', 'node-version'],
    ['Uptime', '—', 'node-uptime'],
    ['Applied index', '—', 'node-applied'],
    ['Open connections', '—', 'http-connections'],
    ['HTTP requests', '—', 'http-requests'],
  ]);
  const clusterFacts = defList([
    ['Leader', '—', 'cluster-leader'],
    ['Term', '—', 'cluster-term'],
    ['Commit index', '—', 'cluster-commit'],
  ]);
  const nodesBody = h('tbody', { id: 'cluster-nodes' });
  const nodesTable = h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'grid' },
      h('caption', { class: 'visually-hidden' }, 'Nodes of the cluster'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Node', 'HTTP', 'Raft', 'Role', 'Leader', 'Health', 'Term', 'Commit', 'Applied', 'Last contact'].map((c) =>
            h('th', { scope: 'col' }, c),
          ),
        ),
      ),
      nodesBody,
    ),
  );
  const opsHost = h('div', { class: 'chart', id: 'chart-ops' });
  const latHost = h('div', { class: 'chart', id: 'chart-latency' });
  const chartsBox = h(
    'div',
    { class: 'charts', hidden: true },
    section('Operations per second', 'ops', opsHost),
    section('Latency (all operations)', 'latency', latHost),
  );

  main.replaceChildren(
    h('div', { class: 'page-head' }, h('h1', {}, 'Overview'), h('p', { class: 'muted' }, 'Updated ', updated)),
    errorBox,
    metricsNote,
    h(
      'div',
      { class: 'cards' },
      section('This node', 'node', nodeFacts),
      ...FACT_CARDS.map(([title, id, facts]) => section(title, id, defList(facts.map(([t, i]) => [t, '—', i])))),
      section('Cluster', 'cluster', clusterNote, clusterFacts, nodesTable),
    ),
    chartsBox,
  );

  let opsChart = null;
  let latChart = null;
  const chartsReady = Promise.all([
    liveChart(opsHost, { title: 'operations/s by kind', series: OPS, unit: 'ops/s', fmt: fmtRate, windowSeconds: WINDOW_SECONDS, minTop: 1 }),
    liveChart(latHost, { title: 'latency p50 / p99', series: ['p50', 'p99'], unit: 'latency', fmt: fmtLatency, windowSeconds: WINDOW_SECONDS, minTop: 0.001 }),
  ]).then(([a, b]) => {
    opsChart = a;
    latChart = b;
  });

  let prev = null; // {t, m}: the last metrics reading

  function renderNodes(cl, ready, m) {
    nodesBody.replaceChildren();
    const metric = (name) => (m ? prom.sum(m, name) : null);
    if (cl) {
      clusterNote.hidden = true;
      const leader = cl.nodes.find((n) => n.id === cl.leader_id);
      set('cluster-leader', leader ? `node ${leader.id} (${leader.http})` : 'none (no leader)');
      set('cluster-term', count(cl.term));
      const self = cl.nodes.find((n) => n.self);
      set('cluster-commit', count(self ? self.commit_index : metric('banyan_raft_commit_index')));
      for (const n of cl.nodes) {
        nodesBody.append(
          h(
            'tr',
            { class: n.self ? 'self' : null },
            h('th', { scope: 'row' }, `${n.id}${n.self ? ' (this node)' : ''}`),
            h('td', {}, n.self ? n.http : h('a', { href: `http://${n.http}/`, title: `the dashboard of node ${n.id}` }, n.http)),
            h('td', {}, n.raft),
            h('td', {}, n.state ? `${n.role} · ${n.state}` : n.role),
            h('td', {}, n.leader ? h('span', { class: 'badge leader' }, 'leader') : ''),
            h('td', {}, n.reachable ? h('span', { class: 'badge ok' }, 'reachable') : h('span', { class: 'badge bad' }, 'unreachable')),
            h('td', {}, count(n.term)),
            h('td', {}, count(n.commit_index)),
            h('td', {}, count(n.applied_index)),
            h('td', {}, n.self || n.last_contact_ms == null ? '—' : `${count(n.last_contact_ms)} ms`),
          ),
        );
      }
      return;
    }
    // A daemon without the cluster API: this node alone.
    clusterNote.textContent = 'This server has no cluster API (GET /api/v1/cluster); showing this node alone.';
    clusterNote.hidden = false;
    const isLeader = ready.role === 'leader' || metric('banyan_raft_is_leader') === 1;
    set('cluster-leader', isLeader ? 'this node' : ready.ready ? 'unknown' : 'none known (this node is not ready)');
    set('cluster-term', count(metric('banyan_raft_term')));
    set('cluster-commit', count(metric('banyan_raft_commit_index')));
    nodesBody.append(
      h(
        'tr',
        { class: 'self' },
        h('th', { scope: 'row' }, 'this node'),
        h('td', {}, location.host),
        h('td', {}, '—'),
        h('td', {}, ready.role || '—'),
        h('td', {}, isLeader ? h('span', { class: 'badge leader' }, 'leader') : ''),
        h('td', {}, ready.ready ? h('span', { class: 'badge ok' }, 'ready') : h('span', { class: 'badge bad' }, 'not ready')),
        h('td', {}, count(metric('banyan_raft_term'))),
        h('td', {}, count(metric('banyan_raft_commit_index'))),
        h('td', {}, count(ready.applied_index ?? metric('banyan_raft_applied_index'))),
        h('td', {}, '—'),
      ),
    );
  }

  function renderMetrics(m, t) {
    const v = (name, filter) => prom.sum(m, name, filter);
    const files = v('banyan_inodes', { type: 'file' });
    const dirs = v('banyan_inodes', { type: 'directory' });
    set('ns-inodes', count(files == null && dirs == null ? null : (files || 0) + (dirs || 0)));
    set('ns-directories', count(dirs));
    set('ns-files', count(files));
    set('cache-bytes', bytes(v('banyan_cache_bytes')));
    set('cache-entries', count(v('banyan_cache_entries')));
    const hits = v('banyan_cache_hits_total');
    const misses = v('banyan_cache_misses_total');
    set('cache-hit-ratio', hits != null && misses != null && hits + misses > 0 ? percent(hits / (hits + misses)) : '—');
    set('cache-evictions', count(v('banyan_cache_evictions_total')));
    set('store-disk-bytes', bytes(v('banyan_store_disk_bytes')));
    set('store-transactions', count(v('banyan_store_transactions_total')));
    set('http-connections', count(v('banyan_http_open_connections')));
    set('http-requests', count(v('banyan_http_requests_total')));
    const info = prom.select(m, 'banyan_build_info')[0];
    set('node-version', info ? info.labels.version : '—');
    const start = v('banyan_start_time_seconds');
    set('node-uptime', start ? duration(Date.now() / 1000 - start) : '—');

    if (prev && opsChart && latChart) {
      const dt = t - prev.t;
      const base = 'banyan_operation_duration_seconds';
      opsChart.push(
        t,
        OPS.map((op) => prom.rate(v(`${base}_count`, { op }), prom.sum(prev.m, `${base}_count`, { op }), dt)),
      );
      const d = prom.histogramDelta(prom.histogram(m, base), prom.histogram(prev.m, base));
      latChart.push(t, [prom.quantile(0.5, d), prom.quantile(0.99, d)]);
    }
    prev = { t, m };
  }

  async function tick() {
    const signal = ctl.signal;
    try {
      const [cl, ready, text] = await Promise.all([api.cluster(), api.readiness(), api.metricsText()]);
      if (signal.aborted) return;
      const t = Date.now() / 1000;
      let m = null;
      if (text == null) {
        metricsNote.textContent = 'Metrics unavailable: this server has no GET /metrics.';
      } else {
        try {
          m = prom.parse(text);
        } catch (e) {
          metricsNote.textContent = `Metrics unavailable: GET /metrics is not in the Prometheus text format (${e.message}).`;
        }
      }
      metricsNote.hidden = m != null;
      chartsBox.hidden = m == null;
      const self = cl ? cl.nodes.find((n) => n.self) : null;
      set('node-role', self ? `${self.leader ? 'leader' : 'follower'} (${self.role})` : ready.role || '—');
      let health = ready.ready ? 'ready' : `not ready: ${ready.detail}`;
      if (ready.ready && ready.role === 'follower') {
        health = 'a follower: serves its copy, sends writes to the leader';
      }
      set('node-health', health);
      set(
        'node-applied',
        count(ready.applied_index ?? self?.applied_index ?? (m ? prom.sum(m, 'banyan_raft_applied_index') : null)),
      );
      renderNodes(cl, ready, m);
      await chartsReady;
      if (m) renderMetrics(m, t);
      showError(errorBox, null);
      updated.textContent = new Date().toLocaleTimeString('en-GB');
      main.dataset.ticks = String(Number(main.dataset.ticks || 0) + 1);
    } catch (e) {
      if (e.name !== 'AbortError') showError(errorBox, e);
    }
  }

  let timer = null;
  const loop = async () => {
    await tick();
    if (!ctl.signal.aborted) timer = setTimeout(loop, refreshMs());
  };
  loop();

  return {
    unmount() {
      ctl.abort();
      clearTimeout(timer);
    },
  };
}
