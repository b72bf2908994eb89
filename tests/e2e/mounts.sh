#!/usr/bin/env bash
#
# mounts: the mount table, metadata load and sync, write through and the
# bad inputs, on one node over real directories of a temporary folder.
#
# SPDX-License-Identifier: MIT

# jq filters are in single quotes on purpose; daemon_start takes no args.
# shellcheck disable=SC2016,SC2119
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

J='Content-Type: application/json'
M=$B/api/v1/mounts
U1=$E2E_TMP/ufs1
U2=$E2E_TMP/ufs2
mkdir -p "$U1/sub/deep" "$U2"
printf 'hello' >"$U1/a.txt"
printf '12345678' >"$U1/sub/b.txt"
: >"$U1/sub/deep/c.txt"

daemon_start
M=$B/api/v1/mounts
P=$B/api/v1/paths

mount() { # mount DESC STATUS PATH URI [READ_ONLY]
    expect_status "$1" "$2" -X POST "$M" -H "$J" \
        -d "{\"path\":\"$3\",\"ufs\":\"$4\",\"read_only\":${5:-false}}"
}

# ---- the mount table --------------------------------------------------------

expect_status "no mounts at first" 200 "$M"
body_is "... an empty list" '.mounts == []'
mount "mount $U1 at /data is 201" 201 /data "file://$U1"
body_is "... answers the mount" \
    '.path == "/data" and .ufs == $u and .read_only == false and
     (.id | type) == "number" and (.mounted | type) == "number"' --arg u "file://$U1"
check_eq "... with its Location" "/api/v1/mounts/data" "$(header Location)"
mount "mount $U2 at /ro/two read-only is 201" 201 /ro/two "file://$U2/" true
body_is "... its URI canonical (no trailing slash)" \
    '.ufs == $u and .read_only == true' --arg u "file://$U2"
expect_status "list the mounts" 200 "$M"
body_is "... two, by path" '[.mounts[].path] == ["/data", "/ro/two"]'
expect_status "list / shows the mount points as directories" 200 "$P/?list"
body_is "... /data and /ro" \
    '[.entries[] | select(.type == "directory") | .name] == ["data", "ro"]'

# ---- load on first access ---------------------------------------------------

expect_status "stat /data/a.txt (never seen) is 200" 200 "$P/data/a.txt"
body_is "... loaded from the under storage with its size" \
    '.type == "file" and .size == 5 and .ufs_path == $u and
     .persisted == true and (.mount_id | type) == "number"' --arg u "file://$U1/a.txt"
expect_status "list /data loads its children" 200 "$P/data?list"
body_is "... a.txt and sub" '[.entries[].name] == ["a.txt", "sub"]'
expect_status "stat /data/sub/deep/c.txt loads its parents" 200 \
    "$P/data/sub/deep/c.txt"
body_is "... an empty file" '.size == 0 and .type == "file"'
expect_status "stat /data/nope is 404" 404 "$P/data/nope"
expect_status "the mount point shows its mount" 200 "$P/data"
body_is "... ufs_path is the URI" \
    '.ufs_path == $u' --arg u "file://$U1"
expect_status "a path outside mounts has no mount fields" 200 "$P/ro"
body_is "... none" 'has("mount_id") | not'

# ---- sync --------------------------------------------------------------------

printf 'new' >"$U1/new.txt"
printf 'hello, world' >"$U1/a.txt"
touch -d '2020-01-02 03:04:05' "$U1/a.txt"
rm -rf "$U1/sub/deep"
expect_status "sync=never does not see the changes" 200 "$P/data/a.txt?sync=never"
body_is "... the old size" '.size == 5'
expect_status "POST /data/sync?recursive=true is 200" 200 -X POST \
    "$P/data/sync?recursive=true"
body_is "... created new.txt and sub/b.txt, updated 1, deleted 1" \
    '.created == 2 and .updated == 1 and .deleted == 1 and .directories == 2'
expect_status "a.txt has the new size" 200 "$P/data/a.txt"
body_is "... and mtime" '.size == 12 and .mtime == 1577934245000'
expect_status "new.txt appeared" 200 "$P/data/new.txt"
expect_status "sub/deep is gone" 404 "$P/data/sub/deep"
expect_status "a second sync finds nothing" 200 -X POST "$P/data/sync?recursive=true"
body_is "... no change" '.created == 0 and .updated == 0 and .deleted == 0'
printf 'x' >"$U1/later.txt"
expect_status "list with sync=always sees a new file" 200 "$P/data?list&sync=always"
body_is "... later.txt" '[.entries[].name] | index("later.txt") != null'
rm "$U1/later.txt"
expect_status "stat with sync=1ms sees it gone" 404 "$P/data/later.txt?sync=1ms"
expect_code "sync=sometimes is 400" 400 invalid_argument "$P/data?sync=sometimes"
expect_code "sync of a path outside mounts is 400" 400 not_a_mount_point \
    -X POST "$P/ro/sync"

# ---- write through ------------------------------------------------------------

expect_status "mkdir /data/made is 201" 201 -X PUT "$P/data/made" -H "$J" \
    -d '{"type":"directory"}'
check "... the directory is on disk" test -d "$U1/made"
expect_status "create /data/made/f is 201" 201 -X PUT "$P/data/made/f" -H "$J" \
    -d '{"type":"file"}'
check "... the file is on disk" test -f "$U1/made/f"
expect_status "create recursive /data/x/y/z is 201" 201 -X PUT \
    "$P/data/x/y/z?recursive=true" -H "$J" -d '{"type":"file"}'
check "... on disk with its parents" test -f "$U1/x/y/z"
expect_status "rename /data/made/f to /data/g is 200" 200 -X POST \
    "$P/data/made/f/rename" -H "$J" -d '{"to":"/data/g"}'
check "... moved on disk" test -f "$U1/g"
check "... not at the old place" test ! -e "$U1/made/f"
mkdir "$U1/behind"
expect_status "rename into a directory banyan has not seen is 200" 200 \
    -X POST "$P/data/g/rename" -H "$J" -d '{"to":"/data/behind/g"}'
check "... moved on disk" test -f "$U1/behind/g"
expect_status "... and in the namespace" 200 "$P/data/behind/g"
expect_status "rename it back" 200 -X POST "$P/data/behind/g/rename" -H "$J" \
    -d '{"to":"/data/g"}'
rmdir "$U1/behind"
expect_status "delete /data/g is 204" 204 -X DELETE "$P/data/g"
check "... gone from disk" test ! -e "$U1/g"
expect_status "delete recursive /data/x is 204" 204 -X DELETE \
    "$P/data/x?recursive=true"
check "... the tree is gone from disk" test ! -e "$U1/x"
expect_status "cache_only create is 201" 201 -X PUT \
    "$P/data/cached?write_type=cache_only" -H "$J" -d '{"type":"file"}'
body_is "... not persisted" '.persisted == false'
check "... not on disk" test ! -e "$U1/cached"
expect_status "a sync keeps the cache_only file" 200 -X POST "$P/data/sync"
expect_status "... it is still there" 200 "$P/data/cached"
expect_code "write_type=sometimes is 400" 400 invalid_argument -X PUT \
    "$P/data/w?write_type=sometimes" -H "$J" -d '{"type":"file"}'
mkdir "$U1/clash"
expect_code "create over what the under storage has is 409" 409 \
    already_exists -X PUT "$P/data/clash" -H "$J" -d '{"type":"directory"}'
chmod 0555 "$U1/made"
if [[ $(id -u) -ne 0 ]]; then
    expect_code "a failing under storage is 502 and changes nothing" 502 \
        ufs_error -X PUT "$P/data/made/h" -H "$J" -d '{"type":"file"}'
    expect_status "... /data/made/h is not in the namespace" 404 "$P/data/made/h"
fi
chmod 0755 "$U1/made"

# ---- read-only, cross-mount, mount points ------------------------------------

expect_code "create under a read-only mount is 403" 403 read_only -X PUT \
    "$P/ro/two/f" -H "$J" -d '{"type":"file"}'
check "... nothing on disk" test ! -e "$U2/f"
expect_code "rename between two mounts is 400" 400 cross_mount -X POST \
    "$P/data/new.txt/rename" -H "$J" -d '{"to":"/ro/two/new.txt"}'
expect_code "rename out of a mount is 400" 400 cross_mount -X POST \
    "$P/data/new.txt/rename" -H "$J" -d '{"to":"/new.txt"}'
expect_code "delete a mount point is 409" 409 mount_conflict -X DELETE \
    "$P/data?recursive=true"
expect_code "delete above a mount point is 409" 409 mount_conflict -X DELETE \
    "$P/ro?recursive=true"

# ---- bad mounts ----------------------------------------------------------------

expect_code "a relative URI is 400" 400 invalid_argument -X POST "$M" -H "$J" \
    -d '{"path":"/r","ufs":"file://relative/dir"}'
expect_code "an unknown scheme is 400" 400 invalid_argument -X POST "$M" \
    -H "$J" -d '{"path":"/r","ufs":"s3://bucket/dir"}'
expect_code "no scheme is 400" 400 invalid_argument -X POST "$M" -H "$J" \
    -d "{\"path\":\"/r\",\"ufs\":\"$U2\"}"
expect_code "a missing directory is 400" 400 invalid_argument -X POST "$M" \
    -H "$J" -d "{\"path\":\"/r\",\"ufs\":\"file://$E2E_TMP/none\"}"
expect_code "a URI with .. is 400" 400 invalid_argument -X POST "$M" -H "$J" \
    -d "{\"path\":\"/r\",\"ufs\":\"file://$U1/../ufs2\"}"
expect_status "mkdir /file-here is 201" 201 -X PUT "$P/afile" -H "$J" \
    -d '{"type":"file"}'
mkdir -p "$E2E_TMP/ufs3"
expect_code "mount over a file is 409" 409 mount_conflict -X POST "$M" -H "$J" \
    -d "{\"path\":\"/afile\",\"ufs\":\"file://$E2E_TMP/ufs3\"}"
expect_status "mkdir -p /full/x" 201 -X PUT "$P/full/x?recursive=true" -H "$J" \
    -d '{"type":"directory"}'
expect_code "mount over a non-empty directory is 409" 409 mount_conflict \
    -X POST "$M" -H "$J" -d "{\"path\":\"/full\",\"ufs\":\"file://$E2E_TMP/ufs3\"}"
expect_code "the same URI twice is 409" 409 mount_conflict -X POST "$M" \
    -H "$J" -d "{\"path\":\"/again\",\"ufs\":\"file://$U1\"}"
expect_code "a URI inside a mounted one is 409" 409 mount_conflict -X POST \
    "$M" -H "$J" -d "{\"path\":\"/again\",\"ufs\":\"file://$U1/sub\"}"
expect_code "a mount inside a mount is 409" 409 mount_conflict -X POST "$M" \
    -H "$J" -d "{\"path\":\"/data/inner\",\"ufs\":\"file://$E2E_TMP/ufs3\"}"
expect_code "a mount above a mount is 409" 409 mount_conflict -X POST "$M" \
    -H "$J" -d "{\"path\":\"/ro\",\"ufs\":\"file://$E2E_TMP/ufs3\"}"
expect_code "the same path twice is 409" 409 mount_conflict -X POST "$M" \
    -H "$J" -d "{\"path\":\"/data\",\"ufs\":\"file://$E2E_TMP/ufs3\"}"
expect_code "mounting the root is 400" 400 invalid_argument -X POST "$M" \
    -H "$J" -d "{\"path\":\"/\",\"ufs\":\"file://$E2E_TMP/ufs3\"}"
expect_code "a body without ufs is 400" 400 invalid_argument -X POST "$M" \
    -H "$J" -d '{"path":"/r"}'
expect_code "unmount of a non-mount is 400" 400 not_a_mount_point \
    -X DELETE "$M/full"

# ---- unmount, restart, remount ----------------------------------------------

daemon_restart
expect_status "after a restart the mounts are there" 200 "$M"
body_is "... both" '[.mounts[].path] == ["/data", "/ro/two"]'
expect_status "... and what was loaded" 200 "$P/data/new.txt?consistency=stale"
expect_status "unmount /data is 204" 204 -X DELETE "$M/data"
expect_status "/data is gone from the namespace" 404 "$P/data"
check "... the files stay on disk" test -f "$U1/a.txt"
check "... all of them" test -f "$U1/sub/b.txt"
expect_status "the table has one mount" 200 "$M"
body_is "... /ro/two" '[.mounts[].path] == ["/ro/two"]'
mount "remount $U1 at /again is 201" 201 /again "file://$U1"
expect_status "list /again loads it afresh" 200 "$P/again?list"
body_is "... with what is on disk" \
    '[.entries[].name] == ["a.txt", "clash", "made", "new.txt", "sub"]'

finish
