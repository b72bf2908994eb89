#!/usr/bin/env bash
#
# paths_errors: every error code and every kind of bad input. Each answer
# is an application/problem+json with the right status, code and type; the
# daemon never crashes and the namespace is the same after all of it.
#
# SPDX-License-Identifier: MIT

# jq filters are in single quotes on purpose; daemon_start takes no args.
# shellcheck disable=SC2016,SC2119
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

J='Content-Type: application/json'

daemon_start

# A small namespace to aim at.
for p in d d/sub e; do
    curl -s -o /dev/null -X PUT "$B/api/v1/paths/$p" -H "$J" -d '{"type":"directory"}'
done
for p in d/f d/sub/x; do
    curl -s -o /dev/null -X PUT "$B/api/v1/paths/$p" -H "$J" -d '{"type":"file","size":3}'
done

# tree: every inode under / with its type, version and children, one a line.
tree() {
    local dirs=("/") d url
    while ((${#dirs[@]} > 0)); do
        d=${dirs[0]}
        dirs=("${dirs[@]:1}")
        url="$B/api/v1/paths$(jq -rn --arg p "$d" '$p | @uri | gsub("%2F"; "/")')"
        curl -s "$url" | jq -c '{path, id, type, version, children}'
        while read -r child; do
            dirs+=("$child")
        done < <(curl -s "$url?list&limit=10000" |
            jq -r '.entries[] | select(.type == "directory") | .path')
        curl -s "$url?list&limit=10000" | jq -c '.entries[] | select(.type == "file") |
            {path, id, type, version}'
    done
}
# The valid edges, before the snapshot: a 255-byte name, and a valid body
# padded with spaces to exactly the limit (1 MiB).
name255=$(printf 'n%.0s' {1..255})
expect_status "a 255-byte name is taken (201)" 201 \
    -X PUT "$B/api/v1/paths/e/$name255" -H "$J" -d '{"type":"file"}'
expect_status "... and removed (204)" 204 -X DELETE "$B/api/v1/paths/e/$name255"
{
    printf '{"type":"file"}'
    head -c $((1048576 - 15)) /dev/zero | tr '\0' ' '
} >"$E2E_TMP/limit.json"
check "the limit body is 1048576 bytes" test "$(wc -c <"$E2E_TMP/limit.json")" -eq 1048576
expect_status "a body of exactly 1 MiB is taken (201)" 201 \
    -X PUT "$B/api/v1/paths/e/limit" -H "$J" --data-binary @"$E2E_TMP/limit.json"
expect_status "... and removed (204)" 204 -X DELETE "$B/api/v1/paths/e/limit"

tree >"$E2E_TMP/tree.before"
check "the namespace before: 6 inodes" test "$(wc -l <"$E2E_TMP/tree.before")" -eq 6

# ---- bodies -----------------------------------------------------------------

X="$B/api/v1/paths/d/new"
bad_create() { # DESC BODY
    expect_code "create, $1: 400 invalid_argument" 400 invalid_argument \
        -X PUT "$X" -H "$J" --data-binary "$2"
}
bad_create "malformed JSON" '{"type":'
bad_create "malformed JSON (trailing garbage)" '{"type":"file"}garbage'
bad_create "malformed JSON (single quotes)" "{'type':'file'}"
bad_create "an empty body" ''
bad_create "a JSON array" '[{"type":"file"}]'
bad_create "a JSON string" '"file"'
bad_create "JSON null" 'null'
bad_create "no type" '{"mode":"0644"}'
bad_create "type: 5" '{"type":5}'
bad_create "type: null" '{"type":null}'
bad_create "type: symlink" '{"type":"symlink"}'
bad_create "type: File (case)" '{"type":"File"}'
bad_create "mode: 755 (a number)" '{"type":"file","mode":755}'
bad_create "mode: \"0999\" (not octal)" '{"type":"file","mode":"0999"}'
bad_create "mode: \"rwxr-xr-x\"" '{"type":"file","mode":"rwxr-xr-x"}'
bad_create "mode: \"\"" '{"type":"file","mode":""}'
bad_create "recursive: \"yes\"" '{"type":"directory","recursive":"yes"}'
bad_create "recursive: 1" '{"type":"directory","recursive":1}'
bad_create "size: -1" '{"type":"file","size":-1}'
bad_create "size: \"10\"" '{"type":"file","size":"10"}'
bad_create "size: 1.5" '{"type":"file","size":1.5}'
bad_create "block_size: true" '{"type":"file","block_size":true}'
bad_create "size of a directory" '{"type":"directory","size":10}'
bad_create "block_size of a directory" '{"type":"directory","block_size":4096}'
bad_create "owner: 123" '{"type":"file","owner":123}'
bad_create "owner: \"\"" '{"type":"file","owner":""}'
bad_create "owner with a control character" '{"type":"file","owner":"a\nb"}'
bad_create "owner of 256 bytes" \
    "{\"type\":\"file\",\"owner\":\"$(printf 'o%.0s' {1..256})\"}"
bad_create "group: []" '{"type":"file","group":[]}'
bad_create "xattrs: [] (not an object)" '{"type":"file","xattrs":[]}'
bad_create "xattrs value 5" '{"type":"file","xattrs":{"k":5}}'
bad_create "xattrs value null (create)" '{"type":"file","xattrs":{"k":null}}'
bad_create "xattrs empty key" '{"type":"file","xattrs":{"":"v"}}'
bad_create "an unknown field" '{"type":"file","colour":"blue"}'
bad_create "a field of PATCH only (mtime)" '{"type":"file","mtime":5}'
bad_create "ttl: -1" '{"type":"file","ttl":-1}'
bad_create "pinned: \"yes\"" '{"type":"file","pinned":"yes"}'
bad_create "a duplicate key" '{"type":"file","type":"directory"}'
bad_create "a \\u0000 in a string" '{"type":"file","owner":"a\u0000b"}'
bad_create "invalid UTF-8 in the body" $'{"type":"file","owner":"\xff\xfe"}'
expect_code "create, ?recursive=yes: 400 invalid_argument" 400 invalid_argument \
    -X PUT "$X?recursive=yes" -H "$J" -d '{"type":"file"}'

P="$B/api/v1/paths/d/f"
bad_patch() { # DESC BODY
    expect_code "PATCH, $1: 400 invalid_argument" 400 invalid_argument \
        -X PATCH "$P" -H "$J" --data-binary "$2"
}
bad_patch "malformed JSON" '{"mode":"0600"'
bad_patch "an empty object" '{}'
bad_patch "an empty body" ''
bad_patch "type (cannot change)" '{"type":"directory"}'
bad_patch "an unknown field" '{"colour":"red"}'
bad_patch "mode: 644 (a number)" '{"mode":644}'
bad_patch "mtime: \"now\"" '{"mtime":"now"}'
bad_patch "mtime: -1" '{"mtime":-1}'
bad_patch "ttl: -5" '{"ttl":-5}'
bad_patch "ttl: \"1h\"" '{"ttl":"1h"}'
bad_patch "ttl_action: burn" '{"ttl_action":"burn"}'
bad_patch "pinned: \"true\"" '{"pinned":"true"}'
bad_patch "pinned: null" '{"pinned":null}'
bad_patch "size: -3" '{"size":-3}'
bad_patch "xattrs: \"k=v\"" '{"xattrs":"k=v"}'
bad_patch "xattrs value 1" '{"xattrs":{"k":1}}'
bad_patch "a valid field and an invalid one (nothing applied)" '{"owner":"zed","mode":"x"}'

R="$B/api/v1/paths/d/f/rename"
bad_rename() { # DESC BODY [CODE STATUS]
    expect_code "rename, $1: ${4:-400} ${3:-invalid_argument}" "${4:-400}" \
        "${3:-invalid_argument}" -X POST "$R" -H "$J" --data-binary "$2"
}
bad_rename "malformed JSON" '{"to":'
bad_rename "no to" '{}'
bad_rename "to: 5" '{"to":5}'
bad_rename "to: null" '{"to":null}'
bad_rename "an unknown field" '{"to":"/d/g","force":true}'
bad_rename "an empty body" ''
bad_rename "to: a relative path" '{"to":"d/g"}' invalid_path 400
bad_rename "to: a path with .." '{"to":"/d/../g"}' invalid_path 400
bad_rename "to: a path with //" '{"to":"/d//g"}' invalid_path 400
bad_rename "to: \"\"" '{"to":""}' invalid_path 400
bad_rename "to: a 256-byte name" \
    "{\"to\":\"/d/$(printf 'n%.0s' {1..256})\"}" invalid_path 400

# ---- body size ----------------------------------------------------------------

# A body padded with spaces to 1 MiB + 1 byte is refused, with a
# Content-Length and chunked.
{
    cat "$E2E_TMP/limit.json"
    printf ' '
} >"$E2E_TMP/over.json"
expect_code "a body of 1 MiB + 1 byte is 413 payload_too_large" 413 payload_too_large \
    -X PUT "$X" -H "$J" --data-binary @"$E2E_TMP/over.json"
expect_code "a chunked body over 1 MiB is 413 payload_too_large" 413 payload_too_large \
    -X PUT "$X" -H "$J" -H 'Transfer-Encoding: chunked' --data-binary @"$E2E_TMP/over.json"
head -c $((5 * 1048576)) /dev/zero | tr '\0' 'a' >"$E2E_TMP/huge.json"
expect_code "a 5 MiB PATCH body is 413 payload_too_large" 413 payload_too_large \
    -X PATCH "$P" -H "$J" --data-binary @"$E2E_TMP/huge.json"
expect_code "a 5 MiB rename body is 413 payload_too_large" 413 payload_too_large \
    -X POST "$R" -H "$J" --data-binary @"$E2E_TMP/huge.json"

# ---- paths --------------------------------------------------------------------

bad_path() { # DESC RAW-PATH-TAIL
    expect_code "create $1: 400 invalid_path" 400 invalid_path \
        -X PUT "$B/api/v1/paths$2" -H "$J" -d '{"type":"file"}'
    expect_code "stat $1: 400 invalid_path" 400 invalid_path "$B/api/v1/paths$2"
}
bad_path "a '..' segment" "/d/../e"
bad_path "a trailing '..'" "/d/.."
bad_path "a '.' segment" "/d/./f"
bad_path "'//'" "/d//f"
bad_path "a leading '//'" "//d"
bad_path "'%2F' in a name" "/d%2Ff"
bad_path "'%2f' in a name" "/d/a%2fb"
bad_path "'%00' in a name" "/d/a%00b"
bad_path "a control character (%01)" "/d/a%01b"
bad_path "invalid UTF-8 (%ff)" "/d/a%ffb"
bad_path "an overlong UTF-8 '/' (%C0%AF)" "/d/a%C0%AFb"
bad_path "a UTF-16 surrogate (%ED%A0%80)" "/d/a%ED%A0%80"
bad_path "a truncated UTF-8 sequence (%C3)" "/d/a%C3"
bad_path "a bad percent-escape (%zz)" "/d/a%zz"
bad_path "a cut percent-escape (%4)" "/d/a%4"
name256=${name255}n
bad_path "a 256-byte name" "/d/$name256"
long=""
while ((${#long} < 5000)); do
    long="$long/$name255"
done
bad_path "a ${#long}-byte path" "/d$long"
deep=$(printf '/a%.0s' {1..2000})
bad_path "a 2000-level path" "$deep"
expect_code "mkdir -p of a 2000-level path: 400 invalid_path" 400 invalid_path \
    -X PUT "$B/api/v1/paths$deep" -H "$J" -d '{"type":"directory","recursive":true}'
expect_code "PATCH at a path with '..': 400 invalid_path" 400 invalid_path \
    -X PATCH "$B/api/v1/paths/d/../d/f" -H "$J" -d '{"mode":"0600"}'
expect_code "DELETE at a path with '..': 400 invalid_path" 400 invalid_path \
    -X DELETE "$B/api/v1/paths/d/sub/..?recursive=true"
expect_code "DELETE at a path with '%2F': 400 invalid_path" 400 invalid_path \
    -X DELETE "$B/api/v1/paths/d%2Fsub?recursive=true"
expect_code "rename from a path with '..': 400 invalid_path" 400 invalid_path \
    -X POST "$B/api/v1/paths/d/sub/../f/rename" -H "$J" -d '{"to":"/e/f"}'

# ---- query parameters -----------------------------------------------------------

expect_code "?list=maybe: 400 invalid_argument" 400 invalid_argument "$B/api/v1/paths/d?list=maybe"
expect_code "?limit=-1: 400 invalid_argument" 400 invalid_argument "$B/api/v1/paths/d?list&limit=-1"
expect_code "?limit=99999999999999999999999: 400 invalid_argument" 400 invalid_argument \
    "$B/api/v1/paths/d?list&limit=99999999999999999999999"
expect_code "?after=%00: 400 invalid_argument" 400 invalid_argument "$B/api/v1/paths/d?list&after=%00"
expect_code "DELETE ?recursive=sure: 400 invalid_argument" 400 invalid_argument \
    -X DELETE "$B/api/v1/paths/d?recursive=sure"

# ---- methods and routes ---------------------------------------------------------

expect_code "PUT /healthz: 405 method_not_allowed" 405 method_not_allowed -X PUT "$B/healthz"
check_eq "... Allow: GET, HEAD" "GET, HEAD" "$(header Allow)"
expect_code "POST /readyz: 405 method_not_allowed" 405 method_not_allowed -X POST "$B/readyz" \
    -H "$J" -d '{}'
check_eq "... Allow: GET, HEAD" "GET, HEAD" "$(header Allow)"
expect_code "DELETE /healthz: 405 method_not_allowed" 405 method_not_allowed -X DELETE "$B/healthz"
check "... with an Allow header" test -n "$(header Allow)"
expect_code "OPTIONS on a path: 405 method_not_allowed" 405 method_not_allowed \
    -X OPTIONS "$B/api/v1/paths/d"
check "... Allow lists GET, PUT, PATCH, DELETE and POST" \
    bash -c '[[ "$1" == *GET* && "$1" == *PUT* && "$1" == *PATCH* && "$1" == *DELETE* && "$1" == *POST* ]]' \
    _ "$(header Allow)"
expect_code "TRACE on a path: 405 method_not_allowed" 405 method_not_allowed \
    -X TRACE "$B/api/v1/paths/d"
expect_code "POST .../frobnicate (unknown action): 404 not_found" 404 not_found \
    -X POST "$B/api/v1/paths/d/f/frobnicate" -H "$J" -d '{"to":"/e/f"}'
expect_code "POST on the paths root without an action: 404 not_found" 404 not_found \
    -X POST "$B/api/v1/paths" -H "$J" -d '{"to":"/e/f"}'
expect_code "an unknown route: 404 not_found" 404 not_found "$B/api/v2/paths/d"
expect_code "a route prefix only: 404 not_found" 404 not_found "$B/api/v1/pathsd"
# (/ itself is the dashboard: tests/e2e/dashboard.sh.)
expect_code "a file name outside every route: 404 not_found" 404 not_found \
    "$B/index.html"

# ---- content types --------------------------------------------------------------

expect_code "create with text/plain: 415 unsupported_media_type" 415 unsupported_media_type \
    -X PUT "$X" -H 'Content-Type: text/plain' -d '{"type":"file"}'
expect_code "create with no Content-Type: 415" 415 unsupported_media_type \
    -X PUT "$X" -H 'Content-Type:' -d '{"type":"file"}'
expect_code "create with form encoding (curl -d's default): 415" 415 unsupported_media_type \
    -X PUT "$X" -H 'Content-Type: application/x-www-form-urlencoded' -d '{"type":"file"}'
expect_code "create with charset=latin1: 415" 415 unsupported_media_type \
    -X PUT "$X" -H 'Content-Type: application/json; charset=latin1' -d '{"type":"file"}'
expect_code "PATCH with text/plain: 415" 415 unsupported_media_type \
    -X PATCH "$P" -H 'Content-Type: text/plain' -d '{"mode":"0600"}'
expect_code "rename with application/xml: 415" 415 unsupported_media_type \
    -X POST "$R" -H 'Content-Type: application/xml' -d '{"to":"/e/f"}'
expect_code "create with merge-patch+json: 415 (PATCH only)" 415 unsupported_media_type \
    -X PUT "$X" -H 'Content-Type: application/merge-patch+json' -d '{"type":"file"}'

# ---- the namespace's own errors ---------------------------------------------------

expect_code "stat a missing path: 404 not_found" 404 not_found "$B/api/v1/paths/d/nope"
expect_code "create a name that exists: 409 already_exists" 409 already_exists \
    -X PUT "$B/api/v1/paths/d/f" -H "$J" -d '{"type":"file"}'
expect_code "create a file over a directory: 409 already_exists" 409 already_exists \
    -X PUT "$B/api/v1/paths/d/sub" -H "$J" -d '{"type":"file"}'
expect_code "create under a file: 409 not_a_directory" 409 not_a_directory \
    -X PUT "$B/api/v1/paths/d/f/x" -H "$J" -d '{"type":"file"}'
expect_code "list a file: 409 not_a_directory" 409 not_a_directory "$B/api/v1/paths/d/f?list"
expect_code "stat through a file: 409 not_a_directory" 409 not_a_directory \
    "$B/api/v1/paths/d/f/x"
expect_code "PATCH size of a directory: 409 is_a_directory" 409 is_a_directory \
    -X PATCH "$B/api/v1/paths/d/sub" -H "$J" -d '{"size":1}'
expect_code "delete a non-empty directory: 409 directory_not_empty" 409 directory_not_empty \
    -X DELETE "$B/api/v1/paths/d"
expect_code "delete the root: 400 invalid_argument" 400 invalid_argument -X DELETE "$B/api/v1/paths/"
expect_code "rename the root: 400 invalid_argument" 400 invalid_argument \
    -X POST "$B/api/v1/paths/rename" -H "$J" -d '{"to":"/x"}'
expect_code "rename into its own subtree: 400 invalid_argument" 400 invalid_argument \
    -X POST "$B/api/v1/paths/d/rename" -H "$J" -d '{"to":"/d/sub/d"}'
expect_code "rename onto an existing name: 409 already_exists" 409 already_exists \
    -X POST "$B/api/v1/paths/d/f/rename" -H "$J" -d '{"to":"/d/sub/x"}'
expect_code "PATCH with a stale If-Match: 412 precondition_failed" 412 precondition_failed \
    -X PATCH "$P" -H "$J" -H 'If-Match: "999999-1"' -d '{"mode":"0600"}'
expect_code "PATCH with an unquoted If-Match: 400 invalid_argument" 400 invalid_argument \
    -X PATCH "$P" -H "$J" -H 'If-Match: 3-4' -d '{"mode":"0600"}'
expect_code "DELETE with a stale If-Match: 412 precondition_failed" 412 precondition_failed \
    -X DELETE "$P" -H 'If-Match: "999999-1"'
expect_code "rename with a stale If-Match: 412 precondition_failed" 412 precondition_failed \
    -X POST "$R" -H "$J" -H 'If-Match: "999999-1"' -d '{"to":"/e/f"}'

# Every problem carries the request's URL as its instance and an
# X-Request-Id header.
expect_code "a problem for the instance check" 404 not_found "$B/api/v1/paths/d/nope?list"
body_is "... instance is the request path" '.instance == "/api/v1/paths/d/nope"'
check "... X-Request-Id is set" test -n "$(header X-Request-Id)"

# ---- nothing changed, nothing crashed ------------------------------------------

check "the daemon is still running" alive "$DAEMON_PID"
expect_status "GET /healthz is still 200" 200 "$B/healthz"
tree >"$E2E_TMP/tree.after"
check "the namespace is unchanged after all the bad input" \
    diff "$E2E_TMP/tree.before" "$E2E_TMP/tree.after"
check "no error or warning was logged" \
    bash -c '! grep -E "\"level\":\"(error|warn)\"" "$1"' _ "$LOG"
daemon_stop

finish
