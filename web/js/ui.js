// ui.js: small DOM and formatting helpers shared by the pages.
//
// SPDX-License-Identifier: MIT

// Creates an element: h('button', {class: 'x', onclick: f}, 'text', child).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'class') {
      el.className = v;
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else if (v === true) {
      el.setAttribute(k, '');
    } else {
      el.setAttribute(k, String(v));
    }
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// Shows @err (an ApiError or any Error) in the alert box @box, as the API
// worded it: the title, the code and status, then the detail.
export function showError(box, err) {
  box.replaceChildren();
  if (!err) {
    box.hidden = true;
    return;
  }
  const title = err.title || err.name || 'Error';
  const meta = [err.status ? `HTTP ${err.status}` : null, err.code || null]
    .filter(Boolean)
    .join(' · ');
  box.append(
    h('strong', { class: 'error-title' }, title),
    meta ? h('span', { class: 'error-code' }, ` (${meta})`) : null,
    err.detail || (!err.title ? err.message : '')
      ? h('div', { class: 'error-detail' }, err.detail || err.message)
      : null,
  );
  box.hidden = false;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function bytes(n) {
  if (n == null || Number.isNaN(n)) return '—';
  let i = 0;
  let v = n;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${UNITS[i]}`;
}

export function count(n) {
  if (n == null || Number.isNaN(n)) return '—';
  return Math.round(n).toLocaleString('en-US');
}

export function percent(x) {
  if (x == null || Number.isNaN(x)) return '—';
  return `${(x * 100).toFixed(1)} %`;
}

export function duration(seconds) {
  if (seconds == null || Number.isNaN(seconds) || seconds < 0) return '—';
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  if (d > 0) return `${d} d ${hh} h ${mm} min`;
  if (hh > 0) return `${hh} h ${mm} min`;
  if (mm > 0) return `${mm} min ${ss} s`;
  return `${ss} s`;
}

export function millis(ms) {
  if (ms == null) return '—';
  const d = new Date(ms);
  const pad = (x) => String(x).padStart(2, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

// A <dl> of [term, value] pairs; each <dd> gets the id prefix-term when
// @idPrefix is given.
export function defList(pairs, idPrefix) {
  const dl = h('dl', { class: 'facts' });
  for (const [term, value, id] of pairs) {
    dl.append(h('dt', {}, term), h('dd', { id: id && idPrefix ? `${idPrefix}-${id}` : id || null }, value));
  }
  return dl;
}

// Opens the modal <dialog> @dlg; resolves when it closes, with its
// returnValue. The dialog element traps focus and closes on Escape.
export function openDialog(dlg) {
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => resolve(dlg.returnValue), { once: true });
    dlg.returnValue = '';
    dlg.showModal();
  });
}
