#!/usr/bin/env bash
#
# cluster_basic: a 3-node cluster on 127.0.0.1. Writes to a follower are
# redirected to the leader (307 + Location, which curl -L follows);
# linearizable reads on a follower too; stale reads are served by every
# node; the cluster view, the namespace checksum, Idempotency-Key retries,
# and a whole cluster restarted with every acknowledged write.
#
# SPDX-License-Identifier: MIT

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

cluster_init 3
cluster_start
L=$(leader_id)
F=$((L % 3 + 1))
echo "# leader $L, follower $F"

# ---- writes and reads through the leader and a follower ----------------
expect_status "mkdir /docs on the leader" 201 -X PUT \
    -H 'Content-Type: application/json' -d '{"type":"directory"}' \
    "$(url "$L")/api/v1/paths/docs"
expect_code "a write to a follower is redirected" 307 not_leader -X PUT \
    -H 'Content-Type: application/json' -d '{"type":"file"}' \
    "$(url "$F")/api/v1/paths/docs/a?recursive=true"
check_eq "Location is the same request at the leader" \
    "$(url "$L")/api/v1/paths/docs/a?recursive=true" "$(header Location)"
expect_status "curl -L follows the redirect and creates" 201 -L -X PUT \
    -H 'Content-Type: application/json' -d '{"type":"file","size":7}' \
    "$(url "$F")/api/v1/paths/docs/a"
# A redirect of a long URL (issue 10: Location was cut at 1023 bytes, so
# a DELETE followed with curl -L deleted another path).
LONG=/docs/long
for c in b c d e f g; do
    LONG+=/$(printf "$c%.0s" {1..200})
done
expect_status "mkdir a ${#LONG}-byte path on the leader" 201 -X PUT \
    -H 'Content-Type: application/json' -d '{"type":"directory"}' \
    "$(url "$L")/api/v1/paths$LONG?recursive=true"
expect_code "a DELETE of it on a follower is redirected" 307 not_leader \
    -X DELETE "$(url "$F")/api/v1/paths$LONG"
check_eq "... to the whole URL at the leader, not cut" \
    "$(url "$L")/api/v1/paths$LONG" "$(header Location)"
expect_status "curl -L deletes that path" 204 -L -X DELETE \
    "$(url "$F")/api/v1/paths$LONG"
expect_status "... it is gone" 404 "$(url "$L")/api/v1/paths$LONG"
expect_status "... and its parent is not" 200 \
    "$(url "$L")/api/v1/paths${LONG%/*}"
expect_code "a linearizable read on a follower is redirected" 307 \
    not_leader "$(url "$F")/api/v1/paths/docs/a"
expect_status "curl -L reads it from the leader" 200 -L \
    "$(url "$F")/api/v1/paths/docs/a"
body_is "the leader has it" '.size == 7'
expect_status "linearizable read on the leader" 200 \
    "$(url "$L")/api/v1/paths/docs/a?consistency=linearizable"
expect_code "a bad consistency is refused" 400 invalid_argument \
    "$(url "$L")/api/v1/paths/docs/a?consistency=eventual"
sums=$(wait_converged 20) && ok "all nodes converge" ||
    not_ok "all nodes converge: $sums"
for ((i = 1; i <= 3; i++)); do
    expect_status "stale read on node $i" 200 \
        "$(url "$i")/api/v1/paths/docs/a?consistency=stale"
    body_is "node $i has the file" '.size == 7 and .path == "/docs/a"'
done

# ---- the cluster view ------------------------------------------------------
for ((i = 1; i <= 3; i++)); do
    expect_status "GET /api/v1/cluster on node $i" 200 \
        "$(url "$i")/api/v1/cluster"
    body_is "node $i sees 3 reachable voters and leader $L" \
        '(.nodes | length) == 3 and .leader_id == $l and
         all(.nodes[]; .role == "voter" and .reachable and
             (.applied_index | type) == "number") and
         ([.nodes[] | select(.leader)] | length) == 1 and
         ([.nodes[] | select(.self)][0].id) == .self_id' --argjson l "$L"
done
expect_status "the leader's view has match indexes" 200 \
    "$(url "$L")/api/v1/cluster"
body_is "each node has http and raft addresses" \
    'all(.nodes[]; (.http | test(":[0-9]+$")) and (.raft | test(":[0-9]+$"))
         and (.match_index | type) == "number")'
expect_status "GET /api/v1/cluster/term" 200 "$(url "$F")/api/v1/cluster/term"
body_is "a follower reports its term" '.term >= 1 and .node_id >= 1'

# ---- no leader: 503 with Retry-After, never a hang ----------------------------
O1=$(( (L % 3) + 1 )); O2=$(( ((L + 1) % 3) + 1 ))
node_kill9 "$O1"
node_kill9 "$O2"
sleep 2
t0=$SECONDS
code=$(status_of --max-time 15 -X PUT -H 'Content-Type: application/json' \
    -d '{"type":"file"}' "$(url "$L")/api/v1/paths/docs/lost")
check "a write without a majority fails with 503 (got $code)" \
    test "$code" = 503
check "and fails within the request timeout" test $((SECONDS - t0)) -le 12
expect_code "a linearizable read without a majority: 503" 503 unavailable \
    --max-time 15 "$(url "$L")/api/v1/paths/docs/a"
check "it says when to retry" test -n "$(header Retry-After)"
expect_status "a stale read without a majority still works" 200 \
    "$(url "$L")/api/v1/paths/docs/a?consistency=stale"
node_start "$O1"
node_start "$O2"
wait_leader 20 && ok "a leader again once the nodes are back" ||
    not_ok "a leader again once the nodes are back"
L=$(leader_id)

# ---- Idempotency-Key ----------------------------------------------------------
put_idem() {
    curl -s -L -o "$LAST_BODY" -D "$LAST_HEADERS" -w '%{http_code}' -X PUT \
        -H 'Content-Type: application/json' -H "Idempotency-Key: $1" \
        -d "$2" "$(url "$3")/api/v1/paths/$4"
}
code=$(put_idem key-1 '{"type":"file","size":1}' "$L" docs/once)
check_eq "first write with a key: 201" 201 "$code"
id1=$(jq -r .id "$LAST_BODY")
code=$(put_idem key-1 '{"type":"file","size":1}' "$F" docs/once)
check_eq "the retry (through a follower) gets the first outcome: 201" 201 "$code"
check_eq "the same inode" "$id1" "$(jq -r .id "$LAST_BODY")"
check_eq "marked as a replay" true "$(header Idempotent-Replayed)"
code=$(put_idem key-1 '{"type":"file","size":1}' "$L" docs/other)
check_eq "the key with another request: 409" 409 "$code"
body_is "conflict, saying why" '.code == "conflict" and
    (.detail | test("different request"))'
code=$(put_idem key-2 '{"type":"file"}' "$L" docs/once)
check_eq "a new key on an existing name: 409 already_exists" 409 "$code"
code=$(put_idem key-2 '{"type":"file"}' "$L" docs/once)
check_eq "its retry repeats the first outcome: 409" 409 "$code"
body_is "already_exists again" '.code == "already_exists"'
expect_code "an Idempotency-Key with a space is refused" 400 \
    invalid_argument -X PUT -H 'Content-Type: application/json' \
    -H 'Idempotency-Key: a b' -d '{"type":"file"}' \
    "$(url "$L")/api/v1/paths/docs/x"

# ---- a whole cluster restarted keeps every acknowledged write ----------------
mkdir -p "$E2E_TMP/acks"
: >"$E2E_TMP/acks/all"
curl -s -L -X PUT -H 'Content-Type: application/json' \
    -d '{"type":"directory"}' "$(url "$L")/api/v1/paths/load" >/dev/null
LOOP_DEADLINE=$((SECONDS + 20))
pids=()
for c in 1 2 3; do
    write_loop "$c" 60 "$E2E_TMP/acks/c$c" "load/r$c" &
    pids+=($!)
done
wait "${pids[@]}"
cat "$E2E_TMP"/acks/c* >"$E2E_TMP/acks/all"
n=$(wc -l <"$E2E_TMP/acks/all")
check "writes were acknowledged ($n)" test "$n" -ge 150
for ((i = 1; i <= 3; i++)); do
    node_kill9 "$i"
done
for ((i = 1; i <= 3; i++)); do
    node_launch "$i"
done
wait_leader 30 && ok "the restarted cluster elects a leader" ||
    not_ok "the restarted cluster elects a leader"
sums=$(wait_converged 30) && ok "the restarted nodes converge" ||
    not_ok "the restarted nodes converge: $sums"
for ((i = 1; i <= 3; i++)); do
    check "node $i has every acknowledged write" \
        all_present "$i" load "$E2E_TMP/acks/all"
done
finish
