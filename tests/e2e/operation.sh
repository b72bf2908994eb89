#!/usr/bin/env bash
#
# operation.sh: banyand as an operator runs it.
#
# - systemd/banyand.service passes `systemd-analyze verify` once installed
#   (make install PREFIX=<tmp>/usr SYSCONFDIR=<tmp>/etc, so that the
#   binary its ExecStart names exists) and `systemd-analyze security
#   --offline` rates it at most 2.0; its key settings are there.
# - The daemon fits the unit's sandbox: its system calls (strace) are all
#   in the unit's filter, and it maps no memory writable and executable.
# - banyand tells a notify socket READY=1 when it serves and STOPPING=1
#   when it stops (as systemd's Type=notify needs).
# - `make install DESTDIR=<tmp>` puts every file where README.md's table
#   says, the installed config loads and names /var/lib/banyan, and
#   `make uninstall DESTDIR=<tmp>` removes every file again; a changed
#   config is kept by install and by uninstall.
# - The audit log: a JSON line for each mutation with the right fields (a
#   failed one with its error code), none for reads, whole lines under
#   concurrent writes, and SIGHUP reopens the file after it was moved.
#
# SPDX-License-Identifier: MIT

. "$(dirname "$0")/lib.sh"

for tool in systemd-analyze socat make strace pgrep; do
    if ! command -v "$tool" >/dev/null; then
        echo "Bail out! $tool is missing (make deps installs it)"
        exit 1
    fi
done

JSON='Content-Type: application/json'
UNIT=$E2E_ROOT/systemd/banyand.service

# mk: make in the repository, quietly; its output goes to $E2E_TMP/make.out.
mk() {
    make --no-print-directory -C "$E2E_ROOT" "$@" >"$E2E_TMP/make.out" 2>&1
}

# ---- the unit ---------------------------------------------------------------

settings=""
for want in 'Type=notify' 'ExecStart=/usr/local/bin/banyand --config /etc/banyan/banyan.conf' \
    'ExecReload=/bin/kill -HUP $MAINPID' 'Restart=on-failure' 'DynamicUser=yes' \
    'User=banyan' 'StateDirectory=banyan' 'LogsDirectory=banyan' \
    'ProtectSystem=strict' 'ProtectHome=yes' 'NoNewPrivileges=yes' \
    'PrivateTmp=yes' 'PrivateDevices=yes' \
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' 'LimitNOFILE=65536' \
    'WantedBy=multi-user.target'; do
    grep -qxF -- "$want" "$UNIT" || settings="$settings [$want]"
done
check_eq "the unit has its settings" "" "$settings"

ROOT=$E2E_TMP/root
check "make install PREFIX=$ROOT/usr SYSCONFDIR=$ROOT/etc" \
    mk install PREFIX="$ROOT/usr" SYSCONFDIR="$ROOT/etc"
IUNIT=$ROOT/etc/systemd/system/banyand.service
check_eq "the installed unit starts the installed binary" \
    "ExecStart=$ROOT/usr/bin/banyand --config $ROOT/etc/banyan/banyan.conf" \
    "$(grep '^ExecStart=' "$IUNIT" 2>/dev/null)"
verify_out=$E2E_TMP/verify.out
if (cd "$E2E_TMP" && systemd-analyze verify "$IUNIT") >"$verify_out" 2>&1 &&
    [[ ! -s "$verify_out" ]]; then
    ok "systemd-analyze verify: the unit is clean"
else
    not_ok "systemd-analyze verify: the unit is clean" "$verify_out"
fi
if (cd "$E2E_TMP" && systemd-analyze security --offline=true --threshold=20 \
    "$IUNIT") >"$verify_out" 2>&1; then
    ok "systemd-analyze security rates the unit 2.0 or better"
else
    not_ok "systemd-analyze security rates the unit 2.0 or better" "$verify_out"
fi
# The same check catches a unit that is not hardened: it must fail there.
sed -e '/^\(ProtectSystem\|ProtectHome\|PrivateTmp\|PrivateDevices\|NoNewPrivileges\|DynamicUser\|SystemCallFilter\|CapabilityBoundingSet\|RestrictAddressFamilies\)=/d' \
    "$IUNIT" >"$E2E_TMP/bare.service"
if (cd "$E2E_TMP" && systemd-analyze security --offline=true --threshold=20 \
    "$E2E_TMP/bare.service") >/dev/null 2>&1; then
    not_ok "the security threshold refuses a unit without the hardening"
else
    ok "the security threshold refuses a unit without the hardening"
fi
check "make uninstall PREFIX=$ROOT/usr SYSCONFDIR=$ROOT/etc" \
    mk uninstall PREFIX="$ROOT/usr" SYSCONFDIR="$ROOT/etc"
check_eq "nothing is left of that install" "" "$(find "$ROOT" -type f)"

# ---- the daemon fits the unit's sandbox ------------------------------------------
#
# Without a running systemd the unit cannot be started here, so the daemon's
# needs are measured against it instead: every system call of a start, a
# write load, a scrape, a SIGHUP and a stop (strace -f) must be in the
# unit's filter (@system-service less @privileged), and no mapping may be
# writable and executable at once (MemoryDenyWriteExecute).

# expand GROUP: the system calls of a systemd syscall group, recursively.
expand_group() {
    local item
    systemd-analyze syscall-filter "$1" | sed -n 's/^    \([@a-z0-9_-]*\)$/\1/p' |
        while read -r item; do
            if [[ "$item" == @* ]]; then
                expand_group "$item"
            else
                echo "$item"
            fi
        done
}
TRACE=$E2E_TMP/strace.out
printf '#!/bin/sh\nexec strace -f -qq -o "%s" "%s" "$@"\n' "$TRACE" "$BANYAND" \
    >"$E2E_TMP/traced-banyand"
chmod +x "$E2E_TMP/traced-banyand"
REAL_BANYAND=$BANYAND
BANYAND=$E2E_TMP/traced-banyand
DATA_DIR=$E2E_TMP/data-traced
daemon_start --set audit_file="$E2E_TMP/traced-audit.log"
BANYAND=$REAL_BANYAND
TRACED=$(pgrep -P "$DAEMON_PID" -x banyand | head -n 1)
for i in 1 2 3 4 5; do
    curl -s -o /dev/null -X PUT "$B/api/v1/paths/t$i" -H "$JSON" -d '{"type":"directory"}'
    curl -s -o /dev/null -X PUT "$B/api/v1/paths/t$i/f" -H "$JSON" -d '{"type":"file"}'
done
curl -s -o /dev/null -X DELETE "$B/api/v1/paths/t1?recursive=true"
curl -s -o /dev/null "$B/api/v1/paths/?list"
curl -s -o /dev/null "$B/metrics"
check "the traced daemon is found" test -n "$TRACED"
check_eq "no mapping of banyand is writable and executable" "" \
    "$(awk '$2 ~ /w.x/' "/proc/$TRACED/maps" 2>&1)"
kill -HUP "$TRACED"
sleep 0.3
kill -TERM "$TRACED"
reap "$DAEMON_PID" "$STOP_TIMEOUT" || kill -KILL "$DAEMON_PID"
check_eq "the traced daemon exits 0 on SIGTERM" 0 "$DAEMON_RC"
DAEMON_PID=""
awk '{ sub(/^[0-9]+ +/, ""); if (match($0, /^[a-z_0-9]+[(]/))
    print substr($0, 1, RLENGTH - 1) }' "$TRACE" | sort -u >"$E2E_TMP/used"
expand_group @system-service | sort -u >"$E2E_TMP/allowed"
expand_group @privileged | sort -u >"$E2E_TMP/privileged"
check "strace saw the daemon's system calls" test "$(wc -l <"$E2E_TMP/used")" -gt 30
check "the filter groups expand" test "$(wc -l <"$E2E_TMP/allowed")" -gt 100
check_eq "every system call is in @system-service" "" \
    "$(comm -23 "$E2E_TMP/used" "$E2E_TMP/allowed" | paste -sd ' ')"
# SQLite fchown()s a new WAL file to the database's owner only when it
# runs as root (the tests do; the unit's dynamic user never does).
check_eq "no system call is @privileged (but root's fchown)" "" \
    "$(comm -12 "$E2E_TMP/used" "$E2E_TMP/privileged" | grep -vx fchown | paste -sd ' ')"

# ---- sd_notify ---------------------------------------------------------------

SOCK=$E2E_TMP/notify.sock
socat -u "UNIX-RECVFROM:$SOCK,fork" "OPEN:$E2E_TMP/notify.log,creat,append" &
for _ in $(seq 1 50); do
    [[ -S "$SOCK" ]] && break
    sleep 0.1
done
export NOTIFY_SOCKET=$SOCK
daemon_start
unset NOTIFY_SOCKET
got_ready=0
for _ in $(seq 1 50); do
    grep -q 'READY=1' "$E2E_TMP/notify.log" 2>/dev/null && got_ready=1 && break
    sleep 0.1
done
check_eq "banyand sends READY=1 to the notify socket" 1 "$got_ready"
check "READY comes with its MAINPID" \
    grep -qE "MAINPID=$DAEMON_PID(\$|[^0-9])" "$E2E_TMP/notify.log"
daemon_stop
got_stop=0
for _ in $(seq 1 50); do
    grep -q 'STOPPING=1' "$E2E_TMP/notify.log" 2>/dev/null && got_stop=1 && break
    sleep 0.1
done
check_eq "banyand sends STOPPING=1 on SIGTERM" 1 "$got_stop"
check_eq "READY=1 came before STOPPING=1" "READY=1 STOPPING=1" \
    "$(grep -oE '(READY|STOPPING)=1' "$E2E_TMP/notify.log" | tr '\n' ' ' | sed 's/ $//')"

# ---- make install DESTDIR, as the README says --------------------------------

STAGE=$E2E_TMP/stage
check "make install DESTDIR=$STAGE" mk install DESTDIR="$STAGE"
# The paths of README.md's table "What make install puts where".
mapfile -t paths < <(awk '/^### What make install puts where/ { f = 1; next }
    /^##/ { f = 0 } f && /^\| / { if (match($0, /`\/[^`]*`/))
        print substr($0, RSTART + 1, RLENGTH - 2) }' "$E2E_ROOT/README.md")
check_eq "the README lists five installed paths" 5 "${#paths[@]}"
missing=""
for p in "${paths[@]}"; do
    case "$p" in
    */web/)
        # The dashboard: every file of web/, if there is one.
        if [[ -d "$E2E_ROOT/web" ]]; then
            while read -r f; do
                cmp -s "$E2E_ROOT/web/$f" "$STAGE$p$f" || missing="$missing $p$f"
            done < <(cd "$E2E_ROOT/web" && find . -type f ! -path '*/node_modules/*' | sed 's|^\./||')
        fi
        ;;
    *) [[ -f "$STAGE$p" ]] || missing="$missing $p" ;;
    esac
done
check_eq "every file is where the README says" "" "$missing"
check_eq "the installed daemon runs" "banyand $("$BANYAND" --version | awk '{ print $2 }')" \
    "$("$STAGE/usr/local/bin/banyand" --version 2>&1)"
check "the installed daemon is executable by all" test -x "$STAGE/usr/local/bin/banyand"
check_eq "the staged unit names the real paths, not the stage" \
    "ExecStart=/usr/local/bin/banyand --config /etc/banyan/banyan.conf" \
    "$(grep '^ExecStart=' "$STAGE/usr/local/lib/systemd/system/banyand.service")"
conf_out=$("$BANYAND" --config "$STAGE/etc/banyan/banyan.conf" --print-config 2>&1) || true
check_eq "the installed config loads and keeps data in /var/lib/banyan" \
    "data_dir = /var/lib/banyan" "$(grep '^data_dir = ' <<<"$conf_out")"

# A changed config survives install and uninstall.
echo "# changed by the operator" >>"$STAGE/etc/banyan/banyan.conf"
check "make install again" mk install DESTDIR="$STAGE"
check "install keeps a changed config" grep -q "changed by the operator" \
    "$STAGE/etc/banyan/banyan.conf"
check "make uninstall DESTDIR=$STAGE" mk uninstall DESTDIR="$STAGE"
check_eq "uninstall removes everything but the changed config" \
    "$STAGE/etc/banyan/banyan.conf" "$(find "$STAGE" -type f)"
rm -f "$STAGE/etc/banyan/banyan.conf"

check "make install PREFIX=/usr DESTDIR=$STAGE" mk install PREFIX=/usr DESTDIR="$STAGE"
check "with PREFIX=/usr the unit goes to /usr/lib/systemd/system" \
    test -f "$STAGE/usr/lib/systemd/system/banyand.service"
check_eq "and starts /usr/bin/banyand" \
    "ExecStart=/usr/bin/banyand --config /etc/banyan/banyan.conf" \
    "$(grep '^ExecStart=' "$STAGE/usr/lib/systemd/system/banyand.service")"
check "make uninstall PREFIX=/usr DESTDIR=$STAGE" mk uninstall PREFIX=/usr DESTDIR="$STAGE"
check_eq "nothing is left of that install" "" "$(find "$STAGE" -type f)"

# ---- the audit log ------------------------------------------------------------

AUDIT=$E2E_TMP/audit.log
DATA_DIR=$E2E_TMP/data-audit
daemon_start --set audit_file="$AUDIT"
P=$B/api/v1/paths

s=$(status_of -X PUT "$P/a" -H "$JSON" -H 'X-Banyan-User: alice' -d '{"type":"directory"}')
s="$s $(status_of -X PUT "$P/a/f" -H "$JSON" -d '{"type":"file"}')"
s="$s $(status_of "$P/a/f") $(status_of "$P/a?list")"
s="$s $(status_of -X PATCH "$P/a/f" -H "$JSON" -d '{"mode":"0600"}')"
s="$s $(status_of -X POST "$P/a/f/rename" -H "$JSON" -d '{"to":"/a/g"}')"
s="$s $(status_of -X PUT "$P/a" -H "$JSON" -d '{"type":"directory"}')"
s="$s $(status_of -X POST "$P/nope/rename" -H "$JSON" -d '{"to":"/x"}')"
s="$s $(status_of -X PUT "$P/a/..%2Fb" -H "$JSON" -d '{"type":"file"}')"
s="$s $(status_of -X PUT "$P/a/h" -H "$JSON" -d '{"type":')"
s="$s $(status_of -X DELETE "$P/a/g")"
check_eq "the requests answered as expected" \
    "201 201 200 200 200 200 409 404 400 400 204" "$s"

check_eq "one line for each of the 9 mutations, none for the 2 reads" 9 \
    "$(wc -l <"$AUDIT")"
check "every line is a JSON object" jq -e -s 'length == 9 and all(type == "object")' "$AUDIT"
check "every line has time, client, user, op, path, method, status, error, request_id" \
    jq -e -s 'all(has("time") and has("client") and has("user") and has("op")
        and has("path") and has("method") and has("status") and has("error")
        and has("request_id"))' "$AUDIT"
check "time is RFC 3339 UTC with milliseconds" jq -e -s \
    'all(.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"))' "$AUDIT"
check "time is now" jq -e -s --argjson now "$(date +%s)" \
    'all(.time | sub("\\.[0-9]+Z$"; "Z") | fromdate | . > $now - 300 and . <= $now + 1)' "$AUDIT"
check "client is this test's address and port" \
    jq -e -s 'all(.client | test("^127\\.0\\.0\\.1:[0-9]+$"))' "$AUDIT"
check_eq "op, path, status and error of each line, in order" \
    "mkdir /a 201 null|create /a/f 201 null|setattr /a/f 200 null|rename /a/f 200 null|mkdir /a 409 already_exists|rename /nope 404 not_found|create /api/v1/paths/a/..%2Fb 400 invalid_path|create /a/h 400 invalid_argument|delete /a/g 204 null" \
    "$(jq -r '[.op, .path, .status, (.error // "null")] | join(" ")' "$AUDIT" | paste -sd '|')"
check_eq "the user comes from X-Banyan-User, null without it" "alice null" \
    "$(jq -r '.user // "null"' "$AUDIT" | sed -n '1p;2p' | paste -sd ' ')"
check_eq "a rename names its destination" "/a/g" \
    "$(jq -r 'select(.op == "rename" and .status == 200) | .to' "$AUDIT")"
check_eq "the methods are the requests'" "PUT PUT PATCH POST PUT POST PUT PUT DELETE" \
    "$(jq -r .method "$AUDIT" | paste -sd ' ')"
check "request ids are distinct" jq -e -s 'map(.request_id) | unique | length == 9' "$AUDIT"

# Concurrent writes: whole lines, one each.
seq 1 60 | xargs -P 8 -I{} curl -s -o /dev/null -X PUT "$P/a/c{}" -H "$JSON" \
    -H "X-Banyan-User: user-{}-$(head -c 300 /dev/zero | tr '\0' u)" -d '{"type":"file"}'
check_eq "60 concurrent creates add 60 lines" 69 "$(wc -l <"$AUDIT")"
check "every line is still whole JSON" jq -e -s 'length == 69' "$AUDIT"
check_eq "each concurrent create is there once" 60 \
    "$(jq -r 'select(.path | startswith("/a/c")) | .path' "$AUDIT" | sort -u | wc -l)"
check "a long user name is cut at 256 bytes" \
    jq -e -s 'map(select(.path | startswith("/a/c")) | .user | length) | max == 256' "$AUDIT"

# logrotate: move the file, write, SIGHUP, write.
mv "$AUDIT" "$AUDIT.1"
expect_status "mkdir /moved (before SIGHUP)" 201 -X PUT "$P/moved" -H "$JSON" -d '{"type":"directory"}'
kill -HUP "$DAEMON_PID"
reopened=0
for _ in $(seq 1 50); do
    [[ -f "$AUDIT" ]] && reopened=1 && break
    sleep 0.1
done
check_eq "SIGHUP makes the daemon open the path again" 1 "$reopened"
expect_status "mkdir /reopened (after SIGHUP)" 201 -X PUT "$P/reopened" -H "$JSON" -d '{"type":"directory"}'
check_eq "the write before SIGHUP went to the moved file" "/moved" \
    "$(tail -n 1 "$AUDIT.1" | jq -r .path)"
check_eq "the write after SIGHUP went to the new file, alone" "/reopened" \
    "$(jq -r .path "$AUDIT")"
check "the daemon is still serving after SIGHUP" alive "$DAEMON_PID"
check "SIGHUP is logged" grep -q 'audit log reopened' "$LOG"
daemon_stop

# No audit_file: no file; a file that cannot be opened: no start.
rm -f "$AUDIT"
daemon_start
expect_status "a write without audit_file" 201 -X PUT "$B/api/v1/paths/noaudit" -H "$JSON" -d '{"type":"directory"}'
check "no audit file appears" test ! -e "$AUDIT"
daemon_stop
pick_ports
DATA_DIR=$E2E_TMP/data-bad
daemon_launch --set audit_file="$E2E_TMP/no/such/dir/audit.log"
reap "$DAEMON_PID" 20 || kill -KILL "$DAEMON_PID"
DAEMON_PID=""
check_eq "an audit_file that cannot be opened stops the daemon (exit 1)" 1 "$DAEMON_RC"
check "and says why" grep -q 'audit log .*no/such/dir/audit.log: No such file' "$LOG"

finish
