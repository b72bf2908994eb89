#!/usr/bin/env bash
#
# config_cli: the command line and the configuration file of banyand.
# --help and --version; bad flags and bad config values stop it at once with
# a clear message; a config file with flags over it; --print-config; logs
# are JSON lines on stderr; SIGTERM and SIGINT stop it with exit 0.
#
# SPDX-License-Identifier: MIT

# jq filters are in single quotes on purpose; daemon_start takes no args.
# shellcheck disable=SC2016,SC2119
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

J='Content-Type: application/json'
CLI_OUT=$E2E_TMP/cli.out
CLI_ERR=$E2E_TMP/cli.err
CLI_RC=0
CLI_TIMEOUT=15

# cli ARG...: runs banyand in the foreground (at most CLI_TIMEOUT s) and keeps its
# exit status in CLI_RC, its stdout in CLI_OUT and its stderr in CLI_ERR.
cli() {
    CLI_RC=0
    timeout -k 5 "$CLI_TIMEOUT" "$BANYAND" "$@" >"$CLI_OUT" 2>"$CLI_ERR" || CLI_RC=$?
}

# refuses DESC PATTERN ARG...: banyand with these arguments exits at once
# with a nonzero status (not killed by the timeout) and says PATTERN
# (grep -E) on stderr.
refuses() {
    local desc=$1 pattern=$2
    shift 2
    cli "$@"
    if [[ "$CLI_RC" != 0 && "$CLI_RC" != 124 && "$CLI_RC" != 137 ]] &&
        grep -Eq -- "$pattern" "$CLI_ERR"; then
        ok "$desc (exit $CLI_RC: $(head -c 150 "$CLI_ERR" | head -n 1))"
    else
        printf '# exit %s; stderr:\n' "$CLI_RC" >"$E2E_TMP/refuses.out"
        head -c 1000 "$CLI_ERR" >>"$E2E_TMP/refuses.out"
        not_ok "$desc" "$E2E_TMP/refuses.out"
    fi
}

pick_ports
SAFE=(--data-dir "$E2E_TMP/never" --listen "127.0.0.1:$PORT" --raft-listen "127.0.0.1:$RAFT_PORT")

# ---- --help, --version ----------------------------------------------------------

cli --help
check_eq "--help exits 0" 0 "$CLI_RC"
check "--help prints the usage on stdout" grep -q '^usage: banyand' "$CLI_OUT"
for flag in --config --listen --data-dir --node-id --raft-listen --cache-bytes \
    --log-level --set --print-config --help --version; do
    check "--help names $flag" grep -q -- "$flag" "$CLI_OUT"
done
check "--help lists the config keys with their defaults" \
    grep -q 'cache_bytes = 256MiB' "$CLI_OUT"
cli -h
check "-h is --help or an error, never a start" test "$CLI_RC" != 124
cli --version
check_eq "--version exits 0" 0 "$CLI_RC"
check "--version prints banyand and a version" grep -Eq '^banyand [0-9]+\.[0-9]+' "$CLI_OUT"

# ---- bad flags ------------------------------------------------------------------

refuses "an unknown flag is refused" "frobnicate" --frobnicate "${SAFE[@]}"
refuses "a flag without its value is refused" "--listen" "${SAFE[@]}" --listen
refuses "a stray argument is refused" "stray" "${SAFE[@]}" stray
refuses "--cache-bytes abc is refused" "cache-bytes|cache_bytes" "${SAFE[@]}" --cache-bytes abc
refuses "--cache-bytes below the minimum is refused" "cache" "${SAFE[@]}" --cache-bytes 1KiB
refuses "--node-id 0 is refused" "node" "${SAFE[@]}" --node-id 0
refuses "--node-id -1 is refused" "node" "${SAFE[@]}" --node-id -1
refuses "--log-level loud is refused" "log" "${SAFE[@]}" --log-level loud
refuses "--set with an unknown key is refused" "nosuchkey" "${SAFE[@]}" --set nosuchkey=1
refuses "--set without '=' is refused" "set" "${SAFE[@]}" --set cache_bytes
refuses "a missing --config file is refused" "nonexistent.conf" \
    --config "$E2E_TMP/nonexistent.conf" "${SAFE[@]}"

# ---- bad config files -------------------------------------------------------------

# bad_conf DESC PATTERN FILE-TEXT: a config file with this text is refused
# and the message names the file and the line.
bad_conf() {
    printf '%s\n' "$3" >"$E2E_TMP/bad.conf"
    refuses "config: $1 is refused with file:line" "bad\\.conf:[0-9]+.*($2)" \
        --config "$E2E_TMP/bad.conf" "${SAFE[@]}"
}
bad_conf "cache_bytes = abc" "cache_bytes" $'[store]\ncache_bytes = abc'
bad_conf "cache_bytes = 12XB" "cache_bytes" $'[store]\ncache_bytes = 12XB'
bad_conf "an unknown key" "colour" $'[store]\ncolour = blue'
bad_conf "an unknown section" "nosuch" $'[nosuch]\nkey = 1'
bad_conf "a key in the wrong section" "cache_bytes" $'[http]\ncache_bytes = 64MiB'
bad_conf "a key given twice" "lock_stripes" $'[store]\nlock_stripes = 64\nlock_stripes = 128'
bad_conf "lock_stripes = 0 (out of range)" "lock_stripes" $'[store]\nlock_stripes = 0'
bad_conf "http_threads = many" "http_threads" $'[http]\nhttp_threads = many'
bad_conf "max_body_bytes = 10 (below 1KiB)" "max_body_bytes" $'[http]\nmax_body_bytes = 10'
bad_conf "a line without '='" "=|key|line" $'[store]\ncache_bytes'
printf '[raft]\nelection_timeout_ms = 500\nheartbeat_timeout_ms = 500\n' >"$E2E_TMP/bad.conf"
refuses "config: heartbeat_timeout_ms >= election_timeout_ms is refused" "heartbeat" \
    --config "$E2E_TMP/bad.conf" "${SAFE[@]}"
check "no refused start made a data folder" test ! -e "$E2E_TMP/never/banyan.db"

# Addresses are checked with the rest of the config, before anything is
# made on disk.
CLI_TIMEOUT=5
refuses "--listen without a port is refused" "listen" --data-dir "$E2E_TMP/never-l1" \
    --listen 127.0.0.1 --raft-listen "127.0.0.1:$RAFT_PORT"
check "... before the data folder is made" test ! -e "$E2E_TMP/never-l1/banyan.db"
refuses "--listen with port 99999 is refused" "listen" --data-dir "$E2E_TMP/never-l2" \
    --listen 127.0.0.1:99999 --raft-listen "127.0.0.1:$RAFT_PORT"
check "... before the data folder is made" test ! -e "$E2E_TMP/never-l2/banyan.db"
refuses "--raft-listen with port 99999 is refused" "raft" --data-dir "$E2E_TMP/never-l3" \
    --listen "127.0.0.1:$PORT" --raft-listen 127.0.0.1:99999
refuses "--print-config refuses --listen with port 99999" "listen" \
    --listen 127.0.0.1:99999 --print-config
CLI_TIMEOUT=15

# ---- the sample config, and a config file with flags over it ----------------------

cli --config "$E2E_ROOT/conf/banyan.conf" --print-config
check_eq "conf/banyan.conf is accepted by --print-config" 0 "$CLI_RC"
grep -v '^#' "$CLI_OUT" >"$E2E_TMP/sample.printed"
cli --print-config
grep -v '^#' "$CLI_OUT" >"$E2E_TMP/default.printed"
check "conf/banyan.conf (all commented) equals the built-in defaults" \
    diff "$E2E_TMP/default.printed" "$E2E_TMP/sample.printed"

DATA_DIR=$E2E_TMP/sample-data
daemon_start --config "$E2E_ROOT/conf/banyan.conf"
expect_status "a node on conf/banyan.conf + flags serves" 201 \
    -X PUT "$B/api/v1/paths/hello" -H "$J" -d '{"type":"directory"}'
daemon_stop

# A config file that sets everything the test can see; the flags override
# listen, and the rest comes from the file.
CFG_DATA=$E2E_TMP/cfg/data/nested
FILE_PORT=$((PORT + 2))
cat >"$E2E_TMP/my.conf" <<EOF
# a test config
[node]
data_dir = $CFG_DATA

[http]
listen = 127.0.0.1:$FILE_PORT ; overridden by --listen
max_body_bytes = 2KiB
http_threads = 2

[raft]
raft_listen = 127.0.0.1:$RAFT_PORT

[store]
cache_bytes = 8 MiB

[namespace]
default_owner = cfg-owner
default_group = cfg-group

[log]
log_level = info
EOF
cli --config "$E2E_TMP/my.conf" --listen "127.0.0.1:$PORT" --print-config
check_eq "--print-config with --config and --listen exits 0" 0 "$CLI_RC"
check "... shows the flag's listen" grep -qx "listen = 127.0.0.1:$PORT" "$CLI_OUT"
check "... shows the file's data_dir" grep -qx "data_dir = $CFG_DATA" "$CLI_OUT"
check "... shows the file's max_body_bytes" grep -qx "max_body_bytes = 2KiB" "$CLI_OUT"
check "... shows the file's default_owner" grep -qx "default_owner = cfg-owner" "$CLI_OUT"
check "... shows cache_bytes = 8MiB" grep -Eqx "cache_bytes = (8MiB|8388608)" "$CLI_OUT"
check "... shows a flag's key not in the file at its default" \
    grep -qx "lock_stripes = 4096" "$CLI_OUT"
check "--print-config did not create the data folder" test ! -e "$CFG_DATA"
cp "$CLI_OUT" "$E2E_TMP/printed.conf"
cli --config "$E2E_TMP/printed.conf" --print-config
check_eq "the printed config is a valid config file" 0 "$CLI_RC"
check "... that prints the same again" diff "$E2E_TMP/printed.conf" "$CLI_OUT"
cli --config "$E2E_TMP/my.conf" --listen="127.0.0.1:$PORT" --set default_owner=set-owner \
    --print-config
check "--flag=value and --set override the file" \
    grep -qx "default_owner = set-owner" "$CLI_OUT"
check "... --listen=value too" grep -qx "listen = 127.0.0.1:$PORT" "$CLI_OUT"

DATA_DIR=""
daemon_start_raw --config "$E2E_TMP/my.conf" --listen "127.0.0.1:$PORT"
check "the node listens on the --listen port, not the file's" \
    bash -c '! ss -ltnH | awk "{print \$4}" | grep -qx "127.0.0.1:$1"' _ "$FILE_PORT"
check "the file's data_dir was created (nested) and used" test -f "$CFG_DATA/banyan.db"
expect_status "create with the file's default owner and group" 201 \
    -X PUT "$B/api/v1/paths/f" -H "$J" -d '{"type":"file"}'
body_is "... owner cfg-owner, group cfg-group" '.owner == "cfg-owner" and .group == "cfg-group"'
head -c 3000 /dev/zero | tr '\0' ' ' >"$E2E_TMP/3k.json"
expect_code "the file's max_body_bytes (2KiB) applies: 3000 bytes is 413" 413 payload_too_large \
    -X PUT "$B/api/v1/paths/g" -H "$J" --data-binary @"$E2E_TMP/3k.json"
expect_status "... 1500 bytes is fine" 201 -X PUT "$B/api/v1/paths/g" -H "$J" \
    --data-binary "{\"type\":\"file\"}$(head -c 1485 /dev/zero | tr '\0' ' ')"

# A second node on the same data folder must refuse to start.
first_pid=$DAEMON_PID first_port=$PORT first_raft=$RAFT_PORT first_log=$LOG
pick_ports
CLI_TIMEOUT=5
refuses "a second banyand on a data folder in use is refused" "use|lock|busy|running" \
    --config "$E2E_TMP/my.conf" --listen "127.0.0.1:$PORT" --raft-listen "127.0.0.1:$RAFT_PORT"
# A second node on a port in use must refuse too.
refuses "a second banyand on an HTTP port in use is refused" "in use" \
    --data-dir "$E2E_TMP/other" --listen "127.0.0.1:$first_port" \
    --raft-listen "127.0.0.1:$RAFT_PORT"
CLI_TIMEOUT=15
DAEMON_PID=$first_pid PORT=$first_port RAFT_PORT=$first_raft LOG=$first_log
B=http://127.0.0.1:$PORT
expect_status "... and the first node still serves" 200 "$B/api/v1/paths/f"

# ---- logs and signals ---------------------------------------------------------------

curl -s -o /dev/null "$B/api/v1/paths/nope"
daemon_stop
check "the log ends with a shutdown line" grep -q 'shutting down' "$LOG"
check "the log has lines" test -s "$LOG"
check "every stderr line is a JSON object with ts, level, sub and msg" \
    jq -n -R -e '[inputs | try (fromjson | type == "object" and
        (.ts | type) == "string" and (.msg | type) == "string" and
        (.sub | type) == "string" and
        (.level | IN("error", "warn", "info", "debug"))) catch false] | all' "$LOG"
check "ts is an ISO 8601 UTC time with milliseconds" \
    jq -e -s 'all(.ts | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z$"))' "$LOG"
check "nothing is written on stdout" test ! -s "$LOG.out"

DATA_DIR=$E2E_TMP/sig-data
PORT=""
daemon_start
kill -INT "$DAEMON_PID"
if reap "$DAEMON_PID" "$STOP_TIMEOUT"; then
    check_eq "SIGINT: exit 0" 0 "$DAEMON_RC"
else
    kill -KILL "$DAEMON_PID" 2>/dev/null || true
    not_ok "SIGINT: exit within ${STOP_TIMEOUT}s" "$LOG"
fi
DAEMON_PID=""
check "SIGINT: a shutdown line" grep -q 'signal 2' "$LOG"

daemon_start --log-level error
expect_status "a node at --log-level error serves" 200 "$B/api/v1/paths/"
curl -s -o /dev/null "$B/api/v1/paths/nope"
daemon_stop
check "--log-level error: no info lines" bash -c '! grep -q "\"level\":\"info\"" "$1"' _ "$LOG"

daemon_start --log-level debug --node-id 1 --cache-bytes 4MiB
expect_status "a node with --cache-bytes 4MiB and --log-level debug serves" 200 "$B/readyz"
daemon_stop

finish
