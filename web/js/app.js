// app.js: the dashboard's entry point: a router over the URL's hash
// (#/overview, #/browse/<path>, #/mounts), so that every page has an
// address, the back button works and the server serves one index.html.
//
// SPDX-License-Identifier: MIT

import * as overview from './overview.js';
import * as browse from './browse.js';
import * as mounts from './mounts.js';

const main = document.getElementById('main');
let current = null;

function decodePath(rest) {
  const segs = rest
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return `/${segs.join('/')}`;
}

function route() {
  const hash = location.hash || '#/overview';
  let page = 'overview';
  if (hash.startsWith('#/browse')) page = 'browse';
  else if (hash.startsWith('#/mounts')) page = 'mounts';
  else if (hash !== '#/overview') {
    history.replaceState(null, '', '#/overview');
  }

  if (current) current.unmount();
  main.replaceChildren();
  delete main.dataset.loaded;
  delete main.dataset.ticks;
  main.dataset.page = page;
  for (const a of document.querySelectorAll('nav.site a')) {
    if (a.dataset.page === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (page === 'browse') {
    const path = decodePath(hash.slice('#/browse'.length));
    document.title = `${path} · Browse · banyan`;
    current = browse.mount(main, path);
  } else if (page === 'mounts') {
    document.title = 'Mounts · banyan';
    current = mounts.mount(main);
  } else {
    document.title = 'Overview · banyan';
    current = overview.mount(main);
  }
}

window.addEventListener('hashchange', () => {
  route();
  // Keyboard and screen-reader users land on the new page's heading.
  const h1 = main.querySelector('h1');
  if (h1) {
    h1.tabIndex = -1;
    h1.focus({ preventScroll: true });
  }
});
route();
