# shellcheck shell=bash
#
# cluster_lib.sh: helpers for the cluster suites, on top of lib.sh (source
# lib.sh first). Nodes are numbered 1..N; node i listens on 127.0.0.1 at
# NODE_PORT[i] (HTTP) and NODE_RAFT[i] (raft), keeps its data in
# NODE_DIR[i] and logs to a fresh daemon-*.log at each start.
#
#     cluster_init 3            # pick ports, write the members list
#     cluster_start             # start every node, wait for a leader
#     L=$(leader_id)            # the node that leads now
#     node_kill9 "$L"
#     wait_leader 20            # a new leader within 20 s
#     wait_converged 30         # every node at one index, equal checksums
#
# SPDX-License-Identifier: MIT

declare -a NODE_PORT NODE_RAFT NODE_DIR NODE_PID NODE_LOG
NODES=0
MEMBERS=""
CLUSTER_ARGS=()   # extra flags for every node (e.g. --set snapshot_threshold=64)

# netns_require: bail out of the suite unless this shell may make network
# namespaces (ip netns needs root); the suites that cut links use them.
netns_require() {
    if ! ip netns add "bnchk$$" 2>/dev/null; then
        echo "Bail out! ip netns is not available (this suite needs root)"
        exit 1
    fi
    ip netns del "bnchk$$"
}

# cluster_init N: ports and folders for N nodes, and the members list of
# the first N (nodes added later with node_add_ports are not in it).
cluster_init() {
    local n=$1 i
    NODES=0
    MEMBERS=""
    for ((i = 1; i <= n; i++)); do
        node_add_ports
        MEMBERS+="${MEMBERS:+, }$i 127.0.0.1:${NODE_PORT[i]} 127.0.0.1:${NODE_RAFT[i]}"
    done
}

# node_add_ports: ports and a folder for node NODES+1 (not started).
node_add_ports() {
    local i=$((NODES + 1)) j taken
    while :; do
        PORT="" RAFT_PORT=""
        pick_ports
        taken=0
        for ((j = 1; j < i; j++)); do
            if ((NODE_PORT[j] == PORT || NODE_PORT[j] == RAFT_PORT ||
                NODE_RAFT[j] == PORT || NODE_RAFT[j] == RAFT_PORT)); then
                taken=1
            fi
        done
        DAEMON_SEQ=$((DAEMON_SEQ + 1))
        ((taken)) || break
    done
    NODE_PORT[i]=$PORT
    NODE_RAFT[i]=$RAFT_PORT
    NODE_DIR[i]=$E2E_TMP/node$i
    NODE_PID[i]=""
    NODES=$i
}

url() {
    printf 'http://127.0.0.1:%s' "${NODE_PORT[$1]}"
}

# node_launch I [ARG...]: start node I in the background (no wait). With
# NO_MEMBERS=1 the node gets no members list (a node that joins knowing
# nothing of the cluster).
node_launch() {
    local i=$1 members=()
    shift
    PORT=${NODE_PORT[i]}
    RAFT_PORT=${NODE_RAFT[i]}
    [[ "${NO_MEMBERS:-0}" == 1 ]] || members=(--members "$MEMBERS")
    daemon_launch_raw --node-id "$i" --data-dir "${NODE_DIR[i]}" \
        --listen "127.0.0.1:${NODE_PORT[i]}" \
        --raft-listen "127.0.0.1:${NODE_RAFT[i]}" \
        "${members[@]}" --set election_timeout_ms=500 \
        --set heartbeat_timeout_ms=50 "${CLUSTER_ARGS[@]}" "$@"
    NODE_PID[i]=$DAEMON_PID
    NODE_LOG[i]=$LOG
    DAEMON_PID=""
}

# node_up I: node I answers /healthz (bounded by READY_TIMEOUT).
node_up() {
    local i=$1 deadline=$((SECONDS + READY_TIMEOUT))
    while ((SECONDS < deadline)); do
        if ! alive "${NODE_PID[i]}"; then
            return 1
        fi
        if [[ "$(status_of --max-time 2 "$(url "$i")/healthz")" == 200 ]]; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# node_start I [ARG...]: launch node I and wait until it answers (a check).
node_start() {
    local i=$1
    node_launch "$@"
    if node_up "$i"; then
        ok "node $i up on $(url "$i")"
    else
        not_ok "node $i up on $(url "$i")" "${NODE_LOG[i]}"
        echo "Bail out! node $i did not start"
        exit 1
    fi
}

node_kill9() {
    local i=$1
    [[ -n "${NODE_PID[i]}" ]] || return 0
    kill -KILL "${NODE_PID[i]}" 2>/dev/null || true
    reap "${NODE_PID[i]}" 10 || true
    NODE_PID[i]=""
}

# node_stop I: SIGTERM; node I must exit 0 in time (a check).
node_stop() {
    local i=$1
    [[ -n "${NODE_PID[i]}" ]] || return 0
    kill -TERM "${NODE_PID[i]}" 2>/dev/null || true
    if reap "${NODE_PID[i]}" "$STOP_TIMEOUT"; then
        check_eq "node $i exits 0 on SIGTERM" 0 "$DAEMON_RC"
    else
        kill -KILL "${NODE_PID[i]}" 2>/dev/null || true
        reap "${NODE_PID[i]}" 10 || true
        not_ok "node $i stops within ${STOP_TIMEOUT}s" "${NODE_LOG[i]}"
    fi
    NODE_PID[i]=""
}

# cluster_start: start nodes 1..NODES and wait for a leader (checks).
cluster_start() {
    local i
    for ((i = 1; i <= NODES; i++)); do
        node_launch "$i"
    done
    for ((i = 1; i <= NODES; i++)); do
        if node_up "$i"; then
            ok "node $i up on $(url "$i")"
        else
            not_ok "node $i up on $(url "$i")" "${NODE_LOG[i]}"
            echo "Bail out! node $i did not start"
            exit 1
        fi
    done
    if wait_leader 20; then
        ok "a leader is elected: node $(leader_id)"
    else
        not_ok "a leader is elected"
        echo "Bail out! no leader"
        exit 1
    fi
}

# leader_id: the id of a running node that says it is the ready leader
# (its /readyz says role leader), or nothing.
leader_id() {
    local i
    for ((i = 1; i <= NODES; i++)); do
        [[ -n "${NODE_PID[i]}" ]] || continue
        if curl -s --max-time 1 "$(url "$i")/readyz" 2>/dev/null |
            jq -e '.role == "leader"' >/dev/null 2>&1; then
            echo "$i"
            return 0
        fi
    done
    return 1
}

# wait_leader SECONDS: until some running node leads (and is ready).
wait_leader() {
    local deadline=$((SECONDS + $1))
    while ((SECONDS < deadline)); do
        if leader_id >/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# checksums: "id applied checksum" of every running node, a line each.
checksums() {
    local i
    for ((i = 1; i <= NODES; i++)); do
        [[ -n "${NODE_PID[i]}" ]] || continue
        curl -s --max-time 5 "$(url "$i")/api/v1/cluster/checksum" |
            jq -r '"\(.node_id) \(.applied_index) \(.checksum) \(.inodes)"' ||
            echo "$i - unreachable -"
    done
}

# wait_converged SECONDS: until every running node reports the same
# applied index and namespace checksum. Prints the last checksums.
wait_converged() {
    local deadline=$((SECONDS + $1)) sums
    while ((SECONDS < deadline)); do
        sums=$(checksums)
        if [[ $(awk '{ print $2, $3 }' <<<"$sums" | sort -u | wc -l) == 1 ]] &&
            ! grep -q unreachable <<<"$sums"; then
            echo "$sums"
            return 0
        fi
        sleep 0.2
    done
    echo "$sums"
    return 1
}

# write_loop CLIENT COUNT OUT PREFIX: create COUNT files PREFIX-N one at a
# time, appending the name of each one acknowledged (2xx) to OUT. Each
# write goes to some node and follows redirects to the leader; when no
# node answers 2xx it is retried elsewhere with the same Idempotency-Key
# (so a retry never runs twice), a few times, then given up. Stops after
# COUNT or at LOOP_DEADLINE (a SECONDS value).
write_loop() {
    local client=$1 count=$2 out=$3 prefix=$4 n try node code
    for ((n = 0; n < count && SECONDS < LOOP_DEADLINE; n++)); do
        for ((try = 0; try < 3 * NODES; try++)); do
            node=$(((client + n + try) % NODES + 1))
            code=$(curl -s -L --max-time 5 -o /dev/null -w '%{http_code}' \
                -X PUT -H 'Content-Type: application/json' \
                -H "Idempotency-Key: $prefix-$n" \
                -d '{"type":"file"}' \
                "$(url "$node")/api/v1/paths/$prefix-$n" 2>/dev/null) || true
            if [[ "$code" == 2* ]]; then
                echo "$prefix-$n" >>"$out"
                break
            fi
            sleep 0.05
        done
    done
}

# list_names NODE DIR: the names in directory DIR (no leading slash) as
# node NODE holds it (stale reads, every page), a line each.
list_names() {
    local i=$1 dir=$2 after="" page
    while :; do
        page=$(curl -s --max-time 10 \
            "$(url "$i")/api/v1/paths/$dir?list&limit=10000&consistency=stale${after:+&after=$after}") ||
            return 1
        jq -r '.entries[].name' <<<"$page" || return 1
        after=$(jq -r '.next // empty' <<<"$page")
        [[ -n "$after" ]] || return 0
    done
}

# all_present NODE DIR FILE: every path DIR/name listed in FILE (as
# "DIR/name") is in DIR at NODE. Prints the missing ones.
all_present() {
    local i=$1 dir=$2 list=$3 have
    have=$(list_names "$i" "$dir" | sed "s|^|$dir/|" | sort) || return 1
    ! comm -23 <(sort -u "$list") <(echo "$have") | grep .
}
