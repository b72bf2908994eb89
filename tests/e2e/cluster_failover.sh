#!/usr/bin/env bash
#
# cluster_failover: under a steady write load from several clients, kill -9
# the leader. A new leader is elected and writes succeed again within a few
# seconds (the gap is measured and printed); every write acknowledged
# before, during and after is on every node at the end, and all checksums
# agree. Then the same with the new leader, while the first one is back.
#
# SPDX-License-Identifier: MIT

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

cluster_init 3
cluster_start
ACKS=$E2E_TMP/acks
mkdir -p "$ACKS"
L=$(leader_id)
expect_status "mkdir /load" 201 -X PUT -H 'Content-Type: application/json' \
    -d '{"type":"directory"}' "$(url "$L")/api/v1/paths/load"

now_ms() { date +%s%3N; }

# probe OUT: a write every 20 ms through the followers' redirects, logging
# "time code" a line, until LOOP_DEADLINE.
probe() {
    local out=$1 n=0 node code
    while ((SECONDS < LOOP_DEADLINE)); do
        node=$((n % NODES + 1))
        code=$(curl -s -L --max-time 2 -o /dev/null -w '%{http_code}' \
            -X PUT -H 'Content-Type: application/json' -d '{"type":"file"}' \
            "$(url "$node")/api/v1/paths/load/probe-$BASHPID-$n" 2>/dev/null) ||
            true
        echo "$(now_ms) $code" >>"$out"
        n=$((n + 1))
        sleep 0.02
    done
}

# failover ROUND: load, kill -9 the leader, measure, check.
failover() {
    local round=$1 pids=() c k gap t_kill t_ok
    LOOP_DEADLINE=$((SECONDS + 14))
    for c in 1 2 3 4; do
        write_loop "$c" 100000 "$ACKS/r$round-c$c" "load/r$round-c$c" &
        pids+=($!)
    done
    probe "$E2E_TMP/probe-$round" &
    pids+=($!)
    sleep 4
    k=$(leader_id)
    t_kill=$(now_ms)
    node_kill9 "$k"
    echo "# round $round: killed leader $k at $t_kill"
    wait_leader 15 && ok "round $round: a new leader after killing node $k" ||
        not_ok "round $round: a new leader after killing node $k"
    wait "${pids[@]}"
    t_ok=$(awk -v t="$t_kill" '$1 > t && $2 ~ /^2/ { print $1; exit }' \
        "$E2E_TMP/probe-$round")
    if [[ -n "$t_ok" ]]; then
        gap=$((t_ok - t_kill))
        echo "# round $round: failover gap: writes succeed again ${gap} ms after the kill"
        check "round $round: writes succeed again within 5 s (${gap} ms)" \
            test "$gap" -le 5000
    else
        not_ok "round $round: writes succeed again after the kill"
    fi
    cat "$ACKS"/r"$round"-c* >"$ACKS/all-$round"
    n=$(wc -l <"$ACKS/all-$round")
    check "round $round: writes acknowledged under load ($n)" test "$n" -ge 100
    node_start "$k"
}

failover 1
failover 2
cat "$ACKS"/all-* >"$ACKS/all"
sums=$(wait_converged 60) && ok "all nodes converge, checksums agree" ||
    not_ok "all nodes converge, checksums agree: $sums"
echo "$sums" | sed 's/^/#   /'
for ((i = 1; i <= 3; i++)); do
    check "node $i has every acknowledged write ($(wc -l <"$ACKS/all"))" \
        all_present "$i" load "$ACKS/all"
done
finish
