#!/usr/bin/env bash
#
# concurrency: many clients at once on one node. 100 concurrent creates of
# one name: exactly one wins, the others get 409 already_exists; 200
# concurrent creates of different names all win and are all listed; racing
# deletes and renames have exactly one winner; crossing renames of two
# directories into each other never make a cycle.
#
# SPDX-License-Identifier: MIT

# jq filters are in single quotes on purpose; daemon_start takes no args.
# shellcheck disable=SC2016,SC2119
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

J='Content-Type: application/json'

daemon_start

# race N TAG CURL-ARG...: runs N copies of one request at once (xargs -P N,
# one curl process each). Prints nothing; leaves in $E2E_TMP/TAG.status
# the status of each answer and in $E2E_TMP/TAG.codes the problem code of
# each answer that has one, one a line.
race() {
    local n=$1 tag=$2 dir
    shift 2
    dir=$E2E_TMP/$tag
    mkdir -p "$dir"
    seq "$n" | xargs -P "$n" -I{} curl -s --max-time 60 --path-as-is \
        -o "$dir/{}.body" -w '%{http_code}\n' "$@" >"$E2E_TMP/$tag.status" || true
    cat "$dir"/*.body 2>/dev/null | jq -r '.code // empty' 2>/dev/null |
        sort >"$E2E_TMP/$tag.codes" || true
}

# count FILE VALUE: lines of FILE equal to VALUE.
count() {
    grep -cx -- "$2" "$1" || true
}

# ---- 100 creates of one name ---------------------------------------------------

curl -s -o /dev/null -X PUT "$B/api/v1/paths/race" -H "$J" -d '{"type":"directory"}'

race 100 file -X PUT "$B/api/v1/paths/race/one" -H "$J" -d '{"type":"file"}'
check_eq "100 concurrent creates of one file: 100 answers" 100 "$(wc -l <"$E2E_TMP/file.status")"
check_eq "... exactly one 201" 1 "$(count "$E2E_TMP/file.status" 201)"
check_eq "... 99 409" 99 "$(count "$E2E_TMP/file.status" 409)"
check_eq "... the 99 are already_exists" 99 "$(count "$E2E_TMP/file.codes" already_exists)"

race 100 dir -X PUT "$B/api/v1/paths/race/d" -H "$J" -d '{"type":"directory"}'
check_eq "100 concurrent mkdirs of one name: exactly one 201" 1 "$(count "$E2E_TMP/dir.status" 201)"
check_eq "... 99 409 already_exists" 99 "$(count "$E2E_TMP/dir.codes" already_exists)"

race 100 deep -X PUT "$B/api/v1/paths/race/p/q/r/s" -H "$J" \
    -d '{"type":"directory","recursive":true}'
check_eq "100 concurrent mkdir -p of one deep path: exactly one 201" 1 \
    "$(count "$E2E_TMP/deep.status" 201)"
check_eq "... 99 409 already_exists" 99 "$(count "$E2E_TMP/deep.codes" already_exists)"
check_eq "... one /race/p/q/r/s" 200 "$(status_of "$B/api/v1/paths/race/p/q/r/s")"

expect_status "list /race" 200 "$B/api/v1/paths/race?list"
body_is "... holds d, one and p, each once" '[.entries[].name] == ["d","one","p"]'
expect_status "stat /race" 200 "$B/api/v1/paths/race"
body_is "... 3 children" '.children == 3'

# ---- racing deletes and renames -------------------------------------------------

race 100 del -X DELETE "$B/api/v1/paths/race/one"
check_eq "100 concurrent deletes of one file: exactly one 204" 1 "$(count "$E2E_TMP/del.status" 204)"
check_eq "... 99 404 not_found" 99 "$(count "$E2E_TMP/del.codes" not_found)"

curl -s -o /dev/null -X PUT "$B/api/v1/paths/race/src" -H "$J" -d '{"type":"file"}'
# 50 renames of one source, each to a name of its own (?n= is ignored).
dir=$E2E_TMP/mv
mkdir -p "$dir"
seq 50 | xargs -P 50 -I{} curl -s --max-time 60 -o "$dir/{}.body" -w '%{http_code}\n' \
    -X POST "$B/api/v1/paths/race/src/rename" -H "$J" -d '{"to":"/race/dst{}"}' \
    >"$E2E_TMP/mv.status" || true
check_eq "50 concurrent renames of one source: exactly one 200" 1 "$(count "$E2E_TMP/mv.status" 200)"
check_eq "... 49 404" 49 "$(count "$E2E_TMP/mv.status" 404)"
expect_status "list /race" 200 "$B/api/v1/paths/race?list"
body_is "... one dst<n> and no src" \
    '[.entries[].name | select(startswith("dst") or . == "src")] | length == 1 and (.[0] | startswith("dst"))'

# 50 sources renamed onto one target.
command curl -s --max-time 60 -o /dev/null --parallel --parallel-max 16 -X PUT -H "$J" \
    -d '{"type":"file"}' "$B/api/v1/paths/race/s[1-50]" 2>/dev/null || true
dir=$E2E_TMP/onto
mkdir -p "$dir"
seq 50 | xargs -P 50 -I{} curl -s --max-time 60 -o "$dir/{}.body" -w '%{http_code}\n' \
    -X POST "$B/api/v1/paths/race/s{}/rename" -H "$J" -d '{"to":"/race/target"}' \
    >"$E2E_TMP/onto.status" || true
check_eq "50 concurrent renames onto one target: exactly one 200" 1 "$(count "$E2E_TMP/onto.status" 200)"
check_eq "... 49 409" 49 "$(count "$E2E_TMP/onto.status" 409)"
check_eq "... 49 already_exists" 49 "$(cat "$dir"/*.body | jq -r '.code // empty' | grep -cx already_exists || true)"
expect_status "list /race" 200 "$B/api/v1/paths/race?list&limit=10000"
body_is "... target and 49 of s1..s50 left" \
    '([.entries[].name | select(startswith("s") and . != "src")] | length) == 49 and
     ([.entries[].name | select(. == "target")] | length) == 1'

# ---- crossing renames never make a cycle ------------------------------------------

curl -s -o /dev/null -X PUT "$B/api/v1/paths/x/a" -H "$J" -d '{"type":"directory","recursive":true}'
curl -s -o /dev/null -X PUT "$B/api/v1/paths/x/b" -H "$J" -d '{"type":"directory"}'
wins=0
bad=0
for round in $(seq 20); do
    curl -s -o /dev/null -w '%{http_code}\n' -X POST "$B/api/v1/paths/x/a/rename" \
        -H "$J" -d '{"to":"/x/b/a"}' >"$E2E_TMP/cross.1" &
    p1=$!
    curl -s -o /dev/null -w '%{http_code}\n' -X POST "$B/api/v1/paths/x/b/rename" \
        -H "$J" -d '{"to":"/x/a/b"}' >"$E2E_TMP/cross.2" &
    p2=$!
    wait "$p1" "$p2" || true
    n=$(cat "$E2E_TMP/cross.1" "$E2E_TMP/cross.2" | grep -cx 200 || true)
    if [[ "$n" == 1 ]]; then
        wins=$((wins + 1))
    else
        bad=$((bad + 1))
        echo "# round $round: $(cat "$E2E_TMP/cross.1" "$E2E_TMP/cross.2" | tr '\n' ' ')"
    fi
    # Put them back side by side.
    if [[ "$(status_of "$B/api/v1/paths/x/b/a")" == 200 ]]; then
        curl -s -o /dev/null -X POST "$B/api/v1/paths/x/b/a/rename" -H "$J" -d '{"to":"/x/a"}'
    elif [[ "$(status_of "$B/api/v1/paths/x/a/b")" == 200 ]]; then
        curl -s -o /dev/null -X POST "$B/api/v1/paths/x/a/b/rename" -H "$J" -d '{"to":"/x/b"}'
    fi
done
check_eq "20 rounds of crossing renames: exactly one wins each round" "20 0" "$wins $bad"
expect_status "list /x" 200 "$B/api/v1/paths/x?list"
body_is "... a and b are both reachable, side by side" '[.entries[].name] == ["a","b"]'

# ---- 200 creates of different names ---------------------------------------------

curl -s -o /dev/null -X PUT "$B/api/v1/paths/many" -H "$J" -d '{"type":"directory"}'
seq -w 1 200 | xargs -P 200 -I{} curl -s --max-time 60 -o /dev/null -w '%{http_code}\n' \
    -X PUT "$B/api/v1/paths/many/n{}" -H "$J" -d '{"type":"file"}' \
    >"$E2E_TMP/many.status" || true
check_eq "200 concurrent creates of different names: 200 answers" 200 "$(wc -l <"$E2E_TMP/many.status")"
check_eq "... all 201" 200 "$(count "$E2E_TMP/many.status" 201)"
expect_status "list /many" 200 "$B/api/v1/paths/many?list&limit=10000"
body_is "... lists all 200, in order" \
    '[.entries[].name] == [range(1; 201) | "n" + (tostring | if length == 1 then "00" + . elif length == 2 then "0" + . else . end)]'
expect_status "stat /many" 200 "$B/api/v1/paths/many"
body_is "... 200 children" '.children == 200'
expect_status "the ids of the 200 are unique" 200 "$B/api/v1/paths/many?list&limit=10000"
body_is "... 200 distinct ids" '(.entries | map(.id) | unique | length) == 200'

# Concurrent creates in 20 directories made concurrently too.
seq -w 1 20 | xargs -P 20 -I{} curl -s --max-time 60 -o /dev/null -w '%{http_code}\n' \
    -X PUT "$B/api/v1/paths/tree/d{}" -H "$J" -d '{"type":"directory","recursive":true}' \
    >"$E2E_TMP/tree.status" || true
check_eq "20 concurrent mkdir -p sharing a new parent: all 201" 20 "$(count "$E2E_TMP/tree.status" 201)"
expect_status "stat /tree" 200 "$B/api/v1/paths/tree"
body_is "... 20 children" '.children == 20'

check "the daemon is still running" alive "$DAEMON_PID"
check "no error was logged" bash -c '! grep -q "\"level\":\"error\"" "$1"' _ "$LOG"
daemon_stop

finish
