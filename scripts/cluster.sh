#!/usr/bin/env bash
#
# cluster.sh: a local 3-node banyan cluster on 127.0.0.1, for trying it out.
#
#   scripts/cluster.sh start    build if needed, start nodes 1-3 in the
#                               background, wait for a leader, print the
#                               addresses (make run-cluster)
#   scripts/cluster.sh status   each node's role, term and indexes
#   scripts/cluster.sh stop     stop the three nodes (make stop-cluster)
#
# Node i listens for HTTP on 127.0.0.1:84i0 and for raft on 127.0.0.1:84i1
# (8410/8411, 8420/8421, 8430/8431); its data, log and pid live in
# data/cluster/node<i>/. Environment: BANYAND (default build/release/banyand),
# CLUSTER_DIR (default data/cluster).
#
# SPDX-License-Identifier: MIT

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BANYAND=${BANYAND:-$ROOT/build/release/banyand}
DIR=${CLUSTER_DIR:-$ROOT/data/cluster}
MEMBERS="1 127.0.0.1:8410 127.0.0.1:8411, 2 127.0.0.1:8420 127.0.0.1:8421, 3 127.0.0.1:8430 127.0.0.1:8431"

pid_of() {
    local f=$DIR/node$1/banyand.pid
    [[ -f "$f" ]] && kill -0 "$(cat "$f")" 2>/dev/null && cat "$f"
}

start() {
    local i
    mkdir -p "$DIR"
    for i in 1 2 3; do
        if pid_of "$i" >/dev/null; then
            echo "node $i runs already (pid $(pid_of "$i"))"
            continue
        fi
        mkdir -p "$DIR/node$i"
        "$BANYAND" --node-id "$i" --data-dir "$DIR/node$i/data" \
            --listen "127.0.0.1:84${i}0" --raft-listen "127.0.0.1:84${i}1" \
            --members "$MEMBERS" >>"$DIR/node$i/banyand.log" 2>&1 &
        echo $! >"$DIR/node$i/banyand.pid"
    done
    for _ in $(seq 100); do
        for i in 1 2 3; do
            if curl -s --max-time 1 "http://127.0.0.1:84${i}0/readyz" |
                grep -q '"role":"leader"'; then
                echo "banyan cluster up: node $i leads"
                for i in 1 2 3; do
                    echo "  node $i: http://127.0.0.1:84${i}0 (raft 127.0.0.1:84${i}1, log $DIR/node$i/banyand.log)"
                done
                echo "try: curl -s http://127.0.0.1:8410/api/v1/cluster | jq"
                echo "stop it with: make stop-cluster"
                return 0
            fi
        done
        sleep 0.2
    done
    echo "no leader after 20 s; see $DIR/node*/banyand.log" >&2
    return 1
}

stop() {
    local i pid
    for i in 1 2 3; do
        if pid=$(pid_of "$i"); then
            kill -TERM "$pid"
            for _ in $(seq 100); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            echo "node $i stopped"
        fi
        rm -f "$DIR/node$i/banyand.pid"
    done
}

status() {
    local i
    for i in 1 2 3; do
        printf 'node %s: ' "$i"
        curl -s --max-time 1 "http://127.0.0.1:84${i}0/api/v1/cluster/self" ||
            printf 'down'
        echo
    done
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*)
    echo "usage: scripts/cluster.sh start|status|stop" >&2
    exit 2
    ;;
esac
