// api.js: the REST API of the server that served the page, and nothing
// else. Every failure becomes an ApiError carrying the problem+json answer
// (RFC 9457: title, detail, code, status) as the API worded it.
//
// SPDX-License-Identifier: MIT

export class ApiError extends Error {
  constructor(status, problem, fallback) {
    const p = problem || {};
    super(p.detail || p.title || fallback || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.title = p.title || fallback || `HTTP ${status}`;
    this.detail = p.detail || '';
    this.code = p.code || '';
  }
}

const JSON_TYPE = 'application/json';

// Encodes a namespace path ("/a b/c") for a URL, one segment at a time.
export function encodePath(path) {
  return path
    .split('/')
    .filter((s) => s !== '')
    .map(encodeURIComponent)
    .join('/');
}

// The URL of the inode at @path.
export function pathUrl(path) {
  const enc = encodePath(path);
  return enc === '' ? '/api/v1/paths' : `/api/v1/paths/${enc}`;
}

// fetch() that throws ApiError for a network failure or an answer that is
// not 2xx (or 304). Returns the Response.
export async function request(url, { method = 'GET', body, headers = {}, signal } = {}) {
  // A follower answers writes with 307 not_leader and the leader's URL, a
  // server of another origin that the page may not call: stop there and
  // say where the leader is instead.
  const init = {
    method,
    headers: { Accept: `${JSON_TYPE}, application/problem+json`, ...headers },
    signal,
    redirect: 'manual',
  };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = JSON_TYPE;
  }
  let resp;
  try {
    resp = await fetch(url, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, null, `the server did not answer (${e.message})`);
  }
  if (resp.type === 'opaqueredirect') throw await notLeader();
  if (resp.ok) return resp;
  let problem = null;
  const type = resp.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try {
      problem = await resp.json();
    } catch {
      problem = null;
    }
  }
  throw new ApiError(resp.status, problem, `${resp.status} ${resp.statusText}`);
}

// The error of a write sent to a follower: the redirect's body cannot be
// read (it is opaque to the page), so the leader comes from the cluster API.
async function notLeader() {
  let detail = 'this node sends changes to the leader, which is another server: open the dashboard of the leader';
  let leaderUrl = null;
  try {
    const resp = await fetch('/api/v1/cluster', { redirect: 'manual' });
    if (resp.ok) {
      const cl = await resp.json();
      const leader = (cl.nodes || []).find((n) => n.id === cl.leader_id);
      if (leader) {
        leaderUrl = `http://${leader.http}/`;
        detail = `node ${leader.id} leads; make changes on its dashboard at ${leaderUrl}`;
      }
    }
  } catch {
    /* keep the general detail */
  }
  const err = new ApiError(307, { title: 'this node is not the leader', code: 'not_leader', detail });
  err.leaderUrl = leaderUrl;
  return err;
}

export async function getJson(url, opts) {
  const resp = await request(url, opts);
  return resp.status === 204 ? null : resp.json();
}

// Namespace operations (openapi.yaml, tag "paths").

// Reads are linearizable: a follower redirects them to the leader
// (not_leader), unless @stale asks for this node's own copy, which may be
// a little behind (consistency=stale).
export function stat(path, { stale = false } = {}, opts) {
  return getJson(`${pathUrl(path)}${stale ? '?consistency=stale' : ''}`, opts);
}

export function list(path, { limit, after, stale = false } = {}, opts) {
  let q = 'list';
  if (limit) q += `&limit=${limit}`;
  if (after != null) q += `&after=${encodeURIComponent(after)}`;
  if (stale) q += '&consistency=stale';
  return getJson(`${pathUrl(path)}?${q}`, opts);
}

export function mkdir(path) {
  return getJson(pathUrl(path), { method: 'PUT', body: { type: 'directory' } });
}

function ifMatch(etag) {
  return etag ? { 'If-Match': etag } : {};
}

export function rename(path, to, etag) {
  return getJson(`${pathUrl(path)}/rename`, {
    method: 'POST',
    body: { to },
    headers: ifMatch(etag),
  });
}

export function remove(path, { recursive = false, etag } = {}) {
  const q = recursive ? '?recursive=true' : '';
  return getJson(`${pathUrl(path)}${q}`, { method: 'DELETE', headers: ifMatch(etag) });
}

export function setattr(path, attrs, etag) {
  return getJson(pathUrl(path), { method: 'PATCH', body: attrs, headers: ifMatch(etag) });
}

// Server state. Each answers null when the server has no such resource
// (404), so that the page works with daemons that predate it.

async function optional(fn) {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

export function cluster() {
  return optional(() => getJson('/api/v1/cluster'));
}

export function mounts() {
  return optional(() => getJson('/api/v1/mounts'));
}

export function metricsText() {
  return optional(async () => (await request('/metrics', { headers: { Accept: 'text/plain' } })).text());
}

// /readyz answers 503 with a problem when the node is not ready; that is an
// answer too: {ready, role, applied_index, detail}.
export async function readiness() {
  try {
    const r = await getJson('/readyz');
    return { ready: true, role: r.role, applied_index: r.applied_index, detail: '' };
  } catch (e) {
    if (e instanceof ApiError && e.status === 503) {
      return { ready: false, role: null, applied_index: null, detail: e.detail };
    }
    throw e;
  }
}
