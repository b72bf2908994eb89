#!/usr/bin/env bash
#
# cluster_lease: the read lease keeps its promise when only the leader's
# raft traffic is cut. Each node runs in a network namespace of its own
# with two links: one for raft (bridge R) and one for HTTP (bridge H,
# which also carries the leaders' confirmation rounds). Cutting the
# leader's raft link leaves its HTTP answering; the followers elect a new
# leader, which takes writes. All the while a reader asks the old leader
# (linearizable reads, no redirects followed) for the last file the new
# leader acknowledged: it must never answer 404 (a stale read under a
# lease that another leader made void); 503 or 307 are the right answers.
# Needs root (ip netns); everything this suite made is removed at exit.
#
# SPDX-License-Identifier: MIT

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

netns_require

TAG=bl$(($$ % 100000))
# RFC 2544 benchmarking addresses (198.18.0.0/15): never a real network.
K=$(($$ % 250 + 1))
NETR=198.18.$K # raft
NETH=198.19.$K # HTTP
BRR=${TAG}rb
BRH=${TAG}hb
NS=()
CUT_SECONDS=${CUT_SECONDS:-8}
SLOW=1 # the node that leads when the raft link is cut
E2E_CLEANUP_HOOKS+=("net_down")

net_down() {
    local i
    for ((i = 1; i <= 3; i++)); do
        ip netns del "${TAG}n$i" 2>/dev/null
        ip link del "${TAG}r$i" 2>/dev/null
        ip link del "${TAG}h$i" 2>/dev/null
    done
    ip link del "$BRR" 2>/dev/null
    ip link del "$BRH" 2>/dev/null
}

net_up() {
    local i br
    for br in "$BRR:$NETR" "$BRH:$NETH"; do
        ip link add "${br%%:*}" type bridge
        ip addr add "${br#*:}.254/24" dev "${br%%:*}"
        ip link set "${br%%:*}" up
    done
    for ((i = 1; i <= 3; i++)); do
        NS[i]=${TAG}n$i
        ip netns add "${NS[i]}"
        ip link add "${TAG}r$i" type veth peer name "${TAG}R$i"
        ip link add "${TAG}h$i" type veth peer name "${TAG}H$i"
        ip link set "${TAG}R$i" netns "${NS[i]}"
        ip link set "${TAG}H$i" netns "${NS[i]}"
        ip link set "${TAG}r$i" master "$BRR" up
        ip link set "${TAG}h$i" master "$BRH" up
        ip netns exec "${NS[i]}" ip addr add "$NETR.$i/24" dev "${TAG}R$i"
        ip netns exec "${NS[i]}" ip addr add "$NETH.$i/24" dev "${TAG}H$i"
        ip netns exec "${NS[i]}" ip link set "${TAG}R$i" up
        ip netns exec "${NS[i]}" ip link set "${TAG}H$i" up
        ip netns exec "${NS[i]}" ip link set lo up
    done
}

net_up
ok "three network namespaces, raft on $NETR.0/24 and HTTP on $NETH.0/24"

url() {
    printf 'http://%s.%s:%s' "$NETH" "$1" 8420
}
MEMBERS="1 $NETH.1:8420 $NETR.1:8421, 2 $NETH.2:8420 $NETR.2:8421, 3 $NETH.3:8420 $NETR.3:8421"
NODES=3
node_launch() {
    local i=$1 real=$BANYAND et=500
    shift
    ((i != SLOW)) || et=2000
    BANYAND=ip
    PORT=8420
    daemon_launch_raw netns exec "${NS[i]}" "$real" --node-id "$i" \
        --data-dir "$E2E_TMP/node$i" --listen "$NETH.$i:8420" \
        --raft-listen "$NETR.$i:8421" --members "$MEMBERS" \
        --set election_timeout_ms=$et --set heartbeat_timeout_ms=50 \
        --set request_timeout_ms=3000 "$@"
    BANYAND=$real
    NODE_PID[i]=$DAEMON_PID
    NODE_LOG[i]=$LOG
    DAEMON_PID=""
}

cluster_start
L=$(leader_id)
if [[ "$L" != "$SLOW" ]]; then
    expect_status "transfer the leadership from $L to $SLOW" 200 -X POST \
        -H 'Content-Type: application/json' -d "{\"id\":$SLOW}" \
        "$(url "$L")/api/v1/cluster/transfer"
    for _ in $(seq 100); do
        L=$(leader_id || true)
        [[ "$L" != "$SLOW" ]] || break
        sleep 0.1
    done
fi
check_eq "node $SLOW leads" "$SLOW" "$L"
echo "# leader: node $L (election timeout 2000 ms; the others 500 ms)"
expect_status "mkdir /p" 201 -X PUT -H 'Content-Type: application/json' \
    -d '{"type":"directory"}' "$(url "$L")/api/v1/paths/p"
expect_status "a file before the cut" 201 -X PUT \
    -H 'Content-Type: application/json' -d '{"type":"file"}' \
    "$(url "$L")/api/v1/paths/p/before"
wait_converged 20 >/dev/null
# Reads keep the old leader's lease in use (and renewed) up to the cut.
for _ in 1 2 3 4 5 6 7 8 9 10; do
    curl -s -o /dev/null --max-time 2 "$(url "$L")/api/v1/paths/p/before" ||
        true
done
expect_status "a linearizable read on the leader" 200 \
    "$(url "$L")/api/v1/paths/p/before"

# The follower's side of a round, by hand.
F=$((L % 3 + 1))
T=$(curl -s "$(url "$F")/api/v1/cluster/term" | jq -r .term)
expect_status "a round's request to follower $F" 200 \
    "$(url "$F")/api/v1/cluster/term?term=$T&lease_ms=60000"
check "grants a lease clamped to its election timeout (500 ms)" \
    jq -e --argjson t "$T" '.term == $t and .lease_ms == 500' "$LAST_BODY"
expect_status "a round of another term" 200 \
    "$(url "$F")/api/v1/cluster/term?term=$((T + 7))&lease_ms=500"
check "is answered with the follower's term and no lease" \
    jq -e --argjson t "$T" '.term == $t and .lease_ms == 0' "$LAST_BODY"
expect_code "a lease that is not a number" 400 invalid_argument \
    "$(url "$F")/api/v1/cluster/term?term=$T&lease_ms=soon"

ACKED=$E2E_TMP/acked    # names the new leader acknowledged, in order
READS=$E2E_TMP/reads    # "code name" of each read at the old leader
: >"$ACKED"
: >"$READS"

# writer: create /p/w-N one after the other through the nodes other than
# the old leader, appending N once acknowledged. A redirect is followed
# unless it points at the old leader (which would hold the write until the
# request timeout).
writer() {
    local n=0 node code out to others=() i
    for ((i = 1; i <= 3; i++)); do
        [[ $i == "$L" ]] || others+=("$(url "$i")")
    done
    while ((SECONDS < STOP_AT)); do
        to=${others[$((n % 2))]}/api/v1/paths/p/w-$n
        for _ in 1 2; do
            out=$(curl -s --max-time 3 -o /dev/null \
                -w '%{http_code} %{redirect_url}' -X PUT \
                -H 'Content-Type: application/json' \
                -H "Idempotency-Key: lease-w-$n" -d '{"type":"file"}' \
                "$to" 2>/dev/null) || out=000
            code=${out%% *}
            [[ "$code" == 307 && "${out#* }" != "$(url "$L")"* ]] || break
            to=${out#* }
        done
        if [[ "$code" == 2* ]]; then
            echo "$n" >>"$ACKED"
            echo "$n $EPOCHREALTIME" >>"$ACKED.t"
            n=$((n + 1))
        else
            sleep 0.02
        fi
    done
}

# reader: ask the old leader for the last acknowledged file (read before
# the request is sent), no redirects followed.
reader() {
    local n name code
    while ((SECONDS < STOP_AT)); do
        n=$(tail -n 1 "$ACKED")
        name=before
        [[ -z "$n" ]] || name=w-$n
        code=$(curl -s --max-time 3 -o /dev/null -w '%{http_code}' \
            "$(url "$L")/api/v1/paths/p/$name" 2>/dev/null) || code=000
        echo "$code ${n:--} $EPOCHREALTIME" >>"$READS"
    done
}

# ---- cut the leader's raft link only -------------------------------------
STOP_AT=$((SECONDS + CUT_SECONDS))
CUT_AT=$EPOCHREALTIME
ip link set "${TAG}r$L" down
ok "node $L's raft link is cut; its HTTP still answers"
reader &
rpid=$!
writer &
wpid=$!
wait "$rpid" "$wpid"
acked=$(wc -l <"$ACKED")
echo "# the new leader acknowledged $acked writes while node $L was cut"
check "the majority took writes while the old leader was cut ($acked)" \
    test "$acked" -gt 0
stale=$(awk '$1 == 404 && $2 != "-"' "$READS" | wc -l)
served=$(awk '$1 == 200 && $2 == "-"' "$READS" | wc -l)
refused=$(awk '($1 == 503 || $1 == 307) && $2 != "-"' "$READS" | wc -l)
echo "# reads at the old leader: $(wc -l <"$READS") in all; before the first" \
    "acknowledged write: $served served; after: $refused refused, $stale stale"
awk '{ print $1 }' "$READS" | sort | uniq -c | sed 's/^/#   /'
first_ack=$(head -n 1 "$ACKED.t" | awk '{ print $2 }')
last_served=$(awk '$1 == 200 { t = $3 } END { print t }' "$READS")
echo "# seconds after the cut: first acknowledged write ${first_ack:+$(
    awk -v a="$first_ack" -v c="$CUT_AT" 'BEGIN { printf "%.3f", a - c }')}," \
    "last read served by the old leader ${last_served:+$(
        awk -v a="$last_served" -v c="$CUT_AT" 'BEGIN { printf "%.3f", a - c }')}"
check_eq "no read at the old leader missed an acknowledged write" 0 "$stale"
check "the old leader refused reads once another node led ($refused)" \
    test "$refused" -gt 0
check "the old leader answered HTTP all along" \
    test "$(awk '$1 == "000"' "$READS" | wc -l)" -eq 0
code=$(status_of --max-time 5 "$(url "$L")/api/v1/paths/p/before?consistency=stale")
check_eq "a stale read at the old leader is served" 200 "$code"

# ---- heal ----------------------------------------------------------------------
ip link set "${TAG}r$L" up
ok "the raft link heals"
sums=$(wait_converged 30) && ok "all checksums agree after healing" ||
    not_ok "all checksums agree after healing: $sums"
echo "$sums" | sed 's/^/#   /'
if ((acked > 0)); then
    last=$(tail -n 1 "$ACKED")
    expect_status "the old leader has the new leader's last write" 200 -L \
        "$(url "$L")/api/v1/paths/p/w-$last"
fi
finish
