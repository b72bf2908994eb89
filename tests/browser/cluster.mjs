// cluster.mjs: the dashboard of a follower of a 3-node cluster, in
// headless Chromium, against real daemons that tests/e2e/dashboard.sh
// started: the overview lists every node and the leader, browsing shows
// the follower's copy and says so, a change made there is refused with
// where the leader is, and the link leads to the leader's dashboard.
//
// Environment: FOLLOWER and LEADER (base URLs), SHOTS (screenshots).
// Prints "ok - ..." or "not ok - ..." a check, then "# cluster.mjs: done".
//
// SPDX-License-Identifier: MIT

import { check, curl, deadline, expectEq, finish, launch, shot as shotIn, until } from './harness.mjs';

const FOLLOWER = process.env.FOLLOWER;
const LEADER = process.env.LEADER;
const SHOTS = process.env.SHOTS || 'tests/artifacts/screenshots';
if (!FOLLOWER || !LEADER) {
  console.log('Bail out! FOLLOWER and LEADER must be set');
  process.exit(1);
}
const shot = (page, name) => shotIn(page, SHOTS, name);
const stop = deadline(90000);
const { browser, page } = await launch();

const cl = curl(LEADER, 'GET', '/api/v1/cluster').body;
const leader = cl.nodes.find((n) => n.id === cl.leader_id);
const fself = curl(FOLLOWER, 'GET', '/api/v1/cluster').body.self_id;

await check('a follower: the overview lists every node and the leader', async () => {
  await page.goto(`${FOLLOWER}/?refresh=500#/overview`);
  await until('the node rows', async () => (await page.locator('#cluster-nodes tr').count()) === cl.nodes.length);
  expectEq('leader', `node ${leader.id} (${leader.http})`, await page.locator('#cluster-leader').textContent());
  expectEq('role', 'follower (voter)', await page.locator('#node-role').textContent());
  expectEq('health', 'a follower: serves its copy, sends writes to the leader', await page.locator('#node-health').textContent());
  expectEq('leader badges', 1, await page.locator('#cluster-nodes .badge.leader').count());
  const links = await page.locator('#cluster-nodes a').evaluateAll((as) => as.map((a) => a.getAttribute('href')).sort());
  const want = cl.nodes.filter((n) => n.id !== fself).map((n) => `http://${n.http}/`).sort();
  expectEq("links to the other nodes' dashboards", want, links);
  await shot(page, 'cluster-follower-overview-1280');
});

curl(LEADER, 'PUT', '/api/v1/paths/replicated/sub', { type: 'directory', recursive: true });

await check("a follower: browsing shows its copy, and says where changes go", async () => {
  await page.goto(`${FOLLOWER}/?fresh#/browse/replicated`);
  await page.locator('#browse-note').filter({ hasText: 'This node is a follower' }).waitFor();
  await page.locator('#listing tbody tr[data-name="sub"]').waitFor();
  expectEq('leader link', `http://${leader.http}/#/browse/replicated`, await page.locator('#leader-link').getAttribute('href'));
});

await check("a follower: a change is refused with the leader's address; nothing is made", async () => {
  await page.getByLabel('New directory').fill('from-follower');
  await page.getByRole('button', { name: 'Create directory' }).click();
  const box = page.locator('#browse-error');
  await box.waitFor();
  expectEq('title', 'this node is not the leader', await box.locator('.error-title').textContent());
  expectEq('code', ' (HTTP 307 · not_leader)', await box.locator('.error-code').textContent());
  expectEq('detail', `node ${leader.id} leads; make changes on its dashboard at http://${leader.http}/`,
    await box.locator('.error-detail').textContent());
  const c = curl(FOLLOWER, 'PUT', '/api/v1/paths/replicated/from-follower', { type: 'directory' });
  expectEq('curl on the follower: 307 to the leader', [307, `http://${leader.http}/api/v1/paths/replicated/from-follower`],
    [c.status, c.location]);
  expectEq('curl on the leader: not made', 404, curl(LEADER, 'GET', '/api/v1/paths/replicated/from-follower').status);
  await shot(page, 'cluster-follower-browse-1280');
});

await check("the link leads to the leader's dashboard, where changes work", async () => {
  await page.locator('#leader-link').click();
  await page.locator('#listing tbody tr[data-name="sub"]').waitFor();
  expectEq('no follower note', true, await page.locator('#browse-note').isHidden());
  await page.getByLabel('New directory').fill('from-leader');
  await page.getByRole('button', { name: 'Create directory' }).click();
  await page.locator('#listing tbody tr[data-name="from-leader"]').waitFor();
  expectEq('curl on the leader', 200, curl(LEADER, 'GET', '/api/v1/paths/replicated/from-leader').status);
});

stop();
await finish('cluster.mjs', browser);
