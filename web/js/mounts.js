// mounts.js: the Mounts page: the mount table from GET /api/v1/mounts. A
// server without mounts answers 404, and the page says so. Mounting,
// unmounting and syncing from the page come with the mount API (issue 4).
//
// SPDX-License-Identifier: MIT

import * as api from './api.js';
import { h, showError } from './ui.js';

function cell(v) {
  if (v == null) return '—';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function mount(main) {
  const ctl = new AbortController();
  const errorBox = h('div', { class: 'error', role: 'alert', hidden: true, id: 'mounts-error' });
  const body = h('div', { id: 'mounts-body' }, h('p', { class: 'muted' }, 'Loading…'));
  main.replaceChildren(h('div', { class: 'page-head' }, h('h1', {}, 'Mounts')), errorBox, body);

  (async () => {
    try {
      const res = await api.mounts();
      if (ctl.signal.aborted) return;
      if (res == null) {
        body.replaceChildren(h('p', { class: 'notice', id: 'mounts-note' }, 'Mounts are not available on this server.'));
        return;
      }
      const rows = Array.isArray(res) ? res : res.mounts || [];
      if (rows.length === 0) {
        body.replaceChildren(h('p', { id: 'mounts-note' }, 'Nothing is mounted.'));
        return;
      }
      const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
      body.replaceChildren(
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'grid', id: 'mounts-table' },
            h('caption', { class: 'visually-hidden' }, 'Mount table'),
            h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', {}, rows.map((r) => h('tr', {}, cols.map((c) => h('td', {}, cell(r[c])))))),
          ),
        ),
      );
    } catch (e) {
      showError(errorBox, e);
      body.replaceChildren();
    } finally {
      main.dataset.loaded = '1';
    }
  })();

  return {
    unmount() {
      ctl.abort();
    },
  };
}
