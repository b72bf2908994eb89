#!/usr/bin/env bash
#
# paths_basic: every operation of /api/v1/paths on one node, the way a user
# drives it with curl and jq, and a clean restart keeps it all.
#
# SPDX-License-Identifier: MIT

# jq filters are in single quotes on purpose; daemon_start takes no args.
# shellcheck disable=SC2016,SC2119
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

J='Content-Type: application/json'

daemon_start

# ---- health ---------------------------------------------------------------

expect_status "GET /healthz is 200" 200 "$B/healthz"
body_is "/healthz says ok" '.status == "ok"'
check "/healthz carries X-Request-Id" test -n "$(header X-Request-Id)"
expect_status "GET /readyz is 200" 200 "$B/readyz"
body_is "/readyz: ready, leader, an applied index" \
    '.status == "ready" and .role == "leader" and (.applied_index | type) == "number"'
expect_status "HEAD /healthz is 200" 200 -I "$B/healthz"

# ---- the root ---------------------------------------------------------------

expect_status "stat / is 200" 200 "$B/api/v1/paths/"
body_is "/ is a directory named / with no children" \
    '.type == "directory" and .path == "/" and .children == 0'
expect_status "stat /api/v1/paths (no slash) is the root" 200 "$B/api/v1/paths"
body_is "... with path /" '.path == "/"'

# ---- mkdir ------------------------------------------------------------------

expect_status "mkdir /a is 201" 201 -X PUT "$B/api/v1/paths/a" \
    -H "$J" -d '{"type":"directory"}'
body_is "mkdir /a answers the new directory" \
    '.type == "directory" and .name == "a" and .path == "/a" and .mode == "0755"
     and .children == 0 and .owner == "banyan" and .group == "banyan"'
check_eq "mkdir /a: Location header" "/api/v1/paths/a" "$(header Location)"
check_eq "mkdir /a: ETag header equals the body's etag" \
    "$(jq -r .etag "$LAST_BODY")" "$(header ETag)"
check "mkdir /a carries X-Request-Id" test -n "$(header X-Request-Id)"

expect_code "mkdir /a again is 409 already_exists" 409 already_exists \
    -X PUT "$B/api/v1/paths/a" -H "$J" -d '{"type":"directory"}'
expect_code "mkdir /x/y without recursive is 404 not_found" 404 not_found \
    -X PUT "$B/api/v1/paths/x/y" -H "$J" -d '{"type":"directory"}'
check_eq "... and /x was not made" 404 "$(status_of "$B/api/v1/paths/x")"

expect_status "mkdir -p /r/s/t (recursive in the body) is 201" 201 \
    -X PUT "$B/api/v1/paths/r/s/t" -H "$J" \
    -d '{"type":"directory","recursive":true,"mode":"0700"}'
body_is "... /r/s/t has mode 0700" '.path == "/r/s/t" and .mode == "0700"'
expect_status "... /r/s exists" 200 "$B/api/v1/paths/r/s"
body_is "... /r/s is a directory with one child" \
    '.type == "directory" and .children == 1'
expect_status "mkdir -p /q/w (?recursive=true) is 201" 201 \
    -X PUT "$B/api/v1/paths/q/w?recursive=true" -H "$J" -d '{"type":"directory"}'
expect_status "... /q exists" 200 "$B/api/v1/paths/q"
body_is "... /q is a directory" '.type == "directory"'
expect_status "mkdir -p of an existing parent is 201" 201 \
    -X PUT "$B/api/v1/paths/r/s/u" -H "$J" -d '{"type":"directory","recursive":true}'

# ---- create a file ----------------------------------------------------------

expect_status "create /a/f.txt with size, block_size, mode, owner, group, xattrs" 201 \
    -X PUT "$B/api/v1/paths/a/f.txt" -H "$J" \
    -d '{"type":"file","size":1048576,"block_size":65536,"mode":"0640",
         "owner":"alice","group":"staff","xattrs":{"user.tier":"hot","k":"v"}}'
body_is "... the answer carries them all" \
    '.type == "file" and .size == 1048576 and .block_size == 65536 and
     .mode == "0640" and .owner == "alice" and .group == "staff" and
     .xattrs == {"user.tier":"hot","k":"v"} and (has("children") | not)'
CREATED_ETAG=$(header ETag)
check_eq "... Location header" "/api/v1/paths/a/f.txt" "$(header Location)"

expect_status "create /a/plain with only a type" 201 \
    -X PUT "$B/api/v1/paths/a/plain" -H "$J" -d '{"type":"file"}'
body_is "... defaults: size 0, mode 0644, owner banyan, no ttl, not pinned" \
    '.size == 0 and .mode == "0644" and .owner == "banyan" and .ttl == null and
     .pinned == false and .xattrs == {}'
expect_status "create /a/kept with ttl, ttl_action and pinned" 201 \
    -X PUT "$B/api/v1/paths/a/kept" -H "$J" \
    -d '{"type":"file","ttl":3600000,"ttl_action":"free","pinned":true}'
body_is "... the answer carries them" \
    '.ttl == 3600000 and .ttl_action == "free" and .pinned == true'
expect_status "... delete it" 204 -X DELETE "$B/api/v1/paths/a/kept"
expect_code "create a file under a file is 409 not_a_directory" 409 not_a_directory \
    -X PUT "$B/api/v1/paths/a/f.txt/g" -H "$J" -d '{"type":"file"}'
expect_code "mkdir under a file is 409 not_a_directory" 409 not_a_directory \
    -X PUT "$B/api/v1/paths/a/f.txt/d" -H "$J" -d '{"type":"directory"}'
expect_code "mkdir -p through a file is 409 not_a_directory" 409 not_a_directory \
    -X PUT "$B/api/v1/paths/a/f.txt/d/e" -H "$J" -d '{"type":"directory","recursive":true}'
expect_code "create / is 409 already_exists" 409 already_exists \
    -X PUT "$B/api/v1/paths/" -H "$J" -d '{"type":"directory"}'

# ---- stat -----------------------------------------------------------------

expect_status "stat /a/f.txt is 200" 200 "$B/api/v1/paths/a/f.txt"
body_is "stat: every field with its type" \
    '(.id | type) == "number" and .name == "f.txt" and .path == "/a/f.txt" and
     .type == "file" and .size == 1048576 and .block_size == 65536 and
     .mode == "0640" and .owner == "alice" and .group == "staff" and
     (.ctime | type) == "number" and (.mtime | type) == "number" and
     (.atime | type) == "number" and .ctime > 1600000000000 and
     .ttl == null and .ttl_action == "delete" and .pinned == false and
     .xattrs == {"user.tier":"hot","k":"v"} and (.version | type) == "number" and
     (.etag | type) == "string"'
check_eq "stat: ETag header equals the body's etag" \
    "$(jq -r .etag "$LAST_BODY")" "$(header ETag)"
check_eq "stat: the ETag is the one create answered" "$CREATED_ETAG" "$(header ETag)"
check "stat: Content-Type is application/json" \
    grep -qi '^content-type: application/json' "$LAST_HEADERS"
F_ID=$(jq .id "$LAST_BODY")
expect_status "stat /a is 200" 200 "$B/api/v1/paths/a"
body_is "stat /a: a directory with 2 children" \
    '.type == "directory" and .children == 2'
expect_status "stat /a/ (trailing slash) is /a" 200 "$B/api/v1/paths/a/"
body_is "... path /a" '.path == "/a"'
expect_code "stat of a missing path is 404 not_found" 404 not_found \
    "$B/api/v1/paths/a/nope"
expect_status "HEAD /a/f.txt is 200" 200 -I "$B/api/v1/paths/a/f.txt"
check "HEAD carries the ETag" test "$(header ETag)" = "$CREATED_ETAG"

# A name that needs percent-encoding.
expect_status "create '/a/with space é' (percent-encoded)" 201 \
    -X PUT "$B/api/v1/paths/a/with%20space%20%C3%A9" -H "$J" -d '{"type":"file"}'
body_is "... the name is decoded" '.name == "with space é"'
check_eq "... Location is percent-encoded" \
    "/api/v1/paths/a/with%20space%20%C3%A9" "$(header Location)"
expect_status "... and stats back" 200 "$B/api/v1/paths/a/with%20space%20%C3%A9"

# ---- list and paging --------------------------------------------------------

expect_status "mkdir /big" 201 -X PUT "$B/api/v1/paths/big" -H "$J" \
    -d '{"type":"directory"}'
# 2500 files f0000..f2499 in one curl (URL globbing, 16 at a time), plus a
# few names whose byte order differs from their look.
command curl -s --max-time 120 --parallel --parallel-max 16 \
    -o /dev/null -w '%{http_code}\n' -X PUT -H "$J" -d '{"type":"file"}' \
    "$B/api/v1/paths/big/f[0000-2499]" >"$E2E_TMP/big.codes" 2>/dev/null || true
check_eq "2500 creates in /big all answered 201" "2500" \
    "$(grep -c '^201$' "$E2E_TMP/big.codes" || true)"
for n in Zeta _u alpha 'a%20b' '%C3%BC' 'dir1'; do
    curl -s -o /dev/null -X PUT "$B/api/v1/paths/big/$n" -H "$J" \
        -d '{"type":"directory"}'
done
TOTAL=2506
expect_status "stat /big" 200 "$B/api/v1/paths/big"
body_is "/big has $TOTAL children" ".children == $TOTAL"

expect_status "list /big with the default limit" 200 "$B/api/v1/paths/big?list"
body_is "default limit is 1000, with a next token" \
    '.path == "/big" and (.entries | length) == 1000 and (.next | type) == "string"'
body_is "entries are sorted by name (byte order)" \
    '[.entries[].name] == ([.entries[].name] | sort)'
body_is "first entries: Zeta, _u, a b, alpha, dir1, f0000" \
    '[.entries[0:6][].name] == ["Zeta","_u","a b","alpha","dir1","f0000"]'
body_is "entries carry path and type" \
    '.entries[0].path == "/big/Zeta" and .entries[0].type == "directory" and
     .entries[5].path == "/big/f0000" and .entries[5].type == "file"'

expect_status "list /big?limit=10000 returns all" 200 "$B/api/v1/paths/big?list&limit=10000"
body_is "... $TOTAL entries, next is null" \
    "(.entries | length) == $TOTAL and .next == null"
body_is "... sorted, last is ü" \
    '[.entries[].name] == ([.entries[].name] | sort) and .entries[-1].name == "ü"'
jq -r '.entries[].name' "$LAST_BODY" >"$E2E_TMP/all.names"

expect_status "list /big?limit=3&after=f0100" 200 "$B/api/v1/paths/big?list&limit=3&after=f0100"
body_is "... f0101, f0102, f0103 and next f0103" \
    '[.entries[].name] == ["f0101","f0102","f0103"] and .next == "f0103"'
expect_status "list with after= a name not in the directory" 200 \
    "$B/api/v1/paths/big?list&limit=2&after=f0100x"
body_is "... starts at the next name" '[.entries[].name] == ["f0101","f0102"]'
expect_status "list after the last name is empty" 200 \
    "$B/api/v1/paths/big?list&after=%C3%BC"
body_is "... no entries, next null" '.entries == [] and .next == null'

# Walk /big 700 at a time with the next token.
: >"$E2E_TMP/walk.names"
after=""
pages=0
while ((pages < 20)); do
    url="$B/api/v1/paths/big?list&limit=700"
    if [[ -n "$after" ]]; then
        url="$url&after=$(jq -rn --arg a "$after" '$a | @uri')"
    fi
    curl -s "$url" >"$E2E_TMP/page.json"
    jq -r '.entries[].name' "$E2E_TMP/page.json" >>"$E2E_TMP/walk.names"
    pages=$((pages + 1))
    after=$(jq -r '.next // empty' "$E2E_TMP/page.json")
    [[ -n "$after" ]] || break
done
check_eq "walking 700 at a time takes 4 pages" 4 "$pages"
check_eq "the walk sees $TOTAL names" "$TOTAL" "$(wc -l <"$E2E_TMP/walk.names")"
check_eq "the walk sees each name once" "$TOTAL" "$(sort -u "$E2E_TMP/walk.names" | wc -l)"
check "the walk equals the one-page listing, in order" \
    cmp -s "$E2E_TMP/walk.names" "$E2E_TMP/all.names"

expect_status "list an empty directory" 200 "$B/api/v1/paths/q/w?list"
body_is "... no entries, next null" '.path == "/q/w" and .entries == [] and .next == null'
expect_status "list / shows the top directories" 200 "$B/api/v1/paths/?list"
body_is "... a, big, q, r" '[.entries[].name] == ["a","big","q","r"]'
expect_code "list a file is 409 not_a_directory" 409 not_a_directory \
    "$B/api/v1/paths/a/f.txt?list"
expect_code "list a missing directory is 404 not_found" 404 not_found \
    "$B/api/v1/paths/nope?list"
expect_code "list limit=0 is 400 invalid_argument" 400 invalid_argument \
    "$B/api/v1/paths/big?list&limit=0"
expect_code "list limit=10001 is 400 invalid_argument" 400 invalid_argument \
    "$B/api/v1/paths/big?list&limit=10001"
expect_code "list limit=abc is 400 invalid_argument" 400 invalid_argument \
    "$B/api/v1/paths/big?list&limit=abc"

# ---- PATCH each attribute -------------------------------------------------

F="$B/api/v1/paths/a/f.txt"
v0=$(curl -s "$F" | jq .version)

patch_is() { # DESC BODY JQ-FILTER
    expect_status "PATCH $1" 200 -X PATCH "$F" -H "$J" -d "$2"
    body_is "... $1 applied" "$3"
}
patch_is "mode 0600" '{"mode":"0600"}' '.mode == "0600"'
patch_is "owner bob" '{"owner":"bob"}' '.owner == "bob"'
patch_is "group wheel" '{"group":"wheel"}' '.group == "wheel"'
patch_is "ttl 60000" '{"ttl":60000}' '.ttl == 60000'
patch_is "ttl null clears it" '{"ttl":null}' '.ttl == null'
patch_is "ttl_action free" '{"ttl_action":"free"}' '.ttl_action == "free"'
patch_is "pinned true" '{"pinned":true}' '.pinned == true'
patch_is "size 42" '{"size":42}' '.size == 42'
patch_is "xattrs add one" '{"xattrs":{"new":"1"}}' \
    '.xattrs == {"user.tier":"hot","k":"v","new":"1"}'
patch_is "xattrs remove one (null), change one" \
    '{"xattrs":{"k":null,"user.tier":"cold"}}' '.xattrs == {"user.tier":"cold","new":"1"}'
# Last, as a change of size (truncate) sets mtime too.
patch_is "mtime" '{"mtime":1700000000123}' '.mtime == 1700000000123'
patch_is "several attributes at once" \
    '{"mode":"0444","pinned":false,"ttl":3600000,"ttl_action":"delete"}' \
    '.mode == "0444" and .pinned == false and .ttl == 3600000 and .ttl_action == "delete"'
body_is "... the other attributes are untouched" \
    '.owner == "bob" and .group == "wheel" and .size == 42 and .mtime == 1700000000123'
body_is "... the version went up" '.version > $v0' --argjson v0 "$v0"
check_eq "PATCH: ETag header equals the body's etag" \
    "$(jq -r .etag "$LAST_BODY")" "$(header ETag)"
check "PATCH changed the ETag" test "$(header ETag)" != "$CREATED_ETAG"
expect_status "PATCH with application/merge-patch+json" 200 -X PATCH "$F" \
    -H 'Content-Type: application/merge-patch+json' -d '{"mode":"0640"}'
body_is "... applied" '.mode == "0640"'
expect_status "stat after the PATCHes" 200 "$F"
body_is "... shows every change" \
    '.mode == "0640" and .owner == "bob" and .group == "wheel" and
     .mtime == 1700000000123 and .ttl == 3600000 and .ttl_action == "delete" and
     .pinned == false and .size == 42 and .xattrs == {"user.tier":"cold","new":"1"}'
check_eq "... same id" "$F_ID" "$(jq .id "$LAST_BODY")"
expect_status "PATCH a directory's mode" 200 -X PATCH "$B/api/v1/paths/q" \
    -H "$J" -d '{"mode":"0711","pinned":true}'
body_is "... applied" '.mode == "0711" and .pinned == true and .type == "directory"'
expect_code "PATCH size of a directory is 409 is_a_directory" 409 is_a_directory \
    -X PATCH "$B/api/v1/paths/q" -H "$J" -d '{"size":5}'
expect_code "PATCH a missing path is 404 not_found" 404 not_found \
    -X PATCH "$B/api/v1/paths/a/nope" -H "$J" -d '{"mode":"0600"}'

# ---- If-Match ---------------------------------------------------------------

etag=$(curl -s -D - -o /dev/null "$F" | awk 'tolower($1) == "etag:" { sub(/\r$/, ""); print $2 }')
expect_status "PATCH with If-Match: the current ETag is 200" 200 -X PATCH "$F" \
    -H "$J" -H "If-Match: $etag" -d '{"owner":"carol"}'
body_is "... applied" '.owner == "carol"'
new_etag=$(header ETag)
expect_code "PATCH with If-Match: the old ETag is 412 precondition_failed" 412 \
    precondition_failed -X PATCH "$F" -H "$J" -H "If-Match: $etag" -d '{"owner":"dave"}'
expect_status "... nothing changed" 200 "$F"
body_is "... owner still carol" '.owner == "carol"'
check_eq "... ETag unchanged by the refused PATCH" "$new_etag" "$(header ETag)"
expect_status "PATCH with If-Match: * is 200" 200 -X PATCH "$F" \
    -H "$J" -H 'If-Match: *' -d '{"owner":"erin"}'
expect_code "PATCH with a weak If-Match is 412" 412 precondition_failed \
    -X PATCH "$F" -H "$J" -H "If-Match: W/$(header ETag)" -d '{"owner":"x"}'
expect_code "DELETE with a stale If-Match is 412" 412 precondition_failed \
    -X DELETE "$F" -H "If-Match: $etag"
expect_status "... the file is still there" 200 "$F"

# ---- rename -----------------------------------------------------------------

expect_status "rename /a/f.txt to /a/g.txt is 200" 200 -X POST "$F/rename" \
    -H "$J" -d '{"to":"/a/g.txt"}'
body_is "... answers the inode at its new path, same id" \
    '.path == "/a/g.txt" and .name == "g.txt" and .id == $id and .owner == "erin"' \
    --argjson id "$F_ID"
expect_code "... /a/f.txt is gone" 404 not_found "$F"
expect_status "... /a/g.txt is there" 200 "$B/api/v1/paths/a/g.txt"
body_is "... with its attributes" '.size == 42 and .xattrs == {"user.tier":"cold","new":"1"}'
expect_status "rename a file to another directory" 200 \
    -X POST "$B/api/v1/paths/a/g.txt/rename" -H "$J" -d '{"to":"/q/g.txt"}'
expect_status "... /q lists it" 200 "$B/api/v1/paths/q?list"
body_is "... one entry g.txt" '[.entries[].name] == ["g.txt","w"]'
expect_status "... /a has one child fewer" 200 "$B/api/v1/paths/a"
body_is "... 2 children" '.children == 2'

# A directory with children moves with them.
curl -s -o /dev/null -X PUT "$B/api/v1/paths/m/n/o/deep.txt" -H "$J" \
    -d '{"type":"file","recursive":true,"size":7}'
m_id=$(curl -s "$B/api/v1/paths/m/n" | jq .id)
expect_status "rename directory /m/n to /q/n2" 200 -X POST "$B/api/v1/paths/m/n/rename" \
    -H "$J" -d '{"to":"/q/n2"}'
body_is "... same directory" '.id == $id and .path == "/q/n2" and .children == 1' \
    --argjson id "$m_id"
expect_status "... its grandchild moved along" 200 "$B/api/v1/paths/q/n2/o/deep.txt"
body_is "... intact" '.size == 7 and .path == "/q/n2/o/deep.txt"'
expect_code "... nothing left at the old place" 404 not_found "$B/api/v1/paths/m/n/o/deep.txt"
expect_status "... /m is empty" 200 "$B/api/v1/paths/m"
body_is "... 0 children" '.children == 0'

expect_code "rename onto an existing name is 409 already_exists" 409 already_exists \
    -X POST "$B/api/v1/paths/q/g.txt/rename" -H "$J" -d '{"to":"/a/plain"}'
expect_code "rename a directory onto an existing one is 409 already_exists" 409 \
    already_exists -X POST "$B/api/v1/paths/m/rename" -H "$J" -d '{"to":"/r"}'
expect_code "rename a directory into its own subtree is 400 invalid_argument" 400 \
    invalid_argument -X POST "$B/api/v1/paths/q/rename" -H "$J" -d '{"to":"/q/n2/o/q"}'
expect_code "rename a directory into itself is 400 invalid_argument" 400 \
    invalid_argument -X POST "$B/api/v1/paths/q/rename" -H "$J" -d '{"to":"/q/q"}'
expect_status "... /q still in place" 200 "$B/api/v1/paths/q/n2/o"
expect_code "rename a missing path is 404 not_found" 404 not_found \
    -X POST "$B/api/v1/paths/nope/rename" -H "$J" -d '{"to":"/nope2"}'
expect_code "rename into a missing directory is 404 not_found" 404 not_found \
    -X POST "$B/api/v1/paths/q/g.txt/rename" -H "$J" -d '{"to":"/nope/g.txt"}'
expect_code "rename under a file is 409 not_a_directory" 409 not_a_directory \
    -X POST "$B/api/v1/paths/q/g.txt/rename" -H "$J" -d '{"to":"/a/plain/g.txt"}'
expect_code "rename the root is 400 invalid_argument" 400 invalid_argument \
    -X POST "$B/api/v1/paths/rename" -H "$J" -d '{"to":"/root2"}'
expect_code "rename onto the root is refused (409 already_exists)" 409 already_exists \
    -X POST "$B/api/v1/paths/m/rename" -H "$J" -d '{"to":"/"}'
expect_status "rename with If-Match of the source is 200" 200 \
    -X POST "$B/api/v1/paths/m/rename" -H "$J" \
    -H "If-Match: $(curl -s "$B/api/v1/paths/m" | jq -r .etag)" -d '{"to":"/m2"}'
expect_code "rename with a stale If-Match is 412" 412 precondition_failed \
    -X POST "$B/api/v1/paths/m2/rename" -H "$J" -H 'If-Match: "1-1"' -d '{"to":"/m3"}'

# ---- delete -----------------------------------------------------------------

expect_status "delete the file /a/plain is 204" 204 -X DELETE "$B/api/v1/paths/a/plain"
check "... with an empty body" test ! -s "$LAST_BODY"
expect_code "... stat is 404 not_found" 404 not_found "$B/api/v1/paths/a/plain"
expect_code "delete it again is 404 not_found" 404 not_found \
    -X DELETE "$B/api/v1/paths/a/plain"
expect_status "delete the empty directory /m2 is 204" 204 -X DELETE "$B/api/v1/paths/m2"
expect_code "... gone" 404 not_found "$B/api/v1/paths/m2"
expect_code "delete the non-empty /r without recursive is 409 directory_not_empty" \
    409 directory_not_empty -X DELETE "$B/api/v1/paths/r"
expect_status "... /r/s/t still there" 200 "$B/api/v1/paths/r/s/t"
expect_code "delete /r?recursive=false is 409 directory_not_empty" \
    409 directory_not_empty -X DELETE "$B/api/v1/paths/r?recursive=false"
expect_status "delete /r?recursive=true is 204" 204 -X DELETE "$B/api/v1/paths/r?recursive=true"
expect_code "... /r is gone" 404 not_found "$B/api/v1/paths/r"
expect_code "... /r/s/t is gone" 404 not_found "$B/api/v1/paths/r/s/t"
expect_code "... /r/s/u is gone" 404 not_found "$B/api/v1/paths/r/s/u"
expect_code "delete the root is 400 invalid_argument" 400 invalid_argument \
    -X DELETE "$B/api/v1/paths/"
expect_code "delete the root recursively is 400 invalid_argument" 400 invalid_argument \
    -X DELETE "$B/api/v1/paths/?recursive=true"
expect_status "... the root is still there" 200 "$B/api/v1/paths/?list"
body_is "... with a, big, q" '[.entries[].name] == ["a","big","q"]'
expect_status "a name can be made again after its delete" 201 \
    -X PUT "$B/api/v1/paths/r" -H "$J" -d '{"type":"file"}'

# ---- a clean restart keeps everything ---------------------------------------

snapshot() { # the state of the namespace a user can see, in one file
    {
        curl -s "$B/api/v1/paths/?list" | jq -c '[.entries[] | {name, id, type, version}]'
        curl -s "$B/api/v1/paths/big?list&limit=10000" | jq -c '[.entries[] | {name, id}]'
        curl -s "$B/api/v1/paths/q/g.txt" | jq -c 'del(.atime)'
        curl -s "$B/api/v1/paths/q/n2/o/deep.txt" | jq -c 'del(.atime)'
        curl -s "$B/api/v1/paths/q" | jq -c 'del(.atime)'
        curl -s "$B/api/v1/paths/a/with%20space%20%C3%A9" | jq -c 'del(.atime)'
    } >"$1"
}
snapshot "$E2E_TMP/before"
check "the snapshot before the restart is complete" \
    test "$(grep -c . "$E2E_TMP/before")" -eq 6
daemon_stop
check "the daemon logged its shutdown" grep -q 'shutting down' "$LOG"
daemon_restart
snapshot "$E2E_TMP/after"
check "after a clean restart the namespace is the same" \
    diff "$E2E_TMP/before" "$E2E_TMP/after"
expect_status "... /big still has $TOTAL children" 200 "$B/api/v1/paths/big"
body_is "... $TOTAL" ".children == $TOTAL"
expect_status "... writes work after the restart" 201 \
    -X PUT "$B/api/v1/paths/after-restart" -H "$J" -d '{"type":"directory"}'
body_is "... and ids are not reused" '.id > $id' \
    --argjson id "$(curl -s "$B/api/v1/paths/big/%C3%BC" | jq .id)"
daemon_stop

finish
