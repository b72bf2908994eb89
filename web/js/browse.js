// browse.js: the Browse page. Walks the namespace from /: breadcrumbs, the
// directory's children a page at a time (GET ?list&limit=N&after=NAME),
// each entry's attributes, and the writes: create a directory (PUT), rename
// (POST …/rename), set mode/owner/group (PATCH) and delete (DELETE, after
// a confirmation). Writes send the entry's ETag in If-Match, so a change
// made meanwhile by someone else fails with the API's 412 instead of being
// overwritten. Every failure is shown as the API words it.
//
// SPDX-License-Identifier: MIT

import * as api from './api.js';
import { bytes, count, defList, h, millis, openDialog, showError } from './ui.js';

const PAGE_SIZES = [50, 100, 500, 1000];
const DEFAULT_PAGE_SIZE = 100;

// The hash of the Browse page of @path: "#/browse/a%20b/c".
export function hashOf(path) {
  const enc = api.encodePath(path);
  return enc === '' ? '#/browse/' : `#/browse/${enc}`;
}

function join(dir, name) {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

function parentOf(path) {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

function breadcrumbs(path) {
  const segs = path.split('/').filter((s) => s !== '');
  const ol = h('ol', {});
  const crumb = (label, p, last) =>
    h('li', {}, last ? h('a', { href: hashOf(p), 'aria-current': 'page' }, label) : h('a', { href: hashOf(p) }, label));
  ol.append(crumb('/', '/', segs.length === 0));
  let p = '';
  segs.forEach((s, i) => {
    p += `/${s}`;
    ol.append(crumb(s, p, i === segs.length - 1));
  });
  return h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumb', id: 'breadcrumbs' }, ol);
}

function attributes(ino) {
  const xattrs = Object.entries(ino.xattrs || {});
  return defList([
    ['Path', ino.path, 'attr-path'],
    ['Type', ino.type, 'attr-type'],
    ['Inode id', String(ino.id)],
    ...(ino.type === 'directory' ? [['Children', count(ino.children), 'attr-children']] : []),
    ['Size', `${bytes(ino.size)} (${count(ino.size)} bytes)`],
    ['Block size', bytes(ino.block_size)],
    ['Mode', ino.mode, 'attr-mode'],
    ['Owner', ino.owner, 'attr-owner'],
    ['Group', ino.group, 'attr-group'],
    ['Modified', millis(ino.mtime)],
    ['Changed', millis(ino.ctime)],
    ['Accessed', millis(ino.atime)],
    ['TTL', ino.ttl == null ? 'none' : `${count(ino.ttl)} ms, then ${ino.ttl_action}`],
    ['Pinned', ino.pinned ? 'yes' : 'no'],
    ['Extended attributes', xattrs.length ? xattrs.map(([k, v]) => `${k}=${v}`).join(', ') : 'none'],
    ['Version', String(ino.version)],
    ['ETag', ino.etag],
  ]);
}

// A modal form: @fields are {name, label, value, type, hint}; @run(values)
// does the work and throws to keep the dialog open with the error shown.
// Resolves true when the work was done, false when cancelled.
function formDialog({ id, title, text, fields = [], submit, danger, run }) {
  const err = h('div', { class: 'error', role: 'alert', hidden: true });
  const inputs = fields.map((f) =>
    f.type === 'checkbox'
      ? h('input', { type: 'checkbox', id: `${id}-${f.name}`, name: f.name, checked: !!f.value })
      : h('input', {
          type: 'text',
          id: `${id}-${f.name}`,
          name: f.name,
          value: f.value ?? '',
          required: f.required,
          autocomplete: 'off',
          spellcheck: 'false',
          'aria-describedby': f.hint ? `${id}-${f.name}-hint` : null,
        }),
  );
  const submitBtn = h('button', { type: 'submit', class: danger ? 'danger' : 'primary', id: `${id}-submit` }, submit);
  const form = h(
    'form',
    { method: 'dialog' },
    h('h2', { id: `${id}-title` }, title),
    text ? h('p', {}, text) : null,
    ...fields.map((f, i) =>
      h(
        'div',
        { class: f.type === 'checkbox' ? 'field check' : 'field' },
        f.type === 'checkbox' ? [inputs[i], h('label', { for: `${id}-${f.name}` }, f.label)] : [h('label', { for: `${id}-${f.name}` }, f.label), inputs[i]],
        f.hint ? h('small', { id: `${id}-${f.name}-hint` }, f.hint) : null,
      ),
    ),
    err,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', value: 'cancel', id: `${id}-cancel`, onclick: () => dlg.close('cancel') }, 'Cancel'),
      submitBtn,
    ),
  );
  const dlg = h('dialog', { id, 'aria-labelledby': `${id}-title` }, form);
  let done = false;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const values = {};
    fields.forEach((f, i) => {
      values[f.name] = f.type === 'checkbox' ? inputs[i].checked : inputs[i].value;
    });
    submitBtn.disabled = true;
    try {
      await run(values);
      done = true;
      dlg.close('ok');
    } catch (e) {
      showError(err, e);
      submitBtn.disabled = false;
    }
  });
  document.body.append(dlg);
  return openDialog(dlg).then(() => {
    dlg.remove();
    return done;
  });
}

export function mount(main, path) {
  const ctl = new AbortController();
  const errorBox = h('div', { class: 'error', role: 'alert', hidden: true, id: 'browse-error' });
  const status = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite', id: 'browse-status' });
  const staleNote = h('p', { class: 'notice', id: 'browse-note', hidden: true });
  const body = h('div', { id: 'browse-body' });
  main.replaceChildren(
    h('div', { class: 'page-head' }, h('h1', {}, 'Browse'), breadcrumbs(path)),
    errorBox,
    staleNote,
    status,
    body,
  );

  const state = {
    pageSize: Number(sessionStorage.getItem('banyan.pageSize')) || DEFAULT_PAGE_SIZE,
    cursors: [null], // the "after" of each page seen so far
    page: 0,
    dir: null,
    stale: false, // a follower: read this node's copy
  };

  async function act(fn, message, after) {
    try {
      await fn();
      showError(errorBox, null);
      status.textContent = message;
      await (after || reload)();
    } catch (e) {
      showError(errorBox, e);
    }
  }

  function renameEntry(ino) {
    return formDialog({
      id: 'rename-dialog',
      title: `Rename ${ino.path}`,
      fields: [{ name: 'to', label: 'New path', value: ino.path, required: true, hint: 'An absolute path; its parent must exist.' }],
      submit: 'Rename',
      run: (v) => api.rename(ino.path, v.to, ino.etag),
    });
  }

  function editAttrs(ino) {
    return formDialog({
      id: 'attrs-dialog',
      title: `Attributes of ${ino.path}`,
      fields: [
        { name: 'mode', label: 'Mode', value: ino.mode, hint: 'Octal permission bits, e.g. 0755.' },
        { name: 'owner', label: 'Owner', value: ino.owner },
        { name: 'group', label: 'Group', value: ino.group },
      ],
      submit: 'Save',
      run: async (v) => {
        const patch = {};
        for (const k of ['mode', 'owner', 'group']) {
          if (v[k] !== ino[k]) patch[k] = v[k];
        }
        if (Object.keys(patch).length === 0) return;
        await api.setattr(ino.path, patch, ino.etag);
      },
    });
  }

  function deleteEntry(ino) {
    const nonEmpty = ino.type === 'directory' && ino.children > 0;
    return formDialog({
      id: 'delete-dialog',
      title: `Delete ${ino.path}?`,
      text: nonEmpty
        ? `${ino.path} holds ${count(ino.children)} entries. Deleting it cannot be undone.`
        : `Deleting ${ino.type === 'directory' ? 'the directory' : 'the file'} ${ino.path} cannot be undone.`,
      fields: nonEmpty ? [{ name: 'recursive', label: 'Also delete everything in it', type: 'checkbox', value: false }] : [],
      submit: 'Delete',
      danger: true,
      run: (v) => api.remove(ino.path, { recursive: !!v.recursive, etag: ino.etag }),
    });
  }

  // The buttons of one inode; @after runs after a change.
  function actions(ino, after) {
    const label = ino.name || '/';
    const wrap = (fn, what) => async () => {
      try {
        if (await fn(ino)) {
          status.textContent = `${what} ${ino.path}`;
          showError(errorBox, null);
          await after();
        }
      } catch (e) {
        showError(errorBox, e);
      }
    };
    return h(
      'div',
      { class: 'row-actions' },
      h('button', { type: 'button', 'aria-label': `Rename ${label}`, onclick: wrap(renameEntry, 'Renamed') }, 'Rename'),
      h('button', { type: 'button', 'aria-label': `Attributes of ${label}`, onclick: wrap(editAttrs, 'Changed') }, 'Attributes'),
      h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${label}`, onclick: wrap(deleteEntry, 'Deleted') }, 'Delete'),
    );
  }

  function renderFile(ino) {
    body.replaceChildren(
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'file-h' },
        h('h2', { id: 'file-h' }, `File ${ino.name}`),
        attributes(ino),
        actions(ino, async () => {
          // The file may be gone or moved: show its parent.
          location.hash = hashOf(parentOf(ino.path));
        }),
      ),
    );
  }

  function renderDir(dir, page) {
    const sizeSelect = h(
      'select',
      { id: 'page-size', name: 'page-size' },
      PAGE_SIZES.map((n) => h('option', { value: n, selected: n === state.pageSize }, String(n))),
    );
    sizeSelect.addEventListener('change', () => {
      state.pageSize = Number(sizeSelect.value);
      sessionStorage.setItem('banyan.pageSize', String(state.pageSize));
      state.cursors = [null];
      state.page = 0;
      reload();
    });
    const nameInput = h('input', { type: 'text', id: 'new-dir-name', name: 'name', required: true, autocomplete: 'off', spellcheck: 'false' });
    const createForm = h(
      'form',
      { class: 'inline-form', id: 'create-dir-form', 'aria-label': 'Create a directory' },
      h('label', { for: 'new-dir-name' }, 'New directory'),
      nameInput,
      h('button', { type: 'submit', class: 'primary', id: 'create-dir' }, 'Create directory'),
    );
    createForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const name = nameInput.value;
      act(() => api.mkdir(join(path, name)), `Created ${join(path, name)}`, async () => {
        nameInput.value = '';
        await reload();
      });
    });

    const first = state.page * state.pageSize + 1;
    const last = state.page * state.pageSize + page.entries.length;
    const rows = page.entries.map((e) =>
      h(
        'tr',
        { dataset: { name: e.name } },
        h(
          'th',
          { scope: 'row', class: 'name' },
          h('a', { href: hashOf(e.path) }, e.type === 'directory' ? h('span', { class: 'icon', 'aria-hidden': 'true' }, '▸ ') : null, e.name),
        ),
        h('td', { class: 'col-type' }, e.type),
        h('td', { class: 'num col-size' }, e.type === 'directory' ? `${count(e.children)} entries` : bytes(e.size)),
        h('td', { class: 'mono' }, e.mode),
        h('td', { class: 'col-owner' }, e.owner),
        h('td', { class: 'col-group' }, e.group),
        h('td', { class: 'col-mtime' }, millis(e.mtime)),
        h('td', {}, actions(e, reload)),
      ),
    );
    const prevBtn = h('button', { type: 'button', id: 'page-prev', disabled: state.page === 0 }, '← Previous');
    const firstBtn = h('button', { type: 'button', id: 'page-first', disabled: state.page === 0 }, '⇤ First');
    const nextBtn = h('button', { type: 'button', id: 'page-next', disabled: page.next == null }, 'Next →');
    prevBtn.addEventListener('click', () => {
      state.page--;
      reload();
    });
    firstBtn.addEventListener('click', () => {
      state.page = 0;
      reload();
    });
    nextBtn.addEventListener('click', () => {
      state.cursors[state.page + 1] = page.next;
      state.page++;
      reload();
    });
    const info =
      page.entries.length === 0
        ? 'This directory is empty.'
        : `Page ${state.page + 1} · entries ${count(first)}–${count(last)} of ${count(dir.children)}`;

    body.replaceChildren(
      h(
        'details',
        { class: 'card dir-attrs' },
        h('summary', {}, `Directory ${dir.path} · ${dir.mode} ${dir.owner}:${dir.group}`),
        attributes(dir),
        dir.path === '/' ? null : actions(dir, async () => {
          location.hash = hashOf(parentOf(dir.path));
        }),
      ),
      h(
        'div',
        { class: 'toolbar' },
        createForm,
        h('div', { class: 'inline-form' }, h('label', { for: 'page-size' }, 'Per page'), sizeSelect),
      ),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'grid listing', id: 'listing' },
          h('caption', { class: 'visually-hidden' }, `Entries of ${dir.path}`),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Name'),
              h('th', { scope: 'col', class: 'col-type' }, 'Type'),
              h('th', { scope: 'col', class: 'col-size' }, 'Size'),
              h('th', { scope: 'col' }, 'Mode'),
              h('th', { scope: 'col', class: 'col-owner' }, 'Owner'),
              h('th', { scope: 'col', class: 'col-group' }, 'Group'),
              h('th', { scope: 'col', class: 'col-mtime' }, 'Modified'),
              h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')),
            ),
          ),
          h('tbody', {}, rows),
        ),
      ),
      h('nav', { class: 'pager', 'aria-label': 'Pages' }, firstBtn, prevBtn, h('span', { id: 'page-info', 'aria-live': 'polite' }, info), nextBtn),
    );
  }

  async function reload() {
    try {
      const stale = state.stale;
      const ino = await api.stat(path, { stale }, { signal: ctl.signal });
      if (ino.type !== 'directory') {
        renderFile(ino);
      } else {
        const page = await api.list(
          path,
          { limit: state.pageSize, after: state.cursors[state.page], stale },
          { signal: ctl.signal },
        );
        if (page.entries.length === 0 && state.page > 0) {
          // The page emptied (its entries were deleted): step back.
          state.page--;
          return reload();
        }
        state.dir = ino;
        renderDir(ino, page);
      }
      main.dataset.loaded = String(Number(main.dataset.loaded || 0) + 1);
    } catch (e) {
      if (e.name === 'AbortError') return;
      if (e.code === 'not_leader' && !state.stale) {
        // A follower: show its own copy, and say where changes go.
        state.stale = true;
        staleNote.replaceChildren(
          'This node is a follower: what you see is its copy of the namespace, which may be a little behind, ',
          'and changes are made on the leader. ',
          e.leaderUrl
            ? h('a', { href: `${e.leaderUrl}${location.hash}`, id: 'leader-link' }, "Open the leader's dashboard")
            : e.detail,
        );
        staleNote.hidden = false;
        return reload();
      }
      showError(errorBox, e);
      if (!state.dir) body.replaceChildren(h('p', {}, h('a', { href: hashOf(parentOf(path)) }, 'Go up one level')));
    }
  }

  reload();
  return {
    unmount() {
      ctl.abort();
    },
  };
}
