#!/usr/bin/env bash
# bench.sh: banyan's benchmark (make bench), one node on loopback.
#
# Part 1, throughput. First the HTTP ceiling of the machine: bare_http, a
# bare libmicrohttpd server in banyan's threading mode answering a fixed
# 200-byte JSON object, measured by the same loadgen. Then a fresh banyand
# (release build, its own temporary data dir) and, each for a fixed time
# over N keep-alive connections: healthz (banyan's HTTP layer alone), stat
# of cached inodes, list of a directory of 100 children, create file,
# mkdir, rename and delete (of the files create made). Per operation:
# ops/s, p50/p99 latency, ratio to the ceiling, errors; then the daemon's
# peak RSS (VmHWM).
#
# Part 3 (printed after part 1), a 3-node cluster on the same machine:
# durable creates, linearizable and stale stats on the leader, and stale
# stats on all three nodes at once; ratios to the same ceiling, and the
# aims (replicated creates >= 60% of the single node's, linearizable stats
# >= 80% of stale ones, stale reads served by every node).
#
# Part 2, memory against namespace size. bulkload fills a new data dir with
# BENCH_SMALL files, then another with BENCH_BIG files; banyand starts on
# each with the same --cache-bytes and serves random stats and random
# listings over the whole namespace; the peak RSS of both runs is printed
# side by side. With a bounded cache they stay close.
#
# The report (machine, table, RSS lines) is printed at the end and written
# to tests/artifacts/bench-<date>.txt. Everything is bounded in time; the
# processes started here are stopped on exit. Exit status 1 when an
# operation had errors (flagged in the table) or a run failed.
#
# Environment, defaults in brackets:
#   BENCH_SECONDS [10]     length of each throughput run
#   BENCH_CONNS [64]       concurrent keep-alive connections
#   BENCH_THREADS [auto]   loadgen threads (cores / 4, at least 1)
#   BENCH_QUICK [0]        1: a smaller second namespace in part 2 (1M
#                          files instead of 10M: seconds, not a minute)
#   BENCH_SMALL [100000]   files of the first memory run
#   BENCH_BIG [10000000]   files of the second memory run (quick: 1000000);
#                          0 skips it
#   BENCH_CACHE [16MiB]    --cache-bytes of the memory runs
#   BENCH_MEM_SECONDS [5]  length of each load of a memory run (stat, list)
#   BENCH_PORT [19420]     first of the ports used (BENCH_PORT+0..10)
#   BENCH_CLUSTER [1]      0 skips part 3, the 3-node cluster
#   BENCH_BUILD [build/release]  where banyand and the bench tools are
#   BENCH_OUT [tests/artifacts]  where the report is written
#   BENCH_KEEP [0]         1 keeps the temporary data dirs and logs
#
# SPDX-License-Identifier: MIT

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BENCH_BUILD:-$ROOT/build/release}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
OUT_DIR=${BENCH_OUT:-$ROOT/tests/artifacts}
case $OUT_DIR in /*) ;; *) OUT_DIR=$ROOT/$OUT_DIR ;; esac
NPROC=$(nproc)
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-64}
THREADS=${BENCH_THREADS:-$(((NPROC + 3) / 4))}
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
    SMALL=${BENCH_SMALL:-100000}
    BIG=${BENCH_BIG:-1000000}
else
    SMALL=${BENCH_SMALL:-100000}
    BIG=${BENCH_BIG:-10000000}
fi
CACHE=${BENCH_CACHE:-16MiB}
MEM_SECS=${BENCH_MEM_SECONDS:-5}
PORT=${BENCH_PORT:-19420}
KEEP=${BENCH_KEEP:-0}
READY_TIMEOUT=${BENCH_READY_TIMEOUT:-180}
LIST_CHILDREN=100

BANYAND=$BUILD/banyand
LOADGEN=$BUILD/tests/bench/loadgen
BARE=$BUILD/tests/bench/bare_http
BULKLOAD=$BUILD/tests/bench/bulkload

BARE_PORT=$PORT
HTTP_PORT=$((PORT + 1))
RAFT_PORT=$((PORT + 2))
MEM_HTTP_PORT=$((PORT + 3))
MEM_RAFT_PORT=$((PORT + 4))

STAMP=$(date -u +%Y-%m-%dT%H%M%SZ)
T_START=$(date +%s)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/banyan-bench.XXXXXX")
REPORT=$TMP/report.txt
: >"$REPORT"
PIDS=()
FLAGGED=0
DONE=0

say() { printf '%s\n' "$*" >&2; }
# rep LINE...: one line of the report.
rep() { printf '%s\n' "$*" >>"$REPORT"; }
die() {
    say "bench: $*"
    rep ""
    rep "bench: FAILED: $*"
    exit 1
}

# Print the report and keep a copy, whatever happened; stop what we started.
finish() {
    local rc=$? pid out
    trap - EXIT
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
        stop_pid "$pid" || true
    done
    if [ "$DONE" != 1 ] && ! grep -q FAILED "$REPORT"; then
        rep ""
        rep "bench: INCOMPLETE (interrupted, exit status $rc)"
    fi
    if grep -q '^banyan bench' "$REPORT"; then
        mkdir -p "$OUT_DIR"
        out=$OUT_DIR/bench-$STAMP.txt
        cp "$REPORT" "$out"
        echo
        cat "$REPORT"
        say ""
        say "bench: report written to ${out#"$ROOT"/}"
    elif [ -s "$REPORT" ]; then
        cat "$REPORT" >&2
    fi
    if [ "$KEEP" = 1 ]; then
        say "bench: kept $TMP"
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

# stop_pid PID: TERM, then KILL after 15 s. Returns the process's status.
stop_pid() {
    local pid=$1 i st=0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 150; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            say "bench: pid $pid ignored SIGTERM for 15 s, killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || st=$?
    forget_pid "$pid"
    return "$st"
}

forget_pid() {
    local keep=() p
    for p in "${PIDS[@]+"${PIDS[@]}"}"; do
        [ "$p" = "$1" ] || keep+=("$p")
    done
    PIDS=("${keep[@]+"${keep[@]}"}")
}

# mem_kb PID KEY: VmHWM or VmRSS of a live process, in kB (0 if gone).
mem_kb() {
    local v
    v=$(awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null ||
        true)
    echo "${v:-0}"
}

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

http_code() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" 2>/dev/null ||
        true
}

# port_free PORT: nothing listens on 127.0.0.1:PORT.
port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_for URL CODE SECONDS PID
wait_for() {
    local url=$1 want=$2 secs=$3 pid=$4 i
    for ((i = 0; i < secs * 10; i++)); do
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
    port_free "$hport" || die "port $hport is in use (set BENCH_PORT)"
    port_free "$rport" || die "port $rport is in use (set BENCH_PORT)"
    "$BANYAND" --data-dir "$dir" --listen "127.0.0.1:$hport" \
        --raft-listen "127.0.0.1:$rport" --log-level warn "$@" \
        >"$log" 2>&1 &
    DPID=$!
    PIDS+=("$DPID")
    if ! wait_for "http://127.0.0.1:$hport/readyz" 200 "$READY_TIMEOUT" \
        "$DPID"; then
        say "bench: banyand on $dir not ready in ${READY_TIMEOUT}s; log:"
        tail -n 20 "$log" >&2 || true
        die "banyand did not become ready (data dir $dir)"
    fi
}

# stop_banyand PID LABEL: stop it, note an unclean exit in the report.
stop_banyand() {
    local st=0
    if ! kill -0 "$1" 2>/dev/null; then
        FLAGGED=$((FLAGGED + 1))
        rep "! banyand ($2) died during the run"
    fi
    stop_pid "$1" || st=$?
    if [ "$st" != 0 ]; then
        FLAGGED=$((FLAGGED + 1))
        rep "! banyand ($2) exited with status $st on SIGTERM"
    fi
}

field() { jq -r ".$2" "$TMP/$1.json"; }

# no_result NAME OP: the JSON line of a run that did not happen (flagged).
no_result() {
    jq -cn --arg op "$2" --argjson conns "$CONNS" \
        '{op: $op, conns: $conns, seconds: 0, ops: 0, ops_per_s: 0,
          p50_ms: 0, p99_ms: 0, errors: 1, bad_status: 0, issued: 0}' \
        >"$TMP/$1.json"
}

# lg NAME PORT SECONDS [loadgen args...]: runs loadgen, keeps its JSON line
# in $TMP/NAME.json.
lg() {
    local name=$1 port=$2 secs=$3 out
    shift 3
    out=$(timeout $((${secs%.*} + 60)) "$LOADGEN" --port "$port" \
        --conns "$CONNS" --threads "$THREADS" --seconds "$secs" "$@" \
        2>"$TMP/$name.err") || true
    if ! jq -e .ops >/dev/null 2>&1 <<<"$out"; then
        say "bench: loadgen $name failed:"
        cat "$TMP/$name.err" >&2 || true
        no_result "$name" "$name"
    else
        printf '%s\n' "$out" >"$TMP/$name.json"
    fi
    if [ -s "$TMP/$name.err" ]; then
        sed 's/^/    /' "$TMP/$name.err" | head -n 3 >&2
    fi
    say "  $name: $out"
}

# put PATH JSON: create through the API, fail loudly.
put() {
    local code
    code=$(http_code -X PUT -H 'Content-Type: application/json' \
        --data "$2" "http://127.0.0.1:$HTTP_PORT/api/v1/paths$1")
    [ "$code" = 201 ] || die "setup: PUT $1 $2: HTTP $code"
}

for f in "$BANYAND" "$LOADGEN" "$BARE" "$BULKLOAD"; do
    [ -x "$f" ] || die "$f is missing: make MODE=release all" \
        "build/release/tests/bench/{loadgen,bare_http,bulkload}"
done
command -v jq >/dev/null || die "jq is missing (make deps)"
command -v curl >/dev/null || die "curl is missing (make deps)"
for p in $(seq "$PORT" $((PORT + 4))); do
    port_free "$p" || die "port $p is in use (set BENCH_PORT)"
done

# ---- the machine -----------------------------------------------------------

CPU=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no \
    2>/dev/null)" ]; then
    REV="$REV+changes"
fi
rep "banyan bench $STAMP, commit $REV, release build"
rep "machine: nproc $NPROC, ${CPU:-unknown CPU}," \
    "$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)" \
    "RAM, $(uname -sr)"
rep "load: loadgen, $CONNS keep-alive connections, $THREADS thread(s)," \
    "no pipelining, ${SECS}s per operation; client and server share the" \
    "machine"
say "bench: $(sed -n 2p "$REPORT")"

# ---- part 1: throughput ----------------------------------------------------

say "bench: bare_http ceiling on :$BARE_PORT"
"$BARE" "$BARE_PORT" 2>"$TMP/bare_http.log" &
BPID=$!
PIDS+=("$BPID")
wait_for "http://127.0.0.1:$BARE_PORT/" 200 10 "$BPID" ||
    die "bare_http did not start: $(cat "$TMP/bare_http.log")"
lg ceiling "$BARE_PORT" "$SECS" bare
stop_pid "$BPID" || true

say "bench: banyand on :$HTTP_PORT, data in $TMP/data"
start_banyand "$TMP/data" "$HTTP_PORT" "$RAFT_PORT" "$TMP/banyand.log"
MAINPID=$DPID
say "bench: setting up /bench (a directory of $LIST_CHILDREN files)"
put /bench '{"type":"directory"}'
put /bench/list '{"type":"directory"}'
for ((i = 0; i < LIST_CHILDREN; i++)); do
    put "/bench/list/e$i" '{"type":"file","size":1}'
done
for d in create mkdir rename; do
    put "/bench/$d" '{"type":"directory"}'
done
RSS_SETUP=$(mem_kb "$MAINPID" VmRSS)

lg healthz "$HTTP_PORT" "$SECS" raw /healthz
lg stat "$HTTP_PORT" "$SECS" stat /bench/list/e "$LIST_CHILDREN"
lg list "$HTTP_PORT" "$SECS" list /bench/list
lg create "$HTTP_PORT" "$SECS" create /bench/create
lg mkdir "$HTTP_PORT" "$SECS" mkdir /bench/mkdir
lg rename "$HTTP_PORT" "$SECS" rename /bench/rename
CREATED=$(field create issued)
if [ "${CREATED:-0}" -gt 0 ]; then
    lg delete "$HTTP_PORT" "$SECS" --count "$CREATED" delete /bench/create
else
    say "bench: create made nothing; delete has nothing to do"
    no_result delete delete
fi
RSS_PEAK=$(mem_kb "$MAINPID" VmHWM)
RSS_END=$(mem_kb "$MAINPID" VmRSS)

CEIL=$(field ceiling ops_per_s)
rep ""
rep "throughput (ratio = ops/s over the ceiling's ops/s; errors = transport" \
    "errors + unexpected statuses)"
rep "$(printf '%-9s %6s %10s %9s %9s %7s %8s' operation conns ops/s \
    'p50 ms' 'p99 ms' ratio errors)"
for op in ceiling healthz stat list create mkdir rename delete; do
    line=$(jq -r --argjson ceil "$CEIL" --arg name "$op" \
        '[$name, .conns, .ops_per_s, .p50_ms, .p99_ms,
          (if $ceil > 0 then .ops_per_s / $ceil else 0 end),
          (.errors + .bad_status)] | @tsv' "$TMP/$op.json" |
        awk -F'\t' '{ printf "%-9s %6d %10.0f %9.3f %9.3f %6.1f%% %8d%s",
                      $1, $2, $3, $4, $5, $6 * 100, $7,
                      ($7 > 0 || $3 == 0) ? " !" : "" }')
    case $line in *' !') FLAGGED=$((FLAGGED + 1)) ;; esac
    rep "$line"
done
rep "(ceiling: bare_http, libmicrohttpd answering a fixed 200-byte JSON" \
    "object; healthz: banyan's HTTP layer alone; stat: random inodes of" \
    "the $LIST_CHILDREN in /bench/list, all cached; list: those" \
    "$LIST_CHILDREN in one page; create/mkdir/rename/delete: writes through" \
    "raft, answered once applied; ! = errors or no ops, figures not valid)"
rep "$(jq -r --argjson ceil "$CEIL" -n \
    --slurpfile s "$TMP/stat.json" --slurpfile c "$TMP/create.json" \
    'def pct(x): if $ceil > 0 then (x / $ceil * 100 | floor) else 0 end;
     def verdict(p; aim): if p >= aim then "met" else "NOT met" end;
     (pct($s[0].ops_per_s)) as $sp | (pct($c[0].ops_per_s)) as $cp |
     "aims: stat \($sp)% of the ceiling (aim >= 70%: \(verdict($sp; 70))),"
     + " create \($cp)% (aim >= 50%: \(verdict($cp; 50)))"')"
if jq -e -s --argjson ceil "$CEIL" 'any(.[]; .ops_per_s > $ceil * 1.05)' \
    "$TMP"/{healthz,stat,list,create,mkdir,rename,delete}.json >/dev/null; then
    rep "note: an operation beat the ceiling by more than 5%: the client" \
        "(loadgen, on the same cores) is probably the bottleneck here, so" \
        "the ratios understate the server; try BENCH_THREADS or fewer" \
        "BENCH_CONNS"
fi
rep "banyand RSS: $(mib "$RSS_SETUP") MiB after setup," \
    "$(mib "$RSS_END") MiB at the end, peak $(mib "$RSS_PEAK") MiB (VmHWM)"
stop_banyand "$MAINPID" main
say "bench: throughput done"

# ---- part 3: a 3-node cluster ------------------------------------------------

# Three nodes on loopback (ports BENCH_PORT+5..+10), the same machine and
# cores as everything above. Against the leader: durable creates (each
# answered once a majority has it in its log and the leader applied it),
# stats with consistency=linearizable (the default: the leader confirms it
# still leads with one round shared by the reads waiting) and with
# consistency=stale; then stale stats spread over all three nodes at once.
if [ "${BENCH_CLUSTER:-1}" = 1 ]; then
    say "bench: 3-node cluster on :$((PORT + 5))..:$((PORT + 10))"
    MEMBERS=""
    for i in 1 2 3; do
        MEMBERS+="${MEMBERS:+, }$i 127.0.0.1:$((PORT + 3 + 2 * i)) 127.0.0.1:$((PORT + 4 + 2 * i))"
    done
    CPIDS=()
    for i in 1 2 3; do
        hp=$((PORT + 3 + 2 * i))
        rp=$((PORT + 4 + 2 * i))
        port_free "$hp" || die "port $hp is in use (set BENCH_PORT)"
        port_free "$rp" || die "port $rp is in use (set BENCH_PORT)"
        "$BANYAND" --node-id "$i" --data-dir "$TMP/cl$i" \
            --listen "127.0.0.1:$hp" --raft-listen "127.0.0.1:$rp" \
            --members "$MEMBERS" --log-level warn >"$TMP/cl$i.log" 2>&1 &
        CPIDS+=($!)
        PIDS+=($!)
    done
    LPORT=""
    for ((k = 0; k < 300; k++)); do
        [ -z "$LPORT" ] || break
        for i in 1 2 3; do
            hp=$((PORT + 3 + 2 * i))
            if curl -s --max-time 1 "http://127.0.0.1:$hp/readyz" 2>/dev/null |
                grep -q '"role":"leader"'; then
                LPORT=$hp
            fi
        done
        [ -n "$LPORT" ] || sleep 0.1
    done
    [ -n "$LPORT" ] || die "the 3-node cluster elected no leader in 30 s"
    SAVED_PORT=$HTTP_PORT
    HTTP_PORT=$LPORT
    put /bench '{"type":"directory"}'
    put /bench/list '{"type":"directory"}'
    for ((i = 0; i < LIST_CHILDREN; i++)); do
        put "/bench/list/e$i" '{"type":"file","size":1}'
    done
    put /bench/create '{"type":"directory"}'
    HTTP_PORT=$SAVED_PORT
    sleep 1 # the followers apply the setup
    lg cl-create "$LPORT" "$SECS" create /bench/create
    lg cl-stat-lin "$LPORT" "$SECS" stat /bench/list/e "$LIST_CHILDREN"
    lg cl-stat-stale "$LPORT" "$SECS" --query consistency=stale \
        stat /bench/list/e "$LIST_CHILDREN"
    # Stale reads on every node at once, a third of the connections each.
    ALL_CONNS=$CONNS
    CONNS=$(((CONNS + 2) / 3))
    LGPIDS=()
    for i in 1 2 3; do
        lg "cl-stale-n$i" $((PORT + 3 + 2 * i)) "$SECS" \
            --query consistency=stale stat /bench/list/e "$LIST_CHILDREN" &
        LGPIDS+=($!)
    done
    wait "${LGPIDS[@]}" || true
    CONNS=$ALL_CONNS
    rep ""
    rep "3-node cluster on this machine (ratio = ops/s over the same ceiling)"
    rep "$(printf '%-16s %6s %10s %9s %9s %7s %8s' operation conns ops/s \
        'p50 ms' 'p99 ms' ratio errors)"
    for op in cl-create cl-stat-lin cl-stat-stale cl-stale-n1 cl-stale-n2 \
        cl-stale-n3; do
        line=$(jq -r --argjson ceil "$CEIL" --arg name "$op" \
            '[$name, .conns, .ops_per_s, .p50_ms, .p99_ms,
              (if $ceil > 0 then .ops_per_s / $ceil else 0 end),
              (.errors + .bad_status)] | @tsv' "$TMP/$op.json" |
            awk -F'\t' '{ printf "%-16s %6d %10.0f %9.3f %9.3f %6.1f%% %8d%s",
                          $1, $2, $3, $4, $5, $6 * 100, $7,
                          ($7 > 0 || $3 == 0) ? " !" : "" }')
        case $line in *' !') FLAGGED=$((FLAGGED + 1)) ;; esac
        rep "$line"
    done
    rep "(cl-create: durable creates through the leader; cl-stat-lin and" \
        "cl-stat-stale: stats on the leader, linearizable (the default) and" \
        "stale; cl-stale-nI: stale stats on node I, all three at once)"
    rep "$(jq -r -n --slurpfile c "$TMP/create.json" \
        --slurpfile rc "$TMP/cl-create.json" \
        --slurpfile l "$TMP/cl-stat-lin.json" \
        --slurpfile st "$TMP/cl-stat-stale.json" \
        --slurpfile n1 "$TMP/cl-stale-n1.json" \
        --slurpfile n2 "$TMP/cl-stale-n2.json" \
        --slurpfile n3 "$TMP/cl-stale-n3.json" \
        'def pct(a; b): if b > 0 then (a / b * 100 | floor) else 0 end;
         def verdict(p; aim): if p >= aim then "met" else "NOT met" end;
         pct($rc[0].ops_per_s; $c[0].ops_per_s) as $cp |
         pct($l[0].ops_per_s; $st[0].ops_per_s) as $lp |
         ([$n1[0], $n2[0], $n3[0]] | map(.ops_per_s) | add) as $sum |
         ([$n1[0], $n2[0], $n3[0]] | all(.ops > 0 and .errors + .bad_status == 0)) as $every |
         "aims: replicated creates \($cp)% of the single node'"'"'s" +
         " (aim >= 60%: \(verdict($cp; 60))); linearizable stats \($lp)%" +
         " of stale ones (aim >= 80%: \(verdict($lp; 80))); stale reads" +
         " served by every node: \(if $every then "yes" else "NO" end)" +
         " (\($sum | floor) ops/s over the three)"')"
    for pid in "${CPIDS[@]}"; do
        stop_banyand "$pid" cluster
    done
    say "bench: cluster done"
fi

# ---- part 2: memory against namespace size ---------------------------------

# mem_run LABEL FILES: one line of the memory table.
mem_run() {
    local label=$1 files=$2 dir=$TMP/mem-$1 out inodes secs start peak
    local need avail
    need=$((files * 200 / 1024 + 65536)) # kB, generous
    avail=$(df -Pk "$TMP" | awk 'NR == 2 { print $4 }')
    if [ "$avail" -lt "$need" ]; then
        rep "! $files files: skipped, $(mib "$avail") MiB free in $TMP," \
            "$(mib "$need") MiB needed"
        FLAGGED=$((FLAGGED + 1))
        return 0
    fi
    say "bench: bulk-loading $files files into $dir"
    out=$("$BULKLOAD" "$dir" "$files" 2> >(sed 's/^/    /' >&2)) ||
        die "bulkload $files failed"
    say "  bulkload: $out"
    inodes=$(jq -r .inodes <<<"$out")
    secs=$(jq -r .seconds <<<"$out")
    start_banyand "$dir" "$MEM_HTTP_PORT" "$MEM_RAFT_PORT" \
        "$TMP/banyand-$label.log" --cache-bytes "$CACHE"
    start=$(mem_kb "$DPID" VmRSS)
    lg "statmany-$label" "$MEM_HTTP_PORT" "$MEM_SECS" statmany /bulk "$files"
    lg "listmany-$label" "$MEM_HTTP_PORT" "$MEM_SECS" listmany /bulk "$files"
    peak=$(mem_kb "$DPID" VmHWM)
    stop_banyand "$DPID" "$label"
    [ "$KEEP" = 1 ] || rm -rf "$dir"
    local errs
    errs=$(jq -s 'map(.errors + .bad_status) | add' \
        "$TMP/statmany-$label.json" "$TMP/listmany-$label.json")
    [ "$errs" = 0 ] || FLAGGED=$((FLAGGED + 1))
    printf -v "PEAK_$label" '%s' "$peak"
    printf -v "INODES_$label" '%s' "$inodes"
    printf '%11s %7.1f %9s %9s %10.0f %10.0f %7s%s\n' "$inodes" "$secs" \
        "$(mib "$start")" "$(mib "$peak")" \
        "$(field "statmany-$label" ops_per_s)" \
        "$(field "listmany-$label" ops_per_s)" "$errs" \
        "$([ "$errs" = 0 ] || echo ' !')" >"$TMP/mem-$label.line"
}

PEAK_small=0
PEAK_big=0
INODES_small=0
INODES_big=0
mem_run small "$SMALL"
if [ "$BIG" -gt 0 ]; then
    mem_run big "$BIG"
fi
rep ""
rep "peak RSS against inode count (bulk-loaded /bulk/dK/fJ, 1000 files a" \
    "directory; banyand --cache-bytes $CACHE; ${MEM_SECS}s of random stats" \
    "then ${MEM_SECS}s of random 100-entry listings over all of it)"
rep "$(printf '%11s %7s %9s %9s %10s %10s %7s' inodes 'load s' 'start MiB' \
    'peak MiB' 'stat op/s' 'list op/s' errors)"
for label in small big; do
    if [ -f "$TMP/mem-$label.line" ]; then
        rep "$(cat "$TMP/mem-$label.line")"
    fi
done
if [ "$PEAK_small" -gt 0 ] && [ "$PEAK_big" -gt 0 ]; then
    rep "peak RSS: $(mib "$PEAK_small") MiB at $INODES_small inodes," \
        "$(mib "$PEAK_big") MiB at $INODES_big inodes" \
        "($(awk -v a="$PEAK_big" -v b="$PEAK_small" \
            'BEGIN { printf "x%.2f", a / b }') for" \
        "$(awk -v a="$INODES_big" -v b="$INODES_small" \
            'BEGIN { printf "x%.0f", a / b }') the inodes)"
fi
rep ""
rep "machine: nproc $NPROC, ${CPU:-unknown CPU}; bench took" \
    "$(($(date +%s) - T_START)) s"
DONE=1
if [ "$FLAGGED" -gt 0 ]; then
    rep "bench: $FLAGGED result(s) flagged with ! (errors): see above"
    exit 1
fi
