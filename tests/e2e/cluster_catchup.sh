#!/usr/bin/env bash
#
# cluster_catchup: a follower that was down while thousands of entries were
# written (past several snapshots, so the leader compacted its log) comes
# back, installs a snapshot fetched from a peer, catches up with the log,
# and ends with the same namespace checksum as the others. The same for a
# follower whose data folder was lost entirely.
#
# SPDX-License-Identifier: MIT

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

# Small thresholds, so that a few thousand entries make several snapshots.
CLUSTER_ARGS=(--set snapshot_threshold=256 --set snapshot_trailing=64)
cluster_init 3
cluster_start
L=$(leader_id)
F=$((L % 3 + 1))
echo "# leader $L; follower $F goes down"

expect_status "mkdir /bulk" 201 -X PUT -H 'Content-Type: application/json' \
    -d '{"type":"directory"}' "$(url "$L")/api/v1/paths/bulk"
wait_converged 20 >/dev/null
node_stop "$F"

# Writes one at a time, from 8 clients: each is its own raft entry or
# nearly so.
write_many() {
    local from=$1 to=$2
    seq "$from" "$to" | xargs -P 8 -I{} curl -s -o /dev/null \
        -w '%{http_code}\n' -X PUT -H 'Content-Type: application/json' \
        -d '{"type":"file","size":{}}' "$(url "$L")/api/v1/paths/bulk/f{}" |
        grep -c '^201$'
}
n=$(write_many 1 3000)
check_eq "3000 files created while node $F was down" 3000 "$n"
expect_status "the leader's view" 200 "$(url "$L")/api/v1/cluster"
li=$(jq '.nodes[] | select(.self) | .applied_index' "$LAST_BODY")
check "the log moved on by more than 2 snapshot thresholds ($li)" \
    test "$li" -gt 600
check "the leader took snapshots" grep -q '"snapshot at applied index' \
    "${NODE_LOG[L]}"

node_start "$F"
sums=$(wait_converged 60) && ok "node $F caught up: checksums agree" ||
    not_ok "node $F caught up: checksums agree: $sums"
echo "$sums" | sed 's/^/#   /'
check "node $F installed a snapshot fetched from a peer" \
    grep -q 'fetched a checkpoint of' "${NODE_LOG[F]}"
expect_status "stale read of a late file on node $F" 200 \
    "$(url "$F")/api/v1/paths/bulk/f2999?consistency=stale"
body_is "it is there with its size" '.size == 2999'
check "node $F lists all 3000" test "$(list_names "$F" bulk | wc -l)" = 3000

# ---- a node that lost its data folder -----------------------------------------
G=$((F % 3 + 1))
[[ "$G" == "$L" ]] && G=$((G % 3 + 1))
node_kill9 "$G"
rm -rf "${NODE_DIR[G]}"
n=$(write_many 3001 3300)
check_eq "300 more files while node $G is gone" 300 "$n"
# Its raft state is gone with the folder: it is a new, empty node with the
# old id; it must not bootstrap a cluster of its own but be caught up.
node_start "$G" --set join=true
sums=$(wait_converged 60) && ok "node $G rebuilt from a snapshot: checksums agree" ||
    not_ok "node $G rebuilt from a snapshot: checksums agree: $sums"
check "node $G lists all 3300" test "$(list_names "$G" bulk | wc -l)" = 3300

# And it restarts on what it fetched (no second download needed).
node_stop "$G"
node_start "$G"
sums=$(wait_converged 30) && ok "node $G restarts on the fetched store" ||
    not_ok "node $G restarts on the fetched store: $sums"
finish
