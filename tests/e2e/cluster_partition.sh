#!/usr/bin/env bash
#
# cluster_partition: each node runs in a network namespace of its own,
# joined to the others by a veth pair on a bridge that this suite creates
# (addresses 198.18.x.1-3 of the RFC 2544 test range, reachable only from
# this host). Cutting the
# leader's link partitions it from the majority: the minority side stops
# accepting writes (503, never a hang) while it still serves stale reads;
# the majority elects a leader and goes on; after healing, every node
# converges to the same checksum and the old leader has the majority's
# writes. Needs root (ip netns); everything is removed at exit.
#
# SPDX-License-Identifier: MIT

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

netns_require

TAG=bn$(($$ % 100000))
# RFC 2544 benchmarking addresses: never a real network of the host.
NET=198.18.$(($$ % 250 + 1))
BR=${TAG}br
NS=()
E2E_CLEANUP_HOOKS+=("net_down")

net_down() {
    local i
    for ((i = 1; i <= 3; i++)); do
        ip netns del "${TAG}n$i" 2>/dev/null
        ip link del "${TAG}h$i" 2>/dev/null
    done
    ip link del "$BR" 2>/dev/null
}

net_up() {
    local i
    ip link add "$BR" type bridge
    ip addr add "$NET.254/24" dev "$BR"
    ip link set "$BR" up
    for ((i = 1; i <= 3; i++)); do
        NS[i]=${TAG}n$i
        ip netns add "${NS[i]}"
        ip link add "${TAG}h$i" type veth peer name "${TAG}p$i"
        ip link set "${TAG}p$i" netns "${NS[i]}"
        ip link set "${TAG}h$i" master "$BR" up
        ip netns exec "${NS[i]}" ip addr add "$NET.$i/24" dev "${TAG}p$i"
        ip netns exec "${NS[i]}" ip link set "${TAG}p$i" up
        ip netns exec "${NS[i]}" ip link set lo up
    done
}

net_up
ok "three network namespaces on a bridge ($NET.0/24)"

# The nodes listen on their namespace's address; ports can be fixed.
url() {
    printf 'http://%s.%s:%s' "$NET" "$1" 8420
}
MEMBERS="1 $NET.1:8420 $NET.1:8421, 2 $NET.2:8420 $NET.2:8421, 3 $NET.3:8420 $NET.3:8421"
NODES=3
node_launch() {
    local i=$1 real=$BANYAND
    shift
    BANYAND=ip
    PORT=8420
    daemon_launch_raw netns exec "${NS[i]}" "$real" --node-id "$i" \
        --data-dir "$E2E_TMP/node$i" --listen "$NET.$i:8420" \
        --raft-listen "$NET.$i:8421" --members "$MEMBERS" \
        --set election_timeout_ms=500 --set heartbeat_timeout_ms=50 \
        --set request_timeout_ms=3000 "$@"
    BANYAND=$real
    NODE_PID[i]=$DAEMON_PID
    NODE_LOG[i]=$LOG
    DAEMON_PID=""
}
# inside I CURL-ARGS...: curl from node I's own namespace (works while it
# is cut off from the bridge).
inside() {
    local i=$1
    shift
    ip netns exec "${NS[i]}" curl --max-time 15 -s "$@"
}

cluster_start
L=$(leader_id)
echo "# leader: node $L"
expect_status "mkdir /p" 201 -X PUT -H 'Content-Type: application/json' \
    -d '{"type":"directory"}' "$(url "$L")/api/v1/paths/p"
expect_status "a file before the partition" 201 -X PUT \
    -H 'Content-Type: application/json' -d '{"type":"file"}' \
    "$(url "$L")/api/v1/paths/p/before"
wait_converged 20 >/dev/null

# ---- cut the leader off --------------------------------------------------------
ip link set "${TAG}h$L" down
ok "node $L is cut off from the others"
# The majority elects a leader of its own.
NODES_SAVED=${NODE_PID[L]}
NODE_PID[L]=""   # leader_id looks at the reachable side only
wait_leader 15 && ok "the majority elects a new leader" ||
    not_ok "the majority elects a new leader"
M=$(leader_id)
NODE_PID[L]=$NODES_SAVED
echo "# majority leader: node $M"
check "the new leader is another node" test "$M" != "$L"
for k in 1 2 3 4 5; do
    expect_status "write $k on the majority side" 201 -X PUT \
        -H 'Content-Type: application/json' -d '{"type":"file"}' \
        "$(url "$M")/api/v1/paths/p/after-$k"
done

# The minority side refuses writes, in bounded time.
t0=$SECONDS
code=$(inside "$L" -o "$E2E_TMP/minority.body" -w '%{http_code}' -X PUT \
    -H 'Content-Type: application/json' -d '{"type":"file"}' \
    "$(url "$L")/api/v1/paths/p/minority")
check "a write on the cut-off node fails with 503 (got $code)" \
    test "$code" = 503
check "within the request timeout ($((SECONDS - t0)) s)" \
    test $((SECONDS - t0)) -le 5
check "as a problem with code unavailable" jq -e '.code == "unavailable"' \
    "$E2E_TMP/minority.body"
code=$(inside "$L" -o /dev/null -w '%{http_code}' "$(url "$L")/api/v1/paths/p/before")
check "a linearizable read there fails too (got $code)" test "$code" = 503
code=$(inside "$L" -o /dev/null -w '%{http_code}' \
    "$(url "$L")/api/v1/paths/p/before?consistency=stale")
check_eq "a stale read there is served" 200 "$code"
code=$(inside "$L" -o /dev/null -w '%{http_code}' \
    "$(url "$L")/api/v1/paths/p/after-1?consistency=stale")
check_eq "but it cannot see the majority's writes" 404 "$code"

# ---- heal ----------------------------------------------------------------------
ip link set "${TAG}h$L" up
ok "the partition heals"
sums=$(wait_converged 30) && ok "all checksums agree after healing" ||
    not_ok "all checksums agree after healing: $sums"
echo "$sums" | sed 's/^/#   /'
expect_status "the old leader has the majority's writes" 200 \
    "$(url "$L")/api/v1/paths/p/after-5?consistency=stale"
expect_status "the refused write is nowhere" 404 -L \
    "$(url "$M")/api/v1/paths/p/minority"
expect_status "and the cluster takes writes through any node" 201 -L -X PUT \
    -H 'Content-Type: application/json' -d '{"type":"file"}' \
    "$(url "$L")/api/v1/paths/p/healed"
finish
