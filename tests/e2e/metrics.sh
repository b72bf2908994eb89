#!/usr/bin/env bash
#
# metrics.sh: GET /metrics as Prometheus reads it. The exposition is
# checked by a real parser of the text format (promtool check metrics,
# from Debian's prometheus package), every family of the contract is
# there with its type, and the counters and gauges move as operations are
# made: requests by route, method and code, the operation histograms,
# raft indexes, apply batches, cache hits, misses and evictions, SQLite
# transactions, disk bytes and the exact inode counts (also after a
# restart and after a recursive delete is reclaimed).
#
# SPDX-License-Identifier: MIT

. "$(dirname "$0")/lib.sh"

if ! command -v promtool >/dev/null; then
    echo "Bail out! promtool is missing (make deps installs prometheus)"
    exit 1
fi

JSON='Content-Type: application/json'
N=0 # scrapes so far

# scrape: GET /metrics into $M (a new file each time); the check that it
# answers 200 is counted by the callers that care.
scrape() {
    N=$((N + 1))
    M=$E2E_TMP/metrics.$N
    curl -s -o "$M" "$B/metrics"
}

# val FILE SERIES: the value of SERIES (name{labels} exactly as written),
# 0 when absent.
val() {
    awk -v s="$2" '$1 == s { v = $2 } END { print (v == "" ? 0 : v) }' "$1"
}

# delta SERIES: its value in the last scrape minus the one before.
delta() {
    awk -v a="$(val "$M" "$1")" -v b="$(val "$PREV" "$1")" \
        'BEGIN { printf "%.6f\n", a - b }' | sed 's/\.\?0*$//'
}

daemon_start --cache-bytes 1MiB
P=$B/api/v1/paths

# ---- the exposition itself ------------------------------------------------

expect_status "GET /metrics answers 200" 200 "$B/metrics"
check_eq "Content-Type is the text format 0.0.4" \
    "text/plain; version=0.0.4; charset=utf-8" "$(header Content-Type)"
expect_status "HEAD /metrics answers 200" 200 -I "$B/metrics"
expect_code "POST /metrics is 405" 405 method_not_allowed -X POST "$B/metrics"

scrape
check "promtool check metrics accepts the exposition" \
    bash -c "promtool check metrics <'$M'"
check_eq "no series appears twice" "" \
    "$(grep -v '^#' "$M" | awk '{ print $1 }' | sort | uniq -d)"
check_eq "every sample line is 'series value'" "" \
    "$(grep -v '^#' "$M" | grep -Ev '^[a-z_]+(\{[^}]*\})? [0-9.e+Inf-]+$')"

# Every family of the contract, with its HELP and its TYPE.
missing=""
while read -r name type; do
    if ! grep -qx "# TYPE $name $type" "$M" || ! grep -q "^# HELP $name " "$M"; then
        missing="$missing $name:$type"
    fi
done <<'EOF'
banyan_build_info gauge
banyan_start_time_seconds gauge
banyan_http_requests_total counter
banyan_http_open_connections gauge
banyan_operation_duration_seconds histogram
banyan_raft_term gauge
banyan_raft_commit_index gauge
banyan_raft_applied_index gauge
banyan_raft_is_leader gauge
banyan_raft_leader_changes_total counter
banyan_apply_batch_commands histogram
banyan_cache_hits_total counter
banyan_cache_misses_total counter
banyan_cache_evictions_total counter
banyan_cache_bytes gauge
banyan_cache_entries gauge
banyan_store_transactions_total counter
banyan_store_disk_bytes gauge
banyan_inodes gauge
EOF
check_eq "every family of the contract has HELP and TYPE" "" "$missing"

version=$("$BANYAND" --version | awk '{ print $2 }')
check_eq "build_info carries the version of banyand --version" 1 \
    "$(val "$M" "banyan_build_info{version=\"$version\"}")"
now=$(date +%s)
check "start_time_seconds is within the last 5 minutes" \
    awk -v t="$(val "$M" banyan_start_time_seconds)" -v now="$now" \
    'BEGIN { exit !(t > now - 300 && t <= now + 1) }'
check_eq "this single node leads" 1 "$(val "$M" banyan_raft_is_leader)"
check "the term is at least 1 and a leader change was seen" \
    awk -v t="$(val "$M" banyan_raft_term)" \
    -v c="$(val "$M" banyan_raft_leader_changes_total)" \
    'BEGIN { exit !(t >= 1 && c >= 1) }'
check "open connections count this scrape's" \
    awk -v c="$(val "$M" banyan_http_open_connections)" 'BEGIN { exit !(c >= 1) }'
check_eq "a fresh store holds the root directory only" "1 0" \
    "$(val "$M" 'banyan_inodes{type="directory"}') $(val "$M" 'banyan_inodes{type="file"}')"
check_eq "every operation has a histogram, even unused" 8 \
    "$(grep -c '^banyan_operation_duration_seconds_count{op="[a-z]*"}' "$M")"

# ---- counters move with operations ----------------------------------------

scrape
PREV=$M
s=$(status_of -X PUT "$P/m" -H "$JSON" -d '{"type":"directory"}')
s="$s $(status_of -X PUT "$P/m/f1" -H "$JSON" -d '{"type":"file"}')"
s="$s $(status_of -X PUT "$P/m/f2" -H "$JSON" -d '{"type":"file"}')"
s="$s $(status_of -X PUT "$P/m" -H "$JSON" -d '{"type":"directory"}')"
s="$s $(status_of "$P/m/f1") $(status_of "$P/m/f1") $(status_of "$P/m/f2")"
s="$s $(status_of "$P/m?list")"
s="$s $(status_of -X PATCH "$P/m/f1" -H "$JSON" -d '{"mode":"0600"}')"
s="$s $(status_of -X POST "$P/m/f1/rename" -H "$JSON" -d '{"to":"/m/f3"}')"
s="$s $(status_of -X DELETE "$P/m/f2")"
s="$s $(status_of "$B/no/such/route")"
check_eq "the operations answered as expected" \
    "201 201 201 409 200 200 200 200 200 200 204 404" "$s"
scrape

R='route="/api/v1/paths"'
check_eq "requests_total: PUT 201 +3" 3 "$(delta "banyan_http_requests_total{$R,method=\"PUT\",code=\"201\"}")"
check_eq "requests_total: PUT 409 +1" 1 "$(delta "banyan_http_requests_total{$R,method=\"PUT\",code=\"409\"}")"
check_eq "requests_total: GET 200 +4" 4 "$(delta "banyan_http_requests_total{$R,method=\"GET\",code=\"200\"}")"
check_eq "requests_total: PATCH 200 +1" 1 "$(delta "banyan_http_requests_total{$R,method=\"PATCH\",code=\"200\"}")"
check_eq "requests_total: POST 200 +1" 1 "$(delta "banyan_http_requests_total{$R,method=\"POST\",code=\"200\"}")"
check_eq "requests_total: DELETE 204 +1" 1 "$(delta "banyan_http_requests_total{$R,method=\"DELETE\",code=\"204\"}")"
check_eq "requests_total: an unmatched URL is route=unmatched, 404" 1 \
    "$(delta 'banyan_http_requests_total{route="unmatched",method="GET",code="404"}')"
check_eq "requests_total: the scrape before counts under /metrics" 1 \
    "$(delta 'banyan_http_requests_total{route="/metrics",method="GET",code="200"}')"

counts=""
for op in stat list create mkdir setattr rename delete; do
    counts="$counts $op=$(delta "banyan_operation_duration_seconds_count{op=\"$op\"}")"
done
check_eq "operation counts by kind" \
    " stat=3 list=1 create=2 mkdir=2 setattr=1 rename=1 delete=1" "$counts"
check "write latencies add up to more than 0 s" \
    awk -v d="$(delta 'banyan_operation_duration_seconds_sum{op="mkdir"}')" \
    'BEGIN { exit !(d > 0) }'

# Each histogram: buckets never decrease and +Inf equals _count.
bad=$(awk '
    /^banyan_operation_duration_seconds_bucket/ {
        split($1, a, /le="/); key = a[1]
        if (key == last && $2 < prev) print "decreasing: " $1
        last = key; prev = $2
        if ($1 ~ /le="\+Inf"/) inf[key] = $2
    }
    /^banyan_operation_duration_seconds_count/ {
        k = $1; sub(/_count\{/, "_bucket{", k); sub(/\}$/, ",", k)
        if (inf[k] != $2) print "+Inf != count: " $1
    }' "$M")
check_eq "buckets are cumulative and +Inf equals _count" "" "$bad"

check "raft commit and applied indexes moved by the 7 writes" \
    awk -v c="$(delta banyan_raft_commit_index)" \
    -v a="$(delta banyan_raft_applied_index)" 'BEGIN { exit !(c >= 1 && a >= 1) }'
check_eq "applied index equals the commit index when idle" \
    "$(val "$M" banyan_raft_commit_index)" "$(val "$M" banyan_raft_applied_index)"
check_eq "apply batches carried the 7 write commands" 7 \
    "$(delta banyan_apply_batch_commands_sum)"
check "apply batches were counted" \
    awk -v n="$(delta banyan_apply_batch_commands_count)" 'BEGIN { exit !(n >= 1 && n <= 7) }'
check "SQLite transactions were committed" \
    awk -v n="$(delta banyan_store_transactions_total)" 'BEGIN { exit !(n >= 1) }'
check "stats hit the cache" \
    awk -v n="$(delta banyan_cache_hits_total)" 'BEGIN { exit !(n >= 3) }'
check_eq "inodes: one more directory" 1 "$(delta 'banyan_inodes{type="directory"}')"
check_eq "inodes: one more file (two created, one deleted)" 1 \
    "$(delta 'banyan_inodes{type="file"}')"

# ---- operations come from the route, not from the URL's last segment ------

# Alluxio action names that banyan does not serve are answered 404 and
# count as "other", never as the action they name (create-directory is not
# a mkdir, get-status not a stat); the scrape before counts as "other" too.
scrape
PREV=$M
s=$(status_of -X POST "$P/m/create-directory" -H "$JSON" -d '{}')
s="$s $(status_of -X POST "$P/m/get-status" -H "$JSON" -d '{}')"
s="$s $(status_of -X POST "$P/m/list-status" -H "$JSON" -d '{}')"
check_eq "unserved Alluxio actions are 404" "404 404 404" "$s"
scrape
counts=""
for op in stat list create mkdir setattr rename delete other; do
    counts="$counts $op=$(delta "banyan_operation_duration_seconds_count{op=\"$op\"}")"
done
check_eq "... counted as other (3 and the scrape), not as what they name" \
    " stat=0 list=0 create=0 mkdir=0 setattr=0 rename=0 delete=0 other=4" "$counts"

# ---- the cache under pressure: evictions and misses ------------------------

# Each file carries a 4 KiB attribute, so 400 of them outgrow the 1 MiB
# cache.
NFILES=400
blob=$(head -c 4000 /dev/zero | tr '\0' x)
printf '{"type":"file","xattrs":{"blob":"%s"}}' "$blob" >"$E2E_TMP/big.json"
expect_status "mkdir /many" 201 -X PUT "$P/many" -H "$JSON" -d '{"type":"directory"}'
seq 1 "$NFILES" | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
    -X PUT "$P/many/f{}" -H "$JSON" -d @"$E2E_TMP/big.json" >"$E2E_TMP/creates"
check_eq "$NFILES creates answered 201" "$NFILES" "$(grep -c '^201$' "$E2E_TMP/creates")"
scrape
PREV=$M
seq 1 "$NFILES" | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
    "$P/many/f{}" >"$E2E_TMP/stats"
check_eq "$NFILES stats answered 200" "$NFILES" "$(grep -c '^200$' "$E2E_TMP/stats")"
scrape
check "a 1 MiB cache evicted entries" \
    awk -v n="$(val "$M" banyan_cache_evictions_total)" 'BEGIN { exit !(n > 0) }'
check "stats of evicted inodes missed the cache" \
    awk -v n="$(delta banyan_cache_misses_total)" 'BEGIN { exit !(n > 0) }'
check "the cache stays within its 1 MiB budget" \
    awk -v b="$(val "$M" banyan_cache_bytes)" -v e="$(val "$M" banyan_cache_entries)" \
    'BEGIN { exit !(b > 0 && b <= 1048576 && e > 0) }'
check_eq "operation count: $NFILES more stats" "$NFILES" \
    "$(delta 'banyan_operation_duration_seconds_count{op="stat"}')"
check_eq "inodes: exact after $NFILES creates" "3 $((NFILES + 1))" \
    "$(val "$M" 'banyan_inodes{type="directory"}') $(val "$M" 'banyan_inodes{type="file"}')"

# The database and its WAL, as ls sees them while the node is idle.
disk_ok=0
for _ in 1 2 3 4 5; do
    before=$(stat -c %s "$DATA_DIR/banyan.db" "$DATA_DIR/banyan.db-wal" 2>/dev/null |
        awk '{ s += $1 } END { print s }')
    scrape
    after=$(stat -c %s "$DATA_DIR/banyan.db" "$DATA_DIR/banyan.db-wal" 2>/dev/null |
        awk '{ s += $1 } END { print s }')
    if [[ "$before" == "$after" && "$(val "$M" banyan_store_disk_bytes)" == "$after" ]]; then
        disk_ok=1
        break
    fi
    sleep 0.5
done
check_eq "store_disk_bytes is the size of the database and its WAL" 1 "$disk_ok"

# ---- recursive delete: the counts drop as the reclaim goes -----------------

expect_status "delete /many recursively" 204 -X DELETE "$P/many?recursive=true"
counted=""
for _ in $(seq 1 100); do
    scrape
    counted="$(val "$M" 'banyan_inodes{type="directory"}') $(val "$M" 'banyan_inodes{type="file"}')"
    [[ "$counted" == "2 1" ]] && break
    sleep 0.1
done
check_eq "inodes: exact once the deleted subtree is reclaimed" "2 1" "$counted"

# ---- a restart keeps the counts exact ---------------------------------------

daemon_stop
daemon_restart --cache-bytes 1MiB
scrape
check_eq "inodes: the same after a restart" "2 1" \
    "$(val "$M" 'banyan_inodes{type="directory"}') $(val "$M" 'banyan_inodes{type="file"}')"
check_eq "counters start over with the process" 0 \
    "$(val "$M" 'banyan_http_requests_total{route="/api/v1/paths",method="PUT",code="201"}')"
check "promtool still accepts it" bash -c "promtool check metrics <'$M'"
daemon_stop

finish
