# shellcheck shell=bash
#
# lib.sh: helpers of the end-to-end tests. Source it from a test script:
#
#     . "$(dirname "$0")/lib.sh"
#     daemon_start
#     expect_status "mkdir /a" 201 -X PUT "$B/api/v1/paths/a" \
#         -H 'Content-Type: application/json' -d '{"type":"directory"}'
#     finish
#
# A daemon listens on 127.0.0.1 on a free port of 20000-29999 with a data
# folder of its own; $B is its base URL. Each check prints "ok - ..." or
# "not ok - ..."; finish prints "# <suite>: N passed, M failed" and exits
# nonzero when a check failed. Every wait is bounded, and an EXIT trap kills
# every daemon the script started, so none is ever left behind.
#
# Environment: BANYAND (the binary, default build/release/banyand),
# E2E_TMPDIR (work folder, kept; default a fresh one removed at exit),
# E2E_ARTIFACTS (where the logs of a failing suite go, default
# tests/artifacts).
#
# SPDX-License-Identifier: MIT

set -euo pipefail

E2E_NAME=$(basename "$0" .sh)
E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BANYAND=${BANYAND:-$E2E_ROOT/build/release/banyand}
E2E_ARTIFACTS=${E2E_ARTIFACTS:-$E2E_ROOT/tests/artifacts}

if [[ -n "${E2E_TMPDIR:-}" ]]; then
    mkdir -p "$E2E_TMPDIR"
    E2E_TMP=$E2E_TMPDIR
    E2E_TMP_OWNED=0
else
    E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/banyan-e2e-$E2E_NAME.XXXXXX")
    E2E_TMP_OWNED=1
fi

PASS=0
FAIL=0

# The current daemon: its pid, ports, base URL, data folder and log.
DAEMON_PID=""
PORT=""
RAFT_PORT=""
B=""
DATA_DIR=""
LOG=""
DAEMON_SEQ=0   # daemons started so far (names the logs)
DAEMON_RC=""   # exit status of the last daemon stopped or reaped

# Last response of expect_status / expect_code.
LAST_BODY=$E2E_TMP/last.body
LAST_HEADERS=$E2E_TMP/last.headers
LAST_STATUS=""

READY_TIMEOUT=${READY_TIMEOUT:-20}  # seconds for /readyz after a start
STOP_TIMEOUT=${STOP_TIMEOUT:-20}    # seconds for a SIGTERM shutdown
CURL_MAX_TIME=${CURL_MAX_TIME:-30}  # seconds for any one request

# Every request is bounded in time and sends the URL as written (no
# removal of "..", no globbing of [] or {}).
curl() {
    command curl --max-time "$CURL_MAX_TIME" --path-as-is -g "$@"
}
export -f curl
export CURL_MAX_TIME

# ---- results ------------------------------------------------------------

ok() {
    PASS=$((PASS + 1))
    printf 'ok - %s\n' "$1"
}

# not_ok DESC [DETAIL-FILE]: a failed check, with what explains it.
not_ok() {
    FAIL=$((FAIL + 1))
    printf 'not ok - %s\n' "$1"
    if [[ $# -ge 2 && -s "$2" ]]; then
        head -c 2000 "$2" | sed 's/^/#   /'
        printf '\n'
    fi
}

# check DESC COMMAND [ARG...]: passes when the command exits 0.
check() {
    local desc=$1 out=$E2E_TMP/check.out
    shift
    if "$@" >"$out" 2>&1; then
        ok "$desc"
    else
        printf '# command failed (exit %s): %s\n' "$?" "$*" >>"$out"
        not_ok "$desc" "$out"
    fi
}

# check_eq DESC EXPECTED ACTUAL
check_eq() {
    if [[ "$2" == "$3" ]]; then
        ok "$1"
    else
        printf '# expected: %s\n# actual:   %s\n' "$2" "$3" >"$E2E_TMP/check.out"
        not_ok "$1" "$E2E_TMP/check.out"
    fi
}

# expect_status DESC STATUS CURL-ARG...: runs curl with the arguments and
# passes when the answer has STATUS. The body and headers stay in
# $LAST_BODY and $LAST_HEADERS for the checks that follow.
expect_status() {
    local desc=$1 want=$2 out=$E2E_TMP/check.out
    shift 2
    : >"$LAST_BODY"
    : >"$LAST_HEADERS"
    LAST_STATUS=$(curl -s -o "$LAST_BODY" -D "$LAST_HEADERS" \
        -w '%{http_code}' "$@") || true
    if [[ "$LAST_STATUS" == "$want" ]]; then
        ok "$desc"
        return 0
    fi
    {
        printf '# expected status %s, got %s\n' "$want" "${LAST_STATUS:-none}"
        head -c 1000 "$LAST_BODY"
    } >"$out"
    not_ok "$desc" "$out"
    return 0
}

# expect_code DESC STATUS CODE CURL-ARG...: the answer is a problem
# (RFC 9457) with STATUS and CODE: the content type is
# application/problem+json, .status and .code are right and .type is
# urn:banyan:problem:CODE.
expect_code() {
    local desc=$1 want=$2 code=$3 out=$E2E_TMP/check.out ctype
    shift 3
    : >"$LAST_BODY"
    : >"$LAST_HEADERS"
    LAST_STATUS=$(curl -s -o "$LAST_BODY" -D "$LAST_HEADERS" \
        -w '%{http_code}' "$@") || true
    ctype=$(header Content-Type)
    if [[ "$LAST_STATUS" == "$want" ]] &&
        [[ "$ctype" == application/problem+json* ]] &&
        jq -e --arg c "$code" --argjson s "$want" \
            '.code == $c and .status == $s and
             .type == ("urn:banyan:problem:" + $c) and
             (.title | type) == "string" and (.detail | type) == "string"' \
            "$LAST_BODY" >/dev/null 2>&1; then
        ok "$desc"
        return 0
    fi
    {
        printf '# expected %s %s (application/problem+json), got %s (%s)\n' \
            "$want" "$code" "${LAST_STATUS:-none}" "${ctype:-no content type}"
        head -c 1000 "$LAST_BODY"
    } >"$out"
    not_ok "$desc" "$out"
    return 0
}

# header NAME: the value of header NAME in the last response ("" if none).
header() {
    awk -v n="$1" 'BEGIN { n = tolower(n) }
        { sub(/\r$/, "") }
        index(tolower($0), n ":") == 1 {
            v = substr($0, length(n) + 2); sub(/^[ \t]+/, "", v); print v; exit
        }' "$LAST_HEADERS"
}

# body_is DESC JQ-FILTER [JQ-ARG...]: the last body makes the filter true.
body_is() {
    local desc=$1 filter=$2 out=$E2E_TMP/check.out
    shift 2
    if jq -e "$@" "$filter" "$LAST_BODY" >/dev/null 2>"$out"; then
        ok "$desc"
    else
        {
            printf '# jq %s is not true of:\n' "$filter"
            head -c 1000 "$LAST_BODY"
        } >>"$out"
        not_ok "$desc" "$out"
    fi
}

# status_of CURL-ARG...: prints only the status code of the answer.
status_of() {
    curl -s -o /dev/null -w '%{http_code}' "$@" || true
}

# ---- daemons ------------------------------------------------------------

# pick_ports: sets PORT and RAFT_PORT to two free ports of 20000-29999,
# chosen from the pid so that suites running at once do not collide.
pick_ports() {
    local used cand i
    used=$(ss -ltnH 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }')
    cand=$((20000 + (($$ * 37 + DAEMON_SEQ * 2 + RANDOM) % 4999) * 2))
    for ((i = 0; i < 500; i++)); do
        if ! grep -qx -e "$cand" -e "$((cand + 1))" <<<"$used"; then
            PORT=$cand
            RAFT_PORT=$((cand + 1))
            return 0
        fi
        cand=$((cand + 2))
        if ((cand > 29998)); then
            cand=20000
        fi
    done
    echo "pick_ports: no free port in 20000-29999" >&2
    return 1
}

# alive PID: the process runs (a zombie does not count).
alive() {
    local state
    [[ -r /proc/$1/stat ]] || return 1
    state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n "$state" && "$state" != Z ]]
}

# wait_ready: waits up to READY_TIMEOUT seconds until /readyz answers 200.
# Fails when the daemon dies or the time is up.
wait_ready() {
    local limit=$READY_TIMEOUT deadline
    deadline=$((SECONDS + limit))
    while ((SECONDS < deadline)); do
        if [[ -n "$DAEMON_PID" ]] && ! alive "$DAEMON_PID"; then
            reap "$DAEMON_PID" 5 || true
            echo "# daemon $DAEMON_PID died before it was ready: exit $DAEMON_RC$(
                ((DAEMON_RC > 128)) && echo " (signal $((DAEMON_RC - 128)))")" >&2
            DAEMON_PID=""
            return 1
        fi
        if [[ "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' \
            "$B/readyz")" == 200 ]]; then
            return 0
        fi
        sleep 0.1
    done
    echo "# daemon not ready after ${limit}s" >&2
    return 1
}

# daemon_launch [ARG...]: starts banyand in the background on the current
# DATA_DIR, PORT and RAFT_PORT (picked when unset) with the extra
# arguments, logging to a fresh $LOG. Does not wait.
daemon_launch() {
    if [[ -z "$DATA_DIR" ]]; then
        DATA_DIR=$E2E_TMP/data
    fi
    if [[ -z "$PORT" ]]; then
        pick_ports
    fi
    daemon_launch_raw --data-dir "$DATA_DIR" --listen "127.0.0.1:$PORT" \
        --raft-listen "127.0.0.1:$RAFT_PORT" "$@"
}

# daemon_launch_raw ARG...: starts banyand in the background with exactly
# these arguments (they must make it listen on 127.0.0.1:$PORT), its
# stderr in a fresh $LOG and its stdout in $LOG.out. Does not wait.
daemon_launch_raw() {
    B=http://127.0.0.1:$PORT
    DAEMON_SEQ=$((DAEMON_SEQ + 1))
    LOG=$E2E_TMP/daemon-$DAEMON_SEQ.log
    "$BANYAND" "$@" 2>"$LOG" >"$LOG.out" &
    DAEMON_PID=$!
    echo "$DAEMON_PID" >>"$E2E_TMP/pids"
    echo "# daemon $DAEMON_SEQ: pid $DAEMON_PID on $B: banyand $*"
}

# daemon_start [ARG...]: starts banyand and waits for /readyz. A failure to
# start counts as a failed check and ends the suite.
daemon_start() {
    daemon_launch "$@"
    daemon_wait_started
}

# daemon_start_raw ARG...: daemon_launch_raw, then waits as daemon_start.
daemon_start_raw() {
    daemon_launch_raw "$@"
    daemon_wait_started
}

daemon_wait_started() {
    if wait_ready; then
        ok "daemon $DAEMON_SEQ ready on $B"
        return 0
    fi
    not_ok "daemon $DAEMON_SEQ ready on $B" "$LOG"
    echo "Bail out! the daemon did not start"
    exit 1
}

# reap PID SECONDS: waits up to SECONDS for PID to end and sets DAEMON_RC.
# Returns 1 when it is still running.
reap() {
    local pid=$1 deadline
    deadline=$((SECONDS + $2))
    while alive "$pid"; do
        if ((SECONDS >= deadline)); then
            return 1
        fi
        sleep 0.05
    done
    DAEMON_RC=0
    wait "$pid" 2>/dev/null || DAEMON_RC=$?
    return 0
}

# daemon_stop: SIGTERM, then the daemon must exit with status 0 within
# STOP_TIMEOUT seconds (a check). Kills it with SIGKILL when it hangs.
daemon_stop() {
    local pid=$DAEMON_PID
    [[ -n "$pid" ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    if ! reap "$pid" "$STOP_TIMEOUT"; then
        kill -KILL "$pid" 2>/dev/null || true
        reap "$pid" 10 || true
        not_ok "daemon $DAEMON_SEQ stops within ${STOP_TIMEOUT}s of SIGTERM" \
            "$LOG"
    else
        check_eq "daemon $DAEMON_SEQ exits 0 on SIGTERM" 0 "$DAEMON_RC"
    fi
    DAEMON_PID=""
}

# daemon_kill9: SIGKILL, no questions asked.
daemon_kill9() {
    local pid=$DAEMON_PID
    [[ -n "$pid" ]] || return 0
    kill -KILL "$pid" 2>/dev/null || true
    reap "$pid" 10 || true
    DAEMON_PID=""
}

# daemon_restart [ARG...]: starts a daemon again on the same data folder
# and ports (after daemon_stop or daemon_kill9).
daemon_restart() {
    daemon_start "$@"
}

# ---- exit ---------------------------------------------------------------

# Called by the EXIT trap: kill what is left, keep the logs of a failing
# suite.
E2E_CLEANUP_HOOKS=()   # commands run first at exit (e.g. netns removal)

e2e_cleanup() {
    local rc=$? pid f dest hook
    set +e
    trap - EXIT INT TERM
    # Background jobs of the script (load loops) first, then daemons.
    for pid in $(jobs -p); do
        kill -KILL "$pid" 2>/dev/null
    done
    if [[ -f "$E2E_TMP/pids" ]]; then
        while read -r pid; do
            if alive "$pid"; then
                kill -KILL "$pid" 2>/dev/null
            fi
        done <"$E2E_TMP/pids"
    fi
    wait 2>/dev/null
    for hook in "${E2E_CLEANUP_HOOKS[@]}"; do
        eval "$hook" >/dev/null 2>&1
    done
    if ((FAIL > 0 || rc != 0)); then
        dest=$E2E_ARTIFACTS/$E2E_NAME
        rm -rf "$dest"
        mkdir -p "$dest"
        for f in "$E2E_TMP"/daemon-*.log; do
            [[ -f "$f" ]] || continue
            cp "$f" "$dest/"
            echo "# ---- last lines of $(basename "$f") (kept in $dest) ----"
            if [[ -s "$f" ]]; then
                tail -n 20 "$f" | sed 's/^/#   /'
            else
                echo "#   (empty)"
            fi
        done
    fi
    if ((E2E_TMP_OWNED)); then
        rm -rf "$E2E_TMP"
    fi
    exit "$rc"
}
trap e2e_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# finish: the summary line; exits nonzero when a check failed.
finish() {
    echo "# $E2E_NAME: $PASS passed, $FAIL failed"
    if ((FAIL > 0)); then
        exit 1
    fi
    exit 0
}

if [[ ! -x "$BANYAND" ]]; then
    echo "Bail out! $BANYAND is missing: run make MODE=release all" >&2
    exit 1
fi
for tool in curl jq ss; do
    if ! command -v "$tool" >/dev/null; then
        echo "Bail out! $tool is missing" >&2
        exit 1
    fi
done
