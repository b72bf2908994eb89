// prom_test.mjs: unit tests of web/js/prom.js, the dashboard's parser of
// the Prometheus text format and its histogram arithmetic, run under node
// by tests/e2e/dashboard.sh. Prints "ok - ..." or "not ok - ..." a check,
// then "# prom_test: done".
//
// The sample (contract_sample.mjs) follows the /metrics contract of issue
// 5, so the parser is checked whether or not the daemon serves /metrics.
//
// SPDX-License-Identifier: MIT

import assert from 'node:assert/strict';
import * as prom from '../../web/js/prom.js';
import { contractSample, LE, OPS } from './contract_sample.mjs';

let failed = 0;
function test(name, fn) {
  try {
    fn();
    console.log(`ok - prom: ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - prom: ${name}`);
    console.log(String(e.stack || e).split('\n').map((l) => `#   ${l}`).join('\n'));
  }
}

test('the contract sample parses, with its types', () => {
  const m = prom.parse(contractSample());
  assert.equal(m.types.get('banyan_operation_duration_seconds'), 'histogram');
  assert.equal(m.types.get('banyan_cache_hits_total'), 'counter');
  assert.equal(m.help.get('banyan_build_info'), 'The version of banyand.');
  assert.equal(prom.select(m, 'banyan_build_info')[0].labels.version, '0.1.0');
});

test('sums over labels, and null for a family that is absent', () => {
  const m = prom.parse(contractSample());
  assert.equal(prom.sum(m, 'banyan_inodes'), 5008);
  assert.equal(prom.sum(m, 'banyan_inodes', { type: 'directory' }), 7);
  assert.equal(prom.sum(m, 'banyan_http_requests_total', { route: '/api/v1/paths' }), 150);
  assert.equal(prom.sum(m, 'banyan_store_disk_bytes'), 4200000);
  assert.equal(prom.sum(m, 'banyan_no_such_metric'), null);
  assert.deepEqual(prom.labelValues(m, 'banyan_operation_duration_seconds_count', 'op'), [...OPS].sort());
});

test('histogram series belong to their family', () => {
  const m = prom.parse(contractSample());
  const s = prom.select(m, 'banyan_operation_duration_seconds_bucket', { op: 'stat', le: '+Inf' })[0];
  assert.equal(s.family, 'banyan_operation_duration_seconds');
  assert.equal(s.value, 10);
  assert.equal(prom.select(m, 'banyan_cache_hits_total')[0].family, 'banyan_cache_hits_total');
});

test('label values with escapes, spaces, a trailing comma, timestamps', () => {
  const m = prom.parse(
    [
      'a{path="C:\\\\dir",q="say \\"hi\\"",nl="x\\ny"} 1',
      'b { x = "1" , } 2 1700000000000',
      'c{} -3.5e-2',
      'd 7\r',
    ].join('\n'),
  );
  assert.deepEqual(m.samples[0].labels, { path: 'C:\\dir', q: 'say "hi"', nl: 'x\ny' });
  assert.equal(m.samples[1].labels.x, '1');
  assert.equal(m.samples[1].value, 2);
  assert.equal(m.samples[2].value, -0.035);
  assert.equal(m.samples[3].value, 7);
});

test('special values: +Inf, -Inf, NaN', () => {
  const m = prom.parse('a +Inf\nb -Inf\nc NaN\n');
  assert.equal(m.samples[0].value, Infinity);
  assert.equal(m.samples[1].value, -Infinity);
  assert.ok(Number.isNaN(m.samples[2].value));
});

test('comments and blank lines are skipped', () => {
  const m = prom.parse('# a plain comment\n\n   \n# HELP x some help\nx 1\n');
  assert.equal(m.samples.length, 1);
});

test('malformed lines are refused with their line number', () => {
  const bad = [
    ['a{x="1"', /line 1: unterminated|line 1: expected/],
    ['a{x=1} 2', /line 1: expected '"'/],
    ['a{x="1" y="2"} 3', /line 1: expected ','/],
    ['ok 1\na', /line 2: expected a value/],
    ['a one', /line 1: 'one' is not a number/],
    ['a 1 2 3', /line 1: expected a value/],
    ['a 1 12.5', /line 1: '12.5' is not a timestamp/],
    ['a{x="\\q"} 1', /line 1: bad escape/],
    ['a{x="1",x="2"} 1', /line 1: label x given twice/],
    ['# TYPE a bogus', /line 1: unknown type/],
    ['# TYPE a gauge\n# TYPE a gauge', /line 2: second TYPE/],
    ['9a 1', /line 1: expected a metric name/],
    ['{x="1"} 1', /line 1: expected a metric name/],
  ];
  for (const [text, re] of bad) {
    assert.throws(() => prom.parse(text), (e) => e instanceof prom.ParseError && re.test(e.message), text);
  }
});

test('a histogram summed over series, buckets sorted by le', () => {
  const m = prom.parse(contractSample());
  const h = prom.histogram(m, 'banyan_operation_duration_seconds');
  assert.equal(h.count, 10 * (1 + 2 + 3 + 4 + 5 + 6 + 7 + 8));
  assert.equal(h.buckets.length, LE.length);
  assert.equal(h.buckets[h.buckets.length - 1].le, Infinity);
  const only = prom.histogram(m, 'banyan_operation_duration_seconds', { op: 'create' });
  assert.equal(only.count, 30);
  assert.equal(prom.histogram(m, 'banyan_nothing'), null);
});

test('quantiles interpolate inside the bucket, as histogram_quantile', () => {
  const h = {
    buckets: [
      { le: 0.001, count: 50 },
      { le: 0.01, count: 90 },
      { le: 0.1, count: 100 },
      { le: Infinity, count: 100 },
    ],
    count: 100,
    sum: 0,
  };
  assert.ok(Math.abs(prom.quantile(0.5, h) - 0.001) < 1e-12);
  assert.ok(Math.abs(prom.quantile(0.25, h) - 0.0005) < 1e-12);
  assert.ok(Math.abs(prom.quantile(0.7, h) - (0.001 + 0.009 * 0.5)) < 1e-12);
  assert.ok(Math.abs(prom.quantile(0.99, h) - (0.01 + 0.09 * 0.9)) < 1e-12);
  const inf = { buckets: [{ le: 0.5, count: 1 }, { le: Infinity, count: 10 }], count: 10, sum: 0 };
  assert.equal(prom.quantile(0.99, inf), 0.5);
  assert.equal(prom.quantile(0.5, { buckets: [{ le: 1, count: 0 }, { le: Infinity, count: 0 }] }), null);
  assert.equal(prom.quantile(0.5, null), null);
});

test('the delta of two readings is the histogram in between; a reset restarts', () => {
  const a = prom.histogram(prom.parse(contractSample(1)), 'banyan_operation_duration_seconds', { op: 'stat' });
  const b = prom.histogram(prom.parse(contractSample(3)), 'banyan_operation_duration_seconds', { op: 'stat' });
  const d = prom.histogramDelta(b, a);
  assert.equal(d.count, 20);
  assert.equal(d.buckets[d.buckets.length - 1].count, 20);
  assert.equal(d.buckets[0].count, 5);
  assert.deepEqual(prom.histogramDelta(a, b), a); // went down: a restart
  assert.deepEqual(prom.histogramDelta(a, null), a);
});

test('rates of counters, with resets', () => {
  assert.equal(prom.rate(150, 50, 2), 50);
  assert.equal(prom.rate(10, 50, 2), 5);
  assert.equal(prom.rate(null, 50, 2), null);
  assert.equal(prom.rate(10, 5, 0), null);
});

console.log(`# prom_test: done, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
