#!/usr/bin/env bash
#
# mounts_root: the root mounted at start from the config ([mounts]
# root_ufs), a mount nested in it, a recursive sync of / that keeps the
# nested mount, the bad values refused at start, and a restart.
#
# SPDX-License-Identifier: MIT

# jq filters are in single quotes on purpose.
# shellcheck disable=SC2016
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

J='Content-Type: application/json'
R=$E2E_TMP/root
O=$E2E_TMP/other
S=$E2E_TMP/spare
mkdir -p "$R/dir" "$O" "$S"
printf 'hello' >"$R/a.txt"
printf '1234' >"$R/dir/b.txt"
printf 'xyz' >"$O/x.txt"

# ---- bad values are refused at start ---------------------------------------

# refuses DESC PATTERN ARG...: banyand exits at once, nonzero, saying PATTERN.
refuses() {
    local desc=$1 pattern=$2 rc=0 err=$E2E_TMP/refuses.err
    shift 2
    pick_ports
    timeout -k 5 20 "$BANYAND" --data-dir "$E2E_TMP/never" \
        --listen "127.0.0.1:$PORT" --raft-listen "127.0.0.1:$RAFT_PORT" \
        "$@" >/dev/null 2>"$err" || rc=$?
    if [[ "$rc" != 0 && "$rc" != 124 && "$rc" != 137 ]] &&
        grep -Eq -- "$pattern" "$err"; then
        ok "$desc (exit $rc)"
    else
        printf '# exit %s; stderr:\n' "$rc" >"$E2E_TMP/refuses.out"
        head -c 1000 "$err" >>"$E2E_TMP/refuses.out"
        not_ok "$desc" "$E2E_TMP/refuses.out"
    fi
}
refuses "root_ufs with a relative path is refused" "root_ufs.*(absolute|relative)" \
    --set root_ufs=file://relative/dir
refuses "root_ufs on a missing directory is refused" "root_ufs.*$E2E_TMP/nope" \
    --set "root_ufs=file://$E2E_TMP/nope"
refuses "root_ufs with an unknown scheme is refused" "root_ufs.*scheme" \
    --set root_ufs=s3://bucket/x
refuses "root_read_only=maybe is refused" "root_read_only" \
    --set "root_ufs=file://$R" --set root_read_only=maybe
PORT=""

# wait_root URI: waits (10 s at most) until / is mounted on URI.
wait_root() {
    local i
    for ((i = 0; i < 100; i++)); do
        if curl -s "$B/api/v1/mounts" |
            jq -e --arg u "$1" 'any(.mounts[]; .path == "/" and .ufs == $u)' \
                >/dev/null 2>&1; then
            ok "/ is mounted on $1"
            return 0
        fi
        sleep 0.1
    done
    curl -s "$B/api/v1/mounts" >"$E2E_TMP/mounts.out" || true
    not_ok "/ is mounted on $1" "$E2E_TMP/mounts.out"
}

daemon_start --set "root_ufs=file://$R/"
M=$B/api/v1/mounts
P=$B/api/v1/paths
wait_root "file://$R"

# ---- the root's files at / -------------------------------------------------

expect_status "list / is 200" 200 "$P/?list"
body_is "... the root's files" '[.entries[].name] == ["a.txt", "dir"]'
expect_status "stat / shows the root mount" 200 "$P/"
body_is "... its ufs_path and mount_id" \
    '.ufs_path == $u and (.mount_id | type) == "number"' --arg u "file://$R"
expect_status "stat /dir/b.txt is 200" 200 "$P/dir/b.txt"
body_is "... loaded with its size" \
    '.size == 4 and .persisted == true and .ufs_path == $u' \
    --arg u "file://$R/dir/b.txt"
expect_status "create /new.txt is 201" 201 -X PUT "$P/new.txt" -H "$J" \
    -d '{"type":"file"}'
check "... the file is on disk" test -f "$R/new.txt"

# ---- a mount inside the root mount -----------------------------------------

expect_status "mount $O at /other is 201" 201 -X POST "$M" -H "$J" \
    -d "{\"path\":\"/other\",\"ufs\":\"file://$O\"}"
check "... the root's directory has no 'other' on disk" test ! -e "$R/other"
printf 'late' >"$R/late.txt"
expect_code "a mount over a file of the root's under storage is 409" 409 \
    mount_conflict -X POST "$M" -H "$J" \
    -d "{\"path\":\"/late.txt\",\"ufs\":\"file://$S\"}"
expect_code "a mount inside /other is 409 (only the root holds mounts)" 409 \
    mount_conflict -X POST "$M" -H "$J" \
    -d "{\"path\":\"/other/in\",\"ufs\":\"file://$S\"}"
expect_code "a mount of / over the API is 400" 400 invalid_argument \
    -X POST "$M" -H "$J" -d "{\"path\":\"/\",\"ufs\":\"file://$E2E_TMP\"}"
expect_code "unmounting / is 409" 409 mount_conflict -X DELETE "$M/"
mkdir -p "$R/deep/keep" "$E2E_TMP/nested"
printf 'k' >"$R/deep/keep/k.txt"
expect_status "mount at /deep/m (its parent a directory of the root) is 201" \
    201 -X POST "$M" -H "$J" \
    -d "{\"path\":\"/deep/m\",\"ufs\":\"file://$E2E_TMP/nested\"}"
expect_status "stat /other/x.txt is 200" 200 "$P/other/x.txt"
body_is "... from the nested mount" '.size == 3 and .ufs_path == $u' \
    --arg u "file://$O/x.txt"
expect_status "create /other/y.txt is 201" 201 -X PUT "$P/other/y.txt" -H "$J" \
    -d '{"type":"file"}'
check "... on disk in the nested mount's directory" test -f "$O/y.txt"
check "... not in the root's" test ! -e "$R/other/y.txt"
expect_code "a rename from the root mount into /other is 400" 400 cross_mount \
    -X POST "$P/new.txt/rename" -H "$J" -d '{"to":"/other/new.txt"}'

# ---- a recursive sync of / keeps the nested mount --------------------------

expect_status "list /other (its first listing loads it)" 200 "$P/other?list"
body_is "... x.txt and y.txt" '[.entries[].name] == ["x.txt", "y.txt"]'
rm -f "$R/a.txt"
printf 'fresh' >"$R/fresh.txt"
printf 'zz' >"$O/z.txt"
printf 'd' >"$R/deep/d.txt"
expect_status "POST /sync?recursive=true is 200" 200 -X POST \
    "$P/sync?recursive=true"
expect_status "list / after the sync" 200 "$P/?list"
body_is "... a.txt gone, fresh.txt and late.txt in, /other kept" \
    '[.entries[] | [.name, .type]] == [["deep", "directory"],
     ["dir", "directory"], ["fresh.txt", "file"], ["late.txt", "file"], ["new.txt", "file"],
     ["other", "directory"]]'
expect_status "list /deep after the sync" 200 "$P/deep?list&sync=never"
body_is "... the root's entries synced around the mount point /deep/m" \
    '[.entries[].name] == ["d.txt", "keep", "m"]'
expect_status "list /deep/keep after the sync" 200 "$P/deep/keep?list&sync=never"
body_is "... k.txt (the recursive sync descended)" '[.entries[].name] == ["k.txt"]'
expect_status "list /other after the sync" 200 "$P/other?list&sync=never"
body_is "... its contents kept (the root's sync leaves them, z.txt unseen)" \
    '[.entries[].name] == ["x.txt", "y.txt"]'
expect_status "stat /other/x.txt still there" 200 "$P/other/x.txt"
expect_status "POST /other/sync picks up z.txt" 200 -X POST "$P/other/sync"
body_is "... one created" '.created == 1 and .deleted == 0'
expect_status "list / of the mounts" 200 "$M"
body_is "... /, /deep/m and /other" '[.mounts[].path] == ["/", "/deep/m", "/other"]'

# ---- restart ---------------------------------------------------------------

daemon_stop
daemon_restart --set "root_ufs=file://$R"
wait_root "file://$R"
expect_status "after a restart: list /" 200 "$P/?list"
body_is "... the same entries" \
    '[.entries[].name] == ["deep", "dir", "fresh.txt", "late.txt", "new.txt",
     "other"]'
expect_status "... /other/z.txt is there" 200 "$P/other/z.txt"
expect_status "... the mounts" 200 "$M"
body_is "... /, /deep/m and /other" '[.mounts[].path] == ["/", "/deep/m", "/other"]'

# Another root_ufs on a node whose / is mounted: said loudly, not applied.
daemon_stop
daemon_restart --set "root_ufs=file://$O"
sleep 1
expect_status "a different root_ufs does not change the root mount" 200 "$M"
body_is "... / still on the first URI" \
    'any(.mounts[]; .path == "/" and .ufs == $u)' --arg u "file://$R"
check "... the log says so" grep -q "root_ufs is file://$O but / is mounted on file://$R" "$LOG"
daemon_stop

finish
