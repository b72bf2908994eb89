#!/usr/bin/env bash
#
# crash_recovery: kill -9 the daemon in the middle of a write load, start it
# again on the same data folder, and every write that was answered 2xx is
# still there (and every rename answered 200 has its old name gone). Two
# kill cycles, then a clean stop and start. After each restart the store
# is consistent: a directory's child count equals its listing, and the
# listing holds only names that some request tried to make.
#
# SPDX-License-Identifier: MIT

# jq filters are in single quotes on purpose; daemon_start takes no args.
# shellcheck disable=SC2016,SC2119
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

J='Content-Type: application/json'
WRITERS=4
LOAD_SECONDS=${LOAD_SECONDS:-5}
KILL_AFTER=${KILL_AFTER:-3}
W=$E2E_TMP/writes
mkdir -p "$W"

daemon_start
for i in $(seq "$WRITERS"); do
    curl -s -o /dev/null -X PUT "$B/api/v1/paths/load/w$i" -H "$J" \
        -d '{"type":"directory","recursive":true}'
done

# writer I CYCLE END: until the epoch second END, creates files (every 7th
# a directory) in /load/wI and renames every 5th one it made. Records each
# path it tried in tried.*, each path a 201 or 200 answered in acked.*,
# each old name of a rename answered 200 in gone.*, and in unsure.* the
# source of a rename that got no answer (the crash), which may have moved.
writer() {
    local i=$1 c=$2 end=$3 n=0 p st type
    local tried=$W/tried.$c.$i acked=$W/acked.$c.$i gone=$W/gone.$c.$i
    local unsure=$W/unsure.$c.$i
    : >"$unsure"
    : >"$tried"
    : >"$acked"
    : >"$gone"
    while ((EPOCHSECONDS < end)); do
        n=$((n + 1))
        p=/load/w$i/c$c-$n
        type="file"
        if ((n % 7 == 0)); then
            type="directory"
        fi
        echo "$p" >>"$tried"
        st=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X PUT \
            "$B/api/v1/paths$p" -H "$J" -d "{\"type\":\"$type\"}") || true
        if [[ "$st" == 201 ]]; then
            echo "$p" >>"$acked"
            if ((n % 5 == 0)); then
                echo "$p-r" >>"$tried"
                st=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST \
                    "$B/api/v1/paths$p/rename" -H "$J" -d "{\"to\":\"$p-r\"}") || true
                if [[ "$st" == 200 ]]; then
                    echo "$p" >>"$gone"
                    echo "$p-r" >>"$acked"
                elif [[ "$st" != 4?? ]]; then
                    echo "$p" >>"$unsure" # no answer: it may have moved
                fi
            fi
        elif [[ "$st" == 000 ]]; then
            sleep 0.05 # the daemon is down: do not spin
        fi
    done
}

# stat_all FILE: prints "STATUS PATH" for each path of FILE (one curl,
# 8 requests at a time).
stat_all() {
    local cfg=$E2E_TMP/stat.cfg
    : >"$cfg"
    while read -r p; do
        printf 'url = "%s/api/v1/paths%s"\noutput = "/dev/null"\n' "$B" "$p" >>"$cfg"
    done <"$1"
    if [[ -s "$cfg" ]]; then
        command curl -s --max-time 120 --parallel --parallel-max 8 -K "$cfg" \
            -w '%{http_code} %{url}\n' 2>/dev/null |
            sed "s|$B/api/v1/paths||" || true
    fi
}

# verify LABEL: the checks after a restart, on everything written so far.
verify() {
    local label=$1 i n_exp
    cat "$W"/acked.* 2>/dev/null | sort -u >"$E2E_TMP/acked"
    cat "$W"/gone.* 2>/dev/null | sort -u >"$E2E_TMP/gone"
    cat "$W"/tried.* 2>/dev/null | sort -u >"$E2E_TMP/tried"
    cat "$W"/gone.* "$W"/unsure.* 2>/dev/null | sort -u >"$E2E_TMP/not-expected"
    comm -23 "$E2E_TMP/acked" "$E2E_TMP/not-expected" >"$E2E_TMP/expected"
    n_exp=$(wc -l <"$E2E_TMP/expected")
    stat_all "$E2E_TMP/expected" >"$E2E_TMP/stat.out"
    check_eq "$label: all $n_exp writes answered 2xx are there (stat 200)" "$n_exp" \
        "$(grep -c '^200 ' "$E2E_TMP/stat.out" || true)"
    if grep -v '^200 ' "$E2E_TMP/stat.out" | head -5 | grep -q .; then
        grep -v '^200 ' "$E2E_TMP/stat.out" | head -5 | sed 's/^/#   missing: /'
    fi
    stat_all "$E2E_TMP/gone" >"$E2E_TMP/gone.out"
    check_eq "$label: all $(wc -l <"$E2E_TMP/gone") old names of acked renames are gone (404)" \
        "$(wc -l <"$E2E_TMP/gone")" "$(grep -c '^404 ' "$E2E_TMP/gone.out" || true)"

    : >"$E2E_TMP/listed"
    for i in $(seq "$WRITERS"); do
        curl -s "$B/api/v1/paths/load/w$i?list&limit=10000" >"$E2E_TMP/list.json"
        curl -s "$B/api/v1/paths/load/w$i" >"$E2E_TMP/stat.json"
        check "$label: /load/w$i: child count equals the listing, sorted and unique" \
            jq -e --slurpfile s "$E2E_TMP/stat.json" \
            '(.entries | length) == $s[0].children and .next == null and
             ([.entries[].name] == ([.entries[].name] | unique))' "$E2E_TMP/list.json"
        jq -r '.entries[].path' "$E2E_TMP/list.json" >>"$E2E_TMP/listed"
    done
    sort -o "$E2E_TMP/listed" "$E2E_TMP/listed"
    check_eq "$label: every listed name was tried by a writer (no phantom inodes)" "" \
        "$(comm -23 "$E2E_TMP/listed" "$E2E_TMP/tried" | head -5 | tr '\n' ' ')"
    check_eq "$label: every acked path is listed" "" \
        "$(comm -23 "$E2E_TMP/expected" "$E2E_TMP/listed" | head -5 | tr '\n' ' ')"
    expect_status "$label: stat /load" 200 "$B/api/v1/paths/load"
    body_is "$label: /load has $WRITERS children" ".children == $WRITERS"
}

for cycle in 1 2; do
    end=$((EPOCHSECONDS + LOAD_SECONDS))
    pids=()
    for i in $(seq "$WRITERS"); do
        writer "$i" "$cycle" "$end" &
        pids+=($!)
    done
    sleep "$KILL_AFTER"
    acked_before=$(cat "$W"/acked."$cycle".* | wc -l)
    daemon_kill9
    echo "# cycle $cycle: kill -9 after ${KILL_AFTER}s, $acked_before writes acked so far"
    for pid in "${pids[@]}"; do
        wait "$pid" || true # each writer stops at $end
    done
    n=$(cat "$W"/acked."$cycle".* | wc -l)
    check "cycle $cycle: the load had writes answered 2xx before the kill (got $n)" \
        test "$n" -ge 50
    daemon_restart
    verify "cycle $cycle"
    expect_status "cycle $cycle: a write after the restart is 201" 201 \
        -X PUT "$B/api/v1/paths/load/after-$cycle" -H "$J" -d '{"type":"file"}'
    curl -s -o /dev/null -X DELETE "$B/api/v1/paths/load/after-$cycle"
done

# A clean stop and start after the crashes keeps it all too.
daemon_stop
daemon_restart
verify "clean restart"
check "no error was logged by the last start" \
    bash -c '! grep -q "\"level\":\"error\"" "$1"' _ "$LOG"
daemon_stop

finish
