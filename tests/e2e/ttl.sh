#!/usr/bin/env bash
#
# ttl: inodes whose time to live runs out are expired by the leader, as
# Alluxio does: "delete" deletes them (a directory with what is below it),
# "free" clears the TTL and keeps the inode (banyan holds no data to free).
# The TTL counts from creation; PATCH can set, change or clear it; an expiry
# survives a restart (the sweep finds what ran out while the node was down).
#
# SPDX-License-Identifier: MIT

# jq filters are in single quotes on purpose; daemon_start takes no args.
# shellcheck disable=SC2016,SC2119
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

J='Content-Type: application/json'

daemon_start
P=$B/api/v1/paths

# gone_within SECONDS PATH: passes once PATH answers 404 (polls, bounded).
gone_within() {
    local deadline=$((SECONDS + $1)) code
    while ((SECONDS < deadline)); do
        code=$(curl -s -o /dev/null -w '%{http_code}' "$P$2")
        [[ "$code" == 404 ]] && return 0
        sleep 0.2
    done
    return 1
}

# ttl_cleared_within SECONDS PATH: passes once PATH has no ttl (bounded).
ttl_cleared_within() {
    local deadline=$((SECONDS + $1)) ttl
    while ((SECONDS < deadline)); do
        ttl=$(curl -s "$P$2" | jq -r '.ttl')
        [[ "$ttl" == null ]] && return 0
        sleep 0.2
    done
    return 1
}

# ---- delete -------------------------------------------------------------------

expect_status "create /t/dir with ttl 1500 ms (delete)" 201 -X PUT "$P/t/dir" \
    -H "$J" -d '{"type":"directory","recursive":true,"ttl":1500}'
check_eq "... its ttl is 1500" 1500 "$(jq -r .ttl "$LAST_BODY")"
check_eq "... its ttl_action is delete" delete "$(jq -r .ttl_action "$LAST_BODY")"
expect_status "a file under it without a ttl" 201 -X PUT "$P/t/dir/inner" \
    -H "$J" -d '{"type":"file"}'
expect_status "create /t/long with ttl 3600000" 201 -X PUT "$P/t/long" \
    -H "$J" -d '{"type":"file","ttl":3600000}'
check "the directory is deleted with its contents within 5 s" gone_within 5 /t/dir
expect_status "... the file below it is gone" 404 "$P/t/dir/inner"
expect_status "... /t itself stays (it has no ttl)" 200 "$P/t"
expect_status "... a file whose ttl has not run out stays" 200 "$P/t/long"

# ---- free ---------------------------------------------------------------------

expect_status "create /t/free with ttl 1000 ms (free)" 201 -X PUT "$P/t/free" \
    -H "$J" -d '{"type":"file","size":10,"ttl":1000,"ttl_action":"free"}'
check "the ttl is cleared within 5 s" ttl_cleared_within 5 /t/free
expect_status "... the file stays" 200 "$P/t/free"
check_eq "... with its size" 10 "$(jq -r .size "$LAST_BODY")"

# ---- PATCH sets and clears ------------------------------------------------------

expect_status "create /t/cancel with ttl 1000 ms" 201 -X PUT "$P/t/cancel" \
    -H "$J" -d '{"type":"file","ttl":1000}'
expect_status "PATCH clears its ttl" 200 -X PATCH "$P/t/cancel" \
    -H "$J" -d '{"ttl":null}'
expect_status "PATCH gives /t/long a ttl that has run out (counted from creation)" \
    200 -X PATCH "$P/t/long" -H "$J" -d '{"ttl":1}'
check "/t/long is deleted within 5 s" gone_within 5 /t/long
expect_status "/t/cancel stays" 200 "$P/t/cancel"
check_eq "... without a ttl" null "$(jq -r .ttl "$LAST_BODY")"

# ---- bad values -----------------------------------------------------------------

expect_code "a negative ttl is refused" 400 invalid_argument -X PATCH \
    "$P/t/cancel" -H "$J" -d '{"ttl":-5}'
expect_code "an unknown ttl_action is refused" 400 invalid_argument -X PATCH \
    "$P/t/cancel" -H "$J" -d '{"ttl_action":"archive"}'

# ---- across a restart -------------------------------------------------------------

expect_status "create /t/later with ttl 2000 ms" 201 -X PUT "$P/t/later" \
    -H "$J" -d '{"type":"file","ttl":2000}'
daemon_stop
sleep 2.5
daemon_restart
P=$B/api/v1/paths
check "what ran out while the node was down is deleted within 5 s" \
    gone_within 5 /t/later
expect_status "... the rest is there" 200 "$P/t/free"

finish
