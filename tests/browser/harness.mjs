// harness.mjs: what the browser suites share: headless Chromium (Debian's
// /usr/bin/chromium under playwright-core), checks that print "ok - ..." or
// "not ok - ..." (tests/run.sh counts them), curl as a user runs it, and
// bounded waits. Each check has a time limit; a suite has one too.
//
// SPDX-License-Identifier: MIT

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const STEP_MS = 20000; // the longest one check may take

let failed = 0;
const pageErrors = [];

export function failures() {
  return failed;
}

function notOk(name, why) {
  failed++;
  console.log(`not ok - browser: ${name}`);
  console.log(String(why).split('\n').slice(0, 12).map((l) => `#   ${l}`).join('\n'));
}

// check NAME FN: FN throws (or runs out of time) to fail.
export async function check(name, fn) {
  let timer;
  try {
    await Promise.race([
      fn(),
      new Promise((_, rej) => {
        timer = setTimeout(() => rej(new Error(`timed out after ${STEP_MS} ms`)), STEP_MS);
      }),
    ]);
    console.log(`ok - browser: ${name}`);
    return true;
  } catch (e) {
    notOk(name, e.stack || e);
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export function expectEq(what, want, got) {
  if (JSON.stringify(want) !== JSON.stringify(got)) {
    throw new Error(`${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  }
}

// curl as a user would, without following redirects: {status, body
// (parsed JSON, or the text), location}.
export function curl(base, method, path, data) {
  const args = ['-s', '--max-time', '20', '-X', method, '-w', '\n%{http_code} %{redirect_url}', `${base}${path}`];
  if (data !== undefined) args.push('-H', 'Content-Type: application/json', '-d', JSON.stringify(data));
  const out = execFileSync('curl', args, { encoding: 'utf8' });
  const i = out.lastIndexOf('\n');
  const text = out.slice(0, i);
  const [code, location = ''] = out.slice(i + 1).split(' ');
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: Number(code), body, location };
}

// Polls FN until it returns a truthy value (returned) or time runs out.
export async function until(what, fn, ms = 10000) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`${what}: still not true (last: ${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// A screenshot of the whole page, or of the screen for long listings.
export async function shot(page, dir, name) {
  mkdirSync(dir, { recursive: true });
  const full = await page.evaluate(() => document.documentElement.scrollHeight < 4000);
  await page.screenshot({ path: `${dir}/${name}.png`, fullPage: full });
}

// Starts Chromium and a page of 1280 x 900 that records script errors and
// CSP violations (finish() checks there were none). A fetch answered 4xx on purpose (or 404
// from a daemon without /metrics) is logged by Chromium as a failed
// resource: that is not an error of the page.
export async function launch() {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: 30000,
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`uncaught: ${e.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) {
      pageErrors.push(`console: ${msg.text()}`);
    }
  });
  return { browser, page };
}

// Ends the suite after @ms whatever happens, with a failed check.
export function deadline(ms) {
  const t = setTimeout(() => {
    console.log('not ok - browser: the suite ended within its time limit');
    process.exit(1);
  }, ms);
  return () => clearTimeout(t);
}

// The last lines of a suite: no script error on any page, then "done".
export async function finish(name, browser) {
  await check('no script error or CSP violation on any page', async () => {
    if (pageErrors.length > 0) throw new Error(pageErrors.join('\n'));
  });
  await browser.close();
  console.log(`# ${name}: done, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}
