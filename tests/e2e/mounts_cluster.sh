#!/usr/bin/env bash
#
# mounts_cluster: mounts on 3 nodes. The mount and the syncs run on the
# leader (a follower redirects them), the followers hold the same mount
# table and namespace (checksums agree), and a leader killed in the middle
# of a sync loses nothing that was acknowledged: a new leader's sync
# completes it.
#
# SPDX-License-Identifier: MIT

# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

J='Content-Type: application/json'
U=$E2E_TMP/ufs
mkdir -p "$U/small" "$U/big"
for i in $(seq 1 200); do : >"$U/small/f$i"; done
(cd "$U/big" && seq -f 'g%05.0f' 1 20000 | xargs touch)

# converged DESC: every running node at one index with one checksum.
converged() {
    local sums
    if sums=$(wait_converged 30); then
        ok "$1"
    else
        not_ok "$1"
    fi
    echo "$sums" | sed 's/^/# /'
}

cluster_init 3
cluster_start
L=$(leader_id)
F=$((L % NODES + 1))

expect_status "a follower redirects a mount" 307 -X POST -H "$J" \
    -d "{\"path\":\"/m\",\"ufs\":\"file://$U\"}" "$(url "$F")/api/v1/mounts"
expect_status "mount on the leader is 201" 201 -X POST -H "$J" \
    -d "{\"path\":\"/m\",\"ufs\":\"file://$U\"}" "$(url "$L")/api/v1/mounts"
expect_status "a follower redirects a sync" 307 -X POST \
    "$(url "$F")/api/v1/paths/m/small/sync"
expect_status "sync /m/small on the leader" 200 -X POST \
    "$(url "$L")/api/v1/paths/m/small/sync?recursive=true"
body_is "... 200 created (and small itself)" '.created == 201'
converged "the nodes converge after the sync"
# Past the read lease, a linearizable read waits for a confirmation round
# and then for the load of what the namespace lacks: two suspensions of one
# request.
sleep 1
expect_status "a read after the lease loads a file on the leader" 200 \
    "$(url "$L")/api/v1/paths/m/big/g00001"
body_is "... from the under storage" '.type == "file" and .persisted == true'
sleep 1
expect_status "... and the first listing of a directory" 200 \
    "$(url "$L")/api/v1/paths/m?list"
body_is "... big and small" '[.entries[].name] == ["big", "small"]'
for ((i = 1; i <= NODES; i++)); do
    expect_status "node $i lists the mount" 200 "$(url "$i")/api/v1/mounts"
    body_is "... /m" '[.mounts[].path] == ["/m"]'
    check_eq "node $i holds the 200 files" 200 \
        "$(list_names "$i" m/small | wc -l)"
done

# Write-through creates, acknowledged before the kill.
ACKED=$E2E_TMP/acked
: >"$ACKED"
for i in $(seq 1 20); do
    code=$(status_of -X PUT -H "$J" -d '{"type":"file"}' \
        "$(url "$L")/api/v1/paths/m/small/w$i")
    [[ "$code" == 201 ]] && echo "m/small/w$i" >>"$ACKED"
done
check_eq "20 write-through creates acknowledged" 20 "$(wc -l <"$ACKED")"

# A sync of 20,000 entries, and a kill -9 of the leader while it runs.
curl -s -o "$E2E_TMP/sync.body" -w '%{http_code}' -X POST \
    "$(url "$L")/api/v1/paths/m/big/sync" >"$E2E_TMP/sync.code" 2>/dev/null &
SYNC=$!
sleep 0.2
node_kill9 "$L"
wait "$SYNC" || true
echo "# the sync on the killed leader answered: $(cat "$E2E_TMP/sync.code")"
if wait_leader 20; then
    ok "a new leader after the kill"
else
    not_ok "a new leader after the kill"
fi
N=$(leader_id)
expect_status "the new leader syncs /m/big" 200 -X POST \
    "$(url "$N")/api/v1/paths/m/big/sync"
expect_status "a second sync finds nothing more" 200 -X POST \
    "$(url "$N")/api/v1/paths/m/big/sync"
body_is "... no change" '.created == 0 and .deleted == 0 and .updated == 0'
converged "the running nodes converge"
for ((i = 1; i <= NODES; i++)); do
    [[ -n "${NODE_PID[i]}" ]] || continue
    check_eq "node $i holds the 20000 entries of /m/big" 20000 \
        "$(list_names "$i" m/big | wc -l)"
    if missing=$(all_present "$i" m/small "$ACKED"); then
        ok "node $i holds every acknowledged write-through create"
    else
        echo "$missing" >"$E2E_TMP/missing"
        not_ok "node $i holds every acknowledged write-through create" \
            "$E2E_TMP/missing"
    fi
done
check "the write-through files are on disk" test -f "$U/small/w20"

finish
