#!/usr/bin/env bash
#
# dashboard: the web dashboard, served by banyand itself. First the static
# file server with curl (types, ETag and 304, HEAD, 405, traversal and
# symlinks out of web_root), then the parser of /metrics under node
# (tests/browser/prom_test.mjs), then the pages in real headless Chromium
# driven by playwright-core (tests/browser/dashboard.mjs): overview,
# browse, create/rename/chmod/delete checked with curl, 5,000 entries paged
# through, the API's errors on the page, mounts, keyboard, narrow screen.
# Screenshots go to tests/artifacts/screenshots/.
#
# Needs /usr/bin/chromium (Debian's chromium) and node_modules
# (playwright-core), both installed by `make deps`.
#
# SPDX-License-Identifier: MIT

# shellcheck disable=SC2016,SC2119
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

J='Content-Type: application/json'
BIG_ENTRIES=${BIG_ENTRIES:-5000}
BROWSER_TIMEOUT=${BROWSER_TIMEOUT:-180} # seconds for the whole browser suite

if [[ ! -x /usr/bin/chromium ]]; then
    echo "Bail out! /usr/bin/chromium is missing: make deps"
    exit 1
fi
if [[ ! -f "$E2E_ROOT/node_modules/playwright-core/package.json" ]]; then
    echo "Bail out! playwright-core is missing: make deps"
    exit 1
fi
if [[ ! -f "$E2E_ROOT/web/vendor/uPlot.js" ]]; then
    echo "Bail out! web/vendor/uPlot.js is missing: make deps"
    exit 1
fi

# node_suite NAME SECONDS SCRIPT [VAR=VALUE...]: runs a node suite with a
# time limit; its "ok -" and "not ok -" lines count as this suite's, and it
# must print "# NAME: done".
node_suite() {
    local name=$1 secs=$2 script=$3 out=$E2E_TMP/$1.out
    shift 3
    env "$@" timeout -k 5 "$secs" node "$script" >"$out" 2>&1 ||
        echo "# $name exited with status $?" >>"$out"
    cat "$out"
    PASS=$((PASS + $(grep -c '^ok - ' "$out" || true)))
    FAIL=$((FAIL + $(grep -c '^not ok - ' "$out" || true)))
    if ! grep -q "^# $name: done" "$out"; then
        not_ok "$name ran to its end within ${secs}s" "$out"
    fi
}

# A copy of web/ as the daemon's web_root, with a file outside it and two
# symlinks: one that stays inside, one that leads out.
WEB=$E2E_TMP/www/web
mkdir -p "$E2E_TMP/www"
cp -RL "$E2E_ROOT/web" "$WEB"
echo "secret" >"$E2E_TMP/www/outside.txt"
ln -s ../outside.txt "$WEB/escape.txt"
ln -s /etc/passwd "$WEB/absolute.txt"
ln -s index.html "$WEB/inside.html"
mkfifo "$WEB/fifo.js"

daemon_start --set "web_root=$WEB"

# ---- the static file server -------------------------------------------------

expect_status "GET / is 200" 200 "$B/"
check_eq "/ is text/html" "text/html; charset=utf-8" "$(header Content-Type)"
check "/ is web/index.html" cmp -s "$LAST_BODY" "$WEB/index.html"
etag=$(header ETag)
check "/ has a strong ETag" grep -Eq '^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$' <<<"$etag"
check "/ has Last-Modified" test -n "$(header Last-Modified)"
check_eq "/ must be revalidated" "no-cache" "$(header Cache-Control)"
check "/ has a Content-Security-Policy of its own origin" \
    grep -q "default-src 'self'" <<<"$(header Content-Security-Policy)"
expect_status "GET / with If-None-Match of its ETag is 304" 304 \
    -H "If-None-Match: $etag" "$B/"
check_eq "... with an empty body" 0 "$(stat -c %s "$LAST_BODY")"
check_eq "... and the same ETag" "$etag" "$(header ETag)"
expect_status "GET / with another If-None-Match is 200" 200 \
    -H 'If-None-Match: "0-0-0"' "$B/"
expect_status "HEAD / is 200" 200 -I "$B/"
check_eq "HEAD /: Content-Length of index.html" "$(stat -c %s "$WEB/index.html")" \
    "$(header Content-Length)"
# -X HEAD, not -I: curl then reads any body the server sends after all.
check_eq "HEAD /: no body follows the headers" 0 \
    "$(curl -s -X HEAD --max-time 3 -o /dev/null -w '%{size_download}' "$B/")"

expect_status "GET /web/js/app.js is 200" 200 "$B/web/js/app.js"
check_eq "... text/javascript" "text/javascript; charset=utf-8" "$(header Content-Type)"
check "... is web/js/app.js" cmp -s "$LAST_BODY" "$WEB/js/app.js"
expect_status "GET /web/css/dashboard.css is 200" 200 "$B/web/css/dashboard.css"
check_eq "... text/css" "text/css; charset=utf-8" "$(header Content-Type)"
expect_status "GET /web/vendor/uPlot.js (the chart library) is 200" 200 \
    "$B/web/vendor/uPlot.js"
check "... is the npm package's file" cmp -s "$LAST_BODY" \
    "$E2E_ROOT/node_modules/uplot/dist/uPlot.esm.js"
expect_status "GET /web/vendor/uPlot.LICENSE is 200" 200 "$B/web/vendor/uPlot.LICENSE"
check_eq "... application/octet-stream (unknown extension)" \
    "application/octet-stream" "$(header Content-Type)"
expect_status "GET /web/inside.html (a symlink inside web_root) is 200" 200 \
    "$B/web/inside.html"

expect_code "POST / is 405" 405 method_not_allowed -X POST "$B/"
check_eq "... Allow: GET, HEAD" "GET, HEAD" "$(header Allow)"
expect_code "DELETE /web/js/app.js is 405" 405 method_not_allowed \
    -X DELETE "$B/web/js/app.js"
expect_code "GET /web/nope.js is 404" 404 not_found "$B/web/nope.js"
expect_code "GET /web/ (a directory) is 404" 404 not_found "$B/web/"
expect_code "GET /web/js (a directory) is 404" 404 not_found "$B/web/js"
expect_code "GET /web/../outside.txt is 400" 400 invalid_path \
    "$B/web/../outside.txt"
expect_code "GET /web/js/../../outside.txt is 400" 400 invalid_path \
    "$B/web/js/../../outside.txt"
expect_code "GET /web/%2e%2e/outside.txt is 400" 400 invalid_path \
    "$B/web/%2e%2e/outside.txt"
expect_code "GET /web/%2E%2E%2Foutside.txt is 400" 400 invalid_path \
    "$B/web/%2E%2E%2Foutside.txt"
expect_code "GET /web/index.html%00.js is 400" 400 invalid_path \
    "$B/web/index.html%00.js"
expect_code "GET /web/escape.txt (a symlink out of web_root) is 404" 404 not_found \
    "$B/web/escape.txt"
check "... and nothing of the file outside leaks" bash -c "! grep -q secret '$LAST_BODY'"
expect_code "GET /web/absolute.txt (an absolute symlink) is 404" 404 not_found \
    "$B/web/absolute.txt"
expect_code "GET /web/.hidden is 404" 404 not_found "$B/web/.hidden"
expect_code "GET /web/fifo.js (not a regular file) is 404 at once" 404 not_found \
    --max-time 5 "$B/web/fifo.js"
expect_code "GET /index.html (outside /web) is 404" 404 not_found "$B/index.html"
expect_status "the API is still at /api/v1/paths" 200 "$B/api/v1/paths"
expect_status "... and /healthz" 200 "$B/healthz"

# ---- the parser of /metrics (no daemon involved) ----------------------------

node_suite prom_test 60 "$E2E_ROOT/tests/browser/prom_test.mjs"

# ---- the browser ------------------------------------------------------------

# A directory of BIG_ENTRIES files, made with curl: one process, many URLs
# (a config file), 16 requests in flight.
expect_status "mkdir /big" 201 -X PUT "$B/api/v1/paths/big" -H "$J" \
    -d '{"type":"directory"}'
cfg=$E2E_TMP/big.curl
for ((i = 0; i < BIG_ENTRIES; i++)); do
    printf 'url = "%s/api/v1/paths/big/f%05d"\noutput = "/dev/null"\n' "$B" "$i"
done >"$cfg"
t0=$SECONDS
codes=$(command curl -s --no-progress-meter --max-time 120 --parallel --parallel-max 16 -X PUT \
    -H "$J" -d '{"type":"file","size":1024}' -w '%{http_code}\n' -K "$cfg" |
    sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
check_eq "$BIG_ENTRIES creates in /big answered 201 (in $((SECONDS - t0)) s)" \
    "201:$BIG_ENTRIES " "$codes"
expect_status "stat /big" 200 "$B/api/v1/paths/big"
body_is "/big has $BIG_ENTRIES children" '.children == $n' --argjson n "$BIG_ENTRIES"

node_suite dashboard.mjs "$BROWSER_TIMEOUT" "$E2E_ROOT/tests/browser/dashboard.mjs" \
    BASE="$B" SHOTS="$E2E_ARTIFACTS/screenshots" BIG_DIR=/big BIG_ENTRIES="$BIG_ENTRIES"
daemon_stop

# ---- a follower of a 3-node cluster -------------------------------------------

# Only with a daemon that forms clusters (--members, issue 3).
if "$BANYAND" --help 2>&1 | grep -q -- '--members'; then
    declare -a CP CR CPID CSEQ
    MEMBERS=""
    for i in 1 2 3; do
        while :; do
            PORT="" RAFT_PORT=""
            DAEMON_SEQ=$((DAEMON_SEQ + 1))
            pick_ports
            [[ " ${CP[*]} ${CR[*]} " != *" $PORT "* && " ${CP[*]} ${CR[*]} " != *" $RAFT_PORT "* ]] && break
        done
        CP[i]=$PORT
        CR[i]=$RAFT_PORT
        MEMBERS+="${MEMBERS:+, }$i 127.0.0.1:$PORT 127.0.0.1:$RAFT_PORT"
    done
    for i in 1 2 3; do
        PORT=${CP[i]}
        daemon_launch_raw --node-id "$i" --data-dir "$E2E_TMP/node$i" \
            --listen "127.0.0.1:${CP[i]}" --raft-listen "127.0.0.1:${CR[i]}" \
            --members "$MEMBERS" --set election_timeout_ms=500 \
            --set heartbeat_timeout_ms=50 --set "web_root=$WEB"
        CPID[i]=$DAEMON_PID
        CSEQ[i]=$DAEMON_SEQ
    done
    leader=""
    deadline=$((SECONDS + 30))
    while [[ -z "$leader" ]] && ((SECONDS < deadline)); do
        for i in 1 2 3; do
            if curl -s --max-time 2 "http://127.0.0.1:${CP[i]}/readyz" |
                jq -e '.role == "leader"' >/dev/null 2>&1; then
                leader=$i
            fi
        done
        sleep 0.2
    done
    if [[ -n "$leader" ]]; then
        ok "a 3-node cluster elected node $leader"
        follower=$((leader % 3 + 1))
        node_suite cluster.mjs 120 "$E2E_ROOT/tests/browser/cluster.mjs" \
            FOLLOWER="http://127.0.0.1:${CP[follower]}" \
            LEADER="http://127.0.0.1:${CP[leader]}" SHOTS="$E2E_ARTIFACTS/screenshots"
    else
        not_ok "a 3-node cluster elected a leader within 30 s"
    fi
    for i in 1 2 3; do
        DAEMON_PID=${CPID[i]} DAEMON_SEQ=${CSEQ[i]}
        daemon_stop
    done
else
    echo "# this banyand forms no cluster (no --members): the follower checks do not run"
fi

finish
