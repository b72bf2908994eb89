#!/usr/bin/env bash
#
# cluster_linearizable: several clients read, write, create and delete a
# few paths on a 3-node cluster (histgen, following redirects) while the
# leader is killed with kill -9 and comes back; the recorded history, with
# the invoke and complete time of every operation, must be linearizable
# (lincheck, a Wing & Gong / Lowe checker, see tests/lin/README.md). Two
# rounds: one leader kill each.
#
# SPDX-License-Identifier: MIT

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

BIN=$(dirname "$BANYAND")
HISTGEN=$BIN/histgen
LINCHECK=$BIN/lincheck
for t in "$HISTGEN" "$LINCHECK"; do
    if [[ ! -x "$t" ]]; then
        echo "Bail out! $t is missing: make MODE=release lin-bins"
        exit 1
    fi
done

cluster_init 3
cluster_start
expect_status "mkdir /lin" 201 -L -X PUT -H 'Content-Type: application/json' \
    -d '{"type":"directory"}' "$(url "$(leader_id)")/api/v1/paths/lin"

round() {
    local r=$1 nodes hist counts pid k rc
    hist=$E2E_TMP/history-$r.jsonl
    nodes="$(url 1),$(url 2),$(url 3)"
    "$HISTGEN" --nodes "$nodes" --clients 6 --keys 4 --seconds 10 \
        --timeout-ms 3000 --prefix "/lin/r$r" --out "$hist" \
        >"$E2E_TMP/counts-$r" 2>"$E2E_TMP/histgen-$r.err" &
    pid=$!
    sleep 3
    k=$(leader_id)
    node_kill9 "$k"
    echo "# round $r: killed leader $k"
    sleep 2
    node_launch "$k"
    rc=0
    wait "$pid" || rc=$?
    check_eq "round $r: histgen ran to the end" 0 "$rc"
    counts=$(cat "$E2E_TMP/counts-$r")
    echo "# round $r: $counts"
    check "round $r: enough completed operations" \
        jq -e '.ok > 200 and .unexpected == 0' "$E2E_TMP/counts-$r"
    check "round $r: the kill was felt (failed or unknown outcomes)" \
        jq -e '(.fail + .info) > 0' "$E2E_TMP/counts-$r"
    if "$LINCHECK" --max-ms 30000 "$hist" >"$E2E_TMP/lin-$r.out" 2>&1; then
        ok "round $r: the history is linearizable"
    else
        rc=$?
        cp "$hist" "$E2E_ARTIFACTS/cluster_linearizable-history-$r.jsonl" \
            2>/dev/null || true
        not_ok "round $r: the history is linearizable (lincheck exit $rc)" \
            "$E2E_TMP/lin-$r.out"
    fi
    sed 's/^/#   /' "$E2E_TMP/lin-$r.out" | head -8
    wait_leader 20 >/dev/null || true
}

round 1
round 2
sums=$(wait_converged 30) && ok "all nodes converge afterwards" ||
    not_ok "all nodes converge afterwards: $sums"
finish
