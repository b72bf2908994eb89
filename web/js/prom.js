// prom.js: a parser of the Prometheus text exposition format (0.0.4) and
// the arithmetic the dashboard does on it: sums over label sets, rates of
// counters, and quantiles of histograms (as PromQL's histogram_quantile).
// Pure functions, no DOM: tests/browser/prom_test.mjs runs them in node.
//
// SPDX-License-Identifier: MIT

// A line that does not follow the format.
export class ParseError extends Error {
  constructor(line, message) {
    super(`line ${line}: ${message}`);
    this.name = 'ParseError';
    this.line = line;
  }
}

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(s, line) {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    throw new ParseError(line, `'${s}' is not a number`);
  }
  return Number(s);
}

// Parses the label set at s[i] == '{'; returns [labels, index after '}'].
function parseLabels(s, i, line) {
  const labels = {};
  i++; // '{'
  for (;;) {
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] === '}') return [labels, i + 1];
    const m = LABEL_RE.exec(s.slice(i));
    if (!m) throw new ParseError(line, `bad label name at column ${i + 1}`);
    const name = m[0];
    i += name.length;
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] !== '=') throw new ParseError(line, `expected '=' after label ${name}`);
    i++;
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] !== '"') throw new ParseError(line, `expected '"' for label ${name}`);
    i++;
    let v = '';
    for (;;) {
      if (i >= s.length) throw new ParseError(line, `unterminated value of label ${name}`);
      const c = s[i];
      if (c === '"') break;
      if (c === '\\') {
        const e = s[i + 1];
        if (e === '\\') v += '\\';
        else if (e === '"') v += '"';
        else if (e === 'n') v += '\n';
        else throw new ParseError(line, `bad escape '\\${e ?? ''}' in label ${name}`);
        i += 2;
      } else {
        v += c;
        i++;
      }
    }
    i++; // closing '"'
    if (Object.hasOwn(labels, name)) {
      throw new ParseError(line, `label ${name} given twice`);
    }
    labels[name] = v;
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] === ',') {
      i++;
    } else if (s[i] !== '}') {
      throw new ParseError(line, `expected ',' or '}' after label ${name}`);
    }
  }
}

// The family a sample belongs to: histograms and summaries own their
// _bucket, _sum and _count series.
function familyOf(name, types) {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      const t = types.get(base);
      if (t === 'histogram' || (t === 'summary' && suffix !== '_bucket')) return base;
    }
  }
  return name;
}

// Parses exposition text. Returns {samples: [{name, labels, value}],
// types: Map(family -> type), help: Map(family -> text)}. Throws
// ParseError on a line that breaks the format.
export function parse(text) {
  const samples = [];
  const types = new Map();
  const help = new Map();
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = n + 1;
    const s = lines[n].replace(/\r$/, '');
    if (s.trim() === '') continue;
    if (s[0] === '#') {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(s);
      if (!m) continue; // a plain comment
      const [, kind, name, rest = ''] = m;
      if (!NAME_RE.test(name) || NAME_RE.exec(name)[0] !== name) {
        throw new ParseError(line, `bad metric name '${name}'`);
      }
      if (kind === 'TYPE') {
        if (!TYPES.has(rest.trim())) throw new ParseError(line, `unknown type '${rest}'`);
        if (types.has(name)) throw new ParseError(line, `second TYPE for ${name}`);
        types.set(name, rest.trim());
      } else {
        help.set(name, rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\'));
      }
      continue;
    }
    const m = NAME_RE.exec(s);
    if (!m) throw new ParseError(line, 'expected a metric name');
    const name = m[0];
    let i = name.length;
    let labels = {};
    let j = i;
    while (s[j] === ' ' || s[j] === '\t') j++;
    if (s[j] === '{') {
      [labels, i] = parseLabels(s, j, line);
    } else if (j === i && i < s.length) {
      throw new ParseError(line, `expected a space or '{' after ${name}`);
    }
    const rest = s.slice(i).trim().split(/[ \t]+/);
    if (rest[0] === '' || rest.length > 2) {
      throw new ParseError(line, `expected a value (and a timestamp) after ${name}`);
    }
    const value = parseValue(rest[0], line);
    if (rest.length === 2 && !/^-?\d+$/.test(rest[1])) {
      throw new ParseError(line, `'${rest[1]}' is not a timestamp`);
    }
    samples.push({ name, family: familyOf(name, types), labels, value });
  }
  return { samples, types, help };
}

function matches(labels, filter) {
  for (const [k, v] of Object.entries(filter || {})) {
    if (labels[k] !== v) return false;
  }
  return true;
}

// The samples named @name whose labels include @filter.
export function select(m, name, filter) {
  return m.samples.filter((s) => s.name === name && matches(s.labels, filter));
}

// The sum of the samples named @name that match @filter, or null when
// there is none.
export function sum(m, name, filter) {
  const ss = select(m, name, filter);
  if (ss.length === 0) return null;
  return ss.reduce((a, s) => a + s.value, 0);
}

// The values of label @label among the samples named @name.
export function labelValues(m, name, label) {
  const out = new Set();
  for (const s of select(m, name)) {
    if (label in s.labels) out.add(s.labels[label]);
  }
  return [...out].sort();
}

// The histogram @base summed over every series matching @filter:
// {buckets: [{le, count}] cumulative and sorted by le, count, sum}, or null
// when there is no such series.
export function histogram(m, base, filter) {
  const byLe = new Map();
  for (const s of select(m, `${base}_bucket`, filter)) {
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    if (Number.isNaN(le)) continue;
    byLe.set(le, (byLe.get(le) || 0) + s.value);
  }
  if (byLe.size === 0) return null;
  const buckets = [...byLe.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([le, count]) => ({ le, count }));
  return {
    buckets,
    count: sum(m, `${base}_count`, filter) ?? buckets[buckets.length - 1].count,
    sum: sum(m, `${base}_sum`, filter) ?? 0,
  };
}

// What @now adds to @before (two readings of the same histogram): the
// histogram of the observations made between them. A counter reset (a
// bucket that went down, or a different set of bounds) gives @now itself.
export function histogramDelta(now, before) {
  if (!now) return null;
  if (!before || before.buckets.length !== now.buckets.length) return now;
  const buckets = [];
  for (let i = 0; i < now.buckets.length; i++) {
    const a = now.buckets[i];
    const b = before.buckets[i];
    if (a.le !== b.le || a.count < b.count) return now;
    buckets.push({ le: a.le, count: a.count - b.count });
  }
  return { buckets, count: now.count - before.count, sum: now.sum - before.sum };
}

// The @q-quantile (0 <= q <= 1) of histogram @h, interpolated linearly
// inside its bucket as PromQL's histogram_quantile does: null when the
// histogram is empty; the upper bound of the highest finite bucket when the
// rank falls in the +Inf bucket.
export function quantile(q, h) {
  if (!h || h.buckets.length === 0) return null;
  const b = h.buckets;
  const total = b[b.length - 1].count;
  if (!(total > 0)) return null;
  const rank = q * total;
  let i = b.findIndex((x) => x.count >= rank);
  if (i < 0) i = b.length - 1;
  if (b[i].le === Infinity) {
    return b.length >= 2 ? b[b.length - 2].le : null;
  }
  const lower = i === 0 ? 0 : b[i - 1].le;
  const below = i === 0 ? 0 : b[i - 1].count;
  const inBucket = b[i].count - below;
  if (inBucket <= 0) return b[i].le;
  if (i === 0 && b[i].le <= 0) return b[i].le;
  return lower + (b[i].le - lower) * ((rank - below) / inBucket);
}

// The rate per second of a counter that went from @before to @now in
// @seconds; null when unknown, and @now / @seconds after a reset.
export function rate(now, before, seconds) {
  if (now == null || before == null || !(seconds > 0)) return null;
  const d = now >= before ? now - before : now;
  return d / seconds;
}
