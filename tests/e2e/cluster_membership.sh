#!/usr/bin/env bash
#
# cluster_membership: under a write load, grow a 3-node cluster to 5 (two
# nodes that start empty with join = true, added through the API), remove
# a node, move the leadership with a transfer; every acknowledged write is
# on every member and the checksums agree. The bad requests get their
# error codes.
#
# SPDX-License-Identifier: MIT

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

cluster_init 3
node_add_ports   # node 4
node_add_ports   # node 5
NODES=3
cluster_start
ACKS=$E2E_TMP/acks
mkdir -p "$ACKS"
L=$(leader_id)
expect_status "mkdir /load" 201 -X PUT -H 'Content-Type: application/json' \
    -d '{"type":"directory"}' "$(url "$L")/api/v1/paths/load"

LOOP_DEADLINE=$((SECONDS + 40))
pids=()
for c in 1 2 3; do
    write_loop "$c" 100000 "$ACKS/c$c" "load/m$c" &
    pids+=($!)
done
sleep 2

# ---- grow to 5 ----------------------------------------------------------------
add_node() {
    local i=$1 L
    NODES=$i
    # Node 5 knows nothing of the cluster: no members list.
    if ((i == 5)); then
        NO_MEMBERS=1 node_start "$i" --set join=true
    else
        node_start "$i" --set join=true
    fi
    L=$(leader_id)
    expect_status "add node $i as a voter" 201 -X POST \
        -H 'Content-Type: application/json' \
        -d "{\"id\":$i,\"http\":\"127.0.0.1:${NODE_PORT[i]}\",\"raft\":\"127.0.0.1:${NODE_RAFT[i]}\",\"role\":\"voter\"}" \
        "$(url "$L")/api/v1/cluster/nodes"
    body_is "the answer names it" '.id == $i and .role == "voter"' \
        --argjson i "$i"
}
add_node 4
add_node 5
L=$(leader_id)
ready5=""
for _ in $(seq 100); do
    ready5=$(curl -s --max-time 1 "$(url 5)/readyz" | jq -r '.role // empty')
    [[ -z "$ready5" ]] || break
    sleep 0.1
done
check_eq "node 5, started without members, learns the leader" follower \
    "$ready5"
expect_code "... and redirects writes to it" 307 not_leader -X PUT \
    -H 'Content-Type: application/json' -d '{"type":"file"}' \
    "$(url 5)/api/v1/paths/load/from5"
check_eq "... to the leader's address" "$(url "$L")/api/v1/paths/load/from5" \
    "$(header Location)"
expect_status "its cluster view knows every node's address" 200 \
    "$(url 5)/api/v1/cluster"
body_is "... all five with an HTTP address" \
    '(.nodes | length) == 5 and all(.nodes[]; .http != "")'
expect_status "the cluster view" 200 "$(url "$L")/api/v1/cluster"
body_is "5 voters, all reachable" '(.nodes | length) == 5 and
    all(.nodes[]; .role == "voter" and .reachable)'
expect_code "adding node 4 again: already_exists" 409 already_exists \
    -X POST -H 'Content-Type: application/json' \
    -d "{\"id\":4,\"http\":\"127.0.0.1:${NODE_PORT[4]}\",\"raft\":\"127.0.0.1:${NODE_RAFT[4]}\"}" \
    "$(url "$L")/api/v1/cluster/nodes"
expect_code "a node without a raft address" 400 invalid_argument -X POST \
    -H 'Content-Type: application/json' -d '{"id":9,"http":"127.0.0.1:1"}' \
    "$(url "$L")/api/v1/cluster/nodes"
expect_code "a bad address" 400 invalid_argument -X POST \
    -H 'Content-Type: application/json' \
    -d '{"id":9,"http":"nowhere","raft":"127.0.0.1:2"}' \
    "$(url "$L")/api/v1/cluster/nodes"
expect_code "a bad role" 400 invalid_argument -X PATCH \
    -H 'Content-Type: application/json' -d '{"role":"king"}' \
    "$(url "$L")/api/v1/cluster/nodes/4"
expect_code "an unknown node" 404 not_found -X DELETE \
    "$(url "$L")/api/v1/cluster/nodes/77"
expect_code "not a node id" 404 not_found -X DELETE \
    "$(url "$L")/api/v1/cluster/nodes/abc"
F=$((L % 5 + 1))
expect_code "membership changes on a follower are redirected" 307 not_leader \
    -X DELETE "$(url "$F")/api/v1/cluster/nodes/5"

# ---- demote and promote ---------------------------------------------------------
expect_status "node 5 becomes a standby" 200 -X PATCH \
    -H 'Content-Type: application/json' -d '{"role":"standby"}' \
    "$(url "$L")/api/v1/cluster/nodes/5"
expect_status "the view" 200 "$(url "$L")/api/v1/cluster"
body_is "node 5 is a standby" '.nodes[] | select(.id == 5) | .role == "standby"'
expect_status "node 5 is a voter again" 200 -X PATCH \
    -H 'Content-Type: application/json' -d '{"role":"voter"}' \
    "$(url "$L")/api/v1/cluster/nodes/5"

# ---- remove a follower ------------------------------------------------------------
R=$(( (L % 5) + 1 ))
expect_status "remove node $R" 204 -X DELETE \
    "$(url "$L")/api/v1/cluster/nodes/$R"
expect_status "the view" 200 "$(url "$L")/api/v1/cluster"
body_is "4 members left, node $R not among them" \
    '(.nodes | length) == 4 and all(.nodes[]; .id != $r)' --argjson r "$R"
node_stop "$R"

# ---- transfer the leadership ---------------------------------------------------------
T=$(jq -r --argjson l "$L" '[.nodes[] | select(.id != $l)][0].id' "$LAST_BODY")
expect_status "transfer the leadership from $L to $T" 200 -X POST \
    -H 'Content-Type: application/json' -d "{\"id\":$T}" \
    "$(url "$L")/api/v1/cluster/transfer"
# The old leader may still say it leads for a moment: wait for node T.
now_leads=""
for _ in $(seq 100); do
    now_leads=$(leader_id || true)
    [[ "$now_leads" != "$T" ]] || break
    sleep 0.1
done
check_eq "node $T leads" "$T" "$now_leads"
wait "${pids[@]}"
cat "$ACKS"/c* >"$ACKS/all"
n=$(wc -l <"$ACKS/all")
check "writes were acknowledged through it all ($n)" test "$n" -ge 200
sums=$(wait_converged 60) && ok "the 4 members converge" ||
    not_ok "the 4 members converge: $sums"
echo "$sums" | sed 's/^/#   /'
for ((i = 1; i <= 5; i++)); do
    [[ -n "${NODE_PID[i]}" ]] || continue
    check "node $i has every acknowledged write" all_present "$i" load \
        "$ACKS/all"
done
finish
