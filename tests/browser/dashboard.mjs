// dashboard.mjs: the web dashboard in real headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core), against a real banyand
// that tests/e2e/dashboard.sh started. Every change made on a page is
// checked with curl, and every value the page shows is compared with what
// curl gets from the API.
//
// Environment: BASE (the daemon's URL), SHOTS (screenshot folder),
// BIG_DIR and BIG_ENTRIES (a directory of that many files f00000…, made
// by the caller). Prints "ok - ..." or "not ok - ..." a check, then
// "# dashboard.mjs: done".
//
// SPDX-License-Identifier: MIT

import { rmSync } from 'node:fs';
import { check, curl as curlAt, deadline, expectEq, finish, launch, shot as shotIn, until } from './harness.mjs';
import { contractSample } from './contract_sample.mjs';

const BASE = process.env.BASE;
const SHOTS = process.env.SHOTS || 'tests/artifacts/screenshots';
const BIG_DIR = process.env.BIG_DIR || '/big';
const BIG_ENTRIES = Number(process.env.BIG_ENTRIES || 5000);

if (!BASE) {
  console.log('Bail out! BASE is not set');
  process.exit(1);
}
rmSync(SHOTS, { recursive: true, force: true });

const curl = (method, path, data) => curlAt(BASE, method, path, data);
const shot = (page, name) => shotIn(page, SHOTS, name);
const enc = (p) => p.split('/').map(encodeURIComponent).join('/');
const stop = deadline(170000);
const { browser, page } = await launch();

const cluster = curl('GET', '/api/v1/cluster');
const metrics = curl('GET', '/metrics');
const ready = curl('GET', '/readyz');

// ---- overview ---------------------------------------------------------------

await check('the overview loads and polls without reloading', async () => {
  await page.goto(`${BASE}/?refresh=500#/overview`);
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  await until('two polls', async () => Number(await page.locator('#main').getAttribute('data-ticks')) >= 2);
  const nav = await page.evaluate(() => performance.getEntriesByType('navigation').length);
  expectEq('page loads', 1, nav);
});

await check('the overview shows the leader and this node ready', async () => {
  const leader = await page.locator('#cluster-leader').textContent();
  if (cluster.status === 200) {
    const l = cluster.body.nodes.find((n) => n.id === cluster.body.leader_id);
    expectEq('leader', `node ${l.id} (${l.http})`, leader);
    expectEq('node rows', cluster.body.nodes.length, await page.locator('#cluster-nodes tr').count());
  } else {
    expectEq('GET /api/v1/cluster', 404, cluster.status);
    expectEq('leader', 'this node', leader);
    await page.locator('#cluster-note').filter({ hasText: 'no cluster API' }).waitFor();
    expectEq('node rows', 1, await page.locator('#cluster-nodes tr').count());
  }
  const self = cluster.status === 200 ? cluster.body.nodes.find((n) => n.self) : null;
  expectEq('role', self ? `leader (${self.role})` : ready.body.role, await page.locator('#node-role').textContent());
  expectEq('health', 'ready', await page.locator('#node-health').textContent());
  if (!(await page.locator('#cluster-nodes .badge.leader').isVisible())) throw new Error('no leader badge');
});

const fmt = (n) => Math.round(n).toLocaleString('en-US');
if (metrics.status === 200) {
  await check('the overview shows the counts of GET /metrics', async () => {
    const now = curl('GET', '/metrics').body;
    const num = (re) => now.split('\n').filter((l) => re.test(l)).reduce((a, l) => a + Number(l.split(' ').pop()), 0);
    const dirs = num(/^banyan_inodes\{type="directory"\}/);
    const files = num(/^banyan_inodes\{type="file"\}/);
    await until('inode counts', async () =>
      (await page.locator('#ns-directories').textContent()) === fmt(dirs) &&
      (await page.locator('#ns-inodes').textContent()) === fmt(dirs + files));
    const version = /banyan_build_info\{version="([^"]+)"\}/.exec(now)[1];
    expectEq('version', version, await page.locator('#node-version').textContent());
  });
  await check('the operations chart moves when operations are made', async () => {
    let k = 0;
    try {
      await until('a create rate above 0', async () => {
        curl('PUT', `/api/v1/paths/chart-probe-${k++}`, { type: 'file' });
        const last = JSON.parse((await page.locator('#chart-ops').getAttribute('data-last')) || '[]');
        return last[2] > 0; // "create"
      });
    } finally {
      for (let i = 0; i < k; i++) curl('DELETE', `/api/v1/paths/chart-probe-${i}`);
    }
  });
} else {
  await check('without GET /metrics (404) the overview says metrics unavailable', async () => {
    expectEq('GET /metrics', 404, metrics.status);
    await page.locator('#metrics-note').filter({ hasText: 'Metrics unavailable' }).waitFor();
    expectEq('inodes', '—', await page.locator('#ns-inodes').textContent());
  });
  // The rendering of /metrics, against the contract's families: the
  // answers of /metrics are replaced by the contract sample, growing.
  await check('with the contract sample as /metrics: counts, cache, store, version, charts', async () => {
    let n = 1;
    await page.route('**/metrics', (route) =>
      route.fulfill({
        status: 200,
        contentType: 'text/plain; version=0.0.4; charset=utf-8',
        body: contractSample(n++),
      }),
    );
    await until('the counts', async () => (await page.locator('#ns-inodes').textContent()) === fmt(5008));
    expectEq('directories', '7', await page.locator('#ns-directories').textContent());
    expectEq('files', '5,001', await page.locator('#ns-files').textContent());
    expectEq('hit ratio', '90.0 %', await page.locator('#cache-hit-ratio').textContent());
    expectEq('cache size', '1.00 MiB', await page.locator('#cache-bytes').textContent());
    expectEq('store size', '4.01 MiB', await page.locator('#store-disk-bytes').textContent());
    expectEq('version', '0.1.0', await page.locator('#node-version').textContent());
    if (!/\d/.test(await page.locator('#node-uptime').textContent())) throw new Error('no uptime');
    await until('three chart points', async () => Number(await page.locator('#chart-ops').getAttribute('data-points')) >= 3);
    const ops = JSON.parse(await page.locator('#chart-ops').getAttribute('data-last'));
    // Each reading adds 10*(k+1) observations of op k in ~0.5 s.
    if (!(ops[2] > ops[0] && ops[0] > 0)) throw new Error(`rates ${ops}`);
    const lat = JSON.parse(await page.locator('#chart-latency').getAttribute('data-last'));
    if (!(lat[0] > 0 && lat[1] >= lat[0] && lat[1] <= 0.001)) throw new Error(`p50/p99 ${lat}`);
    if ((await page.locator('#chart-ops canvas').count()) !== 1) throw new Error('no chart canvas');
    await shot(page, 'overview-contract-metrics-1280');
    await page.unroute('**/metrics');
  });
}
await shot(page, 'overview-1280');

// ---- browse -----------------------------------------------------------------

const D = '/webtest';
curl('PUT', `/api/v1/paths${D}/from-curl/inner`, { type: 'directory', recursive: true });
curl('PUT', `/api/v1/paths${D}/from-curl/hello.txt`, { type: 'file', size: 2048, mode: '0640', owner: 'carol' });

const row = (name) => page.locator(`#listing tbody tr[data-name="${name}"]`);
const loaded = async () => Number((await page.locator('#main').getAttribute('data-loaded')) || 0);
// Runs ACT and waits until the listing has been loaded again.
async function andReload(act) {
  const before = await loaded();
  await act();
  await until('the listing reloads', async () => (await loaded()) > before);
}

await check('browse from / into a directory made by curl', async () => {
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Browse' }).click();
  await row('webtest').waitFor();
  await row('webtest').getByRole('link', { name: 'webtest' }).click();
  await row('from-curl').getByRole('link').click();
  await row('hello.txt').waitFor();
  const crumbs = await page.locator('#breadcrumbs li').allTextContents();
  expectEq('breadcrumbs', ['/', 'webtest', 'from-curl'], crumbs);
  expectEq('hash', `#/browse${D}/from-curl`, new URL(page.url()).hash);
  const cells = await row('hello.txt').locator('td').allTextContents();
  expectEq('hello.txt type, size, mode, owner', ['file', '2.00 KiB', '0640', 'carol'], cells.slice(0, 4));
  await row('inner').getByRole('link').waitFor();
});

await check("an entry's page shows all its attributes, as curl does", async () => {
  await row('hello.txt').getByRole('link', { name: 'hello.txt' }).click();
  await page.locator('#attr-path').waitFor();
  const st = curl('GET', `/api/v1/paths${D}/from-curl/hello.txt`).body;
  expectEq('path', st.path, await page.locator('#attr-path').textContent());
  expectEq('mode', st.mode, await page.locator('#attr-mode').textContent());
  expectEq('owner', st.owner, await page.locator('#attr-owner').textContent());
  await page.getByText(st.etag, { exact: true }).waitFor();
  await shot(page, 'browse-file-1280');
  await page.locator('#breadcrumbs').getByRole('link', { name: 'from-curl' }).click();
  await row('hello.txt').waitFor();
});

await check('create a directory from the page; curl sees it', async () => {
  await page.getByLabel('New directory').fill('made in browser');
  await andReload(() => page.getByRole('button', { name: 'Create directory' }).click());
  await row('made in browser').waitFor();
  const st = curl('GET', `/api/v1/paths${D}/from-curl/${enc('made in browser')}`);
  expectEq('curl status', 200, st.status);
  expectEq('curl type', 'directory', st.body.type);
});

await check('rename from the page; curl sees the new name and not the old', async () => {
  await row('made in browser').getByRole('button', { name: 'Rename made in browser' }).click();
  const dlg = page.getByRole('dialog', { name: /^Rename / });
  await dlg.getByLabel('New path').fill(`${D}/from-curl/renamed`);
  await andReload(() => dlg.getByRole('button', { name: 'Rename' }).click());
  await row('renamed').waitFor();
  expectEq('old row', 0, await row('made in browser').count());
  expectEq('curl new', 200, curl('GET', `/api/v1/paths${D}/from-curl/renamed`).status);
  expectEq('curl old', 404, curl('GET', `/api/v1/paths${D}/from-curl/${enc('made in browser')}`).status);
});

await check('set mode and owner from the page; curl sees them', async () => {
  await row('renamed').getByRole('button', { name: 'Attributes of renamed' }).click();
  const dlg = page.getByRole('dialog', { name: /^Attributes of / });
  await dlg.getByLabel('Mode').fill('0700');
  await dlg.getByLabel('Owner').fill('alice');
  await andReload(() => dlg.getByRole('button', { name: 'Save' }).click());
  const st = curl('GET', `/api/v1/paths${D}/from-curl/renamed`).body;
  expectEq('curl mode', '0700', st.mode);
  expectEq('curl owner', 'alice', st.owner);
  expectEq('curl group unchanged', 'banyan', st.group);
  const cells = await row('renamed').locator('td').allTextContents();
  expectEq('row mode, owner', ['0700', 'alice'], cells.slice(2, 4));
});

await check('delete asks first: Cancel keeps the entry', async () => {
  await row('renamed').getByRole('button', { name: 'Delete renamed' }).click();
  const dlg = page.getByRole('dialog', { name: /^Delete / });
  await dlg.getByText('cannot be undone').waitFor();
  await dlg.getByRole('button', { name: 'Cancel' }).click();
  await dlg.waitFor({ state: 'detached' });
  expectEq('curl', 200, curl('GET', `/api/v1/paths${D}/from-curl/renamed`).status);
});

await check('delete from the page after the confirmation; curl gets 404', async () => {
  await row('renamed').getByRole('button', { name: 'Delete renamed' }).click();
  const dlg = page.getByRole('dialog', { name: /^Delete / });
  await andReload(() => dlg.getByRole('button', { name: 'Delete' }).click());
  expectEq('row', 0, await row('renamed').count());
  expectEq('curl', 404, curl('GET', `/api/v1/paths${D}/from-curl/renamed`).status);
});

await check('a failing create shows the API error as the API words it', async () => {
  const want = curl('PUT', `/api/v1/paths${D}/from-curl/inner`, { type: 'directory' });
  expectEq('curl status', 409, want.status);
  await page.getByLabel('New directory').fill('inner');
  await page.getByRole('button', { name: 'Create directory' }).click();
  const box = page.locator('#browse-error');
  await box.waitFor();
  expectEq('title', want.body.title, await box.locator('.error-title').textContent());
  expectEq('code', ' (HTTP 409 · already_exists)', await box.locator('.error-code').textContent());
  expectEq('detail', want.body.detail, await box.locator('.error-detail').textContent());
  await shot(page, 'browse-error-1280');
});

await check('a failing rename keeps the dialog open with the API error', async () => {
  await row('hello.txt').getByRole('button', { name: 'Rename hello.txt' }).click();
  const dlg = page.getByRole('dialog', { name: /^Rename / });
  await dlg.getByLabel('New path').fill('/no/such/parent/x');
  await dlg.getByRole('button', { name: 'Rename' }).click();
  const want = curl('POST', `/api/v1/paths${D}/from-curl/hello.txt/rename`, { to: '/no/such/parent/x' });
  expectEq('curl status', 404, want.status);
  await dlg.getByRole('alert').getByText(want.body.detail, { exact: true }).waitFor();
  await shot(page, 'browse-dialog-error-1280');
  await page.keyboard.press('Escape');
  await dlg.waitFor({ state: 'detached' });
  expectEq('curl: not moved', 200, curl('GET', `/api/v1/paths${D}/from-curl/hello.txt`).status);
});

await check('a stale page: the write fails with 412 and changes nothing', async () => {
  curl('PATCH', `/api/v1/paths${D}/from-curl/hello.txt`, { owner: 'dave' }); // behind the page's back
  await row('hello.txt').getByRole('button', { name: 'Attributes of hello.txt' }).click();
  const dlg = page.getByRole('dialog', { name: /^Attributes of / });
  await dlg.getByLabel('Mode').fill('0600');
  await dlg.getByRole('button', { name: 'Save' }).click();
  await dlg.getByRole('alert').getByText('precondition_failed').waitFor();
  await dlg.getByRole('button', { name: 'Cancel' }).click();
  const st = curl('GET', `/api/v1/paths${D}/from-curl/hello.txt`).body;
  expectEq('mode unchanged', '0640', st.mode);
  expectEq('owner from curl', 'dave', st.owner);
});

// ---- paging -------------------------------------------------------------------

const names = (k) => Array.from({ length: k }, (_, i) => `f${String(i).padStart(5, '0')}`);

await check(`page through ${BIG_ENTRIES} entries 100 at a time: next, previous, first`, async () => {
  await page.evaluate(() => sessionStorage.removeItem('banyan.pageSize'));
  await page.goto(`${BASE}/#/browse${BIG_DIR}`);
  await row('f00000').waitFor();
  const first = async () => (await page.locator('#listing tbody tr').first().getAttribute('data-name'));
  const info = () => page.locator('#page-info').textContent();
  expectEq('page 1', `Page 1 · entries 1–100 of ${fmt(BIG_ENTRIES)}`, await info());
  expectEq('rows', 100, await page.locator('#listing tbody tr').count());
  if (!(await page.locator('#page-prev').isDisabled())) throw new Error('Previous enabled on page 1');
  await andReload(() => page.locator('#page-next').click());
  expectEq('page 2 first', 'f00100', await first());
  await andReload(() => page.locator('#page-next').click());
  expectEq('page 3 first', 'f00200', await first());
  expectEq('page 3', `Page 3 · entries 201–300 of ${fmt(BIG_ENTRIES)}`, await info());
  await andReload(() => page.locator('#page-prev').click());
  expectEq('back to page 2', 'f00100', await first());
  await andReload(() => page.locator('#page-first').click());
  expectEq('first page', 'f00000', await first());
  await shot(page, 'browse-big-1280');
});

await check(`every one of the ${BIG_ENTRIES} entries, in order, 1000 a page`, async () => {
  await andReload(() => page.getByLabel('Per page').selectOption('1000'));
  const seen = [];
  for (let p = 0; p < 100; p++) {
    seen.push(...(await page.locator('#listing tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.name))));
    if (await page.locator('#page-next').isDisabled()) break;
    await andReload(() => page.locator('#page-next').click());
  }
  expectEq('count', BIG_ENTRIES, seen.length);
  expectEq('names in order', names(BIG_ENTRIES).join(','), seen.join(','));
  const pages = Math.ceil(BIG_ENTRIES / 1000);
  expectEq('last page', `Page ${pages} · entries ${fmt((pages - 1) * 1000 + 1)}–${fmt(BIG_ENTRIES)} of ${fmt(BIG_ENTRIES)}`,
    await page.locator('#page-info').textContent());
});

// ---- mounts -------------------------------------------------------------------

await check('the mounts page shows the mount table, or says there is none', async () => {
  await page.getByRole('link', { name: 'Mounts' }).click();
  await page.getByRole('heading', { level: 1, name: 'Mounts' }).waitFor();
  const m = curl('GET', '/api/v1/mounts');
  if (m.status === 404) {
    await page.getByText('Mounts are not available on this server.').waitFor();
  } else {
    expectEq('GET /api/v1/mounts', 200, m.status);
    await until('the table or a note', async () => (await page.locator('#mounts-table, #mounts-note').count()) > 0);
  }
  await shot(page, 'mounts-1280');
});

// ---- keyboard and narrow screens ------------------------------------------------

await check('keyboard: skip link first, pages and dialogs reachable, Escape closes', async () => {
  // A fresh load (not a hash change, which focuses the page's heading).
  await page.goto(`${BASE}/?fresh#/browse${D}/from-curl`);
  await row('hello.txt').waitFor();
  await page.keyboard.press('Tab');
  expectEq('first focus', 'Skip to content', await page.evaluate(() => document.activeElement.textContent));
  // Tab to the Rename button of hello.txt and open it with Enter.
  let found = false;
  for (let i = 0; i < 80 && !found; i++) {
    await page.keyboard.press('Tab');
    found = await page.evaluate(() => document.activeElement.getAttribute('aria-label') === 'Rename hello.txt');
  }
  if (!found) throw new Error('Rename hello.txt not reachable with Tab');
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  expectEq('focus ring', 'solid', ring);
  await page.keyboard.press('Enter');
  const dlg = page.getByRole('dialog', { name: /^Rename / });
  await dlg.waitFor();
  expectEq('focus in the dialog', 'rename-dialog-to', await page.evaluate(() => document.activeElement.id));
  await page.keyboard.press('Escape');
  await dlg.waitFor({ state: 'detached' });
  // The top navigation works with Enter.
  await page.getByRole('link', { name: 'Overview' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
});

await check('a narrow screen (390 px): no sideways scrolling, every page', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  for (const [hash, name] of [
    ['#/overview', 'overview'],
    [`#/browse${D}/from-curl`, 'browse'],
    [`#/browse${BIG_DIR}`, 'browse-big'],
    ['#/mounts', 'mounts'],
  ]) {
    await page.goto(`${BASE}/?refresh=500${hash}`);
    await until(`${name} loaded`, async () =>
      (await page.locator('#main').getAttribute('data-loaded')) || (await page.locator('#main').getAttribute('data-ticks')));
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (wide > 0) throw new Error(`${name}: the page is ${wide} px wider than the screen`);
    await shot(page, `${name}-narrow`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
});

stop();
await finish('dashboard.mjs', browser);
