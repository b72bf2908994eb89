#!/usr/bin/env bash
#
# mounts_sync: a sync runs off the HTTP threads (mount_io's workers) and
# honours the request timeout. With one HTTP thread, other requests are
# answered while a sync of 40,000 entries runs; past request_timeout_ms the
# sync request gets 503 unavailable (as a write that times out does) and
# the sync goes on to its end in the background; a daemon stopped during a
# sync exits cleanly.
#
# SPDX-License-Identifier: MIT

# jq filters are in single quotes on purpose.
# shellcheck disable=SC2016
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

J='Content-Type: application/json'
N=40000
U=$E2E_TMP/ufs
mkdir -p "$U/big"
(cd "$U/big" && seq -f 'f%05.0f' 1 "$N" | xargs touch)

daemon_start --set http_threads=1 --set request_timeout_ms=1000
P=$B/api/v1/paths

expect_status "mount $U at /m" 201 -X POST "$B/api/v1/mounts" -H "$J" \
    -d "{\"path\":\"/m\",\"ufs\":\"file://$U\"}"

# How many entries /m/big holds on this node now (a stale read: no load).
count() {
    local n=0 after="" body
    while :; do
        body=$(curl -s --max-time 5 \
            "$P/m/big?list&consistency=stale&limit=10000${after:+&after=$after}")
        n=$((n + $(jq '.entries | length' <<<"$body")))
        after=$(jq -r '.next // empty' <<<"$body")
        [[ -n "$after" ]] || break
    done
    echo "$n"
}

# ---- a sync does not hold the only HTTP thread ------------------------------

SYNC_OUT=$E2E_TMP/sync.json
curl -s -o "$SYNC_OUT" -w '%{http_code}' --max-time 60 -X POST \
    "$P/m/sync?recursive=true" >"$E2E_TMP/sync.code" &
SYNC_PID=$!
# Wait until the sync has started creating, then ask something else.
for ((i = 0; i < 200; i++)); do
    if [[ "$(curl -s --max-time 5 "$P/m/big?consistency=stale" |
        jq -r '.children // 0')" != 0 ]]; then
        break
    fi
    sleep 0.02
done
HEALTH=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$B/healthz")
check_eq "GET /healthz answers 200 during the sync (one HTTP thread)" \
    200 "$HEALTH"
expect_status "a stat answers during the sync" 200 "$P/m?consistency=stale"
wait "$SYNC_PID"
SYNC_CODE=$(cat "$E2E_TMP/sync.code")
check_eq "the sync past request_timeout_ms answers 503" 503 "$SYNC_CODE"
check "... unavailable, naming the request timeout" \
    jq -e '.code == "unavailable" and
           (.detail | test("request timeout"))' "$SYNC_OUT"

# ---- the sync goes on to its end --------------------------------------------

for ((i = 0; i < 600; i++)); do
    [[ "$(count)" == "$N" ]] && break
    sleep 0.1
done
check_eq "the sync went on in the background: /m/big holds $N entries" \
    "$N" "$(count)"
check "the daemon is still running" alive "$DAEMON_PID"
expect_status "a sync of a small directory answers 200" 200 -X POST \
    "$P/m/sync"
body_is "... with what it did" \
    '.path == "/m" and .created == 0 and .deleted == 0 and .directories == 1'
mkdir "$U/small"
: >"$U/small/a"
: >"$U/small/b"
expect_status "list /m/small loads it" 200 "$P/m/small?list"
body_is "... a and b" '[.entries[].name] == ["a", "b"]'
rm "$U/small/a"
expect_status "a listing with ?sync=always syncs first" 200 \
    "$P/m/small?list&sync=always"
body_is "... the removed file is gone" '[.entries[].name] == ["b"]'
expect_code "a sync outside a mount is 400" 400 not_a_mount_point -X POST \
    "$P/elsewhere/sync"
check "no error or warning was logged" \
    bash -c '! grep -E "\"level\":\"(error|warn)\"" "$1"' _ "$LOG"

# ---- stopped during a sync ---------------------------------------------------

(cd "$U/big" && seq -f 'g%05.0f' 1 20000 | xargs touch)
curl -s -o /dev/null --max-time 30 -X POST "$P/m/sync?recursive=true" &
SYNC_PID=$!
for ((i = 0; i < 200; i++)); do
    (($(count) > N)) && break
    sleep 0.02
done
daemon_stop
wait "$SYNC_PID" || true

finish
