#!/usr/bin/env bash
# bench.sh: banyan's benchmark (make bench), single node on loopback.
#
# Part 1, throughput: measures the HTTP ceiling of the machine (bare_http,
# a bare libmicrohttpd server in banyan's threading mode), then runs each
# operation (get, list, create, mkdir, rename, delete) against a daemon on
# a fresh data dir and prints ops/s, p50/p99 latency and the ratio to the
# ceiling, with the daemon's peak RSS.
# Part 2, memory: bulk-loads BENCH_SMALL and then BENCH_BIG files into
# fresh data dirs, starts the daemon with a fixed --cache-bytes, stats
# random paths across the whole namespace and reports the peak RSS of both
# side by side: with a bounded cache they should be close.
#
# Everything is bounded in time and stops by itself; the daemons it starts
# are killed on exit. Environment (defaults in brackets):
#   BENCH_SECONDS [5]   length of each loadgen run
#   BENCH_CONNS [64]    concurrent connections
#   BENCH_THREADS [1]   loadgen client threads
#   BENCH_SMALL [100000] files for the first memory run
#   BENCH_BIG [10000000] files for the second memory run; 0 skips it
#   BENCH_CACHE [64MiB] --cache-bytes of the memory runs
#   BENCH_MEM_SECONDS [10] length of the memory runs' getmany
#   BENCH_PORT [18420]  first of the five ports it uses
#   BENCH_BUILD [build/release] where banyand and the bench tools are
#   BENCH_KEEP [0]      1 keeps the temporary data dirs and logs
#
# SPDX-License-Identifier: MIT

set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BENCH_BUILD:-$ROOT/build/release}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SECS=${BENCH_SECONDS:-5}
CONNS=${BENCH_CONNS:-64}
THREADS=${BENCH_THREADS:-1}
SMALL=${BENCH_SMALL:-100000}
BIG=${BENCH_BIG:-10000000}
CACHE=${BENCH_CACHE:-64MiB}
MEM_SECS=${BENCH_MEM_SECONDS:-10}
PORT=${BENCH_PORT:-18420}
KEEP=${BENCH_KEEP:-0}
READY_TIMEOUT=${BENCH_READY_TIMEOUT:-120}

BANYAND=$BUILD/banyand
LOADGEN=$BUILD/tests/bench/loadgen
BARE=$BUILD/tests/bench/bare_http
BULKLOAD=$BUILD/tests/bench/bulkload

BARE_PORT=$PORT
HTTP_PORT=$((PORT + 1))
RAFT_PORT=$((PORT + 2))
MEM_HTTP_PORT=$((PORT + 3))
MEM_RAFT_PORT=$((PORT + 4))

TMP=$(mktemp -d "${TMPDIR:-/tmp}/banyan-bench.XXXXXX")
PIDS=()
MEM_small_LINE=""
MEM_big_LINE=""

say() { printf '%s\n' "$*" >&2; }
die() {
    say "bench: $*"
    exit 1
}

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        stop_pid "$pid"
    done
    if [ "$KEEP" = 1 ]; then
        say "bench: kept $TMP"
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Stop one process we started: TERM, then KILL after 10 s.
stop_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "bench: pid $pid ignored SIGTERM for 10 s, killing it"
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    return 0
}

forget_pid() {
    local keep=() p
    for p in "${PIDS[@]}"; do
        [ "$p" = "$1" ] || keep+=("$p")
    done
    PIDS=("${keep[@]+"${keep[@]}"}")
}

# peak_kb PID KEY: VmHWM or VmRSS of a live process, in kB.
mem_kb() {
    awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null ||
        echo 0
}

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

http_code() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" 2>/dev/null ||
        true
}

# wait_for URL CODE SECONDS PID
wait_for() {
    local url=$1 want=$2 secs=$3 pid=$4 i
    for i in $(seq $((secs * 10))); do
        kill -0 "$pid" 2>/dev/null || return 1
        [ "$(http_code "$url")" = "$want" ] && return 0
        sleep 0.1
    done
    return 1
}

# start_banyand DATA_DIR HTTP_PORT RAFT_PORT LOG [flags...]: sets DPID.
start_banyand() {
    local dir=$1 hport=$2 rport=$3 log=$4
    shift 4
    "$BANYAND" --data-dir "$dir" --listen "127.0.0.1:$hport" \
        --raft-listen "127.0.0.1:$rport" --log-level warn "$@" \
        >"$log" 2>&1 &
    DPID=$!
    PIDS+=("$DPID")
    if ! wait_for "http://127.0.0.1:$hport/readyz" 200 "$READY_TIMEOUT" \
        "$DPID"; then
        say "bench: banyand on $dir not ready in ${READY_TIMEOUT}s; log:"
        tail -n 20 "$log" >&2
        exit 1
    fi
}

# lg NAME PORT [loadgen args...]: runs loadgen, keeps its JSON line in
# $TMP/NAME.json and echoes it.
lg() {
    local name=$1 port=$2 out
    shift 2
    out=$(timeout $((${SECS%.*} + MEM_SECS + 60)) "$LOADGEN" \
        --port "$port" --conns "$CONNS" --threads "$THREADS" "$@" \
        2>"$TMP/$name.err")
    if [ -z "$out" ]; then
        say "bench: loadgen $name failed:"
        cat "$TMP/$name.err" >&2
        out='{"op":"'$name'","ops":0,"ops_per_s":0,"p50_ms":0,"p99_ms":0,"errors":-1,"non2xx":0,"issued":0}'
    fi
    printf '%s\n' "$out" >"$TMP/$name.json"
    if [ -s "$TMP/$name.err" ]; then
        sed 's/^/    /' "$TMP/$name.err" | head -n 3 >&2
    fi
    say "  $out"
}

field() { jq -r ".$2" "$TMP/$1.json"; }

# put PATH JSON: create through the API, fail loudly.
put() {
    local code
    code=$(http_code -X PUT -H 'Content-Type: application/json' \
        --data "$2" "http://127.0.0.1:$HTTP_PORT/api/v1/paths$1")
    [ "$code" = 201 ] || die "PUT $1 $2: HTTP $code"
}

for f in "$BANYAND" "$LOADGEN" "$BARE" "$BULKLOAD"; do
    [ -x "$f" ] || die "$f is missing: make MODE=release all $(
        echo build/release/tests/bench/{loadgen,bare_http,bulkload})"
done
command -v jq >/dev/null || die "jq is missing (make deps)"
command -v curl >/dev/null || die "curl is missing (make deps)"

# ---- the machine -----------------------------------------------------------

echo "banyan bench, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' \
    /proc/cpuinfo), $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' \
    /proc/meminfo) RAM, $(uname -sr)"
echo "runs: ${SECS}s each, $CONNS connections, $THREADS loadgen thread(s);" \
    "keep-alive, no pipelining; loadgen shares the machine with the server"
echo

# ---- part 1: throughput ----------------------------------------------------

say "bench: bare_http ceiling on :$BARE_PORT"
"$BARE" "$BARE_PORT" 2>"$TMP/bare_http.log" &
BPID=$!
PIDS+=("$BPID")
wait_for "http://127.0.0.1:$BARE_PORT/" 200 10 "$BPID" ||
    die "bare_http did not start"
lg bare "$BARE_PORT" --seconds "$SECS" bare
stop_pid "$BPID"
forget_pid "$BPID"

say "bench: banyand on :$HTTP_PORT"
start_banyand "$TMP/data" "$HTTP_PORT" "$RAFT_PORT" "$TMP/banyand.log"
MAINPID=$DPID
say "bench: setting up /bench"
put /bench '{"type":"directory"}'
put /bench/list '{"type":"directory"}'
for i in $(seq -w 0 99); do
    put "/bench/list/e$i" '{"type":"file","size":1}'
done
put /bench/file '{"type":"file","size":1}'
for d in create mkdir rename; do
    put "/bench/$d" '{"type":"directory"}'
done
RSS_IDLE=$(mem_kb "$MAINPID" VmRSS)

lg healthz "$HTTP_PORT" --seconds "$SECS" raw /healthz
lg get "$HTTP_PORT" --seconds "$SECS" get /bench/file
lg list "$HTTP_PORT" --seconds "$SECS" list /bench/list
lg create "$HTTP_PORT" --seconds "$SECS" create /bench/create
lg mkdir "$HTTP_PORT" --seconds "$SECS" mkdir /bench/mkdir
lg rename "$HTTP_PORT" --seconds "$SECS" rename /bench/rename
CREATED=$(field create issued)
if [ "${CREATED:-0}" -gt 0 ]; then
    lg delete "$HTTP_PORT" --seconds "$SECS" --count "$CREATED" \
        delete /bench/create
else
    say "bench: create made nothing; skipping delete"
    echo '{"op":"delete","ops":0,"ops_per_s":0,"p50_ms":0,"p99_ms":0,"errors":0,"non2xx":0}' \
        >"$TMP/delete.json"
fi
RSS_PEAK=$(mem_kb "$MAINPID" VmHWM)
if ! kill -0 "$MAINPID" 2>/dev/null; then
    say "bench: banyand died during the run; log:"
    tail -n 20 "$TMP/banyand.log" >&2
fi
stop_pid "$MAINPID"
forget_pid "$MAINPID"

CEIL=$(field bare ops_per_s)
echo "throughput (ops/s; ratio = ops/s of bare_http, the HTTP ceiling)"
printf '%-10s %12s %10s %10s %8s %8s\n' operation ops/s p50_ms p99_ms \
    failed ratio
for op in bare healthz get list create mkdir rename delete; do
    jq -r --argjson ceil "$CEIL" --arg name "$op" \
        '[$name, .ops_per_s, .p50_ms, .p99_ms, (.errors + .non2xx),
          (if $ceil > 0 then .ops_per_s / $ceil else 0 end)] | @tsv' \
        "$TMP/$op.json" |
        awk -F'\t' '{ printf "%-10s %12.0f %10.3f %10.3f %8d %7.1f%%\n",
                      $1, $2, $3, $4, $5, $6 * 100 }'
done
echo "(healthz: banyan's HTTP layer alone; failed = transport errors +" \
    "non-2xx answers)"
echo "banyand RSS: $(mib "$RSS_IDLE") MiB after setup," \
    "peak $(mib "$RSS_PEAK") MiB (VmHWM)"
echo

# ---- part 2: memory against namespace size ---------------------------------

# mem_run LABEL FILES: fills MEM_<LABEL>_* variables.
mem_run() {
    local label=$1 files=$2 dir=$TMP/mem-$1 out rows rate start peak ops p99
    say "bench: bulk-loading $files files into $dir"
    out=$(timeout 3600 "$BULKLOAD" "$dir" "$files") ||
        die "bulkload $files failed"
    say "  $out"
    rows=$(jq -r .rows <<<"$out")
    rate=$(jq -r .rows_per_s <<<"$out")
    start_banyand "$dir" "$MEM_HTTP_PORT" "$MEM_RAFT_PORT" \
        "$TMP/banyand-$label.log" --cache-bytes "$CACHE"
    start=$(mem_kb "$DPID" VmRSS)
    # A few listings across the namespace, then random stats everywhere.
    local ndirs=$(((files + 999) / 1000)) k
    for k in 0 $((ndirs / 3)) $((ndirs / 2)) $((ndirs - 1)); do
        [ "$(http_code "http://127.0.0.1:$MEM_HTTP_PORT/api/v1/paths/bulk/d$k?list&limit=1000")" = 200 ] ||
            say "bench: list /bulk/d$k failed"
    done
    lg "getmany-$label" "$MEM_HTTP_PORT" --seconds "$MEM_SECS" \
        getmany /bulk "$files"
    peak=$(mem_kb "$DPID" VmHWM)
    kill -0 "$DPID" 2>/dev/null || say "bench: banyand died ($label)"
    stop_pid "$DPID"
    forget_pid "$DPID"
    [ "$KEEP" = 1 ] || rm -rf "$dir"
    ops=$(field "getmany-$label" ops_per_s)
    p99=$(field "getmany-$label" p99_ms)
    printf -v "MEM_${label}_LINE" '%-12s %12s %10.0f %10s %10s %10.0f %8.3f' \
        "$files" "$rows" "$rate" "$(mib "$start")" "$(mib "$peak")" \
        "$ops" "$p99"
}

mem_run small "$SMALL"
if [ "$BIG" -gt 0 ]; then
    mem_run big "$BIG"
fi
echo "memory (--cache-bytes $CACHE; ${MEM_SECS}s of random stats over" \
    "/bulk/dK/fJ, $CONNS connections)"
printf '%-12s %12s %10s %10s %10s %10s %8s\n' files rows load_r/s \
    start_MiB peak_MiB stat_op/s p99_ms
echo "$MEM_small_LINE"
if [ "$BIG" -gt 0 ]; then
    echo "$MEM_big_LINE"
fi
